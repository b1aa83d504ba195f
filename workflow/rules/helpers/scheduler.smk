# Snakemake's scheduler, kept from waking itself hundreds of times a second (a workaround, not a feature).
#
# Snakemake 9 re-arms a job-rate-limiter timer (--max-jobs-per-timespan, default 100/1s) at the end of every
# scheduling pass, and every finished job releases the scheduler once more, which starts one more such chain of
# timers (snakemake/snakemake#3744). Chains never end, so after k finished jobs the scheduler runs about k passes a
# second, each one checking the inputs of every ready job. On the default run's 192 jobs its main process used
# 295 CPU-s of the run's first 30 minutes (30% of a core by then) on 2 cores. With at most one pending timer the
# limiter still wakes the scheduler within its timespan, which is all the timer is for.
import threading

from snakemake.scheduling.job_scheduler import JobScheduler


def coalesce_scheduler_wakeups(scheduler_class=JobScheduler):
    """Patch `scheduler_class` so that it keeps at most one pending re-evaluation timer (idempotent)."""
    if getattr(scheduler_class, "_initgen_coalesced", False):
        return
    if not hasattr(scheduler_class, "_schedule_reevalutation"):  # another Snakemake: nothing to fix, or not this way
        return

    pending_lock = threading.Lock()  # its own: Snakemake's _lock may be held by the caller in a later version

    def schedule_reevaluation(self, delay):
        with pending_lock:
            if getattr(self, "_initgen_timer_pending", False):
                return
            self._initgen_timer_pending = True

        def release():
            with pending_lock:
                self._initgen_timer_pending = False
            self._open_jobs.release()

        timer = threading.Timer(delay, release)
        timer.daemon = True  # a pending wake-up must not hold the finished run's exit
        timer.start()

    scheduler_class._schedule_reevalutation = schedule_reevaluation
    scheduler_class._initgen_coalesced = True
