"""Analysis step of the 1-D experiments: spectra of the saved network values, and every run's metrics.

Reads results/<artifact>/train/<variant>.npz (regression_1d_train.py), writes spectra.npz and metrics.json. The
metrics are what claims 1-3 of SPEC.md are judged on: high-frequency energy fraction above the training data's Nyquist
frequency and spectral centroid (before/after training), test MSE on the dense grid, amplitude kept at watched
frequencies (Exp 3b's spike), per-frequency convergence steps and their rank correlation with frequency (Exp 2),
and per-seed rank correlations with depth (Exp 1).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from initgen.analysis import protocol, spectra
from initgen.analysis.statistics import spearman
from initgen.analysis.summaries import summarize, summarize_runs
from initgen.core.arguments import json_arg
from initgen.core.errors import ConfigError
from initgen.core.extensions import is_reference
from initgen.core.files import load_npz, npz_job, save_npz, write_json
from initgen.data.signals import nyquist

CONVERGED_REL_ERROR = 0.1  # our choice (Exp 2): a frequency has converged once its relative error stays < 10%


def convergence_steps(rel_error: np.ndarray, steps: np.ndarray, threshold: float) -> np.ndarray:
    """First snapshot step from which the relative error stays below `threshold` (NaN if never).

    rel_error: [..., S, K] over S snapshots and K frequencies; returns [..., K].
    """
    below = rel_error < threshold
    # stays below from snapshot s on: reverse cumulative AND over the snapshot axis
    stays = np.flip(np.logical_and.accumulate(np.flip(below, axis=-2), axis=-2), axis=-2)
    first = np.argmax(stays, axis=-2)
    return np.where(stays.any(axis=-2), steps[first], np.nan)


def analyze_experiment(artifact: str, experiment: dict, trained: dict[str, dict]) -> tuple[dict, dict]:
    """Spectra and metrics of every run. Returns (metrics for metrics.json, arrays for spectra.npz)."""
    cutoff = nyquist(experiment["train_x"])
    watch = experiment.get("watch_freqs", [])
    threshold = experiment.get("converged_rel_error", CONVERGED_REL_ERROR)
    fit_frequencies = experiment.get("fit_frequencies")  # Exp 2's protocol, instead of a stopping rule
    target_freqs = list(experiment["target"].get("freqs", []))
    runs, trends, arrays = [], {}, {}
    for name, data in trained.items():
        freqs = spectra.frequencies(data["grid"].size)
        values = np.moveaxis(data["predictions"], -1, -2)  # [D, M, S, out, G]
        amp = spectra.amplitude(values).mean(axis=-2)  # mean over outputs: [D, M, S, F]
        arrays[f"{name}/amp"] = amp.astype(np.float32)
        arrays[f"{name}/freqs"] = freqs
        arrays[f"{name}/snapshot_steps"] = data["snapshot_steps"]
        hf = spectra.high_frequency_fraction(amp, freqs, cutoff) if cutoff else np.full(amp.shape[:-1], np.nan)
        centroid = spectra.spectral_centroid(amp, freqs)
        rel_error = None
        if target_freqs and values.shape[-2] == 1:
            where = _spectrum_points(experiment, data)
            rel_error = spectra.relative_error_per_frequency(
                values[..., 0, where], data["target_grid"][where], spectra.frequencies(data["grid"][where].size),
                target_freqs,
            )
            arrays[f"{name}/rel_error"] = rel_error.astype(np.float32)  # [D, M, S, K]
            conv = convergence_steps(rel_error, data["snapshot_steps"], threshold)  # [D, M, K]
        train_spec = _train_spec(name, data, experiment)
        yours = _user_init(data)
        your_variant = yours or _user_activation(data)
        for d, depth in enumerate(data["depths"]):
            for m, seed in enumerate(data["seeds"]):
                final = data["predictions"][d, m, -1]
                final_loss = float(data["losses"][d, -1, m])
                status = protocol.loss_status(
                    final_loss if np.isfinite(final).all() else float("nan"),
                    train_spec.get("stop_mse"),
                    trained=train_spec["steps"] > 0,
                )
                run = {
                    "variant": name,
                    "depth": int(depth),
                    "seed": int(seed),
                    "status": status,
                    "met_protocol": status in protocol.MET,
                    "steps_taken": int(data["steps_taken"][d, m]),
                    "train_mse_final": final_loss,
                    "diverged": int(status == "diverged"),
                    "hf_fraction_init": float(hf[d, m, 0]),
                    "hf_fraction_final": float(hf[d, m, -1]),
                    "centroid_init": float(centroid[d, m, 0]),
                    "centroid_final": float(centroid[d, m, -1]),
                }
                if yours:  # claims judge your inits (kind: user checks, for_each: user_init) beside the paper's
                    run["user_init"] = name
                if your_variant:  # claim 1 judges any variant of yours, init or activation (for_each: user_variant)
                    run["user_variant"] = name
                if final.shape[-1] == 1:
                    run["test_mse"] = float(np.mean((final[:, 0] - data["target_grid"]) ** 2))
                if np.isfinite(data["pretrain_final_loss"][d, m]):
                    run["pretrain_final_loss"] = float(data["pretrain_final_loss"][d, m])
                for f in watch:
                    before = float(spectra.amplitude_at(amp[d, m, 0], freqs, f))
                    after = float(spectra.amplitude_at(amp[d, m, -1], freqs, f))
                    run[f"amp_init_at_{f:g}"] = before
                    run[f"amp_final_at_{f:g}"] = after
                    run[f"kept_fraction_at_{f:g}"] = after / before if before > 0 else float("nan")
                if rel_error is not None:
                    for k, f in enumerate(target_freqs):
                        run[f"converged_step_at_{f:g}"] = float(conv[d, m, k])
                    finite = np.isfinite(conv[d, m])
                    run["frequencies_converged"] = int(finite.sum())
                    if fit_frequencies and status != "diverged":  # Exp 2: enough frequencies converged to rank
                        status = "fitted" if finite.sum() >= fit_frequencies else "not fitted"
                        run |= {"status": status, "met_protocol": status in protocol.MET}
                    # > 0 means lower frequencies converge first (spectral bias). A frequency that never converged
                    # within the budget is censored: it ranks after every one that did, tied with the other
                    # censored ones (a finite stand-in past the last snapshot: spearman drops non-finite pairs,
                    # which would rank only the converged frequencies and lose what the budget says)
                    order = np.where(finite, conv[d, m], float(data["snapshot_steps"][-1]) + 1.0)
                    run["band_top"] = float(max(target_freqs))  # claim 2's regime: the net's centroid vs the band
                    run["spectral_bias_rho"] = (
                        spearman(np.asarray(target_freqs), order) if status != "diverged" else float("nan")
                    )
                runs.append(run)
        if len(data["depths"]) >= 3:
            # Exp 1: does bandwidth at init / test error grow with depth? One Spearman rho per seed, over every
            # depth; a seed with a failed run (diverged or not fitted) at any depth has no test-error trend.
            trend = {"hf_init_vs_depth_rho": [], "test_mse_vs_depth_rho": []}
            for m in range(len(data["seeds"])):
                mine = [r for r in runs if r["variant"] == name and r["seed"] == int(data["seeds"][m])]
                trend["hf_init_vs_depth_rho"].append(spearman(data["depths"], [r["hf_fraction_init"] for r in mine]))
                valid = all(r["met_protocol"] for r in mine)
                trend["test_mse_vs_depth_rho"].append(
                    spearman(data["depths"], [r.get("test_mse", np.nan) for r in mine]) if valid else float("nan")
                )
            trends[name] = {key: {"per_seed": vals, "summary": summarize(vals, kind="correlation")}
                            for key, vals in trend.items()}
    ids = {"variant", "depth", "seed", "status", "met_protocol", "user_init", "user_variant",
           "band_top"}  # band_top: the config's
    metric_keys = sorted({k for r in runs for k in r} - ids)
    group = ["variant", "depth"] if any(len(d["depths"]) > 1 for d in trained.values()) else ["variant"]
    valid_runs = [r for r in runs if r["met_protocol"]]
    metrics = {
        "artifact": artifact,
        "hf_cutoff_cycles_per_unit": cutoff,
        "frequency_index_meaning": "index k = k / 2 cycles per unit (domain [-1, 1))",
        "runs": runs,
        "protocol": protocol.counts(runs, group),
        # summaries are over the runs that met the protocol only; failed runs are counted in "protocol"
        "summary": _summaries(runs, valid_runs, group, metric_keys),
        "trends": trends,
    }
    return metrics, arrays


def _spectrum_points(experiment: dict, data: dict) -> slice | np.ndarray:
    """Where Exp 2's per-frequency relative error is measured: on the dense evaluation grid (default), or, with
    `relative_error_on: train_points`, on the training inputs themselves (Rahaman et al.'s convergence of the fit:
    the network's spectrum over the uniform grid it is trained on). The training grid must lie on the dense grid."""
    if experiment.get("relative_error_on", "grid") == "grid":
        return slice(None)
    if experiment["train_x"]["kind"] != "grid":
        raise ConfigError("relative_error_on: train_points needs train_x kind 'grid' (uniform training inputs)")
    grid, x_train = data["grid"], data["x_train"]
    where = np.clip(np.searchsorted(grid, x_train), 0, grid.size - 1)
    if not np.allclose(grid[where], x_train, atol=1e-9):
        raise ConfigError(f"relative_error_on: train_points needs the {x_train.size} training inputs on the "
                          f"{grid.size}-point grid (toy.grid_points a multiple of train_x.n)")
    return where


def _user_init(data: dict) -> bool:
    """Whether the variant's init (or its pre-training's base) is your own function (path/to/file.py:function)."""
    if "job" not in data:
        return False
    init = npz_job(data)["variant"]["init"]
    return is_reference(init["kind"]) or is_reference((init.get("base") or {}).get("kind"))


def _user_activation(data: dict) -> bool:
    """Whether the variant's activation is your own function (path/to/file.py:function)."""
    return "job" in data and is_reference(npz_job(data)["variant"]["model"].get("activation"))


def _train_spec(name: str, data: dict, experiment: dict) -> dict:
    """The variant's training settings (stopping rule, steps): from the job saved with its training, or the
    experiment's config block."""
    if "job" in data:
        return npz_job(data)["variant"]["train"]
    return experiment["variants"][name]["train"]


def _summaries(runs: list[dict], valid_runs: list[dict], group: list[str], metric_keys: list[str]) -> dict:
    """Per-group summaries over the runs that met the protocol; a group whose every run failed keeps its name,
    with n = 0 for every metric (so figures and tables show it as failed instead of losing it). Quantities of the
    initial network (`*_init`) are measured before the first step, so they are summarized over every run: how a
    run's training then went does not change what its init was."""
    at_init = [key for key in metric_keys if key.endswith("_init")]
    summary = summarize_runs(valid_runs, group, [key for key in metric_keys if key not in at_init])
    every_run = summarize_runs(runs, group, at_init or metric_keys[:1])
    empty = {key: summarize([]) for key in metric_keys if key not in at_init}
    return {name: summary.get(name, empty) | {k: v for k, v in init.items() if k in at_init}
            for name, init in every_run.items()}


def cli_analyze(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="initgen toy-analyze", description="Spectra and metrics of a 1-D artifact.")
    parser.add_argument("--artifact", required=True, help="artifact name, e.g. fig1_depth")
    parser.add_argument("--job", required=True, help="JSON: the experiment's config block")
    parser.add_argument("--trained", nargs="+", required=True, help="train/<variant>.npz files")
    parser.add_argument("--metrics", required=True, help="metrics.json to write (runs and summaries)")
    parser.add_argument("--spectra", required=True, help="spectra.npz to write (amplitudes per snapshot)")
    args = parser.parse_args(argv)
    trained = {Path(p).stem: load_npz(p) for p in args.trained}
    metrics, arrays = analyze_experiment(args.artifact, json_arg(args.job, "job"), trained)
    save_npz(args.spectra, **arrays)
    write_json(args.metrics, metrics)
    return 0
