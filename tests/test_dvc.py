"""DVC over Snakemake on a tiny config: build, `dvc commit`, `dvc push` to a local remote, `git clone`, `dvc pull`;
then nothing reruns (snakemake -n, dvc repro), a library edit reruns exactly its dependent jobs and one changed
param reruns only its artifact's affected jobs, all in the pulled clone. Plus: every artifact has a stage."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO, copy_workflow, planned_jobs
from test_related_workflow import TINY as RELATED_TINY
from test_toy_workflow import tiny_toy_config

ARTIFACTS = ["fig5_highbw_1d", "linear_imbalance"]  # one 1-D and one related-paper artifact: seconds to build
BIN = Path(sys.executable).parent


def load_generator():
    spec = importlib.util.spec_from_file_location("dvc_stages", REPO / "workflow/scripts/dvc_stages.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tiny_config() -> dict:
    config = tiny_toy_config()
    config["related"] = {"linear_imbalance": RELATED_TINY["related"]["linear_imbalance"]}
    return config


def sh(workdir: Path, *command: str, env=None) -> str:
    result = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


def git(workdir: Path, *args: str) -> str:
    return sh(workdir, "git", "-c", "user.email=test@example.org", "-c", "user.name=test", *args)


@pytest.fixture(scope="module")
def pulled(tmp_path_factory):
    """A clone of a repo whose tiny results were pushed to a local DVC remote, after `dvc pull`."""
    base = tmp_path_factory.mktemp("dvc")
    repo = copy_workflow(base / "repo")
    for part in (".dvc", ".dvcignore", ".gitignore"):
        source = REPO / part
        shutil.copytree(source, repo / part) if source.is_dir() else shutil.copy2(source, repo / part)
    shutil.rmtree(repo / ".dvc/cache", ignore_errors=True)
    shutil.rmtree(repo / ".dvc/tmp", ignore_errors=True)
    (repo / ".dvc/config.local").unlink(missing_ok=True)
    # The real generator, restricted to the artifacts built here (the full default tree takes ~9 minutes).
    root, _ = load_generator().build(ARTIFACTS, [], shared=False)
    (repo / "dvc.yaml").write_text(yaml.safe_dump(root, sort_keys=False))
    (repo / "test-config.yaml").write_text(yaml.safe_dump(tiny_config()))
    # The stage commands honour a profile from the environment: here one that adds the tiny config.
    (repo / "profiles/test").mkdir(parents=True)
    (repo / "profiles/test/config.yaml").write_text("cores: 2\nconfigfiles: [config/config.yaml, test-config.yaml]\n")
    sh(repo, sys.executable, "-m", "dvc", "remote", "add", "-f", "-d", "local", str(base / "remote"))
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "workflow")
    env = {**__import__("os").environ, "SNAKEMAKE_PROFILE": str(repo / "profiles/test"),
           "PATH": f"{BIN}:{__import__('os').environ['PATH']}"}
    sh(repo, sys.executable, "-m", "dvc", "repro", env=env)
    sh(repo, sys.executable, "-m", "dvc", "push", "-q", env=env)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "results")
    git(base, "clone", "-q", str(repo), "clone")
    clone = base / "clone"
    sh(clone, sys.executable, "-m", "dvc", "pull", "-q", env=env)
    return clone, env


def test_fresh_clone_after_dvc_pull_has_nothing_to_do(pulled):
    clone, env = pulled
    assert (clone / "results/fig5_highbw_1d/metrics.json").exists()
    assert planned_jobs(clone, *ARTIFACTS, overrides=tiny_config()) == {}
    out = sh(clone, sys.executable, "-m", "dvc", "repro", env=env)
    assert "Data and pipelines are up to date" in out and "Running stage" not in out, out


def test_library_edit_in_the_pulled_clone_reruns_exactly_its_jobs(pulled):
    clone, _ = pulled
    module = clone / "src/initgen/linear_nets.py"
    original = module.read_text()
    module.write_text(original + "\n# edited\n")
    try:
        jobs = planned_jobs(clone, *ARTIFACTS, overrides=tiny_config())
    finally:
        module.write_text(original)
    # linear_nets is code of the run only: the run, then what reads it; no 1-D job.
    assert jobs == {"linear_imbalance_run": 1, "linear_imbalance_analyze": 1, "linear_imbalance_plot": 1,
                    "linear_imbalance": 1}


def test_one_param_in_the_pulled_clone_reruns_only_its_artifact(pulled):
    clone, _ = pulled
    config = tiny_config()
    config["toy"]["experiments"]["fig5_highbw_1d"]["variants"]["noise_bce"]["init"]["lr"] = 0.002
    jobs = planned_jobs(clone, *ARTIFACTS, overrides=config)
    assert jobs == {"toy_train": 1, "toy_analyze": 1, "toy_plot": 1, "fig5_highbw_1d": 1}


def test_every_artifact_of_the_default_and_paper_configs_has_a_stage():
    """dvc.yaml and paper/dvc.yaml are what the generator writes now (so a new artifact cannot be forgotten)."""
    workdir = REPO
    result = subprocess.run([sys.executable, "workflow/scripts/dvc_stages.py", "--check"], cwd=workdir,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    stages = set(yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"])
    stages |= set(yaml.safe_load((REPO / "paper/dvc.yaml").read_text())["stages"])
    generator = load_generator()
    for artifact in generator.artifact_rules([]) + generator.artifact_rules(["config/paper.yaml"]):
        assert artifact in stages, artifact
