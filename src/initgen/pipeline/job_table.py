"""Snakemake's "Job stats" table, read from a command's output: rule name -> job count.

Snakemake prints it before it runs (or, with -n, instead of running):

    Job stats:
    job              count
    -------------  -------
    toy_train            4
    total                4

The one parser of it in the project (`initgen plan`, and the tests that count planned jobs).
"""

from __future__ import annotations


def job_counts(output: str, every_table: bool = False) -> dict[str, int]:
    """Rule -> job count from the first "Job stats" table in `output` (a dry run prints the same table twice);
    every_table: summed over all of them (a command that ran Snakemake several times, such as `dvc exp run` over
    several stages, prints one table each). {} when there is none (nothing to do)."""
    counts: dict[str, int] = {}
    in_table = False
    for line in output.splitlines():
        parts = line.split()
        if parts[:2] == ["job", "count"]:
            in_table = True
        elif in_table and parts and parts[0] == "total":
            if not every_table:
                break
            in_table = False
        elif in_table and len(parts) == 2 and parts[1].isdigit():
            counts[parts[0]] = counts.get(parts[0], 0) + int(parts[1])
    return counts
