"""Summary intervals respect the quantity: log-t for positive quantities, inside the support for fractions."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from initgen.analysis.summaries import summarize, summarize_runs
from initgen.reporting.quantities import human_name, kind_of
from initgen.reporting.tables import interval, interval_caption, write_table


def skewed_runs(groups: int = 200, seeds: int = 3) -> list[dict]:
    """Seeded log-normal draws (sigma 1.5: a few seeds differ by an order of magnitude), like test MSEs or steps."""
    rng = np.random.default_rng(0)
    values = rng.lognormal(mean=-3.0, sigma=1.5, size=(groups, seeds))
    return [{"variant": f"g{g}", "seed": s, "test_mse": float(values[g, s]), "mystery_norm": float(values[g, s])}
            for g in range(groups) for s in range(seeds)]


def test_no_interval_of_a_positive_quantity_contains_negatives_on_a_skewed_sample():
    runs = skewed_runs()
    summary = summarize_runs(runs, ["variant"], ["test_mse", "mystery_norm"])
    for group in summary.values():
        for metric in ("test_mse", "mystery_norm"):  # by name, and by value for a name the mapping lacks
            stats = group[metric]
            assert stats["interval"] == "log-t" and stats["kind"] == "positive"
            assert 0 < stats["ci_low"] <= stats["estimate"] <= stats["ci_high"]
            assert {"mean", "std", "n", "ci_low", "ci_high"} <= set(stats)  # readers' keys kept
    # the old Student-t interval on the same sample goes negative in most groups: the test can fail
    plain = [summarize([r["test_mse"] for r in runs if r["variant"] == f"g{g}"]) for g in range(200)]
    assert sum(s["ci_low"] < 0 for s in plain) > 100


@pytest.mark.parametrize("n", [3, 5, 10])
def test_log_t_covers_the_geometric_mean_of_a_log_normal_95_percent_of_the_time(n):
    rng = np.random.default_rng(n)
    mu, sigma, trials = -2.0, 1.2, 4000
    truth = math.exp(mu)  # the geometric mean (and median) of the log-normal
    hits = 0
    for sample in rng.lognormal(mu, sigma, size=(trials, n)):
        stats = summarize(sample, kind="positive")
        hits += stats["ci_low"] <= truth <= stats["ci_high"]
    assert abs(hits / trials - 0.95) < 0.015, hits / trials


def test_fraction_intervals_stay_in_0_1_and_keep_the_t_coverage():
    stats = summarize([1.0, 1.0, 0.98], kind="fraction")  # train accuracies: logit intervals are undefined here
    assert stats["interval"] == "t-clipped[0,1]" and 0 <= stats["ci_low"] < stats["ci_high"] == 1.0
    assert stats["estimate"] == pytest.approx(stats["mean"])
    rng = np.random.default_rng(1)
    truth, trials, hits_clipped, hits_t = 0.97, 3000, 0, 0
    for sample in rng.beta(97, 3, size=(trials, 3)):  # mean 0.97, near the bound
        clipped, plain = summarize(sample, kind="fraction"), summarize(sample)
        assert 0 <= clipped["ci_low"] and clipped["ci_high"] <= 1
        hits_clipped += clipped["ci_low"] <= truth <= clipped["ci_high"]
        hits_t += plain["ci_low"] <= truth <= plain["ci_high"]
    # clipping drops no true value: the same coverage as the t-interval (92.5% here: 3 values of a skewed fraction)
    assert hits_clipped == hits_t and 0.90 < hits_t / trials < 0.97
    rho = summarize([0.9, 1.0, 0.2], kind="correlation")
    assert -1 <= rho["ci_low"] and rho["ci_high"] == 1.0


def test_kind_comes_from_the_name_and_for_unknown_names_from_the_values():
    assert kind_of("test_mse") == "positive" and kind_of("steps_taken") == "positive"
    assert kind_of("hf_fraction_init") == "fraction" and kind_of("test_acc") == "fraction"
    assert kind_of("kept_fraction_at_5") == "positive"  # after / before: may exceed 1
    assert kind_of("gap", [0.1, 0.2, 0.3]) == "real"  # a signed difference that happens to be positive
    assert kind_of("something_new", [0.1, 2.0]) == "positive" and kind_of("something_new", [-1, 2.0]) == "real"
    assert kind_of(None, [1.0, 2.0]) == "real"


def test_a_positive_quantity_with_a_zero_or_negative_value_falls_back_and_says_so():
    steps = summarize([0, 100, 5000], kind="positive")  # a variant that took no step
    assert steps["interval"] == "t-clipped[0,inf)" and steps["ci_low"] == 0.0
    trace = summarize([-0.5, 2.0, 3.0], kind="positive")  # a Hutchinson trace estimate below zero
    assert trace["interval"] == "t" and trace["ci_low"] < 0
    one = summarize([0.3], kind="positive")
    assert one["ci_low"] is None and one["estimate"] == pytest.approx(0.3) and interval(one) == "n/a"


def test_tables_use_the_human_names_and_name_the_interval(tmp_path):
    stats = {"test_mse": summarize([0.01, 0.1, 0.05], kind="positive"),
             "hf_fraction_init": summarize([0.2, 0.3, 0.25], kind="fraction")}
    frame = pd.DataFrame([{"run": "relu", **{k: interval(v, with_estimate=True) for k, v in stats.items()}}])
    caption = interval_caption(stats)
    assert "test MSE: geometric mean, log-t interval" in caption and "clipped to [0, 1]" in caption
    csv, md, tex = write_table(frame, tmp_path / "t", caption)
    for path in (csv, md, tex):
        text = path.read_text()
        assert "HF energy at init (fraction above Nyquist)" in text and "hf_fraction_init" not in text
    assert human_name("test_mse") in csv.read_text().splitlines()[0]
    geometric = math.exp(np.mean(np.log([0.01, 0.1, 0.05])))
    assert frame.loc[0, "test_mse"].startswith(f"{geometric:.3g} [")
