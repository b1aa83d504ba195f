"""Saving figures: PNG (for the report) and PDF (for papers), atomically, with one house style."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on clusters and CI
import matplotlib.pyplot as plt  # noqa: E402

from initgen.core.files import atomic_path  # noqa: E402

FIGURE_SUFFIXES = (".png", ".pdf")

plt.rcParams.update(
    {
        "figure.dpi": 110,
        "savefig.dpi": 150,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "legend.fontsize": 8,
        "font.size": 9,
        # Reproducible PDFs: no creation date in the file.
        "pdf.compression": 6,
    }
)


def save_figure(figure, stem: str | Path) -> list[Path]:
    """Write `stem`.png and `stem`.pdf and close the figure."""
    stem = Path(stem)
    paths = []
    for suffix in FIGURE_SUFFIXES:
        path = stem.with_suffix(suffix)
        with atomic_path(path) as tmp:
            figure.savefig(
                tmp,
                format=suffix[1:],
                bbox_inches="tight",
                metadata={"CreationDate": None} if suffix == ".pdf" else None,
            )
        paths.append(path)
    plt.close(figure)
    return paths


def band(ax, x, runs, label, color=None, log=False):
    """Plot the mean over runs (axis 0) with a shaded band of +-1 std; return the line."""
    import numpy as np

    runs = np.asarray(runs, dtype=float)
    mean = np.nanmean(runs, axis=0)
    std = np.nanstd(runs, axis=0) if runs.shape[0] > 1 else np.zeros_like(mean)
    (line,) = ax.plot(x, mean, label=label, color=color, lw=1.3)
    low = mean - std
    if log:
        low = np.maximum(low, mean * 1e-3)
    ax.fill_between(x, low, mean + std, color=line.get_color(), alpha=0.25, lw=0)
    return line
