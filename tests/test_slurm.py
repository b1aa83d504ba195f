"""The `cluster` profile on a real (single-node) SLURM: jobs go through sbatch and the outputs equal a local run's;
a training job requeued mid-way by SLURM (what preemption does) resumes from its checkpoint and ends equal to an
uninterrupted run. Needs SLURM (.ci/start-slurm); skipped without it, except in CI (env CI), where a missing SLURM
is a failure."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time

import pytest
import torch
import yaml
from conftest import REPO, copy_workflow, run_snakemake

TARGET = "linear_imbalance"
TINY = {"device": "cpu", "seeds": [0, 1],
        "related": {"linear_imbalance": {"seeds": [0, 1], "D": 40, "n": 10, "h": 50, "iterations": 400,
                                         "record_every": 20}}}


def slurm_ready() -> str | None:
    """None when sinfo answers with an idle node, else why not."""
    if shutil.which("sinfo") is None or shutil.which("sbatch") is None:
        return "SLURM is not installed (sinfo/sbatch missing); run .ci/start-slurm as root"
    result = subprocess.run(["sinfo", "-h", "-o", "%t"], capture_output=True, text=True)
    if result.returncode != 0 or not re.search(r"idle|mix|alloc", result.stdout):
        return f"SLURM does not answer or has no usable node: {result.stderr.strip() or result.stdout.strip()}"
    return None


@pytest.fixture(scope="module")
def slurm():
    reason = slurm_ready()
    if reason and os.environ.get("CI"):
        pytest.fail(f"CI must run the SLURM tests: {reason}")
    if reason:
        pytest.skip(reason)


def submitted_rules(log: str) -> list[str]:
    """The rule of every job Snakemake submitted through sbatch (from its SLURM log path), sorted."""
    paths = re.findall(r"has been submitted with SLURM jobid \d+ \(log: (\S+)\)", log)
    return sorted(re.search(r"slurm_logs/rule_([^/]+)/", path).group(1) for path in paths)


def run_through_slurm(workdir, command: list[str], timeout: float) -> str:
    """Run `command` (Snakemake through the cluster profile) in `workdir` and return its log, failing on a non-zero
    exit; the SLURM jobs it submitted are cancelled whatever happens, so a failed run leaves none queued."""
    result = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=timeout)
    log = result.stdout + result.stderr
    try:
        assert result.returncode == 0, log
    finally:
        for job_id in re.findall(r"submitted with SLURM jobid (\d+)", log):
            subprocess.run(["scancel", job_id], capture_output=True)
    return log


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_small_target_through_the_cluster_profile_equals_a_local_run(slurm, tmp_path):
    cluster = copy_workflow(tmp_path / "cluster")
    shutil.copytree(REPO / "cluster", cluster / "cluster")
    (cluster / "test-config.yaml").write_text(yaml.safe_dump(TINY))
    command = [
        sys.executable, "-m", "snakemake", "--profile", "cluster", TARGET,
        # Targets first: --configfile takes several values, and replaces the profile's list (so paper.yaml again).
        "--configfile", "config/paper.yaml", "test-config.yaml",
        # This node has no GPU: replace the profile's GPU requests (a command-line key replaces the profile's).
        "--set-resources", f"{TARGET}_run:mem_mb=1000", "--default-resources", "mem_mb=1000", "runtime=10",
        "--slurm-init-seconds-before-status-checks", "3", "--slurm-keep-successful-logs",
    ]
    log = run_through_slurm(cluster, command, timeout=600)
    # Every rule that runs a command went through sbatch: one SLURM job id each, with its SLURM log.
    submitted = re.findall(r"Job \d+ has been submitted with SLURM jobid (\d+) \(log: (\S+)\)", log)
    assert submitted_rules(log) == [f"{TARGET}_run"], log  # the computation; analysis and plots are local rules
    assert f"localrule {TARGET}_analyze:" in log and f"localrule {TARGET}_plot:" in log, log
    for _job_id, slurm_log in submitted:
        assert os.path.exists(slurm_log.rstrip(").")), slurm_log

    local = copy_workflow(tmp_path / "local")
    run_snakemake(local, TARGET, overrides={**TINY, "device": "cpu"})
    for name in ("runs.npz", "metrics.json", "summary.csv"):
        assert digest(cluster / f"results/{TARGET}/{name}") == digest(local / f"results/{TARGET}/{name}"), name


# ------------------------------------------------------------------------------------ requeue and resume
DEEP_RUN = "digits/mlp/random/seed0"
DEEP_TARGET = f"results/deep/{DEEP_RUN}/train.json"
# One small deep training, slow enough to interrupt after its first epoch: batch 8 makes 180 steps an epoch,
# ~0.4 s on one thread; it stops after ~10 epochs (running train accuracy 1.0) or at max_epochs.
DEEP_TINY = {
    "device": "cpu",
    "seeds": [0],
    "deep": {
        "seeds": [0],
        "datasets": {"digits": ["mlp"]},
        "train": {"lr": 0.01, "momentum": 0.9, "weight_decay": 0.0005, "batch_size": 8, "max_epochs": 12,
                  "target_train_acc": 1.0, "schedule": {"kind": "constant"}},
        "checkpoint_every": 1,
    },
}


def wait_for(condition, timeout: float, what: str, process: subprocess.Popen, log_path):
    """Poll `condition()` until it returns something truthy; fail (with Snakemake's log) on timeout or exit."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if process.poll() is not None:
            raise AssertionError(f"snakemake exited ({process.returncode}) before {what}:\n{log_path.read_text()}")
        time.sleep(0.2)
    raise AssertionError(f"no {what} after {timeout} s:\n{log_path.read_text()}")


def our_jobs(workdir) -> list[dict]:
    """SLURM jobs (any state squeue still shows) submitted from `workdir`: id, state, comment (rule name)."""
    result = subprocess.run(["squeue", "-h", "--states=all", "-o", "%i|%T|%k|%Z"], capture_output=True, text=True)
    rows = [line.split("|", 3) for line in result.stdout.splitlines() if line.count("|") == 3]
    return [{"id": i, "state": t, "comment": k} for i, t, k, z in rows if z.strip() == str(workdir)]


def job_fields(job_id: str) -> dict[str, str]:
    """`scontrol show job`'s Key=Value fields (the job stays known for MinJobAge after it ends)."""
    shown = subprocess.run(["scontrol", "show", "job", job_id], capture_output=True, text=True).stdout
    return dict(re.findall(r"(\w+)=(\S*)", shown))


def start_snakemake(workdir, log_path, *args) -> subprocess.Popen:
    with open(log_path, "w") as log_file:
        return subprocess.Popen([sys.executable, "-m", "snakemake", *args], cwd=workdir, stdout=log_file,
                                stderr=subprocess.STDOUT, text=True)  # fmt: skip


@pytest.mark.slow
def test_training_job_requeued_by_slurm_resumes_from_its_checkpoint(slurm, tmp_path):
    # The uninterrupted reference: the same job run locally (no profile, no SLURM), beside the cluster run.
    local = copy_workflow(tmp_path / "local")
    (local / "test-config.yaml").write_text(yaml.safe_dump(DEEP_TINY))
    local_log = local / "snakemake.out"
    reference = start_snakemake(local, local_log, "--cores", "1", DEEP_TARGET,
                                "--configfile", "config/config.yaml", "test-config.yaml")  # fmt: skip

    cluster = copy_workflow(tmp_path / "cluster")
    shutil.copytree(REPO / "cluster", cluster / "cluster")
    (cluster / "test-config.yaml").write_text(yaml.safe_dump(DEEP_TINY))
    log_path = cluster / "snakemake.out"
    process = start_snakemake(
        cluster, log_path, "--profile", "cluster", DEEP_TARGET,
        # config.yaml (CPU, no GPU requests) instead of the profile's paper.yaml: this node has no GPU.
        "--configfile", "config/config.yaml", "test-config.yaml",
        # Status checks come 5 s after a submission, then 10 s further apart each time while nothing finishes.
        "--slurm-init-seconds-before-status-checks", "5", "--slurm-keep-successful-logs",
    )  # fmt: skip
    try:
        # The trainer's resume file appears once the first epoch is done; then requeue the job running it.
        resume_file = cluster / f"checkpoints/{DEEP_RUN}/train_last.pt"
        wait_for(resume_file.exists, 120, "resume checkpoint", process, log_path)
        train_jobs = [j for j in our_jobs(cluster) if j["comment"].startswith("rule_deep_train")]
        assert len(train_jobs) == 1 and train_jobs[0]["state"] == "RUNNING", (train_jobs, log_path.read_text())
        job_id = train_jobs[0]["id"]
        epochs_before = torch.load(resume_file, weights_only=True)["epoch"]
        requeue = subprocess.run(["scontrol", "requeue", job_id], capture_output=True, text=True)
        assert requeue.returncode == 0, requeue.stderr
        # SLURM kills the running batch job (SIGTERM, SIGKILL after KillWait) and queues it again, held
        # until now + cred_expire (120 s by default); lift the hold so the test does not wait two minutes.
        wait_for(lambda: any(j["id"] == job_id and j["state"] == "PENDING" for j in our_jobs(cluster)),
                 60, f"job {job_id} pending again", process, log_path)  # fmt: skip
        release = subprocess.run(["scontrol", "update", f"JobId={job_id}", "StartTime=now"],
                                 capture_output=True, text=True)  # fmt: skip
        assert release.returncode == 0, release.stderr
        process.wait(timeout=150)
        reference.wait(timeout=60)
    finally:
        for running in (process, reference):
            if running.poll() is None:
                running.kill()
                running.wait()
        for job in our_jobs(cluster):
            if job["state"] not in ("COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "OUT_OF_MEMORY"):
                subprocess.run(["scancel", job["id"]], capture_output=True)
    log = log_path.read_text()
    assert process.returncode == 0, log
    assert reference.returncode == 0, local_log.read_text()

    # The executor kept waiting for the requeued job (PENDING is not a failure): no second submission, no retry.
    assert re.findall(r"has been submitted with SLURM jobid (\d+)", log).count(job_id) == 1, log
    assert submitted_rules(log).count("deep_train") == 1, log
    fields = job_fields(job_id)
    assert (fields.get("Requeue"), fields.get("Restarts"), fields.get("JobState")) == ("1", "1", "COMPLETED"), fields
    # The second run of the job resumed from the checkpoint the first one wrote, and trained to the end.
    train_log = (cluster / f"logs/deep/{DEEP_RUN}/train.log").read_text()
    resumed = re.search(r"resumed from \S+train_last\.pt after epoch (\d+)", train_log)
    assert resumed, train_log
    epochs_resumed = int(resumed.group(1))
    assert 1 <= epochs_before <= epochs_resumed, train_log
    assert not resume_file.exists()  # removed once the outputs are complete
    assert not list((cluster / ".snakemake/locks").glob("*"))

    # Equal to the uninterrupted run: metrics, per-epoch history, final weights (bitwise).
    results = f"results/deep/{DEEP_RUN}"
    assert json.loads((cluster / results / "train.json").read_text()) == json.loads(
        (local / results / "train.json").read_text()
    )
    assert (cluster / results / "train.csv").read_text() == (local / results / "train.csv").read_text()
    final = f"checkpoints/{DEEP_RUN}/final.pt"
    requeued = torch.load(cluster / final, weights_only=True)
    uninterrupted = torch.load(local / final, weights_only=True)
    assert requeued["epoch"] == uninterrupted["epoch"] > epochs_resumed  # it trained on after resuming
    assert requeued["model"].keys() == uninterrupted["model"].keys()
    for name, tensor in uninterrupted["model"].items():
        assert torch.equal(requeued["model"][name], tensor), name
