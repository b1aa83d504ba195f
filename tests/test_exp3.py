"""Exp 3 (claim 3 of SPEC.md) in the SPEC protocol-note setting: width 256, depth 4, 10 points with spacing 0.2,
target one cycle per unit, trained with SGD until the training MSE falls below 1e-3.

3b (ReLU pre-trained on a sine at twice the data's Nyquist frequency, which vanishes at every training point) keeps
a large part of its spike (SPEC measured ~0.9 kept; we measure 0.42 with this
pre-training); 3a (ReLU, Xavier) has next to no energy there. Each uses a plain SGD step that trains it
stably: 1e-2 for 3a (4,000-odd steps), 1e-3 for 3b (it diverges at 1e-2 from its sharp pre-trained minimum).
"""

import numpy as np

from initgen.experiments.toy_analyze import analyze_experiment
from initgen.experiments.toy_train import train_variant

EXPERIMENT = {"target": {"freqs": [1.0]}, "train_x": {"kind": "step", "step": 0.2}, "watch_freqs": [5.0]}
MODEL = {"activation": "relu", "width": 256, "depth": 4}
TRAIN = {"optimizer": "sgd", "steps": 10000, "stop_mse": 1e-3}
PRETRAIN = {"kind": "pretrain_signal", "signal": {"freqs": [5.0]}, "points": {"kind": "grid", "n": 64},
            "optimizer": "adam", "lr": 1e-3, "steps": 1000}  # fmt: skip


def _run(init, lr):
    job = dict(EXPERIMENT, grid_points=512, variant={"model": MODEL, "init": init, "train": dict(TRAIN, lr=lr)})
    metrics, _ = analyze_experiment("fig3", EXPERIMENT, {"v": train_variant(job, seeds=[0])})
    return metrics["runs"][0]


def test_pretrained_spike_above_nyquist_survives_training_and_xavier_has_none():
    xavier, pretrained = _run({"kind": "xavier_uniform"}, lr=1e-2), _run(PRETRAIN, lr=1e-3)
    for run in (xavier, pretrained):
        assert run["train_mse_final"] < 1e-3  # both fit the training points
    # measured once (seed 0): spike 0.24 after pre-training, 0.42 of it kept; Xavier 0.004 -> 0.043 at 5 cycles/unit
    assert pretrained["amp_init_at_5"] > 25 * xavier["amp_init_at_5"]  # the pre-training put a spike there
    assert pretrained["kept_fraction_at_5"] > 0.25  # and training left a large part of it
    assert pretrained["amp_final_at_5"] > 2 * xavier["amp_final_at_5"]
    assert pretrained["hf_fraction_final"] > 2 * xavier["hf_fraction_final"]
    assert pretrained["test_mse"] > 3 * xavier["test_mse"]  # and it generalizes worse
    assert np.isfinite([pretrained["test_mse"], xavier["test_mse"]]).all()
