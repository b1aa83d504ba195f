"""Exp 5 of the main paper (Sec. 8, Fig 4, Table 2): does flatness track generalization?

Signals y = a1 sin(2 pi f1 x) + a2 sin(2 pi f2 x), with (a1, f1, a2, f2) drawn per "draw" (the paper's four
random variables; b = 2 pi f), sampled at equidistant points on [-1, 1). ReLU and Gaussian MLPs, each from a
low-bandwidth init (ReLU Xavier, Gaussian small-variance) and a high-bandwidth one (ReLU pre-trained on a
high-frequency sine, Gaussian Xavier), are trained until their training MSE falls below a threshold. At each
minimum: the Hessian of the training MSE (curvature.hessian_metrics: trace, top eigenvalue, density), the test
MSE on the dense grid, and a 1-D slice of the loss along the top eigenvector (beyond the paper).

Steps, each one CLI command (workflow/rules/curvature.smk); training lives in experiments/flat_minima_train.py,
so a training job's code (its import closure) holds no curvature code:
    flat-minima-train    one variant, every draw x seed as one batched model  -> train/<variant>.npz
    flat-minima-hessian  Hessian, slice and test error of each trained net   -> hessian/<variant>.json
    flat-minima-analyze  results/table2_flat_minima/: metrics.json, table (CSV, Markdown, LaTeX)
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from initgen.analysis import protocol
from initgen.analysis.curvature.hessian import hessian_metrics, make_batches, resolve_settings, run_record
from initgen.analysis.statistics import spearman_test
from initgen.analysis.summaries import summarize, summarize_runs
from initgen.core.arguments import json_arg
from initgen.core.files import load_npz, npz_job, read_json, write_json
from initgen.core.runtime import add_runtime_arguments, setup
from initgen.models.mlp import BatchedMLP
from initgen.reporting.formatting import mean_pm_std, rho
from initgen.reporting.tables import write_table

ARTIFACT = "table2_flat_minima"
RUN_METRICS = ["trace", "top_eigenvalue", "expected_eigenvalue", "test_mse", "train_mse", "steps_taken"]


# ------------------------------------------------------------------------------------------ trained networks
def load_networks(data: dict) -> list:
    """The trained networks of a train/<variant>.npz as separate MLPs (float32, as trained)."""
    job = npz_job(data)
    layers = len([k for k in data if k.startswith("weight_")])
    model = BatchedMLP(
        job["variant"]["model"]["activation"],
        [torch.as_tensor(data[f"weight_{i}"]) for i in range(layers)],
        [torch.as_tensor(data[f"bias_{i}"]) for i in range(layers)],
        torch.as_tensor(data["scales"]),
    )
    return model.unstack()


# ------------------------------------------------------------------------------------- curvature at a minimum
def mse(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return ((outputs - targets) ** 2).mean()


def loss_slice(mlp, direction: torch.Tensor, t: np.ndarray, x, y, x_test, y_test) -> tuple[np.ndarray, np.ndarray]:
    """Train and test MSE of theta + t * direction for each t (float64; theta: the MLP's parameters)."""
    model = mlp.to(torch.float64)
    theta = torch.nn.utils.parameters_to_vector(model.parameters()).detach().clone()
    train, test = [], []
    with torch.no_grad():
        for step in t:
            torch.nn.utils.vector_to_parameters(theta + float(step) * direction, model.parameters())
            train.append(float(mse(model(x), y)))
            test.append(float(mse(model(x_test), y_test)))
        torch.nn.utils.vector_to_parameters(theta, model.parameters())
    return np.asarray(train), np.asarray(test)


def minimum_metrics(data: dict, settings: dict, slice_spec: dict, stop_mse: float | None) -> list[dict]:
    """One record per trained network: Hessian metrics, slice, test error. settings: resolved `hessian:`."""
    job = npz_job(data)
    variant = job["variant"]
    x = torch.as_tensor(data["x_train"], dtype=torch.float64)[:, None]
    x_test = torch.as_tensor(data["grid"], dtype=torch.float64)[:, None]
    t = np.linspace(-slice_spec["t_max"], slice_spec["t_max"], slice_spec["points"])
    h = slice_spec["fd_step"]
    records = []
    for m, mlp in enumerate(load_networks(data)):
        y = torch.as_tensor(data["y_train"][m], dtype=torch.float64)[:, None]
        y_test = torch.as_tensor(data["target_grid"][m], dtype=torch.float64)[:, None]
        train_mse = float(data["losses"][-1, m])
        record = {
            "activation": variant["model"]["activation"],
            "bandwidth": variant["bandwidth"],
            "draw": int(data["draws"][m]),
            "seed": int(data["seeds"][m]),
            "signal": dict(zip(("a1", "a2", "f1", "f2"), data["signals"][m].tolist(), strict=True)),
            "steps_taken": int(data["steps_taken"][m]),
            "converged": bool(np.isfinite(train_mse) and (stop_mse is None or train_mse < stop_mse)),
            "status": protocol.loss_status(train_mse, stop_mse),
            "test_mse_trained": float(np.mean((data["prediction_grid"][m] - data["target_grid"][m]) ** 2)),
        }
        if not np.isfinite(train_mse):  # diverged: recorded as such, no curvature
            empty = dict.fromkeys(("train_mse", "test_mse", "trace", "trace_stderr", "top_eigenvalue",
                                   "expected_eigenvalue"))  # fmt: skip
            records.append(record | empty | {"diverged": True})
            continue
        batches = make_batches(x, y, settings["batch_size"])
        # the slice runs along the Ritz vector of the top eigenvalue, from the engine's own Lanczos run
        curvature = hessian_metrics(mlp, mse, batches, settings, ritz_vectors=True)
        slice_eigenvalue = curvature.pop("top_ritz_values")[0]
        direction = curvature.pop("top_ritz_vectors")[0].to(torch.float64)
        slice_train, slice_test = loss_slice(mlp, direction, t, x, y, x_test, y_test)
        fd_train, fd_test = loss_slice(mlp, direction, np.asarray([-h, 0.0, h]), x, y, x_test, y_test)
        record |= {
            "diverged": False,
            "train_mse": curvature["loss"],  # float64 recomputation of the final training MSE
            "test_mse": float(fd_test[1]),
            **run_record(curvature),
            "slice": {
                "t": t.tolist(),
                "train_mse": slice_train.tolist(),
                "test_mse": slice_test.tolist(),
                "eigenvalue": slice_eigenvalue,
                # d^2 L / dt^2 at t = 0 by central differences: equals the top eigenvalue at a smooth point
                "curvature_fd": float((fd_train[0] - 2 * fd_train[1] + fd_train[2]) / h**2),
                "fd_step": h,
            },
        }
        records.append(record)
    return records


# ---------------------------------------------------------------------------------------------- analysis
def log_ratios(runs: list[dict], activation: str, metric: str) -> list[float]:
    """log(high / low) of a metric for each (draw, seed) that both bandwidths have (paired by signal and seed)."""
    value = {(r["bandwidth"], r["draw"], r["seed"]): r.get(metric) for r in runs if r["activation"] == activation}
    out = []
    for (bandwidth, draw, seed), high in value.items():
        low = value.get(("low", draw, seed))
        if bandwidth == "high" and high is not None and low is not None and high > 0 and low > 0:
            out.append(math.log(high / low))
    return out


def analyze(runs: list[dict], out_dir) -> dict:
    """metrics.json (runs without the bulky density and slice, summary, flatness_vs_error) and Table 2."""
    out_dir = Path(out_dir)
    runs = sorted(runs, key=lambda r: (r["activation"], r["bandwidth"] != "high", r["draw"], r["seed"]))
    flat_runs = [{k: v for k, v in r.items() if k not in ("density", "slice")} for r in runs]
    for flat, run in zip(flat_runs, runs, strict=True):
        if "slice" in run:
            flat["slice_curvature_fd"] = run["slice"]["curvature_fd"]
    # summaries over the minima only (runs that reached the stopping rule); the others are counted
    summary = summarize_runs([r for r in flat_runs if r["converged"]] or flat_runs[:0], ["activation", "bandwidth"],
                             RUN_METRICS + ["trace_stderr"])  # fmt: skip
    for name in {f"{r['activation']}/bandwidth={r['bandwidth']}" for r in flat_runs} - set(summary):
        summary[name] = {key: summarize([]) for key in RUN_METRICS + ["trace_stderr"]}
    for name in summary:
        members = [r for r in flat_runs if f"{r['activation']}/bandwidth={r['bandwidth']}" == name]
        summary[name]["converged"] = sum(r["converged"] for r in members)
        summary[name]["runs"] = len(members)
    flatness, contrast = {}, {}
    for activation in sorted({r["activation"] for r in flat_runs}):
        mine = [r for r in flat_runs if r["activation"] == activation and r["converged"]]  # minima only
        errors = [r.get("test_mse") for r in mine]
        flatness[activation] = {
            "trace_vs_test_mse": spearman_test([r.get("trace") for r in mine], errors),
            "top_eigenvalue_vs_test_mse": spearman_test([r.get("top_eigenvalue") for r in mine], errors),
        }
        contrast[activation] = {
            metric: summarize(log_ratios([r for r in flat_runs if r["converged"]], activation, metric))
            for metric in ("trace", "top_eigenvalue", "test_mse")
        }
    metrics = {
        "artifact": ARTIFACT,
        "runs": flat_runs,
        "protocol": protocol.counts(flat_runs, ["activation", "bandwidth"]),
        "summary": summary,
        "flatness_vs_error": flatness,
        "high_vs_low_log_ratio": contrast,
        "definitions": {
            "trace, top_eigenvalue": "of the Hessian of the training MSE at the network's final weights",
            "test_mse": "MSE against the signal on the dense grid of [-1, 1)",
            "flatness_vs_error": "Spearman rho over the converged runs (train MSE < stop_mse) of one activation, "
            "both bandwidths, every draw and seed",
            "high_vs_low_log_ratio": "log(high-B/W / low-B/W) paired by draw and seed, summarized",
        },
    }
    write_json(out_dir / "metrics.json", metrics)
    write_table(table_frame(metrics), out_dir / ARTIFACT, TABLE_CAPTION)
    return metrics


TABLE_CAPTION = (
    "Exp 5: Hessian of the training MSE at convergence, mean ± std over signal draws and seeds; "
    "rho: Spearman rank correlation with the test MSE over both inits of one activation."
)


def table_frame(metrics: dict) -> pd.DataFrame:
    """Table 2; metric columns are raw keys, named by write_table through initgen.reporting.quantities."""
    rows = []
    for name, stats_ in metrics["summary"].items():
        activation, bandwidth = name.split("/bandwidth=")
        flat = metrics["flatness_vs_error"][activation]
        rows.append(
            {
                "Model": {"relu": "ReLU", "gaussian": "Gaussian"}.get(activation, activation),
                "Initialization": f"{bandwidth.capitalize()} B/W",
                "trace": mean_pm_std(stats_.get("trace")),
                "top_eigenvalue": mean_pm_std(stats_.get("top_eigenvalue")),
                "expected_eigenvalue": mean_pm_std(stats_.get("expected_eigenvalue")),
                "test_mse": mean_pm_std(stats_.get("test_mse")),
                "Converged": f"{stats_['converged']}/{stats_['runs']}",
                "rho(trace, test MSE)": rho(flat["trace_vs_test_mse"]),
                "rho(top eig., test MSE)": rho(flat["top_eigenvalue_vs_test_mse"]),
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------------- CLI
def cli_hessian(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="initgen flat-minima-hessian", description="Curvature at Exp 5 minima.")
    parser.add_argument("--trained", required=True, help="train/<variant>.npz")
    parser.add_argument("--hessian", required=True, help="JSON: the `hessian:` settings")
    parser.add_argument("--slice", required=True, help="JSON: {t_max, points, fd_step}")
    add_runtime_arguments(parser, device=False)
    parser.add_argument("--out", required=True, help="hessian/<variant>.json")
    args = parser.parse_args(argv)
    setup("cpu", args.threads)
    data = load_npz(args.trained)
    stop_mse = npz_job(data)["variant"]["train"].get("stop_mse")
    settings = resolve_settings(json_arg(args.hessian, "hessian"))
    records = minimum_metrics(data, settings, json_arg(args.slice, "slice"), stop_mse)
    write_json(args.out, {"runs": records})
    return 0


def cli_analyze(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="initgen flat-minima-analyze", description="Table 2 and its metrics.")
    parser.add_argument("--hessian", nargs="+", required=True, help="hessian/<variant>.json files")
    parser.add_argument("--out-dir", required=True, help="folder for metrics.json and Table 2")
    args = parser.parse_args(argv)
    runs = [run for path in args.hessian for run in read_json(path)["runs"]]
    analyze(runs, args.out_dir)
    return 0
