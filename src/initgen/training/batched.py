"""Full-batch training of many same-shape MLPs at once (a BatchedMLP), equal to training each on its own.

Each model's loss is its own mean over points; the models' losses are summed before backward, so each model's
gradient is exactly the gradient of its own loss. SGD and Adam are applied per model with its own learning rate
and its own stopping rule (a model whose training loss is below `stop_loss` takes no more steps, and its Adam
state stops too), which is what training it alone would do. `train_one_by_one` is that reference, with
torch.optim on separate MLPs; the tests check the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from initgen.core.progress import progress as progress_lines
from initgen.models.mlp import MLP, BatchedMLP

ADAM_BETAS = (0.9, 0.999)  # PyTorch's defaults, so one-by-one training with torch.optim.Adam matches
ADAM_EPS = 1e-8
STOP_CHECK_EVERY = 50  # how often to ask the device whether every model has stopped (a host sync)


def per_model_loss(prediction: torch.Tensor, target: torch.Tensor, loss: str) -> torch.Tensor:
    """Loss of each model, shape [M]: prediction [M, N, out]; target [M, N, out] (mse), [M, N] (bce, ce)."""
    if loss == "mse":
        return ((prediction - target) ** 2).mean(dim=(1, 2))
    if loss == "bce":
        return F.binary_cross_entropy_with_logits(prediction[..., 0], target, reduction="none").mean(dim=1)
    if loss == "ce":
        m, n, c = prediction.shape
        return F.cross_entropy(prediction.reshape(m * n, c), target.reshape(m * n), reduction="none").view(m, n).mean(1)
    raise ValueError(f"unknown loss {loss!r}; known: mse, bce, ce")


@dataclass
class TrainLog:
    losses: np.ndarray  # [steps + 1, M]: training loss before each update, and after the last
    steps_taken: np.ndarray  # [M]: updates applied to each model
    snapshot_steps: list[int] = field(default_factory=list)
    snapshots: list = field(default_factory=list)  # whatever `evaluate(model)` returned at each snapshot step


def snapshot_schedule(steps: int, count: int, spacing: str = "linear") -> list[int]:
    """At most `count` update counts from 0 to `steps` (inclusive), without repeats: evenly spaced (`linear`), or
    0 then geometrically spaced from 1 (`log`: resolves what happens in the first steps of a long budget)."""
    if spacing == "log" and steps >= 1:
        points = np.concatenate([[0], np.geomspace(1, steps, max(count, 2) - 1)])
    elif spacing in ("linear", "log"):
        points = np.linspace(0, steps, max(count, 2))
    else:
        raise ValueError(f"unknown snapshot spacing {spacing!r}; known: linear, log")
    return sorted({int(round(s)) for s in points})


def train_batched(
    model: BatchedMLP,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    loss: str = "mse",
    optimizer: str = "sgd",
    lr: float | torch.Tensor = 1e-2,
    steps: int = 1000,
    stop_loss: float | None = None,
    snapshot_steps: list[int] = (),
    evaluate=None,
    progress: str | None = None,
) -> TrainLog:
    """Train in place. x: [N, in] or [M, N, in]; y as `per_model_loss` expects. Returns the TrainLog.

    `model`: a BatchedMLP, or any module of M models with `n_models` whose parameters have the model first.
    In a BatchedMLP stopped models leave the batch: every STOP_CHECK_EVERY steps the models still training are
    copied into a smaller BatchedMLP (`work`, rows `rows` of `model`), so a budget that one slow run uses to the end
    costs one model's steps, not M. `model` holds every model's current weights at each snapshot and at the end."""
    n_models = model.n_models
    first_param = next(model.parameters())
    dtype, device = first_param.dtype, first_param.device
    shrinks = isinstance(model, BatchedMLP)  # other batched models (ASI's) keep every model to the end
    lr = torch.as_tensor(lr, dtype=dtype, device=device).expand(n_models).clone()
    if optimizer not in ("sgd", "adam"):
        raise ValueError(f"unknown optimizer {optimizer!r}; known: sgd, adam")
    rows = torch.arange(n_models, device=device)  # which of `model`'s models the working batch holds
    work = model
    params = list(work.parameters())
    active = torch.ones(n_models, dtype=torch.bool, device=device)
    steps_taken = torch.zeros(n_models, dtype=torch.long, device=device)
    last_loss = torch.zeros(n_models, dtype=dtype, device=device)
    losses = torch.empty(steps + 1, n_models, dtype=dtype, device=device)
    first = [torch.zeros_like(p) for p in params] if optimizer == "adam" else []
    second = [torch.zeros_like(p) for p in params] if optimizer == "adam" else []
    snapshot_steps = sorted(set(snapshot_steps))
    log = TrainLog(losses=np.empty(0), steps_taken=np.empty(0))

    def write_back():
        """Copy the working batch's weights into `model` (its stopped models' weights are already there)."""
        if work is not model:
            with torch.no_grad():
                for full, part in zip(model.parameters(), work.parameters(), strict=True):
                    full[rows] = part

    def snapshot(step):
        if evaluate is not None and step in snapshot_steps:
            write_back()
            with torch.no_grad():
                log.snapshots.append(evaluate(model))
            log.snapshot_steps.append(step)

    bar = progress_lines(total=steps, desc=progress, disable=progress is None, unit="step")
    step = 0
    for step in range(steps + 1):
        snapshot(step)
        value = per_model_loss(work(x), y, loss)
        last_loss[rows] = value.detach()
        losses[step] = last_loss
        if stop_loss is not None:
            active &= value.detach() >= stop_loss
        if step == steps:
            break
        training = int(active.sum()) if step % STOP_CHECK_EVERY == 0 else len(rows)  # a host sync every 50 steps
        if training == 0:
            break
        if shrinks and training < len(rows):
            write_back()  # the stopped models' final weights into `model`, then continue with the others
            keep = active.nonzero()[:, 0]
            work = BatchedMLP(model.activation, [w[keep].detach().clone() for w in work.weights],
                              [b[keep].detach().clone() for b in work.biases], work.scales.view(-1)[keep])  # fmt: skip
            params = list(work.parameters())
            first, second = [m[keep] for m in first], [v[keep] for v in second]
            rows, active, lr = rows[keep], active[keep], lr[keep]
            x = x[keep] if x.dim() == 3 else x
            y = y[keep]
            value = per_model_loss(work(x), y, loss)  # the same losses, now as a graph of the new parameters
        grads = torch.autograd.grad(value.sum(), params)
        steps_taken[rows] += active
        with torch.no_grad():
            if optimizer == "sgd":
                # one fused update over every parameter: p -= (lr * active) g, per model
                scale = lr * active.to(lr.dtype)
                steps_by_param = [scale.view(-1, *([1] * (p.dim() - 1))) for p in params]
                torch._foreach_sub_(params, torch._foreach_mul(grads, steps_by_param))
            else:
                # torch.optim.Adam's update (single-tensor form), per model: a stopped model's moments, step
                # count and weights stay as they were (its weights 0 and 1 below)
                beta1, beta2 = ADAM_BETAS
                on = active.to(lr.dtype)
                t = steps_taken[rows].clamp(min=1).to(lr.dtype)
                step_size = lr * on / (1 - beta1**t)
                correction2 = torch.sqrt(1 - beta2**t)
                keep2 = torch.where(active, beta2, 1.0).to(lr.dtype)
                for p, g, m, v in zip(params, grads, first, second, strict=True):
                    view = (-1, *([1] * (p.dim() - 1)))
                    m.lerp_(g, ((1 - beta1) * on).view(view))
                    v.mul_(keep2.view(view)).add_(g * g * ((1 - beta2) * on).view(view))
                    denominator = (v.sqrt() / correction2.view(view)).add_(ADAM_EPS)
                    p.sub_(m / denominator * step_size.view(view))
        bar.update(1, loss=lambda row=losses[step]: float(row.median()), active=lambda on=active: int(on.sum()))
    bar.close()
    write_back()
    # Models that stopped early stay as they were; fill the remaining loss rows with their last value.
    losses[step + 1 :] = losses[step]
    for later in snapshot_steps:
        if later > step:
            snapshot(later)
    log.losses = losses.cpu().numpy()
    log.steps_taken = steps_taken.cpu().numpy()
    return log


def train_one_by_one(
    mlps: list[MLP],
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    loss: str = "mse",
    optimizer: str = "sgd",
    lr: float = 1e-2,
    steps: int = 1000,
    stop_loss: float | None = None,
) -> list[int]:
    """Reference: train each MLP alone with torch.optim, same loss and stopping rule. Returns steps taken."""
    taken = []
    for i, mlp in enumerate(mlps):
        make = torch.optim.SGD if optimizer == "sgd" else torch.optim.Adam
        opt = make(mlp.parameters(), lr=lr)
        target = y[i : i + 1]
        count = 0
        for _ in range(steps):
            value = per_model_loss(mlp(x)[None], target, loss)[0]
            if stop_loss is not None and value.item() < stop_loss:
                break
            opt.zero_grad()
            value.backward()
            opt.step()
            count += 1
        taken.append(count)
    return taken
