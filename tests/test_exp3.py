"""Exp 3 (claim 3 of SPEC.md) with the shipped config block (config/config.yaml, fig3_init_spectrum): 10 points with
spacing 0.2, target one cycle per unit, each network trained with its shipped SGD step size (chosen by
`initgen select-lr`, config/sweeps/) until the training MSE falls below 1e-3.

3b (ReLU pre-trained on a sine at twice the data's Nyquist frequency, which vanishes at every training point) starts
with a spike there that 3a (ReLU, Xavier) lacks; both must fit (the protocol) on every seed. How much of the spike
survives is the claim, judged by config/claims.yaml on the artifact's runs, not by this test.
"""

import numpy as np
import pytest
import yaml
from conftest import REPO

from initgen.experiments.regression_1d_analyze import analyze_experiment
from initgen.experiments.regression_1d_train import train_variant

CONFIG = yaml.safe_load((REPO / "config/config.yaml").read_text())
EXPERIMENT = CONFIG["toy"]["experiments"]["fig3_init_spectrum"]
SEEDS = [0, 1]


def _run(variant: str) -> list[dict]:
    job = {k: EXPERIMENT[k] for k in ("target", "train_x")} | {
        "grid_points": CONFIG["toy"]["grid_points"], "variant": EXPERIMENT["variants"][variant]}
    metrics, _ = analyze_experiment("fig3_init_spectrum", EXPERIMENT, {variant: train_variant(job, seeds=SEEDS)})
    return metrics["runs"]


def test_shipped_exp3_settings_fit_and_the_pretrained_spike_above_nyquist_survives():
    xavier, pretrained = _run("a_relu_xavier"), _run("b_relu_pretrained")
    for run in xavier + pretrained:
        assert run["status"] == "fitted", run  # the protocol: every network reaches train MSE < 1e-3, stays finite
        assert run["train_mse_final"] < 1e-3
    for a, b in zip(xavier, pretrained, strict=True):
        assert b["amp_init_at_5"] > 25 * a["amp_init_at_5"]  # the pre-training put a spike there
        # how much of it training keeps is claim 3b's measurement (config/claims.yaml); the analysis that
        # measures it is checked on a known spectrum below
        assert b["kept_fraction_at_5"] == pytest.approx(b["amp_final_at_5"] / b["amp_init_at_5"], rel=1e-12)


def test_exp3_analysis_reads_a_known_spectrum():
    """Outputs with a known 5-cycle component: the spike at init is 2 sin(2 pi 5 x), after training 0.5 sin(2 pi 5 x)
    on top of the target, so the kept fraction is 0.25 and the test MSE the mean of (0.5 sin)^2 = 0.125. A wrong
    amplitude, frequency bin, ratio or MSE changes these numbers."""
    from initgen.data.signals import evaluate_signal, grid

    x = grid(CONFIG["toy"]["grid_points"])
    target = evaluate_signal(EXPERIMENT["target"], x)
    spike = np.sin(2 * np.pi * 5 * x)
    snapshots = np.stack([2 * spike, target + 0.5 * spike])  # [S, G]
    trained = {"a_relu_xavier": {
        "grid": x, "target_grid": target, "snapshot_steps": np.array([0, 100]),
        "predictions": snapshots[None, None, :, :, None],  # [D, M, S, G, out]
        "losses": np.array([[[1.0], [5e-4]]]), "steps_taken": np.array([[100]]),
        "pretrain_final_loss": np.array([[np.nan]]), "depths": np.array([4]), "seeds": np.array([0]),
    }}
    (run,) = analyze_experiment("fig3_init_spectrum", EXPERIMENT, trained)[0]["runs"]
    assert run["status"] == "fitted" and run["train_mse_final"] == 5e-4
    assert run["kept_fraction_at_5"] == pytest.approx(0.25, rel=1e-9)
    assert run["amp_final_at_5"] / run["amp_init_at_5"] == pytest.approx(0.25, rel=1e-9)
    assert run["amp_init_at_5"] > 0 and run["hf_fraction_init"] > 0.99  # all of the init's energy is above Nyquist
    assert run["test_mse"] == pytest.approx(0.125, rel=1e-9)
