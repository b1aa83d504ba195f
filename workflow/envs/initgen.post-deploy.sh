#!/usr/bin/env bash
# Run by Snakemake once, inside the fresh conda environment, from the workflow's working directory (the repo root):
# install the initgen package itself (its dependencies are already in initgen.yaml).
set -euo pipefail
pip install --no-deps -e .
