"""Classifier training, label corruption, input gradients and checkpoints, on tiny real tensors (no mocks)."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest
import torch

from initgen.analysis.input_gradients import bandwidth, histogram, input_gradients, symmetric_edges
from initgen.core.checkpoint import load_checkpoint, rng_state, save_checkpoint, set_rng_state
from initgen.core.errors import UserFacingError
from initgen.experiments.classifier_analyze import paired_differences
from initgen.experiments.classifier_train import corrupt_labels
from initgen.models.zoo import build_model
from initgen.pipeline.artifacts import corruption_fraction, init_name
from initgen.training.classifier import learning_rate, train_classifier

STATS = {"mean": [0.5], "std": [0.25]}


def blobs(n=96, classes=3, size=4, seed=0):
    """Linearly separable uint8 'images': each class brightens its own band of rows."""
    generator = torch.Generator().manual_seed(seed)
    labels = torch.arange(n) % classes
    images = torch.randint(0, 60, (n, 1, size, size), generator=generator)
    for c in range(classes):
        images[labels == c, :, c, :] += 180
    return images.to(torch.uint8), labels


def test_learning_rate_schedules():
    base = {"lr": 0.1, "max_epochs": 10}
    assert learning_rate(base | {"schedule": {"kind": "constant", "warmup_epochs": 0}}, 7) == 0.1
    step = base | {"schedule": {"kind": "step", "milestones": [3, 6], "gamma": 0.1, "warmup_epochs": 0}}
    assert [round(learning_rate(step, e), 6) for e in (2, 3, 6)] == [0.1, 0.01, 0.001]
    assert math.isclose(
        learning_rate(base | {"schedule": {"kind": "exponential", "gamma": 0.95, "warmup_epochs": 0}}, 2), 0.1 * 0.95**2
    )
    cosine = base | {"schedule": {"kind": "cosine", "warmup_epochs": 0}}  # defaults: filled by the schema
    assert learning_rate(cosine, 0) == 0.1 and math.isclose(learning_rate(cosine, 5), 0.05)
    warm = base | {"schedule": {"kind": "constant", "warmup_epochs": 3}}
    assert [learning_rate(warm, e) for e in range(4)] == pytest.approx([0.025, 0.05, 0.075, 0.1])


def test_training_stops_at_the_target_and_reports_per_epoch_metrics():
    torch.manual_seed(0)
    model = build_model("mlp", 3, 1, 4)
    train, test = blobs(seed=0), blobs(n=30, seed=1)
    settings = {"lr": 0.05, "batch_size": 16, "max_epochs": 40, "target_train_acc": 0.99}
    result = train_classifier(model, train, test, STATS, settings, seed=0, progress=False)
    assert result["reached_target"] and not result["diverged"]
    assert result["epochs"] < 40 and len(result["history"]) == result["epochs"]
    assert result["history"][-1]["train_acc"] >= 0.99 > result["history"][0]["train_acc"] - 1e-9
    assert {"epoch", "lr", "train_loss", "train_acc", "test_loss", "test_acc"} <= set(result["history"][0])
    assert "test_top5" not in result  # only for 100+ classes
    assert result["train_acc"] >= 0.99 and result["test_acc"] >= 0.9


def test_top5_is_reported_for_100_classes():
    images, labels = blobs(n=200, classes=2, seed=2)
    labels = torch.arange(200) % 100
    torch.manual_seed(0)
    result = train_classifier(
        build_model("mlp", 100, 1, 4),
        (images, labels),
        (images, labels),
        STATS,
        {"lr": 0.01, "max_epochs": 1},
        seed=0,
        progress=False,
    )
    assert "test_top5" in result["history"][0] and result["test_top5"] >= result["test_acc"]


def test_a_nan_run_is_recorded_as_diverged_not_raised():
    torch.manual_seed(0)
    result = train_classifier(
        build_model("mlp", 3, 1, 4),
        blobs(),
        blobs(n=30, seed=1),
        STATS,
        {"lr": 1e12, "batch_size": 16, "max_epochs": 5},
        seed=0,
        progress=False,
    )
    assert result["diverged"] and not result["reached_target"]
    assert math.isnan(result["test_acc"]) and result["epochs"] <= 5


def test_label_corruption_fraction_and_determinism():
    labels = torch.arange(1000) % 10
    assert torch.equal(corrupt_labels(labels, 0.0, seed=0), labels)
    full = corrupt_labels(labels, 1.0, seed=0)
    assert torch.equal(torch.bincount(full), torch.bincount(labels))  # a permutation keeps class frequencies
    assert 0.85 < (full != labels).float().mean() < 0.95  # ~ 1 - 1/10 change by chance
    half = corrupt_labels(labels, 0.5, seed=0)
    assert 0.4 < (half != labels).float().mean() < 0.5  # half shuffled, 1/10 of those land on their own label
    assert torch.equal(half, corrupt_labels(labels, 0.5, seed=0))
    assert not torch.equal(half, corrupt_labels(labels, 0.5, seed=1))
    assert [corruption_fraction(i) for i in ("random", "highbw", "corrupt0.25")] == [None, 1.0, 0.25]
    assert init_name(1.0) == "highbw" and init_name(0.5) == "corrupt0.5"


def test_input_gradient_of_a_linear_model_is_its_averaged_weights():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(2 * 3 * 3, 4))
    images = torch.randint(0, 256, (5, 2, 3, 3), dtype=torch.uint8)
    mean, std = [0.4, 0.6], [0.2, 0.5]
    grads = input_gradients(model, images, mean, std, batch_size=2)
    # d/dx mean_k (W ((x - m) / s) + b)_k = mean_k W_k / s (per pixel, the same for every image).
    expected = (model[1].weight.mean(0).view(2, 3, 3) / torch.tensor(std).view(2, 1, 1)).expand(5, 2, 3, 3)
    torch.testing.assert_close(grads, expected)
    assert bandwidth(grads) == pytest.approx(expected.abs().mean().item())
    edges = symmetric_edges([grads.numpy()], bins=8)
    assert edges[0] == -edges[-1] and np.sum(
        histogram(grads.numpy(), edges) * np.diff(edges)
    ) == pytest.approx(1)


def test_paired_difference_uses_matching_seeds():
    runs = [
        {"model": "m", "init": i, "seed": s, "test_acc": a}
        for i, s, a in [("random", 0, 0.9), ("random", 1, 0.8), ("highbw", 0, 0.7), ("highbw", 2, 0.1)]
    ]
    assert paired_differences(runs, "m", "test_acc") == [pytest.approx(-0.2)]


def test_checkpoint_round_trip_restores_rng_and_rejects_damaged_files(tmp_path):
    model = torch.nn.Linear(3, 2)
    state = rng_state()
    expected = (torch.rand(3), np.random.rand(2), __import__("random").random())
    path = save_checkpoint(
        tmp_path / "c.pt", model, epoch=4, config={"a": 1}, extra={"history": [{"x": 1.0}]}
    )
    loaded = load_checkpoint(path)  # weights_only=True inside
    assert (
        loaded["epoch"] == 4 and loaded["config"] == {"a": 1} and loaded["extra"]["history"] == [{"x": 1.0}]
    )
    torch.testing.assert_close(loaded["model"]["weight"], model.weight.detach())
    set_rng_state(state)
    again = (torch.rand(3), np.random.rand(2), __import__("random").random())
    assert (
        torch.equal(expected[0], again[0])
        and np.array_equal(expected[1], again[1])
        and expected[2] == again[2]
    )
    (tmp_path / "bad.pt").write_bytes(path.read_bytes()[:100])
    with pytest.raises(UserFacingError, match="cannot be read"):
        load_checkpoint(tmp_path / "bad.pt")
    assert not list(tmp_path.glob(".*tmp*"))  # nothing half-written left behind


def test_resume_ignores_a_checkpoint_written_with_other_settings(tmp_path):
    settings = {"lr": 0.05, "batch_size": 16, "max_epochs": 2, "target_train_acc": 1.1}
    torch.manual_seed(0)
    train_classifier(
        build_model("mlp", 3, 1, 4),
        blobs(),
        None,
        STATS,
        settings,
        seed=0,
        checkpoint_path=tmp_path / "last.pt",
        progress=False,
    )
    torch.manual_seed(0)
    other = train_classifier(
        build_model("mlp", 3, 1, 4),
        blobs(),
        None,
        STATS,
        settings | {"max_epochs": 3},
        seed=0,
        checkpoint_path=tmp_path / "last.pt",
        progress=False,
    )
    assert other["epochs"] == 3  # started over, did not resume the 2-epoch run
    assert load_checkpoint(tmp_path / "last.pt")["epoch"] == 3


def test_cli_reports_bad_input_with_a_message_and_exit_1(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "initgen",
            "deep-train",
            "--job",
            "{not json",
            "--checkpoint",
            str(tmp_path / "c.pt"),
            "--json",
            str(tmp_path / "r.json"),
            "--history",
            str(tmp_path / "h.csv"),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1 and "--job is not valid JSON" in result.stderr
    assert not list(tmp_path.iterdir())
