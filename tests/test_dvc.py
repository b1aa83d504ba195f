"""DVC over Snakemake on a tiny config: the README's DVC commands as written in a fresh clone without an activated
environment (`.venv/bin/dvc repro`, a clean `dvc status`, `dvc push` to a local remote), `git clone`, `dvc pull`;
then nothing reruns (snakemake -n, dvc repro), a library edit reruns exactly its dependent jobs and one changed
param reruns only its artifact's affected jobs, all in the pulled clone. Plus: every artifact has a stage."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO, copy_workflow, load_test_config, planned_after_edit, planned_jobs

from initgen.pipeline.job_table import job_counts

ARTIFACTS = ["fig5_highbw_1d", "linear_imbalance"]  # one 1-D and one related-paper artifact: seconds to build
BIN = Path(sys.executable).parent


def load_generator():
    spec = importlib.util.spec_from_file_location("dvc_stages", REPO / "workflow/scripts/dvc_stages.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tiny_config() -> dict:
    config = load_test_config("toy")
    config["related"] = {"linear_imbalance": load_test_config("related")["related"]["linear_imbalance"]}
    return config


def sh(workdir: Path, *command: str, env=None) -> str:
    result = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, f"{' '.join(command)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout + result.stderr


def git(workdir: Path, *args: str) -> str:
    return sh(workdir, "git", "-c", "user.email=test@example.org", "-c", "user.name=test", *args)


# The README's DVC commands ("Working with DVC"), run as written: no activated environment.
README_REPRO = [".venv/bin/dvc repro", ".venv/bin/dvc status", ".venv/bin/dvc push"]
README_PULL = ".venv/bin/dvc pull"


def readme_commands() -> list[str]:
    """The command lines of the README's bash blocks (without their comments)."""
    text = (REPO / "README.md").read_text()
    blocks = [block.split("```", 1)[0] for block in text.split("```bash\n")[1:]]
    return [line.split("#", 1)[0].strip() for block in blocks for line in block.splitlines()]


GIT_IDENTITY = {"GIT_AUTHOR_NAME": "test", "GIT_AUTHOR_EMAIL": "test@example.org", "GIT_COMMITTER_NAME": "test",
                "GIT_COMMITTER_EMAIL": "test@example.org"}  # `dvc exp run` commits experiments


def merged(base: dict, override: dict) -> dict:
    """`override` merged into `base` key by key, as Snakemake merges config files."""
    out = dict(base)
    for key, value in override.items():
        out[key] = merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def unactivated_env() -> dict:
    """This environment as a new shell has it: no virtual or conda environment active, none of its bin on PATH."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONHOME")}
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if Path(p).resolve() != BIN.resolve())
    return env


def readme_setup(clone: Path) -> None:
    """The README's setup command made `.venv` at the root: here the tests' own virtual environment, made by the
    same command (.ci/run), stands in for it (a second install would take minutes)."""
    if sys.prefix == sys.base_prefix:
        pytest.skip("the tests run outside a virtual environment: not the README's setup")
    venv = clone / ".venv"  # a folder (as .gitignore and .dvcignore expect) of links into the tests' environment
    venv.mkdir()
    for entry in Path(sys.prefix).iterdir():
        (venv / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())


def run_shell(workdir: Path, line: str, env: dict) -> str:
    """One command line through bash, as a user types it; asserts exit 0."""
    return sh(workdir, "bash", "-c", line, env=env)


@pytest.fixture(scope="module")
def reproduced(tmp_path_factory):
    """A fresh clone of a repository with a tiny config, set up as the README says, after the README's
    `.venv/bin/dvc repro`, `.venv/bin/dvc status` and `.venv/bin/dvc push` (their outputs by command)."""
    base = tmp_path_factory.mktemp("dvc")
    repo = copy_workflow(base / "origin")
    for part in (".dvc", ".dvcignore", ".gitignore", "README.md"):
        source = REPO / part
        shutil.copytree(source, repo / part) if source.is_dir() else shutil.copy2(source, repo / part)
    shutil.rmtree(repo / ".dvc/cache", ignore_errors=True)
    shutil.rmtree(repo / ".dvc/tmp", ignore_errors=True)
    (repo / ".dvc/config.local").unlink(missing_ok=True)
    # The real generator, restricted to the artifacts built here (the full default tree takes ~9 minutes).
    # The tiny config is the repository's config/config.yaml here: the README's commands run as written, and
    # `dvc exp run -S config/config.yaml:...` changes what Snakemake reads.
    config = merged(yaml.safe_load((repo / "config/config.yaml").read_text()), tiny_config())
    figures = {name: [f"results/{name}/{name}.png"] for name in ARTIFACTS}  # each of these has one main figure
    root, _ = load_generator().build(ARTIFACTS, [], shared=False, default=config, figures=figures)
    (repo / "dvc.yaml").write_text(yaml.safe_dump(root, sort_keys=False))
    (repo / "config/config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    sh(repo, sys.executable, "-m", "dvc", "remote", "add", "-f", "-d", "local", str(base / "remote"))
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "workflow")
    git(base, "clone", "-q", str(repo), "clone")
    clone = base / "clone"
    readme_setup(clone)
    env = {**unactivated_env(), **GIT_IDENTITY}
    outputs = {line: run_shell(clone, line, env) for line in README_REPRO}
    return clone, env, outputs


@pytest.fixture(scope="module")
def pulled(reproduced, tmp_path_factory):
    """A second clone of the reproduced one, after the results were committed and the README's `dvc pull`."""
    repo, env, _ = reproduced
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "results")
    clone = tmp_path_factory.mktemp("dvc-pull") / "clone"
    git(repo.parent, "clone", "-q", str(repo), str(clone))
    readme_setup(clone)
    run_shell(clone, README_PULL, env)
    return clone, env


def test_readme_dvc_commands_succeed_unactivated_and_leave_a_clean_status(reproduced):
    """Issue 16: `.venv/bin/dvc repro` in a fresh clone without activation runs every stage (bare `snakemake`
    is not on PATH there), and `dvc status` right after it reports nothing."""
    clone, env, outputs = reproduced
    assert set(README_REPRO) | {README_PULL} <= set(readme_commands()), "the README's DVC commands changed"
    assert shutil.which("snakemake", path=env["PATH"]) is None or not Path(
        shutil.which("snakemake", path=env["PATH"])).resolve().is_relative_to(Path(sys.prefix).resolve())
    repro = outputs[".venv/bin/dvc repro"]
    for stage in [*ARTIFACTS, "snakemake_metadata"]:
        assert f"Running stage '{stage}'" in repro, repro
    assert (clone / "results/fig5_highbw_1d/metrics.json").exists()
    assert outputs[".venv/bin/dvc status"].strip() == "Data and pipelines are up to date.", outputs
    # The same with the environment activated (plain `dvc`): a forced stage reruns through Snakemake, cleanly.
    activated = run_shell(clone, ". .venv/bin/activate && dvc repro -f linear_imbalance", env)
    assert "Running stage 'linear_imbalance'" in activated and "Nothing to be done" in activated, activated
    status = run_shell(clone, ". .venv/bin/activate && dvc status", env)
    assert status.strip() == "Data and pipelines are up to date.", status


def test_fresh_clone_after_dvc_pull_has_nothing_to_do(pulled):
    clone, env = pulled
    assert (clone / "results/fig5_highbw_1d/metrics.json").exists()
    assert planned_jobs(clone, *ARTIFACTS, overrides=tiny_config()) == {}
    out = run_shell(clone, ".venv/bin/dvc repro", env)
    assert "Data and pipelines are up to date" in out and "Running stage" not in out, out


def test_library_edit_in_the_pulled_clone_reruns_exactly_its_jobs(pulled):
    clone, _ = pulled
    jobs = planned_after_edit(clone, "models/linear_network.py", *ARTIFACTS, overrides=tiny_config())
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
    for artifact in [*generator.artifact_rules([]), *generator.artifact_rules(["config/paper.yaml"])]:
        assert artifact in stages, artifact


def test_dvc_metrics_show_reads_the_headline_numbers_without_warnings(pulled):
    clone, env = pulled
    result = subprocess.run(["bash", "-c", ".venv/bin/dvc metrics show --json"], cwd=clone, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and "failed" not in result.stderr.lower(), result.stderr
    shown = json.loads(result.stdout)[""]["data"]
    folder = clone / "results/fig5_highbw_1d/headline"
    files = sorted(path.name for path in folder.iterdir())  # nothing but headline files: no .snakemake_timestamp
    assert "protocol.json" in files and "noise_bce.json" in files, files
    assert all(name.endswith(".json") for name in files), files
    for name in files:  # every file of the folder is a metrics file DVC read, numbers only
        numbers = shown[f"results/fig5_highbw_1d/headline/{name}"]["data"]
        assert numbers == json.loads((folder / name).read_text())
        assert numbers and all(isinstance(v, int | float) for v in numbers.values())
    assert "test_mse" in shown["results/fig5_highbw_1d/headline/noise_bce.json"]["data"]
    table = subprocess.run(["bash", "-c", ".venv/bin/dvc metrics show -R results/fig5_highbw_1d/headline"],
                           cwd=clone, env=env, capture_output=True, text=True, timeout=300)
    lines = table.stdout.splitlines()
    assert len(lines) == 1 + len(files) and max(map(len, lines)) <= 120, table.stdout  # a row a file, narrow
    assert "timestamp" not in table.stdout and all(line.split()[0].endswith(".json") for line in lines[1:])
    plots = subprocess.run(["bash", "-c", ".venv/bin/dvc plots show --json"], cwd=clone, env=env,
                           capture_output=True, text=True, timeout=300)
    assert plots.returncode == 0 and "failed" not in plots.stderr.lower(), plots.stderr
    shown = json.loads(plots.stdout)
    assert not shown.get("errors"), shown["errors"]  # what `dvc plots show` prints as warnings
    assert "results/fig5_highbw_1d/fig5_highbw_1d.png" in shown["data"]
    # Training MSE per step drawn from data: every run's column of every variant's curves file.
    curve = shown["data"]["fig5_highbw_1d_noise_bce_train_mse"][0]
    assert curve["type"] == "vega", curve
    assert {point["field"] for point in curve["content"]["data"]["values"]} == {"mse_seed0", "mse_seed1"}
    config = yaml.safe_load((clone / "config/config.yaml").read_text())
    cases = [case["name"] for case in config["related"]["linear_imbalance"]["cases"]]
    bound = shown["data"]["linear_imbalance_loss_vs_bound"][0]
    assert {point["field"] for point in bound["content"]["data"]["values"]} == {
        f"{kind}_{case}" for kind in ("loss", "bound") for case in cases}
    steps = config["toy"]["experiments"]["fig5_highbw_1d"]["variants"]["noise_bce"]["train"]["steps"]
    csv_lines = (clone / "results/fig5_highbw_1d/curves/noise_bce.csv").read_text().splitlines()
    assert csv_lines[0] == "step,mse_seed0,mse_seed1" and len(csv_lines) == 1 + steps + 1


def test_dvc_exp_run_reruns_only_what_a_param_changes_and_exp_show_has_its_headline(pulled):
    """`dvc exp run -S` on one variant's learning rate: DVC runs only that artifact's stage, Snakemake only that
    variant's jobs; `dvc exp show --only-changed` has the param and the headline numbers that moved; `dvc exp
    apply` leaves a tree where Snakemake has nothing to do. (Last in this module: it changes the pulled clone.)"""
    clone, env = pulled
    key = "toy.experiments.fig5_highbw_1d.variants.noise_bce.init.lr"
    out = run_shell(clone, f".venv/bin/dvc exp run -n lr002 -S 'config/config.yaml:{key}=0.002'", env)
    assert "Running stage 'fig5_highbw_1d'" in out and "Running stage 'linear_imbalance'" not in out, out
    assert job_counts(out, every_table=True) == {"toy_train": 1, "toy_analyze": 1, "toy_plot": 1, "toy_curves": 1,
                                                 "headline": 1, "fig5_highbw_1d": 1}, out
    result = subprocess.run(["bash", "-c", ".venv/bin/dvc exp show --only-changed --csv"], cwd=clone, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and "failed" not in result.stderr.lower(), result.stderr
    header, *rows = result.stdout.splitlines()
    columns = header.split(",")
    assert key in columns and any("noise_bce.json:test_mse" in column for column in columns), header
    assert any(row.startswith("lr002,") or ",lr002," in row for row in rows), result.stdout
    run_shell(clone, ".venv/bin/dvc exp apply lr002", env)
    assert yaml.safe_load((clone / "config/config.yaml").read_text())["toy"]["experiments"]["fig5_highbw_1d"][
        "variants"]["noise_bce"]["init"]["lr"] == 0.002
    assert planned_jobs(clone, *ARTIFACTS) == {}
