"""What a config will cost before it runs (`initgen plan`): jobs per rule, and GPU-hours of the classifier training.

Jobs per rule come from Snakemake's own dry run (`snakemake -n ... > plan.txt`, its "Job stats" table), so they are
the real DAG's. The GPU-hours are an upper bound for the pre-training and training jobs, which dominate a paper
run: for each dataset and model, (pre-training epochs cap + training epochs cap x inits) x training images x seeds,
divided by the model's measured training throughput at that input size on the named device
(`benchmarks/throughput.json`, written by `benchmarks/train_throughput.py --record`, each record with its device,
date and torch version). Runs stop earlier when they reach their target train accuracy, hence "at most". Where no
measurement exists for a model, input size and device, the row says so: nothing is guessed.

    snakemake -n --configfile config/paper.yaml all > plan.txt
    initgen plan --config config/config.yaml config/paper.yaml --dry-run plan.txt --device "NVIDIA H100 80GB HBM3"
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from initgen.core.config import load_config
from initgen.core.errors import UserFacingError
from initgen.data.registry import dataset_info
from initgen.pipeline.job_table import job_counts

# Training images per split (the official datasets); ImageNet is capped by data.imagenet.max_train_per_class.
TRAIN_IMAGES = {"digits": 1437, "cifar10": 50_000, "cifar100": 50_000, "tinyimagenet": 100_000, "imagenet": 1_281_167}
IMAGENET_CLASSES = 1000


class PlanError(UserFacingError):
    pass


def job_stats(dry_run: str) -> dict[str, int]:
    """Jobs per rule from a Snakemake dry run's "Job stats" table."""
    counts = job_counts(dry_run)
    if not counts:
        raise PlanError("no 'Job stats' table in the dry run: pass the output of `snakemake -n ...`")
    return counts


def train_images(dataset: str, data: dict) -> int:
    if dataset == "imagenet" and (data.get("imagenet") or {}).get("max_train_per_class"):
        return min(TRAIN_IMAGES["imagenet"], IMAGENET_CLASSES * int(data["imagenet"]["max_train_per_class"]))
    if dataset not in TRAIN_IMAGES:
        raise PlanError(f"no training-set size known for dataset {dataset!r} (known: {sorted(TRAIN_IMAGES)})")
    return TRAIN_IMAGES[dataset]


def image_size(dataset: str, data: dict) -> int:
    """The input size the runs use: the dataset registry's (ImageNet's from data.imagenet.image_size)."""
    return int(dataset_info(dataset, data.get(dataset))["image_size"])


def measured(records: list[dict], device: str, model: str, size: int) -> dict | None:
    """The newest throughput record for (device, model, input size), or None."""
    found = [r for r in records if r["device"] == device and r["model"] == model and int(r["image_size"]) == size]
    return max(found, key=lambda r: r["date"]) if found else None


def training_cost(config: dict, records: list[dict], device: str) -> list[dict]:
    """One row per (dataset, model): images the pre-training and training jobs process at most, and the hours."""
    deep = config.get("deep") or {}
    seeds = deep.get("seeds") or config["seeds"]
    inits = 2  # random and high-B/W are both trained; only high-B/W is pre-trained
    rows = []
    for dataset, models in (deep.get("datasets") or {}).items():
        n, size = train_images(dataset, config["data"]), image_size(dataset, config["data"])
        epochs = deep["pretrain"]["max_epochs"] + inits * deep["train"]["max_epochs"]
        images = epochs * n * len(seeds)
        for model in models:
            record = measured(records, device, model, size)
            hours = None if record is None else images / float(record["images_per_s"]) / 3600
            rows.append({"dataset": dataset, "model": model, "input": f"{size}x{size}", "seeds": len(seeds),
                         "epochs (cap)": epochs, "images (at most)": images,
                         "img/s": None if record is None else float(record["images_per_s"]),
                         "measured": None if record is None else record["date"], "GPU-hours (at most)": hours})
    return rows


def markdown_table(columns: list[str], rows: list[list]) -> str:
    return pd.DataFrame(rows, columns=columns).to_markdown(index=False)


def render(jobs: dict[str, int] | None, rows: list[dict], device: str) -> str:
    parts = []
    if jobs is not None:
        parts.append(f"Jobs per rule ({sum(jobs.values())} in all):\n\n"
                     + markdown_table(["rule", "jobs"], [[rule, count] for rule, count in jobs.items()]))
    table = []
    for row in rows:
        cells = [row["dataset"], row["model"], row["input"], row["seeds"], row["epochs (cap)"],
                 f"{row['images (at most)']:,}"]
        if row["img/s"] is None:
            cells += ["no measurement", "", "n/a"]
        else:
            cells += [f"{row['img/s']:,.0f}", row["measured"], f"{row['GPU-hours (at most)']:,.1f}"]
        table.append(cells)
    known = [r["GPU-hours (at most)"] for r in rows if r["GPU-hours (at most)"] is not None]
    missing = sum(r["GPU-hours (at most)"] is None for r in rows)
    advice = "run benchmarks/train_throughput.py --model M --image-size S --record benchmarks/throughput.json there"
    if not known:
        total = f"No GPU-hours: none of the {len(rows)} rows has a measurement on {device!r} ({advice})."
    else:
        total = (f"Total: at most {sum(known):,.1f} GPU-hours for the {len(known)} measured rows"
                 + (f"; {missing} rows have no measurement on {device!r} ({advice})" if missing else "") + ".")
    parts.append(f"Pre-training and training on {device!r} (upper bound: epoch caps; runs stop at their target "
                 "accuracy):\n\n" + markdown_table(["dataset", "model", "input", "seeds", "epochs (cap)",
                                                     "images (at most)", "img/s", "measured", "GPU-hours"], table)
                 + "\n\n" + total)
    return "\n\n".join(parts) + "\n"


def cli_plan(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="initgen plan", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", nargs="+", default=["config/config.yaml", "config/paper.yaml"],
                        help="config files, later override (default: the paper config)")
    parser.add_argument("--dry-run", help="output of `snakemake -n ...` for the same config: jobs per rule")
    parser.add_argument("--throughput", default="benchmarks/throughput.json",
                        help="measured training throughput per device, model and input size")
    parser.add_argument("--device", required=True, help="the GPU's name as torch.cuda.get_device_name() gives it")
    args = parser.parse_args(argv)
    config = load_config(*args.config)
    path = Path(args.throughput)
    records = json.loads(path.read_text()) if path.exists() else []
    jobs = job_stats(Path(args.dry_run).read_text()) if args.dry_run else None
    print(render(jobs, training_cost(config, records, args.device), args.device), end="")
    return 0
