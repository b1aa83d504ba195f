"""Figures and tables of the related papers' artifacts (asi, linear_imbalance, linear_width).

Reads only the run files (npz) and metrics.json written by experiments/asi_runs.py; writes PNG + PDF figures and
CSV / Markdown / LaTeX tables into results/<artifact>/.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from initgen.analysis.summaries import summarize
from initgen.core.errors import UserFacingError
from initgen.core.files import load_npz, read_json
from initgen.pipeline.artifacts import RELATED_ARTIFACTS
from initgen.reporting.figures import band, plt, save_figure
from initgen.reporting.formatting import interval, mean_pm_std
from initgen.reporting.tables import interval_caption, write_table

LABELS = {"original": "original", "asi": "ASI", "doubling": "doubling trick", "rnd": "RND (size-matched)"}
STYLES = {"original": "-", "asi": "--", "doubling": ":", "rnd": "-."}  # ASI and doubling often overlap


def _interval_bars(stats: list[dict]) -> tuple[np.ndarray, np.ndarray]:
    """Estimates and asymmetric error bars [2, n] from results.summarize outputs (NaN where undefined)."""
    def as_float(v):  # a summary holds None where it has no interval
        return np.nan if v is None else float(v)
    estimate = np.array([as_float(s["estimate"]) for s in stats])
    low = np.array([as_float(s["ci_low"]) for s in stats])
    high = np.array([as_float(s["ci_high"]) for s in stats])
    return estimate, np.nan_to_num(np.stack([estimate - low, high - estimate]))


def _errorbar(ax, x, values, label, **kwargs):
    """Per x, over seeds (axis 1) of a positive quantity: the geometric mean with its 95% log-t interval (it
    stays above 0 on a log axis, where mean +- std would not)."""
    stats = [summarize(list(np.asarray(row, float)), kind="positive") for row in np.asarray(values, float)]
    estimate, bars = _interval_bars(stats)
    return ax.errorbar(x, estimate, yerr=bars, marker="o", ms=4, capsize=3, label=label, **kwargs)


# --- asi ----------------------------------------------------------------------------------------------------


def plot_asi(main: dict, sweep: dict, metrics: dict, out: Path) -> None:
    variants = [str(v) for v in main["variants"] if f"{v}_final" in main]
    figure, axes = plt.subplots(2, 2, figsize=(10, 7.5))
    ax = axes[0, 0]
    order = np.argsort(main["x_test"][0])
    ax.plot(main["x_test"][0][order], main["y_test"][0][order], "k--", lw=1, label="target sin(4x)")
    for variant in variants:
        ax.plot(main["x_test"][0][order], main[f"{variant}_final"][0][order], STYLES[variant], lw=1.4,
                label=LABELS[variant])
    ax.plot(main["x_train"][0], main["y_train"][0], "ko", ms=4, label="training points")
    ax.set(xlabel="x", ylabel="network output h(x)", title=f"(a) final fits, seed {int(main['seeds'][0])}")
    ax.legend()

    ax = axes[0, 1]
    if "asi_final" in main:
        observed = main["original_final"][0] - main["asi_final"][0]
        ax.plot(main["x_test"][0][order], observed[order], lw=1.5, label="observed: original - ASI (trained)")
        ax.plot(main["x_test"][0][order], main["predicted_error"][0][order], "--", lw=1.5,
                label="NTK prediction h_ini - h_k(x; 0, X, h_ini(X))")
        stats = metrics["summary"]["ntk_prediction"]["prediction_corr"]
        ax.set_title(f"(b) error caused by the initial output (corr over seeds {mean_pm_std(stats, 2)})")
    ax.plot(main["x_train"][0], np.zeros_like(main["x_train"][0]), "ko", ms=4, label="training points")
    ax.set(xlabel="x", ylabel="output difference")
    ax.legend()

    ax = axes[1, 0]
    steps = main["curve_steps"]
    for variant in variants:
        curves = np.maximum(main[f"{variant}_curve"], 1e-30)
        (line,) = ax.plot(np.maximum(steps, 1), np.exp(np.log(curves).mean(axis=0)), STYLES[variant], lw=1.6,
                          label=LABELS[variant])
        for curve in curves:
            ax.plot(np.maximum(steps, 1), curve, color=line.get_color(), lw=0.6, alpha=0.35)
    ax.set(xscale="log", yscale="log", xlabel="epoch (full-batch GD step)", ylabel="training MSE",
           title="(c) training loss: geometric mean (thick) and each seed (thin)")
    ax.legend()

    ax = axes[1, 1]
    stats = metrics["summary"]["variants"]
    for i, variant in enumerate(variants):
        values = [r["test_mse"] for r in metrics["runs"] if r.get("part") == "main" and r["variant"] == variant]
        estimate, bars = _interval_bars([stats[variant]["test_mse"]])  # geometric mean, 95% log-t interval
        ax.bar(i, estimate[0], yerr=bars, capsize=4, alpha=0.6)
        ax.plot([i] * len(values), values, "k.", ms=5)
    ax.set_xticks(range(len(variants)), [LABELS[v] for v in variants], rotation=15)
    ax.set(yscale="log", ylabel="test MSE (500 points)", title="(d) test error per variant (dots: seeds)")
    figure.tight_layout()
    save_figure(figure, out / "asi")

    figure, ax = plt.subplots(figsize=(5.5, 4))
    x = sweep["init_rms"].mean(axis=1)
    for variant in ("original", "asi"):
        _errorbar(ax, x, sweep[f"{variant}_test_mse"], LABELS[variant])
    for std, xi in zip(sweep["stds"], x, strict=True):
        ax.annotate(f"std {std:g}", (xi, 0.02), xycoords=("data", "axes fraction"), fontsize=7, ha="center",
                    alpha=0.7)
    rho = metrics["summary"]["sweep_spearman"]
    ax.set(xscale="log", yscale="log", xlabel="RMS of the original network's initial output on the test points",
           ylabel="test MSE after training",
           title=f"init std sweep (Spearman: original {rho['original']:.2f}, ASI {rho['asi']:.2f})")
    ax.legend()
    save_figure(figure, out / "asi_sweep")

    rows = []
    for variant in variants:
        s = stats[variant]
        params = next(r["params"] for r in metrics["runs"] if r.get("part") == "main" and r["variant"] == variant)
        rows.append({"variant": LABELS[variant], "parameters": params,
                     "initial output RMS": mean_pm_std(s["init_output_rms"]),
                     "test MSE (mean ± std)": mean_pm_std(s["test_mse"]),
                     "test MSE: estimate [95% interval]": interval(s["test_mse"], with_estimate=True),
                     "final train MSE": mean_pm_std(s["final_train_mse"]), "epochs": mean_pm_std(s["epochs"])})
    write_table(pd.DataFrame(rows), out / "summary", "ASI (Zhang et al. 2020): test error per variant over seeds. "
                + interval_caption({"test_mse": stats[variants[0]]["test_mse"]}))
    rows = []
    for std in sweep["stds"]:
        o, a = (metrics["summary"]["sweep"][f"{v}/std={float(std)}"] for v in ("original", "asi"))
        rows.append({"init std": f"{std:g}", "initial output RMS": mean_pm_std(o["init_output_rms"]),
                     "test MSE original": mean_pm_std(o["test_mse"]), "test MSE ASI": mean_pm_std(a["test_mse"]),
                     "train MSE original": mean_pm_std(o["final_train_mse"]),
                     "train MSE ASI": mean_pm_std(a["final_train_mse"])})
    write_table(pd.DataFrame(rows), out / "sweep", "Init std sweep: test error against the initial output")


# --- linear networks ----------------------------------------------------------------------------------------


def plot_linear_imbalance(data: dict, metrics: dict, out: Path) -> None:
    figure, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.2), gridspec_kw={"width_ratios": [1.6, 1]})
    its = data["iterations"]
    for a, name in enumerate(data["case_names"]):
        c = data["c"][a].mean()
        line = band(ax, its, data["losses"][a], f"{name}: c = {c if c > 1e-12 else 0:.3g}", log=True)
        ax.plot(its, data["bound"][a].mean(axis=0), "--", color=line.get_color(), lw=1)
    ax.set(yscale="log", xlabel="gradient descent iteration", ylabel="training loss (1/n)||Y - XUV^T||^2",
           title="(a) loss (solid, mean ± std over seeds) and Theorem 1 bound (dashed)")
    ax.legend()
    steps = float(data["step"]) * data["drift_factors"]
    for a, name in enumerate(data["case_names"]):
        _errorbar(ax2, steps, data["drift"][:, a, :], str(name))
    ax2.set(xscale="log", yscale="log", xlabel="step size (same flow time)",
            ylabel="||Lambda(T) - Lambda(0)||_F", title="(b) imbalance drift under GD (O(step) expected)")
    ax2.legend()
    figure.tight_layout()
    save_figure(figure, out / "linear_imbalance")

    rows = []
    for a, name in enumerate(data["case_names"]):
        s = metrics["summary"]["cases"][f"case={name}"]
        rows.append({"case": str(name), "sU": f"{data['sU'][a]:g}", "sV": f"{data['sV'][a]:g}",
                     "c": mean_pm_std(s["c"]), "initial loss": mean_pm_std(s["initial_loss"]),
                     "final loss": mean_pm_std(s["final_loss"]),
                     "Theorem 1 bound at end": mean_pm_std(s["final_bound"]),
                     "max loss / bound": mean_pm_std(s["bound_ratio_max"]), "Lambda drift": mean_pm_std(s["drift"])})
    write_table(pd.DataFrame(rows), out / "summary",
                "Linear networks (Min et al. 2021): rate constant c, losses after the run, imbalance drift")


def plot_linear_width(data: dict, metrics: dict, out: Path) -> None:
    figure, axes = plt.subplots(1, 3, figsize=(14, 4.2))
    widths = data["widths"].astype(float)
    inv = 1 / np.sqrt(widths)
    inits = [str(i) for i in data["inits"]]
    for a, init in enumerate(inits):
        _errorbar(axes[0], widths, data["distance"][a], f"||UV^T - Theta_hat||_F ({init} init)")
        _errorbar(axes[1], inv, data["distance"][a], f"distance ({init} init)")
        iterations = np.where(data["converged_at"][a] >= 0, data["converged_at"][a], np.nan).astype(float)
        _errorbar(axes[2], widths, iterations, f"{init} init", ls="--" if init == "orthogonal" else "-")
    random = inits.index("random") if "random" in inits else 0
    _errorbar(axes[0], widths, data["u2v_init"][random], "||U2(0) V(0)^T||_F", ls=":")
    _errorbar(axes[1], inv, data["u2v_init"][random], "||U2(0) V(0)^T||_F", ls=":")
    fit = metrics["summary"]["fit"][inits[random]]["distance_vs_inv_sqrt_h"]
    grid = np.linspace(0, inv.max() * 1.05, 50)
    axes[1].plot(grid, fit["slope"] * grid + fit["intercept"], "k--", lw=1,
                 label=f"fit {fit['slope']:.3g}/sqrt(h) + {fit['intercept']:.2g}, R² = {fit['r2']:.3f}")
    axes[0].set(xscale="log", yscale="log", xlabel="hidden width h", ylabel="Frobenius norm",
                title="(a) distance to the min-norm solution")
    axes[1].set(xlabel="1 / sqrt(h)", ylabel="Frobenius norm", title="(b) against 1/sqrt(h), with the fitted line")
    axes[2].set(xscale="log", xlabel="hidden width h", ylabel="GD iterations until loss < stop_loss",
                title="(c) iterations to converge (U2 does not enter the loss)")
    for ax in axes:
        ax.legend()
    figure.tight_layout()
    save_figure(figure, out / "linear_width")

    rows, widths = [], metrics["summary"]["widths"]
    for init in inits:
        for h in data["widths"]:
            s = widths[f"init={init}/width={int(h)}"]
            rows.append({"init": init, "h": int(h), "||UV^T - Theta_hat||_F (mean ± std)": mean_pm_std(s["distance"]),
                         "||UV^T - Theta_hat||_F: estimate [95% interval]": interval(s["distance"], with_estimate=True),
                         "relative": mean_pm_std(s["distance_relative"]),
                         "||U2(0)V(0)^T||": mean_pm_std(s["u2v_init"]), "c": mean_pm_std(s["c"]),
                         "iterations": mean_pm_std(s["iterations"], 4)})
    write_table(pd.DataFrame(rows), out / "summary",
                "Linear networks (Min et al. 2021): distance to the min-norm solution against width. "
                + interval_caption({"distance": next(iter(widths.values()))["distance"]}))


def cli_plot(argv: list[str]) -> int:
    """`initgen related-plot --artifact NAME --runs FILE.npz [FILE.npz] --metrics metrics.json --out-dir DIR`"""
    parser = argparse.ArgumentParser(prog="initgen related-plot",
                                     description="Figure and summary table of a related-work artifact.")
    parser.add_argument("--artifact", required=True, choices=RELATED_ARTIFACTS,
                        help="which related-work artifact")
    parser.add_argument("--runs", nargs="+", required=True, help="asi: main.npz sweep.npz; else: runs.npz")
    parser.add_argument("--metrics", required=True, help="the artifact's metrics.json (related-analyze)")
    parser.add_argument("--out-dir", required=True, help="folder for the figure and summary tables")
    args = parser.parse_args(argv)
    for path in [*args.runs, args.metrics]:
        if not Path(path).exists():
            raise UserFacingError(f"{path} not found: build it with `snakemake {path}`")
    runs, metrics, out = [load_npz(p) for p in args.runs], read_json(args.metrics), Path(args.out_dir)
    if args.artifact == "asi":
        plot_asi(runs[0], runs[1], metrics, out)
    elif args.artifact == "linear_imbalance":
        plot_linear_imbalance(runs[0], metrics, out)
    else:
        plot_linear_width(runs[0], metrics, out)
    print(f"wrote figures and tables to {out}")
    return 0

