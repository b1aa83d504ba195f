"""The rehearsal of the paper-scale DAG (config/rehearsal.yaml over config/paper.yaml).

- its plan keeps every rule, model, dataset, input size and init of the paper plan (only seeds and work shrink);
- CI's slice (tests/configs/rehearsal_slice: ResNet-18 and DenseNet-121 on the CIFAR-10 rehearsal archive) runs
  through the real SLURM with the `cluster` profile, from the generated archive to the report;
- the full rehearsal (every job of the paper DAG, ~20-30 min on 2 cores) is opt-in: `pytest -m rehearsal`
  (pyproject's addopts deselect the marker; README "Rehearsal" gives the plain Snakemake command).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
import yaml
from conftest import REPO, copy_workflow, load_test_config
from test_slurm import run_through_slurm, slurm, submitted_rules  # noqa: F401  (slurm: the fixture)

from initgen.pipeline.job_table import job_counts

REHEARSAL = ["--configfile", "config/paper.yaml", "config/rehearsal.yaml"]
PAPER_DEEP_SEEDS = 5  # config.yaml's deep.seeds, which paper.yaml keeps; the rehearsal runs one


def plan(workdir, *configfiles: str) -> dict[str, int]:
    """Rule -> job count of `snakemake -n all` with these config files (after the Snakefile's config.yaml)."""
    result = subprocess.run([sys.executable, "-m", "snakemake", "-n", "all", "--configfile", *configfiles],
                            cwd=workdir, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    jobs = job_counts(result.stdout)
    assert jobs, result.stdout  # a dry run that plans nothing would compare empty tables
    return jobs


def test_rehearsal_plans_every_rule_model_and_init_of_the_paper_grid(workflow_copy):
    paper = plan(workflow_copy, "config/paper.yaml")
    rehearsal = plan(workflow_copy, "config/paper.yaml", "config/rehearsal.yaml")
    # Every rule of the paper DAG, plus the one that writes the stand-in archives.
    assert set(rehearsal) == set(paper) | {"rehearsal_data"}, (paper, rehearsal)
    # One job per seed in the paper plan is one job in the rehearsal's (deep.seeds [0]); the rest are equal.
    per_seed = {"deep_pretrain", "deep_train", "deep_hessian"}
    for rule, count in paper.items():
        expected = count / PAPER_DEEP_SEEDS if rule in per_seed else count
        assert rehearsal[rule] == expected, (rule, count, rehearsal[rule])
    merged = yaml.safe_load((REPO / "config/paper.yaml").read_text())
    over = yaml.safe_load((REPO / "config/rehearsal.yaml").read_text())
    assert "datasets" not in over.get("deep", {}) and "datasets" not in over.get("deep_hessian", {})
    assert merged["data"]["imagenet"]["image_size"] == 224 and "image_size" not in over["data"]["imagenet"]
    # The paper's Hessian settings that decide memory and precision stay.
    assert not {"keep_graphs", "float64", "batch_size"} & (set(over["hessian"]) | set(over["deep_hessian"]["hessian"]))


GPU = ["config/paper.yaml", "config/gpu.yaml"]
GPU_REHEARSAL = [*GPU, "config/rehearsal.yaml", "config/gpu.rehearsal.yaml"]
NIGHT_HOURS = 12  # config/gpu.yaml's budget: one GPU, one evening


def test_the_one_gpu_config_fits_a_night_on_an_h100_and_its_rehearsal_plans_the_same_rules(workflow_copy):
    """config/gpu.yaml: CIFAR-10 with Table 4's three models for Table 1, Fig 6, Table 4, and the 1-D artifacts;
    `initgen plan`'s estimate under 12 GPU-hours; its CPU rehearsal plans every one of its rules."""
    from initgen.core.config import drop_nulled, load_config
    from initgen.pipeline.plan import hessian_cost, training_cost

    gpu = plan(workflow_copy, *GPU)
    rehearsal = plan(workflow_copy, *GPU_REHEARSAL)
    assert set(rehearsal) == set(gpu) | {"rehearsal_data"}, (gpu, rehearsal)
    models, inits = 3, 2
    assert gpu["deep_train"] == models * inits * PAPER_DEEP_SEEDS and gpu["deep_pretrain"] == models * PAPER_DEEP_SEEDS
    assert gpu["deep_hessian"] == models * inits * PAPER_DEEP_SEEDS and gpu["deep_table_cifar10"] == 1
    for rule in ("toy_plot", "flat_minima_plot", "fig6_plot", "deep_hessian_plot", "report"):
        assert gpu[rule] >= 1, rule
    assert not [rule for rule in gpu if rule.startswith(("asi", "linear", "corruption", "data_download_cifar100"))]
    for rule, count in gpu.items():
        expected = count / PAPER_DEEP_SEEDS if rule in {"deep_pretrain", "deep_train", "deep_hessian"} else count
        assert rehearsal[rule] == expected, (rule, count, rehearsal[rule])
    config = drop_nulled(load_config(REPO / "config/config.yaml", *(REPO / f for f in GPU)))
    assert config["deep"]["datasets"] == {"cifar10": ["resnet18", "vgg16", "convmixer"]}
    rows = training_cost(config, [], "NVIDIA H100 80GB HBM3") + hessian_cost(config, "NVIDIA H100 80GB HBM3")
    hours = sum(row["GPU-hours (at most)"] for row in rows)
    assert len(rows) == 6 and 6 < hours < NIGHT_HOURS, hours
    rehearsed = load_config(REPO / "config/config.yaml", *(REPO / f for f in GPU_REHEARSAL))
    assert rehearsed["deep_hessian"]["samples"] == 8 and rehearsed["deep"]["train"]["max_epochs"] == 2


@pytest.mark.slow
def test_rehearsal_slice_through_the_cluster_profile_to_the_report(slurm, tmp_path):  # noqa: F811
    cluster = copy_workflow(tmp_path / "cluster")
    shutil.copytree(REPO / "cluster", cluster / "cluster")
    (cluster / "slice.yaml").write_text(yaml.safe_dump(load_test_config("rehearsal_slice")))
    command = [
        sys.executable, "-m", "snakemake", "--profile", "cluster", "all", *REHEARSAL, "slice.yaml",
        "--slurm-init-seconds-before-status-checks", "3", "--slurm-keep-successful-logs",
    ]  # fmt: skip
    log = run_through_slurm(cluster, command, timeout=900)
    # The computations went through sbatch (the CPU resources of config/rehearsal.yaml, no GPU asked for).
    submitted = submitted_rules(log)
    for rule, count in {"data_prepare": 1, "deep_pretrain": 2, "deep_train": 4, "deep_input_gradients": 4,
                        "deep_hessian": 4}.items():  # fmt: skip
        assert submitted.count(rule) == count, (rule, submitted)
    # The archive came from the rehearsal folder through the real download code, checksum checked.
    assert "cifar10: data/raw/cifar-10-python.tar.gz ok" in (cluster / "logs/data/download_cifar10.log").read_text()
    # Both models in Table 1, Table 4 and Fig 6's metrics; training wrote and removed its resume file.
    table1 = json.loads((cluster / "results/table1_cifar10/metrics.json").read_text())
    assert {"resnet18", "densenet121"} <= set(json.dumps(table1).split('"')), table1.keys()
    table4 = (cluster / "results/table4_deep_hessian/table4_deep_hessian.md").read_text()
    assert "resnet18" in table4.lower().replace("-", "") and "densenet121" in table4.lower().replace("-", "")
    for model in ("resnet18", "densenet121"):
        run = cluster / f"results/deep/cifar10/{model}/highbw/seed0"
        assert json.loads((run / "train.json").read_text())["epochs"] == 2
        assert not list((cluster / f"checkpoints/cifar10/{model}").rglob("*_last.pt"))
    report = (cluster / "results/report/index.html").read_text()
    assert "table1_cifar10" in report and "table4_deep_hessian" in report


@pytest.mark.rehearsal
def test_full_rehearsal_runs_every_job_of_the_paper_dag(tmp_path):
    """Opt-in (`pytest -m rehearsal`): the whole paper DAG at paper shapes on this CPU, to the report."""
    workdir = copy_workflow(tmp_path / "rehearsal")
    result = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "all", "all", *REHEARSAL],
                            cwd=workdir, capture_output=True, text=True, timeout=3 * 3600)  # fmt: skip
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-20000:]
    assert (workdir / "results/report/index.html").exists()
    for table in ("table1_cifar10", "table1_cifar100", "table1_tinyimagenet", "table3_imagenet"):
        assert (workdir / f"results/{table}/metrics.json").exists(), table


# ------------------------------------------------------------------------------ bad input on the paper path
def snakemake(workdir, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "snakemake", "--cores", "1", *args], cwd=workdir,
                          capture_output=True, text=True, timeout=300)  # fmt: skip


def test_bad_input_on_the_paper_path_fails_clearly_and_writes_nothing(workflow_copy):
    def run_with(override: dict, *targets: str) -> str:
        (workflow_copy / "bad.yaml").write_text(yaml.safe_dump(override))
        result = snakemake(workflow_copy, *targets, *REHEARSAL, "bad.yaml")
        assert result.returncode != 0, result.stdout
        return result.stdout + result.stderr

    # A model name not in the zoo: refused before any job, naming the key.
    log = run_with({"deep": {"datasets": {"cifar10": ["resnet18", "resnet19"]}}}, "-n", "all")
    assert "deep.datasets.cifar10[1]" in log and "resnet19" in log, log
    # A GPU config whose GPU job asks for no GPU (it would land on a CPU node): refused, naming the key.
    log = run_with({"device": "cuda"}, "-n", "all")
    assert "deep.resources.train.gpu is 0 but device is 'cuda'" in log, log
    # A missing ImageNet folder: the prepare job fails naming the config key; nothing prepared.
    log = run_with({"data": {"rehearsal": None, "imagenet": {"folder": "no/such/imagenet"}}},
                   "data/prepared/imagenet/train.pt")  # fmt: skip
    assert "config key data.imagenet.folder" in log, log
    assert not (workflow_copy / "data/prepared").exists() or not list((workflow_copy / "data/prepared").rglob("*.pt"))


def test_a_gpu_job_on_a_cpu_node_fails_before_writing(tmp_path):
    """A training job started with --device cuda where no CUDA device is visible (a CPU node): a clear error,
    exit status 1, no checkpoint, no results."""
    job = {"dataset": "cifar10", "model": "resnet18", "init": "random", "seed": 0, "data_root": str(tmp_path),
           "data_options": {}, "settings": {"lr": 0.01, "max_epochs": 1}}  # fmt: skip
    outputs = [tmp_path / "final.pt", tmp_path / "train.json", tmp_path / "train.csv"]
    result = subprocess.run(
        [sys.executable, "-m", "initgen", "deep-train", "--job", json.dumps(job), "--device", "cuda",
         "--checkpoint", str(outputs[0]), "--json", str(outputs[1]), "--history", str(outputs[2])],
        capture_output=True, text=True, timeout=120)  # fmt: skip
    if "no CUDA device is visible" not in result.stderr:
        pytest.skip("this machine has a CUDA device")
    assert result.returncode == 1 and "config key device is 'cuda'" in result.stderr, result.stderr
    assert not any(path.exists() for path in outputs)


# ------------------------------------------------------------------- resume, for every model of the paper grid
class Interrupted(Exception):
    pass


@pytest.mark.rehearsal
@pytest.mark.parametrize("name", ["vgg11", "vgg16", "alexnet", "efficientnet_b0", "densenet121", "resnet18",
                                  "resnet50", "senet18", "convmixer"])  # fmt: skip
def test_every_paper_model_interrupted_after_an_epoch_resumes_to_the_same_weights(name, tmp_path, one_thread):
    """Opt-in with the full rehearsal: each paper model (batch norm, dropout, SE blocks, stochastic depth) stopped
    at the start of its second epoch and run again ends bitwise equal to an uninterrupted run (CPU, deterministic
    algorithms), having resumed from its checkpoint."""
    import torch

    from initgen.models.zoo import build_model
    from initgen.training.classifier import train_classifier

    generator = torch.Generator().manual_seed(0)
    images = torch.randint(0, 256, (12, 3, 32, 32), dtype=torch.uint8, generator=generator)
    labels = torch.randint(0, 10, (12,), generator=generator)
    settings = {"lr": 0.01, "batch_size": 6, "max_epochs": 2, "target_train_acc": 1.1}
    stats = {"mean": [0.5] * 3, "std": [0.25] * 3}

    def run(checkpoint, on_step=None):
        torch.manual_seed(0)
        model = build_model(name, 10, 3, 32)
        torch.manual_seed(1)
        result = train_classifier(model, (images, labels), None, stats, settings, seed=0, progress=False,
                                  checkpoint_path=checkpoint, on_step=on_step)  # fmt: skip
        return model, result

    def stop_in_second_epoch(epoch, step):
        if epoch == 1:
            raise Interrupted

    deterministic = torch.are_deterministic_algorithms_enabled()
    torch.use_deterministic_algorithms(True)
    try:
        reference, _ = run(tmp_path / "a_last.pt")
        with pytest.raises(Interrupted):
            run(tmp_path / "b_last.pt", stop_in_second_epoch)
        resumed, result = run(tmp_path / "b_last.pt")
    finally:
        torch.use_deterministic_algorithms(deterministic)
    assert result["resumed_from_epoch"] == 1
    for (key, a), b in zip(reference.state_dict().items(), resumed.state_dict().values(), strict=True):
        assert torch.equal(a, b), key
