"""Single-hidden-layer linear networks f(x) = V U^T x (Min, Tarmoun, Vidal, Mallada, ICML 2021).

Notation (SPEC.md): X in R^{n x D} (rows are samples), Y in R^{n x m}, U in R^{D x h}, V in R^{m x h};
L = 1/2 ||Y - X U V^T||_F^2. X = W diag(s) Phi1^T is the thin SVD over X's r nonzero singular values;
U1 = Phi1^T U is the part of U that X sees, U2 = Phi2^T U the rest.

- imbalance Lambda = U1^T U1 - V^T V (h x h) is conserved by gradient flow; under gradient descent it drifts by
  O(step) over a fixed flow time (each step changes it by step^2 (G_U1^T G_U1 - G_V^T G_V)).
- rate constant c = [lambda_r(Lambda)]_+ + [lambda_m(-Lambda)]_+ (eigenvalues in decreasing order), and
  Theorem 1: L(t) - L* <= exp(-2 lambda_r(Sigma_x) c t) (L(0) - L*), lambda_r(Sigma_x) = s_r^2 (smallest
  nonzero eigenvalue of X X^T).
- min-norm solution Theta_hat = X^T (X X^T)^+ Y = Phi1 diag(1/s) W^T Y.
- orthogonality manifold {U2 U1^T = 0, U2 V^T = 0}: invariant under flow and under gradient descent; from it the
  trained network lands exactly on Theta_hat.

Training uses the averaged loss of the paper's experiments, loss = (1/n) ||Y - X U V^T||_F^2 = (2/n) L, so
gradient descent with step eta follows gradient flow on L with time t = 2 eta k / n after k steps.

Speed: gradient descent never changes U2 (the gradient X^T E V lies in X's row space), and every update of U1
and V lies in the span of the rows of U1(0) and V(0) (dimension k <= r + m). So we train A (r x k) and B (m x k)
with U1 = A Q^T, V = B Q^T for an orthonormal basis Q (h x k) of that span: each step costs O(r k m), whatever
D and h are, and many runs train at once as one batch on the GPU when there is one. `gd_full` is the plain
reference the tests compare against.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from initgen.core.progress import progress as progress_lines

DTYPE = torch.float64  # the paper's losses go to 1e-8 and below: float32 cannot resolve them


# --- data ---------------------------------------------------------------------------------------------------


def thin_svd(X: torch.Tensor, rtol: float = 1e-10) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """W (n x r), s (r,), Phi1 (D x r) over the nonzero singular values of X (relative tolerance `rtol`)."""
    W, s, Vh = torch.linalg.svd(X, full_matrices=False)
    r = int((s > rtol * s[0]).sum())
    return W[:, :r], s[:r], Vh[:r].T


def unit_singular_data(D: int, n: int, generator: torch.Generator) -> torch.Tensor:
    """The paper's X = W Phi1^T from the SVD of a standard normal n x D matrix: all nonzero singular values 1."""
    W, _, Vh = torch.linalg.svd(torch.randn(n, D, generator=generator, dtype=DTYPE), full_matrices=False)
    return W @ Vh


def min_norm_solution(X: torch.Tensor, Y: torch.Tensor) -> torch.Tensor:
    """Theta_hat = X^T (X X^T)^+ Y: the interpolating (or least-squares) solution of least Frobenius norm."""
    return X.T @ torch.linalg.pinv(X @ X.T, hermitian=True) @ Y


# --- conserved quantities and the rate ----------------------------------------------------------------------


def imbalance(U: torch.Tensor, V: torch.Tensor, Phi1: torch.Tensor) -> torch.Tensor:
    """Lambda = U1^T U1 - V^T V with U1 = Phi1^T U (h x h)."""
    U1 = Phi1.T @ U
    return U1.T @ U1 - V.T @ V


def rate_constant_from_eigs(eigs, r: int, m: int) -> float:
    """c = [lambda_r(Lambda)]_+ + [lambda_m(-Lambda)]_+ from all h eigenvalues of Lambda (any order)."""
    eigs = np.sort(np.asarray(eigs, dtype=float))[::-1]  # decreasing
    lam_r = eigs[r - 1] if r <= eigs.size else 0.0
    neg = np.sort(-eigs)[::-1]
    lam_m = neg[m - 1] if m <= neg.size else 0.0
    return float(max(lam_r, 0.0) + max(lam_m, 0.0))


def rate_constant(Lambda: torch.Tensor, r: int, m: int) -> float:
    """c of Theorem 1 from the imbalance matrix; r = rank of X, m = output dimension."""
    return rate_constant_from_eigs(torch.linalg.eigvalsh(Lambda).cpu().numpy(), r, m)


def theorem1_bound(excess0, c, sigma_r, t):
    """Theorem 1: upper bound on L(t) - L* (or on any multiple of it, e.g. the averaged loss)."""
    return np.asarray(excess0) * np.exp(-2.0 * np.asarray(sigma_r) * np.asarray(c) * np.asarray(t))


def flow_time(iterations, step: float, n: int):
    """Gradient-flow time on L after `iterations` steps of size `step` on the averaged loss (2/n) L."""
    return 2.0 * step * np.asarray(iterations, dtype=float) / n


def orthogonality_residuals(U: torch.Tensor, V: torch.Tensor, Phi1: torch.Tensor) -> tuple[float, float]:
    """(||U2 U1^T||_F, ||U2 V^T||_F): both zero exactly on the orthogonality manifold."""
    U1 = Phi1.T @ U
    U2_part = U - Phi1 @ U1  # Phi2 U2: same norms as U2 in any basis of the complement
    return float(torch.linalg.norm(U2_part @ U1.T)), float(torch.linalg.norm(U2_part @ V.T))


def project_to_orthogonal_manifold(U: torch.Tensor, V: torch.Tensor, Phi1: torch.Tensor) -> torch.Tensor:
    """U with the rows of U2 made orthogonal to the rows of U1 and V (U1 and V unchanged)."""
    U1 = Phi1.T @ U
    U2_part = U - Phi1 @ U1
    Q, _ = torch.linalg.qr(torch.cat([U1, V]).T)  # h x (r + m): basis of the rows of U1 and V
    return Phi1 @ U1 + U2_part - (U2_part @ Q) @ Q.T


def balanced_like(U: torch.Tensor, V: torch.Tensor, Phi1: torch.Tensor, generator: torch.Generator):
    """A balanced init (Lambda = 0) with the same product U V^T, for m = 1.

    With p = U V^T split as p1 = Phi1^T p and the rest p2: V = sqrt(||p1||) q^T, U = p q^T / sqrt(||p1||) for a
    random unit q in R^h. Then U1^T U1 = q q^T ||p1|| = V^T V, so Lambda = 0 and c = 0: Theorem 1 gives no rate.
    """
    if V.shape[0] != 1:
        raise ValueError("balanced_like needs m = 1")
    p = U @ V.T  # D x 1
    norm1 = torch.linalg.norm(Phi1.T @ p)
    q = torch.randn(U.shape[1], 1, generator=generator, dtype=U.dtype).to(U.device)
    q = q / torch.linalg.norm(q)
    return p @ q.T / norm1.sqrt(), norm1.sqrt() * q.T


# --- gradient descent ---------------------------------------------------------------------------------------


def averaged_loss(X, Y, U, V) -> float:
    return float(((Y - X @ U @ V.T) ** 2).sum() / X.shape[0])


def gd_full(X, Y, U, V, step: float, iterations: int):
    """Reference gradient descent on (1/n) ||Y - X U V^T||^2 with the full matrices; returns (U, V, losses)."""
    n = X.shape[0]
    losses = []
    for _ in range(iterations):
        E = Y - X @ U @ V.T
        losses.append(float((E**2).sum() / n))
        U, V = U + (2 * step / n) * X.T @ E @ V, V + (2 * step / n) * E.T @ X @ U
    losses.append(averaged_loss(X, Y, U, V))
    return U, V, np.asarray(losses)


@dataclass
class Reduced:
    """A batch of R runs in the coordinates that gradient descent moves in (see the module docstring).

    A [R, r, k], B [R, m, k]: U1 = A Q^T, V = B Q^T.   s [R, r]: singular values of X.
    Yt [R, r, m] = W^T Y.   floor [R]: (1/n) ||Y - W W^T Y||^2, the loss no network can go below.
    G [R, k, k] = C^T C with C = (Phi2 U2) Q: ||Phi2 U2 V^T||_F^2 = tr(B G B^T).
    """

    A: torch.Tensor
    B: torch.Tensor
    s: torch.Tensor
    Yt: torch.Tensor
    floor: torch.Tensor
    G: torch.Tensor
    n: int
    h: list[int]


def reduce_run(X, Y, U, V) -> dict:
    """One run's reduced tensors (unbatched) from the full problem."""
    W, s, Phi1 = thin_svd(X)
    U1 = Phi1.T @ U
    Q, _ = torch.linalg.qr(torch.cat([U1, V]).T)  # h x k, k = min(h, r + m)
    C = (U - Phi1 @ U1) @ Q
    Yt = W.T @ Y
    return {
        "A": U1 @ Q,
        "B": V @ Q,
        "s": s,
        "Yt": Yt,
        "floor": ((Y - W @ Yt) ** 2).sum() / X.shape[0],
        "G": C.T @ C,
        "n": X.shape[0],
        "h": U.shape[1],
    }


def stack_runs(runs: list[dict]) -> Reduced:
    """Batch reduced runs (they must share n, r, m and k)."""
    shapes = {(r["n"], *r["A"].shape, r["B"].shape[0]) for r in runs}
    if len(shapes) != 1:
        raise ValueError(f"runs to batch need one shape (n, r, k, m); got {sorted(shapes)}")
    return Reduced(
        **{key: torch.stack([r[key] for r in runs]) for key in ("A", "B", "s", "Yt", "G")},
        floor=torch.stack([torch.as_tensor(r["floor"]) for r in runs]),
        n=runs[0]["n"],
        h=[r["h"] for r in runs],
    )


def reduced_loss(state: Reduced) -> torch.Tensor:
    """Averaged loss of each run, [R]."""
    residual = state.Yt - state.s[..., None] * (state.A @ state.B.transpose(1, 2))
    return (residual**2).sum(dim=(1, 2)) / state.n + state.floor


def reduced_imbalance(state: Reduced) -> torch.Tensor:
    """Q^T Lambda Q = A^T A - B^T B, [R, k, k]: Lambda's nonzero eigenvalues and its Frobenius norm."""
    return state.A.transpose(1, 2) @ state.A - state.B.transpose(1, 2) @ state.B


def reduced_rate_constants(state: Reduced) -> list[float]:
    """c of each run: the eigenvalues of Lambda are those of A^T A - B^T B plus h - k zeros."""
    eigs = torch.linalg.eigvalsh(reduced_imbalance(state)).cpu().numpy()
    r, m, k = state.A.shape[1], state.B.shape[1], state.A.shape[2]
    padded = [np.concatenate([e, np.zeros(h - k)]) for e, h in zip(eigs, state.h, strict=True)]
    return [rate_constant_from_eigs(e, r, m) for e in padded]


def reduced_distance(state: Reduced) -> torch.Tensor:
    """||U V^T - Theta_hat||_F of each run: the row-space error and the fixed U2 part are orthogonal."""
    row_error = state.A @ state.B.transpose(1, 2) - state.Yt / state.s[..., None]
    u2_part = (state.B @ state.G @ state.B.transpose(1, 2)).diagonal(dim1=1, dim2=2).sum(-1)
    return ((row_error**2).sum(dim=(1, 2)) + u2_part).clamp(min=0).sqrt()


def reduced_u2_part(state: Reduced) -> torch.Tensor:
    """||Phi2 U2 V^T||_F of each run (at init: ||U2(0) V(0)^T||_F, the part GD can never remove)."""
    return (state.B @ state.G @ state.B.transpose(1, 2)).diagonal(dim1=1, dim2=2).sum(-1).clamp(min=0).sqrt()


def gd_reduced(
    state: Reduced,
    step: float,
    iterations: int,
    stop_loss: float | None = None,
    progress: str | None = None,
) -> dict:
    """Gradient descent on the averaged loss, in place, all runs at once.

    A run whose loss is below `stop_loss` takes no more steps (as if trained alone with that stopping rule).
    Returns losses [iterations + 1, R] (loss before each step, and after the last; frozen runs repeat their
    last value) and converged_at [R] (first iteration with loss < stop_loss, -1 if never).
    """
    runs = state.A.shape[0]
    losses = torch.empty(iterations + 1, runs, dtype=state.A.dtype, device=state.A.device)
    active = torch.ones(runs, dtype=torch.bool, device=state.A.device)
    converged_at = torch.full((runs,), -1, dtype=torch.long, device=state.A.device)
    scale = state.s[..., None]  # [R, r, 1]
    rate = 2.0 * step / state.n
    done = iterations
    for it in progress_lines(range(iterations + 1), desc=progress, disable=progress is None, unit="step"):
        residual = state.Yt - scale * (state.A @ state.B.transpose(1, 2))  # W^T E, [R, r, m]
        loss = (residual**2).sum(dim=(1, 2)) / state.n + state.floor
        losses[it] = loss
        if stop_loss is not None:
            newly = active & (loss < stop_loss)
            converged_at[newly] = it
            active &= ~newly
            if it % 500 == 0 and not bool(active.any()):  # a host sync now and then, not every step
                done = it
                break
        if it == iterations:
            break
        weighted = scale * residual  # S W^T E, [R, r, m]
        mask = active.to(state.A.dtype).view(-1, 1, 1) * rate
        grad_a = weighted @ state.B  # minus the gradient / rate, [R, r, k]
        grad_b = weighted.transpose(1, 2) @ state.A  # [R, m, k]
        state.A += mask * grad_a
        state.B += mask * grad_b
    losses[done + 1 :] = losses[done]
    return {"losses": losses.cpu().numpy(), "converged_at": converged_at.cpu().numpy()}


def to_full(state: Reduced, index: int, X, U0, V0):
    """The full U, V of run `index` (for checks): U = Phi1 A Q^T + Phi2 U2, V = B Q^T, Q from the init U0, V0."""
    _, _, Phi1 = thin_svd(X)
    U1 = Phi1.T @ U0
    Q, _ = torch.linalg.qr(torch.cat([U1, V0]).T)
    return Phi1 @ state.A[index] @ Q.T + (U0 - Phi1 @ U1), state.B[index] @ Q.T


def sigma_r(X: torch.Tensor) -> float:
    """lambda_r(Sigma_x): the smallest nonzero eigenvalue of X X^T."""
    return float(thin_svd(X)[1][-1] ** 2)


__all__ = [
    "DTYPE",
    "Reduced",
    "averaged_loss",
    "balanced_like",
    "flow_time",
    "gd_full",
    "gd_reduced",
    "imbalance",
    "min_norm_solution",
    "orthogonality_residuals",
    "project_to_orthogonal_manifold",
    "rate_constant",
    "rate_constant_from_eigs",
    "reduce_run",
    "reduced_distance",
    "reduced_imbalance",
    "reduced_loss",
    "reduced_rate_constants",
    "reduced_u2_part",
    "sigma_r",
    "stack_runs",
    "theorem1_bound",
    "thin_svd",
    "to_full",
    "unit_singular_data",
]
