"""Training curves of the 1-D runs as CSV, for DVC's data plots (`dvc plots show/diff`).

One file per trained variant, `results/<artifact>/curves/<variant>.csv`: column `step`, then the training MSE of
every run, `mse_seed<k>` (or `mse_depth<d>_seed<k>` when the variant trains several depths). At most MAX_ROWS
rows: every step for short runs, evenly spaced steps and the last one otherwise (a curve to look at, not the
record: the full losses stay in the training output).

    initgen toy-curves --trained results/fig5_highbw_1d/train/xavier.npz --out results/fig5_highbw_1d/curves/xavier.csv
"""

from __future__ import annotations

import argparse
import csv
import io

import numpy as np

from initgen.results import load_npz, write_text

MAX_ROWS = 500


def curve_table(losses: np.ndarray, depths, seeds) -> str:
    """CSV of losses [depths, steps + 1, seeds]."""
    depths, seeds = [int(d) for d in depths], [int(s) for s in seeds]
    steps = losses.shape[1]
    rows = np.unique(np.linspace(0, steps - 1, min(steps, MAX_ROWS)).round().astype(int))
    columns, series = [], []
    for d, depth in enumerate(depths):
        for m, seed in enumerate(seeds):
            columns.append(f"mse_depth{depth}_seed{seed}" if len(depths) > 1 else f"mse_seed{seed}")
            series.append(losses[d, :, m])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["step", *columns])
    for step in rows:
        writer.writerow([int(step), *(f"{float(s[step]):.6g}" if np.isfinite(s[step]) else "" for s in series)])
    return out.getvalue()


def cli_toy_curves(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="initgen toy-curves", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trained", required=True, help="results/<artifact>/train/<variant>.npz")
    parser.add_argument("--out", required=True, help="results/<artifact>/curves/<variant>.csv")
    args = parser.parse_args(argv)
    trained = load_npz(args.trained)
    write_text(args.out, curve_table(trained["losses"], trained["depths"], trained["seeds"]))
    return 0
