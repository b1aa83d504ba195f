"""The per-run and summary statistics every artifact reports in its metrics.json.

Every artifact writes `results/<artifact>/metrics.json` with the layout
    {"artifact": ..., "runs": [ {...per run...} ], "summary": {group: {metric: stats}}}
where stats is `summarize(values, kind=...)`: mean, std, n, and a 95% interval suited to the quantity (log-t for
positive quantities, clipped to the support for fractions and correlations; `interval` names the method).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np

INTERVAL_NAMES = {
    "log-t": "geometric mean, log-t interval (Student t on log values, exponentiated)",
    "t": "mean, Student-t interval",
    "t-clipped[0,1]": "mean, Student-t interval clipped to [0, 1]",
    "t-clipped[-1,1]": "mean, Student-t interval clipped to [-1, 1]",
    "t-clipped[0,inf)": "mean, Student-t interval clipped at 0",
}


def summarize(values: Iterable[float], confidence: float = 0.95, kind: str = "real") -> dict:
    """Mean, sample std, n (NaNs dropped, counted) and a two-sided interval suited to the quantity's `kind`.

    The kinds are those of initgen.reporting.quantities. `estimate` is the centre of the interval, `interval` names it:
      positive    "log-t": estimate = geometric mean exp(mean(log x)), interval exp(mean(log x) ± t s_log / sqrt(n)).
                  Skewed positive quantities (MSE, steps, traces) are roughly log-normal; on the log scale the
                  t-interval is exact for log-normal data and the back-transformed interval stays inside (0, inf).
                  With a zero among the values (a run that took no step) it falls back to "t-clipped[0,inf)", with a
                  negative one (the quantity is not positive after all) to "t".
      fraction    "t-clipped[0,1]": the t-interval of the arithmetic mean intersected with [0, 1]. The mean of a
                  fraction lies in [0, 1], so the intersection drops no true value: coverage is the t-interval's,
                  and accuracies of exactly 1 (where logit intervals are undefined) are fine.
      correlation "t-clipped[-1,1]": likewise inside [-1, 1].
      real        "t": the t-interval of the mean (differences, log ratios).
    `mean` and `std` are always the arithmetic mean and sample std of the values.
    """
    from initgen.analysis.statistics import t_half_width, t_interval  # scipy on first use, not on import

    if kind not in ("positive", "fraction", "correlation", "real"):
        raise ValueError(f"summarize: unknown kind {kind!r}")
    array = np.asarray([np.nan if v is None else v for v in values], dtype=float)
    finite = array[np.isfinite(array)]
    n = int(finite.size)
    method = {"positive": "log-t", "fraction": "t-clipped[0,1]", "correlation": "t-clipped[-1,1]", "real": "t"}[kind]
    if kind == "positive" and n and finite.min() <= 0:
        method = "t-clipped[0,inf)" if finite.min() == 0 else "t"
    out = {"n": n, "n_nonfinite": int(array.size - n), "kind": kind, "interval": method, "confidence": confidence}
    none = {"mean": None, "std": None, "estimate": None, "ci_low": None, "ci_high": None}
    if n == 0:
        return out | none
    mean = float(finite.mean())
    estimate = float(np.exp(np.log(finite).mean())) if method == "log-t" else mean
    if n == 1:
        return out | none | {"mean": mean, "estimate": estimate}
    std = float(finite.std(ddof=1))
    if method == "log-t":
        half = t_half_width(np.log(finite), confidence)
        low, high = estimate * math.exp(-half), estimate * math.exp(half)
    else:
        low, high = t_interval(finite, confidence)
        support = {"t-clipped[0,1]": (0.0, 1.0), "t-clipped[-1,1]": (-1.0, 1.0), "t-clipped[0,inf)": (0.0, math.inf)}
        if method in support:
            low, high = max(low, support[method][0]), min(high, support[method][1])
    return out | {"mean": mean, "std": std, "estimate": estimate, "ci_low": low, "ci_high": high}


def summarize_runs(runs: list[dict], group_keys: list[str], metric_keys: list[str]) -> dict:
    """Group per-run records by `group_keys` and summarize each metric over the runs (seeds) in a group.

    Group names join the key values with '/', e.g. "relu/depth=4". Each metric's interval follows its kind
    (initgen.reporting.quantities.kind_of: from the metric's name, or from its values for a name the mapping lacks).
    """
    from initgen.reporting.quantities import kind_of

    groups: dict[str, list[dict]] = {}
    for run in runs:
        name = "/".join(f"{k}={run[k]}" if k not in ("variant", "activation") else str(run[k]) for k in group_keys)
        groups.setdefault(name, []).append(run)
    return {
        name: {
            metric: summarize(values, kind=kind_of(metric, values))
            for metric in metric_keys
            if metric in members[0]
            for values in [[r.get(metric) for r in members]]
        }
        for name, members in groups.items()
    }
