"""Exp 5 (table2_flat_minima, fig4_flat_minima): signal draws, the curvature at trained minima against finite
differences of the loss slice, a tiny end-to-end Snakemake run, and rerun-only-what-changed."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import yaml
from conftest import REPO, copy_workflow, planned_after_edit, planned_jobs, run_snakemake

from initgen.analysis.curvature.hessian import resolve_settings
from initgen.core.errors import ConfigError
from initgen.core.files import read_json
from initgen.experiments.flat_minima import minimum_metrics
from initgen.experiments.flat_minima_train import draw_signal, train_variant

TARGETS = ("table2_flat_minima", "fig4_flat_minima")
SMALL_HESSIAN = {"max_lanczos_steps": 60, "density_probes": 2, "density_steps": 20, "trace_max_probes": 30}


def tiny_flat_config() -> dict:
    """The default Exp 5 config shrunk: width 32, depth 3, 2 draws x 2 seeds, short pre-training."""
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    flat = copy.deepcopy(config["flat_minima"])
    flat |= {"seeds": [0, 1], "draws": 2, "test_points": 256, "hessian": SMALL_HESSIAN}
    for variant in flat["variants"].values():
        variant["model"] |= {"width": 32, "depth": 3}
        variant["train"]["steps"] = 3000
        if "steps" in variant["init"]:
            variant["init"]["steps"] = 300
    return {"seeds": [0, 1], "flat_minima": flat}


def test_signal_draws_are_seeded_and_inside_their_ranges():
    spec = {"draw_seed": 0, "amplitudes": [0.5, 1.0], "frequencies": [0.25, 1.25]}
    draws = [draw_signal(d, spec) for d in range(5)]
    assert draws == [draw_signal(d, spec) for d in range(5)]  # same spec, same signals
    assert len({tuple(d["freqs"]) for d in draws}) == 5  # every draw differs
    for d in draws:
        assert all(0.5 <= a <= 1.0 for a in d["amps"]) and all(0.25 <= f <= 1.25 for f in d["freqs"])
    assert draw_signal(0, spec | {"draw_seed": 1}) != draws[0]


def test_top_eigenvalue_equals_the_slice_curvature_at_a_trained_gaussian_minimum(one_thread):
    """Lanczos on H (autograd) vs central differences of L(theta + t v): two independent routes to v^T H v."""
    flat = tiny_flat_config()["flat_minima"]
    job = {k: flat[k] for k in ("draws", "draw_seed", "amplitudes", "frequencies", "train_x", "test_points")}
    job["variant"] = flat["variants"]["gaussian_high"]
    data = train_variant(job | {"draws": 1}, [0, 1])
    settings = resolve_settings(SMALL_HESSIAN)
    records = minimum_metrics(data, settings, {"t_max": 0.05, "points": 21, "fd_step": 1e-5}, stop_mse=1e-3)
    assert [(r["draw"], r["seed"]) for r in records] == [(0, 0), (0, 1)]
    for record in records:
        assert record["converged"], record["train_mse"]
        top = record["top_eigenvalue"]
        assert record["slice"]["curvature_fd"] == pytest.approx(top, rel=0.05)
        assert record["slice"]["eigenvalue"] == pytest.approx(top, rel=1e-3)
        # at a converged minimum the loss along the sharpest direction is lowest near t = 0
        t, loss = np.asarray(record["slice"]["t"]), np.asarray(record["slice"]["train_mse"])
        assert abs(t[np.argmin(loss)]) <= 2 * (t[1] - t[0])
        assert loss.max() > 10 * loss.min()  # ... and rises steeply away from it
        assert record["test_mse"] == pytest.approx(record["test_mse_trained"], rel=1e-3)


def test_an_empty_range_is_refused_with_its_key():
    flat = tiny_flat_config()["flat_minima"]
    job = {k: flat[k] for k in ("draws", "draw_seed", "amplitudes", "frequencies", "train_x", "test_points")}
    with pytest.raises(ConfigError, match="flat_minima.frequencies"):
        train_variant(job | {"frequencies": [2.0, 1.0], "variant": flat["variants"]["relu_low"]}, [0])


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    workdir = copy_workflow(tmp_path_factory.mktemp("flat") / "wf")
    run_snakemake(workdir, *TARGETS, overrides=tiny_flat_config())
    return workdir


@pytest.mark.slow
def test_tiny_config_builds_table2_and_fig4(built):
    results = built / "results"
    metrics = read_json(results / "table2_flat_minima/metrics.json")
    runs = metrics["runs"]
    # every activation x bandwidth x draw x seed is one minimum
    assert sorted((r["activation"], r["bandwidth"], r["draw"], r["seed"]) for r in runs) == sorted(
        (a, b, d, s) for a in ("relu", "gaussian") for b in ("low", "high") for d in (0, 1) for s in (0, 1)
    )
    for run in runs:
        assert {"trace", "trace_stderr", "top_eigenvalue", "test_mse", "train_mse", "converged"} <= set(run)
        assert run["converged"] == (run["train_mse"] < 1e-3)
        assert run["top_eigenvalue"] > 0 and run["trace_stderr"] >= 0 and run["test_mse"] > 0
    assert set(metrics["summary"]) == {f"{a}/bandwidth={b}" for a in ("relu", "gaussian") for b in ("low", "high")}
    # summaries are over the minima only (runs that reached the stopping rule); the others are counted
    low = [r for r in runs if (r["activation"], r["bandwidth"]) == ("relu", "low")]
    assert metrics["summary"]["relu/bandwidth=low"]["trace"]["n"] == sum(r["converged"] for r in low)
    assert {(p["activation"], p["bandwidth"]): p["runs"] for p in metrics["protocol"]}[("relu", "low")] == 4
    for activation in ("relu", "gaussian"):
        for key in ("trace_vs_test_mse", "top_eigenvalue_vs_test_mse"):
            result = metrics["flatness_vs_error"][activation][key]
            converged = [r for r in runs if r["activation"] == activation and r["converged"]]
            assert result["n"] == len(converged) >= 3 and -1 <= result["rho"] <= 1
    # The Gaussian networks are smooth: their slice curvature at t = 0 is the top eigenvalue. ReLU networks are
    # piecewise polynomial in the weights; a slice crossing a kink within fd_step may differ, most do not.
    for activation, quantile in (("gaussian", 1.0), ("relu", 0.5)):
        errors = [
            abs(r["slice_curvature_fd"] / r["top_eigenvalue"] - 1) for r in runs if r["activation"] == activation
        ]
        assert np.quantile(errors, quantile) < 0.05, (activation, errors)
    hessian = read_json(results / "table2_flat_minima/hessian/relu_low.json")["runs"][0]
    assert len(hessian["density"]["grid"]) == len(hessian["density"]["values"]) > 10
    assert len(hessian["slice"]["t"]) == len(hessian["slice"]["train_mse"]) == 41
    table = (results / "table2_flat_minima/table2_flat_minima.md").read_text()
    assert "Gaussian" in table and "High B/W" in table and "±" in table
    figure = read_json(results / "fig4_flat_minima/metrics.json")
    assert figure["artifact"] == "fig4_flat_minima" and figure["runs"] == runs
    for suffix in (".png", ".pdf"):
        assert (results / f"fig4_flat_minima/fig4_flat_minima{suffix}").stat().st_size > 20_000


@pytest.mark.slow
def test_editing_the_hessian_engine_reruns_curvature_but_no_training(built):
    assert planned_jobs(built, *TARGETS, overrides=tiny_flat_config()) == {}
    jobs = planned_after_edit(built, "analysis/curvature/hessian.py", *TARGETS, overrides=tiny_flat_config())
    assert jobs == {
        "flat_minima_hessian": 4,
        "flat_minima_analyze": 1,
        "flat_minima_plot": 1,
        "table2_flat_minima": 1,
        "fig4_flat_minima": 1,
    }
