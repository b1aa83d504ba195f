"""A.4 (table4_deep_hessian, fig9_deep_hessian): Hessians of the deep rules' checkpoints, end to end on a tiny
config; editing the Hessian engine reruns no training; a dataset without trained classifiers is refused."""

from __future__ import annotations

import copy

import pytest
import torch
from conftest import copy_workflow, load_test_config, planned_after_edit, planned_jobs, run_snakemake

from initgen.core.files import read_json
from initgen.experiments.classifier_hessian import train_subset

TARGETS = ("table4_deep_hessian", "fig9_deep_hessian")
TINY = load_test_config("deep_hessian")  # tests/configs/deep_hessian/config.yaml


def test_the_hessian_subset_is_seeded_and_the_same_for_every_run():
    images = torch.arange(100, dtype=torch.uint8).reshape(100, 1, 1, 1)
    labels = torch.arange(100) % 10
    first, first_labels = train_subset(images, labels, 30)
    again, _ = train_subset(images, labels, 30)
    assert torch.equal(first, again) and len(first) == 30 and len(set(first.flatten().tolist())) == 30
    assert torch.equal(first_labels, labels[first.flatten().long()])
    assert train_subset(images, labels, None)[0] is images and train_subset(images, labels, 500)[0] is images


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    workdir = copy_workflow(tmp_path_factory.mktemp("deep_hessian") / "wf")
    run_snakemake(workdir, *TARGETS, overrides=TINY)
    return workdir


@pytest.mark.slow
def test_tiny_config_builds_table4_and_fig9(built):
    results = built / "results"
    metrics = read_json(results / "table4_deep_hessian/metrics.json")
    runs = metrics["runs"]
    assert sorted((r["model"], r["init"], r["seed"]) for r in runs) == sorted(
        ("mlp", i, s) for i in ("random", "highbw") for s in (0, 1)
    )
    for run in runs:
        trained = read_json(results / f"deep/digits/mlp/{run['init']}/seed{run['seed']}/train.json")
        assert run["test_accuracy"] == trained["test_acc"] and run["train_accuracy"] == trained["train_acc"]
        assert run["samples"] == 64 and run["n_params"] == 150_794
        # the largest eigenvalue is at least the mean eigenvalue (trace / n), whatever the spectrum
        assert run["top_eigenvalue"] >= run["expected_eigenvalue"] - 3 * run["expected_eigenvalue_stderr"]
        assert run["trace_stderr"] >= 0 and run["top_eigenvalue_bound"] <= 1e-2 * abs(run["top_eigenvalue"])
    group = metrics["summary"]["dataset=digits/model=mlp/init=highbw"]
    assert group["trace"]["n"] == 2 and group["test_accuracy"]["n"] == 2
    per_run = read_json(results / "table4_deep_hessian/runs/digits/mlp/random/seed0.json")
    assert len(per_run["density"]["grid"]) == len(per_run["density"]["values"]) > 10
    table = (results / "table4_deep_hessian/table4_deep_hessian.md").read_text()
    assert "MLP (3 hidden) (high B/W)" in table and "±" in table
    figure = read_json(results / "fig9_deep_hessian/metrics.json")
    assert figure["artifact"] == "fig9_deep_hessian" and figure["runs"] == runs
    for suffix in (".png", ".pdf"):
        assert (results / f"fig9_deep_hessian/fig9_deep_hessian{suffix}").stat().st_size > 10_000


@pytest.mark.slow
def test_editing_the_hessian_engine_reruns_no_training(built):
    assert planned_jobs(built, *TARGETS, overrides=TINY) == {}
    jobs = planned_after_edit(built, "analysis/curvature/hessian.py", *TARGETS, overrides=TINY)
    assert jobs == {
        "deep_hessian": 4,
        "deep_hessian_table": 1,
        "deep_hessian_plot": 1,
        "table4_deep_hessian": 1,
        "fig9_deep_hessian": 1,
    }


@pytest.mark.slow
def test_a_dataset_without_trained_classifiers_is_refused(built):
    overrides = copy.deepcopy(TINY)
    overrides["deep_hessian"]["datasets"] = {"cifar10": ["resnet18"]}
    result = run_snakemake(built, "-n", *TARGETS, overrides=overrides, check=False)
    assert result.returncode != 0
    assert "deep_hessian.datasets.cifar10" in result.stdout + result.stderr
