"""Runs of the overparametrized linear networks of Min et al. 2021 (SPEC "Overparametrized linear networks").

- linear_imbalance: `linear-imbalance-run` (the paper's exact setup; loss curves, c, Theorem 1 bound, imbalance
  drift against step size) -> npz.
- linear_width: `linear-width-run` (distance to the min-norm solution against width, random and
  orthogonal-manifold inits) -> npz.
`related-analyze` turns them into metrics.json. A module of its own so that the ASI runs (experiments/asi_runs.py)
do not depend on the linear-network code, nor these on the ASI code.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from initgen.core.errors import ConfigError
from initgen.core.runtime import resolve_device, run_npz_step
from initgen.models import linear_network as linear_nets

# --- linear networks ----------------------------------------------------------------------------------------


def _normal(shape, generator, std=1.0):
    return std * torch.randn(*shape, generator=generator, dtype=linear_nets.DTYPE)


def imbalance_problem(spec: dict, seed: int) -> dict:
    """The paper's data for one seed: X = W Phi1^T (unit singular values), Y = X Theta + noise; U0, V0 N(0, 1)."""
    D, n, m, h = spec["D"], spec["n"], spec["m"], spec["h"]
    generator = torch.Generator().manual_seed(int(seed))
    X = linear_nets.unit_singular_data(D, n, generator)
    theta = _normal((D, m), generator, 1 / math.sqrt(D))
    Y = X @ theta + _normal((n, m), generator, spec["noise_std"])
    return {"X": X, "Y": Y, "U0": _normal((D, h), generator), "V0": _normal((m, h), generator)}


def imbalance_case_init(case: dict, problem: dict, seed: int):
    U, V = case["sU"] * problem["U0"], case["sV"] * problem["V0"]
    if case.get("balanced", False):
        if V.shape[0] != 1:
            raise ConfigError("config key related.linear_imbalance.cases[].balanced needs m = 1")
        _, _, phi1 = linear_nets.thin_svd(problem["X"])
        U, V = linear_nets.balanced_like(U, V, phi1, torch.Generator().manual_seed(int(seed) + 1))
    return U, V


def run_linear_imbalance(spec: dict, seeds: list[int], device: str = "cpu") -> dict:
    """All (case, seed) runs as one batch of gradient descent; then the drift runs at smaller steps."""
    device = resolve_device(device)
    cases = spec["cases"]
    reduced, sigma = [], []
    for case in cases:
        for seed in seeds:
            problem = imbalance_problem(spec, seed)
            U, V = imbalance_case_init(case, problem, seed)
            reduced.append(linear_nets.reduce_run(problem["X"], problem["Y"], U, V))
            sigma.append(linear_nets.sigma_r(problem["X"]))
    shape = (len(cases), len(seeds))

    def batch():
        state = linear_nets.stack_runs(reduced)
        for key in ("A", "B", "s", "Yt", "floor", "G"):
            setattr(state, key, getattr(state, key).to(device))
        return state

    state = batch()
    rates = np.asarray(linear_nets.reduced_rate_constants(state))
    lam0 = linear_nets.reduced_imbalance(state).clone()
    step, iterations = spec["step"], spec["iterations"]
    result = linear_nets.gd_reduced(state, step, iterations, progress="linear_imbalance")
    record = np.arange(0, iterations + 1, spec["record_every"])
    if record[-1] != iterations:
        record = np.append(record, iterations)
    losses = result["losses"][record].T  # [runs, recorded]
    floor = state.floor.cpu().numpy()
    sigma = np.asarray(sigma)
    time = linear_nets.flow_time(record, step, spec["n"])
    bound = floor[:, None] + linear_nets.theorem1_bound(
        (losses[:, 0] - floor)[:, None], rates[:, None], sigma[:, None], time[None, :]
    )
    out = {
        "case_names": np.asarray([c["name"] for c in cases]),
        "sU": np.asarray([c["sU"] for c in cases], dtype=float),
        "sV": np.asarray([c["sV"] for c in cases], dtype=float),
        "seeds": np.asarray(seeds),
        "iterations": record,
        "losses": losses.reshape(*shape, -1),
        "bound": bound.reshape(*shape, -1),  # Theorem 1 on the averaged loss, at the recorded iterations
        "c": rates.reshape(shape),
        "sigma_r": sigma.reshape(shape),
        "floor": floor.reshape(shape),
        "step": np.asarray(step),
        "n": np.asarray(spec["n"]),
    }
    # Drift of Lambda over the same flow time at smaller steps: gradient descent changes it by O(step).
    factors = spec["drift_step_factors"]
    drifts = []
    for factor in factors:
        if factor == 1.0:
            final = linear_nets.reduced_imbalance(state)
        else:
            other = batch()
            linear_nets.gd_reduced(other, step * factor, int(round(iterations / factor)), progress=f"drift x{factor}")
            final = linear_nets.reduced_imbalance(other)
        drifts.append(torch.linalg.norm(final - lam0, dim=(1, 2)).cpu().numpy().reshape(shape))
    out["drift_factors"] = np.asarray(factors, dtype=float)
    out["drift"] = np.stack(drifts)  # [factors, cases, seeds]: ||Lambda(T) - Lambda(0)||_F
    out["lambda0_norm"] = torch.linalg.norm(lam0, dim=(1, 2)).cpu().numpy().reshape(shape)
    return out


def width_problem(spec: dict, seed: int) -> dict:
    D, n, m = spec["D"], spec["n"], spec["m"]
    generator = torch.Generator().manual_seed(int(seed))
    X = _normal((n, D), generator, 1 / math.sqrt(D))
    theta = _normal((D, m), generator, 1 / math.sqrt(D))
    return {"X": X, "Y": X @ theta + _normal((n, m), generator, spec["noise_std"])}


def run_linear_width(spec: dict, seeds: list[int], device: str = "cpu") -> dict:
    """Every (init, width, seed) run in one batch of gradient descent until loss < stop_loss."""
    device = resolve_device(device)
    widths, inits, m = spec["widths"], spec["inits"], spec["m"]
    reduced, u2_init, dist_init = [], [], []
    for init in inits:
        for h in widths:
            if h < spec["n"] + m:
                raise ConfigError(f"config key related.linear_width.widths: width {h} < n + m = {spec['n'] + m}")
            for seed in seeds:
                problem = width_problem(spec, seed)
                generator = torch.Generator().manual_seed(int(seed) * 100_003 + int(h))
                U = _normal((spec["D"], h), generator, 1 / math.sqrt(h))
                V = _normal((m, h), generator, 1 / math.sqrt(h))
                if init == "orthogonal":
                    _, _, phi1 = linear_nets.thin_svd(problem["X"])
                    U = linear_nets.project_to_orthogonal_manifold(U, V, phi1)
                reduced.append(linear_nets.reduce_run(problem["X"], problem["Y"], U, V))
    state = linear_nets.stack_runs(reduced)
    for key in ("A", "B", "s", "Yt", "floor", "G"):
        setattr(state, key, getattr(state, key).to(device))
    shape = (len(inits), len(widths), len(seeds))
    u2_init = linear_nets.reduced_u2_part(state).cpu().numpy().reshape(shape)
    dist_init = linear_nets.reduced_distance(state).cpu().numpy().reshape(shape)
    rates = np.asarray(linear_nets.reduced_rate_constants(state)).reshape(shape)
    result = linear_nets.gd_reduced(
        state, spec["step"], spec["max_iterations"], stop_loss=spec["stop_loss"], progress="linear_width"
    )
    theta_norm = [float(torch.linalg.norm(linear_nets.min_norm_solution(**width_problem(spec, s)))) for s in seeds]
    return {
        "inits": np.asarray(inits),
        "widths": np.asarray(widths),
        "seeds": np.asarray(seeds),
        "distance": linear_nets.reduced_distance(state).cpu().numpy().reshape(shape),
        "distance_init": dist_init,
        "u2v_init": u2_init,
        "c": rates,
        "converged_at": result["converged_at"].reshape(shape),
        "final_loss": result["losses"][-1].reshape(shape),
        "theta_hat_norm": np.asarray(theta_norm),
    }


# --- command line -------------------------------------------------------------------------------------------


def cli_linear_imbalance_run(argv: list[str]) -> int:
    """`initgen linear-imbalance-run --job JSON --seeds JSON --out FILE.npz`"""
    return run_npz_step(argv, "initgen linear-imbalance-run", run_linear_imbalance, description="Gradient descent on "
                   "two-layer linear networks with imbalanced init: losses, Theorem 1 bound, drift (Min et al. 2021).")


def cli_linear_width_run(argv: list[str]) -> int:
    """`initgen linear-width-run --job JSON --seeds JSON --out FILE.npz`"""
    return run_npz_step(argv, "initgen linear-width-run", run_linear_width, description="Linear networks of growing "
                   "width: distance of the learned map to the min-norm solution (Min et al. 2021).")
