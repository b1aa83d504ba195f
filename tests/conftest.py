"""Shared test fixtures: a throw-away copy of the workflow to run Snakemake in, the tiny test configs
(tests/configs/<case>/config.yaml, given after config/config.yaml), and "edit a module, re-plan, restore"."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from initgen.pipeline.job_table import job_counts

REPO = Path(__file__).resolve().parents[1]
WORKFLOW_PARTS = ("Snakefile", "workflow", "config", "src")
CONFIGS = REPO / "tests" / "configs"


def load_test_config(case: str) -> dict:
    """The tiny config tests/configs/<case>/config.yaml (a fresh dict: callers may change it)."""
    return yaml.safe_load((CONFIGS / case / "config.yaml").read_text())


def copy_workflow(destination: Path) -> Path:
    """Copy what Snakemake needs (Snakefile, workflow/, config/, src/) into `destination`."""
    destination.mkdir(parents=True, exist_ok=True)
    for part in WORKFLOW_PARTS:
        source = REPO / part
        if source.is_dir():
            shutil.copytree(source, destination / part, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
        else:
            shutil.copy2(source, destination / part)
    return destination


def run_snakemake(workdir: Path, *args: str, overrides: dict | None = None, check: bool = True,
                  timeout: float = 900) -> subprocess.CompletedProcess:
    """Run `python -m snakemake` in `workdir`; `overrides` is written as a config file given after the default."""
    command = [sys.executable, "-m", "snakemake", "--cores", "2", *args]
    if overrides is not None:
        (workdir / "test-config.yaml").write_text(yaml.safe_dump(overrides))
        command += ["--configfile", "config/config.yaml", "test-config.yaml"]  # last: it takes several values
    result = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def planned_jobs(workdir: Path, *targets: str, overrides: dict | None = None) -> dict[str, int]:
    """Rule name -> job count that `snakemake -n` would run now."""
    result = run_snakemake(workdir, "-n", *targets, overrides=overrides)
    return job_counts(result.stdout + result.stderr)


def planned_after_edit(workdir: Path, module: str, *targets: str, overrides: dict | None = None) -> dict[str, int]:
    """The jobs `snakemake -n` plans once src/initgen/<module> is edited (a comment appended); the file is restored
    afterwards, content and modification time, whatever happens, so the next plan sees nothing changed. An edit,
    not a bare mtime touch: Snakemake 9 skips inputs whose mtime changed but whose content did not (which also keeps
    a `dvc pull` from rerunning everything)."""
    path = Path(workdir) / "src/initgen" / module
    original, stat = path.read_text(), path.stat()
    path.write_text(original + "\n# edited\n")
    try:
        return planned_jobs(workdir, *targets, overrides=overrides)
    finally:
        path.write_text(original)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


@pytest.fixture
def one_thread():
    """Tiny matrices: one torch thread is fastest, and two threads spin badly on a busy 2-core machine."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def workflow_copy(tmp_path: Path) -> Path:
    return copy_workflow(tmp_path / "wf")
