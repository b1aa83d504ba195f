"""Training curves of the 1-D runs as CSV, for DVC's data plots (`dvc plots show/diff`).

One file per trained variant, `results/<artifact>/curves/<variant>.csv`: column `step`, then the training MSE of
every run, `mse_seed<k>` (or `mse_depth<d>_seed<k>` when the variant trains several depths). At most MAX_ROWS
rows: every step for short runs, evenly spaced steps and the last one otherwise (a curve to look at, not the
record: the full losses stay in the training output).

    initgen toy-curves --trained results/fig5_highbw_1d/train/xavier.npz --out results/fig5_highbw_1d/curves/xavier.csv

And the linear networks' loss against the Theorem 1 bound (Min et al. 2021), `results/linear_imbalance/curves.csv`:
column `iteration`, then `loss_<case>` and `bound_<case>`, each the mean over seeds at the recorded iterations.

    initgen linear-curves --runs results/linear_imbalance/runs.npz --out results/linear_imbalance/curves.csv
"""

from __future__ import annotations

import argparse

import numpy as np

from initgen.core.files import load_npz, rows_csv, write_text

MAX_ROWS = 500


def curve_table(losses: np.ndarray, depths, seeds) -> str:
    """CSV of losses [depths, steps + 1, seeds] (core.files.rows_csv, the one CSV writer of the library)."""
    depths, seeds = [int(d) for d in depths], [int(s) for s in seeds]
    steps = losses.shape[1]
    rows = np.unique(np.linspace(0, steps - 1, min(steps, MAX_ROWS)).round().astype(int))
    columns, series = [], []
    for d, depth in enumerate(depths):
        for m, seed in enumerate(seeds):
            columns.append(f"mse_depth{depth}_seed{seed}" if len(depths) > 1 else f"mse_seed{seed}")
            series.append(losses[d, :, m])
    def cell(value):  # blank where a run diverged
        return f"{float(value):.6g}" if np.isfinite(value) else None

    return rows_csv([{"step": int(step)} | {c: cell(s[step]) for c, s in zip(columns, series, strict=True)}
                     for step in rows])


def cli_toy_curves(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="initgen toy-curves", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trained", required=True, help="results/<artifact>/train/<variant>.npz")
    parser.add_argument("--out", required=True, help="results/<artifact>/curves/<variant>.csv")
    args = parser.parse_args(argv)
    trained = load_npz(args.trained)
    write_text(args.out, curve_table(trained["losses"], trained["depths"], trained["seeds"]))
    return 0


def linear_curve_table(runs: dict) -> str:
    """CSV of the loss and the Theorem 1 bound per case (mean over seeds) against the iteration."""
    names = [str(name) for name in runs["case_names"]]
    losses, bound = runs["losses"].mean(axis=1), runs["bound"].mean(axis=1)  # [cases, recorded]
    return rows_csv([
        {"iteration": int(iteration)}
        | {f"loss_{n}": f"{v:.6g}" for n, v in zip(names, losses[:, i], strict=True)}
        | {f"bound_{n}": f"{v:.6g}" for n, v in zip(names, bound[:, i], strict=True)}
        for i, iteration in enumerate(runs["iterations"])
    ])


def cli_linear_curves(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="initgen linear-curves", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", required=True, help="results/linear_imbalance/runs.npz")
    parser.add_argument("--out", required=True, help="results/linear_imbalance/curves.csv")
    args = parser.parse_args(argv)
    write_text(args.out, linear_curve_table(load_npz(args.runs)))
    return 0
