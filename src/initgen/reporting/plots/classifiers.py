"""Figures of the deep-classifier experiments; they only read results written by experiments/classifier_train.py and
experiments/classifier_analyze.py.

- training curves of a table's runs (train and test accuracy per epoch, random vs high-B/W init);
- Fig 6: histograms of input gradients, random vs random-label-pretrained, mean +- std over seeds per bin;
- the label-corruption sweep: test accuracy and bandwidth against the fraction of shuffled labels.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from initgen.analysis.input_gradients import histogram, symmetric_edges
from initgen.core.files import load_npz, read_json
from initgen.models.zoo import display_name
from initgen.reporting.figures import band, plt, save_figure

INIT_STYLE = {"random": ("Random init", "tab:blue"), "highbw": ("High B/W init", "tab:red")}


def _padded(curves: list[np.ndarray]) -> np.ndarray:
    """Stack curves of different lengths (runs stop when they reach the target), NaN after each one ends."""
    length = max(len(c) for c in curves)
    return np.stack([np.pad(c.astype(float), (0, length - len(c)), constant_values=np.nan) for c in curves])


def plot_curves(histories: list[str], stem, title: str = "") -> None:
    """One column per model: train accuracy (top) and test accuracy (bottom) against epoch."""
    runs: dict[tuple[str, str], list[pd.DataFrame]] = {}
    for path in histories:
        model, init = Path(path).parts[-4:-2]
        frame = pd.read_csv(path) if Path(path).stat().st_size > 1 else pd.DataFrame()
        if len(frame):
            runs.setdefault((model, init), []).append(frame)
    models = list(dict.fromkeys(model for model, _ in runs))
    figure, axes = plt.subplots(2, max(len(models), 1), figsize=(3.2 * max(len(models), 1), 5), squeeze=False)
    for column, model in enumerate(models):
        for init, (label, color) in INIT_STYLE.items():
            frames = runs.get((model, init), [])
            if not frames:
                continue
            for row, metric in enumerate(("train_acc", "test_acc")):
                curves = _padded([100 * f[metric].to_numpy() for f in frames if metric in f])
                epochs = np.arange(1, curves.shape[1] + 1)
                band(axes[row, column], epochs, curves, f"{label} (n={len(frames)})", color=color)
        axes[0, column].set_title(display_name(model))
        axes[1, column].set_xlabel("epoch (true labels)")
    axes[0, 0].set_ylabel("train accuracy (%, running)")
    axes[1, 0].set_ylabel("test accuracy (%)")
    axes[0, 0].legend(loc="lower right")
    if title:
        figure.suptitle(title)
    save_figure(figure, stem)


def plot_fig6(gradient_files: list[str], stem) -> None:
    """Fig 6: per dataset/model, histograms of d(mean output)/d(pixel), random vs high-B/W, mean +- std over
    seeds per bin (log density axis)."""
    entries: dict[tuple[str, str], dict[str, dict]] = {}
    for path in gradient_files:
        dataset, model, init = Path(path).parts[-4:-1]
        entries.setdefault((dataset, model), {})[init] = load_npz(path)
    panels = sorted(entries)
    columns = min(len(panels), 3) or 1
    rows = int(np.ceil(len(panels) / columns)) or 1
    figure, axes = plt.subplots(rows, columns, figsize=(3.6 * columns, 2.9 * rows), squeeze=False)
    for ax, (dataset, model) in zip(axes.flat, panels, strict=False):
        data = entries[(dataset, model)]
        edges = symmetric_edges([d["sample"] for d in data.values()])
        centers = 0.5 * (edges[1:] + edges[:-1])
        for init, (label, color) in INIT_STYLE.items():
            if init not in data:
                continue
            densities = np.stack([histogram(sample, edges) for sample in data[init]["sample"]])
            mean_abs = float(np.mean(data[init]["bandwidth"]))
            band(ax, centers, densities, f"{label}: mean |g| = {mean_abs:.3g}", color=color, log=True)
        ax.set_yscale("log")
        ax.set_title(f"{dataset} / {display_name(model)}")
        ax.set_xlabel("d mean output / d pixel (per unit pixel value)")
        ax.set_ylabel("density")
        ax.legend(loc="upper right")
    for ax in list(axes.flat)[len(panels) :]:
        ax.set_visible(False)
    save_figure(figure, stem)


def plot_corruption(metrics_path, stem) -> None:
    """Test accuracy and input-gradient bandwidth against the fraction p of shuffled pre-training labels."""
    metrics = read_json(metrics_path)
    runs = metrics["runs"]
    figure, axes = plt.subplots(1, 2, figsize=(8, 3.2))
    for ax, metric, scale, label in (
        (axes[0], "test_acc", 100, "test accuracy (%)"),
        (axes[1], "bandwidth", 1, "bandwidth: mean |d output / d pixel|"),
    ):
        fractions = sorted({r["fraction"] for r in runs if r["fraction"] is not None})
        values = [
            [scale * r[metric] for r in runs if r["fraction"] == p and r.get(metric) is not None]
            for p in fractions
        ]
        means = [np.mean(v) if v else np.nan for v in values]
        stds = [np.std(v, ddof=1) if len(v) > 1 else 0.0 for v in values]
        ax.errorbar(
            fractions,
            means,
            yerr=stds,
            marker="o",
            capsize=3,
            color="tab:red",
            label="pre-trained on shuffled labels (mean ± std)",
        )
        baseline = [scale * r[metric] for r in runs if r["fraction"] is None and r.get(metric) is not None]
        if baseline:
            mean, std = np.mean(baseline), (np.std(baseline, ddof=1) if len(baseline) > 1 else 0.0)
            ax.axhline(mean, color="tab:blue", lw=1.2, label="random init (mean ± std)")
            ax.axhspan(mean - std, mean + std, color="tab:blue", alpha=0.2, lw=0)
        ax.set_xlabel("fraction p of pre-training labels shuffled")
        ax.set_ylabel(label)
    axes[0].legend(loc="lower left")
    figure.suptitle(f"Label-corruption sweep: {metrics['dataset']} / {display_name(metrics['model'])}")
    save_figure(figure, stem)


def cli_plot(argv: list[str]) -> int:
    """`initgen deep-plot {curves,fig6,corruption} INPUTS... --out STEM` (writes STEM.png and STEM.pdf)."""
    parser = argparse.ArgumentParser(prog="initgen deep-plot", description="Training curves, Fig 6 or the "
                                     "corruption-sweep figure of the deep experiments.")
    parser.add_argument("kind", choices=["curves", "fig6", "corruption"], help="which figure to draw")
    parser.add_argument("inputs", nargs="+", help="train.csv histories | input_gradients.npz | metrics.json")
    parser.add_argument("--out", required=True, help="output stem (no suffix)")
    parser.add_argument("--title", default="", help="figure title (curves only)")
    args = parser.parse_args(argv)
    if args.kind == "curves":
        plot_curves(args.inputs, args.out, args.title)
    elif args.kind == "fig6":
        plot_fig6(args.inputs, args.out)
    else:
        plot_corruption(args.inputs[0], args.out)
    return 0
