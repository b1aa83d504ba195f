"""Headline numbers of an artifact: a folder of small files that DVC shows and diffs (`dvc metrics show/diff`).

`results/<artifact>/metrics.json` stays the complete record (every run, every statistic, definitions) that the
claims and the report read; DVC cannot show it (lists, strings and nulls) and no terminal fits it. The headline
is derived from it, for any artifact, as one file per thing a reader compares between two commits, each with a
few numbers under the same short names, so that `dvc metrics show` prints one narrow row per file:

- `protocol.json`: the run counts {runs, met (the protocol), unfit (never reached the stopping rule), diverged},
  when the artifact has them;
- `claim<id>.<slug>.json`: {est, lo, hi} of each claim check on this artifact: its estimate and interval ends,
  what its verdict is read from; the slug is the check's `name:` in config/claims.yaml after its for_each values
  (`claim4.cnn-test-accuracy-high-b-w-minus-random.json`), so that the file says what it holds;
- the key results only where no claim check reads the artifact: `<group>.json` per summary group, with the mean
  of each quantity of KEY_RESULTS (or of every summarized metric when none of those is present).

Numbers only, finite, no nulls (a missing value is left out), keys in a stable order. The folder holds these
files and nothing else: Snakemake tracks `results/<artifact>/headline.json` (every entry in one file, written with
the folder), because a `directory()` output gets Snakemake's `.snakemake_timestamp` inside it, which DVC would
show as a row of dashes.

Beside it, `runs.csv`: the metrics' `runs` as a table (one row per run, its numbers, names and flags; empty
where a run lacks a value): the data of DVC's plots of a sweep (x: the swept value, y: the result).

    initgen headline --metrics results/fig1_depth/metrics.json --claims config/claims.yaml \
        --out results/fig1_depth/headline --index results/fig1_depth/headline.json \
        --runs-csv results/fig1_depth/runs.csv
"""

from __future__ import annotations

import argparse
import math
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from initgen.core.files import read_json, rows_csv, write_json, write_text
from initgen.reporting.claims.registry import load_registry
from initgen.reporting.claims.verdicts import evaluate_claims


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value if math.isfinite(value) else None


# What a reader compares between two commits when no claim check reads an artifact: its results, not the
# diagnostics (steps, centroids, residual bounds) that metrics.json also keeps.
KEY_RESULTS = ("test_acc", "train_acc", "test_mse", "hf_fraction_final", "trace", "top_eigenvalue", "spearman_rho")


def _flatten(node: Any, prefix: str, out: dict, keep: tuple[str, ...] | None = None) -> None:
    if isinstance(node, dict):
        if "mean" in node and "n" in node:  # one summarized metric (results.summarize): its mean
            if (keep is None or prefix.rsplit(".", 1)[-1] in keep) and (mean := _number(node["mean"])) is not None:
                out[prefix] = mean
            return
        for key, value in node.items():
            _flatten(value, f"{prefix}.{key}" if prefix else str(key), out, keep)
    elif (number := _number(node)) is not None and prefix and (keep is None or prefix.rsplit(".", 1)[-1] in keep):
        out[prefix] = number


# protocol.json's names for initgen.analysis.protocol's counts, short so that a row fits a terminal
PROTOCOL_KEYS = {"runs": "runs", "met_protocol": "met", "not_fitted": "unfit", "diverged": "diverged"}
CHECK_FIELDS = (("estimate", "est"), ("ci_low", "lo"), ("ci_high", "hi"))


def file_stem(group: str) -> str:
    """A summary group's path as a file name: "dataset=digits/model=mlp" -> "dataset-digits.model-mlp"."""
    return re.sub(r"[^A-Za-z0-9_.+-]+", "_", group.replace("/", ".").replace("=", "-")) or "summary"


SLUG_LENGTH = 50  # long enough to tell a claim's checks apart, short enough for a narrow `dvc metrics show` row


def slug(text: str, length: int = SLUG_LENGTH) -> str:
    """Lowercase, every run of other characters than letters and digits one '-', at most `length` characters
    (cut at a word boundary where there is one)."""
    words = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    if len(words) <= length:
        return words
    cut = words[:length + 1].rsplit("-", 1)[0] if "-" in words[:length + 1] else words[:length]
    return cut.strip("-")


def check_stems(checks: list[dict]) -> list[str]:
    """File stems of an artifact's evaluated checks (each with its `claim`, `name` and `for_each_values`):
    `claim<id>.<slug of the for_each values and the name>`, numbered `-2`, `-3` where two would coincide."""
    stems: list[str] = []
    for check in checks:
        stem = f"claim{check['claim']}.{slug(' '.join([*check['for_each_values'], check['name']]))}"
        unique, k = stem, 2
        while unique in stems:
            unique, k = f"{stem}-{k}", k + 1
        stems.append(unique)
    return stems


def headline(metrics: dict, checks: list[dict] | None = None) -> dict[str, dict[str, float | int]]:
    """The headline of one artifact's metrics.json and its claim checks: file stem -> its numbers (module
    docstring); a file without a number is left out."""
    files: dict[str, dict[str, float | int]] = {}
    rows = metrics.get("protocol", [])  # per-group counts (initgen.analysis.protocol.counts): the artifact's totals
    if rows:
        files["protocol"] = {short: sum(int(row[key]) for row in rows) for key, short in PROTOCOL_KEYS.items()}
    for check, stem in zip(checks or [], check_stems(checks or []), strict=True):
        numbers = {short: n for field, short in CHECK_FIELDS if (n := _number(check.get(field))) is not None}
        if numbers:
            files[stem] = numbers
    if not checks:
        results: dict = {}
        _flatten(metrics.get("summary", {}), "", results, KEY_RESULTS)
        if not results:
            _flatten(metrics.get("summary", {}), "", results)
        for key, value in results.items():
            group, _, metric = key.rpartition(".")
            files.setdefault(file_stem(group), {})[metric] = value
    return files


def write_headline(folder: str | Path, files: dict[str, dict]) -> None:
    """Replace `folder` by one JSON file per headline entry (and nothing else), all at once: built beside it,
    then swapped in."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=folder.parent))
    try:
        for stem, numbers in files.items():
            write_json(staging / f"{stem}.json", numbers)
        old = folder.with_name(f".{folder.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        if folder.exists():
            folder.rename(old)
        staging.rename(folder)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def artifact_checks(registry: dict, metrics_path: str | Path) -> list[dict]:
    """Every claim check (evidence and sanity) that reads this artifact's metrics, evaluated on it, with its
    claim's id, its `name:` in the registry and its for_each values (what its headline file is named for)."""
    artifact = Path(metrics_path).parent.name
    names = {str(claim["id"]): [check["name"] for check in claim["checks"]] for claim in registry["claims"]}
    out = []
    for claim in evaluate_claims(registry, [metrics_path]):
        for check in claim["checks"]:
            if check["verdict"] == "not run" or check["artifact"] != artifact:
                continue
            # key: claim<id>.<position in the claim>[.<for_each value>...] (initgen.reporting.claims.verdicts)
            position, _, values = check["key"].removeprefix(f"claim{claim['id']}.").partition(".")
            out.append(check | {"claim": claim["id"], "name": names[claim["id"]][int(position) - 1],
                                "for_each_values": values.split(".") if values else []})
    return out


def runs_table(metrics: dict) -> str:
    """CSV of the runs' scalar fields (columns in order of first appearance; lists and dicts left out)."""
    return rows_csv([run for run in metrics.get("runs", []) if isinstance(run, dict)])


def cli_headline(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="initgen headline", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--metrics", required=True, help="results/<artifact>/metrics.json")
    parser.add_argument("--claims", help="config/claims.yaml: add the estimate and interval of each check on it")
    parser.add_argument("--out", required=True, help="results/<artifact>/headline: the folder of headline files")
    parser.add_argument("--index", help="results/<artifact>/headline.json: every entry in one file, written after "
                        "the folder (what Snakemake tracks)")
    parser.add_argument("--runs-csv", help="results/<artifact>/runs.csv: the runs as a table")
    args = parser.parse_args(argv)
    metrics = read_json(args.metrics)
    checks = artifact_checks(load_registry(args.claims), args.metrics) if args.claims else None
    files = headline(metrics, checks)
    write_headline(args.out, files)
    if args.index:
        write_json(args.index, files)
    if args.runs_csv:
        write_text(args.runs_csv, runs_table(metrics))
    print(f"{args.out}: {len(files)} files, {sum(len(numbers) for numbers in files.values())} numbers")
    return 0
