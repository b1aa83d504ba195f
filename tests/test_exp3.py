"""Exp 3 (claim 3 of SPEC.md) with the shipped config block (config/config.yaml, fig3_init_spectrum): 10 points with
spacing 0.2, target one cycle per unit, each network trained with its shipped SGD step size (chosen by
`initgen select-lr`, config/sweeps/) until the training MSE falls below 1e-3.

3b (ReLU pre-trained on a sine at twice the data's Nyquist frequency, which vanishes at every training point) starts
with a spike there that 3a (ReLU, Xavier) lacks; both must fit (the protocol) on every seed. How much of the spike
survives is the claim, judged by config/claims.yaml on the artifact's runs, not by this test.
"""

import numpy as np
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
        # how much of it training keeps is claim 3b's measurement (config/claims.yaml), not asserted here
        assert np.isfinite([a["test_mse"], b["test_mse"], b["kept_fraction_at_5"]]).all()
