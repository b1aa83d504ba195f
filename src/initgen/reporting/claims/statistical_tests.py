"""Estimate and interval of a check's values (t, bootstrap, every value), and the units that would decide it."""

from __future__ import annotations

import math

import numpy as np

from initgen.analysis.statistics import seeds_for_correlation, seeds_for_t, t_interval
from initgen.reporting.claims.registry import BOOTSTRAP_RESAMPLES


def test_values(values: np.ndarray, test: str, alpha: float, ratio: bool, seed: int = 0) -> dict:
    """Estimate and (1 - alpha) two-sided interval of the mean (geometric mean for ratios)."""
    data = np.log(values) if ratio else values
    data = data[np.isfinite(data)]
    n = int(data.size)
    out = {"n": n, "n_dropped": int(values.size - n), "estimate": None, "ci_low": None, "ci_high": None}
    if n == 0:
        return out
    mean = float(data.mean())
    if n == 1:
        low = high = None
    elif test == "every":
        low, high = float(data.min()), float(data.max())
    elif test == "bootstrap":
        rng = np.random.default_rng(seed)
        means = data[rng.integers(0, n, size=(BOOTSTRAP_RESAMPLES, n))].mean(axis=1)
        low, high = (float(q) for q in np.quantile(means, [alpha / 2, 1 - alpha / 2]))
    else:
        low, high = t_interval(data, 1 - alpha)
    back = math.exp if ratio else float
    out.update(estimate=back(mean), ci_low=None if low is None else back(low),
               ci_high=None if high is None else back(high))
    return out


def units_to_decide(values: np.ndarray, values_spec: dict, result: dict, check: dict, alpha: float) -> int | None:
    """Valid units (seeds, pairs, or runs for a correlation) at which the check would be decided with 80% power,
    if the observed estimate and spread were the truth."""
    threshold = float(check["threshold"])
    if "correlation" in values_spec:
        return None if result["estimate"] is None else seeds_for_correlation(result["estimate"], threshold, alpha)
    ratio = values_spec.get("combine") == "ratio"
    data = np.log(values) if ratio else np.asarray(values, float)
    data = data[np.isfinite(data)]
    if data.size < 2:
        return None
    return seeds_for_t(float(data.mean()), float(data.std(ddof=1)), math.log(threshold) if ratio else threshold,
                       alpha)  # fmt: skip
