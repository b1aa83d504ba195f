# What every rules file shares, in one place (included first by the Snakefile): config validation, the config
# blocks the rules read, code dependencies, params as CLI arguments, and the functions of the rules
# (helpers/*.smk, included at the end of this file; Snakemake's linter wants functions apart from rules):
#   get_*              input, param and resource functions of rules (of wildcards, or of a rule's name)
#   artifact_outputs   the one builder of an artifact's files under results/<artifact>/
# A helper reads `config`, the constants of this file and its own arguments, never a global of a rules file:
# the order of the includes carries no data. Names the library shares (table names, inits, captions) come from
# initgen.pipeline.artifacts, so the workflow and the steps cannot name a file two ways.
import functools
import json
import os
import shlex
import sys
from pathlib import Path

from initgen.cli import COMMANDS
from initgen.core.config import check_gpu_resources, coerce_numbers, drop_nulled, load_schema, validate_config
from initgen.core.extensions import check_config as check_extensions
from initgen.pipeline.code_inputs import import_closure, reference_files
from initgen.pipeline.artifacts import INITS, RELATED_ARTIFACTS, caption_path, corruption_inits, table_name
from snakemake.settings.types import DeploymentMethod

# Fail before any job runs (so nothing is written) when the config is wrong; the message names the key.
# `--config 'seeds=[0,1,2]'` passes list items as strings: numeric strings become numbers where the schema wants one.
CONFIG_SCHEMA = Path(workflow.basedir) / "workflow/schemas/config.schema.yaml"
# An override file drops an artifact's block by setting it to null (initgen.core.config.DROPPABLE; a slice of a config).
_config = drop_nulled(coerce_numbers(config, load_schema(CONFIG_SCHEMA)))
config.clear()
config.update(_config)
validate_config(config, CONFIG_SCHEMA)
check_gpu_resources(config)  # a GPU request that contradicts `device` (a cuda job sent to a CPU node)
check_extensions(config)  # your own functions (path/to/file.py:function): found, right signature, right shapes

# Rules call the package's CLI (`initgen ...`). With the default software deployment (the .venv of the README),
# jobs run the `initgen` of the Python that runs Snakemake, even when it was started as .venv/bin/snakemake without
# activating the venv. With `--sdm conda` each rule's `conda: ENV` environment provides it instead.
ENV = "../envs/initgen.yaml"
if DeploymentMethod.CONDA not in workflow.deployment_settings.deployment_method:
    shell.prefix(f'export PATH={shlex.quote(os.path.dirname(sys.executable))}:"$PATH"; ')

# Every rule appends the files its target rules produce; `rule all` builds them all.
ALL_TARGETS = []


# Wildcards that mean the same in every rule; the rest (artifact, variant, dataset, model, init) are constrained per
# rule, to the names that rule knows.
wildcard_constraints:
    seed=r"\d+",


LIBRARY = Path("src/initgen")

# ------------------------------------------------------------------------------------------- config blocks
TOY = config["toy"]["experiments"]
RELATED = config.get("related") or {}
DEEP = config.get("deep") or {"datasets": {}}
DEEP_SEEDS = DEEP.get("seeds") or config["seeds"]
DEEP_INITS = list(INITS)
DEEP_CORRUPTION = DEEP.get("corruption")
FLAT = config.get("flat_minima")
DEEP_HESSIAN = config.get("deep_hessian")


def code(*steps):
    """Source files a step can execute, as inputs of its rule: editing one reruns exactly the steps that can run it.

    Snakemake's own `code` trigger sees only the rule body, not the library it calls, hence this. Name the
    `initgen` command the rule's shell runs (code("toy-train")): its module (initgen.cli.COMMANDS) and everything
    that module imports from the library, transitively, are the inputs (initgen.pipeline.code_inputs reads the imports with
    `ast`; nothing is listed by hand). A name that is not a command is a module path under src/initgen without .py
    (code("curves")), for a module a step loads by name where no import shows it.
    """
    names = []
    for step in steps:
        if step in COMMANDS:
            names.append(COMMANDS[step].split(":")[0])
            continue
        path = LIBRARY / f"{step}.py"
        if not path.exists():
            raise ValueError(f"code(): {step!r} is neither an initgen command nor a library module ({path})")
        names.append(".".join(("initgen", *Path(step).parts)))
    return list(_closure(tuple(names)))


@functools.cache
def _closure(names):
    return tuple(str(f) for f in import_closure(LIBRARY, *names))


def as_arg(obj):
    """A config value as one shell-quoted JSON argument (sorted keys: same value, same command)."""
    return shlex.quote(json.dumps(obj, sort_keys=True))


def artifact_outputs(artifact, figures=(), tables=(), metrics=True):
    """Files of results/<artifact>/: metrics.json (unless metrics=False), then each figure stem as PNG and PDF,
    then each table stem as CSV, Markdown and LaTeX. The one builder of output lists: every rule and target uses it.
    """
    folder = f"results/{artifact}"
    return (
        ([f"{folder}/metrics.json"] if metrics else [])
        + [f"{folder}/{stem}{s}" for stem in figures for s in (".png", ".pdf")]
        + [f"{folder}/{stem}{s}" for stem in tables for s in (".csv", ".md", ".tex")]
    )


def get_resources(section, rule_name=None):
    """Snakemake resources from config <section>.resources (or .resources.<rule_name>); threads are separate."""
    block = section.get("resources") or {}
    block = block.get(rule_name, {}) if rule_name else block
    return {k: v for k, v in block.items() if k != "threads"}


def get_threads(section, rule_name=None):
    """Threads from config <section>.resources (or .resources.<rule_name>); 1 when unset."""
    block = section.get("resources") or {}
    block = block.get(rule_name, {}) if rule_name else block
    return block.get("threads", 1)


def get_gpus(wildcards):
    """The `gpu` resource of a training step: one when the config's device is cuda."""
    return 1 if config["device"] == "cuda" else 0


include: "helpers/data.smk"
include: "helpers/toy.smk"
include: "helpers/deep.smk"
include: "helpers/curvature.smk"
include: "helpers/report.smk"
include: "helpers/sensitivity.smk"
include: "helpers/scheduler.smk"


coalesce_scheduler_wakeups()
