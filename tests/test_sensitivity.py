"""The sensitivity grid: settings expanded from config, a setting reuses the default run's training of the variants it
leaves alone (cut to the sensitivity seeds), an infeasible setting is not scored, and the summary counts only the
scored settings."""

import copy
import json

import numpy as np
import pytest

from initgen.core.errors import ConfigError
from initgen.experiments.regression_1d_analyze import analyze_experiment
from initgen.experiments.regression_1d_train import train_variant
from initgen.experiments.sensitivity import (
    record_path,
    run_setting,
    select_seeds,
    setting_job,
    settings,
    sweep_setting,
    variant_job,
)
from initgen.reporting.sensitivity import at_chosen_values, choices_table, choose_values, evaluate_setting, summary_text

EXPERIMENT = {
    "target": {"freqs": [1.0], "amps": [1.0]},
    "train_x": {"kind": "step", "step": 0.2},
    "variants": {
        "relu": {"model": {"activation": "relu", "width": 8, "depth": 2}, "init": {"kind": "xavier_uniform"},
                 "train": {"optimizer": "sgd", "lr": 0.01, "steps": 30, "stop_mse": 0.5}},
        "gaussian": {"model": {"activation": "gaussian", "width": 8, "depth": 2, "sigma": 0.1},
                     "init": {"kind": "xavier_uniform"},
                     "train": {"optimizer": "sgd", "lr": 0.01, "steps": 30, "stop_mse": 0.5}},
    },
}


def config(stop_mse=0.5):
    experiment = copy.deepcopy(EXPERIMENT)
    experiment["variants"]["gaussian"]["train"]["stop_mse"] = stop_mse
    return {
        "seeds": [0, 1, 2],
        "toy": {"grid_points": 64, "experiments": {"tiny": experiment}},
        "sensitivity": {
            "n_seeds": 2,
            "sweep_seeds": [1000, 1001],
            "lrs": [1e-3, 1e-2, 1e-1],
            "parameters": {
                "sigma": {"key": "model.sigma", "values": [0.05, 0.1], "variants": {"tiny": ["gaussian"]}},
                "points": {"options": {"coarse": {}, "fine": {"train_x": {"kind": "step", "step": 0.1}}},
                           "variants": {"tiny": ["relu", "gaussian"]}},
            },
        },
    }


def default_training(cfg):
    experiment = cfg["toy"]["experiments"]["tiny"]
    return {v: train_variant(variant_job(experiment, v, 64), cfg["seeds"]) for v in experiment["variants"]}


def test_settings_mark_the_default_and_reject_unknown_variants():
    grid = settings(config())
    assert [(s["id"], s["default"]) for s in grid] == [
        ("sigma=0.05/tiny", False), ("sigma=0.1/tiny", True), ("points=coarse/tiny", True),
        ("points=fine/tiny", False)]
    bad = config()
    bad["sensitivity"]["parameters"]["sigma"]["variants"]["tiny"] = ["sine"]
    with pytest.raises(ConfigError, match="sensitivity.parameters.sigma.variants.tiny"):
        settings(bad)


def test_select_seeds_cuts_every_per_seed_array_in_order():
    cfg = config()
    data = default_training(cfg)["relu"]
    cut = select_seeds(data, [2, 0])
    assert cut["seeds"].tolist() == [2, 0]
    np.testing.assert_array_equal(cut["predictions"][:, 0], data["predictions"][:, 2])
    np.testing.assert_array_equal(cut["losses"][:, :, 1], data["losses"][:, :, 0])
    with pytest.raises(ConfigError, match="not among the default run's seeds"):
        select_seeds(data, [7])


def test_a_setting_retrains_what_it_changes_and_reuses_the_rest():
    cfg = config()
    default = default_training(cfg)
    setting = next(s for s in settings(cfg) if s["id"] == "sigma=0.05/tiny")
    result = run_setting(setting_job(cfg, setting), default)
    runs = result["metrics"]["runs"]
    # the reused variant is the default run's own training at the same seeds: identical metrics
    reference, _ = analyze_experiment("tiny", cfg["toy"]["experiments"]["tiny"],
                                      {v: select_seeds(d, [0, 1]) for v, d in default.items()})
    relu = [r for r in runs if r["variant"] == "relu"]
    assert json.dumps(relu) == json.dumps([r for r in reference["runs"] if r["variant"] == "relu"])  # NaN == NaN
    # the changed variant is retrained with the new sigma: its initial spectrum differs from the default's
    gauss = [r["hf_fraction_init"] for r in runs if r["variant"] == "gaussian"]
    gauss_default = [r["hf_fraction_init"] for r in reference["runs"] if r["variant"] == "gaussian"]
    assert not np.allclose(gauss, gauss_default)
    assert set(result["choices"]) == {"gaussian"} and result["choices"]["gaussian"]["lr"] in (1e-3, 1e-2, 1e-1)
    assert result["metrics"]["sensitivity"]["feasible"] is result["choices"]["gaussian"]["fits"]


def test_a_recorded_sweep_gives_the_setting_a_live_sweep_gives_and_a_stale_one_is_refused(tmp_path):
    from initgen.core.files import write_json

    cfg = config()
    default = default_training(cfg)
    setting = next(s for s in settings(cfg) if s["id"] == "sigma=0.05/tiny")
    live = run_setting(setting_job(cfg, setting), default)
    cfg["sensitivity"]["sweeps"] = str(tmp_path)
    with pytest.raises(ConfigError, match="sensitivity.sweeps: .* not found: run `initgen sensitivity-sweep"):
        setting_job(cfg, setting)
    record = sweep_setting(setting_job(cfg, setting, with_record=False))
    write_json(record_path(tmp_path, setting), record)  # through JSON, as the workflow reads it
    job = setting_job(cfg, setting)
    assert job["step_sizes"]["gaussian"]["lr"] == live["choices"]["gaussian"]["lr"]
    recorded = run_setting(job, default, record=json.loads(record_path(tmp_path, setting).read_text()))
    same = json.dumps(recorded["metrics"], sort_keys=True) == json.dumps(live["metrics"], sort_keys=True)
    assert same  # the same step sizes, the same training, the same numbers
    assert recorded["sweeps"]["gaussian"] == live["sweeps"]["gaussian"]
    # the sweep's inputs changed (here its seeds): the record no longer says what this setting's sweep would
    cfg["sensitivity"]["sweep_seeds"] = [1000, 1002]
    with pytest.raises(ConfigError, match="was swept for other inputs"):
        setting_job(cfg, setting)
    # a step size is not a sweep input: changing the default's lr keeps the record valid
    cfg["sensitivity"]["sweep_seeds"] = [1000, 1001]
    cfg["toy"]["experiments"]["tiny"]["variants"]["gaussian"]["train"]["lr"] = 0.5
    assert setting_job(cfg, setting)["step_sizes"] == record["choices"]


def test_an_unreachable_stopping_rule_makes_the_setting_infeasible_and_unscored(tmp_path):
    cfg = config(stop_mse=1e-12)  # no step size of the grid reaches it in 30 steps
    default = default_training(cfg)
    setting = next(s for s in settings(cfg) if s["id"] == "sigma=0.05/tiny")
    result = run_setting(setting_job(cfg, setting), default)
    assert result["feasible"] is False and result["choices"]["gaussian"]["fits"] is False
    from initgen.core.files import write_json

    path = tmp_path / "tiny" / "metrics.json"
    write_json(path, result["metrics"])
    check = {"name": "test MSE", "artifact": "tiny", "values": {"runs": {"metric": "test_mse", "where":
             {"variant": "gaussian"}}}, "requires": {"met_protocol": True}, "direction": "less", "threshold": 10.0}
    at_init = {"name": "HF at init", "artifact": "tiny", "values": {"runs": {"metric": "hf_fraction_init",
               "where": {"variant": "gaussian"}}}, "direction": "less", "threshold": 10.0}  # fmt: skip
    registry = {"defaults": {"alpha": 0.05, "min_n": 2, "test": "t"},
                "claims": [{"id": "9", "statement": "s", "source": "x", "checks": [check, at_init]}]}
    out = evaluate_setting(registry, {"tiny": path}, "tiny", feasible={"gaussian": False, "relu": True})
    verdicts = [c["verdict"] for c in out["9"]["checks"]]
    assert verdicts[0] == "infeasible" and verdicts[1] != "infeasible"
    assert out["9"]["verdict"] == "infeasible"
    # the same checks on a feasible variant are scored
    relu = copy.deepcopy(registry)
    for c in relu["claims"][0]["checks"]:
        c["values"]["runs"]["where"]["variant"] = "relu"
    scored = evaluate_setting(relu, {"tiny": path}, "tiny", feasible={"gaussian": False, "relu": True})
    assert "infeasible" not in [c["verdict"] for c in scored["9"]["checks"]]


def test_summary_counts_only_scored_settings():
    text = summary_text(["reproduced", "infeasible", "not reproduced", "reproduced", "out of regime: x = 1 [0, 2]"])
    assert text == "reproduced at 2 of 3 feasible settings (1 not reproduced, 1 infeasible, 1 out of regime)"


def _setting(parameter, label, value, default, choose, artifact="a"):
    return {"parameter": parameter, "what": parameter, "label": label, "value": value, "artifact": artifact,
            "variants": ["v"], "default": default, "choose": choose, "why": "regime"}


def test_a_lost_value_is_chosen_by_feasibility_alone_and_its_verdicts_read_after():
    grid = [(_setting("omega", "1", 1.0, False, "largest"), True),
            (_setting("omega", "3", 3.0, False, "largest"), True),
            (_setting("omega", "10", 10.0, True, "largest"), True),
            (_setting("omega", "30", 30.0, False, "largest"), False),
            (_setting("sigma", "0.05", 0.05, False, "smallest"), False),
            (_setting("sigma", "0.1", 0.1, True, "smallest"), True),
            (_setting("width", "128", 128, True, {"spec": 256}), True),
            (_setting("width", "256", 256, False, {"spec": 256}), False),
            # a value is feasible only where it can be fitted at every artifact it enters
            (_setting("band", "narrow", {}, True, "last"), True), (_setting("band", "wide", {}, False, "last"), True),
            (_setting("band", "wide", {}, False, "last", artifact="b"), False)]  # fmt: skip
    claim = {"settings": [{"parameter": "omega", "value": "10", "default": True, "artifact": "a", "verdict": "X"},
                          {"parameter": "omega", "value": "3", "default": False, "artifact": "a", "verdict": "Y"},
                          {"parameter": "omega", "value": "30", "default": False, "artifact": "a", "verdict": "Z"}]}
    choices = choose_values(grid, {"1": claim})
    assert choices["omega"]["chosen"] == "10" and choices["omega"]["feasible"] == ["1", "3", "10"]
    assert choices["omega"]["verdicts_at_chosen"] == {"1": "X"}  # the default config's verdict, listed under omega
    assert choices["sigma"]["chosen"] == "0.1" and choices["sigma"]["verdicts_at_chosen"] == {"1": "X"}
    assert choices["width"]["chosen"] is None  # SPEC's 256 cannot be fitted here: no value is put in its place
    assert choices["band"]["chosen"] == "narrow"
    table = choices_table(choices).set_index("parameter")
    assert table.loc["width", "chosen"] == "none" and table.loc["width", "note"].startswith("SPEC's value cannot")
    # moving the feasibility moves the choice, whatever the verdicts
    grid[3] = (grid[3][0], True)
    assert choose_values(grid, {"1": claim})["omega"] | {} == choose_values(grid, {})["omega"] | {
        "verdicts_at_chosen": {"1": "Z"}, "claims": ["1"]}
    # the claims table's column: the verdict at each chosen value of a parameter the claim depends on
    choices = choose_values(grid, {"1": claim})
    assert at_chosen_values(choices, 1) == "omega 30: Z"  # sigma, width, band: no setting of claim 1 varies them
    choices["width"]["claims"] = ["1"]
    assert at_chosen_values(choices, "1") == "omega 30: Z; width: none feasible"
    assert at_chosen_values(choices, "2") == "not varied"


def test_the_default_config_is_one_setting_of_the_summary_wherever_it_is_listed(tmp_path):
    # sigma=0.05 (changed) comes before sigma=0.1 (the default) in the grid: the default must still be scored once
    from initgen.core.files import write_json
    from initgen.reporting.sensitivity import summarize_sensitivity

    cfg = config()
    default = default_training(cfg)
    metrics, _ = analyze_experiment("tiny", cfg["toy"]["experiments"]["tiny"],
                                    {v: select_seeds(d, [0, 1]) for v, d in default.items()})
    write_json(tmp_path / "tiny" / "metrics.json", metrics)
    entries = []
    for setting in settings(cfg):
        path = None
        if not setting["default"]:
            path = tmp_path / setting["id"].replace("/", "_") / "metrics.json"
            write_json(path, run_setting(setting_job(cfg, setting), default)["metrics"])
        entries.append({"setting": setting, "metrics": str(path) if path else None, "default_feasible": {}})
    at_init = {"name": "HF at init", "artifact": "tiny", "values": {"runs": {"metric": "hf_fraction_init",
               "where": {"variant": "gaussian"}}}, "direction": "less", "threshold": 10.0}  # fmt: skip
    registry = {"defaults": {"alpha": 0.05, "min_n": 2, "test": "t"},
                "claims": [{"id": "9", "statement": "s", "source": "x", "checks": [at_init]}]}
    summary = summarize_sensitivity(registry, [str(tmp_path / "tiny" / "metrics.json")], entries)
    names = [s["setting"] for s in summary["claims"]["9"]["settings"]]
    assert sorted(names) == ["default config", "points = fine", "sigma = 0.05"]


def test_an_exp5_setting_retrains_its_variants_with_the_swept_optimizer_and_reuses_the_others_minima(tmp_path):
    """Exp 5's optimizer: the changed variant is trained with SGD at the step size its sweep chose and its minima
    measured as the flat_minima rules do; the unchanged variant's minima are the default run's, as they were."""
    from initgen.analysis.curvature.hessian import resolve_settings
    from initgen.experiments.flat_minima import minimum_metrics
    from initgen.experiments.flat_minima_train import train_variant as train_flat
    from initgen.experiments.sensitivity import FLAT_MINIMA

    hessian = {"max_lanczos_steps": 20, "density_probes": 1, "density_steps": 10, "trace_max_probes": 10}
    train = {"optimizer": "adam", "lr": 0.01, "steps": 300, "stop_mse": 0.05}
    flat = {"seeds": [0, 1], "draws": 1, "draw_seed": 0, "amplitudes": [0.5, 1.0], "frequencies": [0.25, 1.25],
            "train_x": {"kind": "step", "step": 0.2}, "test_points": 64, "hessian": hessian,
            "slice": {"t_max": 0.05, "points": 5, "fd_step": 1e-5},
            "variants": {"relu_low": {"bandwidth": "low", "model": {"activation": "relu", "width": 8, "depth": 2},
                                      "init": {"kind": "xavier_uniform"}, "train": dict(train)},
                         "gaussian_high": {"bandwidth": "high",
                                           "model": {"activation": "gaussian", "width": 8, "depth": 2, "sigma": 0.1},
                                           "init": {"kind": "xavier_uniform"}, "train": dict(train)}}}  # fmt: skip
    cfg = {"seeds": [0, 1], "toy": {"grid_points": 64, "experiments": {}}, "flat_minima": flat,
           "sensitivity": {"n_seeds": 2, "sweep_seeds": [1000], "lrs": [1e-2, 1e-1],
                           "parameters": {"optimizer": {"key": "train.optimizer", "values": ["sgd", "adam"],
                                                        "variants": {FLAT_MINIMA: ["gaussian_high"]}}}}}  # fmt: skip
    grid = settings(cfg)
    assert [(s["id"], s["default"]) for s in grid] == [(f"optimizer=sgd/{FLAT_MINIMA}", False),
                                                       (f"optimizer=adam/{FLAT_MINIMA}", True)]
    keys = ("draws", "draw_seed", "amplitudes", "frequencies", "train_x", "test_points")
    default = {}
    for name, variant in flat["variants"].items():
        data = train_flat({k: flat[k] for k in keys} | {"variant": variant}, flat["seeds"])
        default[name] = {"runs": minimum_metrics(data, resolve_settings(hessian), flat["slice"], 0.05)}
    result = run_setting(setting_job(cfg, grid[0]), default, out_dir=tmp_path)
    runs = result["metrics"]["runs"]
    relu = [r for r in runs if r["activation"] == "relu"]
    assert json.dumps(relu, sort_keys=True) == json.dumps(
        [{k: v for k, v in r.items() if k not in ("density", "slice")} | {"slice_curvature_fd": r["slice"]
          ["curvature_fd"]} for r in default["relu_low"]["runs"]], sort_keys=True)  # fmt: skip
    choice = result["choices"]["gaussian_high"]
    assert choice["lr"] in (1e-2, 1e-1) and result["feasible"] is choice["fits"]
    assert len(result["sweeps"]["gaussian_high"].splitlines()) == 2 + 2  # header, rule, one row per step size
    # retrained with SGD at the chosen step: its training differs from the default's Adam run
    gauss = [r["test_mse_trained"] for r in runs if r["activation"] == "gaussian"]
    assert len(gauss) == 2 and gauss != [r["test_mse_trained"] for r in default["gaussian_high"]["runs"]]
    assert (tmp_path / "table2_flat_minima.csv").exists()


def test_an_asi_width_setting_retrains_every_variant_at_that_width_without_a_sweep_record(tmp_path):
    """ASI's width: one spec for its four variants, step sizes from the NTK rule (nothing to sweep or record);
    the setting's runs are the same runs as the ASI step's at that width."""
    from initgen.experiments.asi_linear_analyze import analyze_asi
    from initgen.experiments.asi_runs import run_asi_main, run_asi_sweep
    from initgen.experiments.sensitivity import ASI, load_record

    spec = {"target_omega": 4.0, "n_train": 10, "n_test": 40, "activation": "relu", "width": 8, "depth": 2,
            "init_std": 2.0, "variants": ["original", "asi", "doubling", "rnd"], "lr_fraction": 0.8, "epochs": 60,
            "stop_mse": 1e-3, "std_sweep": [1.0, 2.0], "ntk_chunk": 64}  # fmt: skip
    cfg = {"seeds": [0, 1, 2], "toy": {"grid_points": 64, "experiments": {}}, "related": {ASI: spec},
           "sensitivity": {"n_seeds": 2, "sweep_seeds": [1000], "lrs": [1e-2], "sweeps": str(tmp_path),
                           "parameters": {"asi_width": {"key": "width", "values": [8, 16],
                                                        "variants": {ASI: spec["variants"]}}}}}  # fmt: skip
    grid = settings(cfg)
    assert [(s["id"], s["default"]) for s in grid] == [("asi_width=8/asi", True), ("asi_width=16/asi", False)]
    assert load_record(cfg, grid[1]) is None  # nothing swept, nothing recorded (the folder is empty)
    result = run_setting(setting_job(cfg, grid[1]), {})
    wide = spec | {"width": 16}
    expected = analyze_asi(run_asi_main(wide, [0, 1]), run_asi_sweep(wide, [0, 1]))
    assert json.dumps(result["metrics"]["runs"], sort_keys=True) == json.dumps(expected["runs"], sort_keys=True)
    narrow = analyze_asi(run_asi_main(spec, [0, 1]), run_asi_sweep(spec, [0, 1]))
    params = {r["variant"]: r["params"] for r in result["metrics"]["runs"] if r.get("part") == "main"}
    assert params["original"] > {r["variant"]: r["params"] for r in narrow["runs"] if r.get("part") == "main"}[
        "original"]  # fmt: skip
    assert result["feasible"] is True and result["metrics"]["sensitivity"]["feasible"] is True
