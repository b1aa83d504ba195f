"""Training an image classifier: SGD with momentum, a per-epoch learning-rate schedule, no data augmentation,
until the training accuracy reaches a target or a maximum number of epochs.

    result = train_classifier(model, (train_images, train_labels), (test_images, test_labels),
                              stats, settings, seed=0, device="cpu",
                              checkpoint_path="checkpoints/.../train_last.pt")

`settings` (config `deep.train` / `deep.pretrain`): lr, momentum, nesterov, weight_decay, batch_size,
max_epochs, target_train_acc, schedule {kind: constant | step | exponential | cosine, milestones, gamma,
warmup_epochs}. The stopping accuracy is the running accuracy of the epoch's own training batches (train mode,
as the loss is computed); the final train accuracy is measured again in eval mode over the whole split.

Reproducible and resumable: batch order depends only on (seed, epoch) and the RNG state is checkpointed,
so a run killed at any point and rerun from its last checkpoint ends with exactly the weights of an
uninterrupted run (on the CPU with deterministic algorithms). On CUDA it uses device-resident data,
channels_last, bf16 autocast and optionally torch.compile. A run whose loss becomes NaN/inf stops and is
reported as diverged (no exception).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F

from initgen.core.checkpoint import load_checkpoint, remove_stale_temporaries, restore, save_checkpoint
from initgen.core.config import with_defaults
from initgen.core.errors import ConfigError
from initgen.core.progress import progress as progress_lines
from initgen.data.loader import InMemoryBatches
from initgen.training.sgd import SGD

TOP5_MIN_CLASSES = 100  # top-5 accuracy is reported for datasets with at least this many classes


def settings_with_defaults(settings: dict) -> dict:
    """`settings` (config deep.train / deep.pretrain) with the schema's defaults for what it leaves out
    (workflow/schemas/config.schema.yaml, $defs.classifier_training: the one place they live)."""
    for key in ("lr", "max_epochs"):
        if key not in settings:
            raise ConfigError(f"training settings need {key!r} (config keys deep.train / deep.pretrain)")
    return with_defaults("classifier_training", settings)


def learning_rate(settings: dict, epoch: int) -> float:
    """The learning rate of `epoch` (0-based): a pure function of the epoch, so it resumes exactly. `settings` is
    complete: the schedule's warm-up and per-kind gamma and milestones come from the schema (settings_with_defaults,
    or config validation)."""
    base, schedule = settings["lr"], settings["schedule"]
    warmup = schedule["warmup_epochs"]
    if epoch < warmup:
        return base * (epoch + 1) / (warmup + 1)
    kind = schedule["kind"]
    if kind == "constant":
        return base
    if kind == "step":  # multiply by gamma at each milestone epoch
        return base * schedule["gamma"] ** sum(epoch >= m for m in schedule["milestones"])
    if kind == "exponential":  # Zhang et al. (2016): lr * gamma^epoch
        return base * schedule["gamma"] ** (epoch - warmup)
    if kind == "cosine":  # from lr down to 0 at max_epochs
        span = max(settings["max_epochs"] - warmup, 1)
        return base * 0.5 * (1 + math.cos(math.pi * (epoch - warmup) / span))
    raise ConfigError(f"unknown schedule kind {kind!r} (config key deep.*.schedule.kind)")


def accelerate(model: torch.nn.Module, device: torch.device, use_compile: bool) -> torch.nn.Module:
    """Move the model to `device`; on CUDA also channels_last and optionally torch.compile."""
    model = model.to(device)
    if device.type == "cuda":
        model = model.to(memory_format=torch.channels_last)
        torch.backends.cudnn.benchmark = not torch.are_deterministic_algorithms_enabled()
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        if use_compile:
            model = torch.compile(model)
    return model


def autocast(device: torch.device):
    """bf16 autocast on CUDA (no loss scaling needed), full fp32 elsewhere."""
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")


@torch.no_grad()
def evaluate(model: torch.nn.Module, batches: InMemoryBatches, device: torch.device) -> dict:
    """Mean cross-entropy, accuracy and top-5 accuracy of `model` (eval mode) over all batches."""
    was_training = model.training
    model.eval()
    loss = torch.zeros((), device=device, dtype=torch.float64)
    correct = torch.zeros((), device=device, dtype=torch.int64)
    correct5 = torch.zeros((), device=device, dtype=torch.int64)
    n = 0
    for x, y in batches:
        with autocast(device):
            logits = model(x)
        logits = logits.float()
        loss += F.cross_entropy(logits, y, reduction="sum").double()
        correct += (logits.argmax(1) == y).sum()
        k = min(5, logits.shape[1])
        correct5 += (logits.topk(k, dim=1).indices == y[:, None]).any(1).sum()
        n += y.shape[0]
    model.train(was_training)
    return {"loss": float(loss) / n, "acc": int(correct) / n, "top5": int(correct5) / n}


def train_classifier(
    model: torch.nn.Module,
    train: tuple[torch.Tensor, torch.Tensor],
    test: tuple[torch.Tensor, torch.Tensor] | None,
    stats: dict,
    settings: dict,
    seed: int,
    device: str | torch.device = "cpu",
    checkpoint_path: str | Path | None = None,
    checkpoint_every: int = 1,
    use_compile: bool = False,
    run_config: dict | None = None,
    progress: bool = True,
    description: str = "train",
    on_step: Callable[[int, int], None] | None = None,
) -> dict:
    """Train `model` in place on `train` = (uint8 images [N,C,H,W], int64 labels [N]); return the result dict.

    stats: {"mean", "std"} per channel for pixels in [0, 1]; `run_config` identifies the run: a checkpoint at
    `checkpoint_path` is resumed only if it was written with the same run_config (otherwise it is ignored and
    overwritten). Result: {"history": per-epoch rows, "epochs", "diverged", "reached_target", "train_acc",
    "train_loss", "test_acc", "test_loss", "test_top5" (100+ classes), "resumed_from_epoch": the epochs taken
    from the checkpoint (0 when it started from scratch)}.
    """
    device = torch.device(device)
    settings = settings_with_defaults(settings)
    # "optimizer" names the state format: a checkpoint of torch.optim.SGD (before initgen's SGD) starts over
    run_config = {"settings": settings, "seed": seed, "optimizer": "initgen.sgd"} | dict(run_config or {})
    num_classes = None
    memory_format = torch.channels_last if device.type == "cuda" else torch.contiguous_format
    images, labels = train[0].to(device), train[1].to(device)
    batches = InMemoryBatches(
        images,
        labels,
        settings["batch_size"],
        shuffle=True,
        seed=seed,
        mean=stats["mean"],
        std=stats["std"],
        memory_format=memory_format,
    )
    eval_batch = settings["eval_batch_size"]

    def evaluation_batches(x, y):
        return InMemoryBatches(x, y, eval_batch, shuffle=False, seed=seed, mean=stats["mean"], std=stats["std"],
                               memory_format=memory_format)  # fmt: skip

    train_eval = evaluation_batches(images, labels)
    test_eval = None if test is None else evaluation_batches(test[0].to(device), test[1].to(device))

    model = accelerate(model, device, use_compile)
    optimizer = SGD(
        model.parameters(),
        lr=settings["lr"],
        momentum=settings["momentum"],
        nesterov=settings["nesterov"],
        weight_decay=settings["weight_decay"],
    )
    history: list[dict] = []
    start_epoch, status = 0, "running"
    if checkpoint_path is not None:
        checkpoint_path = Path(checkpoint_path)
        remove_stale_temporaries(checkpoint_path)
        if checkpoint_path.exists():
            state = load_checkpoint(checkpoint_path)
            if state["config"] == run_config:
                restore(state, model, optimizer)
                start_epoch, history = state["epoch"], list(state["extra"]["history"])
                status = state["extra"]["status"]
                print(
                    f"{description}: resumed from {checkpoint_path} after epoch {start_epoch}",
                    file=sys.stderr,
                )
            else:
                print(
                    f"{description}: {checkpoint_path} was written with other settings; starting over",
                    file=sys.stderr,
                )

    def checkpoint(epoch_done: int) -> None:
        if checkpoint_path is not None:
            save_checkpoint(
                checkpoint_path,
                model,
                optimizer,
                {"lr": learning_rate(settings, epoch_done)},
                epoch_done,
                run_config,
                {"history": history, "status": status},
            )

    epochs = range(start_epoch, settings["max_epochs"]) if status == "running" else range(0)
    bar = progress_lines(total=settings["max_epochs"], initial=start_epoch, desc=description, unit="epoch",
                         disable=not progress or not epochs)
    model.train()
    for epoch in epochs:
        lr = learning_rate(settings, epoch)
        for group in optimizer.param_groups:
            group["lr"] = lr
        batches.set_epoch(epoch)
        # Sums stay on the device: one synchronization per epoch, not per step.
        loss_sum = torch.zeros((), device=device, dtype=torch.float64)
        correct = torch.zeros((), device=device, dtype=torch.int64)
        for step, (x, y) in enumerate(batches):
            with autocast(device):
                logits = model(x)
                loss = F.cross_entropy(logits.float(), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss_sum += loss.detach().double() * y.shape[0]
            correct += (logits.detach().argmax(1) == y).sum()
            if on_step is not None:
                on_step(epoch, step)
        num_classes = num_classes or logits.shape[1]
        n = images.shape[0]
        row = {"epoch": epoch + 1, "lr": lr, "train_loss": float(loss_sum) / n, "train_acc": int(correct) / n}
        if not math.isfinite(row["train_loss"]):
            status = "diverged"
        elif test_eval is not None:
            metrics = evaluate(model, test_eval, device)
            row |= {"test_loss": metrics["loss"], "test_acc": metrics["acc"]}
            if num_classes >= TOP5_MIN_CLASSES:
                row["test_top5"] = metrics["top5"]
        history.append(row)
        bar.update(
            1,
            loss=f"{row['train_loss']:.3f}",
            acc=f"{row['train_acc']:.3f}",
            test=f"{row.get('test_acc', float('nan')):.3f}",
        )
        if status == "running" and row["train_acc"] >= settings["target_train_acc"]:
            status = "done"
        if status != "running" or (epoch + 1) % checkpoint_every == 0 or epoch + 1 == settings["max_epochs"]:
            checkpoint(epoch + 1)
        if status != "running":
            break
    bar.close()
    result = _result(model, history, status, settings, train_eval, test_eval, device)
    return result | {"resumed_from_epoch": start_epoch}


def _result(model, history, status, settings, train_eval, test_eval, device) -> dict:
    diverged = status == "diverged"
    result = {
        "history": history,
        "epochs": len(history),
        "diverged": diverged,
        "reached_target": bool(history)
        and not diverged
        and history[-1]["train_acc"] >= settings["target_train_acc"],
    }
    nan = float("nan")
    if diverged:
        return result | {"train_acc": nan, "train_loss": nan, "test_acc": nan, "test_loss": nan}
    final = evaluate(model, train_eval, device)
    result |= {"train_acc": final["acc"], "train_loss": final["loss"]}
    if test_eval is not None:
        test = evaluate(model, test_eval, device)
        result |= {"test_acc": test["acc"], "test_loss": test["loss"]}
        if any("test_top5" in row for row in history):
            result["test_top5"] = test["top5"]
    return result
