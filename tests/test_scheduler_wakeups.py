"""The scheduler workaround of workflow/rules/helpers/scheduler.smk: at most one pending wake-up timer, applied to
the installed Snakemake's real scheduler (or refused with one warning where it was not checked), and a
rate-limited run still finishes (the timer is what wakes it). Its CPU saving is measured by
benchmarks/scheduler_wakeups.py."""

import logging
import runpy
import subprocess
import sys
import textwrap
import threading
import time

from conftest import REPO

HELPER = REPO / "workflow/rules/helpers/scheduler.smk"


def load_helper():
    return runpy.run_path(str(HELPER))  # plain Python; the Snakefile includes it


def fake_scheduler_class():
    """What the patch touches of Snakemake's JobScheduler (a new class each time: the patch changes the class)."""

    class FakeScheduler:
        def __init__(self):
            self._open_jobs = threading.Semaphore(0)  # the semaphore the scheduling loop waits on

        def schedule(self):
            self._schedule_reevalutation(1)

        def _schedule_reevalutation(self, delay):  # Snakemake's: a new timer every call
            threading.Timer(delay, lambda: self._open_jobs.release()).start()

    return FakeScheduler


def test_many_requests_give_one_timer_and_one_wakeup():
    helper = load_helper()
    FakeScheduler = fake_scheduler_class()
    assert helper["coalesce_scheduler_wakeups"](FakeScheduler)
    assert helper["coalesce_scheduler_wakeups"](FakeScheduler)  # idempotent
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


def test_installed_snakemake_real_scheduler_gets_the_patch():
    """In a fresh interpreter: the installed JobScheduler passes the checks, is marked, and 50 requests start one
    timer. Fails when the patch is skipped (a newer Snakemake, a renamed method) or disabled."""
    script = textwrap.dedent(
        f"""
        import runpy, threading
        from snakemake.scheduling.job_scheduler import JobScheduler
        helper = runpy.run_path({str(HELPER)!r})
        assert helper["coalesce_skip_reason"](JobScheduler) is None, helper["coalesce_skip_reason"](JobScheduler)
        helper["coalesce_scheduler_wakeups"]()
        assert getattr(JobScheduler._schedule_reevalutation, "initgen_coalesced", False), "not patched"
        scheduler = JobScheduler.__new__(JobScheduler)  # the real class's method, without a workflow
        scheduler._open_jobs = threading.Semaphore(0)
        before = threading.active_count()
        for _ in range(50):
            scheduler._schedule_reevalutation(0.2)
        print("timers", threading.active_count() - before)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["timers", "1"]


def test_unchecked_scheduler_is_left_alone_with_one_warning(caplog):
    helper = load_helper()

    class Renamed:  # a later Snakemake that renamed the method: patching would add a method nobody calls
        def _schedule_reevaluation(self, delay):
            pass

    with caplog.at_level(logging.WARNING, logger="snakemake"):
        assert not helper["coalesce_scheduler_wakeups"](Renamed)
        assert not helper["coalesce_scheduler_wakeups"](Renamed)
    assert not hasattr(Renamed, "_schedule_reevalutation")
    assert "no _schedule_reevalutation" in Renamed.initgen_coalesce_skipped
    warnings = [r for r in caplog.records if "wake-up workaround not applied" in r.getMessage()]
    assert len(warnings) == 1


def test_other_snakemake_major_is_not_patched(monkeypatch):
    import snakemake

    helper = load_helper()
    monkeypatch.setattr(snakemake, "__version__", "10.0.0")

    Fake = fake_scheduler_class()
    original = Fake._schedule_reevalutation
    assert "Snakemake 10.0.0" in helper["coalesce_skip_reason"](Fake)
    assert not helper["coalesce_scheduler_wakeups"](Fake)
    assert Fake._schedule_reevalutation is original  # left as it was


def test_rate_limited_run_still_finishes(tmp_path):
    """1 job per second: the limiter holds jobs back and only the coalesced timer can wake the scheduler; the
    running Snakemake's scheduler carries the patch."""
    (tmp_path / "Snakefile").write_text(
        f'include: "{HELPER}"\n\n\n'
        "coalesce_scheduler_wakeups()\n\n\n"
        "onstart:\n"
        '    Path("patched.txt").write_text(str(getattr(JobScheduler._schedule_reevalutation, '
        '"initgen_coalesced", False)))\n\n\n'
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
    assert (tmp_path / "patched.txt").read_text() == "True"
    assert "workaround not applied" not in result.stderr
