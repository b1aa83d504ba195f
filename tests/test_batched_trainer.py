import pytest
import torch

from initgen.models.mlp import BatchedMLP
from initgen.models.mlp_init import draw_mlp
from initgen.training.batched import train_batched, train_one_by_one

SCALES = {"relu": 1.0, "gaussian": 0.5, "sine": 3.0}


def _networks(activation, dtype, n=4, width=32, depth=3):
    spec = {"activation": activation, "width": width}
    return [
        draw_mlp(spec, {"kind": "xavier_uniform"}, seed, depth, SCALES[activation], dtype=dtype) for seed in range(n)
    ]


def _max_difference(batched, mlps):
    return max(
        (a - b).abs().max().item()
        for one, reference in zip(batched.unstack(), mlps, strict=True)
        for a, b in zip(one.parameters(), reference.parameters(), strict=True)
    )


CASES = [("relu", "sgd", 1e-2), ("gaussian", "sgd", 1e-2), ("sine", "sgd", 1e-3),
         ("relu", "adam", 1e-3), ("gaussian", "adam", 1e-3), ("sine", "adam", 1e-3)]  # fmt: skip
# Adam divides by sqrt(v): a gradient that is only float32 rounding noise (dead ReLU units) gets a full lr-sized
# step whose sign is the noise's, in either implementation; so Adam's equality is checked in float64 only.
FLOAT32_CASES = [case for case in CASES if case[1] == "sgd"]


@pytest.mark.parametrize(
    "dtype, activation, optimizer, lr",
    [(torch.float64, *case) for case in CASES] + [(torch.float32, *case) for case in FLOAT32_CASES],
)
def test_batched_training_equals_one_by_one(dtype, activation, optimizer, lr):
    mlps = _networks(activation, dtype)
    batched = BatchedMLP.stack(mlps)
    assert _max_difference(batched, mlps) == 0.0
    x = torch.linspace(-1, 1, 10, dtype=dtype)[:, None]
    y = torch.sin(3 * x)[None].expand(len(mlps), -1, -1).clone()
    log = train_batched(batched, x, y, optimizer=optimizer, lr=lr, steps=100)
    train_one_by_one(mlps, x, y, optimizer=optimizer, lr=lr, steps=100)
    assert (log.steps_taken == 100).all()
    assert _max_difference(batched, mlps) < 1e-5
    assert log.losses[-1].max() < log.losses[0].min()  # it did train


def test_per_model_stopping_rule_matches_one_by_one():
    mlps = _networks("gaussian", torch.float64)
    batched = BatchedMLP.stack(mlps)
    x = torch.linspace(-1, 1, 10, dtype=torch.float64)[:, None]
    y = torch.sin(3 * x)[None].expand(len(mlps), -1, -1).clone()
    log = train_batched(batched, x, y, optimizer="adam", lr=1e-2, steps=300, stop_loss=1e-3)
    taken = train_one_by_one(mlps, x, y, optimizer="adam", lr=1e-2, steps=300, stop_loss=1e-3)
    assert log.steps_taken.tolist() == taken
    assert len(set(taken)) > 1  # the models really stopped at different steps
    assert _max_difference(batched, mlps) < 1e-5


def test_per_model_learning_rates_are_per_model():
    mlps = _networks("relu", torch.float64, n=2)
    batched = BatchedMLP.stack(mlps)
    x = torch.linspace(-1, 1, 10, dtype=torch.float64)[:, None]
    y = torch.sin(3 * x)[None].expand(2, -1, -1).clone()
    train_batched(batched, x, y, optimizer="sgd", lr=torch.tensor([1e-2, 0.0]), steps=20)
    train_one_by_one(mlps[:1], x, y[:1], optimizer="sgd", lr=1e-2, steps=20)
    after = batched.unstack()
    assert all(
        torch.allclose(a, b, atol=1e-10) for a, b in zip(after[0].parameters(), mlps[0].parameters(), strict=True)
    )
    assert all(
        torch.equal(a, b) for a, b in zip(after[1].parameters(), mlps[1].parameters(), strict=True)
    )  # lr 0: unchanged


def test_log_spaced_snapshots_resolve_the_first_steps_of_a_long_budget():
    from initgen.training.batched import snapshot_schedule

    assert snapshot_schedule(3000, 31) == list(range(0, 3001, 100))
    log = snapshot_schedule(3000, 31, "log")
    assert log[:3] == [0, 1, 2] and log[-1] == 3000 and len(log) <= 31
    assert all(a < b for a, b in zip(log, log[1:], strict=False))
    assert sum(s <= 100 for s in log) >= 10  # a linear grid has 2 snapshots there (0 and 100)
    with pytest.raises(ValueError, match="spacing"):
        snapshot_schedule(10, 3, "cubic")


def test_stopped_models_leave_the_batch_and_keep_their_weights():
    """Per-model inputs, SGD, snapshots: models that stop early are dropped from the working batch (the cost of a
    long tail is one model's), yet every snapshot and the end hold each model's weights as training it alone."""
    mlps = _networks("gaussian", torch.float64, n=5)
    batched = BatchedMLP.stack(mlps)
    x = torch.linspace(-1, 1, 10, dtype=torch.float64)[None, :, None].repeat(5, 1, 1)
    x = x + 0.01 * torch.arange(5, dtype=torch.float64)[:, None, None]  # each model its own inputs
    y = torch.sin(3 * x)
    lr = torch.tensor([0.3, 0.1, 0.03, 0.01, 0.0], dtype=torch.float64)  # lr 0 never fits: runs to the end
    snapshots = list(range(0, 401, 40))
    log = train_batched(batched, x, y, optimizer="sgd", lr=lr, steps=400, stop_loss=0.02, snapshot_steps=snapshots,
                        evaluate=lambda m: m(x).clone())  # fmt: skip
    taken = [train_one_by_one([mlp], x[i], y[i : i + 1], optimizer="sgd", lr=float(lr[i]), steps=400,
                              stop_loss=0.02)[0] for i, mlp in enumerate(mlps)]  # fmt: skip
    assert log.steps_taken.tolist() == taken
    assert taken[-1] == 400 and min(taken) < 200  # one model stopped well before the end: the batch shrank
    assert _max_difference(batched, mlps) < 1e-8  # float64, 400 steps: rounding of a different summation order
    assert log.snapshot_steps == snapshots
    for i, stop in enumerate(taken):  # after its stop, a model's snapshot outputs and loss no longer change
        after = [out[i] for step, out in zip(snapshots, log.snapshots, strict=True) if step > stop]
        assert all(torch.equal(a, after[0]) for a in after)
        assert (log.losses[stop:, i] == log.losses[stop, i]).all()
