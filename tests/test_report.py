"""The report: built by Snakemake on a tiny tree, opened in headless Chromium; `snakemake --report`; dose-response."""

from __future__ import annotations

import copy
import json
import os
import re
from pathlib import Path

import pytest
import yaml
from conftest import REPO, copy_workflow, load_test_config, planned_jobs, run_snakemake

from initgen.core.errors import UserFacingError
from initgen.reporting import report
from initgen.reporting.claims.verdicts import VERDICTS
from initgen.reporting.dose_response import analyze, collect_points


def tiny_curvature_config() -> dict:
    """The default flat-minima and deep-Hessian configs shrunk: 1 draw, width 16, few steps, the tiny deep models."""
    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    tiny = {}
    if "flat_minima" in config:
        flat = copy.deepcopy(config["flat_minima"])
        flat["draws"] = 1
        flat["seeds"] = [0, 1]  # as the other tiny configs
        flat["test_points"] = 128
        for variant in flat["variants"].values():
            variant["model"]["width"] = 16
            variant["train"]["steps"] = min(variant["train"]["steps"], 100)
            if "steps" in variant["init"]:
                variant["init"]["steps"] = 20
        tiny["flat_minima"] = flat
    if "deep_hessian" in config:
        tiny["deep_hessian"] = {"datasets": load_test_config("deep")["deep"]["datasets"], "samples": 32}
    return tiny


def tiny_config() -> dict:
    """The tiny configs of the workflow tests together: every artifact in minutes."""
    cases = {"related": load_test_config("related")["related"], "deep": load_test_config("deep")["deep"]}
    return load_test_config("toy") | cases | tiny_curvature_config()


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    workdir = copy_workflow(tmp_path_factory.mktemp("report") / "wf")
    run_snakemake(workdir, overrides=tiny_config(), timeout=1800)
    return workdir


def needs_chromium():
    if report.chromium() is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but no Chromium is installed (apt-get install chromium)")
        pytest.skip("no Chromium on PATH (Debian: apt-get install chromium)")


@pytest.mark.slow
def test_report_has_claims_first_every_artifact_and_tables(built):
    out = built / "results/report"
    page = (out / "index.html").read_text()
    verdicts = json.loads((out / "metrics.json").read_text())["claims"]
    assert {c["id"] for c in verdicts} >= {"1", "2", "3", "4", "5", "6", "ASI", "Linear-1", "Linear-2"}
    assert all(c["verdict"] in VERDICTS for c in verdicts)
    # claims first, then the artifacts beside their captions, then config, environment, run times
    positions = [page.index(f'id="{anchor}"') for anchor in ("claims", "artifacts", "config", "environment",
                                                             "run-times")]
    assert positions == sorted(positions)
    for artifact in ("fig1_depth", "fig3_init_spectrum", "table1_digits", "fig6_input_gradients", "asi",
                     "linear_width", "dose_response"):
        assert f'id="{artifact}"' in page
    assert "Experiment 1" in page and "leaves the high-frequency spike untouched" in page  # captions
    assert "torch" in page and "git commit" in page and "logs/benchmark" not in page
    assert re.search(r"total \(\d+ jobs\)", page)  # the run-time table read the benchmark files
    images = re.findall(r'<img src="data:image/png;base64,', page)
    pngs = [p for p in (built / "results").glob("*/*.png")]
    assert len(images) == len(pngs) > 10
    for suffix in (".csv", ".md", ".tex"):
        assert (out / f"claims{suffix}").stat().st_size > 100
    claims_md = (out / "claims.md").read_text()
    assert all(f"| {c['id']} " in claims_md for c in verdicts)


@pytest.mark.slow
def test_chromium_loads_every_image_and_shows_the_claims(built, tmp_path):
    needs_chromium()
    html = built / "results/report/index.html"
    dom = report.dump_dom(html)
    loaded = re.search(r'data-images-loaded="(\d+)/(\d+)"', dom)
    assert loaded, "the page's load script did not run"
    assert loaded.group(1) == loaded.group(2) and int(loaded.group(2)) > 10
    fit = re.search(r'data-tables-fit="(\d+)/(\d+)"', dom)  # at 1280 px: every column of every table visible
    assert fit and fit.group(1) == fit.group(2) and int(fit.group(2)) > 10, fit and fit.group(0)
    assert "test MSE" in dom and "HF energy at init (fraction above Nyquist)" in dom and "hf_fraction_init" not in dom
    assert '<h2 id="claims">Claims</h2>' in dom and re.search(r"<td[^>]*>(not )?reproduced</td>|inconclusive", dom)
    shot = report.screenshot(html, tmp_path / "report.png")
    header = shot.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert int.from_bytes(header[16:20], "big") == 1280 and shot.stat().st_size > 20_000


@pytest.mark.slow
def test_snakemake_report_uses_the_captions(built):
    run_snakemake(built, "--report", "report.html", overrides=tiny_config())
    page = (built / "report.html").read_text(errors="replace")
    assert "fig1_depth" in page and "Experiment 1" in page


@pytest.mark.slow
def test_nothing_to_do_after_the_build(built):
    assert planned_jobs(built, overrides=tiny_config()) == {}


@pytest.mark.slow
def test_dose_response_covers_1d_and_image_runs(built):
    metrics = json.loads((built / "results/dose_response/metrics.json").read_text())
    # one point per run that met its protocol (failed runs are counted in their artifact, never scored)
    valid_1d = 0
    for artifact in ("fig1_depth", "fig2_spectral_bias", "fig3_init_spectrum", "fig7_decay_rates"):
        runs = json.loads((built / f"results/{artifact}/metrics.json").read_text())["runs"]
        valid_1d += sum(r["met_protocol"] and r["steps_taken"] > 0 and r.get("test_mse") is not None for r in runs)
    assert valid_1d > 0 and metrics["summary"]["1-D"]["pooled"]["n"] == valid_1d
    table = json.loads((built / "results/table1_digits/metrics.json").read_text())["runs"]
    sweep = json.loads((built / "results/corruption_sweep/metrics.json").read_text())["runs"]
    keys = {(r["model"], r["init"], r["seed"]) for r in table + sweep if r["met_protocol"]}
    assert len(keys) >= 2  # the tiny deep config's random-init runs meet the protocol (tests/configs/deep)
    assert metrics["summary"]["images"]["pooled"]["n"] == len(keys)
    assert "fig5_highbw_1d" not in metrics["summary"]["1-D"]  # not trained: no gap


# ----------------------------------------------------------------------------------------- fast units
def _page(tmp_path, style: str, frame) -> Path:
    page = tmp_path / "page.html"
    page.write_text(f"<!DOCTYPE html><html><head><meta charset='utf-8'><style>{style}</style><script>"
                    f"{report.IMAGES_SCRIPT}</script></head><body>{report._table_html(frame)}</body></html>")
    return page


def test_a_wide_table_fits_1280_px_in_chromium_and_the_check_sees_one_that_does_not(tmp_path):
    import pandas as pd

    needs_chromium()
    wide = pd.DataFrame([{f"HF energy at init (fraction above Nyquist) {i}": f"0.{i}123456 [0.0{i}1, 0.{i}99999]"
                          for i in range(30)} for _ in range(3)])
    dom = report.dump_dom(_page(tmp_path, report.STYLE, wide), width=1280)
    assert 'data-tables-fit="1/1"' in dom
    unwrapped = report.STYLE + "th, td { white-space: nowrap; }"  # the old layout: cells never wrap
    assert 'data-tables-fit="0/1"' in report.dump_dom(_page(tmp_path, unwrapped, wide), width=1280)


def _write(path: Path, data: dict) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return str(path)


def test_dose_response_rank_correlation_on_synthetic_runs(tmp_path):
    toy = {"runs": [{"variant": "relu", "seed": s, "depth": 1, "steps_taken": 10, "centroid_init": c,
                     "train_mse_final": 0.0, "test_mse": 0.1 * c} for s, c in enumerate([1.0, 2.0, 3.0, 5.0, 8.0])]
           + [{"variant": "x", "seed": 0, "depth": 1, "steps_taken": 0, "centroid_init": 9.0,
               "train_mse_final": 0.0, "test_mse": 0.0}]}  # not trained: left out
    inits_seeds = [(i, s) for i in ("random", "highbw") for s in range(3)]
    # the gap grows with the seed and with high-B/W init, and so does the bandwidth: rank correlation 1
    table = {"dataset": "digits", "runs": [{"dataset": "digits", "model": "mlp", "init": i, "seed": s, "train_acc": 1.0,
                                            "test_acc": 0.9 - 0.01 * s - (0.05 if i == "highbw" else 0)}
                                           for i, s in inits_seeds]}
    fig6 = {"runs": [{"dataset": "digits", "model": "mlp", "init": i, "seed": s,
                      "bandwidth": (1.0 if i == "random" else 10.0) + s} for i, s in inits_seeds]}
    files = [_write(tmp_path / "results/fig3_init_spectrum/metrics.json", toy),
             _write(tmp_path / "results/table1_digits/metrics.json", table),
             _write(tmp_path / "results/fig6_input_gradients/metrics.json", fig6)]
    points = collect_points(files)
    stats = analyze(points)
    assert stats["1-D"]["pooled"]["n"] == 5 and stats["1-D"]["pooled"]["spearman_rho"] == pytest.approx(1.0)
    assert stats["images"]["digits"]["n"] == 6 and stats["images"]["digits"]["spearman_rho"] == pytest.approx(1.0)
    low, high = stats["images"]["pooled"]["ci_low"], stats["images"]["pooled"]["ci_high"]
    assert low < 1.0 and high == pytest.approx(1.0)
    for run in fig6["runs"]:
        run["bandwidth"] = -run["bandwidth"]
    _write(tmp_path / "results/fig6_input_gradients/metrics.json", fig6)
    assert analyze(collect_points(files))["images"]["pooled"]["spearman_rho"] == pytest.approx(-1.0)


def test_readme_claims_replaces_only_the_marked_block(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("intro\n<!-- claims:start -->\nold\n<!-- claims:end -->\nrest\n")
    claims = tmp_path / "claims.md"
    claims.write_text("| Claim | Verdict |\n|---|---|\n| 1 | reproduced |\n")
    assert report.cli_readme_claims(["--claims", str(claims), "--readme", str(readme)]) == 0
    assert readme.read_text() == ("intro\n<!-- claims:start -->\n| Claim | Verdict |\n|---|---|\n| 1 | reproduced |\n"
                                  "<!-- claims:end -->\nrest\n")
    readme.write_text("no markers\n")
    with pytest.raises(UserFacingError, match="claims:start"):
        report.cli_readme_claims(["--claims", str(claims), "--readme", str(readme)])


def test_report_refuses_a_missing_artifact_file(tmp_path):
    with pytest.raises(UserFacingError, match="fig1_depth/metrics.json not found"):
        report.build_report("config/claims.yaml", [str(tmp_path / "results/fig1_depth/metrics.json")],
                            tmp_path, {}, "9", tmp_path, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_verdicts_with_their_detail_take_their_verdicts_colour():
    from initgen.reporting.report import VERDICT_COLORS, verdict_color

    assert verdict_color("out of regime: NTK prediction r = 0.57 [0.41, 0.73]") == VERDICT_COLORS["out of regime"]
    assert verdict_color("inconclusive (regime not established)") == VERDICT_COLORS["inconclusive"]
    assert verdict_color("beyond the paper") == VERDICT_COLORS["beyond the paper"]
    assert verdict_color("not run") == VERDICT_COLORS["not run"] != VERDICT_COLORS["not reproduced"]
    assert verdict_color("sanity: holds") == VERDICT_COLORS["reproduced"] and verdict_color("3 of 5") is None
