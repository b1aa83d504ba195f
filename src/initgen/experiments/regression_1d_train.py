"""Training step of the main paper's 1-D experiments (Exp 1, 2, 3, A.2's Fig 5, A.3's Fig 7).

`train_variant` trains one variant of one experiment (all seeds, and all depths for Exp 1) with the batched
trainer and saves the network's values on a dense grid at a few snapshots: results/<artifact>/train/<variant>.npz.
The analysis (spectra, metrics) is regression_1d_analyze.py: training never computes a spectrum, so editing the spectrum
code reruns the analysis and figures, not the training.
"""

from __future__ import annotations

import numpy as np
import torch

from initgen.core.errors import ConfigError
from initgen.core.files import job_array
from initgen.core.runtime import run_npz_step
from initgen.data.signals import evaluate_signal, grid, sample_points
from initgen.models.mlp import activation_scale
from initgen.models.mlp_init import initialize
from initgen.training.batched import snapshot_schedule, train_batched

DEFAULT_DEPTH = 4  # our choice when a variant gives none: the depth of the SPEC protocol notes


def train_inputs(job: dict, n_models: int, device: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Training points x [N, 1] and targets y [n_models, N, out_dim] of a 1-D job."""
    x_train = sample_points(job["train_x"])
    y_train = evaluate_signal(job["target"], x_train, key="target")
    out_dim = job["variant"]["model"].get("out_dim", 1)
    x_t = torch.as_tensor(x_train, dtype=torch.float32, device=device)[:, None]
    y_t = torch.as_tensor(y_train, dtype=torch.float32, device=device)[None, :, None].expand(n_models, -1, out_dim)
    return x_t, y_t


def step_size(train_spec: dict, depth: int) -> float:
    """The variant's learning rate: `lr`, or `lr_by_depth[depth]` where the step size was chosen per depth."""
    by_depth = train_spec.get("lr_by_depth")
    if by_depth is None:
        return train_spec["lr"]
    if depth not in by_depth and str(depth) not in by_depth:
        raise ConfigError(f"config key train.lr_by_depth has no entry for depth {depth}")
    return by_depth.get(depth, by_depth.get(str(depth)))


def train_variant(job: dict, seeds: list[int], device: str = "cpu") -> dict:
    """Train one variant for every seed (and depth); return arrays for `save_npz`.

    job = {target, train_x, depths?, variant: {model, init, train}, grid_points}
    """
    variant = job["variant"]
    model_spec, init_spec, train_spec = variant["model"], variant["init"], variant["train"]
    depths = job.get("depths") or [model_spec.get("depth", DEFAULT_DEPTH)]
    scale = activation_scale(model_spec["activation"], model_spec.get("sigma", 0.1), model_spec.get("omega", 10.0))
    x_train = sample_points(job["train_x"])
    y_train = evaluate_signal(job["target"], x_train, key="target")
    dense = grid(job["grid_points"])
    dense_t = torch.as_tensor(dense, dtype=torch.float32, device=device)[:, None]
    x_t, y_t = train_inputs(job, len(seeds), device)
    schedule = snapshot_schedule(train_spec["steps"], train_spec.get("snapshots", 2),
                                 train_spec.get("snapshot_spacing", "linear"))

    predictions, losses, taken, pretrain = [], [], [], []
    for depth in depths:
        model, info = initialize(model_spec, init_spec, seeds, depth, [scale] * len(seeds), device)
        log = train_batched(
            model,
            x_t,
            y_t,
            loss="mse",
            optimizer=train_spec["optimizer"],
            lr=step_size(train_spec, depth),
            steps=train_spec["steps"],
            stop_loss=train_spec.get("stop_mse"),
            snapshot_steps=schedule,
            evaluate=lambda m: m(dense_t).cpu().numpy(),
            progress=f"train depth {depth}",
        )
        predictions.append(np.stack(log.snapshots, axis=1))  # [M, S, G, out]
        losses.append(log.losses)
        taken.append(log.steps_taken)
        pretrain.append(info.get("pretrain_final_loss", [np.nan] * len(seeds)))
    return {
        "grid": dense,
        "x_train": x_train,
        "y_train": y_train,
        "target_grid": evaluate_signal(job["target"], dense, key="target"),
        "depths": np.asarray(depths),
        "seeds": np.asarray(seeds),
        "snapshot_steps": np.asarray(schedule),
        "predictions": np.stack(predictions).astype(np.float32),  # [D, M, S, G, out]
        "losses": np.stack(losses),  # [D, steps + 1, M]
        "steps_taken": np.stack(taken),  # [D, M]
        "pretrain_final_loss": np.asarray(pretrain, dtype=float),  # [D, M]
        "job": job_array(job),
    }


def cli_train(argv: list[str]) -> int:
    return run_npz_step(argv, "initgen toy-train", train_variant, description="Train one 1-D experiment variant.",
                        job_help="{target, train_x, depths?, variant, grid_points}", threads_default=0)


