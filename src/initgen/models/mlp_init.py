"""Initializations of coordinate MLPs, from config specs (see config/config.yaml, `init:` blocks).

Direct draws (per network, from its own seeded generator, so a batch equals networks drawn one by one):
- xavier_uniform / xavier_normal: Glorot weights; biases keep PyTorch's default U(-1/sqrt(fan_in), 1/sqrt(fan_in))
  (zero biases would put every first-layer unit's kink or peak at x = 0).
- gaussian: weights and biases N(0, std^2): small std gives a smooth, low-bandwidth network.
- a reference `path/to/file.py:function` (your own, initgen.core.extensions): each weight from
  function(shape, layer, layers, generator, **init.params); biases keep PyTorch's default, as for Xavier.
Pre-training (a draw from `base`, then batched training on a target, all seeds at once):
- pretrain_signal: MSE fit of a given signal (e.g. a sine above the data's Nyquist frequency, or a constant).
- pretrain_noise: white Gaussian noise targets at `points`, fitted with MSE; thresholded at 0 with BCE; or
  cut into `bins` equal-count bins with cross-entropy (the network then needs out_dim = bins).
"""

from __future__ import annotations

import numpy as np
import torch

from initgen.core.errors import ConfigError
from initgen.core.extensions import is_reference, load_function
from initgen.data.signals import evaluate_signal, sample_points
from initgen.models.mlp import MLP, BatchedMLP
from initgen.training.batched import train_batched

DEFAULT_PRETRAIN_POINTS = {"kind": "grid", "n": 256}  # our choice: dense enough for the spikes we pre-train


def draw_mlp(model_spec: dict, init_spec: dict, seed: int, depth: int, scale: float, dtype=torch.float32) -> MLP:
    """One network with weights drawn by `init_spec` (a direct kind) from a generator seeded with `seed`."""
    generator = torch.Generator().manual_seed(int(seed))
    torch.manual_seed(int(seed))  # nn.Linear's default bias draw uses the global generator
    mlp = MLP(
        model_spec["activation"],
        width=model_spec.get("width", 256),
        depth=depth,
        out_dim=model_spec.get("out_dim", 1),
        scale=scale,
    ).to(dtype)
    kind = init_spec["kind"]
    user = load_function(kind, "init.kind") if is_reference(kind) else None
    with torch.no_grad():
        for index, layer in enumerate(mlp.layers):
            if user is not None:
                layer.weight.copy_(user(tuple(layer.weight.shape), index, len(mlp.layers), generator,
                                        **init_spec.get("params", {})))
            elif kind == "xavier_uniform":
                torch.nn.init.xavier_uniform_(layer.weight, generator=generator)
            elif kind == "xavier_normal":
                torch.nn.init.xavier_normal_(layer.weight, generator=generator)
            elif kind == "gaussian":
                if "std" not in init_spec:
                    raise ConfigError("config key init.std is required when init.kind is 'gaussian'")
                layer.weight.normal_(0.0, init_spec["std"], generator=generator)
                layer.bias.normal_(0.0, init_spec["std"], generator=generator)
            else:
                raise ConfigError(f"init kind {kind!r} is not a direct draw")
    return mlp


def noise_targets(init_spec: dict, n_points: int, seeds: list[int]) -> torch.Tensor:
    """Per-seed targets for pretrain_noise: values [M, N, 1] (mse), {0,1} [M, N] (bce), labels [M, N] (ce)."""
    loss = init_spec.get("loss", "mse")
    rows = []
    for seed in seeds:
        noise = np.random.default_rng([int(seed), 7919]).standard_normal(n_points)
        if loss == "mse":
            rows.append(noise[:, None])
        elif loss == "bce":
            rows.append((noise > 0).astype(float))
        else:
            edges = np.quantile(noise, np.linspace(0, 1, init_spec.get("bins", 4) + 1)[1:-1])
            rows.append(np.digitize(noise, edges))
    dtype = torch.long if loss == "ce" else torch.float32
    return torch.as_tensor(np.stack(rows), dtype=dtype)


def initialize(
    model_spec: dict,
    init_spec: dict,
    seeds: list[int],
    depth: int,
    scales: list[float],
    device: str = "cpu",
    key: str = "init",
) -> tuple[BatchedMLP, dict]:
    """A BatchedMLP of len(seeds) networks initialized by `init_spec`; also returns pre-training info."""
    kind = init_spec["kind"]
    if kind not in ("pretrain_signal", "pretrain_noise"):
        mlps = [draw_mlp(model_spec, init_spec, s, depth, c) for s, c in zip(seeds, scales, strict=True)]
        return BatchedMLP.stack(mlps).to(device), {}

    base = init_spec.get("base", {"kind": "xavier_uniform"})
    model, _ = initialize(model_spec, base, seeds, depth, scales, device, key=f"{key}.base")
    x = sample_points(init_spec.get("points", DEFAULT_PRETRAIN_POINTS), key=f"{key}.points")
    out_dim = model_spec.get("out_dim", 1)
    if kind == "pretrain_signal":
        if "signal" not in init_spec:
            raise ConfigError(f"config key {key}.signal is required when {key}.kind is 'pretrain_signal'")
        loss = "mse"
        values = evaluate_signal(init_spec["signal"], x, key=f"{key}.signal")
        y = torch.as_tensor(values, dtype=torch.float32)[None, :, None].expand(len(seeds), -1, out_dim)
    else:
        loss = init_spec.get("loss", "mse")
        expected = init_spec.get("bins", 4) if loss == "ce" else 1
        if out_dim != expected:
            raise ConfigError(f"config key model.out_dim must be {expected} for {key}.loss {loss!r} (got {out_dim})")
        y = noise_targets(init_spec, len(x), seeds)
    x_t = torch.as_tensor(x, dtype=torch.float32)[:, None].to(device)
    log = train_batched(
        model,
        x_t,
        y.to(device),
        loss=loss,
        optimizer=init_spec.get("optimizer", "adam"),
        lr=init_spec.get("lr", 1e-3),
        steps=init_spec.get("steps", 2000),
        progress=f"pre-train ({kind})",
    )
    return model, {"pretrain_final_loss": log.losses[-1].tolist(), "pretrain_x": x}

