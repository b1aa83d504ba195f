"""Metrics of the related papers' artifacts (asi, linear_imbalance, linear_width) from their run files.

Reads the npz files written by experiments/asi_runs.py and writes results/<artifact>/metrics.json:
{"artifact", "runs": [one record per run], "summary": {...}} with mean, std, 95% interval and n over seeds.
numpy/scipy only (no torch), so it starts fast and an edit to the training code does not rerun it by itself.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np

from initgen.analysis import protocol
from initgen.analysis.statistics import spearman
from initgen.analysis.summaries import summarize, summarize_runs
from initgen.core.errors import UserFacingError
from initgen.core.files import load_npz, write_json
from initgen.pipeline.artifacts import RELATED_ARTIFACTS
from initgen.reporting.quantities import kind_of

# --- analysis -----------------------------------------------------------------------------------------------


def line_fit(x, y) -> dict:
    """Least-squares line y = slope x + intercept with its R^2."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    slope, intercept = np.polyfit(x, y, 1)
    residual = y - (slope * x + intercept)
    total = ((y - y.mean()) ** 2).sum()
    return {"slope": float(slope), "intercept": float(intercept), "r2": float(1 - (residual**2).sum() / total)}


def _status(final_train_mse: float, data: dict) -> dict:
    """The run's protocol status: trained until its training MSE fell below the stopping rule."""
    status = protocol.loss_status(final_train_mse, float(data["stop_mse"]) if "stop_mse" in data else None)
    return {"status": status, "met_protocol": status in protocol.MET}


def loglog_slopes(sweep_rows: list[dict]) -> list[dict]:
    """Zhang et al.'s claim is about magnitude: the original's test error grows with its initial output, ASI's
    does not. Per variant and seed: the least-squares slope of log(test MSE) against log(RMS of the original
    network's initial output at that std and seed) over the std sweep (for ASI the output it would have had).
    A slope is measured only when every run of the sweep met its stopping rule."""
    rows = []
    for variant in ("original", "asi"):
        for seed in sorted({r["seed"] for r in sweep_rows}):
            mine = sorted((r for r in sweep_rows if r["variant"] == variant and r["seed"] == seed),
                          key=lambda r: r["std"])  # fmt: skip
            failed = [r["status"] for r in mine if not r["met_protocol"]]
            x = np.log([r["init_output_rms"] for r in mine])
            y = np.log([r["test_mse"] for r in mine])
            slope = line_fit(x, y)["slope"] if not failed and np.isfinite(y).all() else float("nan")
            rows.append({"part": "sweep_slope", "variant": variant, "seed": int(seed), "loglog_slope": slope,
                         "status": failed[0] if failed else "fitted", "met_protocol": not failed})  # fmt: skip
    return rows


def analyze_asi(main: dict, sweep: dict) -> dict:
    runs = []
    y_test = main["y_test"]
    for variant in [str(v) for v in main["variants"] if f"{v}_final" in main]:
        for i, seed in enumerate(main["seeds"]):
            init, final = main[f"{variant}_init"][i], main[f"{variant}_final"][i]
            runs.append({
                "part": "main",
                "variant": variant,
                "seed": int(seed),
                "test_mse": float(((final - y_test[i]) ** 2).mean()),
                "final_train_mse": float(main[f"{variant}_curve"][i, -1]),
                **_status(float(main[f"{variant}_curve"][i, -1]), main),
                "init_output_rms": float(np.sqrt((init**2).mean())),
                "epochs": int(main[f"{variant}_epochs"][i]),
                "params": int(main[f"{variant}_params"]),
            })
    ntk_rows = []
    for i, seed in enumerate(main["seeds"] if "asi_final" in main else []):
        observed = main["original_final"][i] - main["asi_final"][i]
        predicted = main["predicted_error"][i]
        ntk_rows.append({
            "part": "ntk",
            "seed": int(seed),
            "predicted_error_rms": float(np.sqrt((predicted**2).mean())),
            "observed_error_rms": float(np.sqrt((observed**2).mean())),
            "prediction_rel_error": float(np.linalg.norm(observed - predicted) / np.linalg.norm(predicted)),
            "prediction_corr": float(np.corrcoef(observed, predicted)[0, 1]),
            "kernel_fit_test_mse": float(((main["kernel_fit"][i] - y_test[i]) ** 2).mean()),
        })
    sweep_rows = []
    for k, std in enumerate(sweep["stds"]):
        for j, seed in enumerate(sweep["seeds"]):
            for variant in ("original", "asi"):
                sweep_rows.append({
                    "part": "sweep",
                    "variant": variant,
                    "std": float(std),
                    "seed": int(seed),
                    "init_output_rms": float(sweep["init_rms"][k, j]),
                    "test_mse": float(sweep[f"{variant}_test_mse"][k, j]),
                    "final_train_mse": float(sweep[f"{variant}_train_mse"][k, j]),
                    **_status(float(sweep[f"{variant}_train_mse"][k, j]), sweep),
                    "epochs": int(sweep[f"{variant}_epochs"][k, j]),
                })
    slope_rows = loglog_slopes(sweep_rows)
    summary = {
        "variants": summarize_runs(runs, ["variant"], ["test_mse", "final_train_mse", "init_output_rms", "epochs"]),
        "ntk_prediction": {
            key: summarize([r[key] for r in ntk_rows], kind=kind_of(key))
            for key in ("predicted_error_rms", "observed_error_rms", "prediction_rel_error", "prediction_corr",
                        "kernel_fit_test_mse")
        },
        "sweep": summarize_runs(sweep_rows, ["variant", "std"], ["test_mse", "init_output_rms", "final_train_mse"]),
        # test error against the initial output's magnitude, over every (std, seed): grows for the original,
        # not for ASI
        "sweep_spearman": {
            variant: spearman(
                [r["init_output_rms"] for r in sweep_rows if r["variant"] == variant],
                [r["test_mse"] for r in sweep_rows if r["variant"] == variant],
            )
            for variant in ("original", "asi")
        },
        "sweep_loglog_slope": {
            variant: summarize([r["loglog_slope"] for r in slope_rows if r["variant"] == variant])
            for variant in ("original", "asi")
        },
    }
    all_runs = runs + ntk_rows + sweep_rows + slope_rows
    counted = runs + sweep_rows
    return {"artifact": "asi", "runs": all_runs, "summary": summary,
            "protocol": protocol.counts(counted, ["part", "variant"])}


def analyze_linear_imbalance(data: dict) -> dict:
    runs = []
    names = [str(c) for c in data["case_names"]]
    for a, name in enumerate(names):
        for j, seed in enumerate(data["seeds"]):
            losses, floor = data["losses"][a, j], data["floor"][a, j]
            bound = data["bound"][a, j]
            excess = np.maximum(losses - floor, 0.0)
            drift = data["drift"][:, a, j]
            main_drift = float(drift[list(data["drift_factors"]).index(1.0)])  # the run at the configured step
            lam0 = float(data["lambda0_norm"][a, j])
            runs.append({
                "case": name,
                "seed": int(seed),
                "sU": float(data["sU"][a]),
                "sV": float(data["sV"][a]),
                "c": float(data["c"][a, j]),
                "initial_loss": float(losses[0]),
                "final_loss": float(losses[-1]),
                "final_bound": float(bound[-1]),
                # <= 1 when the loss curve stays under Theorem 1's bound (GD only approximates the flow)
                "bound_ratio_max": float(np.max(excess[1:] / np.maximum(bound[1:] - floor, 1e-300))),
                "drift": main_drift,
                "drift_relative": main_drift / lam0 if lam0 > 0 else None,
                **{f"drift_step_x{f:g}": float(d) for f, d in zip(data["drift_factors"], drift, strict=True)},
            })
    metrics = ["c", "initial_loss", "final_loss", "final_bound", "bound_ratio_max", "drift", "drift_relative"]
    metrics += [f"drift_step_x{f:g}" for f in data["drift_factors"]]
    factors = data["drift_factors"]
    ratios = {}
    for i in range(1, len(factors)):
        ratio = data["drift"][i - 1] / data["drift"][i]  # drift at step f_{i-1} over drift at f_i, per run
        ratios[f"x{factors[i - 1]:g}_over_x{factors[i]:g}"] = summarize(ratio.ravel(), kind="positive")
    summary = {
        "cases": summarize_runs(runs, ["case"], metrics),
        "drift_ratio": ratios,
        "step_ratio": [float(factors[i - 1] / factors[i]) for i in range(1, len(factors))],
    }
    return {"artifact": "linear_imbalance", "runs": runs, "summary": summary}


def analyze_linear_width(data: dict) -> dict:
    runs = []
    inits = [str(i) for i in data["inits"]]
    for a, init in enumerate(inits):
        for b, h in enumerate(data["widths"]):
            for j, seed in enumerate(data["seeds"]):
                at = int(data["converged_at"][a, b, j])
                final_loss = float(data["final_loss"][a, b, j])
                status = protocol.loss_status(final_loss, None)
                status = "diverged" if status == "diverged" else ("fitted" if at >= 0 else "not fitted")
                runs.append({
                    "init": init,
                    "width": int(h),
                    "seed": int(seed),
                    "distance": float(data["distance"][a, b, j]),
                    "distance_relative": float(data["distance"][a, b, j] / data["theta_hat_norm"][j]),
                    "distance_init": float(data["distance_init"][a, b, j]),
                    "u2v_init": float(data["u2v_init"][a, b, j]),
                    "c": float(data["c"][a, b, j]),
                    "converged": at >= 0,
                    "status": status,
                    "met_protocol": status in protocol.MET,
                    "iterations": at if at >= 0 else None,
                    "final_loss": final_loss,
                })
    metrics = ["distance", "distance_relative", "u2v_init", "c", "iterations", "final_loss"]
    fits = {}
    for init in inits:
        members = [r for r in runs if r["init"] == init]
        x = [1 / math.sqrt(r["width"]) for r in members]
        fits[init] = {
            "distance_vs_inv_sqrt_h": line_fit(x, [r["distance"] for r in members]),
            "u2v_init_vs_inv_sqrt_h": line_fit(x, [r["u2v_init"] for r in members]),
        }
    summary = {
        "widths": summarize_runs(runs, ["init", "width"], metrics),
        "fit": fits,
        "all_converged": bool(all(r["converged"] for r in runs)),
    }
    return {"artifact": "linear_width", "runs": runs, "summary": summary,
            "protocol": protocol.counts(runs, ["init", "width"])}


def analyze(artifact: str, paths: list[str]) -> dict:
    loaded = [load_npz(p) for p in paths]
    if artifact == "asi":
        main, sweep = loaded
        return analyze_asi(main, sweep)
    if artifact == "linear_imbalance":
        return analyze_linear_imbalance(loaded[0])
    if artifact == "linear_width":
        return analyze_linear_width(loaded[0])
    raise UserFacingError(f"unknown artifact {artifact!r}; known: {', '.join(RELATED_ARTIFACTS)}")


def cli_analyze(argv: list[str]) -> int:
    """`initgen related-analyze --artifact NAME --runs FILE.npz [FILE.npz] --out metrics.json`"""
    parser = argparse.ArgumentParser(prog="initgen related-analyze",
                                     description="metrics.json of a related-work artifact from its runs.")
    parser.add_argument("--artifact", required=True, choices=RELATED_ARTIFACTS,
                        help="which related-work artifact")
    parser.add_argument("--runs", nargs="+", required=True, help="asi: main.npz sweep.npz; else: runs.npz")
    parser.add_argument("--out", required=True, help="metrics.json to write")
    args = parser.parse_args(argv)
    for path in args.runs:
        if not Path(path).is_file():
            raise UserFacingError(f"{path} not found: build it with `snakemake {path}`")
    write_json(args.out, analyze(args.artifact, args.runs))
    print(f"wrote {args.out}")
    return 0
