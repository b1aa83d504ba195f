"""The README's picture of the report (docs/report.png) and the record of what it shows (docs/report.png.json).

`initgen report-screenshot` takes the picture with headless Chromium and writes beside it the sha256 of every file
of the report code at that moment: the modules `initgen report` runs (src/initgen/reporting/report.py and
everything it imports, read from the imports as for the workflow's code inputs) and the captions
(workflow/report/*.rst). tests/test_readme_picture.py fails when any of them changed since: the picture is then
older than the code it shows. Regenerate it from a current default run:

    snakemake --cores all && initgen report-screenshot --report results/report/index.html --out docs/report.png
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
from pathlib import Path

from initgen.core.files import read_json, write_json
from initgen.pipeline.code_inputs import import_closure
from initgen.reporting.report import screenshot

REPORT_MODULE = "initgen.reporting.report"
CAPTIONS = "workflow/report"


def pictured_files(repo: str | Path) -> list[Path]:
    """The report code under `repo`, relative to it: the report module's import closure and the captions."""
    repo = Path(repo)
    modules = import_closure(repo / "src/initgen", REPORT_MODULE)
    captions = sorted((repo / CAPTIONS).glob("*.rst"))
    return [path.relative_to(repo) for path in [*modules, *captions]]


def fingerprint(repo: str | Path) -> dict[str, str]:
    """Relative path -> sha256 of each file of the report code."""
    repo = Path(repo)
    return {str(path): hashlib.sha256((repo / path).read_bytes()).hexdigest() for path in pictured_files(repo)}


def sidecar_path(png: str | Path) -> Path:
    return Path(f"{png}.json")


def changed_since(recorded: dict[str, str], current: dict[str, str]) -> list[str]:
    """Files of the report code edited, added or removed since the picture was taken, sorted."""
    return sorted(path for path in set(recorded) | set(current) if recorded.get(path) != current.get(path))


def stale_files(png: str | Path, repo: str | Path) -> list[str]:
    """What changed in the report code since `png` was taken (every current file when it has no record)."""
    record = sidecar_path(png)
    recorded = read_json(record)["code"] if record.exists() else {}
    return changed_since(recorded, fingerprint(repo))


def cli_screenshot(argv: list[str]) -> int:
    """`initgen report-screenshot --report results/report/index.html --out docs/report.png`"""
    parser = argparse.ArgumentParser(prog="initgen report-screenshot", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--report", default="results/report/index.html", help="the report to open")
    parser.add_argument("--out", default="docs/report.png", help="PNG to write; its record goes to <out>.json")
    parser.add_argument("--repo", default=".", help="the repository whose report code the record hashes")
    parser.add_argument("--width", type=int, default=1280, help="window width in pixels")
    parser.add_argument("--height", type=int, default=2400, help="window height in pixels (the part captured)")
    args = parser.parse_args(argv)
    png = screenshot(args.report, args.out, args.width, args.height)
    write_json(sidecar_path(args.out), {"report": str(args.report), "taken": datetime.datetime.now(
        datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"), "code": fingerprint(args.repo)})
    print(f"{png} and {sidecar_path(args.out)}")
    return 0
