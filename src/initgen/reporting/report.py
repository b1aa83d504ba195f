"""The self-contained HTML report results/report/index.html, and the claims tables.

Reads only what it is given: the artifacts' files under results/ (metrics.json, PNG figures, CSV tables), the claims
registry, caption files (workflow/report/<artifact>.rst, shared with `snakemake --report`), the config (JSON),
Snakemake's benchmark files, and Snakemake's version as an argument (the library never imports Snakemake).
Order: claims table first, dose-response, each paper artifact beside its caption, config, environment, run times.
Figures are embedded as base64 PNGs; an inline script marks <body data-images-loaded="N/M"> once the page has
loaded, and <body data-tables-fit="K/T"> (tables no wider than their box and the window), which the
headless-Chromium test reads. Tables wrap their cells at word boundaries to fit (one that still does not may break
inside words: class "squeeze"); each sits in its own box that scrolls if even that cannot fit it.
"""

from __future__ import annotations

import argparse
import base64
import html
import importlib.metadata
import os
import platform
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import yaml

from initgen.core.arguments import json_arg
from initgen.core.errors import UserFacingError
from initgen.core.files import read_json, write_json, write_text
from initgen.pipeline.artifacts import caption_path
from initgen.reporting.claims.registry import load_registry
from initgen.reporting.claims.tables import claims_frame, summary_frame
from initgen.reporting.claims.verdicts import check_sanity, evaluate_claims
from initgen.reporting.sensitivity import at_chosen_values
from initgen.reporting.tables import write_table

VERDICT_COLORS = {"reproduced": "#c8e6c9", "not reproduced": "#ffcdd2", "inconclusive": "#fff3c4", "not run": "#e0e0e0",
                  "out of regime": "#d6e4f5", "beyond the paper": "#e6dcf2", "descriptive": "#f2f2f2"}


def verdict_color(value: str) -> str | None:
    """Colour of a verdict cell; a verdict with its detail ("out of regime: r = 0.57 [...]", "inconclusive (regime
    not established)", "sanity: holds") takes its verdict's colour."""
    text = value.removeprefix("sanity: ").replace("holds", "reproduced")
    for verdict in sorted(VERDICT_COLORS, key=len, reverse=True):
        if text == verdict or text.startswith((f"{verdict}:", f"{verdict} (")):
            return VERDICT_COLORS[verdict]
    return None
PACKAGES = ("torch", "numpy", "scipy", "pandas", "matplotlib", "scikit-learn", "initgen")
README_START, README_END = "<!-- claims:start -->", "<!-- claims:end -->"

STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1200px; margin: 1em auto; padding: 0 1em; color: #222; }
.table-box { max-width: 100%; overflow-x: auto; margin: 0.5em 0 1em; }
table { border-collapse: collapse; font-size: 12px; max-width: 100%; }
th, td { border: 1px solid #ccc; padding: 3px 6px; text-align: left; vertical-align: top; overflow-wrap: break-word; }
th { background: #f2f2f2; }
.artifact { border-top: 1px solid #ddd; padding-top: 0.8em; }
.artifact .figure-row { display: flex; gap: 1.5em; align-items: flex-start; }
.artifact .caption { flex: 0 0 300px; font-size: 13px; }
.artifact .content { flex: 1 1 auto; min-width: 0; overflow-x: auto; }
.artifact .tables { max-width: 100%; }
table.squeeze th, table.squeeze td { overflow-wrap: anywhere; }
.table-caption { font-size: 12px; color: #444; margin: 0.2em 0; }
.artifact img { max-width: 100%; }
pre { background: #f7f7f7; padding: 0.6em; font-size: 11px; overflow-x: auto; }
"""
IMAGES_SCRIPT = """
window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.images);
  var loaded = images.filter(function (i) { return i.complete && i.naturalWidth > 0; }).length;
  document.body.setAttribute("data-images-loaded", loaded + "/" + images.length);
  // every table must fit its box and the window, all columns visible without scrolling (folded ones too)
  var closed = Array.prototype.slice.call(document.querySelectorAll("details:not([open])"));
  closed.forEach(function (d) { d.open = true; });
  var tables = Array.prototype.slice.call(document.querySelectorAll("table"));
  // cells wrap at word boundaries; a table still wider than its box may break inside words as well
  tables.forEach(function (t) { if (t.scrollWidth > t.parentElement.clientWidth + 1) t.classList.add("squeeze"); });
  var fit = tables.filter(function (t) {
    var box = t.parentElement, right = t.getBoundingClientRect().right;
    return t.scrollWidth <= box.clientWidth + 1 && right <= box.getBoundingClientRect().right + 1
      && right <= document.documentElement.clientWidth + 1;
  }).length;
  closed.forEach(function (d) { d.open = false; });
  document.body.setAttribute("data-tables-fit", fit + "/" + tables.length);
});
"""


# ---------------------------------------------------------------------------------------------- pieces
def caption_for(artifact: str, captions_dir) -> str:
    """Caption text of an artifact (the file names.caption_path finds, as Snakemake's report does), or ''."""
    path = caption_path(artifact, captions_dir)
    return "" if path is None else path.read_text().strip()


def _paragraphs(text: str) -> str:
    """Caption text (plain reStructuredText: paragraphs, **bold**) as HTML."""
    paragraphs = [html.escape(" ".join(p.split())) for p in re.split(r"\n\s*\n", text) if p.strip()]
    return "".join("<p>" + re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", p) + "</p>" for p in paragraphs)


def _image(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{html.escape(path.name)}">'


def _table_html(frame: pd.DataFrame, verdict_columns=()) -> str:
    rows = ["<tr>" + "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns) + "</tr>"]
    for _, row in frame.iterrows():
        cells = []
        for column, value in row.items():
            style = ""
            if column in verdict_columns:
                failed = VERDICT_COLORS["not reproduced"] if "FAILED" in str(value) else "#fff"
                color = verdict_color(str(value)) or failed
                style = f' style="background:{color}"'
            cells.append(f"<td{style}>{html.escape(str(value))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return '<div class="table-box"><table>' + "".join(rows) + "</table></div>"


def _table_caption(csv_path: Path) -> str:
    """The caption tables.write_table put above the Markdown table beside `csv_path` (it names the intervals)."""
    markdown = csv_path.with_suffix(".md")
    if not markdown.exists():
        return ""
    head = markdown.read_text().split("\n\n", 1)[0].strip()
    return "" if not head or head.startswith("|") else f'<p class="table-caption">{html.escape(head)}</p>'


def group_artifacts(files: list[str]) -> dict[str, list[Path]]:
    """results/<artifact>/<file> -> {artifact: files}, in the order given (the workflow's target order)."""
    artifacts: dict[str, list[Path]] = {}
    for name in files:
        path = Path(name)
        if len(path.parts) >= 3 and path.parts[-3] == "results":
            artifacts.setdefault(path.parts[-2], []).append(path)
    return artifacts


def environment(snakemake_version: str, device: str) -> dict[str, str]:
    """Package versions, the device and the git commit."""
    env = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            env[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            env[package] = "not installed"
    env["snakemake"] = snakemake_version
    env["device (config)"] = device
    env["cpu"] = _cpu_name() + f" ({os.cpu_count()} logical cores)"
    env["gpu"] = "not used (device: cpu)" if device == "cpu" else _gpu_name()  # importing torch costs seconds
    env["platform"] = platform.platform()
    env["git commit"] = _git_commit()
    return env


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _gpu_name() -> str:
    try:
        import torch

        if torch.cuda.is_available():
            return ", ".join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count()))
    except Exception:  # noqa: BLE001 - the report must render without a working torch
        return "unknown"
    return "none"


def _git_commit() -> str:
    if shutil.which("git") is None:
        return "unknown"
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=10)
        if commit.returncode != 0:
            return "unknown"
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True, timeout=10).stdout.strip()
        return commit.stdout.strip() + (" (with uncommitted changes)" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def run_times(benchmark_dir) -> pd.DataFrame:
    """Per job: wall seconds and peak memory from Snakemake's benchmark files logs/benchmark/**/*.tsv."""
    rows = []
    root = Path(benchmark_dir)
    for path in sorted(root.rglob("*.tsv")) if root.exists() else []:
        try:
            frame = pd.read_csv(path, sep="\t")
        except (pd.errors.ParserError, pd.errors.EmptyDataError, OSError):
            continue
        if frame.empty or "s" not in frame:
            continue
        rows.append({"job": str(path.relative_to(root).with_suffix("")), "seconds": float(frame["s"].iloc[-1]),
                     "max RSS (MB)": float(frame["max_rss"].iloc[-1]) if "max_rss" in frame else float("nan")})
    frame = pd.DataFrame(rows, columns=["job", "seconds", "max RSS (MB)"])
    if not frame.empty:
        frame = frame.sort_values("seconds", ascending=False)
        frame.loc[len(frame)] = {"job": f"total ({len(rows)} jobs)", "seconds": frame["seconds"].sum(),
                                 "max RSS (MB)": frame["max RSS (MB)"].max()}
        frame["seconds"] = frame["seconds"].map(lambda s: f"{s:.1f}")
        frame["max RSS (MB)"] = frame["max RSS (MB)"].map(lambda m: f"{m:.0f}")
    return frame


def protocol_frame(metrics_files: list[str]) -> pd.DataFrame:
    """One row per artifact group from each metrics.json's "protocol" counts (artifacts without it are left out)."""
    rows = []
    for path in metrics_files:
        metrics = read_json(path)
        for row in metrics.get("protocol", []):
            group = ", ".join(f"{k}={v}" for k, v in row.items()
                              if k not in ("runs", "met_protocol", "not_fitted", "diverged"))  # fmt: skip
            failed = row["runs"] - row["met_protocol"]
            rows.append({"Artifact": Path(path).parent.name, "Group": group, "Runs": row["runs"],
                         "Met protocol": row["met_protocol"], "Did not fit": row["not_fitted"],
                         "Diverged": row["diverged"], "Failed": "none" if not failed else f"{failed} FAILED"})
    return pd.DataFrame(rows, columns=["Artifact", "Group", "Runs", "Met protocol", "Did not fit", "Diverged",
                                       "Failed"])  # fmt: skip


# ---------------------------------------------------------------------------------------------- report
def build_report(
    registry_path,
    files: list[str],
    captions_dir,
    config: dict,
    snakemake_version: str,
    benchmark_dir,
    out_dir,
) -> list[dict]:
    """Evaluate the claims, write claims.{json,csv,md,tex}, metrics.json and index.html. Returns the verdicts."""
    out_dir = Path(out_dir)
    for name in files:
        if not Path(name).exists():
            raise UserFacingError(f"{name} not found: the report reads every artifact's outputs; build them first")
    artifacts = group_artifacts(files)
    metrics_files = [str(p) for paths in artifacts.values() for p in paths if p.name == "metrics.json"]
    verdicts = evaluate_claims(load_registry(registry_path), metrics_files)
    check_sanity(verdicts)  # a violated identity fails the report: nothing is written
    summary = summary_frame(verdicts)
    sensitivity = [p for paths in artifacts.values() for p in paths if p.name == "sensitivity.json"]
    if sensitivity:  # each verdict beside how it depends on our choices (target `sensitivity`)
        grid = read_json(sensitivity[0])
        summary.insert(summary.columns.get_loc("Verdict") + 1, "Across the sensitivity grid",
                       [grid["claims"].get(str(c), {}).get("summary", "not varied") for c in summary["Claim"]])
        # the verdict where each lost value is set by feasibility alone (results/sensitivity/choices)
        summary.insert(summary.columns.get_loc("Verdict") + 2, "At the values chosen by feasibility",
                       [at_chosen_values(grid.get("choices", {}), c) for c in summary["Claim"]])
    protocol_table = protocol_frame(metrics_files)
    details = claims_frame(verdicts)
    write_table(summary, out_dir / "claims", "Paper claims: verdict per claim (checks in claims_detail).")
    write_table(details, out_dir / "claims_detail", "Every check of every claim, with the numbers behind it.")
    write_json(out_dir / "metrics.json", {
        "artifact": "report",
        "claims": verdicts,
        "summary": {c["id"]: c["verdict"] for c in verdicts},
    })

    parts = [
        "<h1>initgen: how initialization decides generalization</h1>",
        "<p>Verdicts come from config/claims.yaml, each check from a sentence of the paper (quoted in the detail "
        "table): a check is <i>reproduced</i> when its 95% interval lies wholly beyond the claimed threshold, "
        "<i>not reproduced</i> when wholly on the other side, <i>inconclusive</i> when it straddles it or there "
        "are too few seeds. <i>Out of regime</i>: the runs are measured not to be in the regime the sentence is "
        "about; <i>beyond the paper</i>: a setting the sentence does not cover; <i>descriptive</i>: a number the "
        "paper shows without claiming a direction. These three are shown, and never decide a claim.</p>",
        '<h2 id="claims">Claims</h2>',
        _table_html(summary, verdict_columns=("Verdict",)),
        "<details><summary>Every check, with the numbers behind it</summary>",
        _table_html(details, verdict_columns=("Claim verdict", "Check verdict")),
        "</details>",
        '<h2 id="protocol">Runs: did every network do what the protocol requires?</h2>',
        "<p>Per artifact and group: runs, runs that met the protocol (reached the stopping rule or target "
        "accuracy, stayed finite), runs that never fitted and runs that diverged. Failed runs are excluded from "
        "every summary and verdict, and marked in the figures.</p>",
        _table_html(protocol_table, verdict_columns=("Failed",)),
        '<h2 id="artifacts">Figures and tables</h2>',
    ]
    for artifact, paths in artifacts.items():
        images = "".join(_image(p) for p in paths if p.suffix == ".png")
        tables = "".join(
            f"<h4>{html.escape(p.name)}</h4>{_table_caption(p)}" + _table_html(pd.read_csv(p, dtype=str).fillna(""))
            for p in paths if p.suffix == ".csv"
        )
        parts.append(  # figures beside the caption; tables below, across the page's full width
            f'<section class="artifact" id="{html.escape(artifact)}"><div class="figure-row"><div class="caption">'
            f"<h3>{html.escape(artifact)}</h3>{_paragraphs(caption_for(artifact, captions_dir))}</div>"
            f'<div class="content">{images}</div></div><div class="tables">{tables}</div></section>'
        )
    parts += [
        '<h2 id="config">Config</h2>',
        f"<pre>{html.escape(yaml.safe_dump(config, sort_keys=False))}</pre>",
        '<h2 id="environment">Environment</h2>',
        _table_html(pd.DataFrame(list(environment(snakemake_version, str(config.get("device"))).items()),
                                 columns=["", "version / value"])),
        '<h2 id="run-times">Run times per job (Snakemake benchmark files)</h2>',
        _table_html(run_times(benchmark_dir)),
    ]
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>initgen report</title>'
        f"<style>{STYLE}</style><script>{IMAGES_SCRIPT}</script></head>\n<body>\n" + "\n".join(parts)
        + "\n</body></html>\n"
    )
    write_text(out_dir / "index.html", page)
    return verdicts


def cli_report(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="initgen report", description="Evaluate the claims and write the "
                                     "self-contained HTML report results/report/index.html with the claims tables.")
    parser.add_argument("--registry", required=True, help="config/claims.yaml")
    parser.add_argument("--files", nargs="+", required=True, help="every artifact's outputs results/<artifact>/...")
    parser.add_argument("--captions", required=True, help="folder of <artifact>.rst captions (workflow/report)")
    parser.add_argument("--config", required=True, help="the config used, as JSON")
    parser.add_argument("--snakemake-version", default="unknown", help="shown in the environment table")
    parser.add_argument("--benchmarks", default="logs/benchmark", help="Snakemake's benchmark folder")
    parser.add_argument("--out-dir", required=True, help="folder for index.html, metrics.json and claims tables")
    args = parser.parse_args(argv)
    verdicts = build_report(args.registry, args.files, args.captions, json_arg(args.config, "config"),
                            args.snakemake_version, args.benchmarks, args.out_dir)
    for claim in verdicts:
        print(f"claim {claim['id']}: {claim['verdict']}")
    return 0


# ------------------------------------------------------------------------------------ README, screenshot
def replace_claims_block(readme_text: str, claims_markdown: str) -> str:
    """README text with the block between the claims markers replaced by `claims_markdown`."""
    if README_START not in readme_text or README_END not in readme_text:
        raise UserFacingError(f"README lacks the markers {README_START} and {README_END}; add them where the "
                              "claims table goes")
    head, rest = readme_text.split(README_START, 1)
    _, tail = rest.split(README_END, 1)
    return f"{head}{README_START}\n{claims_markdown.strip()}\n{README_END}{tail}"


def cli_readme_claims(argv: list[str]) -> int:
    """`initgen readme-claims --claims results/report/claims.md --readme README.md`"""
    parser = argparse.ArgumentParser(prog="initgen readme-claims", description="Put the claims table in README.")
    parser.add_argument("--claims", default="results/report/claims.md", help="the report's claims table (Markdown)")
    parser.add_argument("--readme", default="README.md", help="file with the claims:start/claims:end markers")
    args = parser.parse_args(argv)
    if not Path(args.claims).exists():
        raise UserFacingError(f"{args.claims} not found: build the report first (snakemake --cores all)")
    text = Path(args.readme).read_text()
    write_text(args.readme, replace_claims_block(text, Path(args.claims).read_text()))
    print(f"updated the claims table in {args.readme}")
    return 0


def chromium() -> str | None:
    """Path of a Chromium binary, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _chromium_command(*args: str) -> list[str]:
    binary = chromium()
    if binary is None:
        raise UserFacingError("no Chromium found on PATH: install Debian's `chromium` package")
    return [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *args]


def screenshot(report: str | Path, png: str | Path, width: int = 1280, height: int = 2400) -> Path:
    """A PNG of the report's first `height` pixels, taken by headless Chromium."""
    report, png = Path(report).resolve(), Path(png).resolve()
    if not report.exists():
        raise UserFacingError(f"{report} not found: build the report first (snakemake --cores all)")
    png.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(_chromium_command(f"--screenshot={png}", f"--window-size={width},{height}", report.as_uri()),
                   check=True, capture_output=True, timeout=120)
    return png


def dump_dom(report: str | Path, width: int = 1280, height: int = 2400) -> str:
    """The DOM after the page's load event (so the images and tables checks have run), by headless Chromium
    with a window `width` pixels wide."""
    result = subprocess.run(_chromium_command("--dump-dom", "--virtual-time-budget=10000",
                                              f"--window-size={width},{height}", Path(report).resolve().as_uri()),
                            check=True, capture_output=True, text=True, timeout=120)
    return result.stdout


if __name__ == "__main__":
    sys.exit(cli_report(sys.argv[1:]))
