"""Linear networks (Min et al. 2021): imbalance, rate constant, Theorem 1, min-norm solution, fast GD."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from initgen.models import linear_network as ln

pytestmark = pytest.mark.usefixtures("one_thread")


def _problem(D=30, n=10, m=1, h=40, scale_u=None, scale_v=None, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, D, generator=g, dtype=ln.DTYPE) / math.sqrt(D)
    Y = X @ (torch.randn(D, m, generator=g, dtype=ln.DTYPE) / math.sqrt(D)) + 0.01 * torch.randn(
        n, m, generator=g, dtype=ln.DTYPE
    )
    U = torch.randn(D, h, generator=g, dtype=ln.DTYPE) * (scale_u or 1 / math.sqrt(h))
    V = torch.randn(m, h, generator=g, dtype=ln.DTYPE) * (scale_v or 1 / math.sqrt(h))
    return X, Y, U, V


def test_rate_constant_hand_built_case_equals_closed_form():
    # X = I_2 (so Phi1 = I, r = 2, D = 2), m = 1, h = 3: U = [sqrt(a) e1, sqrt(b) e2, 0], V = [0, 0, sqrt(d)]
    # -> Lambda = diag(a, b, -d): lambda_2(Lambda) = min(a, b), lambda_1(-Lambda) = d, so c = min(a, b) + d.
    a, b, d = 0.7, 0.3, 1.9
    U = torch.tensor([[math.sqrt(a), 0.0, 0.0], [0.0, math.sqrt(b), 0.0]], dtype=ln.DTYPE)
    V = torch.tensor([[0.0, 0.0, math.sqrt(d)]], dtype=ln.DTYPE)
    _, _, phi1 = ln.thin_svd(torch.eye(2, dtype=ln.DTYPE))
    Lambda = ln.imbalance(U, V, phi1)
    torch.testing.assert_close(Lambda.abs(), torch.diag(torch.tensor([a, b, d], dtype=ln.DTYPE)), rtol=0, atol=1e-15)
    assert ln.rate_constant(Lambda, r=2, m=1) == pytest.approx(min(a, b) + d, rel=1e-12)
    # a V overlapping U1's rows: Lambda = diag(a - d, b, 0) with d > a -> lambda_2 = 0, lambda_1(-Lambda) = d - a
    V2 = torch.tensor([[math.sqrt(d), 0.0, 0.0]], dtype=ln.DTYPE)
    assert ln.rate_constant(ln.imbalance(U, V2, phi1), r=2, m=1) == pytest.approx(0.0 + (d - a), rel=1e-12)
    assert ln.rate_constant_from_eigs([0.5, -0.2, 2.0], r=2, m=1) == pytest.approx(0.5 + 0.2)


def test_reduced_gradient_descent_equals_the_full_matrices():
    X, Y, U, V = _problem(D=25, n=8, m=2, h=30)
    U_full, V_full, losses_full = ln.gd_full(X, Y, U, V, step=0.05, iterations=200)
    state = ln.stack_runs([ln.reduce_run(X, Y, U, V)])
    result = ln.gd_reduced(state, step=0.05, iterations=200)
    np.testing.assert_allclose(result["losses"][:, 0], losses_full, rtol=1e-10, atol=1e-14)
    U_red, V_red = ln.to_full(state, 0, X, U, V)
    torch.testing.assert_close(U_red, U_full, rtol=0, atol=1e-12)
    torch.testing.assert_close(V_red, V_full, rtol=0, atol=1e-12)
    theta = ln.min_norm_solution(X, Y)
    assert float(ln.reduced_distance(state)[0]) == pytest.approx(float(torch.linalg.norm(U_full @ V_full.T - theta)))
    # the rate constant from the reduced coordinates equals the one from the full h x h imbalance
    _, _, phi1 = ln.thin_svd(X)
    c0 = ln.reduced_rate_constants(ln.stack_runs([ln.reduce_run(X, Y, U, V)]))[0]
    assert c0 == pytest.approx(ln.rate_constant(ln.imbalance(U, V, phi1), r=8, m=2), rel=1e-9)


def test_imbalance_drift_under_gd_is_order_step():
    X, Y, U, V = _problem(scale_u=0.3, scale_v=0.3)
    _, _, phi1 = ln.thin_svd(X)
    lam0 = ln.imbalance(U, V, phi1)
    drifts = []
    for step, iterations in [(0.05, 100), (0.025, 200), (0.0125, 400)]:  # the same flow time
        U_t, V_t, losses = ln.gd_full(X, Y, U, V, step, iterations)
        drifts.append(float(torch.linalg.norm(ln.imbalance(U_t, V_t, phi1) - lam0)))
    assert losses[-1] < 1e-2 * losses[0]  # it did train
    assert drifts[0] / drifts[1] == pytest.approx(2.0, rel=0.05)  # halving the step halves the drift
    assert drifts[1] / drifts[2] == pytest.approx(2.0, rel=0.05)
    assert abs(drifts[1] / drifts[2] - 2) < abs(drifts[0] / drifts[1] - 2)  # ... more exactly as step -> 0
    assert drifts[0] < 1e-2 * float(torch.linalg.norm(lam0))


def test_orthogonal_init_converges_to_the_min_norm_solution():
    X, Y, U, V = _problem(D=30, n=10, h=40)
    _, _, phi1 = ln.thin_svd(X)
    theta = ln.min_norm_solution(X, Y)
    U_orth = ln.project_to_orthogonal_manifold(U, V, phi1)
    assert max(ln.orthogonality_residuals(U_orth, V, phi1)) < 1e-12
    assert min(ln.orthogonality_residuals(U, V, phi1)) > 1e-2  # a random init is off the manifold
    for init, expect_close in [(U_orth, True), (U, False)]:
        state = ln.stack_runs([ln.reduce_run(X, Y, init, V)])
        result = ln.gd_reduced(state, step=0.5, iterations=200_000, stop_loss=1e-20)
        assert result["converged_at"][0] > 0
        relative = float(ln.reduced_distance(state)[0] / torch.linalg.norm(theta))
        assert (relative < 1e-4) == expect_close, relative


def test_loss_stays_under_theorem1_bound():
    X, Y, U, V = _problem(D=30, n=10, h=40, scale_u=0.5, scale_v=0.05)
    state = ln.stack_runs([ln.reduce_run(X, Y, U, V)])
    c = ln.reduced_rate_constants(state)[0]
    assert c > 0.1
    losses = ln.gd_reduced(state, step=0.01, iterations=3000)["losses"][:, 0]
    floor = float(state.floor[0])
    t = ln.flow_time(np.arange(losses.size), 0.01, X.shape[0])
    bound = ln.theorem1_bound(losses[0] - floor, c, ln.sigma_r(X), t)
    assert np.all(losses - floor <= bound * (1 + 1e-6))
    assert losses[-1] < 1e-3 * losses[0]  # and it is not a vacuous bound: the loss fell a lot


def test_balanced_like_has_zero_imbalance_and_the_same_product():
    X, Y, U, V = _problem(scale_u=0.1, scale_v=0.1)
    _, _, phi1 = ln.thin_svd(X)
    Ub, Vb = ln.balanced_like(U, V, phi1, torch.Generator().manual_seed(1))
    torch.testing.assert_close(Ub @ Vb.T, U @ V.T, rtol=1e-12, atol=1e-14)
    assert float(torch.linalg.norm(ln.imbalance(Ub, Vb, phi1))) < 1e-12
    assert ln.rate_constant(ln.imbalance(Ub, Vb, phi1), r=10, m=1) == pytest.approx(0.0, abs=1e-12)


def test_min_norm_solution_and_unit_singular_data():
    X, Y, _, _ = _problem()
    theta = ln.min_norm_solution(X, Y)
    torch.testing.assert_close(X @ theta, Y, rtol=0, atol=1e-10)
    torch.testing.assert_close(theta, torch.linalg.pinv(X) @ Y, rtol=1e-8, atol=1e-12)
    Xu = ln.unit_singular_data(50, 20, torch.Generator().manual_seed(0))
    torch.testing.assert_close(torch.linalg.svdvals(Xu), torch.ones(20, dtype=ln.DTYPE), rtol=0, atol=1e-12)
    assert ln.sigma_r(Xu) == pytest.approx(1.0)
