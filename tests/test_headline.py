"""Headline numbers: a flat numbers-only file per artifact, derived from its metrics.json (what DVC shows)."""

from __future__ import annotations

import json
import math

import numpy as np

from initgen import protocol
from initgen.headline import cli_headline, headline
from initgen.results import summarize, summarize_runs


def test_group_means_per_metric_protocol_counts_and_nothing_else():
    runs = [{"variant": "relu", "depth": d, "seed": s, "test_mse": 0.1 * d + 0.01 * s, "note": "x",
             "status": "diverged" if (d, s) == (4, 2) else "fitted"} for d in (2, 4) for s in range(3)]
    metrics = {
        "artifact": "fig1_depth",
        "definitions": {"test_mse": "mean squared error on the dense grid"},
        "runs": runs,
        "summary": {
            **summarize_runs(runs, ["variant", "depth"], ["test_mse"]),
            "trend": {"hf": {"per_seed": [1.0, 2.0], "summary": summarize([1.0, 2.0, 4.0])}},
            "empty": {"test_mse": summarize([float("nan")])},  # mean None: left out
            "spearman": {"rho": 0.5, "ci_low": None, "verdict": "ok", "flag": True},
        },
        "protocol": protocol.counts(runs, ["variant", "depth"]),  # per group; the headline has the totals
    }
    assert headline(metrics) == {
        "protocol.runs": 6,
        "protocol.met_protocol": 5,
        "protocol.not_fitted": 0,
        "protocol.diverged": 1,
        "relu/depth=2.test_mse": np.mean([0.2, 0.21, 0.22]),
        "relu/depth=4.test_mse": np.mean([0.4, 0.41, 0.42]),
        "trend.hf.summary": 7 / 3,
        "spearman.rho": 0.5,
    }
    # Without a protocol key (artifacts without a stopping rule): only the summary.
    del metrics["protocol"]
    assert not any(key.startswith("protocol") for key in headline(metrics))


def test_cli_writes_a_flat_finite_numbers_only_file(tmp_path):
    metrics = {"summary": {"a": {"x": summarize([1.0, 3.0])}, "b": {"x": summarize([])}}, "runs": [{"x": 1.0}]}
    (tmp_path / "metrics.json").write_text(json.dumps(metrics))
    assert cli_headline(["--metrics", str(tmp_path / "metrics.json"), "--out", str(tmp_path / "headline.json")]) == 0
    written = json.loads((tmp_path / "headline.json").read_text())
    assert written == {"a.x": 2.0}
    assert all(isinstance(v, int | float) and math.isfinite(v) for v in written.values())


def test_runs_table_has_one_row_per_run_and_blanks_for_missing_values():
    from initgen.headline import runs_table

    metrics = {"runs": [{"init": "random", "fraction": None, "test_acc": 0.9, "history": [1, 2]},
                        {"init": "corrupt0.5", "fraction": 0.5, "test_acc": float("nan"), "converged": True}]}
    assert runs_table(metrics) == "init,fraction,test_acc,converged\nrandom,,0.9,\ncorrupt0.5,0.5,,True\n"


def test_toy_curves_one_column_per_run_at_most_max_rows():
    from initgen.curves import MAX_ROWS, curve_table

    losses = np.stack([np.linspace(1.0, 0.0, 2001)[:, None] * np.array([1.0, 2.0]) for _ in range(2)])  # [2, 2001, 2]
    losses[1, 5:, 1] = np.nan  # a diverged run: empty cells
    lines = curve_table(losses, depths=[2, 4], seeds=[0, 7]).splitlines()
    assert lines[0] == "step,mse_depth2_seed0,mse_depth2_seed7,mse_depth4_seed0,mse_depth4_seed7"
    assert len(lines) == 1 + MAX_ROWS and lines[1] == "0,1,2,1,2" and lines[-1] == "2000,0,0,0,"
    single = curve_table(losses[:1, :3], depths=[3], seeds=[0, 7]).splitlines()
    assert single == ["step,mse_seed0,mse_seed7", "0,1,2", "1,0.9995,1.999", "2,0.999,1.998"]


def test_linear_curves_mean_loss_and_bound_per_case():
    from initgen.curves import linear_curve_table

    runs = {"case_names": np.asarray(["a", "b"]), "iterations": np.asarray([0, 50]),
            "losses": np.asarray([[[1.0, 0.5], [3.0, 1.5]], [[2.0, 1.0], [2.0, 1.0]]]),  # [cases, seeds, recorded]
            "bound": np.asarray([[[1.0, 0.8], [3.0, 1.0]], [[2.0, 1.5], [2.0, 1.5]]])}
    assert linear_curve_table(runs).splitlines() == [
        "iteration,loss_a,loss_b,bound_a,bound_b", "0,2,2,2,2", "50,1,1,0.9,1.5"]
