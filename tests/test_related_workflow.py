"""End to end: asi, linear_imbalance and linear_width on a tiny config; reruns; bad input."""

from __future__ import annotations

import json

import pytest
from conftest import copy_workflow, load_test_config, planned_after_edit, planned_jobs, run_snakemake

from initgen.cli import main as initgen

TARGETS = ("asi", "linear_imbalance", "linear_width")
TINY = load_test_config("related")  # tests/configs/related/config.yaml
FILES = {
    "asi": ["asi.png", "asi.pdf", "asi_sweep.png", "asi_sweep.pdf", "summary.csv", "summary.md", "summary.tex",
            "sweep.csv", "sweep.md", "sweep.tex"],
    "linear_imbalance": ["linear_imbalance.png", "linear_imbalance.pdf", "summary.csv", "summary.md", "summary.tex"],
    "linear_width": ["linear_width.png", "linear_width.pdf", "summary.csv", "summary.md", "summary.tex"],
}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    workdir = copy_workflow(tmp_path_factory.mktemp("related") / "wf")
    run_snakemake(workdir, *TARGETS, overrides=TINY)
    return workdir


def _metrics(workdir, artifact):
    return json.loads((workdir / "results" / artifact / "metrics.json").read_text())


def test_three_artifacts_have_metrics_figures_and_tables(built):
    for artifact, names in FILES.items():
        folder = built / "results" / artifact
        assert _metrics(built, artifact)["artifact"] == artifact
        for name in names:
            assert (folder / name).stat().st_size > (5000 if name.endswith((".png", ".pdf")) else 100), name

    asi = _metrics(built, "asi")
    main = [r for r in asi["runs"] if r["part"] == "main"]
    assert {(r["variant"], r["seed"]) for r in main} == {(v, s) for v in ("original", "asi", "doubling", "rnd")
                                                         for s in (0, 1)}
    assert all(r["init_output_rms"] == 0.0 for r in main if r["variant"] == "asi")
    assert all(r["init_output_rms"] > 0.1 for r in main if r["variant"] in ("original", "rnd"))
    assert {"original/std=1.0", "asi/std=4.0"} <= set(asi["summary"]["sweep"])
    assert set(asi["summary"]["sweep_spearman"]) == {"original", "asi"}
    assert asi["summary"]["ntk_prediction"]["prediction_corr"]["n"] == 2

    imbalance = _metrics(built, "linear_imbalance")
    cases = imbalance["summary"]["cases"]
    assert cases["case=balanced"]["c"]["mean"] == pytest.approx(0.0, abs=1e-10)
    assert cases["case=u0.5_v0.02"]["c"]["mean"] > cases["case=u0.1_v0.1"]["c"]["mean"] > 0
    assert all(r["bound_ratio_max"] <= 1 + 1e-6 for r in imbalance["runs"])  # under Theorem 1's bound
    assert imbalance["summary"]["drift_ratio"]["x1_over_x0.5"]["mean"] == pytest.approx(2.0, rel=0.05)

    width = _metrics(built, "linear_width")
    assert width["summary"]["all_converged"]
    fit = width["summary"]["fit"]["random"]["distance_vs_inv_sqrt_h"]
    assert fit["slope"] > 0 and 0 <= fit["r2"] <= 1
    assert all(r["distance_relative"] < 0.02 for r in width["runs"] if r["init"] == "orthogonal")
    assert all(r["distance_relative"] > 0.1 for r in width["runs"] if r["init"] == "random")


def test_nothing_to_do_then_an_edit_reruns_only_what_depends_on_it(built):
    assert planned_jobs(built, *TARGETS, overrides=TINY) == {}
    for module, expected in [
        ("reporting/plots/asi_linear.py", {"asi_plot", "linear_imbalance_plot", "linear_width_plot"}),
        ("models/linear_network.py", {"linear_imbalance_run", "linear_width_run", "linear_imbalance_analyze",
                            "linear_width_analyze", "linear_imbalance_plot", "linear_width_plot"}),
        ("experiments/asi_linear_analyze.py", {"asi_analyze", "linear_imbalance_analyze", "linear_width_analyze",
                                            "asi_plot", "linear_imbalance_plot", "linear_width_plot"}),
    ]:
        jobs = planned_after_edit(built, module, *TARGETS, overrides=TINY)
        assert {rule for rule in jobs if rule not in TARGETS} == expected, module
        assert "asi_run" not in jobs


def test_bad_config_names_the_key_and_writes_nothing(tmp_path):
    workdir = copy_workflow(tmp_path / "wf")
    result = run_snakemake(workdir, "asi", overrides={"related": {"asi": {"width": 0}}}, check=False)
    assert result.returncode != 0
    assert "related.asi.width" in result.stdout + result.stderr
    assert not (workdir / "results").exists()


def test_cli_reports_a_missing_run_file(tmp_path, capsys):
    out = tmp_path / "metrics.json"
    code = initgen(["related-analyze", "--artifact", "linear_width", "--runs", str(tmp_path / "no.npz"),
                    "--out", str(out)])
    assert code == 1
    assert "no.npz not found" in capsys.readouterr().err
    assert not out.exists()
