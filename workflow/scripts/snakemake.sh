#!/bin/sh
# The Snakemake that DVC's stage commands run (dvc.yaml, paper/dvc.yaml are generated with it).
# DVC runs a stage's command in a plain shell, where an environment's `snakemake` is on PATH only when the
# environment was activated; `.venv/bin/dvc repro` alone would not find it. In this order:
#   1. the activated environment's Snakemake ($VIRTUAL_ENV or $CONDA_PREFIX, when it has one),
#   2. the README's virtual environment, .venv/ at the repository root ($DVC_ROOT, set by DVC),
#   3. `snakemake` on PATH (a cluster module, a system install).
for env in "$VIRTUAL_ENV" "$CONDA_PREFIX" "${DVC_ROOT:-.}/.venv"; do
    if [ -n "$env" ] && [ -x "$env/bin/snakemake" ]; then
        exec "$env/bin/snakemake" "$@"
    fi
done
exec snakemake "$@"
