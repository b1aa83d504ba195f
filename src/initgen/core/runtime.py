"""Where and how a step runs: the device, the CPU threads and the determinism policy, set up the same way by
every command-line step.

    parser = argparse.ArgumentParser(...)
    add_runtime_arguments(parser)            # --device cpu|cuda|auto, --threads N (the steps' shared arguments)
    args = parser.parse_args(argv)
    device = setup(args.device, args.threads)   # threads, determinism; returns a torch.device

Determinism policy (one for every step): on the CPU, torch's deterministic algorithms are required
(`torch.use_deterministic_algorithms(True)`), so a CPU run is bitwise reproducible and a resumed run ends with
the weights of an uninterrupted one. On CUDA, speed comes first: deterministic mode stays off, cudnn may
autotune (train/classifier.accelerate) and results are reproducible to rounding only.
"""

from __future__ import annotations

import argparse
import sys

import torch

from initgen.core.arguments import json_arg
from initgen.core.errors import ConfigError
from initgen.core.files import save_npz

DEVICES = ("cpu", "cuda", "auto")


def resolve_device(device: str | torch.device = "cpu") -> torch.device:
    """'auto' -> cuda when one is visible, else cpu; 'cuda' without a visible CUDA device is a ConfigError;
    anything else (cpu, cuda:1, a torch.device) as given."""
    if str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError("config key device is 'cuda' but no CUDA device is visible; use 'cpu' or 'auto'")
    return device


def set_threads(threads: int | None) -> None:
    """torch's CPU threads; 0 or None: torch's default."""
    if threads:
        torch.set_num_threads(threads)


def apply_determinism(device: torch.device) -> None:
    """The determinism policy (see the module docstring) for a step running on `device`."""
    if device.type == "cpu":
        # torch.use_deterministic_algorithms(True) would import torch._inductor (2 s per step, about 5 minutes
        # of the default run) only to set inductor's flag; the CPU steps never compile (torch.compile is CUDA
        # only here), so set the operator flag alone, and inductor's only where inductor is already loaded.
        torch._C._set_deterministic_algorithms(True)
        if "torch._inductor.config" in sys.modules:
            sys.modules["torch._inductor.config"].deterministic = True


def setup(device: str | torch.device = "cpu", threads: int | None = 0) -> torch.device:
    """Set a step's threads and determinism; return its resolved device."""
    set_threads(threads)
    device = resolve_device(device)
    apply_determinism(device)
    return device


def add_runtime_arguments(
    parser: argparse.ArgumentParser, *, device: bool = True, threads_default: int = 0
) -> None:
    """The arguments every step shares: --device (unless the step runs on the CPU only) and --threads."""
    if device:
        parser.add_argument("--device", default="cpu", help="cpu | cuda | auto (config key device)")
    threads_help = "torch CPU threads (0: torch's default)" if threads_default == 0 else "torch CPU threads"
    parser.add_argument("--threads", type=int, default=threads_default, help=threads_help)


def run_npz_step(argv: list[str], prog: str, run, parts: dict | None = None, description: str = "",
                 job_help: str = "the config block, e.g. related.asi", threads_default: int = 1) -> int:
    """The one command line of a step `run(job, seeds, device) -> arrays` saved to --out (.npz): --job (JSON),
    --seeds (JSON list), --device, --threads, --out; `parts` picks one of several run functions by --part."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--job", required=True, help=f"JSON: {job_help}")
    parser.add_argument("--seeds", required=True, help="JSON list of seeds (config key seeds)")
    add_runtime_arguments(parser, threads_default=threads_default)
    parser.add_argument("--out", required=True, help="npz file to write")
    if parts:
        parser.add_argument("--part", choices=sorted(parts), required=True, help="which part of the experiment to run")
    args = parser.parse_args(argv)
    device = setup(args.device, args.threads)
    job, seeds = json_arg(args.job, "job"), json_arg(args.seeds, "seeds")
    function = parts[args.part] if parts else run
    save_npz(args.out, **function(job, [int(s) for s in seeds], device))
    print(f"wrote {args.out}")
    return 0
