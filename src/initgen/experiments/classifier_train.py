"""Deep classifiers, training steps: pre-training (the high-bandwidth and corrupt<p> inits), training on true
labels, and the input gradients of the initial networks (Ramasinghe et al., Sec. 7, Table 1; App. A.2, Table 3 and
Fig 6; the label-corruption sweep). The analysis of what these write is in experiments/classifier_analyze.py.

Inits (the `init` of a run; names in initgen.pipeline.artifacts):
- `random`: the architecture's standard random initialization (seeded by the run's seed), trained on the
  true labels;
- `highbw`: the same random start, first pre-trained on ONE fixed, seeded permutation of the train labels
  until its train accuracy reaches the pre-training target, checkpointed, then trained on the true labels
  exactly as `random` is;
- `corrupt<p>` (label-corruption sweep): as `highbw`, but only a fraction p of the labels is shuffled (a
  seeded subset, permuted among itself); p = 1 is `highbw`.

Steps, each one CLI command (one Snakemake job per dataset/model/init/seed, so a cluster runs them at once):
    deep-pretrain            checkpoints/<dataset>/<model>/<init>/seed<k>/pretrained.pt + results/deep/...
    deep-train               checkpoints/<dataset>/<model>/<init>/seed<k>/final.pt + results/deep/...
    deep-input-gradients     results/deep/<dataset>/<model>/<init>/input_gradients.npz (all seeds)
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

from initgen.analysis.input_gradients import bandwidth, calibrate_batch_norm, input_gradients, per_image_bandwidth
from initgen.core.arguments import json_arg
from initgen.core.checkpoint import load_checkpoint, restore, save_checkpoint
from initgen.core.errors import ConfigError, UserFacingError
from initgen.core.files import rows_csv, save_npz, write_json, write_text
from initgen.core.runtime import add_runtime_arguments, setup
from initgen.data.registry import dataset_info, load_split
from initgen.models.zoo import build_model, parameter_count
from initgen.pipeline.artifacts import corruption_fraction
from initgen.training.classifier import train_classifier

# Offsets that keep the seeded streams of one run apart (weights, label permutation, training, images).
LABEL_SEED_OFFSET = 1_000
TRAIN_SEED_OFFSET = 2_000
IMAGE_SUBSET_SEED = 3_000


# ------------------------------------------------------------------------------------- building blocks
def corrupt_labels(labels: torch.Tensor, fraction: float, seed: int) -> torch.Tensor:
    """Shuffle a seeded subset of round(fraction * N) labels among itself with one fixed seeded permutation.

    fraction = 1 permutes all labels (random labels with the true class frequencies). The result depends
    only on (labels, fraction, seed), so every epoch and every rerun sees the same corrupted labels.
    """
    generator = torch.Generator().manual_seed(LABEL_SEED_OFFSET + seed)
    n = labels.shape[0]
    chosen = torch.randperm(n, generator=generator)[: round(fraction * n)]
    permutation = torch.randperm(chosen.shape[0], generator=generator)
    out = labels.clone()
    out[chosen.to(labels.device)] = labels[chosen[permutation].to(labels.device)]
    return out


def initial_model(job: dict, info: dict) -> torch.nn.Module:
    """The seeded random initialization a run starts from (built on the CPU: same weights on every device)."""
    torch.manual_seed(job["seed"])
    return build_model(job["model"], info["num_classes"], info["channels"], info["image_size"],
                       job.get("user_models"))


def user_model(job: dict) -> dict:
    """{"user_model": name} for a model of yours (config extensions.models), so the claims registry shows its
    runs as yours (kind: user), never as the paper's; {} for a built-in model."""
    return {"user_model": job["model"]} if job["model"] in (job.get("user_models") or {}) else {}


def _data(job: dict, device: torch.device):
    info = dataset_info(job["dataset"], job.get("data_options"), job["data_root"])
    train = load_split(job["dataset"], "train", job["data_root"], device)
    test = load_split(job["dataset"], "test", job["data_root"], device)
    return info, train, test


def _write_history(path, history: list[dict]) -> None:
    write_text(path, rows_csv(history))


def _summary(job: dict, result: dict, extra: dict | None = None) -> dict:
    keys = (
        "epochs",
        "diverged",
        "reached_target",
        "train_acc",
        "train_loss",
        "test_acc",
        "test_loss",
        "test_top5",
    )
    return (
        {k: job[k] for k in ("dataset", "model", "init", "seed")}
        | user_model(job)
        | {k: result[k] for k in keys if k in result}
        | dict(extra or {})
    )


# ------------------------------------------------------------------------------------------ pre-training
def run_pretrain(
    job: dict, device: torch.device, out_checkpoint, out_json, out_history, progress=True
) -> dict:
    """Pre-train on corrupted labels until the pre-training target; write the pre-trained checkpoint."""
    fraction = corruption_fraction(job["init"])
    if fraction is None:
        raise ConfigError("init 'random' has no pre-training step")
    info, (images, labels), test = _data(job, device)
    corrupted = corrupt_labels(labels, fraction, job["seed"])
    model = initial_model(job, info)
    changed = float((corrupted != labels).float().mean())
    return _fit_and_save(
        "pretrain", job, model, (images, corrupted), test, info, device, out_checkpoint, out_json, out_history,
        progress, extra={"fraction": fraction, "labels_changed": changed},
    )  # fmt: skip


# --------------------------------------------------------------------------------------------- training
def run_train(
    job: dict, device: torch.device, out_checkpoint, out_json, out_history, pretrained=None, progress=True
) -> dict:
    """Train on the true labels from the run's start (random init or the pre-trained checkpoint)."""
    info, train, test = _data(job, device)
    model = initial_model(job, info)
    extra = {}
    if job["init"] != "random":
        if pretrained is None:
            raise UserFacingError(f"init {job['init']!r} needs its pre-trained checkpoint (--pretrained)")
        state = load_checkpoint(pretrained)
        restore(state, model, restore_rng=False)
        extra = {"pretrain_diverged": bool(state["extra"].get("diverged", False))}
    return _fit_and_save(
        "train", job, model, train, test, info, device, out_checkpoint, out_json, out_history, progress, extra,
        skip=extra.get("pretrain_diverged", False),
    )  # fmt: skip


def _fit_and_save(phase, job, model, train, test, info, device, out_checkpoint, out_json, out_history, progress,
                  extra, skip=False) -> dict:  # fmt: skip
    """Train one phase ("pretrain" or "train") and write its checkpoint, history and summary.

    The resume file <phase>_last.pt next to the checkpoint is removed once the phase's outputs are complete.
    `skip`: nothing to train from (its pre-training diverged): recorded as diverged, the DAG goes on.
    """
    torch.manual_seed(TRAIN_SEED_OFFSET + job["seed"])
    out_checkpoint = Path(out_checkpoint)
    last = out_checkpoint.with_name(f"{phase}_last.pt")
    if skip:
        result = {
            "history": [],
            "epochs": 0,
            "diverged": True,
            "reached_target": False,
            "train_acc": float("nan"),
            "test_acc": float("nan"),
        }
    else:
        result = train_classifier(
            model,
            train,
            test,
            info,
            job["settings"],
            seed=job["seed"],
            device=device,
            checkpoint_path=last,
            checkpoint_every=job["checkpoint_every"],  # defaults: workflow/schemas/config.schema.yaml
            use_compile=job["compile"],
            run_config={"job": job, "phase": phase},
            progress=progress,
            description=f"{phase} {job['dataset']}/{job['model']}/{job['init']}/seed{job['seed']}",
        )
    summary = _summary(job, result, (extra or {}) | {"parameters": parameter_count(model)})
    save_checkpoint(
        out_checkpoint,
        model,
        epoch=result["epochs"],
        config=job,
        extra={"phase": phase, "diverged": result["diverged"]},
    )
    _write_history(out_history, result["history"])
    write_json(out_json, summary)
    last.unlink(missing_ok=True)
    return summary



# ---------------------------------------------------------------------------------------- input gradients
def run_input_gradients(
    job: dict, device: torch.device, seeds: list[int], pretrained: list[str], out
) -> dict:
    """Input gradients at the start of true-label training (random init or pre-trained weights), per seed.

    job: {dataset, model, init, data_root, data_options, images, batch_size, sample_values}. Saves per
    seed the bandwidth (mean |gradient|), each image's bandwidth, and a seeded sample of gradient values
    for histograms.
    """
    info = dataset_info(job["dataset"], job.get("data_options"), job["data_root"])
    images, _ = load_split(job["dataset"], "test", job["data_root"], "cpu")
    generator = torch.Generator().manual_seed(IMAGE_SUBSET_SEED)
    subset = torch.randperm(images.shape[0], generator=generator)[: job["images"]]
    images = images[subset]
    if job["init"] != "random" and len(pretrained) != len(seeds):
        raise UserFacingError(
            f"init {job['init']!r}: need one pre-trained checkpoint per seed ({len(seeds)})"
        )
    arrays = {"seeds": np.asarray(seeds), "bandwidth": [], "per_image": [], "sample": []}
    calibration = None
    if job["init"] == "random":
        # random-init batch norm: running statistics from training images (train-mode forward, no update)
        train_images, _ = load_split(job["dataset"], "train", job["data_root"], "cpu")
        pick = torch.randperm(train_images.shape[0], generator=torch.Generator().manual_seed(IMAGE_SUBSET_SEED))
        calibration = train_images[pick[: job["calibration_images"]]]
    arrays["bn_calibrated"] = []
    for index, seed in enumerate(seeds):
        model = initial_model(job | {"seed": seed}, info)
        if job["init"] != "random":
            restore(load_checkpoint(pretrained[index]), model, restore_rng=False)
        calibrated = calibration is not None and calibrate_batch_norm(
            model.to(device), calibration, info["mean"], info["std"], job["batch_size"]
        )
        arrays["bn_calibrated"].append(calibrated)
        grads = input_gradients(model.to(device), images, info["mean"], info["std"], job["batch_size"])
        values = grads.flatten().numpy()
        pick = np.random.default_rng(IMAGE_SUBSET_SEED + seed).choice(
            values.size, min(values.size, job["sample_values"]), replace=False
        )
        arrays["bandwidth"].append(bandwidth(grads))
        arrays["per_image"].append(per_image_bandwidth(grads))
        arrays["sample"].append(values[np.sort(pick)])
    arrays = {k: np.asarray(v) for k, v in arrays.items()} | {k: np.asarray(v) for k, v in user_model(job).items()}
    save_npz(out, **arrays)
    return arrays


# ------------------------------------------------------------------------------------------------ CLI
def _common(parser: argparse.ArgumentParser) -> None:
    add_runtime_arguments(parser)
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _phase_arguments(parser: argparse.ArgumentParser) -> None:
    """What deep-pretrain and deep-train share: the job and one phase's three outputs (_fit_and_save writes them)."""
    parser.add_argument("--job", required=True, help="JSON {dataset, model, init, seed, settings, data_root, ...}")
    parser.add_argument("--checkpoint", required=True, help="checkpoint to write (and resume from)")
    parser.add_argument("--json", required=True, help="summary JSON to write (epochs, accuracies)")
    parser.add_argument("--history", required=True, help="per-epoch CSV to write")
    _common(parser)


def _setup(args) -> torch.device:
    return setup(args.device, args.threads)


def _job(text: str) -> dict:
    job = json_arg(text, "job")
    missing = [k for k in ("dataset", "model", "init", "data_root") if k not in job]
    if missing:
        raise UserFacingError(f"--job lacks {', '.join(missing)}")
    return job


def cli_pretrain(argv: list[str]) -> int:
    """`initgen deep-pretrain --job JSON --checkpoint OUT.pt --json OUT.json --history OUT.csv`"""
    parser = argparse.ArgumentParser(
        prog="initgen deep-pretrain", description="Pre-train a classifier on shuffled labels (the high-bandwidth init)."
    )
    _phase_arguments(parser)
    args = parser.parse_args(argv)
    summary = run_pretrain(
        _job(args.job), _setup(args), args.checkpoint, args.json, args.history, progress=not args.no_progress
    )
    print(json.dumps(summary))
    return 0


def cli_train(argv: list[str]) -> int:
    """`initgen deep-train --job JSON [--pretrained PRE.pt] --checkpoint OUT.pt --json OUT.json --history
    OUT.csv`"""
    parser = argparse.ArgumentParser(
        prog="initgen deep-train", description="Train a classifier on true labels."
    )
    _phase_arguments(parser)
    parser.add_argument(
        "--pretrained", default=None, help="the pre-trained checkpoint (inits other than random)"
    )
    args = parser.parse_args(argv)
    summary = run_train(
        _job(args.job),
        _setup(args),
        args.checkpoint,
        args.json,
        args.history,
        args.pretrained,
        progress=not args.no_progress,
    )
    print(json.dumps(summary))
    return 0


def cli_input_gradients(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="initgen deep-input-gradients",
                                     description="Input gradients of initial networks: the bandwidth measure of Fig 6.")
    parser.add_argument("--job", required=True, help="JSON {dataset, model, init, data_root, images, ...}")
    parser.add_argument("--seeds", required=True, help="JSON list of seeds")
    parser.add_argument("--pretrained", nargs="*", default=[], help="one pre-trained checkpoint per seed")
    parser.add_argument("--out", required=True, help="input_gradients.npz to write")
    _common(parser)
    args = parser.parse_args(argv)
    run_input_gradients(_job(args.job), _setup(args), json_arg(args.seeds, "seeds"), args.pretrained, args.out)
    return 0
