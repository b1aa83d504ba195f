"""Deep classifiers: random init vs high-bandwidth init (Ramasinghe et al., Sec. 7, Table 1; App. A.2,
Table 3 and Fig 6), and the label-corruption sweep (SPEC, beyond the papers).

Inits (the `init` of a run):
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
    deep-table               results/table1_<dataset>/ (table3_imagenet for ImageNet): metrics.json, tables
    deep-fig6-metrics        results/fig6_input_gradients/metrics.json + bandwidth table
    deep-corruption-metrics  results/corruption_sweep/metrics.json + table
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from initgen import protocol
from initgen.checkpoint import load_checkpoint, restore, save_checkpoint
from initgen.data.registry import dataset_info, load_split
from initgen.errors import ConfigError, UserFacingError
from initgen.formatting import percent, percent_interval
from initgen.input_gradients import bandwidth, calibrate_batch_norm, input_gradients, per_image_bandwidth
from initgen.models.zoo import build_model, display_name
from initgen.quantities import kind_of
from initgen.results import load_npz, read_json, save_npz, summarize, write_json, write_text
from initgen.runtime import add_runtime_arguments, setup
from initgen.tables import write_table
from initgen.train.classifier import train_classifier

# Offsets that keep the seeded streams of one run apart (weights, label permutation, training, images).
LABEL_SEED_OFFSET = 1_000
TRAIN_SEED_OFFSET = 2_000
IMAGE_SUBSET_SEED = 3_000
INITS = ("random", "highbw")


# --------------------------------------------------------------------------------------------- naming
def corruption_fraction(init: str) -> float | None:
    """Fraction of labels shuffled for pre-training: None for `random`, 1 for `highbw`, p for `corrupt<p>`."""
    if init == "random":
        return None
    if init == "highbw":
        return 1.0
    if init.startswith("corrupt"):
        try:
            fraction = float(init[len("corrupt") :])
        except ValueError:
            fraction = -1.0
        if 0.0 <= fraction <= 1.0:
            return fraction
    raise ConfigError(f"unknown init {init!r}: use random, highbw or corrupt<p> with p in [0, 1]")


def init_name(fraction: float) -> str:
    """The init that pre-trains with `fraction` of the labels shuffled (1 -> highbw)."""
    return "highbw" if fraction == 1.0 else f"corrupt{fraction:g}"


def table_name(dataset: str) -> str:
    return "table3_imagenet" if dataset == "imagenet" else f"table1_{dataset}"


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
    return build_model(job["model"], info["num_classes"], info["channels"], info["image_size"])


def _data(job: dict, device: torch.device):
    info = dataset_info(job["dataset"], job.get("data_options"))
    train = load_split(job["dataset"], "train", job["data_root"], device)
    test = load_split(job["dataset"], "test", job["data_root"], device)
    return info, train, test


def _write_history(path, history: list[dict]) -> None:
    write_text(path, pd.DataFrame(history).to_csv(index=False))


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
            checkpoint_every=job.get("checkpoint_every", 1),
            use_compile=job.get("compile", False),
            run_config={"job": job, "phase": phase},
            progress=progress,
            description=f"{phase} {job['dataset']}/{job['model']}/{job['init']}/seed{job['seed']}",
        )
    summary = _summary(job, result, extra)
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
    info = dataset_info(job["dataset"], job.get("data_options"))
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
        calibration = train_images[pick[: job.get("calibration_images", 1024)]]
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
    arrays = {k: np.asarray(v) for k, v in arrays.items()}
    save_npz(out, **arrays)
    return arrays


# ------------------------------------------------------------------------------------------------ tables
def collect_runs(train_jsons: list[str], pretrain_jsons: list[str]) -> list[dict]:
    """One record per trained run, with its pre-training summary (pretrain_*) merged in."""
    pretrain = {}
    for path in pretrain_jsons:
        record = read_json(path)
        pretrain[(record["dataset"], record["model"], record["init"], record["seed"])] = record
    runs = []
    for path in train_jsons:
        record = read_json(path)
        before = pretrain.get((record["dataset"], record["model"], record["init"], record["seed"]), {})
        for key in ("epochs", "train_acc", "reached_target", "diverged", "labels_changed"):
            if key in before:
                record[f"pretrain_{key}"] = before[key]
        # the protocol: the run reached its target train accuracy, and so did its pre-training (high-B/W)
        status = protocol.target_status(record.get("diverged", False), record.get("reached_target", False))
        if before and status == "fitted":
            status = protocol.target_status(before.get("diverged", False), before.get("reached_target", False))
        record["status"] = status
        record["met_protocol"] = status in protocol.MET
        runs.append(record)
    return sorted(runs, key=lambda r: (r["model"], r["init"], r["seed"]))


def paired_differences(runs: list[dict], model: str, metric: str, init: str = "highbw", base: str = "random"):
    """metric(init) - metric(base) for each seed both have (the same seed starts both from the same
    weights)."""
    by_seed = {(r["init"], r["seed"]): r.get(metric) for r in runs if r["model"] == model}
    seeds = sorted({s for (i, s) in by_seed if i == init} & {s for (i, s) in by_seed if i == base})
    return [
        None
        if by_seed[(init, s)] is None or by_seed[(base, s)] is None
        else by_seed[(init, s)] - by_seed[(base, s)]
        for s in seeds
    ]


METRICS = ("train_acc", "test_acc", "test_top5", "epochs", "pretrain_epochs", "pretrain_train_acc")


def build_table(dataset: str, models: list[str], runs: list[dict], out_dir) -> dict:
    """metrics.json and the paper-layout table (train/test accuracy per model and init, and the paired
    test-accuracy difference high-B/W minus random with its 95% interval)."""
    out_dir = Path(out_dir)
    name = table_name(dataset)
    summary, rows = {}, []
    valid_runs = [r for r in runs if r["met_protocol"]]  # a run that failed its target is counted, not scored
    for model in models:
        for init in INITS:
            members = [r for r in runs if r["model"] == model and r["init"] == init]
            valid = [r for r in members if r["met_protocol"]]
            summary[f"{model}/{init}"] = {
                m: summarize([r.get(m) for r in valid], kind=kind_of(m))
                for m in METRICS
                if any(m in r for r in members)
            }
            summary[f"{model}/{init}"]["diverged"] = sum(r["status"] == "diverged" for r in members)
            summary[f"{model}/{init}"]["met_protocol"] = f"{len(valid)} of {len(members)}"
        diff = {m: summarize(paired_differences(valid_runs, model, m)) for m in ("train_acc", "test_acc")}
        summary[f"{model}/highbw-random"] = diff
        row = {"Model": display_name(model)}
        for init, label in (("random", "Random init"), ("highbw", "High B/W init")):
            stats = summary[f"{model}/{init}"]
            row[f"{label}: train acc (%)"] = percent(stats.get("train_acc"))
            row[f"{label}: test acc (%)"] = percent(stats.get("test_acc"))
            if "test_top5" in stats:
                row[f"{label}: test top-5 (%)"] = percent(stats["test_top5"])
            row[f"{label}: runs that reached the target"] = stats["met_protocol"]
        row["Test acc difference, high - random"] = (
            "n/a" if diff["test_acc"]["mean"] is None else f"{100 * diff['test_acc']['mean']:+.2f} pp"
        )
        row["95% interval (pp)"] = percent_interval(diff["test_acc"], signed=True)
        rows.append(row)
    metrics = {"artifact": name, "dataset": dataset, "runs": runs, "summary": summary,
               "protocol": protocol.counts(runs, ["model", "init"])}
    write_json(out_dir / "metrics.json", metrics)
    caption = (
        f"{dataset}: train and test accuracy (%) from random init and from high-bandwidth init "
        "(pre-trained on shuffled labels), mean ± std over seeds; the difference is paired by seed, "
        "with its 95% t-interval."
    )
    write_table(pd.DataFrame(rows), out_dir / name, caption)
    return metrics


# ---------------------------------------------------------------------------------------------- fig 6
def load_gradients(paths: list[str]) -> list[dict]:
    """Each input_gradients.npz with its (dataset, model, init) from its path results/deep/<d>/<m>/<i>/..."""
    out = []
    for path in paths:
        dataset, model, init = Path(path).parts[-4:-1]
        out.append({"dataset": dataset, "model": model, "init": init, "path": str(path)} | load_npz(path))
    return out


def fig6_metrics(gradient_files: list[str], out_dir) -> dict:
    """Bandwidth (mean |input gradient|) per dataset/model/init and seed, and the high-B/W / random ratio."""
    out_dir = Path(out_dir)
    entries = load_gradients(gradient_files)
    runs = [
        {
            "dataset": e["dataset"],
            "model": e["model"],
            "init": e["init"],
            "seed": int(s),
            "bandwidth": float(b),
        }
        for e in entries
        for s, b in zip(e["seeds"], e["bandwidth"], strict=True)
    ]
    summary, rows = {}, []
    pairs = sorted({(r["dataset"], r["model"]) for r in runs})
    for dataset, model in pairs:
        values = {}
        for init in INITS:
            members = {
                r["seed"]: r["bandwidth"]
                for r in runs
                if (r["dataset"], r["model"], r["init"]) == (dataset, model, init)
            }
            values[init] = members
            summary[f"{dataset}/{model}/{init}"] = {"bandwidth": summarize(list(members.values()), kind="positive")}
        seeds = sorted(set(values["random"]) & set(values["highbw"]))
        ratios = [values["highbw"][s] / values["random"][s] for s in seeds]
        log_ratio = summarize(np.log(ratios)) if ratios else summarize([])
        summary[f"{dataset}/{model}/highbw÷random"] = {"ratio": summarize(ratios, kind="positive"),
                                                       "log_ratio": log_ratio}
        rows.append(
            {
                "Dataset": dataset,
                "Model": display_name(model),
                "Random init: mean abs. gradient": _sci(summary[f"{dataset}/{model}/random"]["bandwidth"]),
                "High B/W init: mean abs. gradient": _sci(summary[f"{dataset}/{model}/highbw"]["bandwidth"]),
                "Ratio high/random": _sci(summarize(ratios, kind="positive")),
                "95% interval of ratio": "n/a"
                if log_ratio["ci_low"] is None
                else f"[{np.exp(log_ratio['ci_low']):.3g}, {np.exp(log_ratio['ci_high']):.3g}]",
            }
        )
    metrics = {
        "artifact": "fig6_input_gradients",
        "runs": runs,
        "summary": summary,
        "definition": "bandwidth = mean over images and pixels of |d mean_k f_k(x) / d x|, pixels in [0, 1]; "
        "at the start of true-label training (random init or after random-label pre-training)",
    }
    write_json(out_dir / "metrics.json", metrics)
    write_table(
        pd.DataFrame(rows),
        out_dir / "bandwidth",
        "Input-gradient bandwidth (mean absolute gradient of the averaged output w.r.t. pixels in [0, 1]) "
        "at the start of training, mean ± std over seeds; the ratio's interval is a t-interval of "
        "log ratios.",
    )
    return metrics


def _sci(stats: dict) -> str:
    if not stats or stats.get("mean") is None:
        return "n/a"
    return f"{stats['mean']:.3g}" + ("" if stats.get("std") is None else f" ± {stats['std']:.2g}")


# ------------------------------------------------------------------------------------- corruption sweep
def corruption_metrics(
    fractions: list[float], dataset: str, model: str, runs: list[dict], gradient_files, out_dir
) -> dict:
    """Test accuracy, generalization gap and bandwidth against the fraction of shuffled pre-train labels."""
    from scipy import stats as scipy_stats

    out_dir = Path(out_dir)
    bandwidths = {}
    for entry in load_gradients(gradient_files):
        for seed, value in zip(entry["seeds"], entry["bandwidth"], strict=True):
            bandwidths[(entry["init"], int(seed))] = float(value)
    records, summary, rows = [], {}, []
    for fraction in [None, *fractions]:
        init = "random" if fraction is None else init_name(fraction)
        members = [r for r in runs if r["init"] == init]
        for run in members:
            record = dict(run) | {"fraction": fraction, "bandwidth": bandwidths.get((init, run["seed"]))}
            if run.get("train_acc") is not None and run.get("test_acc") is not None:
                record["gap"] = run["train_acc"] - run["test_acc"]
            records.append(record)
        chosen = [r for r in records if r["init"] == init]
        summary[init] = {
            m: summarize([r.get(m) for r in chosen], kind=kind_of(m))
            for m in ("test_acc", "train_acc", "gap", "bandwidth", "pretrain_epochs")
        }
        rows.append(
            {
                "Pre-training": "none (random init)" if fraction is None else f"p = {fraction:g} shuffled",
                "Test acc (%)": percent(summary[init]["test_acc"]),
                "95% interval (%)": percent_interval(summary[init]["test_acc"]),
                "Gap train - test (pp)": percent(summary[init]["gap"]),
                "Bandwidth (mean abs. gradient)": _sci(summary[init]["bandwidth"]),
                "Pre-training epochs": _sci(summary[init]["pretrain_epochs"]),
            }
        )
    swept = [r for r in records if r["fraction"] is not None and r.get("test_acc") is not None]
    correlation = {}
    for metric in ("test_acc", "bandwidth"):
        pairs = [(r["fraction"], r[metric]) for r in swept if r.get(metric) is not None]
        if len(pairs) >= 3:
            rho, p_value = scipy_stats.spearmanr(*zip(*pairs, strict=True))
            correlation[metric] = {"spearman_rho": float(rho), "p_value": float(p_value), "n": len(pairs)}
    metrics = {
        "artifact": "corruption_sweep",
        "dataset": dataset,
        "model": model,
        "fractions": fractions,
        "runs": records,
        "summary": summary,
        "spearman_vs_fraction": correlation,
    }
    write_json(out_dir / "metrics.json", metrics)
    write_table(
        pd.DataFrame(rows),
        out_dir / "corruption_sweep",
        f"{dataset}, {display_name(model)}: pre-training with a fraction p of the train labels "
        "shuffled, then training on true labels; mean ± std over seeds; the test accuracy's 95% interval is the "
        "Student-t interval of the mean clipped to [0, 100]%.",
    )
    return metrics


# ------------------------------------------------------------------------------------------------ CLI
def _common(parser: argparse.ArgumentParser) -> None:
    add_runtime_arguments(parser)
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def _setup(args) -> torch.device:
    return setup(args.device, args.threads)


def _job(text: str) -> dict:
    try:
        job = json.loads(text)
    except json.JSONDecodeError as error:
        raise UserFacingError(f"--job is not valid JSON ({error})") from error
    missing = [k for k in ("dataset", "model", "init", "data_root") if k not in job]
    if missing:
        raise UserFacingError(f"--job lacks {', '.join(missing)}")
    return job


def cli_pretrain(argv: list[str]) -> int:
    """`initgen deep-pretrain --job JSON --checkpoint OUT.pt --json OUT.json --history OUT.csv`"""
    parser = argparse.ArgumentParser(
        prog="initgen deep-pretrain", description="Pre-train a classifier on shuffled labels (the high-bandwidth init)."
    )
    parser.add_argument(
        "--job", required=True, help="JSON {dataset, model, init, seed, settings, data_root, ...}"
    )
    parser.add_argument("--checkpoint", required=True, help="checkpoint to write (and resume from)")
    parser.add_argument("--json", required=True, help="summary JSON to write (epochs, accuracy)")
    parser.add_argument("--history", required=True, help="per-epoch CSV to write")
    _common(parser)
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
    parser.add_argument("--job", required=True, help="JSON {dataset, model, init, seed, settings, data_root, ...}")
    parser.add_argument(
        "--pretrained", default=None, help="the pre-trained checkpoint (inits other than random)"
    )
    parser.add_argument("--checkpoint", required=True, help="checkpoint to write (and resume from)")
    parser.add_argument("--json", required=True, help="summary JSON to write (accuracies, epochs)")
    parser.add_argument("--history", required=True, help="per-epoch CSV to write")
    _common(parser)
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
    run_input_gradients(_job(args.job), _setup(args), json.loads(args.seeds), args.pretrained, args.out)
    return 0


def cli_table(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="initgen deep-table",
                                     description="Accuracy table of one dataset (Table 1/3) and its metrics.json.")
    parser.add_argument("--dataset", required=True, help="dataset name, e.g. digits")
    parser.add_argument("--models", required=True, help="JSON list of models, in table order")
    parser.add_argument("--train", nargs="+", required=True, help="train.json of every run")
    parser.add_argument("--pretrain", nargs="*", default=[], help="pretrain.json of every pre-trained run")
    parser.add_argument("--out-dir", required=True, help="folder for metrics.json and the table")
    args = parser.parse_args(argv)
    build_table(args.dataset, json.loads(args.models), collect_runs(args.train, args.pretrain), args.out_dir)
    return 0


def cli_fig6_metrics(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="initgen deep-fig6-metrics",
                                     description="Bandwidth per init and model from the input gradients (Fig 6).")
    parser.add_argument("--gradients", nargs="+", required=True, help="input_gradients.npz files")
    parser.add_argument("--out-dir", required=True, help="folder for metrics.json and the table")
    args = parser.parse_args(argv)
    fig6_metrics(args.gradients, args.out_dir)
    return 0


def cli_corruption_metrics(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="initgen deep-corruption-metrics",
                                     description="Test accuracy and bandwidth against the fraction of shuffled labels.")
    parser.add_argument("--spec", required=True, help="JSON config block deep.corruption")
    parser.add_argument("--train", nargs="+", required=True, help="train.json of every run of the sweep")
    parser.add_argument("--pretrain", nargs="*", default=[], help="pretrain.json of every pre-trained run")
    parser.add_argument("--gradients", nargs="*", default=[], help="input_gradients.npz files (bandwidth)")
    parser.add_argument("--out-dir", required=True, help="folder for metrics.json and the table")
    args = parser.parse_args(argv)
    spec = json.loads(args.spec)
    corruption_metrics(
        spec["fractions"],
        spec["dataset"],
        spec["model"],
        collect_runs(args.train, args.pretrain),
        args.gradients,
        args.out_dir,
    )
    return 0
