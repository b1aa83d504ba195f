"""The empirical neural tangent kernel (NTK) at a network's current parameters, and kernel regression with it.

K(x, x') = J(x) J(x')^T, J(x) = d h(x; theta) / d theta (one row per input point, one column per parameter).
In the NTK regime, gradient descent on the squared loss from h_ini ends at
    h_final(x) = h_k(x; y) + [h_ini(x) - h_k(x; h_ini(X))],   h_k(x; z) = K(x, X) K(X, X)^{-1} z,
so the bracket is the error caused by the initial output (Zhang et al. 2020); it is zero when h_ini = 0.
Works for any nn.Module with one scalar output per input point (e.g. MLP, ASI(MLP)).
"""

from __future__ import annotations

import torch


def jacobian(model: torch.nn.Module, x: torch.Tensor, chunk: int = 32) -> torch.Tensor:
    """J [N, P]: the gradient of the scalar output at each row of x w.r.t. all trainable parameters.

    One backward pass per point (the outputs of one forward pass over a chunk): plain autograd, which has no
    start-up cost (torch.func's vmap took seconds on first use) and is fast enough for the few hundred
    points an NTK needs here.
    """
    params = [p for p in model.parameters() if p.requires_grad]
    rows = []
    for start in range(0, x.shape[0], chunk):
        outputs = model(x[start : start + chunk]).reshape(-1)
        for i in range(outputs.shape[0]):
            grads = torch.autograd.grad(outputs[i], params, retain_graph=i < outputs.shape[0] - 1)
            rows.append(torch.cat([g.reshape(-1) for g in grads]))
    return torch.stack(rows)


def empirical_ntk(model: torch.nn.Module, x1: torch.Tensor, x2: torch.Tensor | None = None, chunk: int = 32):
    """K(x1, x2) [N1, N2]. The side with fewer points is held whole and the other taken in chunks, so only that
    side's Jacobian and one chunk of the other's are in memory at once: K(test, train) with 500 test points and
    10 training points of a 25M-parameter network holds 26 Jacobian rows (5 GB in float64), not 510 (100 GB)."""
    if x2 is not None and x1.shape[0] > x2.shape[0]:
        return empirical_ntk(model, x2, x1, chunk).T
    j1 = jacobian(model, x1, chunk)
    if x2 is None:
        return j1 @ j1.T
    blocks = [j1 @ jacobian(model, x2[s : s + chunk], chunk).T for s in range(0, x2.shape[0], chunk)]
    return torch.cat(blocks, dim=1)


def kernel_regression(k_test_train: torch.Tensor, k_train_train: torch.Tensor, values: torch.Tensor):
    """h_k(x; values) = K(x, X) K(X, X)^{-1} values (least squares if K(X, X) is singular)."""
    coef = torch.linalg.lstsq(k_train_train, values.reshape(k_train_train.shape[0], -1)).solution
    return (k_test_train @ coef).reshape(k_test_train.shape[0], *values.shape[1:])


def initial_output_error(h_ini_test, h_ini_train, k_test_train, k_train_train):
    """h_ini(x) - h_k(x; h_ini(X)): what a nonzero initial output adds to the trained network in the NTK regime."""
    return h_ini_test - kernel_regression(k_test_train, k_train_train, h_ini_train)


__all__ = ["empirical_ntk", "initial_output_error", "jacobian", "kernel_regression"]
