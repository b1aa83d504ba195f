"""App. A.4 of the main paper (Table 4, Fig 9): the Hessian of trained classifiers, random vs high-B/W init.

For each trained run of the deep rules (checkpoints/<dataset>/<model>/<init>/seed<k>/final.pt): the Hessian of
the cross-entropy training loss (model in eval mode: batch norm on running statistics, dropout off) on a seeded
subset of the train split, by curvature.hessian_metrics: trace, top eigenvalue, expected eigenvalue and the
eigenvalue density. Train and test accuracy come from the run's train.json.

Steps, each one CLI command (workflow/rules/curvature.smk):
    deep-hessian        one run                        -> results/table4_deep_hessian/runs/<d>/<m>/<i>/seed<k>.json
    deep-hessian-table  all runs -> results/table4_deep_hessian/: metrics.json, table (CSV, Markdown, LaTeX)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
import torch.nn.functional as F

from initgen.analysis.curvature.hessian import hessian_metrics, make_batches, resolve_settings, run_record
from initgen.analysis.summaries import summarize_runs
from initgen.core.arguments import json_arg
from initgen.core.checkpoint import load_checkpoint, restore
from initgen.core.errors import UserFacingError
from initgen.core.files import read_json, write_json
from initgen.core.runtime import add_runtime_arguments, setup
from initgen.data.loader import InMemoryBatches
from initgen.data.registry import dataset_info, load_split
from initgen.experiments.classifier_train import initial_model, user_model
from initgen.models.zoo import display_name
from initgen.pipeline.artifacts import INITS
from initgen.reporting.formatting import mean_pm_std, percent

ARTIFACT = "table4_deep_hessian"
SUBSET_SEED = 4_000  # the train subset is the same for every model, init and seed of a dataset
RUN_METRICS = [
    "trace", "trace_stderr", "top_eigenvalue", "expected_eigenvalue", "train_loss_subset",
    "train_accuracy", "test_accuracy",
]  # fmt: skip


def train_subset(images: torch.Tensor, labels: torch.Tensor, samples: int | None):
    """A seeded subset of `samples` training images (all of them when samples is None or larger)."""
    if samples is None or samples >= len(labels):
        return images, labels
    generator = torch.Generator().manual_seed(SUBSET_SEED)
    index = torch.randperm(len(labels), generator=generator)[:samples].sort().values
    return images[index.to(images.device)], labels[index.to(labels.device)]


def run_hessian(job: dict, checkpoint: str, train_json: str, settings: dict, device: torch.device) -> dict:
    """One trained run's curvature record. job: {dataset, model, init, seed, data_root, data_options, samples}."""
    summary = read_json(train_json)
    record = {k: job[k] for k in ("dataset", "model", "init", "seed")} | user_model(job) | {
        "train_accuracy": summary.get("train_acc"),
        "test_accuracy": summary.get("test_acc"),
        "diverged": bool(summary.get("diverged", False)),
    }
    if record["diverged"]:  # nothing to measure; recorded as such, the DAG goes on
        return record | dict.fromkeys(("trace", "trace_stderr", "top_eigenvalue", "expected_eigenvalue"))
    info = dataset_info(job["dataset"], job.get("data_options"), job["data_root"])
    model = initial_model(job, info)
    state = load_checkpoint(checkpoint)
    restore(state, model, restore_rng=False)
    images, labels = load_split(job["dataset"], "train", job["data_root"], device)
    images, labels = train_subset(images, labels, job.get("samples"))
    # normalized exactly as in training, in order (no shuffle)
    loader = InMemoryBatches(images, labels, len(labels), shuffle=False, seed=0, mean=info["mean"], std=info["std"])
    inputs, targets = next(iter(loader))
    curvature = hessian_metrics(
        model.to(device), F.cross_entropy, make_batches(inputs, targets, settings["batch_size"]), settings, device
    )
    return (
        record
        | {
            "samples": curvature["n_samples"],
            "train_loss_subset": curvature["loss"],
            "hessian_vector_products": curvature["hessian_vector_products"],
        }
        | run_record(curvature)
    )


def build_table(runs: list[dict], out_dir) -> dict:
    """metrics.json (runs without densities, summary per dataset/model/init) and Table 4."""
    import pandas as pd  # the table job's alone: pandas costs ~0.3 s in each per-seed Hessian job

    from initgen.reporting.tables import write_table

    out_dir = Path(out_dir)
    runs = sorted(runs, key=lambda r: (r["dataset"], r["model"], INITS.index(r["init"]), r["seed"]))
    flat_runs = [{k: v for k, v in r.items() if k != "density"} for r in runs]
    summary = summarize_runs(flat_runs, ["dataset", "model", "init"], RUN_METRICS)
    rows = []
    for run_group, stats in summary.items():
        dataset, model, init = (part.split("=", 1)[1] for part in run_group.split("/"))
        rows.append(
            {
                "Dataset": dataset,
                "Model": f"{display_name(model)} ({'high' if init == 'highbw' else 'low'} B/W)",
                "trace": mean_pm_std(stats.get("trace")),
                "top_eigenvalue": mean_pm_std(stats.get("top_eigenvalue")),
                "expected_eigenvalue": mean_pm_std(stats.get("expected_eigenvalue")),
                "Train acc (%)": percent(stats.get("train_accuracy")),
                "Test acc (%)": percent(stats.get("test_accuracy")),
            }
        )
    metrics = {
        "artifact": ARTIFACT,
        "runs": flat_runs,
        "summary": summary,
        "definitions": {
            "init": "random = the architecture's random init (low B/W); highbw = pre-trained on shuffled labels",
            "trace, top_eigenvalue, expected_eigenvalue": "of the Hessian of the cross-entropy on a seeded train "
            "subset (`samples`), model in eval mode, at the final weights of true-label training",
        },
    }
    write_json(out_dir / "metrics.json", metrics)
    write_table(
        pd.DataFrame(rows),
        out_dir / ARTIFACT,
        "A.4: Hessian of the training loss of trained classifiers, low B/W (random init) vs high B/W "
        "(pre-trained on shuffled labels), mean ± std over seeds.",
    )
    return metrics


def cli_hessian(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="initgen deep-hessian", description="Hessian of one trained classifier.")
    parser.add_argument("--job", required=True, help="JSON: {dataset, model, init, seed, data_root, samples, ...}")
    parser.add_argument("--checkpoint", required=True, help="checkpoints/<d>/<m>/<i>/seed<k>/final.pt")
    parser.add_argument("--train-json", required=True, help="results/deep/<d>/<m>/<i>/seed<k>/train.json")
    parser.add_argument("--hessian", required=True, help="JSON: the `hessian:` settings")
    add_runtime_arguments(parser)
    parser.add_argument("--out", required=True, help="per-run JSON to write")
    args = parser.parse_args(argv)
    device = setup(args.device, args.threads)
    if not Path(args.checkpoint).exists():
        raise UserFacingError(f"checkpoint {args.checkpoint} not found: build it with `snakemake {args.checkpoint}`")
    settings = resolve_settings(json_arg(args.hessian, "hessian"))
    record = run_hessian(json_arg(args.job, "job"), args.checkpoint, args.train_json, settings, device)
    write_json(args.out, record)
    return 0


def cli_table(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="initgen deep-hessian-table", description="Table 4 and its metrics.")
    parser.add_argument("--runs", nargs="+", required=True, help="per-run JSON files of deep-hessian")
    parser.add_argument("--out-dir", required=True, help="folder for metrics.json and Table 4")
    args = parser.parse_args(argv)
    build_table([read_json(path) for path in args.runs], args.out_dir)
    return 0
