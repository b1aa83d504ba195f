# Shared helpers for every rules file: config validation, code dependencies, params as CLI arguments.
import json
import os
import shlex
import sys
from pathlib import Path

from initgen.config import coerce_numbers, load_schema, validate_config
from initgen.imports import import_closure
from snakemake.settings.types import DeploymentMethod

# Fail before any job runs (so nothing is written) when the config is wrong; the message names the key.
# `--config 'seeds=[0,1,2]'` passes list items as strings: numeric strings become numbers where the schema wants one.
CONFIG_SCHEMA = Path(workflow.basedir) / "workflow/schemas/config.schema.yaml"
config.update(coerce_numbers(config, load_schema(CONFIG_SCHEMA)))
validate_config(config, CONFIG_SCHEMA)

# Rules call the package's CLI (`initgen ...`). With the default software deployment (the .venv of the README),
# jobs run the `initgen` of the Python that runs Snakemake, even when it was started as .venv/bin/snakemake without
# activating the venv. With `--sdm conda` each rule's `conda: ENV` environment provides it instead.
ENV = "../envs/initgen.yaml"
if DeploymentMethod.CONDA not in workflow.deployment_settings.deployment_method:
    shell.prefix(f'export PATH={shlex.quote(os.path.dirname(sys.executable))}:"$PATH"; ')

# Every rule appends the files its target rules produce; `rule all` builds them all.
ALL_TARGETS = []

LIBRARY = Path("src/initgen")


def code(*modules):
    """Source files a step depends on, as inputs of the steps: editing one reruns exactly the steps that can run it.

    Snakemake's own `code` trigger sees only the rule body, not the library it calls, hence this. Name the
    modules the step's command runs, by path under src/initgen without .py (e.g. code("experiments/toy_train"));
    everything they import from the library is added (initgen.imports reads the imports; nothing is listed by hand).
    """
    names = []
    for module in modules:
        path = LIBRARY / f"{module}.py"
        if not path.exists():
            raise ValueError(f"code(): no library module {path}")
        names.append(".".join(("initgen", *Path(module).parts)))
    return [str(f) for f in import_closure(LIBRARY, *names)]


def as_arg(obj):
    """A config value as one shell-quoted JSON argument (sorted keys: same value, same command)."""
    return shlex.quote(json.dumps(obj, sort_keys=True))
