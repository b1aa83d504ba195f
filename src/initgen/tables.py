"""Tables as CSV, Markdown and LaTeX, all from one DataFrame, each file written atomically."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from initgen.results import write_text

TABLE_SUFFIXES = (".csv", ".md", ".tex")


def write_table(frame: pd.DataFrame, stem: str | Path, caption: str = "") -> list[Path]:
    """Write `stem`.csv, `stem`.md and `stem`.tex; return the three paths."""
    stem = Path(stem)
    paths = [stem.with_suffix(s) for s in TABLE_SUFFIXES]
    write_text(paths[0], frame.to_csv(index=False))
    markdown = frame.to_markdown(index=False)
    write_text(paths[1], (f"{caption}\n\n" if caption else "") + markdown + "\n")
    latex = frame.to_latex(index=False, escape=True, caption=caption or None, label=f"tab:{stem.name}")
    write_text(paths[2], latex)
    return paths


def mean_pm_std(stats: dict, digits: int = 3) -> str:
    """'mean ± std' from a results.summarize() dict ('n/a' when missing, mean alone when n = 1)."""
    if not stats or stats.get("mean") is None:
        return "n/a"
    if stats.get("std") is None:
        return f"{stats['mean']:.{digits}g}"
    return f"{stats['mean']:.{digits}g} ± {stats['std']:.{digits}g}"


def interval(stats: dict, digits: int = 3) -> str:
    """'[low, high]' 95% interval of the mean from a results.summarize() dict."""
    if not stats or stats.get("ci_low") is None:
        return "n/a"
    return f"[{stats['ci_low']:.{digits}g}, {stats['ci_high']:.{digits}g}]"
