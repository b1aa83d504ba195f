"""One Spearman (initgen.analysis.statistics), one NaN policy: non-finite pairs are excluded, counted, never ranked."""

from __future__ import annotations

import math

import pytest
from scipy import stats

from initgen.analysis.statistics import spearman, spearman_test


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
