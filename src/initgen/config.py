"""Loading and validating the workflow config against the JSON schema in workflow/schemas/.

Errors name the offending key as a dotted path (e.g. `toy.experiments.fig1_depth.depths[0]`), so a user
knows exactly what to fix. Validation happens before any job runs, so a bad config writes nothing.
"""

from __future__ import annotations

from pathlib import Path

import jsonschema
import yaml

from initgen.errors import ConfigError


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


def validate_config(config: dict, schema_path: str | Path) -> dict:
    """Raise ConfigError (listing every problem, each naming its key) unless `config` fits the schema."""
    schema = yaml.safe_load(Path(schema_path).read_text())
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        raise ConfigError("invalid config:\n  " + "\n  ".join(_message(e) for e in errors))
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

    parser = argparse.ArgumentParser(prog="initgen validate-config")
    parser.add_argument("configs", nargs="+")
    parser.add_argument("--schema", default="workflow/schemas/config.schema.yaml")
    args = parser.parse_args(argv)
    validate_config(load_config(*args.configs), args.schema)
    print("config ok")
    return 0
