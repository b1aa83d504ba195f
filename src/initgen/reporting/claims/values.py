"""The numbers a check reads from an artifact's metrics.json: runs matching `where`, pairs, trends, correlations,
after the protocol preconditions (`requires`); and the expansion of `for_each` checks."""

from __future__ import annotations

import math

import numpy as np

from initgen.analysis.statistics import spearman
from initgen.reporting.claims.registry import REQUIRE_OPERATORS, VALUE_KINDS, ClaimsError


def _metrics_key(metrics: dict, keys: list, source: str):
    node = metrics
    for depth, key in enumerate(keys):
        if not isinstance(node, dict) or str(key) not in node:
            raise ClaimsError(f"{source}: key {'.'.join(map(str, keys[: depth + 1]))!r} not found (check reads it)")
        node = node[str(key)]
    return node


def _runs(metrics: dict, source: str) -> list[dict]:
    runs = _metrics_key(metrics, ["runs"], source)
    if not isinstance(runs, list):
        raise ClaimsError(f"{source}: 'runs' must be a list")
    return runs


def _matching(runs: list[dict], where: dict | None) -> list[dict]:
    where = where or {}
    return [r for r in runs if all(r.get(k) == v for k, v in where.items())]


def _number(run: dict, key: str, source: str) -> float:
    if key not in run:
        raise ClaimsError(f"{source}: a run ({_describe(run)}) lacks key {key!r} (check reads it)")
    value = run[key]
    return float("nan") if value is None else float(value)


def _describe(run: dict) -> str:
    keys = ("artifact", "dataset", "model", "variant", "activation", "init", "bandwidth", "seed", "depth", "width")
    return ", ".join(f"{k}={run[k]}" for k in keys if k in run) or "no id keys"


def meets(run: dict, requires: dict | None) -> bool:
    """Whether a run satisfies a check's protocol preconditions (a missing key fails them)."""
    for key, condition in (requires or {}).items():
        if key not in run or run[key] is None:
            return False
        if isinstance(condition, dict):
            (operator, bound), = condition.items()
            value = float(run[key])
            if not (math.isfinite(value) and REQUIRE_OPERATORS[operator](value, bound)):
                return False
        elif run[key] != condition:
            return False
    return True


def _status(run: dict) -> str:
    return run.get("status", "not fitted")


def collect_values(values: dict, metrics: dict, source: str, requires: dict | None = None):
    """The numbers a check tests, what they are, and how many units were valid.

    Returns (values, label, validity) with validity = {"total": N units, "valid": k, "failed": statuses of the
    runs that failed the preconditions}.
    """
    kind = next(iter(set(values) & VALUE_KINDS))
    spec = values[kind]
    if kind == "path":
        found = _metrics_key(metrics, spec, source)
        found = found if isinstance(found, list) else [found]
        array = np.asarray([np.nan if v is None else v for v in found], float)
        return array, "values at " + ".".join(map(str, spec)), {"total": array.size, "valid": array.size, "failed": []}
    runs = _runs(metrics, source)
    failed: list[str] = []
    complement = bool(values.get("complement"))  # 1 - metric: an error rate from an accuracy

    def metric(run: dict) -> float:
        number = _number(run, spec["metric"], source)
        return 1.0 - number if complement else number

    name = f"(1 - {spec.get('metric')})" if complement else spec.get("metric")

    def keep(members: list[dict]) -> bool:
        bad = [r for r in members if not meets(r, requires)]
        failed.extend(_status(r) for r in bad)
        return not bad

    if kind == "runs":
        chosen = _matching(runs, spec.get("where"))
        valid = [r for r in chosen if keep([r])]
        numbers = [metric(r) for r in valid]
        label = name
        if "over" in spec:
            numbers = [n / _number(r, spec["over"], source) for n, r in zip(numbers, valid, strict=True)]
            label = f"{name} / {spec['over']}"
        return np.asarray(numbers, float), label, {"total": len(chosen), "valid": len(valid), "failed": failed}
    if kind == "paired":
        keys = spec["pair_by"] if isinstance(spec["pair_by"], list) else [spec["pair_by"]]
        side, number = {}, {}
        for which in ("a", "b"):
            chosen = _matching(runs, spec[which] | (spec.get("where") or {}))
            side[which] = {tuple(r.get(k) for k in keys): r for r in chosen}
            number[which] = {k: metric(r) for k, r in side[which].items()}
        common = sorted(set(side["a"]) & set(side["b"]), key=str)
        valid = [k for k in common if keep([side["a"][k], side["b"][k]])]
        a = np.asarray([number["a"][k] for k in valid], float)
        b = np.asarray([number["b"][k] for k in valid], float)
        validity = {"total": len(common), "valid": len(valid), "failed": failed}
        if values.get("combine") == "ratio":
            return a / b, f"{name} ratio {_fmt_where(spec['a'])} / {_fmt_where(spec['b'])}", validity
        return a - b, f"{name} difference {_fmt_where(spec['a'])} - {_fmt_where(spec['b'])}", validity
    chosen = _matching(runs, spec.get("where"))
    if kind == "trend":
        groups: dict = {}
        for run in chosen:
            groups.setdefault(run.get(spec["per"]), []).append(run)
        ordered = [members for _, members in sorted(groups.items(), key=lambda item: str(item[0]))]
        valid = [members for members in ordered if keep(members)]
        rhos = [
            spearman([_number(r, spec["x"], source) for r in members], [_number(r, spec["y"], source) for r in members])
            for members in valid
        ]
        label = f"Spearman rho of {spec['y']} vs {spec['x']}, one per {spec['per']}"
        return np.asarray(rhos, float), label, {"total": len(ordered), "valid": len(valid), "failed": failed}
    valid = [r for r in chosen if keep([r])]
    x = np.asarray([_number(r, spec["x"], source) for r in valid], float)
    y = np.asarray([_number(r, spec["y"], source) for r in valid], float)
    validity = {"total": len(chosen), "valid": len(valid), "failed": failed}
    return np.stack([x, y]).reshape(2, -1), f"Spearman rho of {spec['y']} vs {spec['x']} over runs", validity


def _fmt_where(where: dict) -> str:
    return ",".join(f"{v}" for v in where.values())


def expand_for_each(check: dict, metrics: dict, source: str) -> list[dict]:
    """A check with for_each (a run key or a list of them): one copy per distinct value, restricted to it."""
    keys = check.get("for_each")
    if not keys:
        return [check]
    keys = keys if isinstance(keys, list) else [keys]
    kind = next(iter(set(check["values"]) & VALUE_KINDS))
    if kind == "path":
        raise ClaimsError(f"check {check['name']!r}: for_each needs run values (runs, paired, trend, correlation)")
    runs = _runs(metrics, source)
    if check.get("kind") != "user":  # a model of yours gets its groups from its own (kind: user) checks only
        paper = [r for r in runs if "user_model" not in r]
        if runs and not paper:
            return []  # only models of yours in this artifact: the paper's check has no row here
        runs = paper
    found = sorted({tuple(r[k] for k in keys) for r in runs if all(k in r for k in keys)}, key=str)
    if not found and check.get("kind") == "user":
        return []  # no init or model of yours in this build: the check has no row
    if not found:
        raise ClaimsError(f"{source}: no run has key(s) {keys} (for_each of check {check['name']!r})")
    copies = []
    for value in found:
        group = dict(zip(keys, value, strict=True))
        label = ", ".join(f"{k}={v}" for k, v in group.items())
        copy = check | {"name": f"{check['name']} [{label}]", "values": restrict(check["values"], group),
                        "for_each_values": [str(v) for v in value], "group": group}
        if "regime" in check:  # the regime is measured on the same group as the check
            copy["regime"] = check["regime"] | {"values": restrict(check["regime"]["values"], group)}
        copies.append(copy)
    return copies


def restrict(values: dict, group: dict) -> dict:
    """A values spec restricted to the runs of one for_each group (its `where` gains the group's keys)."""
    kind = next(iter(set(values) & VALUE_KINDS))
    spec = dict(values[kind])
    spec["where"] = dict(spec.get("where") or {}) | group
    return {**values, kind: spec}


def beyond_scope(check: dict) -> str | None:
    """'model=mlp' when the check's group (for_each values, or its values' `where`) is one its `beyond_scope`
    names: a setting the paper's sentence does not cover; None when in scope."""
    spec = next(iter(v for k, v in check["values"].items() if k in VALUE_KINDS))
    group = check.get("group") or (spec.get("where") if isinstance(spec, dict) else None) or {}
    for key, outside in (check.get("beyond_scope") or {}).items():
        if key in group and group[key] in outside:
            return f"{key}={group[key]}"
    return None
