"""Claims registry: verdicts on synthetic metrics (present, absent, too few seeds, straddling), errors, schema."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from conftest import REPO

from initgen.cli import main as initgen
from initgen.reporting.claims.registry import ClaimsError, load_registry
from initgen.reporting.claims.verdicts import evaluate_claims

TABLE_CHECK = {
    "name": "test accuracy high-B/W minus random",
    "artifact": "table1_*",
    "values": {"paired": {"metric": "test_acc", "a": {"init": "highbw"}, "b": {"init": "random"}, "pair_by": "seed"}},
    "for_each": "model",
    "direction": "less",
    "threshold": -0.01,
}


def write_metrics(root: Path, artifact: str, metrics: dict) -> str:
    path = root / "results" / artifact / "metrics.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(metrics))
    return str(path)


def write_registry(root: Path, *checks: dict, defaults: dict | None = None) -> Path:
    path = root / "claims.yaml"
    registry = {"defaults": defaults or {"alpha": 0.05, "min_n": 3},
                "claims": [{"id": "4", "statement": "s", "source": "Table 1", "checks": list(checks)}]}
    path.write_text(yaml.safe_dump(registry))
    return path


def table_runs(drop: float, noise: float, seeds=range(5), model="mlp", rng_seed=0) -> dict:
    """Runs of a table1 artifact: high-B/W tests `drop` lower than random, plus per-seed noise."""
    rng = np.random.default_rng(rng_seed)
    runs = []
    for seed in seeds:
        base = 0.95 + 0.01 * rng.standard_normal()
        runs.append({"model": model, "init": "random", "seed": seed, "test_acc": base, "train_acc": 1.0})
        runs.append({"model": model, "init": "highbw", "seed": seed, "train_acc": 1.0,
                     "test_acc": base - drop + noise * rng.standard_normal()})
    return {"artifact": "table1_digits", "runs": runs}


def verdicts(tmp_path, metrics: dict, *checks, artifact="table1_digits", defaults=None):
    files = [write_metrics(tmp_path, artifact, metrics)]
    return evaluate_claims(load_registry(write_registry(tmp_path, *checks, defaults=defaults)), files)[0]


def test_effect_present_is_reproduced_with_the_numbers_behind_it(tmp_path):
    claim = verdicts(tmp_path, table_runs(drop=0.05, noise=0.005), TABLE_CHECK)
    check = claim["checks"][0]
    assert claim["verdict"] == "reproduced" and check["verdict"] == "reproduced"
    assert check["n"] == 5 and check["test"] == "t-interval"
    assert -0.06 < check["estimate"] < -0.04 and check["ci_high"] < -0.01
    assert check["check"].endswith("[model=mlp]") and len(check["values"]) == 5


def test_effect_absent_is_not_reproduced(tmp_path):
    claim = verdicts(tmp_path, table_runs(drop=0.0, noise=0.001), TABLE_CHECK)
    check = claim["checks"][0]
    assert check["verdict"] == "not reproduced", check["reason"]
    assert check["ci_low"] > -0.01 and abs(check["estimate"]) < 0.003
    assert claim["verdict"] == "not reproduced"


def test_one_model_failing_fails_the_claim(tmp_path):
    metrics = table_runs(drop=0.05, noise=0.005)
    metrics["runs"] += table_runs(drop=0.0, noise=0.001, model="cnn")["runs"]
    claim = verdicts(tmp_path, metrics, TABLE_CHECK)
    assert {c["check"].split("[")[1]: c["verdict"] for c in claim["checks"]} == {
        "model=cnn]": "not reproduced", "model=mlp]": "reproduced"}
    assert claim["verdict"] == "not reproduced"


def test_too_few_seeds_is_inconclusive(tmp_path):
    claim = verdicts(tmp_path, table_runs(drop=0.05, noise=0.005, seeds=[0]), TABLE_CHECK)
    assert claim["verdict"] == "inconclusive"
    assert claim["checks"][0]["n"] == 1 and "too few" in claim["checks"][0]["reason"]


def test_interval_straddling_the_threshold_is_inconclusive(tmp_path):
    # a drop of 1 pp (the threshold itself) with seed noise of 2 pp
    claim = verdicts(tmp_path, table_runs(drop=0.01, noise=0.02, seeds=range(4)), TABLE_CHECK)
    check = claim["checks"][0]
    assert check["ci_low"] < -0.01 < check["ci_high"]
    assert check["verdict"] == "inconclusive" and "straddles" in check["reason"]


def test_bootstrap_gives_the_same_verdicts(tmp_path):
    check = TABLE_CHECK | {"test": "bootstrap"}
    assert verdicts(tmp_path, table_runs(0.05, 0.005), check)["verdict"] == "reproduced"
    assert verdicts(tmp_path, table_runs(0.0, 0.001), check)["verdict"] == "not reproduced"
    assert verdicts(tmp_path, table_runs(0.05, 0.005, seeds=[0, 1]), check)["verdict"] == "inconclusive"


def test_a_ratio_is_tested_on_logs(tmp_path):
    runs = [{"model": "mlp", "init": init, "seed": s, "bandwidth": (3.0 if init == "highbw" else 1.0) * (1 + 0.01 * s)}
            for s in range(4) for init in ("random", "highbw")]
    check = {"name": "ratio", "artifact": "fig6_input_gradients", "direction": "greater", "threshold": 1.2,
             "values": {"paired": {"metric": "bandwidth", "a": {"init": "highbw"}, "b": {"init": "random"},
                                   "pair_by": "seed"}, "combine": "ratio"}}
    result = verdicts(tmp_path, {"runs": runs}, check, artifact="fig6_input_gradients")["checks"][0]
    assert result["verdict"] == "reproduced" and result["estimate"] == pytest.approx(3.0)
    assert "logs" in result["what"]


def test_every_value_must_hold_for_a_bound(tmp_path):
    check = {"name": "bound", "artifact": "linear_imbalance", "test": "every", "direction": "less", "threshold": 1.0,
             "values": {"runs": {"metric": "bound_ratio_max"}}}
    held = verdicts(tmp_path, {"runs": [{"bound_ratio_max": v} for v in (0.5, 0.9, 0.99)]}, check,
                    artifact="linear_imbalance")
    broken = verdicts(tmp_path, {"runs": [{"bound_ratio_max": v} for v in (0.5, 0.9, 1.3)]}, check,
                      artifact="linear_imbalance")
    assert held["verdict"] == "reproduced"
    assert broken["verdict"] == "not reproduced"  # one run broke the bound
    assert "wrong side" in broken["checks"][0]["reason"]


def test_absent_artifact_is_not_run(tmp_path):
    claim = verdicts(tmp_path, {"runs": []}, TABLE_CHECK, artifact="fig1_depth")
    assert claim["verdict"] == "not run" and claim["checks"][0]["verdict"] == "not run"


def test_missing_key_names_file_and_key(tmp_path):
    metrics = table_runs(0.05, 0.005)
    for run in metrics["runs"]:
        del run["test_acc"]
    with pytest.raises(ClaimsError, match=r"table1_digits/metrics.json.*'test_acc'"):
        verdicts(tmp_path, metrics, TABLE_CHECK)
    path_check = {"name": "p", "artifact": "table1_digits", "direction": "greater", "threshold": 0.5,
                  "values": {"path": ["trends", "gaussian", "per_seed"]}}
    with pytest.raises(ClaimsError, match=r"metrics.json: key 'trends' not found"):
        verdicts(tmp_path, table_runs(0.05, 0.005), path_check)


def test_cli_exits_1_with_the_message(tmp_path, capsys):
    metrics = {"runs": [{"model": "mlp", "init": "random", "seed": 0}]}
    files = [write_metrics(tmp_path, "table1_digits", metrics)]
    registry = write_registry(tmp_path, TABLE_CHECK)
    code = initgen(["claims", "--registry", str(registry), "--metrics", *files, "--out", str(tmp_path / "v.json")])
    assert code == 1 and "lacks key 'test_acc'" in capsys.readouterr().err
    assert not (tmp_path / "v.json").exists()


@pytest.mark.parametrize(
    "change, message",
    [
        ({"direction": "bigger"}, "direction must be 'greater' or 'less'"),
        ({"threshold": "big"}, "threshold must be a number"),
        ({"colour": 1}, "unknown key"),
        ({"test": "wilcoxon"}, "test must be one of"),
        ({"values": {"runs": {"where": {}}}}, r"values.runs lacks \['metric'\]"),
        ({"values": {}}, "values must name exactly one kind"),
    ],
)
def test_registry_schema_errors_name_claim_and_key(tmp_path, change, message):
    with pytest.raises(ClaimsError, match=message) as error:
        load_registry(write_registry(tmp_path, TABLE_CHECK | change))
    assert "claim 4" in str(error.value)


def test_missing_registry_says_where_it_belongs(tmp_path):
    with pytest.raises(ClaimsError, match="config/claims.yaml"):
        load_registry(tmp_path / "nope.yaml")


# ------------------------------------------------------------------ the real registry on synthetic metrics
def flat_minima_metrics(relu_tracks: bool) -> dict:
    """table2_flat_minima per the contract: per activation, runs whose trace does or does not follow test MSE."""
    rng = np.random.default_rng(1)
    runs = []
    for activation in ("relu", "gaussian"):
        for bandwidth in ("low", "high"):
            for draw in range(3):
                for seed in range(2):
                    error = (0.2 if bandwidth == "high" else 0.02) * (1 + 0.1 * rng.standard_normal())
                    tracks = relu_tracks if activation == "relu" else not relu_tracks
                    trace = 10 * error if tracks else 1.0 / error  # sharper with error, or flatter
                    runs.append({"activation": activation, "bandwidth": bandwidth, "draw": draw, "seed": seed,
                                 "trace": trace, "trace_stderr": 0.01, "top_eigenvalue": trace / 3,
                                 "test_mse": error, "train_mse": 1e-5, "converged": True})
    return {"artifact": "table2_flat_minima", "runs": runs, "summary": {}, "flatness_vs_error": {}}


def test_real_registry_judges_claim_5_from_the_flat_minima_contract(tmp_path):
    registry = load_registry(REPO / "config/claims.yaml")
    holds = [write_metrics(tmp_path / "a", "table2_flat_minima", flat_minima_metrics(relu_tracks=True))]
    reversed_ = [write_metrics(tmp_path / "b", "table2_flat_minima", flat_minima_metrics(relu_tracks=False))]
    claim5 = {c["id"]: c for c in evaluate_claims(registry, holds)}["5"]
    assert claim5["verdict"] == "reproduced", [c["reason"] for c in claim5["checks"]]
    assert all(c["n"] == 12 for c in claim5["checks"])
    assert {c["id"]: c for c in evaluate_claims(registry, reversed_)}["5"]["verdict"] == "not reproduced"
    # no curvature artifact in the build: its claims are "not run", the others are unaffected
    nothing = {c["id"]: c["verdict"] for c in evaluate_claims(registry, [])}
    assert set(nothing.values()) == {"not run"} and {"1", "2", "3", "4", "5", "6", "ASI"} <= set(nothing)


# ------------------------------------------------------------------ the paper's words, scope and regime
PAPERS = REPO.parent / "shared" / "papers"


def test_every_shipped_check_quotes_its_sentence_verbatim_and_says_its_scope():
    registry = load_registry(REPO / "config/claims.yaml")
    checks = [c for claim in registry["claims"] for c in claim["checks"]]
    assert all(c.get("scope") and c.get("paper_quote") for c in checks)
    if not PAPERS.is_dir():
        pytest.skip(f"{PAPERS} not present")
    for check in checks:
        text = " ".join((PAPERS / check["paper_quote"]["file"]).read_text().split())
        assert " ".join(check["paper_quote"]["text"].split()) in text, check["name"]


NTK_CHECK = {"name": "slope", "artifact": "asi", "direction": "greater", "threshold": 0.5,
             "values": {"runs": {"metric": "loglog_slope", "where": {"part": "sweep_slope"}}},
             "regime": {"what": "NTK prediction r", "direction": "greater", "threshold": 0.9,
                        "values": {"runs": {"metric": "prediction_corr", "where": {"part": "ntk"}}}}}


def asi_runs(slopes, correlations) -> dict:
    return {"runs": [{"part": "sweep_slope", "seed": s, "loglog_slope": v} for s, v in enumerate(slopes)]
            + [{"part": "ntk", "seed": s, "prediction_corr": r} for s, r in enumerate(correlations)]}


def test_a_check_out_of_its_regime_is_its_own_verdict_never_not_reproduced(tmp_path):
    # the slopes alone would refute the claim; the NTK prediction does not hold (r ~ 0.57), so they say nothing
    claim = verdicts(tmp_path, asi_runs([0.1, 0.12, 0.09], [0.55, 0.57, 0.59]), NTK_CHECK, artifact="asi")
    check = claim["checks"][0]
    assert check["verdict"] == "out of regime" and claim["verdict"] == "out of regime"
    assert check["verdict_label"].startswith("out of regime: NTK prediction r = 0.57 [")
    assert check["regime"]["state"] == "out" and "alone: not reproduced" in check["reason"]
    # in regime: the check's own verdict stands
    held = verdicts(tmp_path, asi_runs([0.1, 0.12, 0.09], [0.97, 0.98, 0.99]), NTK_CHECK, artifact="asi")
    assert held["verdict"] == "not reproduced" and held["checks"][0]["regime"]["state"] == "in"
    # a regime interval straddling its threshold: inconclusive, with the reason
    unsure = verdicts(tmp_path, asi_runs([2.0, 2.1, 1.9], [0.8, 0.95, 0.99]), NTK_CHECK, artifact="asi")
    assert unsure["checks"][0]["verdict"] == "inconclusive"
    assert unsure["checks"][0]["verdict_label"] == "inconclusive (regime not established)"


def test_beyond_the_paper_groups_are_shown_but_never_decide_the_claim(tmp_path):
    check = TABLE_CHECK | {"beyond_scope": {"model": ["mlp"]}, "scope": "CNNs"}
    metrics = table_runs(drop=0.0, noise=0.001, model="mlp")  # would refute the claim
    metrics["runs"] += table_runs(drop=0.05, noise=0.005, model="cnn")["runs"]
    claim = verdicts(tmp_path, metrics, check)
    by_model = {c["check"].split("[")[1]: c for c in claim["checks"]}
    assert by_model["model=mlp]"]["verdict"] == "beyond the paper"
    assert "alone: not reproduced" in by_model["model=mlp]"]["reason"]
    assert by_model["model=cnn]"]["verdict"] == "reproduced" and claim["verdict"] == "reproduced"


def test_a_descriptive_check_is_shown_without_a_verdict(tmp_path):
    check = TABLE_CHECK | {"kind": "descriptive", "why": "the appendix states no direction"}
    claim = verdicts(tmp_path, table_runs(drop=0.0, noise=0.001), check)
    assert claim["checks"][0]["verdict"] == "descriptive" and claim["verdict"] == "descriptive"
    assert claim["checks"][0]["estimate"] is not None and "no direction" in claim["checks"][0]["reason"]
    with pytest.raises(ClaimsError, match="needs `why:`"):
        load_registry(write_registry(tmp_path, TABLE_CHECK | {"kind": "descriptive"}))


def test_accuracies_are_compared_as_error_ratios(tmp_path):
    # random init: 4% error; high-B/W: 6% (a 1.5x error ratio, 2 points: well resolved on 360 images)
    runs = [{"model": "cnn", "init": init, "seed": s, "test_acc": (0.94 if init == "highbw" else 0.96) + 0.001 * s}
            for s in range(4) for init in ("random", "highbw")]
    check = TABLE_CHECK | {"direction": "greater", "threshold": 1.2,
                           "values": TABLE_CHECK["values"] | {"combine": "ratio", "complement": True}}
    result = verdicts(tmp_path, {"runs": runs}, check)["checks"][0]
    assert result["verdict"] == "reproduced" and result["estimate"] == pytest.approx(1.5, rel=0.05)
    assert "(1 - test_acc) ratio" in result["what"]


def test_combine_ignores_what_does_not_bear_on_the_claim():
    from initgen.reporting.claims.verdicts import combine

    assert combine(["reproduced", "beyond the paper", "descriptive"]) == "reproduced"
    assert combine(["reproduced", "out of regime"]) == "inconclusive"  # part of the claim was not tested
    assert combine(["out of regime", "not run"]) == "out of regime"
    assert combine(["not reproduced", "out of regime"]) == "not reproduced"
    assert combine(["beyond the paper"]) == "beyond the paper" and combine([]) == "not run"


def test_real_registry_claim_2_counts_censored_runs_and_puts_a_net_above_the_band_out_of_regime(tmp_path):
    runs = []
    for variant, centroid in (("relu", 3.0), ("gaussian", 8.0), ("sine", 56.0)):
        for seed in range(3):  # a ReLU run short of its budget ("not fitted") is censored evidence, not excluded
            runs.append({"variant": variant, "seed": seed, "depth": 4, "status": "not fitted", "met_protocol": False,
                         "diverged": 0, "spectral_bias_rho": 0.9 + 0.01 * seed, "frequencies_converged": 3,
                         "centroid_init": centroid + 0.1 * seed, "band_top": 25.0})
    files = [write_metrics(tmp_path, "fig2_spectral_bias", {"runs": runs})]
    claim = {c["id"]: c for c in evaluate_claims(load_registry(REPO / "config/claims.yaml"), files)}["2"]
    by_variant = {c["check"].split("=")[1].rstrip("]"): c for c in claim["checks"]}
    assert by_variant["relu"]["verdict"] == "reproduced" and by_variant["relu"]["n_valid"] == 3
    assert by_variant["sine"]["verdict"] == "out of regime"
    assert "initial spectral centroid / top of the band = 2.24" in by_variant["sine"]["verdict_label"]
    assert claim["verdict"] == "inconclusive"  # sine's part of "all three" was not tested


def test_real_registry_judges_a_user_variant_of_exp1_as_the_gaussian_and_sine_nets_and_never_in_the_verdict(tmp_path):
    """Claim 1's user rows: one per variant of yours (user_variant), on its own runs only; the paper's verdict is
    the same with and without them."""
    runs = []
    for variant, hf_slope, mse_slope in (("relu", -0.01, -0.1), ("gaussian", 0.1, 0.1), ("sine", 0.1, 0.1),
                                         ("mine", 0.1, -0.1)):  # mine gains HF energy but interpolates better
        for seed in range(4):
            for depth in (2, 4, 6, 8):
                run = {"variant": variant, "seed": seed, "depth": depth, "met_protocol": True,
                       "hf_fraction_init": 0.3 + hf_slope * depth + 0.001 * seed,
                       "test_mse": 1.0 + mse_slope * depth + 0.001 * seed}
                runs.append(run | ({"user_variant": variant} if variant == "mine" else {}))
    registry = load_registry(REPO / "config/claims.yaml")
    files = [write_metrics(tmp_path, "fig1_depth", {"runs": runs})]
    claim = {c["id"]: c for c in evaluate_claims(registry, files)}["1"]
    yours = {c["check"]: c for c in claim["checks"] if c.get("kind") == "user"}
    assert set(yours) == {"your variant's high-frequency energy at init grows with depth [user_variant=mine]",
                          "your variant's test MSE grows with depth [user_variant=mine]"}
    assert yours["your variant's high-frequency energy at init grows with depth [user_variant=mine]"]["verdict"] == \
        "reproduced"
    assert yours["your variant's test MSE grows with depth [user_variant=mine]"]["verdict"] == "not reproduced"
    # the paper's six checks hold; your row's "not reproduced" is not theirs
    assert claim["verdict"] == "reproduced", [(c["check"], c["verdict"]) for c in claim["checks"]]
