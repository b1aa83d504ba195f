"""Verdict of each check (interval against threshold) and of each claim; the `initgen claims` command."""

from __future__ import annotations

import argparse
import fnmatch
import json
import math
from pathlib import Path

import numpy as np

from initgen.analysis.protocol import describe_failures
from initgen.analysis.statistics import fisher_interval, spearman
from initgen.core.files import read_json, write_json
from initgen.reporting.claims.registry import VALUE_KINDS, ClaimsError, load_registry
from initgen.reporting.claims.statistical_tests import test_values, units_to_decide
from initgen.reporting.claims.values import beyond_scope, collect_values, expand_for_each
from initgen.reporting.formatting import bounds

# the first four decide a claim; "out of regime" (the setup is not in the regime the paper's sentence is about,
# measured), "beyond the paper" (a setting the sentence does not cover) and "descriptive" (a number the paper
# shows with no claimed direction or size) are shown and counted, never evidence for or against the claim
VERDICTS = ("reproduced", "not reproduced", "inconclusive", "not run", "out of regime", "beyond the paper",
            "descriptive")
NOT_DECIDING = ("beyond the paper", "descriptive")


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
    span = bounds(low, high)
    if span == "n/a":  # a NaN end: the interval decides nothing
        return "inconclusive", "interval n/a (not finite)"
    if claimed:
        return "reproduced", f"interval {span} {side} {threshold:g}"
    if opposite:
        return "not reproduced", f"interval {span} on the wrong side of {threshold:g} (claim: {side} {threshold:g})"
    return "inconclusive", f"interval {span} straddles {threshold:g}"


def _estimate(values_spec: dict, values: np.ndarray, test: str, alpha: float, min_n: int) -> tuple[dict, str, int]:
    """(estimate and interval, the test's name, the n it needs) of collected values."""
    if "correlation" in values_spec:
        rho = spearman(values[0], values[1])
        n = int(np.sum(np.isfinite(values[0]) & np.isfinite(values[1])))
        low, high = fisher_interval(rho, n, alpha)
        result = {"n": n, "n_dropped": int(values.shape[1] - n), "estimate": rho if math.isfinite(rho) else None,
                  "ci_low": low if math.isfinite(low) else None, "ci_high": high if math.isfinite(high) else None}
        return result, "Fisher z (Spearman)", max(min_n, 4)  # the z interval needs n > 3
    result = test_values(values, test, alpha, values_spec.get("combine") == "ratio")
    return result, {"t": "t-interval", "bootstrap": "bootstrap", "every": "every value"}[test], min_n


def evaluate_regime(regime: dict, metrics: dict, source: str, test: str, alpha: float, min_n: int,
                    by_artifact: dict | None = None) -> dict:
    """Whether the runs are in the regime the paper's sentence is about, measured like a check: "in" when the
    interval lies wholly on the regime's side, "out" when wholly on the other, "not established" otherwise
    (or when the artifact it is measured on, `regime.artifact`, is not in this build)."""
    if "artifact" in regime:
        found = sorted(a for a in by_artifact or {} if fnmatch.fnmatchcase(a, regime["artifact"]))
        if not found:
            reason = f"artifact {regime['artifact']} (where it is measured) is not in this build"
            return {"what": regime["what"], "state": "not established", "shown": f"{regime['what']} not measured",
                    "claimed": "", "estimate": None, "ci_low": None, "ci_high": None, "n": 0, "reason": reason}
        source = str(by_artifact[found[0]])
        metrics = read_json(source)
    values, label, validity = collect_values(regime["values"], metrics, source, regime.get("requires"))
    result, _, min_n = _estimate(regime["values"], values, test, alpha, min_n)
    verdict, reason = verdict_of(result, regime["direction"], float(regime["threshold"]), min_n)
    state = {"reproduced": "in", "not reproduced": "out"}.get(verdict, "not established")
    estimate = result["estimate"]
    shown = "n/a" if estimate is None else f"{estimate:.3g}"
    if result["ci_low"] is not None:
        shown += f" [{result['ci_low']:.3g}, {result['ci_high']:.3g}]"
    side = ">" if regime["direction"] == "greater" else "<"
    return {"what": regime["what"], "measured": label, "state": state, "shown": f"{regime['what']} = {shown}",
            "claimed": f"{side} {float(regime['threshold']):g}", "direction": regime["direction"],
            "threshold": float(regime["threshold"]), **result, "n_valid": validity["valid"],
            "n_total": validity["total"], "reason": reason}


def _not_deciding(check: dict, verdict: str, reason: str, metrics: dict, source: str, test: str, alpha: float,
                  min_n: int, by_artifact: dict | None) -> tuple[str, str, str, dict | None]:
    """(verdict, label shown, reason, regime) after the check's kind, scope and regime: a descriptive check, a
    setting beyond the paper or a setup out of its regime keeps its numbers but gets no verdict on the claim."""
    if check.get("kind") == "descriptive":
        return "descriptive", "descriptive", f"no verdict: {check['why']} (numbers: {reason})", None
    outside = beyond_scope(check)
    if outside:
        return ("beyond the paper", "beyond the paper",
                f"{outside} is beyond the paper's sentence (scope: {check.get('scope', 'see claims.yaml')}); "
                f"alone: {verdict}, {reason}", None)  # fmt: skip
    if "regime" not in check:
        return verdict, verdict, reason, None
    regime = evaluate_regime(check["regime"], metrics, source, test, alpha, min_n, by_artifact)
    if regime["state"] == "in":
        return verdict, verdict, f"{reason}; in regime: {regime['shown']} {regime['claimed']}", regime
    if regime["state"] == "out":
        label = f"out of regime: {regime['shown']}"
        return "out of regime", label, f"{label} (in regime: {regime['claimed']}); alone: {verdict}, {reason}", regime
    return ("inconclusive", "inconclusive (regime not established)",
            f"regime not established: {regime['shown']}, {regime['reason']}; alone: {verdict}, {reason}", regime)


def evaluate_check(check: dict, metrics: dict, source: str, defaults: dict, by_artifact: dict | None = None) -> dict:
    """Verdict of one check on one artifact's metrics; `by_artifact` (artifact -> metrics.json) is where a regime
    measured on another artifact is read."""
    raw_test = check.get("test", defaults.get("test", "t"))
    alpha = float(check.get("alpha", defaults.get("alpha", 0.05)))
    min_n = int(check.get("min_n", defaults.get("min_n", 3)))
    values_spec = check["values"]
    values, label, validity = collect_values(values_spec, metrics, source, check.get("requires"))
    ratio = values_spec.get("combine") == "ratio"
    result, test, min_n = _estimate(values_spec, values, raw_test, alpha, min_n)
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
        n_to_decide = units_to_decide(values, values_spec, result, check, alpha)
        if n_to_decide is not None:
            reason += f"; about {n_to_decide} valid units would decide it (80% power at the observed effect)"
    verdict, verdict_label, reason, regime = _not_deciding(check, verdict, reason, metrics, source, raw_test, alpha,
                                                          int(check.get("min_n", defaults.get("min_n", 3))),
                                                          by_artifact)
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
        **({"user_model": check["group"]["user_model"]} if "user_model" in (check.get("group") or {}) else {}),
        "verdict": verdict,
        "verdict_label": verdict_label,  # the verdict with what decided it ("out of regime: r = 0.57 [...]")
        "reason": reason,
        "regime": regime,
        "paper_quote": check.get("paper_quote"),
        "scope": check.get("scope"),
    }


def evaluate_claims(registry: dict, metrics_files: list[str | Path]) -> list[dict]:
    """Verdicts of every claim over the built artifacts' metrics.json files (results/<artifact>/metrics.json)."""
    by_artifact = {Path(p).parent.name: Path(p) for p in metrics_files}
    defaults = registry["defaults"]
    out = []
    for claim in registry["claims"]:
        checks = []
        for position, check in enumerate(claim["checks"], start=1):
            artifacts = sorted(a for a in by_artifact if fnmatch.fnmatchcase(a, check["artifact"]))
            if not artifacts and check.get("kind") == "user":
                continue  # your inits' checks: no row without their artifact
            if not artifacts:
                checks.append({"check": check["name"], "artifact": check["artifact"], "verdict": "not run",
                               "verdict_label": "not run", "reason": f"artifact {check['artifact']} is not in "
                               "this build (config)", "n": 0, "kind": check.get("kind", "evidence"),
                               "paper_quote": check.get("paper_quote"), "scope": check.get("scope")})
                continue
            for artifact in artifacts:
                source = str(by_artifact[artifact])
                if not by_artifact[artifact].exists():
                    raise ClaimsError(f"{source} not found: build the artifact {artifact} first")
                metrics = read_json(source)
                for one in expand_for_each(check, metrics, source):
                    result = evaluate_check(one, metrics, source, defaults, by_artifact)
                    if len(artifacts) > 1:
                        result["check"] += f" ({artifact})"
                    # a short stable name for DVC's headline: claim id, the check's place in the claim, for_each
                    result["key"] = ".".join([f"claim{claim['id']}", str(position), *one.get("for_each_values", [])])
                    checks.append(result)
        # sanity checks are no evidence; yours (kind: user: your inits and models) are shown, never decide the claim
        evidence = [c["verdict"] for c in checks if c.get("kind", "evidence") not in ("sanity", "user")]
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
    """A claim holds only if every check that bears on it ran, was in its regime and holds; one check that fails
    decides against it. Descriptive and beyond-the-paper checks never bear on it; a claim with nothing else is
    "beyond the paper" or "descriptive", one whose every check that ran was out of its regime "out of regime"."""
    verdicts = list(verdicts)
    deciding = [v for v in verdicts if v not in NOT_DECIDING]
    if not deciding:
        return next((v for v in NOT_DECIDING if v in verdicts), "not run")
    tested = [v for v in deciding if v not in ("not run", "out of regime")]
    if "not reproduced" in tested:
        return "not reproduced"
    if not tested:
        return "out of regime" if "out of regime" in deciding else "not run"
    if len(tested) == len(deciding) and all(v == "reproduced" for v in tested):
        return "reproduced"
    return "inconclusive"


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
