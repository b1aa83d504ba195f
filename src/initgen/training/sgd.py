"""SGD with momentum, Nesterov and L2 weight decay: torch.optim.SGD's update, written out.

    optimizer = SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=False, weight_decay=5e-4)
    loss.backward(); optimizer.step(); optimizer.zero_grad()

Why not torch.optim.SGD: its first use imports torch._dynamo (about 1.5 s per process, on top of torch's own
2 s), and every training job of the workflow is one short process. The update is the same, step for step
(tests/test_sgd.py compares the trajectories bit for bit), with dampening 0:

    g = grad + weight_decay * param
    buf = g                              (first step)
    buf = momentum * buf + g             (later steps)
    param -= lr * (g + momentum * buf)   (Nesterov)   or   param -= lr * buf

The per-tensor loops are torch._foreach_* calls: one kernel per operation for all tensors on a GPU.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch

from initgen.core.errors import UserFacingError


class SGD:
    """Holds `param_groups` (one group: {"lr": ...}) like torch.optim, so a schedule can set the rate per epoch."""

    def __init__(self, params: Iterable[torch.Tensor], lr: float, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float = 0.0):  # fmt: skip
        self.params = [p for p in params if p.requires_grad]
        if not self.params:
            raise ValueError("SGD got no trainable parameters")
        if nesterov and momentum <= 0:
            raise ValueError("Nesterov momentum needs momentum > 0")
        self.param_groups = [{"lr": float(lr)}]
        self.momentum, self.nesterov, self.weight_decay = float(momentum), bool(nesterov), float(weight_decay)
        self.buffers: list[torch.Tensor] | None = None  # momentum buffers, created at the first step

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        params = [p for p in self.params if p.grad is not None]
        if len(params) != len(self.params):  # a frozen-by-accident parameter would silently drop out of buffers
            raise RuntimeError("SGD.step: some trainable parameters have no gradient")
        grads = [p.grad for p in params]
        if self.weight_decay:
            grads = torch._foreach_add(grads, params, alpha=self.weight_decay)
        if self.momentum:
            if self.buffers is None:
                self.buffers = [g.detach().clone() for g in grads]
            else:
                torch._foreach_mul_(self.buffers, self.momentum)
                torch._foreach_add_(self.buffers, grads)
            if self.nesterov:
                grads = torch._foreach_add(grads, self.buffers, alpha=self.momentum)
            else:
                grads = self.buffers
        torch._foreach_add_(params, grads, alpha=-self.param_groups[0]["lr"])

    def state_dict(self) -> dict:
        return {"kind": "initgen.sgd", "lr": self.param_groups[0]["lr"], "momentum_buffers": self.buffers}

    def load_state_dict(self, state: dict) -> None:
        if state.get("kind") != "initgen.sgd":
            raise UserFacingError("the checkpoint's optimizer state is not initgen's SGD; delete it to start over")
        buffers = state["momentum_buffers"]
        if buffers is not None:
            if len(buffers) != len(self.params):
                raise UserFacingError(f"the checkpoint has {len(buffers)} momentum buffers for {len(self.params)} "
                                      "parameters; delete it to start over")  # fmt: skip
            buffers = [b.to(device=p.device, dtype=p.dtype) for b, p in zip(buffers, self.params, strict=True)]
        self.param_groups[0]["lr"] = float(state["lr"])
        self.buffers = buffers
