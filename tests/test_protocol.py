"""Failed runs are recorded, never scored: run status, NaN metrics of diverged runs, claims `requires:`, sanity
checks, seeds-to-decide, step-size selection from training loss, batch-norm calibration for Fig 6."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from conftest import REPO

from initgen.analysis import protocol, spectra
from initgen.analysis.input_gradients import calibrate_batch_norm
from initgen.analysis.statistics import seeds_for_correlation, seeds_for_t, t_test_power
from initgen.cli import main as initgen
from initgen.core.errors import ConfigError
from initgen.data.signals import evaluate_signal, grid, sample_points
from initgen.experiments.lr_sweep import choose, sweep_table, sweep_variant
from initgen.experiments.regression_1d_analyze import analyze_experiment
from initgen.experiments.regression_1d_train import train_variant
from initgen.reporting.claims.registry import load_registry
from initgen.reporting.claims.verdicts import evaluate_claims

EXPERIMENT = {
    "target": {"freqs": [1.0], "amps": [1.0]},
    "train_x": {"kind": "step", "step": 0.2},
    "depths": [2, 4, 6],
    "variants": {"gaussian": {"model": {"activation": "gaussian"}, "train": {"steps": 100, "stop_mse": 1e-3}}},
}


def trained_arrays(final_losses: np.ndarray, predictions: np.ndarray) -> dict:
    """A toy-train result of 3 depths x 3 seeds: losses [D, steps + 1, M], predictions [D, M, S, G, 1]."""
    dense = grid(64)
    x = sample_points(EXPERIMENT["train_x"])
    losses = np.ones((3, 101, 3))
    losses[:, -1, :] = final_losses
    return {"grid": dense, "x_train": x, "y_train": evaluate_signal(EXPERIMENT["target"], x),
            "target_grid": evaluate_signal(EXPERIMENT["target"], dense), "depths": np.asarray([2, 4, 6]),
            "seeds": np.asarray([0, 1, 2]), "snapshot_steps": np.asarray([0, 100]), "predictions": predictions,
            "losses": losses, "steps_taken": np.full((3, 3), 100), "pretrain_final_loss": np.full((3, 3), np.nan)}


def test_a_diverged_run_gets_nan_metrics_and_is_counted_not_scored():
    rng = np.random.default_rng(0)
    predictions = rng.standard_normal((3, 3, 2, 64, 1)) * 0.1 + np.sin(2 * np.pi * grid(64))[None, None, None, :, None]
    predictions[2, 1, -1] = np.nan  # depth 6, seed 1 diverged
    final = np.full((3, 3), 1e-4)
    final[2, 1] = np.nan
    final[1, 2] = 0.3  # depth 4, seed 2 never fitted
    metrics, _ = analyze_experiment("fig1_depth", EXPERIMENT, {"gaussian": trained_arrays(final, predictions)})
    runs = {(r["depth"], r["seed"]): r for r in metrics["runs"]}
    assert runs[(6, 1)]["status"] == "diverged" and runs[(4, 2)]["status"] == "not fitted"
    assert runs[(2, 0)]["status"] == "fitted"
    for key in ("hf_fraction_final", "centroid_final", "test_mse"):
        assert np.isnan(runs[(6, 1)][key]), key  # a diverged prediction is no perfect low-frequency fit
    counts = {row["depth"]: row for row in metrics["protocol"]}
    assert (counts[6]["runs"], counts[6]["met_protocol"], counts[6]["diverged"]) == (3, 2, 1)
    assert (counts[4]["not_fitted"], counts[4]["met_protocol"]) == (1, 2)
    # summaries are over valid runs only; the per-seed depth trend of test MSE needs every depth of the seed
    assert metrics["summary"]["gaussian/depth=6"]["test_mse"]["n"] == 2
    # ...except what was measured at init, before the run could fail: every run's
    assert metrics["summary"]["gaussian/depth=6"]["hf_fraction_init"]["n"] == 3
    assert metrics["summary"]["gaussian/depth=4"]["centroid_init"]["n"] == 3
    assert metrics["summary"]["gaussian/depth=4"]["centroid_final"]["n"] == 2
    trend = metrics["trends"]["gaussian"]["test_mse_vs_depth_rho"]["per_seed"]
    assert np.isfinite(trend[0]) and np.isnan(trend[1]) and np.isnan(trend[2])


def test_spectral_scores_of_a_nonfinite_function_are_nan_and_of_a_constant_zero():
    freqs = spectra.frequencies(64)
    amp = spectra.amplitude(np.stack([np.full(64, np.nan), np.ones(64), np.sin(2 * np.pi * 10 * grid(64))]))
    hf = spectra.high_frequency_fraction(amp, freqs, cutoff=2.5)
    centroid = spectra.spectral_centroid(amp, freqs)
    assert np.isnan(hf[0]) and np.isnan(centroid[0])
    assert hf[1] == 0 and centroid[1] == 0
    assert hf[2] == pytest.approx(1.0) and centroid[2] == pytest.approx(10.0)


def registry_file(tmp_path, check: dict, min_n: int = 3):
    path = tmp_path / "claims.yaml"
    path.write_text(yaml.safe_dump({"defaults": {"alpha": 0.05, "min_n": min_n},
                                    "claims": [{"id": "X", "statement": "s", "source": "p", "checks": [check]}]}))
    return path


def metrics_file(tmp_path, runs: list[dict], artifact="fig3_init_spectrum"):
    path = tmp_path / "results" / artifact / "metrics.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"runs": runs}))
    return str(path)


KEEPS = {"name": "keeps", "artifact": "fig3_init_spectrum", "values": {"runs": {"metric": "kept"}},
         "requires": {"met_protocol": True}, "direction": "greater", "threshold": 0.5}


def runs_with(statuses: list[str], kept=0.9) -> list[dict]:
    return [{"seed": i, "status": s, "met_protocol": s in protocol.MET, "kept": kept + 0.01 * i}
            for i, s in enumerate(statuses)]


def test_requires_excludes_failed_runs_and_counts_them(tmp_path):
    runs = runs_with(["fitted"] * 4 + ["diverged"])
    runs[-1]["kept"] = -100.0  # would refute the claim if it were scored
    (claim,) = evaluate_claims(load_registry(registry_file(tmp_path, KEEPS)), [metrics_file(tmp_path, runs)])
    check = claim["checks"][0]
    assert (check["n_valid"], check["n_total"], check["verdict"]) == (4, 5, "reproduced")
    assert "excluded 1 of 5 runs (1 diverged)" in check["reason"]


def test_too_few_valid_runs_is_inconclusive_with_the_reason(tmp_path):
    runs = runs_with(["fitted", "fitted", "diverged", "diverged", "not fitted"])
    (claim,) = evaluate_claims(load_registry(registry_file(tmp_path, KEEPS)), [metrics_file(tmp_path, runs)])
    check = claim["checks"][0]
    assert check["verdict"] == "inconclusive" and check["n_valid"] == 2
    assert "too few values: n = 2 < 3" in check["reason"] and "2 diverged, 1 did not fit" in check["reason"]


def test_a_trend_counts_a_seed_only_when_every_run_of_it_is_valid(tmp_path):
    runs = []
    for seed in range(4):
        for depth in (2, 4, 6):
            failed = seed == 3 and depth == 6
            runs.append({"seed": seed, "depth": depth, "test_mse": depth * (1 + seed), "met_protocol": not failed,
                         "status": "diverged" if failed else "fitted"})
    check = {"name": "grows", "artifact": "fig1_depth", "requires": {"met_protocol": True},
             "values": {"trend": {"x": "depth", "y": "test_mse", "per": "seed"}},
             "direction": "greater", "threshold": 0.5, "test": "every"}
    (claim,) = evaluate_claims(load_registry(registry_file(tmp_path, check)),
                               [metrics_file(tmp_path, runs, "fig1_depth")])
    result = claim["checks"][0]
    assert (result["n_valid"], result["n_total"]) == (3, 4) and "1 of 4 seeds" in result["reason"]


def test_a_violated_sanity_check_fails_the_claims_step_and_writes_nothing(tmp_path, capsys):
    check = KEEPS | {"kind": "sanity", "test": "every"}
    registry = registry_file(tmp_path, check)
    out = tmp_path / "verdicts.json"
    good = metrics_file(tmp_path, runs_with(["fitted"] * 3))
    assert initgen(["claims", "--registry", str(registry), "--metrics", good, "--out", str(out)]) == 0
    verdicts = json.loads(out.read_text())["claims"][0]
    assert verdicts["verdict"] == "not run"  # a sanity check is never evidence for the claim
    out.unlink()
    bad = metrics_file(tmp_path, runs_with(["fitted"] * 3, kept=0.1))
    assert initgen(["claims", "--registry", str(registry), "--metrics", bad, "--out", str(out)]) == 1
    assert "SANITY CHECK VIOLATED" in capsys.readouterr().err and not out.exists()


def test_a_sanity_check_with_requires_skips_runs_that_never_converged(tmp_path, capsys):
    """A run stopped by its iteration cap (the rehearsal's 20 GD iterations; a paper run short of budget) is a
    failed run, counted and excluded, not a violated identity: the report step goes on."""
    check = KEEPS | {"kind": "sanity", "test": "every"}
    runs = runs_with(["fitted"] * 3 + ["not fitted"] * 2)
    runs[-1]["kept"] = runs[-2]["kept"] = 0.1  # would violate the identity if it were scored
    registry, out = registry_file(tmp_path, check), tmp_path / "verdicts.json"
    assert initgen(["claims", "--registry", str(registry), "--metrics", metrics_file(tmp_path, runs),
                    "--out", str(out)]) == 0  # fmt: skip
    unconverged = runs_with(["not fitted"] * 3, kept=0.1)
    assert initgen(["claims", "--registry", str(registry), "--metrics", metrics_file(tmp_path, unconverged),
                    "--out", str(out)]) == 0  # fmt: skip
    assert "SANITY CHECK VIOLATED" not in capsys.readouterr().err


@pytest.mark.parametrize(("effect", "n"), [(0.5, 34), (0.8, 15), (1.0, 10)])
def test_seeds_to_decide_match_the_textbook_one_sample_t_test(effect, n):
    # Cohen (1988) / G*Power: two-sided one-sample t-test, alpha 0.05, power 0.8
    assert seeds_for_t(mean=effect, sd=1.0, threshold=0.0, alpha=0.05) == n
    assert t_test_power(effect, n, 0.05) >= 0.8 > t_test_power(effect, n - 1, 0.05)


def test_t_test_power_agrees_with_simulation():
    rng = np.random.default_rng(0)
    from scipy import stats

    n, effect, trials = 12, 0.7, 20000
    samples = rng.standard_normal((trials, n)) + effect
    t = samples.mean(1) / (samples.std(1, ddof=1) / np.sqrt(n))
    simulated = np.mean(np.abs(t) > stats.t.ppf(0.975, n - 1))
    assert t_test_power(effect, n, 0.05) == pytest.approx(simulated, abs=0.01)


def test_seeds_for_a_correlation_shrink_as_it_moves_away_from_the_threshold():
    near, far = seeds_for_correlation(0.6, 0.5, 0.05), seeds_for_correlation(0.9, 0.5, 0.05)
    assert near > far > 3
    assert seeds_for_correlation(0.5, 0.5, 0.05) is None


def test_the_step_size_is_chosen_from_training_loss_alone():
    job = {"target": {"freqs": [1.0], "amps": [1.0]}, "train_x": {"kind": "step", "step": 0.2},
           "grid_points": 64, "variant": {"model": {"activation": "relu", "width": 64, "depth": 2},
                                          "init": {"kind": "xavier_uniform"},
                                          "train": {"optimizer": "sgd", "lr": 0.1, "steps": 4000, "stop_mse": 1e-2}}}
    torch.manual_seed(0)
    runs = sweep_variant(job, seeds=[1000, 1001], lrs=[1e-6, 0.1, 0.3, 3.0])
    by_lr = runs.groupby("lr").status.agg(set)
    assert by_lr[3.0] == {"diverged"} and by_lr[1e-6] == {"not fitted"}
    assert by_lr[0.1] == {"fitted"} and by_lr[0.3] == {"fitted"}
    # 0.3 is the largest that fits; 0.1 fits too, so the choice keeps one grid step of margin
    choice = choose(sweep_table(runs), per_depth=False)
    assert choice == {"lr": 0.1, "fits": True, "why": choice["why"]}


def test_no_fitting_step_size_is_reported_as_such():
    table = pd.DataFrame({"depth": [2, 2, 4, 4], "lr": [0.1, 0.01, 0.1, 0.01], "runs": [3] * 4,
                          "met_stop": [3, 3, 0, 2], "diverged": [0, 0, 3, 0], "not_fitted": [0, 0, 0, 1],
                          "median_final_mse": [1e-4, 1e-4, np.nan, 2e-3]})
    per_depth = choose(table, per_depth=True)
    assert per_depth["lr"] == {2: 0.01, 4: 0.01} and per_depth["fits"] is False and "[4]" in per_depth["why"]
    shared = choose(table, per_depth=False)
    assert shared["fits"] is False and shared["lr"] == 0.01


def test_batch_norm_calibration_sets_the_exact_statistics_without_touching_weights():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.Dropout(0.5))
    before = [p.detach().clone() for p in model.parameters()]
    images = torch.randint(0, 256, (50, 1, 8, 8), dtype=torch.uint8)
    assert calibrate_batch_norm(model, images, [0.5], [0.25], batch_size=16)
    with torch.no_grad():
        conv = model[0]((images.float() / 255.0 - 0.5) / 0.25)
    norm = model[1]
    assert torch.allclose(norm.running_mean, conv.mean(dim=(0, 2, 3)), atol=1e-5)  # batches of 16, 16, 16, 2
    batches = conv.split(16)
    weighted = sum(b.shape[0] * b.var(dim=(0, 2, 3), unbiased=True) for b in batches) / conv.shape[0]
    assert torch.allclose(norm.running_var, weighted, rtol=1e-4)
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    assert norm.momentum == 0.1 and not calibrate_batch_norm(torch.nn.Linear(2, 2), images, [0.5], [0.25])


def test_the_shipped_claims_registry_declares_the_protocol_for_every_trained_metric():
    registry = load_registry(REPO / "config/claims.yaml")
    checks = {c["name"]: c for claim in registry["claims"] for c in claim["checks"]}
    assert checks["ASI output at init is zero"]["kind"] == "sanity"
    assert checks["orthogonal init ends at the min-norm solution"]["kind"] == "sanity"
    assert checks["orthogonal init ends at the min-norm solution"]["requires"]["met_protocol"] is True
    for name in ("Gaussian test MSE grows with depth", "3b ReLU pre-trained above Nyquist keeps its spike "
                 "(paper's stopping rule)", "3b keeps more high-frequency energy than 3a after training (ratio)"):
        assert checks[name]["requires"]["met_protocol"] is True
    # Exp 2 ranks censored frequencies (a run short of its budget is evidence): only a diverged run is excluded
    assert checks["low frequencies converge first"]["requires"] == {"diverged": 0}


def test_exp2_counts_a_run_as_fitted_when_enough_frequencies_converged():
    freqs = [1.0, 2.0, 3.0, 4.0]
    experiment = {"target": {"freqs": freqs, "amps": [1.0] * 4}, "train_x": {"kind": "grid", "n": 64},
                  "fit_frequencies": 2, "variants": {"relu": {"train": {"steps": 10}}}}
    dense = grid(64)
    target = evaluate_signal(experiment["target"], dense)
    low = evaluate_signal({"freqs": freqs[:2], "amps": [1.0, 1.0]}, dense)
    predictions = np.zeros((1, 3, 2, 64, 1))
    predictions[0, 0, -1, :, 0] = target  # every frequency converged
    predictions[0, 1, -1, :, 0] = low  # the two lowest converged: enough
    predictions[0, 2, -1, :, 0] = 0.2 * target  # none converged
    data = {"grid": dense, "x_train": dense, "y_train": target, "target_grid": target, "depths": np.asarray([4]),
            "seeds": np.asarray([0, 1, 2]), "snapshot_steps": np.asarray([0, 10]), "predictions": predictions,
            "losses": np.full((1, 11, 3), 0.1), "steps_taken": np.full((1, 3), 10),
            "pretrain_final_loss": np.full((1, 3), np.nan)}
    metrics, _ = analyze_experiment("fig2_spectral_bias", experiment, {"relu": data})
    runs = metrics["runs"]
    assert [r["frequencies_converged"] for r in runs] == [4, 2, 0]
    # censored, not dropped: the two that never converged rank after the two that did (rho of [1, 2, 3, 4]
    # against [10, 10, 11, 11]); dropping them would leave two pairs and no rho. All at one step, or none: no order
    assert runs[1]["spectral_bias_rho"] == pytest.approx(0.8944, abs=1e-3)
    assert np.isnan(runs[0]["spectral_bias_rho"]) and np.isnan(runs[2]["spectral_bias_rho"])
    assert runs[1]["band_top"] == 4.0
    assert [r["status"] for r in runs] == ["fitted", "fitted", "not fitted"]
    assert metrics["protocol"][0] | {} == {"variant": "relu", "runs": 3, "met_protocol": 2, "not_fitted": 1,
                                           "diverged": 0}


def test_exp2_measures_convergence_on_the_training_inputs_when_asked():
    """A network that fits every training point but oscillates between them (a sine net's interpolation) has
    converged in Rahaman et al.'s sense (its spectrum over the training grid), not on the dense grid."""
    freqs = [1.0, 2.0]
    dense, train = grid(256), grid(64)
    target = evaluate_signal({"freqs": freqs, "amps": [1.0, 1.0]}, dense)
    # zero at every training input (x = -1 + k/32: 33 cycles alias to 1 there), a 1-cycle error on the dense grid
    between = np.sin(2 * np.pi * dense) - np.sin(2 * np.pi * 33 * dense)
    predictions = np.zeros((1, 1, 2, 256, 1))
    predictions[0, 0, -1, :, 0] = target + 3.0 * between
    data = {"grid": dense, "x_train": train, "y_train": evaluate_signal({"freqs": freqs, "amps": [1.0, 1.0]}, train),
            "target_grid": target, "depths": np.asarray([4]), "seeds": np.asarray([0]),
            "snapshot_steps": np.asarray([0, 10]), "predictions": predictions, "losses": np.full((1, 11, 1), 1e-4),
            "steps_taken": np.full((1, 1), 10), "pretrain_final_loss": np.full((1, 1), np.nan)}
    experiment = {"target": {"freqs": freqs, "amps": [1.0, 1.0]}, "train_x": {"kind": "grid", "n": 64},
                  "fit_frequencies": 2, "variants": {"sine": {"train": {"steps": 10}}}}
    on_grid, _ = analyze_experiment("fig2_spectral_bias", experiment, {"sine": data})
    on_train, _ = analyze_experiment("fig2_spectral_bias", experiment | {"relative_error_on": "train_points"},
                                     {"sine": data})
    assert on_grid["runs"][0]["test_mse"] > 1.0  # it interpolates badly on the dense grid ...
    assert on_grid["runs"][0]["frequencies_converged"] == 1 and on_grid["runs"][0]["status"] == "not fitted"
    assert on_train["runs"][0]["frequencies_converged"] == 2  # ... but fits its training grid exactly
    assert on_train["runs"][0]["status"] == "fitted"
    with pytest.raises(ConfigError, match="multiple of train_x.n"):
        analyze_experiment("fig2_spectral_bias", experiment | {"relative_error_on": "train_points"},
                           {"sine": data | {"x_train": np.linspace(-0.99, 0.99, 64)}})


def test_the_sweep_counts_exp2_runs_by_the_frequencies_their_fit_converged():
    from initgen.experiments.lr_sweep import frequencies_converged

    job = {"target": {"freqs": [1.0, 2.0, 3.0], "amps": [1.0, 1.0, 1.0]}, "train_x": {"kind": "grid", "n": 32},
           "fit_frequencies": 2}
    x = grid(32)
    target = evaluate_signal(job["target"], x)
    fits = np.stack([target, evaluate_signal({"freqs": [1.0, 2.0], "amps": [1.0, 0.95]}, x), 0.5 * target])
    assert frequencies_converged(fits, target, job).tolist() == [3, 2, 0]
    with pytest.raises(ConfigError, match="train_x kind 'grid'"):
        frequencies_converged(fits, target, job | {"train_x": {"kind": "step", "step": 0.2}})


def test_the_asi_budget_is_the_smallest_that_fits_every_sweep_run_or_none():
    from initgen.experiments.asi_budget import budget_table, choose_budget

    sweep = {"stds": np.asarray([1.0, 8.0]), "stop_mse": np.asarray(1e-3),
             "original_train_mse": np.asarray([[1e-4, 5e-4], [2e-4, 0.5]]),
             "original_epochs": np.asarray([[900, 3000], [5000, 9000]]),
             "asi_train_mse": np.asarray([[1e-4, 1e-4], [1e-4, 1e-4]]),
             "asi_epochs": np.asarray([[100, 200], [300, 400]])}
    table = budget_table(sweep, cap=9000)
    assert table.reached.tolist() == [2, 1, 2, 2] and table.max_epochs_reached.tolist()[:2] == [3000, 5000]
    assert choose_budget(table, [2000, 4000, 8000])["epochs"] is None
    assert "original std 8 (1/2)" in choose_budget(table, [2000, 4000, 8000])["why"]
    sweep["original_train_mse"][1, 1] = 1e-4  # the slow run reached it at its last epoch
    assert choose_budget(budget_table(sweep, cap=9000), [2000, 4000, 8000, 16000, 32000])["epochs"] == 32000  # 2x
    assert choose_budget(budget_table(sweep, cap=9000), [2000, 4000, 8000, 16000])["epochs"] is None


def test_a_sweep_trains_each_step_size_from_the_seeds_own_pre_trained_init():
    # the sweep pre-trains once per seed and copies it to every step size: each (lr, seed) run must be the run
    # the variant makes alone at that lr (a wrong copy order would pair a seed's loss with another seed's init)
    variant = {"model": {"activation": "relu", "width": 16, "depth": 2},
               "init": {"kind": "pretrain_signal", "signal": {"freqs": [5.0], "amps": [1.0]}, "steps": 30,
                        "points": {"kind": "grid", "n": 32}},
               "train": {"optimizer": "sgd", "lr": 0.01, "steps": 60}}  # fmt: skip
    job = {"target": {"freqs": [1.0], "amps": [1.0]}, "train_x": {"kind": "step", "step": 0.2}, "grid_points": 32,
           "variant": variant}
    lrs, seeds = [1e-3, 3e-2], [1000, 1001, 1002]
    runs = sweep_variant(job, seeds=seeds, lrs=lrs)
    for lr in lrs:
        alone = train_variant(job | {"variant": variant | {"train": variant["train"] | {"lr": lr}}}, seeds)
        swept = runs[runs.lr == lr].sort_values("seed").final_train_mse.to_numpy()
        np.testing.assert_allclose(swept, alone["losses"][0, -1], rtol=1e-5)
    assert len(set(runs.final_train_mse.round(8))) == len(lrs) * len(seeds)  # every run its own
