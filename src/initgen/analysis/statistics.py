"""Rank correlation, its interval, and how many seeds would decide a check (torch-free, used by claims and analyses).

NaN policy, everywhere: a pair with a non-finite value is excluded and counted by the caller, never ranked
(a diverged run is not "the worst value").
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

POWER = 0.8  # our choice: the usual 80% power for "seeds that would decide"
MAX_SEEDS = 10_000  # beyond this we say "more than 10,000" rather than search on


def finite_pairs(x, y) -> tuple[np.ndarray, np.ndarray]:
    """The pairs (x_i, y_i) where both values are finite (None counts as not finite), as two float arrays."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.shape != y.shape:
        raise ValueError(f"paired values of different lengths: {x.shape} and {y.shape}")
    keep = np.isfinite(x) & np.isfinite(y)
    return x[keep], y[keep]


def spearman(x, y) -> float:
    """Spearman's rho over the pairs where both values are finite; NaN with fewer than 3 or a constant side."""
    x, y = finite_pairs(x, y)
    if x.size < 3 or np.all(x == x[0]) or np.all(y == y[0]):
        return float("nan")
    return float(stats.spearmanr(x, y).statistic)


def spearman_test(x, y) -> dict:
    """spearman (same NaN policy) with its two-sided p-value and n, the number of finite pairs it used:
    {"rho", "p_value", "n"}; rho and p_value are None with fewer than 3 pairs, NaN with a constant side."""
    fx, fy = finite_pairs(x, y)
    if fx.size < 3:
        return {"rho": None, "p_value": None, "n": int(fx.size)}
    rho = spearman(fx, fy)
    p_value = float(stats.spearmanr(fx, fy).pvalue) if math.isfinite(rho) else float("nan")
    return {"rho": rho, "p_value": p_value, "n": int(fx.size)}


def fisher_interval(rho: float, n: int, alpha: float) -> tuple[float, float]:
    """Interval of a Spearman rho by Fisher's z with the Fieller-Hartley-Pearson variance 1.06 / (n - 3)."""
    if n <= 3 or not math.isfinite(rho):
        return float("nan"), float("nan")
    z = math.atanh(max(min(rho, 0.999999), -0.999999))
    half = stats.norm.ppf(1 - alpha / 2) * math.sqrt(1.06 / (n - 3))
    return math.tanh(z - half), math.tanh(z + half)


def t_half_width(values, confidence: float) -> float:
    """Half-width of the two-sided `confidence` t-interval of the mean of `values` (at least 2, all finite):
    t_{(1+confidence)/2, n-1} * s / sqrt(n). The one t computation of summaries and claim checks."""
    values = np.asarray(values, float)
    n = values.size
    return float(stats.t.ppf(0.5 + confidence / 2, df=n - 1)) * float(values.std(ddof=1)) / math.sqrt(n)


def t_interval(values, confidence: float) -> tuple[float, float]:
    """The two-sided `confidence` t-interval of the mean of `values` (at least 2, all finite), on their scale:
    a log-t interval is this of the logs, exponentiated by the caller."""
    mean = float(np.mean(values))
    half = t_half_width(values, confidence)
    return mean - half, mean + half


def t_test_power(effect: float, n: int, alpha: float) -> float:
    """Power of the two-sided one-sample t-test at standardized effect |mean - threshold| / sd with n values."""
    if n < 2:
        return 0.0
    df = n - 1
    critical = stats.t.ppf(1 - alpha / 2, df)
    shift = abs(effect) * math.sqrt(n)
    return float(stats.nct.sf(critical, df, shift) + stats.nct.cdf(-critical, df, shift))


def seeds_for_t(mean: float, sd: float, threshold: float, alpha: float, power: float = POWER) -> int | None:
    """Smallest n at which a t-interval excludes `threshold` with probability `power`, if the observed mean and
    sd were the truth. None when the mean sits on the threshold (no n decides it) or beyond MAX_SEEDS."""
    if not (math.isfinite(mean) and math.isfinite(sd)) or sd <= 0 or mean == threshold:
        return None
    effect = (mean - threshold) / sd
    n = 2
    while t_test_power(effect, n, alpha) < power:
        n = n + 1 if n < 200 else int(n * 1.05) + 1
        if n > MAX_SEEDS:
            return None
    return n


def seeds_for_correlation(rho: float, threshold: float, alpha: float, power: float = POWER) -> int | None:
    """Smallest n at which the Fisher-z interval of a rank correlation excludes `threshold` with probability
    `power`, if `rho` were the truth (normal approximation with the 1.06 / (n - 3) variance)."""
    if not math.isfinite(rho) or rho == threshold or abs(threshold) >= 1:
        return None
    clip = 0.999999
    gap = abs(math.atanh(max(min(rho, clip), -clip)) - math.atanh(threshold))
    n = 1.06 * ((stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)) / gap) ** 2 + 3
    n = math.ceil(n)
    return n if n <= MAX_SEEDS else None
