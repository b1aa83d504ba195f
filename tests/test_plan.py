"""`initgen plan`: jobs per rule from a dry run; GPU-hours from measured throughput, else an estimate from counted
FLOPs and the GPU's peak, labelled as such, with totals per dataset and for the config."""

from __future__ import annotations

import json

import pytest

from initgen.models.flops import forward_flops
from initgen.pipeline import gpus
from initgen.pipeline.plan import PlanError, hessian_cost, job_stats, render, training_cost

DRY_RUN = """Building DAG of jobs...
Job stats:
job                 count
----------------  -------
deep_pretrain          10
deep_train             20
report                  1
total                  31

Reasons:
"""


def test_jobs_per_rule_come_from_the_dry_runs_job_stats():
    assert job_stats(DRY_RUN) == {"deep_pretrain": 10, "deep_train": 20, "report": 1}
    with pytest.raises(PlanError, match="Job stats"):
        job_stats("Nothing to be done.")


CONFIG = {"seeds": [0], "data": {"imagenet": {"image_size": 224, "max_train_per_class": 100}},
          "deep": {"seeds": [0, 1], "datasets": {"cifar10": ["resnet18", "vgg16"], "imagenet": ["resnet18"]},
                   "pretrain": {"max_epochs": 10}, "train": {"max_epochs": 20}}}


def test_gpu_hours_from_the_measured_throughput_else_an_estimate_from_flops_and_the_peak():
    records = [{"device": "NVIDIA H100 80GB HBM3", "model": "resnet18", "image_size": 32, "images_per_s": 25_000.0,
                "date": "2026-11-01"},
               {"device": "NVIDIA H100 80GB HBM3", "model": "resnet18", "image_size": 32, "images_per_s": 20_000.0,
                "date": "2026-10-01"},  # older: not used
               {"device": "GPU-Y", "model": "vgg16", "image_size": 32, "images_per_s": 9_000.0, "date": "2026-11-01"}]
    rows = {(r["dataset"], r["model"]): r for r in training_cost(CONFIG, records, "NVIDIA H100 80GB HBM3", 0.2)}
    resnet = rows[("cifar10", "resnet18")]
    assert resnet["work (at most)"] == "50 epochs" and resnet["images (at most)"] == 50 * 50_000 * 2
    assert resnet["source"] == "measured 2026-11-01"
    assert resnet["GPU-hours (at most)"] == pytest.approx(50 * 50_000 * 2 / 25_000 / 3600)
    # vgg16 was measured on another device only: estimated, 3 forward passes per trained image at 20% of the
    # H100 SXM's dense bf16 peak
    vgg = rows[("cifar10", "vgg16")]
    flops = 3 * forward_flops("vgg16", 10, 3, 32)
    assert vgg["source"] == "estimate" and vgg["GFLOP/image"] == pytest.approx(flops / 1e9)
    assert vgg["img/s"] == pytest.approx(989.4e12 * 0.2 / flops)
    assert vgg["GPU-hours (at most)"] == pytest.approx(50 * 50_000 * 2 / vgg["img/s"] / 3600)
    assert rows[("imagenet", "resnet18")]["images (at most)"] == 50 * 100_000 * 2  # 100 per class x 1000
    assert rows[("imagenet", "resnet18")]["input"] == "224x224"
    text = render(job_stats(DRY_RUN), list(rows.values()), "NVIDIA H100 80GB HBM3", 0.2)
    assert "31 in all" in text
    sources = [line.split("|")[10].strip() for line in text.splitlines() if line.startswith("| cifar10")]
    assert sources == ["measured 2026-11-01", "estimate"]
    cifar = resnet["GPU-hours (at most)"] + vgg["GPU-hours (at most)"]
    assert f"- cifar10: {cifar:,.2f} GPU-hours (1 measured, 1 estimated rows)" in text
    total = cifar + rows[("imagenet", "resnet18")]["GPU-hours (at most)"]
    assert f"- total: {total:,.2f} GPU-hours (1 measured, 2 estimated rows)" in text and "at 20% utilisation" in text


def test_an_unknown_gpu_gets_no_estimate_and_says_so():
    rows = training_cost(CONFIG, [], "Some Future GPU")
    assert all(r["img/s"] is None and r["GPU-hours (at most)"] is None for r in rows)
    text = render(None, rows, "Some Future GPU")
    assert "no peak known for 'Some Future GPU'" in text and "3 rows without a number" in text


def test_flops_per_image_are_counted_at_the_input_shape():
    # ResNet-18 with the CIFAR stem: 0.56 G multiply-adds; on 64x64 inputs 4x the spatial work
    assert forward_flops("resnet18", 10, 3, 32) == pytest.approx(1.11e9, rel=0.01)
    assert forward_flops("resnet18", 200, 3, 64) == pytest.approx(4 * forward_flops("resnet18", 10, 3, 32), rel=0.01)
    assert forward_flops("mlp", 10, 1, 8) == pytest.approx(2 * (64 * 256 + 256 * 256 * 2 + 256 * 10), rel=0.01)


def test_peaks_by_device_name_and_hessian_rows_from_the_product_count():
    assert gpus.peak("NVIDIA H100 80GB HBM3")["label"] == "H100 SXM"
    assert gpus.peak("NVIDIA H100 PCIe")["bf16"] == 756.0
    assert gpus.peak("NVIDIA A100-SXM4-80GB")["bf16"] == 312.0 and gpus.peak("NVIDIA A10")["label"] == "A10"
    assert gpus.peak("NVIDIA L40S")["label"] == "L40S" and gpus.peak("NVIDIA L4")["label"] == "L4"
    assert gpus.peak("Tesla V100-SXM2-32GB")["bf16"] is None
    config = CONFIG | {"hessian": {"max_lanczos_steps": 10, "trace_max_probes": 20, "density_probes": 2,
                                   "density_steps": 5, "float64": False},
                       "deep_hessian": {"datasets": {"cifar10": ["resnet18"]}, "samples": 1000}}
    (row,) = hessian_cost(config, "NVIDIA A100-SXM4-80GB", 0.1)
    assert row["runs"] == 4 and row["images (at most)"] == (10 + 20 + 2 * 5) * 1000 * 4
    assert row["img/s"] == pytest.approx(19.5e12 * 0.1 / (6 * forward_flops("resnet18", 10, 3, 32)))
    config["hessian"]["float64"] = True  # no float64 peak in the table: no estimate
    assert hessian_cost(config, "NVIDIA A100-SXM4-80GB")[0]["GPU-hours (at most)"] is None


def test_the_throughput_benchmark_records_replace_older_ones_of_the_same_key(tmp_path):
    import sys

    sys.path.insert(0, "benchmarks")
    from train_throughput import record

    path = tmp_path / "throughput.json"
    base = {"device": "GPU-X", "model": "resnet18", "image_size": 32, "images_per_s": 1.0, "date": "2026-01-01"}
    record(path, base)
    record(path, base | {"model": "vgg16"})
    record(path, base | {"images_per_s": 2.0, "date": "2026-02-01"})
    saved = json.loads(path.read_text())
    assert sorted((r["model"], r["images_per_s"]) for r in saved) == [("resnet18", 2.0), ("vgg16", 1.0)]


def test_one_job_table_parser_sums_every_table_and_is_the_only_one():
    from pathlib import Path

    from initgen.pipeline.job_table import job_counts

    assert job_counts(DRY_RUN) == {"deep_pretrain": 10, "deep_train": 20, "report": 1}
    two_runs = DRY_RUN + DRY_RUN.replace("report                  1", "headline                2")
    assert job_counts(two_runs) == job_counts(DRY_RUN)  # a dry run repeats its table: the first counts
    assert job_counts(two_runs, every_table=True) == {  # two Snakemake runs in one output (dvc exp run)
        "deep_pretrain": 20, "deep_train": 40, "report": 1, "headline": 2}
    assert job_counts("Nothing to be done (all requested files are present and up to date).") == {}
    root = Path(__file__).resolve().parents[1]
    signs = ('["job", "count"]', 'split("Job stats:"')  # how the four earlier parsers found the table
    parsers = [p.relative_to(root).as_posix() for p in [*root.glob("tests/*.py"), *root.glob("src/initgen/**/*.py")]
               if p.name != "test_plan.py" and any(sign in p.read_text() for sign in signs)]
    assert parsers == ["src/initgen/pipeline/job_table.py"]
