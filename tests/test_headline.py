"""Headline numbers: a folder of small numbers-only files per artifact, derived from its metrics.json (what DVC
shows, one narrow row per file)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from initgen.analysis import protocol
from initgen.analysis.summaries import summarize, summarize_runs
from initgen.reporting.headline import artifact_checks, check_stems, cli_headline, headline, slug


def test_protocol_totals_then_key_results_when_no_claim_reads_the_artifact():
    runs = [{"variant": "relu", "depth": d, "seed": s, "test_mse": 0.1 * d + 0.01 * s, "steps_taken": 10.0 + s,
             "note": "x", "status": "diverged" if (d, s) == (4, 2) else "fitted"} for d in (2, 4) for s in range(3)]
    metrics = {
        "artifact": "fig1_depth",
        "definitions": {"test_mse": "mean squared error on the dense grid"},
        "runs": runs,
        "summary": {
            **summarize_runs(runs, ["variant", "depth"], ["test_mse", "steps_taken"]),
            "empty": {"test_mse": summarize([float("nan")])},  # mean None: left out
        },
        "protocol": protocol.counts(runs, ["variant", "depth"]),  # per group; the headline has the totals
    }
    assert headline(metrics) == {
        "protocol": {"runs": 6, "met": 5, "unfit": 0, "diverged": 1},
        "relu.depth-2": {"test_mse": np.mean([0.2, 0.21, 0.22])},  # a key result; steps_taken is a diagnostic
        "relu.depth-4": {"test_mse": np.mean([0.4, 0.41, 0.42])},
    }
    # Without a protocol key (artifacts without a stopping rule): only the summary. Without any key result: every
    # summarized mean, so that the headline is never empty.
    del metrics["protocol"]
    assert "protocol" not in headline(metrics)
    metrics["summary"] = {"trend": {"hf": {"per_seed": [1.0, 2.0], "summary": summarize([1.0, 2.0, 4.0])}},
                          "spearman": {"rho": 0.5, "ci_low": None, "verdict": "ok", "flag": True}}
    assert headline(metrics) == {"trend.hf": {"summary": 7 / 3}, "spearman": {"rho": 0.5}}


def test_claim_checks_on_the_artifact_replace_the_key_results(tmp_path):
    """Each check reading the artifact gives its estimate and interval ends in a file named for it (claim id,
    for_each value, the check's name); a check with for_each gets one file per value; checks on other artifacts
    are left out."""
    runs = [{"model": m, "init": i, "seed": s, "test_acc": 0.9 - 0.05 * (i == "highbw") + 0.01 * s,
             "status": "fitted", "met_protocol": True} for m in ("cnn", "mlp") for i in ("random", "highbw")
            for s in range(4)]
    metrics = {"runs": runs, "summary": summarize_runs(runs, ["model", "init"], ["test_acc"]),
               "protocol": protocol.counts(runs, ["model", "init"])}
    (tmp_path / "table1_x").mkdir()
    path = tmp_path / "table1_x" / "metrics.json"
    path.write_text(json.dumps(metrics))
    registry = {"defaults": {"alpha": 0.05, "min_n": 3, "test": "t"}, "claims": [
        {"id": "4", "statement": "s", "source": "p", "checks": [
            {"name": "elsewhere", "artifact": "fig1_depth", "values": {"runs": {"metric": "x"}},
             "direction": "greater", "threshold": 0.0},
            {"name": "lower test accuracy", "artifact": "table1_*", "for_each": "model",
             "values": {"paired": {"metric": "test_acc", "a": {"init": "highbw"}, "b": {"init": "random"},
                                   "pair_by": "seed"}},
             "direction": "less", "threshold": -0.01}]}]}
    files = headline(metrics, artifact_checks(registry, path))
    # the key results are the claim numbers
    assert list(files) == ["protocol", "claim4.cnn-lower-test-accuracy", "claim4.mlp-lower-test-accuracy"]
    assert list(files["protocol"]) == ["runs", "met", "unfit", "diverged"]
    assert list(files["claim4.mlp-lower-test-accuracy"]) == ["est", "lo", "hi"]
    # highbw minus random, the same in every pair
    assert files["claim4.mlp-lower-test-accuracy"]["est"] == pytest.approx(-0.05)


def test_check_file_names_are_slugs_of_the_name_short_and_unique_per_artifact():
    assert slug("test accuracy high-B/W minus random") == "test-accuracy-high-b-w-minus-random"
    long = "ASI test MSE does not grow with the initial output's magnitude (log-log slope)"
    assert slug(long) == "asi-test-mse-does-not-grow-with-the-initial-output"  # cut at a word, <= 50
    assert len(slug(long)) <= 50 and slug("x" * 80) == "x" * 50
    checks = [{"claim": "5-deep", "name": "trace vs test accuracy", "for_each_values": ["digits", "cnn"]},
              {"claim": "ASI", "name": long, "for_each_values": []},
              {"claim": "ASI", "name": long + " again", "for_each_values": []},  # the same 50 characters
              {"claim": "ASI", "name": long, "for_each_values": []}]
    assert check_stems(checks) == ["claim5-deep.digits-cnn-trace-vs-test-accuracy",
                                   "claimASI.asi-test-mse-does-not-grow-with-the-initial-output",
                                   "claimASI.asi-test-mse-does-not-grow-with-the-initial-output-2",
                                   "claimASI.asi-test-mse-does-not-grow-with-the-initial-output-3"]


def test_cli_writes_one_finite_numbers_only_file_per_entry_and_replaces_the_old_folder(tmp_path):
    metrics = {"summary": {"a/k=1": {"x": summarize([1.0, 3.0])}, "b": {"x": summarize([])}}, "runs": [{"x": 1.0}]}
    (tmp_path / "metrics.json").write_text(json.dumps(metrics))
    out = tmp_path / "headline"
    out.mkdir()
    (out / "stale.json").write_text("{}")  # from an earlier run: gone afterwards
    index = tmp_path / "headline.json"
    assert cli_headline(["--metrics", str(tmp_path / "metrics.json"), "--out", str(out), "--index", str(index)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["a.k-1.json"]  # nothing else: DVC shows every file
    written = json.loads((out / "a.k-1.json").read_text())
    assert written == {"x": 2.0}
    assert all(isinstance(v, int | float) and math.isfinite(v) for v in written.values())
    assert json.loads(index.read_text()) == {"a.k-1": {"x": 2.0}}  # the folder in one file: what Snakemake tracks
    # no staging folder left
    assert sorted(p.name for p in tmp_path.iterdir()) == ["headline", "headline.json", "metrics.json"]


def test_runs_table_has_one_row_per_run_and_blanks_for_missing_values():
    from initgen.reporting.headline import runs_table

    metrics = {"runs": [{"init": "random", "fraction": None, "test_acc": 0.9, "history": [1, 2]},
                        {"init": "corrupt0.5", "fraction": 0.5, "test_acc": float("nan"), "converged": True}]}
    assert runs_table(metrics) == "init,fraction,test_acc,converged\nrandom,,0.9,\ncorrupt0.5,0.5,,True\n"


def test_toy_curves_one_column_per_run_at_most_max_rows():
    from initgen.reporting.curves import MAX_ROWS, curve_table

    losses = np.stack([np.linspace(1.0, 0.0, 2001)[:, None] * np.array([1.0, 2.0]) for _ in range(2)])  # [2, 2001, 2]
    losses[1, 5:, 1] = np.nan  # a diverged run: empty cells
    lines = curve_table(losses, depths=[2, 4], seeds=[0, 7]).splitlines()
    assert lines[0] == "step,mse_depth2_seed0,mse_depth2_seed7,mse_depth4_seed0,mse_depth4_seed7"
    assert len(lines) == 1 + MAX_ROWS and lines[1] == "0,1,2,1,2" and lines[-1] == "2000,0,0,0,"
    single = curve_table(losses[:1, :3], depths=[3], seeds=[0, 7]).splitlines()
    assert single == ["step,mse_seed0,mse_seed7", "0,1,2", "1,0.9995,1.999", "2,0.999,1.998"]


def test_linear_curves_mean_loss_and_bound_per_case():
    from initgen.reporting.curves import linear_curve_table

    runs = {"case_names": np.asarray(["a", "b"]), "iterations": np.asarray([0, 50]),
            "losses": np.asarray([[[1.0, 0.5], [3.0, 1.5]], [[2.0, 1.0], [2.0, 1.0]]]),  # [cases, seeds, recorded]
            "bound": np.asarray([[[1.0, 0.8], [3.0, 1.0]], [[2.0, 1.5], [2.0, 1.5]]])}
    assert linear_curve_table(runs).splitlines() == [
        "iteration,loss_a,loss_b,bound_a,bound_b", "0,2,2,2,2", "50,1,1,0.9,1.5"]
