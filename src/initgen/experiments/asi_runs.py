"""The ASI runs of Zhang et al. 2020 (SPEC.md "ASI"); the linear networks of Min et al. are experiments/linear_runs.py.

Artifacts and steps (workflow/rules/related.smk):
- asi: `asi-run --part main` (original, ASI, doubling, RND over seeds, with the NTK prediction of the error
  caused by the initial output) and `asi-run --part sweep` (init std sweep, original vs ASI) -> npz files.
- `related-analyze` (experiments/asi_linear_analyze.py) turns them into results/<artifact>/metrics.json; figures
  and tables are reporting/plots/asi_linear.py.
Everything a result depends on comes from the spec (config) and the seed: no clock, no hostname.
"""

from __future__ import annotations

import copy

import numpy as np
import torch

from initgen.analysis import ntk
from initgen.core.runtime import resolve_device, run_npz_step
from initgen.models import asi
from initgen.models.mlp import BatchedMLP
from initgen.training.batched import train_batched

ASI_VARIANTS = ("original", "asi", "doubling", "rnd")
CURVE_POINTS = 200  # loss-curve samples kept per run (log-spaced in the epoch): enough for a log-log plot


# --- ASI ----------------------------------------------------------------------------------------------------


def asi_data(spec: dict, seed: int) -> dict:
    """Training and test points for one seed: uniform on [-1, 1], target sin(omega x)."""
    rng = np.random.default_rng([int(seed), 2020])
    x_train = np.sort(rng.uniform(-1.0, 1.0, spec["n_train"]))
    x_test = np.sort(rng.uniform(-1.0, 1.0, spec["n_test"]))
    omega = spec["target_omega"]
    return {"x_train": x_train, "y_train": np.sin(omega * x_train), "x_test": x_test, "y_test": np.sin(omega * x_test)}


def _column(values: np.ndarray, device, dtype=torch.float32) -> torch.Tensor:
    return torch.as_tensor(values, dtype=dtype, device=device)[..., None]


def ntk_learning_rates(model: BatchedMLP, x_train: torch.Tensor, fraction: float, chunk: int) -> np.ndarray:
    """Per network: fraction * n / lambda_max(K(X, X)). Gradient descent on the mean squared error is stable in
    the NTK regime for a step below n / lambda_max, so this is the same relative step for every network."""
    rates = []
    for i in range(model.n_models):
        net = asi.NetworkAt(model, i).double()
        gram = ntk.empirical_ntk(net, x_train[i].double(), chunk=chunk)
        rates.append(fraction * x_train.shape[1] / float(torch.linalg.eigvalsh(gram)[-1]))
    return np.asarray(rates)


def curve_steps(epochs: int) -> np.ndarray:
    """Log-spaced epochs (with 0) at which loss curves are kept."""
    return np.unique(np.concatenate([[0], np.geomspace(1, epochs, CURVE_POINTS).round().astype(int)]))


def _train(model, x_train, y_train, rates, spec, progress):
    log = train_batched(
        model,
        x_train,
        y_train,
        loss="mse",
        optimizer="sgd",  # plain gradient descent: the NTK theory is about GD, not Adam
        lr=torch.as_tensor(rates, dtype=torch.float32),
        steps=spec["epochs"],
        stop_loss=spec["stop_mse"],
        progress=progress,
    )
    return log


def _build(variant: str, spec: dict, std: float, seeds: list[int]) -> BatchedMLP | asi.ASI:
    activation, width, depth = spec["activation"], spec["width"], spec["depth"]
    if variant == "rnd":
        return asi.draw_networks(activation, asi.matched_width(width, depth), depth, std, seeds)
    base = asi.draw_networks(activation, width, depth, std, seeds)
    return {"original": base, "asi": asi.ASI(base), "doubling": asi.doubling(base)}[variant]


def _plain(model) -> BatchedMLP:
    """The network whose NTK an ASI model has (the original), else the model itself."""
    return model.net if isinstance(model, asi.ASI) else model


def run_asi_main(spec: dict, seeds: list[int], device: str = "cpu") -> dict:
    """Original, ASI, doubling and RND at init std spec['init_std'], every seed trained at once per variant."""
    device = resolve_device(device)
    data = [asi_data(spec, s) for s in seeds]
    stacked = {k: np.stack([d[k] for d in data]) for k in data[0]}
    x_train, x_test = _column(stacked["x_train"], device), _column(stacked["x_test"], device)
    y_train = _column(stacked["y_train"], device)
    steps = curve_steps(spec["epochs"])
    out = {key: value for key, value in stacked.items()}
    out |= {"seeds": np.asarray(seeds), "curve_steps": steps, "variants": np.asarray(ASI_VARIANTS)}
    out["stop_mse"] = np.asarray(spec["stop_mse"], dtype=float)  # the stopping rule, for the runs' protocol status
    out["rnd_width"] = np.asarray(asi.matched_width(spec["width"], spec["depth"]))
    for variant in spec["variants"]:
        model = _build(variant, spec, spec["init_std"], seeds).to(device)
        rates = ntk_learning_rates(_plain(model), x_train, spec["lr_fraction"], spec["ntk_chunk"])
        with torch.no_grad():
            out[f"{variant}_init"] = model(x_test)[..., 0].cpu().numpy()
        log = _train(model, x_train, y_train, rates, spec, progress=f"asi {variant}")
        with torch.no_grad():
            out[f"{variant}_final"] = model(x_test)[..., 0].cpu().numpy()
        out[f"{variant}_curve"] = log.losses[steps].T  # [seeds, curve points]
        out[f"{variant}_epochs"] = log.steps_taken
        out[f"{variant}_lr"] = rates
        out[f"{variant}_params"] = np.asarray(sum(p[0].numel() for p in model.parameters()))

    # The NTK prediction (original network at init): the error its initial output adds, and the fit of a
    # zero-output network (ASI) from kernel regression on the training data.
    predicted, kernel_fit = [], []
    original = _build("original", spec, spec["init_std"], seeds).unstack()
    for i, mlp in enumerate(original):
        net = copy.deepcopy(mlp).double().to(device)
        xt, xs = x_train[i].double(), x_test[i].double()
        k_train = ntk.empirical_ntk(net, xt, chunk=spec["ntk_chunk"])
        k_test = ntk.empirical_ntk(net, xs, xt, chunk=spec["ntk_chunk"])
        with torch.no_grad():
            predicted.append(ntk.initial_output_error(net(xs), net(xt), k_test, k_train)[:, 0].cpu().numpy())
        kernel_fit.append(ntk.kernel_regression(k_test, k_train, y_train[i].double())[:, 0].cpu().numpy())
    out["predicted_error"] = np.stack(predicted)
    out["kernel_fit"] = np.stack(kernel_fit)
    return out


def run_asi_sweep(spec: dict, seeds: list[int], device: str = "cpu") -> dict:
    """Original vs ASI over init stds: all (std, seed) networks of one variant train as one batch."""
    device = resolve_device(device)
    stds = spec["std_sweep"]
    data = [asi_data(spec, s) for s in seeds] * len(stds)  # model index = std index * len(seeds) + seed index
    x_train = _column(np.stack([d["x_train"] for d in data]), device)
    x_test = _column(np.stack([d["x_test"] for d in data]), device)
    y_train = _column(np.stack([d["y_train"] for d in data]), device)
    y_test = np.stack([d["y_test"] for d in data])
    shape = (len(stds), len(seeds))
    out = {"stds": np.asarray(stds, dtype=float), "seeds": np.asarray(seeds)}
    out["stop_mse"] = np.asarray(spec["stop_mse"], dtype=float)
    for variant in ("original", "asi"):
        nets = [_build("original", spec, std, seeds) for std in stds]
        base = BatchedMLP.stack([m for batch in nets for m in batch.unstack()]).to(device)
        with torch.no_grad():
            original_init = base(x_test)[..., 0].cpu().numpy()
        model = asi.ASI(base) if variant == "asi" else base
        rates = ntk_learning_rates(base, x_train, spec["lr_fraction"], spec["ntk_chunk"])
        log = _train(model, x_train, y_train, rates, spec, progress=f"asi sweep {variant}")
        with torch.no_grad():
            final = model(x_test)[..., 0].cpu().numpy()
        # the initial output's magnitude is that of the original network (ASI's is 0 by construction)
        out["init_rms"] = np.sqrt((original_init**2).mean(axis=1)).reshape(shape)
        out[f"{variant}_test_mse"] = ((final - y_test) ** 2).mean(axis=1).reshape(shape)
        out[f"{variant}_train_mse"] = log.losses[-1].reshape(shape)
        out[f"{variant}_epochs"] = log.steps_taken.reshape(shape)
    return out


def cli_asi_run(argv: list[str]) -> int:
    """`initgen asi-run --part main|sweep --job JSON --seeds JSON --out FILE.npz`"""
    return run_npz_step(argv, "initgen asi-run", None, {"main": run_asi_main, "sweep": run_asi_sweep},
                   "Train the original and anti-symmetric-init (ASI) networks (Zhang et al. 2020): the main "
                   "comparison, or the sweep over init std.")
