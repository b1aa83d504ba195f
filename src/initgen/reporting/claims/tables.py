"""The verdict tables of the report: one row per check (claims_detail), one row per claim (claims)."""

from __future__ import annotations

import pandas as pd

from initgen.reporting.claims.verdicts import VERDICTS
from initgen.reporting.formatting import bounds, number


def claims_frame(results: list[dict]) -> pd.DataFrame:
    """One row per check, grouped by claim: the table of verdicts with the numbers behind them."""
    rows = []
    for claim in results:
        for check in claim["checks"]:
            interval = bounds(check.get("ci_low"), check.get("ci_high"))
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
                    "Check verdict": _check_verdict(check),
                    "Why": check.get("reason", ""),
                    "Paper's words": _quote(check.get("paper_quote")),
                }
            )
    return pd.DataFrame(rows)


def _check_verdict(check: dict) -> str:
    kind = check.get("kind", "evidence")
    if kind == "sanity":
        return f"sanity: {'holds' if check['verdict'] == 'reproduced' else check['verdict']}"
    label = check.get("verdict_label", check["verdict"])
    if kind == "user":  # your init or activation (claims 1 and 3) or your model (claims 4 and 6)
        return f"your model {check['user_model']}: {label}" if "user_model" in check else f"yours: {label}"
    return label


def _quote(quote: dict | None) -> str:
    return "" if not quote else f'"{" ".join(quote["text"].split())}" ({quote["file"]})'


COUNTS_COLUMN = "Checks (" + " / ".join(v.replace("not reproduced", "not") for v in VERDICTS) + ")"


def summary_frame(results: list[dict]) -> pd.DataFrame:
    """One row per claim: id, statement, source, verdict and how many checks went which way."""
    rows = []
    for claim in results:
        evidence = [c for c in claim["checks"] if c.get("kind", "evidence") != "sanity"]
        counts = {v: sum(c["verdict"] == v for c in evidence) for v in VERDICTS}
        rows.append({
            "Claim": claim["id"],
            "Statement": claim["statement"],
            "Paper": claim["source"],
            "Verdict": claim["verdict"],
            COUNTS_COLUMN: " / ".join(str(n) for n in counts.values()),
        })
    return pd.DataFrame(rows)
