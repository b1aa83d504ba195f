"""The scheduler workaround of workflow/rules/helpers/scheduler.smk: at most one pending wake-up timer, and a
rate-limited run still finishes (the timer is what wakes it). Its CPU saving is measured by
benchmarks/scheduler_wakeups.py."""

import runpy
import subprocess
import sys
import threading
import time

from conftest import REPO

HELPER = REPO / "workflow/rules/helpers/scheduler.smk"


class FakeScheduler:
    """What the patch touches of Snakemake's JobScheduler: the semaphore the scheduling loop waits on."""

    def __init__(self):
        self._open_jobs = threading.Semaphore(0)

    def _schedule_reevalutation(self, delay):  # Snakemake's: a new timer every call
        threading.Timer(delay, self._open_jobs.release).start()


def test_many_requests_give_one_timer_and_one_wakeup():
    helper = runpy.run_path(str(HELPER))  # plain Python; the Snakefile includes it
    helper["coalesce_scheduler_wakeups"](FakeScheduler)
    helper["coalesce_scheduler_wakeups"](FakeScheduler)  # idempotent
    scheduler = FakeScheduler()
    before = threading.active_count()
    for _ in range(50):
        scheduler._schedule_reevalutation(0.2)
    assert threading.active_count() == before + 1  # Snakemake's own would have started 50
    assert scheduler._open_jobs.acquire(timeout=5)  # the one timer wakes the loop...
    time.sleep(0.3)
    assert not scheduler._open_jobs.acquire(blocking=False)  # ...once
    scheduler._schedule_reevalutation(0.05)  # after it fired, a new request arms a new timer
    assert scheduler._open_jobs.acquire(timeout=5)


def test_rate_limited_run_still_finishes(tmp_path):
    """1 job per second: the limiter holds jobs back and only the coalesced timer can wake the scheduler."""
    (tmp_path / "Snakefile").write_text(
        f'include: "{HELPER}"\n\n\n'
        "coalesce_scheduler_wakeups()\n\n\n"
        "rule all:\n"
        '    input: expand("out/{i}.txt", i=range(4)),\n\n\n'
        "rule one:\n"
        '    output: "out/{i}.txt",\n'
        '    shell: "echo {wildcards.i} > {output}"\n'
    )
    snakemake = [sys.executable, "-m", "snakemake", "--cores", "2", "--max-jobs-per-timespan", "1/1s"]
    result = subprocess.run(snakemake, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["0.txt", "1.txt", "2.txt", "3.txt"]
    assert "Job rate limit reached" in result.stderr  # the limiter did hold jobs back
