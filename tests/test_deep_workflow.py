"""The deep-classifier rules: the paper grid's job plan; a tiny end-to-end run of the default deep targets."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from conftest import load_test_config, planned_after_edit, planned_jobs, run_snakemake

from initgen.core.files import read_json

PAPER_MODELS = [
    "vgg11",
    "vgg16",
    "alexnet",
    "efficientnet_b0",
    "densenet121",
    "resnet18",
    "resnet50",
    "senet18",
    "convmixer",
]
DEEP_TARGETS = ("table1_digits", "fig6_input_gradients", "corruption_sweep")


def test_paper_config_plans_every_model_init_and_seed_for_table1_cifar10(workflow_copy):
    result = run_snakemake(workflow_copy, "-n", "table1_cifar10", "--configfile", "config/paper.yaml")
    text = result.stdout + result.stderr
    config = yaml.safe_load((workflow_copy / "config/config.yaml").read_text())
    seeds = config["deep"].get("seeds", config["seeds"])
    planned = set()
    for block in re.split(r"\n(?=(?:local)?rule )", text):
        match = re.search(r"wildcards: dataset=cifar10, model=(\w+), init=(\w+), seed=(\d+)", block)
        if match and block.startswith(("rule deep_train:", "rule deep_pretrain:")):
            planned.add((block.split(":")[0].split()[1],) + (match[1], match[2], int(match[3])))
    expected_train = {
        ("deep_train", m, i, s) for m in PAPER_MODELS for i in ("random", "highbw") for s in seeds
    }
    expected_pretrain = {("deep_pretrain", m, "highbw", s) for m in PAPER_MODELS for s in seeds}
    assert planned == expected_train | expected_pretrain
    jobs = planned_jobs(workflow_copy, "table1_cifar10", "--configfile", "config/paper.yaml")
    assert jobs["deep_train"] == 9 * 2 * len(seeds) and jobs["deep_pretrain"] == 9 * len(seeds)
    assert jobs["deep_table_cifar10"] == 1 and jobs["data_download_cifar10"] == 1
    # The paper config asks SLURM for a GPU per training job.
    assert re.search(r"rule deep_train:.*?resources:[^\n]*gpu=1[^\n]*cpus_per_gpu=8", text, re.S)


TINY = load_test_config("deep")  # tests/configs/deep/config.yaml


@pytest.mark.slow
def test_tiny_config_builds_the_default_deep_targets_end_to_end(workflow_copy: Path):
    run_snakemake(workflow_copy, *DEEP_TARGETS, overrides=TINY)
    results = workflow_copy / "results"

    table = read_json(results / "table1_digits/metrics.json")
    assert len(table["runs"]) == 2 * 2  # one model x (random, highbw) x 2 seeds
    assert {(r["init"], r["seed"]) for r in table["runs"]} == {
        (i, s) for i in ("random", "highbw") for s in (0, 1)
    }
    for run in table["runs"]:
        assert 0 <= run["test_acc"] <= 1 and 1 <= run["epochs"] <= 3
        assert (run["init"] == "highbw") == ("pretrain_epochs" in run)
    # the tiny config's 60% training target is met from the random init; the pre-training's 99% on shuffled labels
    # is not: the paired difference counts only seeds whose both runs met the protocol
    by_run = {(r["init"], r["seed"]): r["status"] for r in table["runs"]}
    assert [by_run[("random", s)] for s in (0, 1)] == ["fitted", "fitted"]
    both = [s for s in (0, 1) if by_run[("random", s)] == by_run[("highbw", s)] == "fitted"]
    diff = table["summary"]["mlp/highbw-random"]["test_acc"]
    assert diff["n"] == len(both)
    assert sum(row["runs"] for row in table["protocol"]) == 4
    assert sum(row["met_protocol"] for row in table["protocol"]) == sum(v == "fitted" for v in by_run.values())
    markdown = (results / "table1_digits/table1_digits.md").read_text()
    assert "MLP (3 hidden)" in markdown and "±" in markdown and "95% interval" in markdown
    for suffix in (".csv", ".tex"):
        assert (results / f"table1_digits/table1_digits{suffix}").stat().st_size > 0
    for stem in (
        "table1_digits/curves",
        "fig6_input_gradients/fig6_input_gradients",
        "corruption_sweep/corruption_sweep",
    ):
        for suffix in (".png", ".pdf"):
            assert (results / f"{stem}{suffix}").stat().st_size > 1000, stem

    fig6 = read_json(results / "fig6_input_gradients/metrics.json")
    assert len(fig6["runs"]) == 2 * 2 and all(r["bandwidth"] > 0 for r in fig6["runs"])
    assert fig6["summary"]["digits/mlp/highbw÷random"]["ratio"]["n"] == 2

    sweep = read_json(results / "corruption_sweep/metrics.json")
    assert sorted({r["init"] for r in sweep["runs"]}) == ["corrupt0.5", "highbw", "random"]
    changed = {r["init"]: r["pretrain_labels_changed"] for r in sweep["runs"] if r["init"] != "random"}
    assert 0.3 < changed["corrupt0.5"] < 0.5 < 0.8 < changed["highbw"] < 1

    # Checkpoints where the cluster layout says, resume files cleaned up after success.
    checkpoints = workflow_copy / "checkpoints/digits/mlp"
    assert (checkpoints / "highbw/seed1/pretrained.pt").exists() and (
        checkpoints / "random/seed0/final.pt"
    ).exists()
    assert not list(checkpoints.rglob("*_last.pt"))

    # Nothing left to do; editing the plotting code reruns only the plots, not training or analysis.
    assert planned_jobs(workflow_copy, *DEEP_TARGETS, overrides=TINY) == {}
    assert planned_after_edit(workflow_copy, "reporting/plots/classifiers.py", *DEEP_TARGETS, overrides=TINY) == {
        "deep_curves_digits": 1,
        "fig6_plot": 1,
        "corruption_plot": 1,
        "table1_digits": 1,
        "fig6_input_gradients": 1,
        "corruption_sweep": 1,
    }
