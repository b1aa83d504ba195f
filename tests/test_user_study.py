"""A classifier model and a dataset of yours (config `extensions`; README, "Your own study"), end to end: the dataset
is prepared by its own function, the model is trained, pre-trained and analysed beside a built-in one through
Table 1, Fig 6 and the report, claims 4 and 6 judge it as a `kind: user` row, and editing your file reruns exactly
the jobs that run it. The files: tests/configs/user_study/ (models.py, data.py, config.yaml)."""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path

import pytest
import torch
from conftest import CONFIGS, copy_workflow, load_test_config, planned_jobs, run_snakemake

from initgen.core.errors import ConfigError
from initgen.core.extensions import check_names
from initgen.data import registry
from initgen.models import zoo
from initgen.pipeline import artifacts

CASE = CONFIGS / "user_study"
TINY_NET_PARAMETERS = 8 * 8 * 16 + 16 + 16 * 2 + 2  # models.py: Linear(64, 16), Linear(16, 2)
MLP_PARAMETERS = 64 * 256 + 256 + 2 * (256 * 256 + 256) + 256 * 2 + 2  # the built-in mlp on 1x8x8, 2 classes


def with_user_files(workdir: Path) -> Path:
    """Your files where config.yaml names them (my_study/, relative to the workflow's root)."""
    (workdir / "my_study").mkdir()
    for name in ("models.py", "data.py"):
        shutil.copy2(CASE / name, workdir / "my_study" / name)
    return workdir


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    workdir = with_user_files(copy_workflow(tmp_path_factory.mktemp("user_study") / "wf"))
    run_snakemake(workdir, "report", overrides=load_test_config("user_study"))
    return workdir


def test_built_in_names_match_the_zoo_and_the_registry():
    assert set(artifacts.MODELS) == set(zoo.MODELS)
    assert set(artifacts.DATASETS) == set(registry.DATASETS)


@pytest.mark.parametrize("config, message", [
    ({"deep": {"datasets": {"digits": ["nope"]}}}, r"deep\.datasets\.digits\[0\]: unknown model 'nope'"),
    ({"deep": {"datasets": {"mine": ["mlp"]}}}, r"deep\.datasets\.mine: unknown dataset 'mine'"),
    ({"extensions": {"models": {"mlp": "m.py:f"}}}, r"extensions\.models\.mlp: 'mlp' is a built-in model"),
    ({"data": {"root": "data", "brigth": {}}}, r"data\.brigth: unknown dataset 'brigth'"),
    ({"deep": {"datasets": {}, "corruption": {"dataset": "digits", "model": "x", "fractions": [1]}}},
     r"deep\.corruption\.model: unknown model 'x'"),
])
def test_an_unknown_name_is_refused_naming_the_key(config, message):
    with pytest.raises(ConfigError, match=message):
        check_names(config)


@pytest.mark.slow
def test_your_dataset_is_prepared_by_your_function(study):
    train = torch.load(study / "data/prepared/bright/train.pt", weights_only=True)
    test = torch.load(study / "data/prepared/bright/test.pt", weights_only=True)
    assert tuple(train["images"].shape) == (96, 1, 8, 8) and tuple(test["images"].shape) == (48, 1, 8, 8)  # data.bright
    assert train["images"].dtype == torch.uint8 and train["labels"].dtype == torch.int64
    assert not (study / "data/raw").exists()  # no download step


@pytest.mark.slow
def test_your_model_is_trained_and_tabled_beside_the_built_in_one(study):
    metrics = json.loads((study / "results/table1_bright/metrics.json").read_text())
    runs = {(r["model"], r["init"]): r for r in metrics["runs"]}
    assert set(runs) == {(m, i) for m in ("tiny_net", "mlp") for i in ("random", "highbw")}
    for (model, _), run in runs.items():
        assert run["parameters"] == (TINY_NET_PARAMETERS if model == "tiny_net" else MLP_PARAMETERS)
        assert run.get("user_model") == (model if model == "tiny_net" else None)  # only yours is marked
        for key in ("train_acc", "test_acc"):
            assert math.isfinite(run[key]) and 0 <= run[key] <= 1, run
    assert "tiny_net/highbw-random" in metrics["summary"]
    assert "tiny_net" in (study / "results/table1_bright/table1_bright.md").read_text()
    gradients = json.loads((study / "results/fig6_input_gradients/metrics.json").read_text())
    yours = [r for r in gradients["runs"] if r["model"] == "tiny_net"]
    assert len(yours) == 2 and all(r["user_model"] == "tiny_net" and r["bandwidth"] > 0 for r in yours)
    assert not any("user_model" in r for r in gradients["runs"] if r["model"] == "mlp")


@pytest.mark.slow
def test_claims_4_and_6_judge_your_model_in_rows_of_its_own(study):
    verdicts = json.loads((study / "results/report/metrics.json").read_text())["claims"]
    by_id = {claim["id"]: claim for claim in verdicts}
    for claim_id, rows in (("4", 2), ("6", 1)):
        yours = [c for c in by_id[claim_id]["checks"] if c["kind"] == "user"]
        assert len(yours) == rows and all(c["user_model"] == "tiny_net" for c in yours), by_id[claim_id]["checks"]
        paper = [c for c in by_id[claim_id]["checks"] if c["kind"] != "user"]
        assert paper and not any("tiny_net" in c["check"] for c in paper)  # the paper's checks leave yours out
    detail = (study / "results/report/claims_detail.md").read_text()
    assert sum("your model tiny_net:" in line for line in detail.splitlines()) == 3


@pytest.mark.slow
def test_editing_your_files_reruns_exactly_their_jobs(study):
    config = load_test_config("user_study")  # (nothing else is planned: the counts below are the whole plan)
    downstream = {"deep_table_bright": 1, "deep_curves_bright": 1, "fig6_metrics": 1, "fig6_plot": 1,
                  "dose_response_metrics": 1, "report": 1}
    # your model: its 1 pre-training, 2 trainings and 2 input-gradient jobs, none of the built-in mlp's
    # your dataset: its preparation, then every job on it (both models)
    for name, expected in (("models.py", {"deep_pretrain": 1, "deep_train": 2, "deep_input_gradients": 2}),
                           ("data.py", {"data_prepare_user": 1, "deep_pretrain": 2, "deep_train": 4,
                                        "deep_input_gradients": 4})):
        path = study / "my_study" / name
        original, stat = path.read_text(), path.stat()
        path.write_text(original + "\n# edited\n")
        try:
            jobs = planned_jobs(study, "report", overrides=config)
        finally:
            path.write_text(original)
            os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        assert jobs == expected | downstream, name


def test_an_undefined_model_stops_the_workflow_before_any_job(workflow_copy):
    with_user_files(workflow_copy)
    result = run_snakemake(workflow_copy, "table1_bright", overrides=load_test_config("user_study_bad"), check=False)
    assert result.returncode != 0
    assert "config key deep.datasets.bright[0]: unknown model 'tiny_nett'" in result.stdout + result.stderr
    assert not any((workflow_copy / d).exists() for d in ("results", "logs", "data", "checkpoints"))


def test_plan_estimates_your_model_on_your_dataset_once_it_is_prepared(study, tmp_path, monkeypatch):
    """`initgen plan` counts your model's FLOPs through its own function and reads your dataset's size and shape
    from its prepared files; before they exist it says how to prepare them."""
    from initgen.core.config import drop_nulled, load_config
    from initgen.models.flops import forward_flops
    from initgen.pipeline.plan import PlanError, training_cost

    monkeypatch.chdir(study)  # references are relative to the workflow's root
    config = drop_nulled(load_config("config/config.yaml", CASE / "config.yaml"))  # as `initgen plan` reads it
    rows = {r["model"]: r for r in training_cost(config, [], "NVIDIA H100 80GB HBM3", 0.1)}
    tiny = rows["tiny_net"]
    assert tiny["input"] == "8x8" and tiny["images (at most)"] == (3 + 2 * 3) * 96  # epochs caps x 96 train images
    assert tiny["GFLOP/image"] == pytest.approx(3 * 2 * TINY_NET_PARAMETERS / 1e9, rel=0.05)  # 2 FLOPs per weight
    assert forward_flops("tiny_net", 2, 1, 8, "my_study/models.py:tiny_net") < forward_flops("mlp", 2, 1, 8) / 50
    config["data"]["root"] = str(tmp_path)  # nothing prepared there
    with pytest.raises(PlanError, match=r"dataset 'bright' is yours .*: prepare it first, `snakemake "):
        training_cost(config, [], "NVIDIA H100 80GB HBM3", 0.1)
