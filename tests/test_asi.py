"""ASI (Zhang et al. 2020): the antisymmetric pair, the doubling trick, RND's width, and the empirical NTK."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

from initgen.analysis import ntk
from initgen.models import asi
from initgen.models.mlp import MLP, BatchedMLP
from initgen.training.batched import train_batched

pytestmark = pytest.mark.usefixtures("one_thread")


def _mlp(seed=0, width=16, depth=2, std=3.0):
    return asi.draw_networks("relu", width, depth, std, [seed], dtype=torch.float64).unstack()[0]


def _points(n, seed=0):
    return torch.as_tensor(np.random.default_rng(seed).uniform(-1, 1, (n, 1)))


def test_asi_outputs_exactly_zero_at_init():
    x = _points(200)
    for net in (_mlp(), asi.draw_networks("relu", 32, 2, 4.0, [0, 1, 2])):
        model = asi.ASI(net.to(torch.float64) if isinstance(net, MLP) else net)
        out = model(x if isinstance(net, MLP) else x.float())
        assert torch.equal(out, torch.zeros_like(out))
        assert net(x if isinstance(net, MLP) else x.float()).abs().max() > 0.1  # the original is far from 0


def test_asi_ntk_equals_the_original():
    net, x = _mlp(), _points(12)
    k_original = ntk.empirical_ntk(net, x)
    k_asi = ntk.empirical_ntk(asi.ASI(net), x)
    assert k_asi.shape == (12, 12)
    assert float(torch.linalg.norm(k_asi - k_original) / torch.linalg.norm(k_original)) < 1e-6
    # ... and it is a real kernel: the doubling trick's network, also 0 at init, has a different one
    doubled = asi.NetworkAt(asi.doubling(BatchedMLP.stack([net])), 0)
    k_doubled = ntk.empirical_ntk(doubled, x)
    assert float(torch.linalg.norm(k_doubled - k_original) / torch.linalg.norm(k_original)) > 0.1


def test_empirical_ntk_matches_autograd_per_point():
    net, x = _mlp(width=8), _points(5, seed=1)
    rows = []
    for point in x:
        grads = torch.autograd.grad(net(point[None]).sum(), list(net.parameters()))
        rows.append(torch.cat([g.reshape(-1) for g in grads]))
    jac = torch.stack(rows)
    x2 = _points(7, seed=2)
    rows2 = []
    for point in x2:
        grads = torch.autograd.grad(net(point[None]).sum(), list(net.parameters()))
        rows2.append(torch.cat([g.reshape(-1) for g in grads]))
    expected = jac @ torch.stack(rows2).T
    torch.testing.assert_close(ntk.empirical_ntk(net, x, x2, chunk=3), expected, rtol=1e-12, atol=1e-12)


def test_empirical_ntk_holds_only_the_smaller_side_whole(monkeypatch):
    """K(test, train) for many test points: the Jacobian held whole is the training points' (the rehearsal's
    ASI job at width 5000 was killed for memory holding all test points' rows); values as before, transposed."""
    net, many, few = _mlp(width=8), _points(11, seed=1), _points(3, seed=2)
    expected = ntk.empirical_ntk(net, few, many, chunk=4).T
    sizes, jacobian = [], ntk.jacobian

    def counting(model, x, chunk=32):
        sizes.append(x.shape[0])
        return jacobian(model, x, chunk)

    monkeypatch.setattr(ntk, "jacobian", counting)
    torch.testing.assert_close(ntk.empirical_ntk(net, many, few, chunk=4), expected, rtol=0, atol=0)
    assert sizes == [3, 4, 4, 3]  # the 3 training points whole, then the 11 test points 4 at a time


def test_kernel_regression_interpolates_and_initial_error_vanishes_at_training_points():
    net, x = _mlp(), _points(8)
    k = ntk.empirical_ntk(net, x)
    values = torch.sin(4 * x)
    torch.testing.assert_close(ntk.kernel_regression(k, k, values), values, rtol=0, atol=1e-8)
    with torch.no_grad():
        h = net(x)
    error = ntk.initial_output_error(h, h, k, k)
    assert float(error.abs().max()) < 1e-8 * float(h.abs().max())


def test_doubling_outputs_zero_and_keeps_both_copies_trainable():
    base = asi.draw_networks("relu", 16, 2, 3.0, [0, 1])
    doubled = asi.doubling(base)
    x = _points(30).float()
    # zero up to float rounding (the two halves are summed in one dot product), unlike ASI's exact zero
    with torch.no_grad():
        assert float(doubled(x).abs().max()) < 1e-5 * float(base(x).abs().max())
    assert doubled.weights[-2].shape == (2, 16, 32) and doubled.weights[-1].shape == (2, 32, 1)
    torch.testing.assert_close(asi.NetworkAt(doubled, 1)(x), doubled(x)[1])
    train_batched(doubled, x, torch.sin(4 * x).expand(2, -1, -1), optimizer="sgd", lr=1e-3, steps=3)
    assert doubled(x).abs().max() > 0  # it learns from the zero output


def test_asi_trains_both_copies():
    model = asi.ASI(asi.draw_networks("relu", 16, 2, 2.0, [0]))
    before = [p.detach().clone() for p in model.twin.parameters()]
    x = _points(10).float()
    log = train_batched(model, x, torch.sin(4 * x)[None], optimizer="sgd", lr=1e-3, steps=20)
    assert log.losses[-1, 0] < log.losses[0, 0]
    assert any(not torch.equal(b, p) for b, p in zip(before, model.twin.parameters(), strict=True))
    assert any(not torch.equal(a, b) for a, b in zip(model.net.parameters(), model.twin.parameters(), strict=True))


@pytest.mark.parametrize("width,depth", [(128, 2), (5000, 2), (64, 3)])
def test_matched_width_doubles_the_parameter_count(width, depth):
    wide = asi.matched_width(width, depth)
    target = 2 * asi.param_count(width, depth)
    assert abs(asi.param_count(wide, depth) - target) <= abs(asi.param_count(wide + 1, depth) - target)
    assert abs(asi.param_count(wide, depth) - target) <= abs(asi.param_count(wide - 1, depth) - target)
    assert abs(wide / width - np.sqrt(2)) < 0.05
    assert asi.param_count(width, depth) == sum(p.numel() for p in MLP("relu", width, depth).parameters())


def test_draw_networks_is_seeded_and_scaled_by_fan_in():
    a = asi.draw_networks("relu", 400, 2, 2.0, [3, 4])
    b = asi.draw_networks("relu", 400, 2, 2.0, [3])
    torch.testing.assert_close(a.weights[1][0], b.weights[1][0], rtol=0, atol=0)
    assert not torch.equal(a.weights[1][0], a.weights[1][1])
    assert abs(float(a.weights[1].detach().std()) - 2.0 / np.sqrt(400)) < 0.01
    net = copy.deepcopy(a)
    assert net(_points(3).float()).shape == (2, 3, 1)
