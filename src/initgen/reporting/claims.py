"""The claims registry (config/claims.yaml): each paper claim as checks over metrics.json values, and its verdict.

A check collects numbers from one artifact's metrics.json, tests them against a threshold in a stated direction
and gives a verdict with the numbers behind it:
  reproduced      the (1 - alpha) two-sided interval lies wholly on the claimed side of the threshold
  not reproduced  it lies wholly on the other side (the effect is absent or reversed)
  inconclusive    too few values (n < min_n), or the interval straddles the threshold
  not run         the artifact is not part of this build (not in the config)
The threshold is the smallest effect that counts as the claim (chosen from the paper's wording, see claims.yaml),
so an absent effect measured precisely gives "not reproduced", not "inconclusive".

Kinds of values (key `values`):
  path         a list of numbers at a key path, e.g. [trends, gaussian, hf_init_vs_depth_rho, per_seed]
  runs         one number per entry of "runs" matching `where` (optionally divided by a second metric, `over`)
  paired       metric of runs matching `a` minus (or over, `combine: ratio`) runs matching `b`, paired by `pair_by`
  trend        per group (`per`, e.g. seed): Spearman rho of metric `y` against `x` over runs matching `where`
  correlation  one Spearman rho of `y` against `x` over all runs matching `where`, Fisher-z interval
Tests (key `test`): t (Student-t interval of the mean), bootstrap (percentile interval of the mean),
every (each value must be on the claimed side, one on the wrong side refutes; for bounds and
identities). A ratio is tested on logs.
A claim's verdict: not reproduced if any check is; reproduced if all are; not run if all are; else inconclusive.

Protocol preconditions (key `requires`, e.g. {met_protocol: true} or {train_mse_final: {below: 0.001}}): what
a run must satisfy to count. A unit of evidence (a run; a pair for `paired`; a whole group for `trend`) counts
only if every run in it satisfies them; the others are excluded and counted ("n valid of N"), and a check left
with fewer than min_n valid units is inconclusive with the reason ("2 of 10 runs diverged"). A failed run is
never scored. `kind: sanity` marks an identity that holds by construction (e.g. ASI's zero output at init): it is
shown, never evidence for a claim, and a violated one fails the claims step.
For an inconclusive check the result says how many units (seeds, or runs for a correlation) would decide it at
the observed effect and spread with 80% power (`n_to_decide`).
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from initgen.analysis.protocol import describe_failures
from initgen.analysis.statistics import fisher_interval, seeds_for_correlation, seeds_for_t, spearman
from initgen.core.errors import UserFacingError
from initgen.core.files import read_json, write_json
from initgen.reporting.formatting import number

VERDICTS = ("reproduced", "not reproduced", "inconclusive", "not run")
CLAIM_KEYS = {"id", "statement", "source", "checks"}
CHECK_KEYS = {"name", "artifact", "values", "test", "direction", "threshold", "alpha", "min_n", "for_each", "requires",
              "kind"}
CHECK_KINDS = ("evidence", "sanity")
REQUIRE_OPERATORS = {"below": lambda v, t: v < t, "at_least": lambda v, t: v >= t}
VALUE_KINDS = {"path", "runs", "paired", "trend", "correlation"}
TESTS = {"t", "bootstrap", "every"}
BOOTSTRAP_RESAMPLES = 10000  # our choice: percentile interval error ~0.5% of its level


class ClaimsError(UserFacingError):
    """The registry is malformed, or a metrics.json lacks a key a check reads."""


# ------------------------------------------------------------------------------------------- registry
def load_registry(path) -> dict:
    """Read and validate config/claims.yaml; errors name the claim and key."""
    path = Path(path)
    if not path.exists():
        raise ClaimsError(f"claims registry {path} not found (expected config/claims.yaml in the repository)")
    registry = yaml.safe_load(path.read_text()) or {}
    unknown = set(registry) - {"defaults", "claims"}
    if unknown:
        raise ClaimsError(f"{path}: unknown top-level key(s) {sorted(unknown)}; allowed: defaults, claims")
    defaults = registry.get("defaults") or {}
    bad = set(defaults) - {"alpha", "min_n", "test"}
    if bad:
        raise ClaimsError(f"{path}: defaults: unknown key(s) {sorted(bad)}; allowed: alpha, min_n, test")
    claims = registry.get("claims")
    if not isinstance(claims, list) or not claims:
        raise ClaimsError(f"{path}: 'claims' must be a non-empty list")
    seen = set()
    for index, claim in enumerate(claims):
        where = f"{path}: claims[{index}]"
        if not isinstance(claim, dict):
            raise ClaimsError(f"{where} must be a mapping")
        missing = CLAIM_KEYS - set(claim)
        if missing:
            raise ClaimsError(f"{where} lacks key(s) {sorted(missing)}")
        if set(claim) - CLAIM_KEYS:
            raise ClaimsError(f"{where} (id {claim['id']}): unknown key(s) {sorted(set(claim) - CLAIM_KEYS)}")
        if claim["id"] in seen:
            raise ClaimsError(f"{where}: duplicate id {claim['id']!r}")
        seen.add(claim["id"])
        for check in claim["checks"]:
            _validate_check(check, defaults, f"{path}: claim {claim['id']}, check {check.get('name', '?')!r}")
    return {"defaults": defaults, "claims": claims}


def _validate_check(check: dict, defaults: dict, where: str) -> None:
    if set(check) - CHECK_KEYS:
        raise ClaimsError(f"{where}: unknown key(s) {sorted(set(check) - CHECK_KEYS)}; allowed: {sorted(CHECK_KEYS)}")
    for key in ("name", "artifact", "values", "direction", "threshold"):
        if key not in check:
            raise ClaimsError(f"{where}: missing key '{key}'")
    if check["direction"] not in ("greater", "less"):
        raise ClaimsError(f"{where}: direction must be 'greater' or 'less', not {check['direction']!r}")
    if not isinstance(check["threshold"], int | float):
        raise ClaimsError(f"{where}: threshold must be a number, not {check['threshold']!r}")
    values = check["values"]
    if not isinstance(values, dict) or len(set(values) & VALUE_KINDS) != 1:
        raise ClaimsError(f"{where}: values must name exactly one kind of {sorted(VALUE_KINDS)}")
    test = check.get("test", defaults.get("test", "t"))
    if test not in TESTS:
        raise ClaimsError(f"{where}: test must be one of {sorted(TESTS)}, not {test!r}")
    alpha = check.get("alpha", defaults.get("alpha", 0.05))
    if not 0 < alpha < 1:
        raise ClaimsError(f"{where}: alpha must be in (0, 1), not {alpha!r}")
    if check.get("kind", "evidence") not in CHECK_KINDS:
        raise ClaimsError(f"{where}: kind must be one of {list(CHECK_KINDS)}, not {check['kind']!r}")
    kind = next(iter(set(values) & VALUE_KINDS))
    requires = check.get("requires")
    if requires is not None:
        if kind == "path":
            raise ClaimsError(f"{where}: requires needs run values (runs, paired, trend, correlation), not path")
        if not isinstance(requires, dict) or not requires:
            raise ClaimsError(f"{where}: requires must be a mapping of run key -> value or {{below|at_least: x}}")
        for key, condition in requires.items():
            if isinstance(condition, dict) and (len(condition) != 1 or set(condition) - set(REQUIRE_OPERATORS)):
                raise ClaimsError(f"{where}: requires.{key} must be a value or one of "
                                  f"{{below: x}}, {{at_least: x}}, not {condition!r}")  # fmt: skip
    spec = values[kind]
    needs = {"path": (), "runs": ("metric",), "paired": ("metric", "a", "b", "pair_by"),
             "trend": ("x", "y", "per"), "correlation": ("x", "y")}[kind]
    if kind == "path":
        if not isinstance(spec, list) or not spec:
            raise ClaimsError(f"{where}: values.path must be a non-empty list of keys")
    else:
        missing = [k for k in needs if k not in spec]
        if missing:
            raise ClaimsError(f"{where}: values.{kind} lacks {missing}")
    if values.get("combine", "difference") not in ("difference", "ratio"):
        raise ClaimsError(f"{where}: values.combine must be 'difference' or 'ratio'")
    if values.get("combine") == "ratio" and check["threshold"] <= 0:
        raise ClaimsError(f"{where}: a ratio needs a positive threshold, not {check['threshold']}")


# ---------------------------------------------------------------------------------------- value getters
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

    def keep(members: list[dict]) -> bool:
        bad = [r for r in members if not meets(r, requires)]
        failed.extend(_status(r) for r in bad)
        return not bad

    if kind == "runs":
        chosen = _matching(runs, spec.get("where"))
        valid = [r for r in chosen if keep([r])]
        numbers = [_number(r, spec["metric"], source) for r in valid]
        label = spec["metric"]
        if "over" in spec:
            numbers = [n / _number(r, spec["over"], source) for n, r in zip(numbers, valid, strict=True)]
            label = f"{spec['metric']} / {spec['over']}"
        return np.asarray(numbers, float), label, {"total": len(chosen), "valid": len(valid), "failed": failed}
    if kind == "paired":
        keys = spec["pair_by"] if isinstance(spec["pair_by"], list) else [spec["pair_by"]]
        side, number = {}, {}
        for name in ("a", "b"):
            chosen = _matching(runs, spec[name] | (spec.get("where") or {}))
            side[name] = {tuple(r.get(k) for k in keys): r for r in chosen}
            number[name] = {k: _number(r, spec["metric"], source) for k, r in side[name].items()}
        common = sorted(set(side["a"]) & set(side["b"]), key=str)
        valid = [k for k in common if keep([side["a"][k], side["b"][k]])]
        a = np.asarray([number["a"][k] for k in valid], float)
        b = np.asarray([number["b"][k] for k in valid], float)
        validity = {"total": len(common), "valid": len(valid), "failed": failed}
        if values.get("combine") == "ratio":
            return a / b, f"{spec['metric']} ratio {_fmt_where(spec['a'])} / {_fmt_where(spec['b'])}", validity
        return a - b, f"{spec['metric']} difference {_fmt_where(spec['a'])} - {_fmt_where(spec['b'])}", validity
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


# --------------------------------------------------------------------------------------------- testing
def test_values(values: np.ndarray, test: str, alpha: float, ratio: bool, seed: int = 0) -> dict:
    """Estimate and (1 - alpha) two-sided interval of the mean (geometric mean for ratios)."""
    from scipy import stats

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
        half = float(stats.t.ppf(1 - alpha / 2, df=n - 1) * data.std(ddof=1) / math.sqrt(n))
        low, high = mean - half, mean + half
    back = math.exp if ratio else float
    out.update(estimate=back(mean), ci_low=None if low is None else back(low),
               ci_high=None if high is None else back(high))
    return out


def verdict_of(result: dict, direction: str, threshold: float, min_n: int) -> tuple[str, str]:
    """(verdict, reason) from an estimate's interval against the threshold."""
    n = result["n"]
    if n < min_n or result["ci_low"] is None:
        dropped = result.get("n_dropped", 0)
        return "inconclusive", f"too few values: n = {n} < {min_n}" + (
            f" ({dropped} not finite: diverged or undefined)" if dropped else "")
    low, high = result["ci_low"], result["ci_high"]
    side = ">" if direction == "greater" else "<"
    claimed = low > threshold if direction == "greater" else high < threshold
    opposite = high < threshold if direction == "greater" else low > threshold
    span = f"[{low:.3g}, {high:.3g}]"
    if claimed:
        return "reproduced", f"interval {span} {side} {threshold:g}"
    if opposite:
        return "not reproduced", f"interval {span} on the wrong side of {threshold:g} (claim: {side} {threshold:g})"
    return "inconclusive", f"interval {span} straddles {threshold:g}"


def evaluate_check(check: dict, metrics: dict, source: str, defaults: dict) -> dict:
    test = check.get("test", defaults.get("test", "t"))
    alpha = float(check.get("alpha", defaults.get("alpha", 0.05)))
    min_n = int(check.get("min_n", defaults.get("min_n", 3)))
    values_spec = check["values"]
    values, label, validity = collect_values(values_spec, metrics, source, check.get("requires"))
    ratio = values_spec.get("combine") == "ratio"
    if "correlation" in values_spec:
        rho = spearman(values[0], values[1])
        n = int(np.sum(np.isfinite(values[0]) & np.isfinite(values[1])))
        low, high = fisher_interval(rho, n, alpha)
        result = {"n": n, "n_dropped": int(values.shape[1] - n), "estimate": rho if math.isfinite(rho) else None,
                  "ci_low": low if math.isfinite(low) else None, "ci_high": high if math.isfinite(high) else None}
        test = "Fisher z (Spearman)"
        min_n = max(min_n, 4)  # the z interval needs n > 3
    else:
        result = test_values(values, test, alpha, ratio)
        test = {"t": "t-interval", "bootstrap": "bootstrap", "every": "every value"}[test]
    verdict, reason = verdict_of(result, check["direction"], float(check["threshold"]), min_n)
    if test == "every value" and verdict == "inconclusive" and result["n"] >= min_n:
        # a bound or an identity: one value on the wrong side refutes it
        verdict, reason = "not reproduced", reason.replace("straddles", "has values on the wrong side of")
    failures = describe_failures(validity["failed"])
    if failures:
        unit = {"paired": "pairs", "trend": f"{values_spec.get('trend', {}).get('per', 'group')}s"}.get(
            next(iter(set(values_spec) & VALUE_KINDS)), "runs")
        among = "" if unit == "runs" else " among their runs"
        excluded = validity["total"] - validity["valid"]
        reason += f"; excluded {excluded} of {validity['total']} {unit} ({failures}{among})"
    n_to_decide = None
    if verdict == "inconclusive" and test != "every value":
        n_to_decide = _units_to_decide(values, values_spec, result, check, alpha)
        if n_to_decide is not None:
            reason += f"; about {n_to_decide} valid units would decide it (80% power at the observed effect)"
    return {
        "check": check["name"],
        "artifact": Path(source).parent.name,
        "what": label + (" (tested on logs)" if ratio else ""),
        "test": test,
        "alpha": alpha,
        "direction": check["direction"],
        "threshold": float(check["threshold"]),
        "values": [None if not np.isfinite(v) else float(v) for v in np.ravel(values)] if values.ndim == 1 else None,
        **result,
        "n_valid": validity["valid"],
        "n_total": validity["total"],
        "excluded": failures,
        "n_to_decide": n_to_decide,
        "kind": check.get("kind", "evidence"),
        "verdict": verdict,
        "reason": reason,
    }


def _units_to_decide(values: np.ndarray, values_spec: dict, result: dict, check: dict, alpha: float) -> int | None:
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


def _expand(check: dict, metrics: dict, source: str) -> list[dict]:
    """A check with for_each (a run key or a list of them): one copy per distinct value, restricted to it."""
    keys = check.get("for_each")
    if not keys:
        return [check]
    keys = keys if isinstance(keys, list) else [keys]
    kind = next(iter(set(check["values"]) & VALUE_KINDS))
    if kind == "path":
        raise ClaimsError(f"check {check['name']!r}: for_each needs run values (runs, paired, trend, correlation)")
    found = sorted({tuple(r[k] for k in keys) for r in _runs(metrics, source) if all(k in r for k in keys)}, key=str)
    if not found:
        raise ClaimsError(f"{source}: no run has key(s) {keys} (for_each of check {check['name']!r})")
    copies = []
    for value in found:
        spec = dict(check["values"][kind])
        spec["where"] = dict(spec.get("where") or {}) | dict(zip(keys, value, strict=True))
        label = ", ".join(f"{k}={v}" for k, v in zip(keys, value, strict=True))
        copies.append(check | {"name": f"{check['name']} [{label}]", "values": {**check["values"], kind: spec},
                               "for_each_values": [str(v) for v in value]})
    return copies


def evaluate_claims(registry: dict, metrics_files: list[str | Path]) -> list[dict]:
    """Verdicts of every claim over the built artifacts' metrics.json files (results/<artifact>/metrics.json)."""
    by_artifact = {Path(p).parent.name: Path(p) for p in metrics_files}
    defaults = registry["defaults"]
    out = []
    for claim in registry["claims"]:
        checks = []
        for position, check in enumerate(claim["checks"], start=1):
            artifacts = sorted(a for a in by_artifact if fnmatch.fnmatchcase(a, check["artifact"]))
            if not artifacts:
                checks.append({"check": check["name"], "artifact": check["artifact"], "verdict": "not run",
                               "reason": f"artifact {check['artifact']} is not in this build (config)", "n": 0,
                               "kind": check.get("kind", "evidence")})
                continue
            for artifact in artifacts:
                source = str(by_artifact[artifact])
                if not by_artifact[artifact].exists():
                    raise ClaimsError(f"{source} not found: build the artifact {artifact} first")
                metrics = read_json(source)
                for one in _expand(check, metrics, source):
                    result = evaluate_check(one, metrics, source, defaults)
                    if len(artifacts) > 1:
                        result["check"] += f" ({artifact})"
                    # a short stable name for DVC's headline: claim id, the check's place in the claim, for_each
                    result["key"] = ".".join([f"claim{claim['id']}", str(position), *one.get("for_each_values", [])])
                    checks.append(result)
        evidence = [c["verdict"] for c in checks if c.get("kind", "evidence") == "evidence"]
        out.append({"id": str(claim["id"]), "statement": claim["statement"], "source": claim["source"],
                    "verdict": combine(evidence), "checks": checks})
    return out


def check_sanity(results: list[dict]) -> None:
    """Raise (loudly: a bug, not a finding) when a `kind: sanity` check is violated."""
    violated = [f"claim {claim['id']}: {check['check']}: {check['reason']}" for claim in results
                for check in claim["checks"] if check.get("kind") == "sanity" and check["verdict"] == "not reproduced"]
    if violated:
        raise ClaimsError("SANITY CHECK VIOLATED (an identity that holds by construction failed: a bug, not a "
                          "finding):\n  " + "\n  ".join(violated))


def combine(verdicts) -> str:
    """A claim holds only if every check ran and holds; one check that fails decides against it."""
    verdicts = list(verdicts)
    ran = [v for v in verdicts if v != "not run"]
    if not ran:
        return "not run"
    if "not reproduced" in ran:
        return "not reproduced"
    if len(ran) == len(verdicts) and all(v == "reproduced" for v in ran):
        return "reproduced"
    return "inconclusive"


# ------------------------------------------------------------------------------------------------ tables
def claims_frame(results: list[dict]) -> pd.DataFrame:
    """One row per check, grouped by claim: the table of verdicts with the numbers behind them."""
    rows = []
    for claim in results:
        for check in claim["checks"]:
            interval = "n/a" if check.get("ci_low") is None else (
                f"[{number(check['ci_low'])}, {number(check['ci_high'])}]")
            rows.append(
                {
                    "Claim": claim["id"],
                    "Claim verdict": claim["verdict"],
                    "Check": check["check"],
                    "Estimate": number(check.get("estimate")),
                    "Interval": interval,
                    "n valid of N": f"{check.get('n_valid', 0)} of {check.get('n_total', 0)}",
                    "n": check.get("n", 0),
                    "Test": check.get("test", ""),
                    "Claimed": "" if "threshold" not in check else
                    f"{'>' if check['direction'] == 'greater' else '<'} {check['threshold']:g}",
                    "Check verdict": check["verdict"] if check.get("kind", "evidence") == "evidence"
                    else f"sanity: {'holds' if check['verdict'] == 'reproduced' else check['verdict']}",
                    "Why": check.get("reason", ""),
                }
            )
    return pd.DataFrame(rows)


def summary_frame(results: list[dict]) -> pd.DataFrame:
    """One row per claim: id, statement, source, verdict and how many checks went which way."""
    rows = []
    for claim in results:
        evidence = [c for c in claim["checks"] if c.get("kind", "evidence") == "evidence"]
        counts = {v: sum(c["verdict"] == v for c in evidence) for v in VERDICTS}
        rows.append({
            "Claim": claim["id"],
            "Statement": claim["statement"],
            "Paper": claim["source"],
            "Verdict": claim["verdict"],
            "Checks (reproduced / not / inconclusive / not run)": "{} / {} / {} / {}".format(*counts.values()),
        })
    return pd.DataFrame(rows)


def cli_claims(argv: list[str]) -> int:
    """`initgen claims --registry config/claims.yaml --metrics results/*/metrics.json --out verdicts.json`"""
    parser = argparse.ArgumentParser(prog="initgen claims", description="Verdict of every claim in the registry.")
    parser.add_argument("--registry", required=True, help="the claims registry, config/claims.yaml")
    parser.add_argument("--metrics", nargs="*", default=[], help="results/<artifact>/metrics.json files")
    parser.add_argument("--out", required=True, help="JSON file of verdicts")
    args = parser.parse_args(argv)
    results = evaluate_claims(load_registry(args.registry), args.metrics)
    check_sanity(results)
    write_json(args.out, {"claims": results})
    for claim in results:
        print(f"claim {claim['id']}: {claim['verdict']}")
    print(json.dumps({c["id"]: c["verdict"] for c in results}))
    return 0
