"""Dose-response: initial bandwidth against the generalization gap, over every model and dataset run.

Bandwidth at init: the spectral centroid of a 1-D network's output at init (cycles per unit; toy metrics.json
`centroid_init`), and for image classifiers the mean absolute input gradient at the start of true-label training
(fig6_input_gradients / corruption_sweep `bandwidth`). Gap: test MSE - train MSE for 1-D runs that trained
(`steps_taken` > 0), train accuracy - test accuracy for classifiers (table1_* / table3_* runs, corruption_sweep).
Spearman's rho per group (1-D artifact, or dataset) and pooled per domain, with a Fisher-z 95% interval.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from initgen.analysis.statistics import fisher_interval, spearman
from initgen.core.errors import UserFacingError
from initgen.core.files import read_json, write_json
from initgen.reporting.formatting import bounds

ALPHA = 0.05  # 95% intervals, as every summary of the pipeline
DOMAINS = {"1-D": "spectral centroid at init (cycles/unit)", "images": "mean |input gradient| at init"}


def _key(run: dict, key: str, source) -> float | None:
    if key not in run:
        raise UserFacingError(f"{source}: a run lacks key {key!r} (dose-response reads it)")
    return run[key]


def collect_points(metrics_files: list[str | Path]) -> list[dict]:
    """One point per run: domain, group, label, bandwidth, gap."""
    loaded = {Path(p).parent.name: (Path(p), read_json(p)) for p in metrics_files}
    points = []
    for artifact, (path, metrics) in sorted(loaded.items()):
        runs = metrics.get("runs", [])
        if runs and "centroid_init" in runs[0]:  # a 1-D artifact (regression_1d_analyze.py)
            for run in runs:
                if not _key(run, "steps_taken", path) or run.get("test_mse") is None:
                    continue  # not trained (e.g. fig5_highbw_1d) or no scalar output: no gap
                train, test = _key(run, "train_mse_final", path), run["test_mse"]
                if train is None or _key(run, "centroid_init", path) is None or not run.get("met_protocol", True):
                    continue  # a failed run (diverged, never fitted) is counted in its artifact, never scored
                label = run["variant"] + (f"/depth={run['depth']}" if artifact == "fig1_depth" else "")
                points.append({"domain": "1-D", "group": artifact, "label": label, "seed": run["seed"],
                               "bandwidth": run["centroid_init"], "gap": test - train})
    bandwidth = {}
    for artifact in ("fig6_input_gradients", "corruption_sweep"):
        if artifact in loaded:
            path, metrics = loaded[artifact]
            for run in metrics["runs"]:
                if run.get("bandwidth") is not None:
                    bandwidth[(run.get("dataset", metrics.get("dataset")), run.get("model", metrics.get("model")),
                               run["init"], run["seed"])] = run["bandwidth"]
    seen = set()
    accuracy_sources = [a for a in loaded if a.startswith(("table1_", "table3_"))] + ["corruption_sweep"]
    for artifact in accuracy_sources:
        if artifact not in loaded:
            continue
        path, metrics = loaded[artifact]
        for run in metrics["runs"]:
            key = (run.get("dataset", metrics.get("dataset")), run.get("model", metrics.get("model")),
                   _key(run, "init", path), _key(run, "seed", path))
            train, test = _key(run, "train_acc", path), _key(run, "test_acc", path)
            if key in seen or key not in bandwidth or train is None or test is None:
                continue
            if not run.get("met_protocol", True):
                continue  # never reached its target train accuracy: no generalization gap to speak of
            seen.add(key)
            points.append({"domain": "images", "group": key[0], "label": f"{key[1]}/{key[2]}", "seed": key[3],
                           "bandwidth": bandwidth[key], "gap": train - test})
    return points


def correlation(points: list[dict]) -> dict:
    x = [p["bandwidth"] for p in points]
    y = [p["gap"] for p in points]
    rho = spearman(x, y)
    low, high = fisher_interval(rho, len(points), ALPHA)
    finite = np.isfinite([rho, low, high])
    return {"spearman_rho": float(rho) if finite[0] else None, "ci_low": float(low) if finite[1] else None,
            "ci_high": float(high) if finite[2] else None, "n": len(points)}


def analyze(points: list[dict]) -> dict:
    """rho per group and pooled per domain."""
    out = {}
    for domain in DOMAINS:
        mine = [p for p in points if p["domain"] == domain]
        if not mine:
            continue
        groups = sorted({p["group"] for p in mine})
        out[domain] = {"pooled": correlation(mine)} | {g: correlation([p for p in mine if p["group"] == g])
                                                       for g in groups}
    return out


def plot(points: list[dict], stats: dict, stem) -> None:
    from initgen.reporting.figures import plt, save_figure

    domains = [d for d in DOMAINS if d in stats]
    figure, axes = plt.subplots(1, max(len(domains), 1), figsize=(5.2 * max(len(domains), 1), 4), squeeze=False)
    for ax, domain in zip(axes[0], domains, strict=False):
        for group in sorted({p["group"] for p in points if p["domain"] == domain}):
            mine = [p for p in points if p["domain"] == domain and p["group"] == group]
            s = stats[domain][group]
            rho = "n/a" if s["spearman_rho"] is None else f"{s['spearman_rho']:.2f}"
            # mean ± std over seeds per configuration (the error bars), runs as faint dots
            frame = pd.DataFrame(mine).groupby("label")[["bandwidth", "gap"]].agg(["mean", "std"]).fillna(0)
            line = ax.errorbar(frame["bandwidth"]["mean"], frame["gap"]["mean"], xerr=frame["bandwidth"]["std"],
                               yerr=frame["gap"]["std"], fmt="o", ms=4, capsize=2,
                               label=f"{group} (rho {rho}, n={s['n']})")
            ax.scatter([p["bandwidth"] for p in mine], [p["gap"] for p in mine], s=6, alpha=0.3,
                       color=line[0].get_color())
        pooled = stats[domain]["pooled"]
        title = f"{domain}: pooled Spearman rho = " + (
            "n/a" if pooled["spearman_rho"] is None
            else f"{pooled['spearman_rho']:.2f} {bounds(pooled['ci_low'], pooled['ci_high'], '.2f')}, "
            f"n = {pooled['n']}")
        ax.set_title(title, fontsize=8)
        ax.set_xlabel(DOMAINS[domain])
        ax.set_ylabel("generalization gap (test - train MSE)" if domain == "1-D" else "gap (train - test accuracy)")
        if domain == "1-D":
            ax.set_xscale("log")
            ax.set_yscale("symlog", linthresh=1e-3)
        ax.legend(fontsize=6)
    if not domains:
        axes[0][0].text(0.5, 0.5, "no runs with a bandwidth and a gap in this build", ha="center")
    save_figure(figure, stem)


def table(stats: dict) -> pd.DataFrame:
    rows = []
    for domain, groups in stats.items():
        for group, s in groups.items():
            rows.append({
                "Domain": domain,
                "Runs": group,
                "Bandwidth measure": DOMAINS[domain],
                "Spearman rho": "n/a" if s["spearman_rho"] is None else f"{s['spearman_rho']:.3f}",
                "95% interval": bounds(s["ci_low"], s["ci_high"], ".3f"),
                "n": s["n"],
            })
    return pd.DataFrame(rows, columns=["Domain", "Runs", "Bandwidth measure", "Spearman rho", "95% interval", "n"])


def build(metrics_files: list[str], out_dir) -> dict:
    from initgen.reporting.tables import write_table

    out_dir = Path(out_dir)
    points = collect_points(metrics_files)
    stats = analyze(points)
    plot(points, stats, out_dir / "dose_response")
    write_table(table(stats), out_dir / "dose_response",
                "Initial bandwidth vs generalization gap: Spearman rho with a Fisher-z 95% interval, per group of "
                "runs and pooled per domain.")
    metrics = {"artifact": "dose_response", "runs": points, "summary": stats,
               "definition": __doc__.split("\n\n")[1].replace("\n", " ")}
    write_json(out_dir / "metrics.json", metrics)
    return metrics


def cli_dose_response(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="initgen dose-response", description=__doc__.splitlines()[0])
    parser.add_argument("--metrics", nargs="*", default=[], help="results/<artifact>/metrics.json files")
    parser.add_argument("--out-dir", required=True, help="folder for metrics.json, the figure and the table")
    args = parser.parse_args(argv)
    build(args.metrics, args.out_dir)
    return 0
