"""Figures of the flat-minima artifacts: fig4_flat_minima (Exp 5) and fig9_deep_hessian (A.4).

Reads only results (train/*.npz, hessian/*.json, per-run JSONs, the tables' metrics.json). Each figure's
metrics.json repeats its table's runs and summary and names the table's metrics.json as the source.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import NullFormatter

from initgen.core.files import load_npz, npz_job, read_json, write_json
from initgen.reporting.figures import band, save_figure

ACTIVATION_NAMES = {"relu": "ReLU", "gaussian": "Gaussian"}
BANDWIDTH_COLORS = {"low": "tab:blue", "high": "tab:red", "random": "tab:blue", "highbw": "tab:red"}
INIT_LABELS = {"random": "random init (low B/W)", "highbw": "high-B/W init"}
DENSITY_FLOOR = 1e-8  # relative to each panel's peak: log axes need a floor below the smoothed tails


def common_density(runs: list[dict], points: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """Each run's smoothed density interpolated onto one eigenvalue grid (0 outside its own grid)."""
    low = min(r["density"]["grid"][0] for r in runs)
    high = max(r["density"]["grid"][-1] for r in runs)
    grid = np.linspace(low, high, points)
    values = [np.interp(grid, r["density"]["grid"], r["density"]["values"], left=0.0, right=0.0) for r in runs]
    return grid, np.asarray(values)


def density_panel(ax, groups: dict[str, list[dict]], labels: dict[str, str]) -> None:
    """groups: name -> runs with a density; mean over runs with a +-1 std band, log y."""
    with_density = {k: [r for r in v if r.get("density")] for k, v in groups.items()}
    everything = [r for v in with_density.values() for r in v]
    if not everything:
        ax.text(0.5, 0.5, "no density", ha="center", transform=ax.transAxes)
        return
    grid, _ = common_density(everything)
    peak = 0.0
    for name, runs in with_density.items():
        if not runs:
            continue
        values = np.asarray(
            [np.interp(grid, r["density"]["grid"], r["density"]["values"], left=0.0, right=0.0) for r in runs]
        )
        peak = max(peak, float(values.mean(axis=0).max()))
        band(ax, grid, np.maximum(values, 1e-300), labels[name], color=BANDWIDTH_COLORS.get(name), log=True)
    ax.set_yscale("log")
    ax.set_ylim(max(peak, 1e-300) * DENSITY_FLOOR, peak * 3)
    ax.set_xlabel("Hessian eigenvalue")
    ax.set_ylabel("density (SLQ, smoothed)")
    ax.legend()


# ------------------------------------------------------------------------------------------------- Fig 4
def plot_fig4(trained: dict[str, dict], runs: list[dict], metrics: dict, out_dir) -> None:
    activations = [a for a in ("relu", "gaussian") if any(r["activation"] == a for r in runs)]
    fig, axes = plt.subplots(3, 4, figsize=(17, 11.5))
    bandwidth_label = {"low": "low B/W", "high": "high B/W"}
    for col, activation in enumerate(activations[:2]):
        mine = [r for r in runs if r["activation"] == activation]
        name = ACTIVATION_NAMES.get(activation, activation)
        # row 1: eigenvalue densities, and one fit per bandwidth (first draw, first seed)
        ax = axes[0, col]
        density_panel(ax, {b: [r for r in mine if r["bandwidth"] == b] for b in ("low", "high")}, bandwidth_label)
        ax.set_title(f"{name}: Hessian eigenvalue density at the minimum")
        fit_panel(axes[0, 2 + col], [d for d in trained.values() if _activation(d) == activation], name)
        # row 2: flatness against test error, one point per minimum
        flat = metrics["flatness_vs_error"][activation]
        for k, (metric, label, key) in enumerate(
            (
                ("trace", "Hessian trace", "trace_vs_test_mse"),
                ("top_eigenvalue", "top eigenvalue (spectral norm)", "top_eigenvalue_vs_test_mse"),
            )
        ):
            ax = axes[1, 2 * col + k]
            for bandwidth in ("low", "high"):
                points = [
                    (r[metric], r["test_mse"])
                    for r in mine
                    if r["bandwidth"] == bandwidth and r.get(metric) and r.get("test_mse")
                ]
                if points:
                    x, y = zip(*points, strict=True)
                    ax.scatter(x, y, s=22, color=BANDWIDTH_COLORS[bandwidth], label=bandwidth_label[bandwidth])
            rho = flat[key]["rho"]
            ax.set_title(f"{name}: Spearman rho = {'n/a' if rho is None else f'{rho:+.2f}'} (n={flat[key]['n']})")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.xaxis.set_minor_formatter(NullFormatter())  # unlabelled minor ticks: narrow ranges overprint
            ax.set_xlabel(label)
            ax.set_ylabel("test MSE (dense grid)")
            ax.legend()
        # row 3: loss along the top eigenvector, train and test
        for k, which in enumerate(("train_mse", "test_mse")):
            ax = axes[2, 2 * col + k]
            for bandwidth in ("low", "high"):
                sliced = [r["slice"] for r in mine if r["bandwidth"] == bandwidth and r.get("slice")]
                if sliced:
                    band(ax, np.asarray(sliced[0]["t"]), [s[which] for s in sliced], bandwidth_label[bandwidth],
                         color=BANDWIDTH_COLORS[bandwidth], log=True)  # fmt: skip
            ax.set_yscale("log")
            ax.set_xlabel("t (step along the unit top eigenvector, parameter units)")
            ax.set_ylabel(f"{'training' if which == 'train_mse' else 'test'} MSE at theta + t v")
            ax.set_title(f"{name}: {'training' if which == 'train_mse' else 'test'} loss slice (mean ± std)")
            ax.legend()
    fig.suptitle("Exp 5: flatness of the minimum vs generalization (points: one signal draw x seed each)")
    fig.tight_layout()
    save_figure(fig, Path(out_dir) / "fig4_flat_minima")


def _activation(data: dict) -> str:
    return npz_job(data)["variant"]["model"]["activation"]


def fit_panel(ax, datasets: list[dict], name: str) -> None:
    """Target, training points and the trained fit of each bandwidth for the first draw and seed."""
    shown_target = False
    for data in datasets:
        bandwidth = npz_job(data)["variant"]["bandwidth"]
        if not shown_target:
            ax.plot(data["grid"], data["target_grid"][0], "k--", lw=1, label="target (draw 0)")
            ax.plot(data["x_train"], data["y_train"][0], "o", color="k", ms=4, label="training points")
            shown_target = True
        ax.plot(data["grid"], data["prediction_grid"][0], color=BANDWIDTH_COLORS[bandwidth], lw=1.2,
                label=f"{bandwidth} B/W, seed {int(data['seeds'][0])}")  # fmt: skip
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")
    ax.set_title(f"{name}: trained fits")
    ax.legend()


# ------------------------------------------------------------------------------------------------- Fig 9
def plot_fig9(runs: list[dict], out_dir) -> None:
    pairs = sorted({(r["dataset"], r["model"]) for r in runs})
    columns = min(3, len(pairs))
    rows = -(-len(pairs) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(5.2 * columns, 3.9 * rows), squeeze=False)
    for ax, (dataset, model) in zip(axes.flat, pairs, strict=False):
        mine = [r for r in runs if (r["dataset"], r["model"]) == (dataset, model)]
        groups = {init: [r for r in mine if r["init"] == init] for init in ("random", "highbw")}
        labels = {}
        for init, members in groups.items():
            traces = [r["trace"] for r in members if r.get("trace") is not None]
            labels[init] = INIT_LABELS[init] + (f", trace {np.mean(traces):.3g}" if traces else "")
        density_panel(ax, groups, labels)
        ax.set_title(f"{dataset} / {model}: eigenvalue density (mean ± std over seeds)")
    for ax in list(axes.flat)[len(pairs) :]:
        ax.axis("off")
    fig.suptitle("A.4: Hessian of the training loss after training, random vs high-B/W init")
    fig.tight_layout()
    save_figure(fig, Path(out_dir) / "fig9_deep_hessian")


# --------------------------------------------------------------------------------------------------- CLI
def figure_metrics(artifact: str, table_metrics: str, out_dir) -> None:
    """The figure's metrics.json: the table's runs and summary, and where they come from."""
    source = read_json(table_metrics)
    write_json(
        Path(out_dir) / "metrics.json",
        {"artifact": artifact, "source": str(table_metrics)} | {k: v for k, v in source.items() if k != "artifact"},
    )


def cli_plot(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="initgen curvature-plot", description="Fig 4 (Exp 5) or Fig 9 (A.4).")
    parser.add_argument("figure", choices=["fig4", "fig9"], help="which figure: fig4 (Exp 5) or fig9 (A.4)")
    parser.add_argument("--metrics", required=True, help="the table's metrics.json")
    parser.add_argument("--runs", nargs="+", required=True, help="fig4: hessian/<variant>.json; fig9: per-run JSONs")
    parser.add_argument("--trained", nargs="*", default=[], help="fig4: train/<variant>.npz")
    parser.add_argument("--out-dir", required=True, help="folder for the figure (.png and .pdf)")
    args = parser.parse_args(argv)
    metrics = read_json(args.metrics)
    if args.figure == "fig4":
        runs = [run for path in args.runs for run in read_json(path)["runs"]]
        trained = {path: load_npz(path) for path in args.trained}
        plot_fig4(trained, runs, metrics, args.out_dir)
        figure_metrics("fig4_flat_minima", args.metrics, args.out_dir)
    else:
        plot_fig9([read_json(path) for path in args.runs], args.out_dir)
        figure_metrics("fig9_deep_hessian", args.metrics, args.out_dir)
    return 0
