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
