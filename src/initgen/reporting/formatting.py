"""Numbers as table text, one helper per format (torch-free; tables, reports and figure titles use these).

From a results.summarize() dict ({mean, std, n, ci_low, ci_high, estimate?}); every helper prints 'n/a' when the
number is missing:
    mean_pm_std(stats)          '0.123 ± 0.0456'            (mean alone when n = 1)
    mean_pm_std_short(stats)    '0.123 ± 0.046'             the std to 2 significant digits
    bounds(low, high)           '[0.1, 0.2]'                any interval, 'n/a' when an end is None or NaN
    interval(stats)             '[0.1, 0.2]'                (with_estimate: '0.15 [0.1, 0.2]')
    percent(stats)              '12.34 ± 0.56'              fractions in percent
    percent_interval(stats)     '[12.00, 13.00]'            signed=True: '[+1.20, -0.30]' (differences, pp)
    number(value)               '0.123'                     one value, 3 significant digits
    rho(result)                 '+0.52 (n=8)'               a statistics.spearman_test() result
Column names come from initgen.reporting.quantities (human names), not from here.
"""

from __future__ import annotations

import math


def number(value, digits: int = 3) -> str:
    """One value with `digits` significant digits; 'n/a' for None."""
    return "n/a" if value is None else f"{value:.{digits}g}"


def bounds(low, high, spec: str = ".3g") -> str:
    """'[low, high]' with each end in format `spec`; 'n/a' when either end is None or not finite (a NaN interval
    decided nothing, so it must not read as one)."""
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return "n/a"
    return f"[{low:{spec}}, {high:{spec}}]"


def mean_pm_std(stats: dict, digits: int = 3) -> str:
    """'mean ± std' from a results.summarize() dict ('n/a' when missing, mean alone when n = 1)."""
    if not stats or stats.get("mean") is None:
        return "n/a"
    if stats.get("std") is None:
        return f"{stats['mean']:.{digits}g}"
    return f"{stats['mean']:.{digits}g} ± {stats['std']:.{digits}g}"


def mean_pm_std_short(stats: dict) -> str:
    """'mean ± std' with the mean to 3 and the std to 2 significant digits ('n/a' when missing)."""
    if not stats or stats.get("mean") is None:
        return "n/a"
    return f"{stats['mean']:.3g}" + ("" if stats.get("std") is None else f" ± {stats['std']:.2g}")


def interval(stats: dict, digits: int = 3, with_estimate: bool = False) -> str:
    """'[low, high]' 95% interval from a results.summarize() dict; with_estimate: 'estimate [low, high]'.

    The estimate is the interval's centre: the geometric mean for a log-t interval, the mean otherwise
    (tables.interval_caption says which).
    """
    if not stats or stats.get("mean") is None:
        return "n/a"
    estimate = stats.get("estimate", stats["mean"])
    head = f"{estimate:.{digits}g} " if with_estimate else ""
    if stats.get("ci_low") is None:
        return f"{estimate:.{digits}g} (n = {stats.get('n', 1)})" if with_estimate else "n/a"
    return head + bounds(stats["ci_low"], stats["ci_high"], f".{digits}g")


def percent(stats: dict) -> str:
    """'mean ± std' in percent from a summarize() dict of fractions."""
    if not stats or stats.get("mean") is None:
        return "n/a"
    if stats.get("std") is None:
        return f"{100 * stats['mean']:.2f}"
    return f"{100 * stats['mean']:.2f} ± {100 * stats['std']:.2f}"


def percent_interval(stats: dict, signed: bool = False) -> str:
    """'[low, high]' interval in percent from a summarize() dict of fractions; signed: '+'/'-' on each end
    (an interval of differences, in percentage points)."""
    if not stats or stats.get("ci_low") is None:
        return "n/a"
    return bounds(100 * stats["ci_low"], 100 * stats["ci_high"], "+.2f" if signed else ".2f")


def rho(result: dict) -> str:
    """'+0.52 (n=8)' from a statistics.spearman_test() result; 'n/a' when it decided nothing."""
    return "n/a" if result["rho"] is None else f"{result['rho']:+.2f} (n={result['n']})"
