"""What a config will cost before it runs (`initgen plan`): jobs per rule, and GPU-hours of the classifier jobs.

Jobs per rule come from Snakemake's own dry run (`snakemake -n ... > plan.txt`, its "Job stats" table), so they are
the real DAG's. The GPU-hours are an upper bound for the jobs that dominate a paper run, one row per dataset and
model:

- pre-training + training: (pre-training epochs cap + training epochs cap x inits) x training images x seeds;
- corruption sweep: (pre-training + training epochs caps) x training images x seeds for each fraction but 1
  (the high-B/W init itself);
- Hessian (Table 4): Hessian-vector products at most (Lanczos steps + trace probes + density probes x steps) x
  the Hessian's images x inits x seeds.

Each row's images per second is *measured* where `benchmarks/throughput.json` has a record for the model, input
size and named device (written by `benchmarks/train_throughput.py --record`, with its date), else an *estimate*:
the named GPU's dense peak (src/initgen/pipeline/gpus.py; bf16 for training, which runs under bf16 autocast on
CUDA, fp32 for the float32 Hessians) at a stated utilisation (gpus.UTILISATION, `--utilisation`), over the FLOPs
per image: the model's forward FLOPs at its input shape (counted by torch.utils.flop_counter,
src/initgen/models/flops.py) x 3 for a training step (forward + backward), x 6 for a Hessian-vector product (two
gradients). Runs stop earlier when they reach their target train accuracy or tolerance, hence "at most". Not
counted: the 1-D, related-paper and input-gradient jobs.

    snakemake -n --configfile config/paper.yaml all > plan.txt
    initgen plan --config config/config.yaml config/paper.yaml --dry-run plan.txt --device "NVIDIA H100 80GB HBM3"
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd

from initgen.analysis.curvature.settings import resolve_settings
from initgen.core.config import drop_nulled, load_config
from initgen.core.errors import UserFacingError
from initgen.data.registry import dataset_info, is_built_in, load_split, prepared_dir
from initgen.models.flops import forward_flops
from initgen.pipeline import gpus
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


def dataset_size_and_shape(dataset: str, data: dict) -> tuple[int, tuple[int, int, int]]:
    """Training images and (classes, channels, image size) of a dataset; one of yours (config extensions) is read
    from its prepared files, which must exist: its size is whatever your function returns."""
    if is_built_in(dataset):
        info = dataset_info(dataset, data.get(dataset))
        n = train_images(dataset, data)
    else:
        root = data.get("root", "data")
        if not (prepared_dir(dataset, root) / "train.pt").is_file():
            raise PlanError(f"dataset {dataset!r} is yours (config extensions.datasets): prepare it first, "
                            f"`snakemake {prepared_dir(dataset, root)}/train.pt`, so its size and shape are known")
        info = dataset_info(dataset, data.get(dataset), data_root=root)
        n = int(load_split(dataset, "train", root)[1].shape[0])
    return n, (int(info["num_classes"]), int(info["channels"]), int(info["image_size"]))


def your_models(config: dict) -> dict:
    """Config extensions.models: name -> path/to/file.py:function of each model of yours."""
    return (config.get("extensions") or {}).get("models") or {}


def measured(records: list[dict], device: str, model: str, size: int) -> dict | None:
    """The newest throughput record for (device, model, input size), or None."""
    found = [r for r in records if r["device"] == device and r["model"] == model and int(r["image_size"]) == size]
    return max(found, key=lambda r: r["date"]) if found else None


TRAIN_STEP_FORWARDS = 3  # a training step: forward + backward (two matmuls per forward one)
HVP_FORWARDS = 6  # a Hessian-vector product by double backward: about two gradients (Pearlmutter 1994)


def estimated_rate(flops_per_image: float, peak_tflops: float | None, utilisation: float) -> float | None:
    """Images per second at `utilisation` of a peak of `peak_tflops` TFLOP/s; None without a peak."""
    return None if peak_tflops is None else peak_tflops * 1e12 * utilisation / flops_per_image


def _rate(row: dict, record: dict | None, flops_per_image: float, peak_tflops: float | None,
          utilisation: float) -> dict:
    """The row with its images per second (measured, else estimated), its source and its hours."""
    if record is not None:
        rate, source = float(record["images_per_s"]), f"measured {record['date']}"
    else:
        rate, source = estimated_rate(flops_per_image, peak_tflops, utilisation), "estimate"
    hours = None if rate is None else row["images (at most)"] / rate / 3600
    return row | {"GFLOP/image": flops_per_image / 1e9, "img/s": rate, "source": source,
                  "GPU-hours (at most)": hours}


def training_cost(config: dict, records: list[dict], device: str,
                  utilisation: float = gpus.UTILISATION) -> list[dict]:
    """One row per (dataset, model) of the pre-training and training jobs: images they process at most, the
    throughput (measured on `device`, else estimated from FLOPs and its peak), and the hours."""
    deep = config.get("deep") or {}
    seeds = deep.get("seeds") or config["seeds"]
    inits = 2  # random and high-B/W are both trained; only high-B/W is pre-trained
    gpu = gpus.peak(device)
    peak_tflops = None if gpu is None else gpu["bf16"] or gpu["fp32"]  # bf16 autocast; fp32 where no bf16 cores
    yours = your_models(config)
    rows = []
    for dataset, models in (deep.get("datasets") or {}).items():
        n, (classes, channels, size) = dataset_size_and_shape(dataset, config["data"])
        epochs = deep["pretrain"]["max_epochs"] + inits * deep["train"]["max_epochs"]
        images = epochs * n * len(seeds)
        for model in models:
            row = {"dataset": dataset, "model": model, "job": "pre-training + training", "input": f"{size}x{size}",
                   "runs": len(seeds), "work (at most)": f"{epochs} epochs", "images (at most)": images}
            flops = TRAIN_STEP_FORWARDS * forward_flops(model, classes, channels, size, yours.get(model))
            rows.append(_rate(row, measured(records, device, model, size), flops, peak_tflops, utilisation))
    sweep = deep.get("corruption")
    if sweep:  # p = 1 is the high-B/W init above; every other fraction pre-trains and trains once more per seed
        dataset, model = sweep["dataset"], sweep["model"]
        n, (classes, channels, size) = dataset_size_and_shape(dataset, config["data"])
        runs = sum(float(p) != 1.0 for p in sweep["fractions"]) * len(seeds)
        epochs = deep["pretrain"]["max_epochs"] + deep["train"]["max_epochs"]
        row = {"dataset": dataset, "model": model, "job": "corruption sweep", "input": f"{size}x{size}",
               "runs": runs, "work (at most)": f"{epochs} epochs", "images (at most)": epochs * n * runs}
        flops = TRAIN_STEP_FORWARDS * forward_flops(model, classes, channels, size, yours.get(model))
        rows.append(_rate(row, measured(records, device, model, size), flops, peak_tflops, utilisation))
    return rows


def hessian_products(settings: dict) -> int:
    """Hessian-vector products of one Hessian job at most: its Lanczos steps, trace probes and SLQ steps."""
    resolved = resolve_settings(settings)
    return (resolved["max_lanczos_steps"] + resolved["trace_max_probes"]
            + resolved["density_probes"] * resolved["density_steps"])


def hessian_cost(config: dict, device: str, utilisation: float = gpus.UTILISATION) -> list[dict]:
    """One row per (dataset, model) of Table 4's Hessian jobs (config deep_hessian), always estimated."""
    block = config.get("deep_hessian") or {}
    deep = config.get("deep") or {}
    seeds = deep.get("seeds") or config["seeds"]
    settings = (config.get("hessian") or {}) | (block.get("hessian") or {})
    gpu = gpus.peak(device)
    # float32 Hessians on the CUDA cores (no TF32 asked for); float64: no peak in the table, no estimate
    peak_tflops = None if gpu is None or resolve_settings(settings)["float64"] else gpu["fp32"]
    products = hessian_products(settings)
    yours = your_models(config)
    rows = []
    for dataset, models in (block.get("datasets") or {}).items():
        n, (classes, channels, size) = dataset_size_and_shape(dataset, config["data"])
        samples = min(n, int(block.get("samples") or n))
        runs = 2 * len(seeds)  # random and high-B/W, every seed
        for model in models:
            row = {"dataset": dataset, "model": model, "job": "Hessian", "input": f"{size}x{size}", "runs": runs,
                   "work (at most)": f"{products} HVPs x {samples:,} images",
                   "images (at most)": products * samples * runs}
            flops = HVP_FORWARDS * forward_flops(model, classes, channels, size, yours.get(model))
            rows.append(_rate(row, None, flops, peak_tflops, utilisation))
    return rows


def markdown_table(columns: list[str], rows: list[list]) -> str:
    return pd.DataFrame(rows, columns=columns).to_markdown(index=False)


def _hours(rows: list[dict]) -> str:
    """Sum of the rows' hours, and how many of them are estimates or have no number."""
    known = [r["GPU-hours (at most)"] for r in rows if r["GPU-hours (at most)"] is not None]
    estimated = sum(r["source"] == "estimate" and r["GPU-hours (at most)"] is not None for r in rows)
    missing = len(rows) - len(known)
    text = f"{sum(known):,.2f} GPU-hours ({len(known) - estimated} measured, {estimated} estimated rows"
    return text + (f"; {missing} rows without a number)" if missing else ")")


def render(jobs: dict[str, int] | None, rows: list[dict], device: str,
           utilisation: float = gpus.UTILISATION) -> str:
    parts = []
    if jobs is not None:
        parts.append(f"Jobs per rule ({sum(jobs.values())} in all):\n\n"
                     + markdown_table(["rule", "jobs"], [[rule, count] for rule, count in jobs.items()]))
    table = [[r["dataset"], r["model"], r["job"], r["input"], r["runs"], r["work (at most)"],
              f"{r['images (at most)']:,}", f"{r['GFLOP/image']:.2f}",
              "n/a" if r["img/s"] is None else f"{r['img/s']:,.0f}", r["source"],
              "n/a" if r["GPU-hours (at most)"] is None else f"{r['GPU-hours (at most)']:,.2f}"] for r in rows]
    gpu = gpus.peak(device)
    if gpu is None:
        basis = (f"no peak known for {device!r} (known: {', '.join(gpus.known())}): estimates n/a; measure with "
                 "benchmarks/train_throughput.py --model M --image-size S --record benchmarks/throughput.json")
    else:
        basis = (f"estimates: {gpu['label']} dense peak {gpu['bf16'] or gpu['fp32']:g} TFLOP/s "
                 f"({'bf16' if gpu['bf16'] else 'fp32'}) for training, {gpu['fp32']:g} TFLOP/s (fp32) for "
                 f"Hessians, at {utilisation:.0%} utilisation; measured: benchmarks/throughput.json")
    totals = [f"- {dataset}: {_hours([r for r in rows if r['dataset'] == dataset])}"
              for dataset in dict.fromkeys(r["dataset"] for r in rows)]
    totals.append(f"- total: {_hours(rows)}")
    parts.append(f"Classifier jobs on {device!r} (upper bound: epoch and step caps; runs stop at their target "
                 f"accuracy or tolerance; {basis}):\n\n"
                 + markdown_table(["dataset", "model", "job", "input", "runs", "work (at most)", "images (at most)",
                                   "GFLOP/image", "img/s", "source", "GPU-hours"], table)
                 + "\n\nGPU-hours at most, per dataset and for the config:\n\n" + "\n".join(totals))
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
    parser.add_argument("--utilisation", type=float, default=gpus.UTILISATION,
                        help=f"fraction of the GPU's peak the estimates assume (default {gpus.UTILISATION:g})")
    args = parser.parse_args(argv)
    config = drop_nulled(load_config(*args.config))  # blocks set to null build nothing
    path = Path(args.throughput)
    records = json.loads(path.read_text()) if path.exists() else []
    jobs = job_stats(Path(args.dry_run).read_text()) if args.dry_run else None
    rows = (training_cost(config, records, args.device, args.utilisation)
            + hessian_cost(config, args.device, args.utilisation))
    print(render(jobs, rows, args.device, args.utilisation), end="")
    return 0
