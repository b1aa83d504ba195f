"""Did a run do what the paper's protocol requires? One status per run, and the counts every artifact reports.

Statuses:
  fitted       reached its stopping rule (train MSE below `stop_mse`, or the target train accuracy)
  not fitted   stayed finite but never reached its stopping rule within its budget
  diverged     its training loss or output became non-finite
  ran budget   a fixed-length run without a stopping rule (e.g. Exp 3b's long Adam run) that stayed finite
  no training  a network used as initialized (e.g. Fig 5's pre-trained nets), nothing to reach
A run that diverged or did not fit is a failed run: counted and shown, never scored (see claims `requires:`).
"""

from __future__ import annotations

import math

STATUSES = ("fitted", "not fitted", "diverged", "ran budget", "no training")
MET = ("fitted", "ran budget", "no training")  # statuses that satisfy the protocol


def loss_status(final_loss: float, stop_loss: float | None, trained: bool = True) -> str:
    """Status of a regression run from its final training loss and stopping rule."""
    if final_loss is None or not math.isfinite(final_loss):
        return "diverged"
    if not trained:
        return "no training"
    if stop_loss is None:
        return "ran budget"
    return "fitted" if final_loss < stop_loss else "not fitted"


def target_status(diverged: bool, reached_target: bool) -> str:
    """Status of a classifier phase that trains until a target train accuracy."""
    if diverged:
        return "diverged"
    return "fitted" if reached_target else "not fitted"


def counts(runs: list[dict], group_keys: list[str]) -> list[dict]:
    """Per group (e.g. variant and depth): runs, met the protocol, fitted, not fitted, diverged."""
    groups: dict[tuple, list[str]] = {}
    for run in runs:
        groups.setdefault(tuple(run.get(k) for k in group_keys), []).append(run["status"])
    rows = []
    for key, statuses in sorted(groups.items(), key=lambda item: tuple(map(str, item[0]))):
        row = dict(zip(group_keys, key, strict=True))
        row |= {
            "runs": len(statuses),
            "met_protocol": sum(s in MET for s in statuses),
            "not_fitted": statuses.count("not fitted"),
            "diverged": statuses.count("diverged"),
        }
        rows.append(row)
    return rows


def describe_failures(statuses: list[str]) -> str:
    """'2 diverged, 1 did not fit' for the failed statuses among `statuses` (empty when none failed)."""
    parts = []
    if statuses.count("diverged"):
        parts.append(f"{statuses.count('diverged')} diverged")
    if statuses.count("not fitted"):
        parts.append(f"{statuses.count('not fitted')} did not fit")
    return ", ".join(parts)


def failure_note(statuses: list[str]) -> str:
    """'3 of 10 runs failed (2 diverged, 1 did not fit)', or empty when every run met the protocol."""
    failed = sum(s not in MET for s in statuses)
    return f"{failed} of {len(statuses)} runs failed ({describe_failures(statuses)})" if failed else ""
