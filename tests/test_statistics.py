"""One Spearman (initgen.analysis.statistics), one NaN policy: non-finite pairs are excluded, counted, never ranked."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from initgen.analysis.statistics import spearman, spearman_test, t_half_width, t_interval
from initgen.analysis.summaries import summarize
from initgen.reporting.claims import statistical_tests  # not its test_values by name: pytest would collect it


def test_non_finite_pairs_are_excluded_and_counted_never_ranked():
    x = [1.0, 2.0, 3.0, 4.0, None, float("nan"), 7.0]
    y = [1.0, 3.0, 2.0, 5.0, 9.0, 1.0, float("inf")]
    result = spearman_test(x, y)
    expected = stats.spearmanr([1, 2, 3, 4], [1, 3, 2, 5])
    assert result["n"] == 4
    assert result["rho"] == pytest.approx(expected.statistic) == spearman(x, y)
    assert result["p_value"] == pytest.approx(expected.pvalue)


def test_too_few_pairs_or_a_constant_side_decide_nothing():
    assert spearman_test([1.0, None, 3.0], [1.0, 2.0, float("nan")]) == {"rho": None, "p_value": None, "n": 1}
    constant = spearman_test([1.0, 1.0, 1.0, 1.0], [1.0, 2.0, 3.0, 4.0])
    assert constant["n"] == 4 and math.isnan(constant["rho"]) and math.isnan(constant["p_value"])
    with pytest.raises(ValueError, match="different lengths"):
        spearman([1.0, 2.0], [1.0])


def test_one_t_interval_for_summaries_and_claim_checks():
    # 1..5: mean 3, s = sqrt(2.5), t_{0.975, 4} = 2.7764451...; half = t * s / sqrt(5)
    assert t_half_width([1, 2, 3, 4, 5], 0.95) == pytest.approx(1.9632431614775572, rel=1e-12)
    assert t_interval([1, 2, 3, 4, 5], 0.90) == pytest.approx((3 - 1.5074433, 3 + 1.5074433), rel=1e-7)
    values = np.array([0.3, 1.7, 0.9, 2.4, 1.1, 0.6])
    low, high = t_interval(values, 0.95)
    assert (summarize(values)["ci_low"], summarize(values)["ci_high"]) == (low, high)  # the same bits
    check = statistical_tests.test_values(values, "t", 0.05, ratio=False)
    assert (check["ci_low"], check["ci_high"]) == (low, high)
    log_low, log_high = t_interval(np.log(values), 0.95)  # log-t: the t-interval of the logs, exponentiated
    positive = summarize(values, kind="positive")
    assert positive["ci_low"] == pytest.approx(math.exp(log_low), rel=1e-12)
    assert positive["ci_high"] == pytest.approx(math.exp(log_high), rel=1e-12)
    ratio = statistical_tests.test_values(values, "t", 0.05, ratio=True)
    assert ratio["ci_low"] == pytest.approx(math.exp(log_low), rel=1e-12)
