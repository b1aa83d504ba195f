"""Step-size selection for the 1-D experiments from training behaviour alone (`initgen select-lr`).

The paper gives no learning rates. For one variant of one 1-D experiment we train the config's networks on
*sweep seeds* (disjoint from the config's seeds) at every step size of a log grid, all at once (the batched
trainer takes one learning rate per network), with the variant's optimizer, stopping rule and step budget, and
count per step size and depth: runs, met the stopping rule, diverged. Only the training loss is read: no test
error, spectrum or claim. Candidates are the step sizes at which every sweep run (of every depth, or per depth
with `per_depth`) met the stopping rule without diverging. The choice is the largest candidate, backed off one
grid step when that smaller step is a candidate too: a margin from the edge of stability, because the config's
seeds are not the sweep's, and near that edge bounded activations (Gaussian, sine) oscillate without diverging.
When none does, the variant cannot be fitted within its budget by this optimizer: the table is the evidence, and
the config keeps a step size the report then shows as not fitted.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import pandas as pd
import torch

from initgen.analysis import spectra
from initgen.analysis.protocol import MET, loss_status
from initgen.core.config import load_config
from initgen.core.errors import ConfigError
from initgen.core.files import write_text
from initgen.core.runtime import add_runtime_arguments, setup
from initgen.experiments.regression_1d_analyze import CONVERGED_REL_ERROR
from initgen.experiments.regression_1d_train import DEFAULT_DEPTH, train_inputs
from initgen.models.mlp import activation_scale
from initgen.models.mlp_init import initialize
from initgen.training.batched import train_batched

DEFAULT_LRS = [1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1]  # our choice: half-decade grid
DEFAULT_SWEEP_SEEDS = [1000, 1001, 1002, 1003, 1004]  # our choice: 5 seeds no config uses (configs use < 1000)


def sweep_variant(job: dict, seeds: list[int], lrs: list[float], device: str = "cpu", steps: int | None = None,
                  stop_mse: float | None = None):
    """Train the variant at every (lr, seed) for each depth; one row per (depth, lr, seed). `stop_mse` overrides
    the variant's stopping rule (for a fixed-budget variant, the fit the sweep asks for)."""
    variant = job["variant"]
    model_spec, init_spec, train_spec = variant["model"], variant["init"], variant["train"]
    if train_spec["steps"] == 0:
        raise ConfigError("this variant takes no training steps (steps: 0): there is no step size to choose")
    depths = job.get("depths") or [model_spec.get("depth", DEFAULT_DEPTH)]
    scale = activation_scale(model_spec["activation"], model_spec.get("sigma", 0.1), model_spec.get("omega", 10.0))
    x_t, y_t = train_inputs(job, len(seeds) * len(lrs), device)
    rate = torch.as_tensor([lr for lr in lrs for _ in seeds], dtype=torch.float32, device=device)
    stop = stop_mse if stop_mse is not None else train_spec.get("stop_mse")
    budget = steps or train_spec["steps"]
    rows = []
    for depth in depths:
        # each seed's init (and pre-training, which no step size of this sweep changes) once, then one copy per lr
        per_seed, _ = initialize(model_spec, init_spec, list(seeds), depth, [scale] * len(seeds), device)
        model = per_seed.take([s for _ in lrs for s in range(len(seeds))])
        log = train_batched(model, x_t, y_t, loss="mse", optimizer=train_spec["optimizer"], lr=rate, steps=budget,
                            stop_loss=stop, progress=f"sweep depth {depth}")  # fmt: skip
        finite = np.isfinite(log.losses).all(axis=0)
        converged = None
        if job.get("fit_frequencies"):
            with torch.no_grad():
                fit = model(x_t)[..., 0].cpu().numpy()  # [models, N]: each network's fit of its training points
            converged = frequencies_converged(fit, y_t[0, :, 0].cpu().numpy(), job)
        for m, (lr, seed) in enumerate((lr, s) for lr in lrs for s in seeds):
            final = float(log.losses[-1, m]) if finite[m] else float("nan")
            row = {"depth": int(depth), "lr": lr, "seed": int(seed), "final_train_mse": final,
                   "steps_taken": int(log.steps_taken[m]), "status": loss_status(final, stop)}  # fmt: skip
            if converged is not None and row["status"] != "diverged":
                # Exp 2's protocol: fitted when enough frequencies converged within the budget
                row["frequencies_converged"] = int(converged[m])
                row["status"] = "fitted" if converged[m] >= job["fit_frequencies"] else "not fitted"
            rows.append(row)
    return pd.DataFrame(rows)


def frequencies_converged(fit: np.ndarray, target: np.ndarray, job: dict) -> np.ndarray:
    """Per network, the target frequencies whose relative error is below the threshold at the end of training,
    measured on the training inputs (a uniform grid): Exp 2's convergence "within the budget" (a frequency below
    the threshold at the last step has stayed below it from some snapshot on)."""
    if job["train_x"]["kind"] != "grid":
        raise ConfigError("fit_frequencies needs train_x kind 'grid' (the spectrum of the fit on uniform inputs)")
    freqs = spectra.frequencies(fit.shape[-1])
    error = spectra.relative_error_per_frequency(fit, target, freqs, job["target"]["freqs"])
    return (error < job.get("converged_rel_error", CONVERGED_REL_ERROR)).sum(axis=-1)


def sweep_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Per (depth, lr): runs, met the stopping rule, diverged, not fitted, median steps of the fitted runs."""
    grouped = runs.groupby(["depth", "lr"])
    table = grouped.agg(
        runs=("status", "size"),
        met_stop=("status", lambda s: int(s.isin(MET).sum())),
        diverged=("status", lambda s: int((s == "diverged").sum())),
        not_fitted=("status", lambda s: int((s == "not fitted").sum())),
    )
    fitted_steps = runs[runs.status.isin(MET)].groupby(["depth", "lr"]).steps_taken
    table["max_steps_fitted"] = fitted_steps.max()
    table["median_final_mse"] = grouped.final_train_mse.median()  # NaN when a run diverged
    return table.reset_index()


def choose(table: pd.DataFrame, per_depth: bool) -> dict:
    """The largest lr at which every sweep run met the stopping rule and none diverged (per depth or shared),
    backed off one grid step when that lr fitted every run too.

    Returns {"lr": float or {depth: float}, "fits": bool, "why": str}. Where no lr fits every run, the lr with
    the most runs meeting the stopping rule (then the lowest median final training MSE) is kept, `fits` False.
    """
    lrs = sorted(table.lr.unique())
    smaller = dict(zip(lrs[1:], lrs[:-1], strict=True))
    ok = table[(table.met_stop == table.runs) & (table.diverged == 0)]

    def best(candidates: pd.DataFrame, all_rows: pd.DataFrame):
        if len(candidates):
            top = float(candidates.lr.max())
            back = smaller.get(top)
            return float(back if back in set(candidates.lr) else top), True
        # none fits: the most runs fitted, then the lowest median final training MSE (a diverged lr has none)
        by_lr = all_rows.groupby("lr").agg(met=("met_stop", "sum"), mse=("median_final_mse", "max"))
        best_rows = by_lr[by_lr.met == by_lr.met.max()].mse.fillna(float("inf"))
        return float(best_rows.idxmin()), False

    if per_depth:
        picks = {int(d): best(ok[ok.depth == d], table[table.depth == d]) for d in sorted(table.depth.unique())}
        lr = {d: p[0] for d, p in picks.items()}
        fits = all(p[1] for p in picks.values())
        bad = [d for d, p in picks.items() if not p[1]]
    else:
        every_depth = ok.groupby("lr").depth.nunique()
        shared = every_depth[every_depth == table.depth.nunique()].index
        lr, fits = best(ok[ok.lr.isin(shared)].drop_duplicates("lr"), table)
        bad = [] if fits else sorted(int(d) for d in table.depth.unique())
    why = ("largest step size at which every sweep run met the stopping rule without diverging, one grid step "
           "smaller where that fitted every run too" if fits else
           f"no step size fitted every sweep run (depths {bad}): kept the one that fitted the most, then the lowest "
           "median final training MSE")  # fmt: skip
    return {"lr": lr, "fits": fits, "why": why}


def check_disjoint(sweep_seeds: list[int], config: dict) -> None:
    """A sweep reads training behaviour on seeds the config's runs never use."""
    overlap = set(sweep_seeds) & set(config["seeds"])
    if overlap:
        raise ConfigError(f"sweep seeds {sorted(overlap)} are also config seeds: choose disjoint --seeds")


def experiment_job(config: dict, artifact: str, variant: str) -> dict:
    """The toy-train job of one variant, as the workflow builds it."""
    experiments = config["toy"]["experiments"]
    if artifact not in experiments:
        raise ConfigError(f"toy.experiments has no artifact {artifact!r}; known: {sorted(experiments)}")
    experiment = experiments[artifact]
    if variant not in experiment["variants"]:
        raise ConfigError(f"toy.experiments.{artifact}.variants has no {variant!r}; known: "
                          f"{sorted(experiment['variants'])}")  # fmt: skip
    keys = ("target", "train_x", "depths", "fit_frequencies", "converged_rel_error")
    job = {k: experiment[k] for k in keys if k in experiment}
    return job | {"variant": experiment["variants"][variant], "grid_points": config["toy"]["grid_points"]}


def cli_select_lr(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="initgen select-lr",
        description="Sweep step sizes for one 1-D variant on seeds disjoint from the config's; choose from "
        "training loss alone (the largest step at which every sweep run meets the stopping rule without diverging).",
    )
    parser.add_argument("artifact", help="a toy.experiments key, e.g. fig1_depth")
    parser.add_argument("variant", help="a variant of that experiment, e.g. gaussian")
    parser.add_argument("--config", nargs="+", default=["config/config.yaml"], help="config files, later override")
    parser.add_argument("--seeds", type=int, nargs="+", default=DEFAULT_SWEEP_SEEDS, help="sweep seeds")
    parser.add_argument("--lrs", type=float, nargs="+", default=DEFAULT_LRS, help="step sizes to try")
    parser.add_argument("--steps", type=int, default=None, help="step budget (default: the variant's train.steps)")
    parser.add_argument("--per-depth", action="store_true", help="choose one step size per depth (Exp 1)")
    parser.add_argument("--depths", type=int, nargs="+", default=None,
                        help="sweep only these depths (Exp 1; default: the experiment's depths)")
    parser.add_argument("--stop-mse", type=float, default=None,
                        help="the fit the sweep asks for (default: the variant's train.stop_mse)")
    add_runtime_arguments(parser)
    parser.add_argument("--out", default=None, help="write the sweep (runs, table, choice) as Markdown here")
    args = parser.parse_args(argv)
    config = load_config(*args.config)
    check_disjoint(args.seeds, config)
    device = setup(args.device, args.threads)
    torch.manual_seed(0)
    job = experiment_job(config, args.artifact, args.variant)
    if args.depths:
        unknown = sorted(set(args.depths) - set(job.get("depths", [])))
        if unknown:
            raise ConfigError(f"--depths {unknown} are not depths of {args.artifact} ({job.get('depths')})")
        job["depths"] = args.depths
    runs = sweep_variant(job, args.seeds, args.lrs, device, args.steps, args.stop_mse)
    table = sweep_table(runs)
    choice = choose(table, args.per_depth)
    train = job["variant"]["train"]
    header = (
        f"# Step-size sweep: {args.artifact} / {args.variant}\n\n"
        f"Command: `initgen select-lr {' '.join(argv)}`\n\n"
        f"Optimizer {train['optimizer']}, stopping rule: train MSE < {args.stop_mse or train.get('stop_mse', 'none')}, "
        f"budget {args.steps or train['steps']} steps, sweep seeds {args.seeds}. Reads training loss only"
        + (f" (and, Exp 2's protocol, counts a run as fitted when at least {job['fit_frequencies']} target "
           "frequencies of its fit of the training points converged)" if job.get("fit_frequencies") else "")
        + ".\n\n"
    )
    text = header + table.to_markdown(index=False) + f"\n\nChoice: lr = {json.dumps(choice['lr'])} "
    text += f"(fits every sweep run: {choice['fits']}; {choice['why']}).\n"
    print(text)
    if args.out:
        write_text(args.out, text)
    return 0
