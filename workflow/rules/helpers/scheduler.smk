# Snakemake's scheduler, kept from waking itself hundreds of times a second (a workaround, not a feature).
#
# Snakemake 9 re-arms a job-rate-limiter timer (--max-jobs-per-timespan, default 100/1s) at the end of every
# scheduling pass, and every finished job releases the scheduler once more, which starts one more such chain of
# timers (snakemake/snakemake#3744). Chains never end, so after k finished jobs the scheduler runs about k passes a
# second, each one checking the inputs of every ready job. On the default run's 192 jobs its main process used
# 295 CPU-s of the run's first 30 minutes (30% of a core by then) on 2 cores. With at most one pending timer the
# limiter still wakes the scheduler within its timespan, which is all the timer is for.
#
# It replaces a private method, so it applies only where it was checked: Snakemake 9, whose scheduler has exactly
# the method `_schedule_reevalutation(self, delay)` that arms a timer releasing `self._open_jobs`, and whose
# scheduling loop calls it. Anywhere else it changes nothing and says so once in the log.
import inspect
import logging
import threading

import snakemake
from snakemake.scheduling.job_scheduler import JobScheduler

COALESCED_SNAKEMAKE_MAJOR = 9  # the Snakemake whose scheduler this was read against (9.27.1)


def coalesce_skip_reason(scheduler_class):
    """Why the patch must not be applied to `scheduler_class` (None: it applies)."""
    major = int(snakemake.__version__.split(".")[0])
    if major != COALESCED_SNAKEMAKE_MAJOR:
        return f"Snakemake {snakemake.__version__}, checked against {COALESCED_SNAKEMAKE_MAJOR}.x"
    method = getattr(scheduler_class, "_schedule_reevalutation", None)
    if method is None:
        return f"{scheduler_class.__name__} has no _schedule_reevalutation"
    if list(inspect.signature(method).parameters) != ["self", "delay"]:
        return f"{scheduler_class.__name__}._schedule_reevalutation is not (self, delay)"
    try:
        source = inspect.getsource(method)
        loop = inspect.getsource(scheduler_class.schedule)
    except (AttributeError, OSError, TypeError):
        return f"the source of {scheduler_class.__name__} cannot be read"
    if "threading.Timer" not in source or "_open_jobs.release" not in source:
        return f"{scheduler_class.__name__}._schedule_reevalutation no longer arms a timer on _open_jobs"
    if "self._schedule_reevalutation(" not in loop:
        return f"{scheduler_class.__name__}.schedule no longer calls _schedule_reevalutation"
    return None


def coalesce_scheduler_wakeups(scheduler_class=JobScheduler):
    """Patch `scheduler_class` so that it keeps at most one pending re-evaluation timer (idempotent).

    Returns True when the patch is in place. Where the checks above fail it leaves the class as it is, warns once
    (marking the class `initgen_coalesce_skipped`) and returns False."""
    if getattr(getattr(scheduler_class, "_schedule_reevalutation", None), "initgen_coalesced", False):
        return True
    reason = coalesce_skip_reason(scheduler_class)
    if reason is not None:
        if getattr(scheduler_class, "initgen_coalesce_skipped", None) is None:
            logging.getLogger("snakemake").warning(
                f"initgen: scheduler wake-up workaround not applied ({reason}); the run is correct, its "
                "scheduler may only use more CPU (workflow/rules/helpers/scheduler.smk)"
            )
        scheduler_class.initgen_coalesce_skipped = reason
        return False

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

    schedule_reevaluation.initgen_coalesced = True  # what tests and a reader of the class check
    scheduler_class._schedule_reevalutation = schedule_reevaluation
    return True
