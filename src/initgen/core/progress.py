"""Progress of a long loop, readable wherever it is written.

On a terminal: tqdm's bar, redrawn in place. Elsewhere (a Snakemake log, a SLURM output file, a pipe): one plain
line now and then, so that `tail -f` on a log shows progress and the log stays lines, not one line of several
hundred kilobytes of carriage-return redraws:

    train depth 3: step 1200/5000 (24%) loss=0.0132 elapsed 0:00:31 eta 0:01:38

Every loop in the library reports through `progress()`; one switch for all of them.

    bar = progress(total=steps, desc="train", unit="step")     # or: for x in progress(iterable, ...)
    bar.update(1, loss=lambda: float(loss))   # values may be callables: evaluated only when a line is written
    bar.set_postfix(acc=0.93)
    bar.close()
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

# Seconds between two plain lines; INITGEN_PROGRESS_INTERVAL overrides it (0: a line per update).
DEFAULT_INTERVAL = 30.0
# Seconds between two redraws of the terminal bar (and evaluations of callable values there).
TERMINAL_INTERVAL = 0.5


def interval_from_env() -> float:
    value = os.environ.get("INITGEN_PROGRESS_INTERVAL")
    try:
        return max(float(value), 0.0) if value else DEFAULT_INTERVAL
    except ValueError:
        return DEFAULT_INTERVAL


def is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def format_duration(seconds: float) -> str:
    seconds = int(max(seconds, 0))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def format_count(n: float, unit: str) -> str:
    if unit == "B":  # bytes: 1.5MB
        for prefix in ("", "k", "M", "G", "T"):
            if abs(n) < 1000 or prefix == "T":
                return f"{n:.0f}{prefix}B" if prefix == "" else f"{n:.1f}{prefix}B"
            n /= 1000
    return f"{int(n)}"


def format_value(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


class PlainProgress:
    """Plain progress lines: one per `interval` seconds, and a last one when any was written (a loop shorter than
    `interval` writes nothing)."""

    def __init__(self, total: int | None, desc: str | None, unit: str, stream: TextIO, interval: float,
                 initial: int = 0, clock=time.monotonic):
        self.total, self.desc, self.unit, self.stream, self.interval = total, desc, unit, stream, interval
        self.clock = clock
        self.n = self.initial = initial
        self.start = clock()
        self.last_line: float | None = None
        self.postfix: dict[str, Any] = {}
        self.closed = False

    def set_postfix(self, **values: Any) -> None:
        self.postfix.update(values)

    def update(self, n: int = 1, **values: Any) -> None:
        self.n += n
        self.postfix.update(values)
        now = self.clock()
        finished = self.total is not None and self.n >= self.total
        if now - (self.start if self.last_line is None else self.last_line) >= self.interval or (
            finished and self.last_line is not None
        ):
            self.write(now)

    def line(self, now: float) -> str:
        elapsed = now - self.start
        count = format_count(self.n, self.unit)
        if self.total:
            count += f"/{format_count(self.total, self.unit)} ({100 * self.n / self.total:.0f}%)"
        parts = [f"{self.desc}:" if self.desc else "", f"{self.unit} {count}" if self.unit != "B" else count]
        for key, value in self.postfix.items():
            parts.append(f"{key}={format_value(value() if callable(value) else value)}")
        parts.append(f"elapsed {format_duration(elapsed)}")
        if self.total and self.initial < self.n < self.total:
            parts.append(f"eta {format_duration(elapsed / (self.n - self.initial) * (self.total - self.n))}")
        return " ".join(p for p in parts if p)

    def write(self, now: float) -> None:
        self.last_line = now
        print(self.line(now), file=self.stream, flush=True)

    def close(self) -> None:
        """A last line when the loop ended between two lines (an early stop, or a total that was not reached)."""
        if not self.closed and self.last_line is not None and (self.total is None or self.n < self.total):
            self.write(self.clock())
        self.closed = True


class TerminalProgress:
    """tqdm's bar; callable values are evaluated at most every TERMINAL_INTERVAL seconds."""

    def __init__(self, total, desc, unit, stream, leave, initial=0):
        from tqdm import tqdm

        self.bar = tqdm(total=total, desc=desc, unit=unit, unit_scale=unit == "B", file=stream, leave=leave,
                        initial=initial, mininterval=TERMINAL_INTERVAL, dynamic_ncols=True)
        self.postfix: dict[str, Any] = {}
        self.shown = 0.0

    def set_postfix(self, **values: Any) -> None:
        self.postfix.update(values)
        self._show(force=True)

    def update(self, n: int = 1, **values: Any) -> None:
        self.postfix.update(values)
        self.bar.update(n)
        self._show()

    def _show(self, force: bool = False) -> None:
        now = time.monotonic()
        if self.postfix and (force or now - self.shown >= TERMINAL_INTERVAL):
            self.shown = now
            shown = {k: format_value(v() if callable(v) else v) for k, v in self.postfix.items()}
            self.bar.set_postfix(shown, refresh=False)

    def close(self) -> None:
        self.bar.close()


class NoProgress:
    def set_postfix(self, **values: Any) -> None:
        pass

    def update(self, n: int = 1, **values: Any) -> None:
        pass

    def close(self) -> None:
        pass


class Progress:
    """What `progress()` returns: a bar, plain lines or nothing behind one interface; iterable when given one."""

    def __init__(self, iterable: Iterable | None, backend):
        self.iterable, self.backend = iterable, backend

    def __iter__(self) -> Iterator:
        try:
            for item in self.iterable:
                yield item
                self.backend.update(1)
        finally:
            self.backend.close()

    def update(self, n: int = 1, **values: Any) -> None:
        self.backend.update(n, **values)

    def set_postfix(self, **values: Any) -> None:
        self.backend.set_postfix(**values)

    def close(self) -> None:
        self.backend.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def progress(
    iterable: Iterable | None = None,
    *,
    total: int | None = None,
    initial: int = 0,
    desc: str | None = None,
    unit: str = "step",
    disable: bool = False,
    stream: TextIO | None = None,
    interval: float | None = None,
    leave: bool = False,
) -> Progress:
    """Progress over `iterable` (or `total` updates, counting from `initial`, e.g. a resumed run's epochs): a bar on
    a terminal, plain lines every `interval` seconds elsewhere (default 30 s, or $INITGEN_PROGRESS_INTERVAL),
    nothing when `disable`. Written to `stream` (default stderr)."""
    stream = sys.stderr if stream is None else stream
    if total is None and iterable is not None and hasattr(iterable, "__len__"):
        total = len(iterable)
    if disable:
        backend = NoProgress()
    elif is_terminal(stream):
        backend = TerminalProgress(total, desc, unit, stream, leave, initial)
    else:
        backend = PlainProgress(total, desc, unit, stream, interval_from_env() if interval is None else interval,
                                initial)
    return Progress(iterable, backend)
