"""`initgen plan`: jobs per rule from a dry run, GPU-hours from measured throughput, and nothing guessed."""

from __future__ import annotations

import json

import pytest

from initgen.pipeline.plan import PlanError, job_stats, render, training_cost

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


def test_gpu_hours_from_the_measured_throughput_and_none_without_a_measurement():
    config = {"seeds": [0], "data": {"imagenet": {"image_size": 224, "max_train_per_class": 100}},
              "deep": {"seeds": [0, 1], "datasets": {"cifar10": ["resnet18", "vgg16"], "imagenet": ["resnet18"]},
                       "pretrain": {"max_epochs": 10}, "train": {"max_epochs": 20}}}
    records = [{"device": "GPU-X", "model": "resnet18", "image_size": 32, "images_per_s": 25_000.0,
                "date": "2026-11-01"},
               {"device": "GPU-X", "model": "resnet18", "image_size": 32, "images_per_s": 20_000.0,
                "date": "2026-10-01"},  # older: not used
               {"device": "GPU-Y", "model": "vgg16", "image_size": 32, "images_per_s": 9_000.0, "date": "2026-11-01"}]
    rows = {(r["dataset"], r["model"]): r for r in training_cost(config, records, "GPU-X")}
    resnet = rows[("cifar10", "resnet18")]
    assert resnet["epochs (cap)"] == 10 + 2 * 20 and resnet["images (at most)"] == 50 * 50_000 * 2
    assert resnet["GPU-hours (at most)"] == pytest.approx(50 * 50_000 * 2 / 25_000 / 3600)
    assert rows[("cifar10", "vgg16")]["GPU-hours (at most)"] is None  # measured on another device only
    assert rows[("imagenet", "resnet18")]["images (at most)"] == 50 * 100_000 * 2  # 100 per class x 1000
    assert rows[("imagenet", "resnet18")]["input"] == "224x224"
    text = render(job_stats(DRY_RUN), list(rows.values()), "GPU-X")
    assert "31 in all" in text and "no measurement" in text and "2 rows have no measurement on 'GPU-X'" in text


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
