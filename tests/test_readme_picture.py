"""The README's picture of the report is current: docs/report.png.json records the sha256 of the report code at
capture time (initgen report-screenshot), and a test fails when that code changed since."""

from __future__ import annotations

import json
import shutil

import pytest
from conftest import REPO

from initgen.reporting import readme_picture, report

REGENERATE = ("snakemake --cores all && initgen report-screenshot --report results/report/index.html "
              "--out docs/report.png  (then commit docs/report.png and docs/report.png.json)")


def test_the_readme_picture_is_not_older_than_the_report_code_it_shows():
    record = readme_picture.sidecar_path(REPO / "docs/report.png")
    assert record.exists(), f"docs/report.png has no record of the code it shows ({record.name}): {REGENERATE}"
    stale = readme_picture.stale_files(REPO / "docs/report.png", REPO)
    assert not stale, (f"docs/report.png is older than the report code it shows ({len(stale)} files changed: "
                       f"{', '.join(stale[:5])}{' ...' if len(stale) > 5 else ''}); regenerate it: {REGENERATE}")


def test_the_record_covers_the_report_modules_their_imports_and_the_captions_only():
    files = {str(path) for path in readme_picture.pictured_files(REPO)}
    assert {"src/initgen/reporting/report.py", "src/initgen/reporting/tables.py",  # imported by report.py
            "src/initgen/reporting/claims/verdicts.py", "workflow/report/fig1_depth.rst"} <= files
    assert "src/initgen/training/sgd.py" not in files and "src/initgen/reporting/headline.py" not in files


def copy_report_code(destination):
    for part in ("src/initgen", "workflow/report"):
        shutil.copytree(REPO / part, destination / part, ignore=shutil.ignore_patterns("__pycache__"))
    return destination


def test_an_edit_an_added_caption_or_a_removed_file_makes_the_picture_stale(tmp_path):
    repo = copy_report_code(tmp_path / "repo")
    png = repo / "docs/report.png"
    png.parent.mkdir()
    assert readme_picture.stale_files(png, repo) == [str(p) for p in readme_picture.pictured_files(repo)]  # no record
    readme_picture.sidecar_path(png).write_text(json.dumps({"code": readme_picture.fingerprint(repo)}))
    assert readme_picture.stale_files(png, repo) == []
    tables = repo / "src/initgen/reporting/tables.py"
    tables.write_text(tables.read_text() + "# edited\n")
    (repo / "workflow/report/new.rst").write_text("A new caption.\n")
    (repo / "workflow/report/fig1_depth.rst").unlink()
    assert readme_picture.stale_files(png, repo) == ["src/initgen/reporting/tables.py",
                                                     "workflow/report/fig1_depth.rst", "workflow/report/new.rst"]
    (repo / "src/initgen/training/sgd.py").write_text("# not report code\n")
    assert len(readme_picture.stale_files(png, repo)) == 3


def test_the_command_writes_the_picture_and_its_record(tmp_path):
    if report.chromium() is None:
        pytest.skip("no Chromium on PATH (Debian: apt-get install chromium)")
    page = tmp_path / "index.html"
    page.write_text("<!DOCTYPE html><html><body><h1>Claims</h1><table><tr><td>reproduced</td></tr></table>"
                    "</body></html>")
    out = tmp_path / "docs/report.png"
    assert readme_picture.cli_screenshot(["--report", str(page), "--out", str(out), "--repo", str(REPO),
                                          "--height", "600"]) == 0
    header = out.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(header[16:20], "big") == 1280
    assert int.from_bytes(header[20:24], "big") == 600
    record = json.loads((tmp_path / "docs/report.png.json").read_text())
    assert record["code"] == readme_picture.fingerprint(REPO) and record["report"] == str(page)
    assert readme_picture.stale_files(out, REPO) == []
