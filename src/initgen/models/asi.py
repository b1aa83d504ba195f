"""Antisymmetrical initialization (ASI, Zhang, Xu, Luo, Ma 2020) and its two comparisons.

- ASI(net): h_ASI(x) = (sqrt(2)/2) h(x; theta) - (sqrt(2)/2) h(x; theta'), theta' a copy of theta at init and
  both trained. Its output is exactly 0 at init, and its NTK is (1/2) K + (1/2) K = K, the original's.
- doubling(net): the "doubling trick": every neuron of the last hidden layer is duplicated (same incoming
  weights) and the copy gets the opposite output weight, so the output is 0 at init (up to float rounding).
  The output bias is set to 0 (otherwise the output would be that bias). Unlike ASI its NTK differs from the original's.
- RND: the original architecture widened to ASI's parameter count (`matched_width`), initialized as usual.

Networks are the lead's coordinate MLPs (`initgen.models.mlp`); `draw_networks` draws a batch of them with
weights and biases N(0, std^2 / fan_in) (our choice: scaling by fan-in makes "init std" mean the same thing at
width 256 and 5000, so the default and paper configs sweep the same initial-output magnitudes).
"""

from __future__ import annotations

import copy
import math

import torch
from torch import nn

from initgen.models.mlp import MLP, BatchedMLP, activate

SQRT_HALF = math.sqrt(0.5)


class ASI(nn.Module):
    """The antisymmetric pair of any network whose forward returns the output tensor."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net
        self.twin = copy.deepcopy(net)  # theta' = theta at init, trained on its own from here

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return SQRT_HALF * (self.net(x) - self.twin(x))  # the same ops on the same values: exactly 0 at init

    @property
    def n_models(self) -> int:
        """So an ASI of a BatchedMLP trains with `initgen.training.batched.train_batched`."""
        return self.net.n_models


def param_count(width: int, depth: int, in_dim: int = 1, out_dim: int = 1) -> int:
    sizes = [in_dim] + [width] * depth + [out_dim]
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=True))


def matched_width(width: int, depth: int, factor: float = 2.0) -> int:
    """The width whose MLP has the parameter count closest to `factor` x that of `width` (RND vs ASI)."""
    target = factor * param_count(width, depth)
    best = width
    while param_count(best + 1, depth) <= target:
        best += 1
    if abs(param_count(best + 1, depth) - target) < abs(param_count(best, depth) - target):
        best += 1
    return best


def draw_networks(activation: str, width: int, depth: int, std: float, seeds: list[int], scale: float = 1.0,
                  dtype=torch.float32) -> BatchedMLP:
    """len(seeds) MLPs (1 -> width x depth -> 1), weights and biases N(0, std^2 / fan_in), one generator per seed."""
    mlps = []
    for seed in seeds:
        generator = torch.Generator().manual_seed(int(seed))
        mlp = MLP(activation, width=width, depth=depth, scale=scale).to(dtype)
        with torch.no_grad():
            for layer in mlp.layers:
                sd = std / math.sqrt(layer.in_features)
                layer.weight.normal_(0.0, sd, generator=generator)
                layer.bias.normal_(0.0, sd, generator=generator)
        mlps.append(mlp)
    return BatchedMLP.stack(mlps)


def doubling(model: BatchedMLP) -> BatchedMLP:
    """The doubling trick applied to every network of a batch (a new BatchedMLP; `model` is unchanged)."""
    weights = [w.detach().clone() for w in model.weights]
    biases = [b.detach().clone() for b in model.biases]
    weights[-2] = torch.cat([weights[-2], weights[-2]], dim=2)  # duplicate the last hidden layer's neurons
    biases[-2] = torch.cat([biases[-2], biases[-2]], dim=2)
    weights[-1] = torch.cat([weights[-1], -weights[-1]], dim=1)  # opposite output weights for the copies
    biases[-1] = torch.zeros_like(biases[-1])
    return BatchedMLP(model.activation, weights, biases, model.scales.reshape(-1).clone())


class NetworkAt(nn.Module):
    """Network `index` of a BatchedMLP as its own module (copies of its weights), for per-network NTKs.

    Unlike BatchedMLP.unstack() it allows hidden layers of different widths (the doubling trick's last one).
    """

    def __init__(self, model: BatchedMLP, index: int):
        super().__init__()
        self.activation, self.scale = model.activation, float(model.scales.reshape(-1)[index])
        self.weights = nn.ParameterList(nn.Parameter(w[index].detach().clone()) for w in model.weights)
        self.biases = nn.ParameterList(nn.Parameter(b[index, 0].detach().clone()) for b in model.biases)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            x = torch.addmm(b, x, w)
            if i < last:
                x = activate(x, self.activation, self.scale)
        return x


__all__ = ["ASI", "NetworkAt", "SQRT_HALF", "doubling", "draw_networks", "matched_width", "param_count"]
