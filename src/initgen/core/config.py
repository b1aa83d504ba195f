"""Loading and validating the workflow config against the JSON schema in workflow/schemas/.

Errors name the offending key as a dotted path (e.g. `toy.experiments.fig1_depth.depths[0]`), so a user
knows exactly what to fix. Validation happens before any job runs, so a bad config writes nothing.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path

import jsonschema
import yaml

from initgen.core.errors import ConfigError

SCHEMA = Path(__file__).resolve().parents[3] / "workflow" / "schemas" / "config.schema.yaml"  # the repository's


def key_path(parts) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "<top level>"


def _message(error: jsonschema.ValidationError) -> str:
    where = key_path(error.absolute_path)
    if error.validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        if error.schema.get("patternProperties"):
            import re

            patterns = list(error.schema["patternProperties"])
            extra = [k for k in extra if not any(re.search(p, k) for p in patterns)]
        names = ", ".join(f"{where}.{k}" if error.absolute_path else k for k in extra)
        return f"unknown config key {names}"
    if error.validator == "enum":
        return f"config key {where}: {error.instance!r} is not one of {error.validator_value}"
    return f"config key {where}: {error.message}"


def _resolve(schema: dict, root: dict) -> dict:
    while isinstance(schema, dict) and "$ref" in schema:
        node = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema if isinstance(schema, dict) else {}


def _as_number(text: str, types: set[str]):
    """A numeric string as the number the schema asks for; None when it is not one."""
    try:
        value = float(text)
    except ValueError:
        return None
    if "integer" in types and value.is_integer() and "." not in text and "e" not in text.lower():
        return int(text)
    return value if "number" in types else None


def coerce_numbers(value, schema: dict, root: dict | None = None):
    """A copy of `value` with numeric strings turned into numbers wherever `schema` asks for a number.

    `snakemake --config 'seeds=[0,1,2]'` hands the list items over as strings ('0'); YAML config files are left as
    they are (their numbers are numbers already). A string the schema wants as a string stays a string.
    """
    root = schema if root is None else root
    schema = _resolve(schema, root)
    if isinstance(value, str):
        types = schema.get("type", [])
        types = {types} if isinstance(types, str) else set(types)
        if types & {"integer", "number"} and "string" not in types:
            number = _as_number(value.strip(), types)
            return value if number is None else number
        return value
    if isinstance(value, list):
        items = schema.get("items", {})
        return [coerce_numbers(v, items, root) for v in value]
    if isinstance(value, dict):
        import re

        out = {}
        for key, item in value.items():
            sub = schema.get("properties", {}).get(key)
            if sub is None:
                sub = next((s for p, s in schema.get("patternProperties", {}).items() if re.search(p, str(key))),
                           None)
            if sub is None and isinstance(schema.get("additionalProperties"), dict):
                sub = schema["additionalProperties"]
            out[key] = item if sub is None else coerce_numbers(item, sub, root)
        return out
    return value


def load_schema(schema_path: str | Path = SCHEMA) -> dict:
    return _load_schema(Path(schema_path).resolve(), Path(schema_path).stat().st_mtime_ns)


@functools.cache
def _load_schema(path: Path, mtime_ns: int) -> dict:
    return yaml.safe_load(path.read_text())


def validate_config(config: dict, schema_path: str | Path) -> dict:
    """Raise ConfigError (listing every problem, each naming its key) unless `config` fits the schema."""
    schema = load_schema(schema_path)
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        raise ConfigError("invalid config:\n  " + "\n  ".join(_message(e) for e in errors))
    return fill_defaults(config, schema)


def with_defaults(definition: str, settings: dict, schema_path: str | Path = SCHEMA) -> dict:
    """A copy of `settings` (one block of the config, e.g. deep.train) with the defaults of the schema's
    `$defs.<definition>` filled in: library callers that pass a block by hand get the defaults a validated config
    gets, from the same one place."""
    schema = load_schema(schema_path)
    return fill_defaults(copy.deepcopy(settings), {"$defs": schema["$defs"], **schema["$defs"][definition]})


def fill_defaults(config: dict, schema: dict) -> dict:
    """Set, in place, every `default:` the schema gives for a key missing from an object the config has (an
    object with a default of its own, e.g. {}, is created first), also those under an `allOf` branch's `then`
    whose `if` the object meets: the schema is the one place defaults live."""

    def resolve(node):
        while isinstance(node, dict) and "$ref" in node:
            node = schema["$defs"][node["$ref"].rsplit("/", 1)[-1]]
        return node

    def walk(instance, node):
        node = resolve(node)
        if not isinstance(instance, dict) or not isinstance(node, dict):
            return
        for key, sub in (node.get("properties") or {}).items():
            sub = resolve(sub)
            if key not in instance and isinstance(sub, dict) and "default" in sub:
                instance[key] = copy.deepcopy(sub["default"])
            if key in instance:
                walk(instance[key], sub)
        for branch in node.get("allOf") or []:  # defaults that depend on a value, e.g. a schedule's kind
            if "if" in branch and jsonschema.Draft202012Validator(branch["if"]).is_valid(instance):
                walk(instance, branch.get("then", {}))

    walk(config, schema)
    return config


# Blocks an override file may drop by setting them to null (YAML `~`): config files are deep-merged, so a later
# file cannot delete a key an earlier one set, only replace it. `*` is any key of that block.
DROPPABLE = (
    "toy.experiments.*", "related.*", "deep.datasets.*", "deep.corruption", "deep_hessian", "deep_hessian.datasets.*",
    "flat_minima", "sensitivity",
)


def drop_nulled(config: dict) -> dict:
    """A copy of `config` without the artifact blocks set to null in an override (DROPPABLE), e.g.
    `toy: {experiments: {fig1_depth: null}}` builds no fig1_depth; its claims are then 'not run'."""
    out = copy.deepcopy(config)
    for pattern in DROPPABLE:
        *parents, last = pattern.split(".")
        node = out
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            continue
        for key in [k for k, v in node.items() if v is None and (last == "*" or k == last)]:
            del node[key]
    return out


def check_gpu_resources(config: dict) -> dict:
    """Raise ConfigError when device is 'cuda' but a GPU job's resources ask for no GPU.

    Such a job (deep.resources.<rule>, deep_hessian.resources with `gpu: 0`) is sent to a node without a GPU and
    fails only once it starts there. (device 'cpu' with `gpu: 1` runs, on a node that has one; 'auto' takes what
    the node has.) The message names the key.
    """
    if config.get("device", "cpu") != "cuda":
        return config
    blocks = {f"deep.resources.{rule}": block
              for rule, block in ((config.get("deep") or {}).get("resources") or {}).items()}
    if (config.get("deep_hessian") or {}).get("resources"):
        blocks["deep_hessian.resources"] = config["deep_hessian"]["resources"]
    problems = [
        f"config key {key}.gpu is {(block or {}).get('gpu', 0)} but device is 'cuda': the job would run on a node "
        "without a GPU; ask for one (gpu: 1) or set device: cpu"
        for key, block in blocks.items()
        if not (block or {}).get("gpu", 0)
    ]
    if problems:
        raise ConfigError("invalid config:\n  " + "\n  ".join(problems))
    return config


def load_config(*paths: str | Path) -> dict:
    """Load YAML files, later ones deep-merged over earlier ones (like Snakemake's --configfile)."""
    merged: dict = {}
    for path in paths:
        merged = deep_merge(merged, yaml.safe_load(Path(path).read_text()) or {})
    return merged


def deep_merge(base: dict, override: dict) -> dict:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def cli_validate(argv: list[str]) -> int:
    """`initgen validate-config CONFIG.yaml [MORE.yaml ...] --schema workflow/schemas/config.schema.yaml`"""
    import argparse

    parser = argparse.ArgumentParser(prog="initgen validate-config",
                                     description="Check config YAML files (later ones merged over earlier ones) "
                                     "against the workflow's JSON schema; every problem is named by its key.")
    parser.add_argument("configs", nargs="+", help="config YAML files, e.g. config/config.yaml config/paper.yaml")
    parser.add_argument("--schema", default="workflow/schemas/config.schema.yaml", help="the JSON schema (YAML)")
    args = parser.parse_args(argv)
    from initgen.core.extensions import check_config as check_extensions

    check_extensions(check_gpu_resources(validate_config(drop_nulled(load_config(*args.configs)), args.schema)))
    print("config ok")
    return 0
