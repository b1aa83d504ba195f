"""Workflow no-op overhead: `snakemake -n` and `dvc status` on a completed results tree; goal <= 5 s each.

    .venv/bin/python benchmarks/workflow_overhead.py

Uses this repository when its default tree is complete (`snakemake -n` plans nothing); otherwise builds a tiny
tree (fig5_highbw_1d + linear_imbalance, tiny config) in a temp dir and says so. Baseline in the same process:
`snakemake --version` (interpreter + import cost), so the ratio shows what the DAG and hashing add.
Last line: `workflow no-op: N.NN s` (the larger of the two).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
GOAL_S = 5.0


def timed(command: list[str], cwd: Path) -> tuple[float, str]:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    return elapsed, result.stdout + result.stderr


def main() -> None:
    snakemake = [sys.executable, "-m", "snakemake", "--cores", "1"]
    _, out = timed(snakemake + ["-n"], REPO)
    if "Nothing to be done" in out and (REPO / "dvc.lock").exists():
        tree, targets, extra = REPO, [], []
        print(f"tree: {REPO} (the default results tree, complete)")
    else:
        import shutil

        import yaml
        from conftest import copy_workflow, run_snakemake
        from test_dvc import ARTIFACTS, load_generator, sh, tiny_config

        tree = copy_workflow(Path(tempfile.mkdtemp()) / "wf")
        for part in (".dvc/config", ".dvcignore"):
            (tree / part).parent.mkdir(exist_ok=True)
            shutil.copy2(REPO / part, tree / part)
        root, _ = load_generator().build(ARTIFACTS, [], shared=False)
        (tree / "dvc.yaml").write_text(yaml.safe_dump(root, sort_keys=False))
        run_snakemake(tree, *ARTIFACTS, overrides=tiny_config())
        sh(tree, "git", "init", "-q")
        sh(tree, sys.executable, "-m", "dvc", "commit", "-f", "-q")
        targets, extra = ARTIFACTS, ["--configfile", "config/config.yaml", "test-config.yaml"]
        print(f"tree: no complete default tree in {REPO}; built a tiny one ({', '.join(ARTIFACTS)}) in {tree}")
    baseline, _ = timed(snakemake + ["--version"], tree)
    dry, out = timed(snakemake + ["-n", *targets, *extra], tree)
    assert "Nothing to be done" in out, out
    status, out = timed([sys.executable, "-m", "dvc", "status"], tree)
    print(f"snakemake --version (baseline): {baseline:.2f} s")
    print(f"snakemake -n: {dry:.2f} s ({dry / baseline:.1f}x baseline), goal <= {GOAL_S:.0f} s")
    print(f"dvc status:   {status:.2f} s ({status / baseline:.1f}x baseline), goal <= {GOAL_S:.0f} s")
    print(f"workflow no-op: {max(dry, status):.2f} s")


if __name__ == "__main__":
    main()
