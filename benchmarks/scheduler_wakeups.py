"""CPU of Snakemake's own process while jobs run, without and with workflow/rules/helpers/scheduler.smk.

    .venv/bin/python benchmarks/scheduler_wakeups.py [--jobs 80] [--seconds 1] [--inputs 40]

A synthetic workflow of `--jobs` independent jobs that each sleep `--seconds` (no CPU of their own) and read
`--inputs` files (as the real rules' code inputs), on 2 cores,
run twice in temp dirs: as Snakemake ships (baseline) and with the helper's coalesced wake-ups. Reports the CPU
seconds of each run (Snakemake plus its idle jobs, from RUSAGE_CHILDREN) and the ratio baseline / patched. On the
default run (192 jobs, ~20 min) Snakemake's scheduler used about 300 CPU-s in 30 minutes before the fix.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HELPER = REPO / "workflow/rules/helpers/scheduler.smk"


def snakefile(jobs: int, seconds: float, inputs: int, patched: bool) -> str:
    patch = f'include: "{HELPER}"\n\n\ncoalesce_scheduler_wakeups()\n\n\n' if patched else ""
    return (
        patch + "rule all:\n"
        f'    input: expand("out/{{i}}.txt", i=range({jobs})),\n\n\n'
        "rule one:\n"
        f'    input: expand("in/{{k}}.py", k=range({inputs})),\n'  # as the code() inputs of the real rules
        '    output: "out/{i}.txt",\n'
        f'    shell: "sleep {seconds} && echo {{wildcards.i}} > {{output}}"\n'
    )


def cpu_of_run(jobs: int, seconds: float, inputs: int, patched: bool) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one `snakemake --cores 2` run of the synthetic workflow."""
    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "Snakefile").write_text(snakefile(jobs, seconds, inputs, patched))
        Path(tmp, "in").mkdir()
        for k in range(inputs):
            Path(tmp, "in", f"{k}.py").write_text("")
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2", "--quiet", "all"], cwd=tmp, check=True,
                       capture_output=True)  # fmt: skip
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=80, help="independent sleeping jobs")
    parser.add_argument("--seconds", type=float, default=1.0, help="how long each job sleeps")
    parser.add_argument("--inputs", type=int, default=40, help="input files of every job (stat-ed at each pass)")
    args = parser.parse_args()
    base_cpu, base_wall = cpu_of_run(args.jobs, args.seconds, args.inputs, patched=False)
    fixed_cpu, fixed_wall = cpu_of_run(args.jobs, args.seconds, args.inputs, patched=True)
    print(f"{args.jobs} jobs x sleep {args.seconds} s, {args.inputs} inputs each, on 2 cores")
    print(f"as shipped: {base_cpu:6.2f} CPU-s in {base_wall:5.1f} s wall")
    print(f"coalesced:  {fixed_cpu:6.2f} CPU-s in {fixed_wall:5.1f} s wall")
    print(f"scheduler CPU ratio (as shipped / coalesced): {base_cpu / fixed_cpu:.2f}x")


if __name__ == "__main__":
    main()
