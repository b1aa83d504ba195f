"""Figures and summary tables of the 1-D artifacts. Reads only results (train/*.npz, spectra.npz, metrics.json)."""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from initgen.analysis import protocol
from initgen.core.files import load_npz, npz_job, read_json
from initgen.reporting.figures import band, save_figure
from initgen.reporting.quantities import human_name
from initgen.reporting.tables import interval, interval_caption, mean_pm_std, write_table

TITLES = {
    "fig1_depth": "Exp 1: fits and initial spectra vs depth",
    "fig2_spectral_bias": "Exp 2: per-frequency relative error during training",
    "fig3_init_spectrum": "Exp 3: spectra before and after training",
    "fig5_highbw_1d": "A.2: high-bandwidth initializations of a 4-layer ReLU MLP",
    "fig7_decay_rates": "A.3: Gaussian MLP from small-variance weights vs DC pre-training",
}
TABLE_METRICS = [
    "test_mse", "train_mse_final", "steps_taken", "hf_fraction_init", "hf_fraction_final",
    "centroid_init", "centroid_final", "spectral_bias_rho",
]  # fmt: skip
FREQ_LABEL = "frequency (cycles per unit of x; index k = k/2)"


def run_statuses(metrics, variant, depth=None) -> list[str]:
    """Status of every run of a variant (and depth), in seed order."""
    return [r["status"] for r in metrics["runs"]
            if r["variant"] == variant and (depth is None or r["depth"] == int(depth))]  # fmt: skip


def _title_note(statuses: list[str]) -> str:
    """' [2 of 10 runs failed (2 diverged): excluded]'; shown on every panel that summarizes runs."""
    note = protocol.failure_note(statuses)
    return f" [{note}: excluded]" if note else ""


def _fit_panel(ax, data, d=0, seed_index=0, show_init=True, status="fitted"):
    x, out = data["grid"], data["predictions"][d, seed_index]
    ax.plot(x, data["target_grid"], "k--", lw=1, label="target")
    if show_init:
        ax.plot(x, out[0, :, 0], color="0.6", lw=0.8, label="at init")
    failed = status not in protocol.MET
    ax.plot(x, np.nan_to_num(out[-1, :, 0], nan=0.0), lw=1.3, ls=":" if failed else "-",
            color="crimson" if failed else None,
            label=f"after training ({status}: FAILED RUN)" if failed else "after training")  # fmt: skip
    ax.plot(data["x_train"], data["y_train"], "o", color="crimson", ms=4, label="training points")
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")


def _spectrum_panel(ax, freqs, amp, nyquist, which=(0, -1), labels=("at init", "after training")):
    """amp: [M, S, F]; mean +- std over seeds, at the first and last snapshot."""
    ax.set_xlabel(FREQ_LABEL)
    ax.set_ylabel("amplitude")
    if amp.shape[0] == 0:  # every run failed: nothing to draw as a result
        ax.text(0.5, 0.5, "no run met the protocol", transform=ax.transAxes, ha="center", color="crimson")
        return
    for snap, label in zip(which, labels, strict=True):
        band(ax, freqs[1:], amp[:, snap, 1:], label=label, log=True)
    if nyquist:
        ax.axvline(nyquist, color="crimson", ls=":", lw=1, label=f"Nyquist of data ({nyquist:g})")
    ax.set_yscale("log")
    ax.set_xlim(0, min(freqs[-1], 40))


def plot_depth(trained, spectra, metrics):
    names = list(trained)
    fig, axes = plt.subplots(len(names), 3, figsize=(13, 3.2 * len(names)), squeeze=False)
    cutoff = metrics["hf_cutoff_cycles_per_unit"]
    for row, name in enumerate(names):
        data, depths = trained[name], trained[name]["depths"]
        colors = plt.cm.viridis(np.linspace(0, 0.9, len(depths)))
        ax = axes[row, 0]
        ax.plot(data["grid"], data["target_grid"], "k--", lw=1, label="target")
        for d, depth in enumerate(depths):
            status = run_statuses(metrics, name, depth)[0]
            failed = status not in protocol.MET
            ax.plot(data["grid"], np.nan_to_num(data["predictions"][d, 0, -1, :, 0], nan=0.0), color=colors[d],
                    lw=1, ls=":" if failed else "-",
                    label=f"depth {depth}" + (f" ({status})" if failed else ""))  # fmt: skip
        ax.plot(data["x_train"], data["y_train"], "o", color="crimson", ms=4, label="training points")
        ax.set(xlabel="x", ylabel="f(x)", title=f"{name}: fits after training (seed {data['seeds'][0]})")
        ax.set_ylim(-2.5, 2.5)
        ax.legend(ncol=2)
        ax = axes[row, 1]
        freqs, amp = spectra[f"{name}/freqs"], spectra[f"{name}/amp"]
        for d, depth in enumerate(depths):
            band(ax, freqs[1:], amp[d, :, 0, 1:], label=f"depth {depth}", color=colors[d], log=True)
        ax.axvline(cutoff, color="crimson", ls=":", lw=1, label="Nyquist of data")
        ax.set(yscale="log", xlim=(0, 40), xlabel=FREQ_LABEL, ylabel="amplitude", title=f"{name}: spectrum at init")
        ax.legend(ncol=2)
        ax = axes[row, 2]
        summary = metrics["summary"]
        for key, marker, axis in (("test_mse", "o-", ax), ("hf_fraction_init", "s--", ax.twinx())):
            stats = [summary[f"{name}/depth={depth}"][key] for depth in depths]
            means = [np.nan if s["mean"] is None else s["mean"] for s in stats]  # None: every seed diverged
            axis.errorbar(depths, means, yerr=[s["std"] or 0 for s in stats], fmt=marker,
                          capsize=3, color="C0" if key == "test_mse" else "C3", label=key)  # fmt: skip
            axis.set_ylabel(human_name(key))
        notes = {int(depth): protocol.failure_note(run_statuses(metrics, name, depth)) for depth in depths}
        failed = [f"{depth}: {note}" for depth, note in notes.items() if note]
        for depth, note in notes.items():
            if note:
                ax.axvline(depth, color="crimson", alpha=0.25, lw=6)
        ax.set(xlabel="depth (hidden layers)", title=f"{name}: test MSE (o), HF energy at init (s)")
        if failed:
            ax.text(0.98, 0.03, "failed runs (red bands): not in test MSE;\nHF at init counts every run\n"
                    + "\n".join(f"depth {f}" for f in failed), transform=ax.transAxes, ha="right", va="bottom",
                    fontsize=7, color="crimson", bbox={"facecolor": "white", "alpha": 0.85, "edgecolor": "none"})
    fig.suptitle(TITLES["fig1_depth"] + " (bands: mean ± std over seeds; test MSE over runs that fit)")
    fig.tight_layout()
    return fig


def plot_spectral_bias(trained, spectra, metrics):
    names = list(trained)
    fig, axes = plt.subplots(1, len(names), figsize=(4.5 * len(names), 3.6), squeeze=False)
    for col, name in enumerate(names):
        ax = axes[0, col]
        valid = [s in protocol.MET for s in run_statuses(metrics, name)]
        error = spectra[f"{name}/rel_error"][0][valid].mean(axis=0)  # mean over the valid seeds: [S, K]
        steps = spectra[f"{name}/snapshot_steps"]
        freqs = np.asarray(trained[name]["job_freqs"])
        # one cell per snapshot, from its step to the next (the snapshots may be log-spaced): x on a symlog axis
        edges = np.append(steps, steps[-1] + (steps[-1] - steps[-2] if len(steps) > 1 else 1))
        image = ax.pcolormesh(edges, np.arange(len(freqs) + 1) - 0.5, error.T, cmap="magma_r", vmin=0, vmax=1)
        ax.set_xscale("symlog", linthresh=1)
        ax.set_yticks(range(len(freqs)), [f"{f:g}" for f in freqs])
        rho = metrics["summary"][name]["spectral_bias_rho"]
        note = _title_note(run_statuses(metrics, name)).strip()  # on its own line: it is as wide as the panel
        ax.set(xlabel="training step", ylabel="target frequency (cycles per unit)")
        ax.set_title(f"{name}: rho(freq, conv. step) = {mean_pm_std(rho, 2)}" + (f"\n{note}" if note else ""),
                     fontsize=9)
        fig.colorbar(image, ax=ax, label="relative error |ΔF| / |F_target| (mean over seeds)")
    fig.suptitle(TITLES["fig2_spectral_bias"])
    fig.tight_layout()
    return fig


def plot_variants(artifact, trained, spectra, metrics):
    names = list(trained)
    fig, axes = plt.subplots(2, len(names), figsize=(3.6 * len(names), 6.4), squeeze=False)
    cutoff = metrics["hf_cutoff_cycles_per_unit"]
    for col, name in enumerate(names):
        data = trained[name]
        trained_further = int(data["snapshot_steps"][-1]) > 0
        statuses = run_statuses(metrics, name)
        _fit_panel(axes[0, col], data, show_init=trained_further, status=statuses[0])
        axes[0, col].set_title(f"{name} (seed {data['seeds'][0]}){_title_note(statuses)}", fontsize=8)
        axes[0, col].set_ylim(-3, 3)
        labels = ("at init", "after training") if trained_further else ("after initialization", "")
        which = (0, -1) if trained_further else (0,)
        valid = [s in protocol.MET for s in statuses]  # spectra of failed runs are not drawn as results
        _spectrum_panel(axes[1, col], spectra[f"{name}/freqs"], spectra[f"{name}/amp"][0][valid], cutoff, which,
                        labels[: len(which)])  # fmt: skip
    axes[0, 0].legend()
    axes[1, 0].legend()
    fig.suptitle(TITLES.get(artifact, artifact) + " (spectra: mean ± std over the seeds that met the protocol)")
    fig.tight_layout()
    return fig


def summary_table(metrics) -> tuple[pd.DataFrame, str]:
    """One row per run group, one column per metric (its human name): 'estimate [95% interval]' over seeds.

    Returns the table and the caption sentence naming each column's interval method.
    """
    rows, columns = [], {}
    for group, stats in metrics["summary"].items():
        row = {"run": group, "seeds": max((s["n"] for s in stats.values()), default=0)}
        for key in TABLE_METRICS + sorted(k for k in stats if k.startswith(("kept_fraction", "amp_"))):
            if key in stats:
                row[human_name(key)] = interval(stats[key], with_estimate=True)
                columns.setdefault(key, stats[key])
        rows.append(row)
    return pd.DataFrame(rows), interval_caption(columns)


def cli_plot(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="initgen toy-plot", description="Figure and table of a 1-D artifact.")
    parser.add_argument("--artifact", required=True, help="artifact name, e.g. fig1_depth")
    parser.add_argument("--trained", nargs="+", required=True, help="train/<variant>.npz files")
    parser.add_argument("--metrics", required=True, help="the artifact's metrics.json (toy-analyze)")
    parser.add_argument("--spectra", required=True, help="the artifact's spectra.npz (toy-analyze)")
    parser.add_argument("--out-dir", required=True, help="folder for <artifact>.png/.pdf and summary tables")
    args = parser.parse_args(argv)
    trained = {Path(p).stem: load_npz(p) for p in args.trained}
    for data in trained.values():
        data["job_freqs"] = npz_job(data)["target"].get("freqs", [])
    spectra, metrics = load_npz(args.spectra), read_json(args.metrics)
    if args.artifact == "fig1_depth":
        fig = plot_depth(trained, spectra, metrics)
    elif args.artifact == "fig2_spectral_bias":
        fig = plot_spectral_bias(trained, spectra, metrics)
    else:
        fig = plot_variants(args.artifact, trained, spectra, metrics)
    out = Path(args.out_dir)
    save_figure(fig, out / args.artifact)
    table, methods = summary_table(metrics)
    write_table(table, out / "summary", caption=f"{args.artifact}: estimate [95% interval] per run group. {methods}")
    return 0
