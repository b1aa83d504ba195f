"""Coordinate MLPs for 1-D regression: ReLU, Gaussian exp(-x^2 / (2 sigma^2)) and sine sin(omega x), or your own
elementwise function named by a reference `path/to/file.py:function` (initgen.core.extensions), called as function(h).

Two forms of the same network:
- `MLP`: one network of nn.Linear layers (the reference; the Hessian engine and one-by-one training use it).
- `BatchedMLP`: M networks of one shape stacked along a leading model axis, evaluated with batched matrix
  products, so many seeds or configs train as one model. `BatchedMLP.stack(mlps)` and `.unstack()` convert
  exactly, so batched training can be checked against training each MLP on its own.
`depth` is the number of hidden layers (as in the paper); each has `width` units.
"""

from __future__ import annotations

import torch
from torch import nn

from initgen.core.extensions import is_reference, load_function

ACTIVATIONS = ("relu", "gaussian", "sine")


def activate(h: torch.Tensor, activation: str, scale: torch.Tensor | float) -> torch.Tensor:
    """Apply the activation; `scale` is sigma (gaussian) or omega (sine), per model when batched."""
    if activation == "relu":
        return torch.relu(h)
    if activation == "gaussian":
        return torch.exp(-0.5 * (h / scale) ** 2)
    if activation == "sine":
        return torch.sin(scale * h)
    if is_reference(activation):
        return load_function(activation, "model.activation")(h)
    raise ValueError(f"unknown activation {activation!r}; known: {', '.join(ACTIVATIONS)}")


def activation_scale(activation: str, sigma: float = 0.1, omega: float = 10.0) -> float:
    """The one number that parameterizes an activation (1.0 for ReLU and your own, which take none)."""
    if activation == "relu" or is_reference(activation):
        return 1.0
    return {"gaussian": sigma, "sine": omega}[activation]


class MLP(nn.Module):
    def __init__(self, activation: str, width: int, depth: int, in_dim: int = 1, out_dim: int = 1, scale: float = 1.0):
        super().__init__()
        if activation not in ACTIVATIONS and not is_reference(activation):
            raise ValueError(f"unknown activation {activation!r}; known: {', '.join(ACTIVATIONS)}")
        if depth < 1 or width < 1:
            raise ValueError(f"depth and width must be >= 1, got depth={depth}, width={width}")
        self.activation, self.scale = activation, scale
        sizes = [in_dim] + [width] * depth + [out_dim]
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:], strict=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers[:-1]:
            x = activate(layer(x), self.activation, self.scale)
        return self.layers[-1](x)


class BatchedMLP(nn.Module):
    """M same-shape MLPs: weights[i] has shape [M, fan_in, fan_out], biases[i] [M, 1, fan_out].

    Input x is [M, N, in_dim] (or [N, in_dim], shared by all models); output is [M, N, out_dim].
    """

    def __init__(self, activation: str, weights: list[torch.Tensor], biases: list[torch.Tensor], scales: torch.Tensor):
        super().__init__()
        self.activation = activation
        self.weights = nn.ParameterList(nn.Parameter(w) for w in weights)
        self.biases = nn.ParameterList(nn.Parameter(b) for b in biases)
        self.register_buffer("scales", scales.reshape(-1, 1, 1))

    @property
    def n_models(self) -> int:
        return self.weights[0].shape[0]

    @classmethod
    def stack(cls, mlps: list[MLP]) -> BatchedMLP:
        first = mlps[0]
        if any(m.activation != first.activation or len(m.layers) != len(first.layers) for m in mlps):
            raise ValueError("BatchedMLP.stack needs networks of one activation and shape")
        weights = [torch.stack([m.layers[i].weight.detach().T for m in mlps]) for i in range(len(first.layers))]
        biases = [torch.stack([m.layers[i].bias.detach()[None] for m in mlps]) for i in range(len(first.layers))]
        scales = torch.tensor([float(m.scale) for m in mlps], dtype=weights[0].dtype)
        return cls(first.activation, [w.clone() for w in weights], [b.clone() for b in biases], scales)

    def take(self, rows: list[int] | torch.Tensor) -> BatchedMLP:
        """A new BatchedMLP of copies of models `rows` (repeats allowed): one pre-trained init per seed, reused
        at every step size of a sweep, instead of the same pre-training once per step size."""
        index = torch.as_tensor(rows, dtype=torch.long, device=self.weights[0].device)
        weights = [w.detach()[index].clone() for w in self.weights]
        biases = [b.detach()[index].clone() for b in self.biases]
        return BatchedMLP(self.activation, weights, biases, self.scales.view(-1)[index].clone())

    def unstack(self) -> list[MLP]:
        """The M networks as separate MLPs (copies of the current weights)."""
        sizes = [self.weights[0].shape[1]] + [w.shape[2] for w in self.weights]
        mlps = []
        for m in range(self.n_models):
            mlp = MLP(
                self.activation,
                width=sizes[1],
                depth=len(sizes) - 2,
                in_dim=sizes[0],
                out_dim=sizes[-1],
                scale=float(self.scales[m]),
            ).to(self.weights[0].dtype)  # before copying, so float64 weights are not rounded through float32
            with torch.no_grad():
                for layer, w, b in zip(mlp.layers, self.weights, self.biases, strict=True):
                    layer.weight.copy_(w[m].T)
                    layer.bias.copy_(b[m, 0])
            mlps.append(mlp)
        return mlps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 2:
            x = x.expand(self.n_models, *x.shape)
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            x = torch.baddbmm(b, x, w)
            if i < last:
                x = activate(x, self.activation, self.scales)
        return x
