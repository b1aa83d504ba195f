"""End to end: the five 1-D artifacts on a tiny config, determinism, and rerun-only-what-changed."""

import copy
import hashlib

import pytest
import yaml
from conftest import REPO, copy_workflow, load_test_config, planned_after_edit, planned_jobs, run_snakemake
from snakemake.utils import update_config

TOY_TARGETS = ["fig1_depth", "fig2_spectral_bias", "fig3_init_spectrum", "fig5_highbw_1d", "fig7_decay_rates"]


def test_the_tiny_config_shrinks_every_1d_experiment_and_variant_of_the_default():
    """tests/configs/toy/config.yaml names each experiment and variant it shrinks: one added to config/config.yaml
    but not to it would run at full size in every workflow test that uses it."""
    toy = copy.deepcopy(yaml.safe_load((REPO / "config/config.yaml").read_text()))
    update_config(toy, load_test_config("toy"))  # Snakemake's own merge of the two config files
    toy = toy["toy"]
    full_size = []
    for name, experiment in toy["experiments"].items():
        if experiment["train_x"]["kind"] == "grid" and experiment["train_x"]["n"] > toy["grid_points"]:
            full_size.append(f"{name}.train_x.n")
        if max(experiment.get("depths", [0])) > 3:
            full_size.append(f"{name}.depths")
        for variant_name, variant in experiment["variants"].items():
            where = f"{name}.variants.{variant_name}"
            if variant["model"]["width"] > 16:
                full_size.append(f"{where}.model.width")
            if variant["train"]["steps"] > 40 or variant["init"].get("steps", 0) > 20:
                full_size.append(f"{where} steps")
            lr_by_depth = variant["train"].get("lr_by_depth")
            if lr_by_depth is not None and set(experiment["depths"]) - set(lr_by_depth):
                full_size.append(f"{where}.train.lr_by_depth")  # a tiny depth without its step size
    assert toy["grid_points"] <= 128
    assert full_size == []


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    workdir = copy_workflow(tmp_path_factory.mktemp("toy") / "wf")
    run_snakemake(workdir, *TOY_TARGETS, overrides=load_test_config("toy"))
    return workdir


def test_every_artifact_has_metrics_figures_and_tables(built):
    for artifact in TOY_TARGETS:
        folder = built / "results" / artifact
        metrics = yaml.safe_load((folder / "metrics.json").read_text())
        assert metrics["artifact"] == artifact
        assert metrics["runs"] and all("hf_fraction_init" in run for run in metrics["runs"])
        for group in metrics["summary"].values():
            assert {"mean", "std", "ci_low", "ci_high", "n"} <= set(group["centroid_init"])
        for suffix in (".png", ".pdf"):
            assert (folder / f"{artifact}{suffix}").stat().st_size > 5000
        for suffix in (".csv", ".md", ".tex"):
            assert (folder / f"summary{suffix}").stat().st_size > 100
    fig1 = yaml.safe_load((built / "results/fig1_depth/metrics.json").read_text())
    assert {(r["variant"], r["depth"]) for r in fig1["runs"]} == {
        (a, d) for a in ("relu", "gaussian", "sine") for d in (1, 2, 3)
    }
    assert set(fig1["trends"]) == {"relu", "gaussian", "sine"}
    fig2 = yaml.safe_load((built / "results/fig2_spectral_bias/metrics.json").read_text())
    assert all("spectral_bias_rho" in run and "converged_step_at_25" in run for run in fig2["runs"])
    fig3 = yaml.safe_load((built / "results/fig3_init_spectrum/metrics.json").read_text())
    assert all("kept_fraction_at_5" in run for run in fig3["runs"])


def test_same_seed_gives_identical_metrics(built, tmp_path):
    again = copy_workflow(tmp_path / "again")
    run_snakemake(again, "fig3_init_spectrum", overrides=load_test_config("toy"))
    for name in ("metrics.json", "spectra.npz"):
        first = (built / "results/fig3_init_spectrum" / name).read_bytes()
        second = (again / "results/fig3_init_spectrum" / name).read_bytes()
        assert hashlib.sha256(first).digest() == hashlib.sha256(second).digest(), name


def test_nothing_to_do_when_nothing_changed(built):
    assert planned_jobs(built, *TOY_TARGETS, overrides=load_test_config("toy")) == {}


def test_editing_the_spectrum_module_reruns_analysis_and_plots_only(built):
    jobs = planned_after_edit(built, "analysis/spectra.py", *TOY_TARGETS, overrides=load_test_config("toy"))
    assert jobs == {"toy_analyze": 5, "toy_plot": 5, **{target: 1 for target in TOY_TARGETS}}


def test_changing_one_variant_reruns_only_its_training(built):
    overrides = load_test_config("toy")
    overrides["toy"]["experiments"]["fig7_decay_rates"]["variants"]["small_variance"]["train"]["lr"] = 0.02
    jobs = planned_jobs(built, *TOY_TARGETS, overrides=overrides)
    assert jobs == {"toy_train": 1, "toy_analyze": 1, "toy_plot": 1, "fig7_decay_rates": 1}
