"""Deep classifiers, analysis steps: Table 1/3 (accuracy per model and init), the Fig 6 bandwidth metrics and
the label-corruption sweep, from what the training steps (experiments/classifier_train.py) wrote. No torch.

Steps, each one CLI command:
    deep-table               results/table1_<dataset>/ (table3_imagenet for ImageNet): metrics.json, tables
    deep-fig6-metrics        results/fig6_input_gradients/metrics.json + bandwidth table
    deep-corruption-metrics  results/corruption_sweep/metrics.json + table
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from initgen.analysis import protocol
from initgen.analysis.summaries import summarize
from initgen.core.arguments import json_arg
from initgen.core.files import load_npz, read_json, write_json
from initgen.models.zoo import display_name
from initgen.pipeline.artifacts import INITS, init_name, table_name
from initgen.reporting.formatting import bounds, percent, percent_interval
from initgen.reporting.formatting import mean_pm_std_short as short
from initgen.reporting.quantities import kind_of
from initgen.reporting.tables import write_table


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
        | ({"user_model": str(e["user_model"])} if "user_model" in e else {})  # a model of yours: claims
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
                "Random init: mean abs. gradient": short(summary[f"{dataset}/{model}/random"]["bandwidth"]),
                "High B/W init: mean abs. gradient": short(summary[f"{dataset}/{model}/highbw"]["bandwidth"]),
                "Ratio high/random": short(summarize(ratios, kind="positive")),
                "95% interval of ratio": "n/a"
                if log_ratio["ci_low"] is None
                else bounds(np.exp(log_ratio["ci_low"]), np.exp(log_ratio["ci_high"])),
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
                "Bandwidth (mean abs. gradient)": short(summary[init]["bandwidth"]),
                "Pre-training epochs": short(summary[init]["pretrain_epochs"]),
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
def cli_table(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="initgen deep-table",
                                     description="Accuracy table of one dataset (Table 1/3) and its metrics.json.")
    parser.add_argument("--dataset", required=True, help="dataset name, e.g. digits")
    parser.add_argument("--models", required=True, help="JSON list of models, in table order")
    parser.add_argument("--train", nargs="+", required=True, help="train.json of every run")
    parser.add_argument("--pretrain", nargs="*", default=[], help="pretrain.json of every pre-trained run")
    parser.add_argument("--out-dir", required=True, help="folder for metrics.json and the table")
    args = parser.parse_args(argv)
    build_table(args.dataset, json_arg(args.models, "models"), collect_runs(args.train, args.pretrain), args.out_dir)
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
    parser.add_argument("--job", required=True, help="JSON: the config block deep.corruption")
    parser.add_argument("--train", nargs="+", required=True, help="train.json of every run of the sweep")
    parser.add_argument("--pretrain", nargs="*", default=[], help="pretrain.json of every pre-trained run")
    parser.add_argument("--gradients", nargs="*", default=[], help="input_gradients.npz files (bandwidth)")
    parser.add_argument("--out-dir", required=True, help="folder for metrics.json and the table")
    args = parser.parse_args(argv)
    spec = json_arg(args.job, "job")
    corruption_metrics(
        spec["fractions"],
        spec["dataset"],
        spec["model"],
        collect_runs(args.train, args.pretrain),
        args.gradients,
        args.out_dir,
    )
    return 0
