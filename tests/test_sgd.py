"""initgen's SGD against torch.optim.SGD: the same trajectory, bit for bit, and a state that resumes exactly."""

import copy
import subprocess
import sys

import pytest
import torch

from initgen.core.errors import UserFacingError
from initgen.training.sgd import SGD


def _model(seed: int) -> torch.nn.Module:
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.BatchNorm1d(7), torch.nn.Tanh(), torch.nn.Linear(7, 3))


def _train(model, optimizer, steps: int, lr_at=lambda step: None):
    torch.manual_seed(123)
    for step in range(steps):
        if lr_at(step) is not None:
            for group in optimizer.param_groups:
                group["lr"] = lr_at(step)
        x, y = torch.randn(16, 5), torch.randint(0, 3, (16,))
        loss = torch.nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return [p.detach().clone() for p in model.parameters()]


@pytest.mark.parametrize(
    "settings",
    [
        {"lr": 0.1, "momentum": 0.0, "nesterov": False, "weight_decay": 0.0},
        {"lr": 0.05, "momentum": 0.9, "nesterov": False, "weight_decay": 5e-4},
        {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 1e-3},
    ],
)
def test_same_trajectory_as_torch_optim_sgd(settings):
    ours, theirs = _model(0), _model(0)
    schedule = lambda step: settings["lr"] * (0.5 if step >= 10 else 1.0)  # noqa: E731
    got = _train(ours, SGD(ours.parameters(), **settings), 25, schedule)
    want = _train(theirs, torch.optim.SGD(theirs.parameters(), **settings), 25, schedule)
    for a, b in zip(got, want, strict=True):
        assert torch.equal(a, b)
    assert not torch.equal(got[0], _model(0)[0].weight)  # it did train


def test_state_dict_resumes_exactly():
    settings = {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 5e-4}
    straight = _model(1)
    optimizer = SGD(straight.parameters(), **settings)
    _train(straight, optimizer, 8)
    state = copy.deepcopy({"model": straight.state_dict(), "optimizer": optimizer.state_dict()})  # as on disk
    want = _train(straight, optimizer, 8)

    resumed = _model(2)  # other weights, then the saved ones
    resumed.load_state_dict(state["model"])
    optimizer = SGD(resumed.parameters(), **settings)
    optimizer.load_state_dict(state["optimizer"])
    got = _train(resumed, optimizer, 8)
    for a, b in zip(got, want, strict=True):
        assert torch.equal(a, b)


def test_foreign_state_is_a_clear_error():
    optimizer = SGD(_model(0).parameters(), lr=0.1, momentum=0.9)
    with pytest.raises(UserFacingError, match="not initgen's SGD"):
        optimizer.load_state_dict(torch.optim.SGD(_model(0).parameters(), lr=0.1).state_dict())


def test_training_does_not_import_dynamo():
    """The reason this module exists: torch.optim's first use imports torch._dynamo (seconds per job)."""
    code = (
        "import sys, torch\n"
        "from initgen.training.sgd import SGD\n"
        "m = torch.nn.Linear(3, 2); o = SGD(m.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)\n"
        "m(torch.randn(4, 3)).sum().backward(); o.step(); o.zero_grad()\n"
        "print('torch._dynamo' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
