"""Tables as CSV, Markdown and LaTeX, all from one DataFrame, each file written atomically."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from initgen.analysis.summaries import INTERVAL_NAMES
from initgen.core.files import write_text

# interval and mean_pm_std live in initgen.reporting.formatting; still importable from here
# (reporting/plots/regression_1d.py imports them)
from initgen.reporting.formatting import interval, mean_pm_std  # noqa: F401
from initgen.reporting.quantities import human_name

TABLE_SUFFIXES = (".csv", ".md", ".tex")


def write_table(frame: pd.DataFrame, stem: str | Path, caption: str = "") -> list[Path]:
    """Write `stem`.csv, `stem`.md and `stem`.tex; return the three paths.

    Columns named by a raw metric key (`test_mse`) get their human name from
    initgen.reporting.quantities, the one mapping.
    """
    stem = Path(stem)
    frame = frame.rename(columns=lambda c: human_name(c) if isinstance(c, str) else c)
    paths = [stem.with_suffix(s) for s in TABLE_SUFFIXES]
    write_text(paths[0], frame.to_csv(index=False))
    markdown = frame.to_markdown(index=False)
    write_text(paths[1], (f"{caption}\n\n" if caption else "") + markdown + "\n")
    latex = frame.to_latex(index=False, escape=True, caption=caption or None, label=f"tab:{stem.name}")
    write_text(paths[2], latex)
    return paths


def interval_caption(columns: dict[str, dict]) -> str:
    """The methods behind the intervals of a table: {column: a summarize() dict of it} -> one sentence.

    E.g. "95% intervals: test MSE, steps taken: geometric mean, log-t interval (...); HF energy at init (...): mean,
    Student-t interval clipped to [0, 1]."
    """
    by_method: dict[str, list[str]] = {}
    confidence = 0.95
    for column, stats in columns.items():
        if stats and stats.get("interval"):
            by_method.setdefault(stats["interval"], []).append(human_name(column))
            confidence = stats.get("confidence", confidence)
    if not by_method:
        return ""
    parts = [f"{', '.join(dict.fromkeys(cols))}: {INTERVAL_NAMES[m]} [{m}]" for m, cols in by_method.items()]
    return f"{100 * confidence:g}% intervals over seeds. " + "; ".join(parts) + "."
