"""Exp 5 (flat minima) training step: the signal draws and one variant's networks, every draw x seed as one
batched model (`initgen flat-minima-train`). The Hessian and analysis steps are experiments/flat_minima.py; this
module imports no curvature code, so editing the Hessian engine reruns no training job.
"""

from __future__ import annotations

import numpy as np
import torch

from initgen.core.errors import ConfigError
from initgen.core.files import job_array
from initgen.core.runtime import run_npz_step
from initgen.data.signals import evaluate_signal, grid, sample_points
from initgen.experiments.regression_1d_train import DEFAULT_DEPTH
from initgen.models.mlp import BatchedMLP, activation_scale
from initgen.models.mlp_init import initialize
from initgen.training.batched import train_batched

DRAW_SEED_OFFSET = 5_000  # keeps the signal draws' stream apart from the network seeds


# ------------------------------------------------------------------------------------------------ signals
def draw_signal(draw: int, spec: dict) -> dict:
    """The draw-th signal: a1, a2 ~ U(amplitudes), f1, f2 ~ U(frequencies) (cycles per unit), seeded."""
    rng = np.random.default_rng([DRAW_SEED_OFFSET + int(spec["draw_seed"]), int(draw)])
    a1, a2 = rng.uniform(*spec["amplitudes"], size=2)
    f1, f2 = rng.uniform(*spec["frequencies"], size=2)
    return {"freqs": [float(f1), float(f2)], "amps": [float(a1), float(a2)]}


def check_spec(spec: dict) -> None:
    for key in ("amplitudes", "frequencies"):
        low, high = spec[key]
        if not low <= high:
            raise ConfigError(f"config key flat_minima.{key}: need [low, high] with low <= high, got {spec[key]}")


# ----------------------------------------------------------------------------------------------- training
def train_variant(job: dict, seeds: list[int], device: str = "cpu") -> dict:
    """Train every (draw, seed) network of one variant as one BatchedMLP; return arrays for save_npz.

    job = {variant: {bandwidth, model, init, train}, draws, draw_seed, amplitudes, frequencies, train_x,
    test_points}. Network m is draw m // len(seeds), seed seeds[m % len(seeds)]: the same seed starts from the
    same weights for every draw.
    """
    check_spec(job)
    variant = job["variant"]
    model_spec, init_spec, train_spec = variant["model"], variant["init"], variant["train"]
    depth = model_spec.get("depth", DEFAULT_DEPTH)
    scale = activation_scale(model_spec["activation"], model_spec.get("sigma", 0.1), model_spec.get("omega", 10.0))
    signals = [draw_signal(d, job) for d in range(job["draws"])]
    draw_of = np.repeat(np.arange(job["draws"]), len(seeds))
    seed_of = np.tile(np.asarray(seeds), job["draws"])
    x_train = sample_points(job["train_x"], key="flat_minima.train_x")
    y_train = np.stack([evaluate_signal(signals[d], x_train) for d in draw_of])  # [M, N]
    dense = grid(job["test_points"])
    y_dense = np.stack([evaluate_signal(signals[d], dense) for d in draw_of])

    # each seed's start is drawn (and pre-trained) once, then copied for every draw
    start, info = initialize(model_spec, init_spec, list(seeds), depth, [scale] * len(seeds), device)
    copies = torch.as_tensor(np.tile(np.arange(len(seeds)), job["draws"]), device=start.scales.device)
    model = BatchedMLP(
        start.activation,
        [w.detach()[copies].clone() for w in start.weights],
        [b.detach()[copies].clone() for b in start.biases],
        start.scales.reshape(-1)[copies],
    )
    pretrain_loss = np.asarray(info.get("pretrain_final_loss", [np.nan] * len(seeds)), dtype=float)
    x_t = torch.as_tensor(x_train, dtype=torch.float32, device=device)[:, None]
    y_t = torch.as_tensor(y_train, dtype=torch.float32, device=device)[..., None]
    log = train_batched(
        model,
        x_t,
        y_t,
        loss="mse",
        optimizer=train_spec["optimizer"],
        lr=train_spec["lr"],
        steps=train_spec["steps"],
        stop_loss=train_spec.get("stop_mse"),
        progress=f"train {model_spec['activation']}/{variant['bandwidth']}",
    )
    with torch.no_grad():
        prediction = model(torch.as_tensor(dense, dtype=torch.float32, device=device)[:, None])[..., 0]
    arrays = {
        "x_train": x_train,
        "y_train": y_train,
        "grid": dense,
        "target_grid": y_dense,
        "prediction_grid": prediction.cpu().numpy(),
        "draws": draw_of,
        "seeds": seed_of,
        "signals": np.asarray([s["amps"] + s["freqs"] for s in signals])[draw_of],  # [M, 4]: a1 a2 f1 f2
        "losses": log.losses,  # [steps + 1, M]
        "steps_taken": log.steps_taken,
        "scales": model.scales.reshape(-1).cpu().numpy(),
        "pretrain_final_loss": pretrain_loss[copies.cpu().numpy()],
        "job": job_array(job),
    }
    for i, (w, b) in enumerate(zip(model.weights, model.biases, strict=True)):
        arrays[f"weight_{i}"] = w.detach().cpu().numpy()
        arrays[f"bias_{i}"] = b.detach().cpu().numpy()
    return arrays



def cli_train(argv: list[str]) -> int:
    return run_npz_step(argv, "initgen flat-minima-train", train_variant, description="Train one Exp 5 variant.",
                        job_help="{variant, draws, draw_seed, amplitudes, frequencies, ...}", threads_default=0)
