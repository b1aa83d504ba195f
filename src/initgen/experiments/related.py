"""The related papers' experiments (SPEC.md "ASI" and "Overparametrized linear networks").

Artifacts and steps (workflow/rules/related.smk):
- asi: `asi-run --part main` (original, ASI, doubling, RND over seeds, with the NTK prediction of the error
  caused by the initial output) and `asi-run --part sweep` (init std sweep, original vs ASI) -> npz files.
- linear_imbalance: `linear-imbalance-run` (the paper's exact setup; loss curves, c, Theorem 1 bound,
  imbalance drift against step size) -> npz.
- linear_width: `linear-width-run` (distance to the min-norm solution against width, random and
  orthogonal-manifold inits) -> npz.
- `related-analyze` (experiments/related_analyze.py) turns them into results/<artifact>/metrics.json; figures
  and tables are plots/related.py.
Everything a result depends on comes from the spec (config) and the seed: no clock, no hostname.
"""

from __future__ import annotations

import argparse
import copy
import json
import math

import numpy as np
import torch

from initgen import asi, linear_nets, ntk
from initgen.errors import ConfigError, UserFacingError
from initgen.models.mlp import BatchedMLP
from initgen.results import save_npz
from initgen.runtime import add_runtime_arguments, resolve_device, setup
from initgen.train.batched import train_batched

ASI_VARIANTS = ("original", "asi", "doubling", "rnd")
CURVE_POINTS = 200  # loss-curve samples kept per run (log-spaced in the epoch): enough for a log-log plot


# --- ASI ----------------------------------------------------------------------------------------------------


def asi_data(spec: dict, seed: int) -> dict:
    """Training and test points for one seed: uniform on [-1, 1], target sin(omega x)."""
    rng = np.random.default_rng([int(seed), 2020])
    x_train = np.sort(rng.uniform(-1.0, 1.0, spec["n_train"]))
    x_test = np.sort(rng.uniform(-1.0, 1.0, spec["n_test"]))
    omega = spec["target_omega"]
    return {"x_train": x_train, "y_train": np.sin(omega * x_train), "x_test": x_test, "y_test": np.sin(omega * x_test)}


def _column(values: np.ndarray, device, dtype=torch.float32) -> torch.Tensor:
    return torch.as_tensor(values, dtype=dtype, device=device)[..., None]


def ntk_learning_rates(model: BatchedMLP, x_train: torch.Tensor, fraction: float, chunk: int) -> np.ndarray:
    """Per network: fraction * n / lambda_max(K(X, X)). Gradient descent on the mean squared error is stable in
    the NTK regime for a step below n / lambda_max, so this is the same relative step for every network."""
    rates = []
    for i in range(model.n_models):
        net = asi.NetworkAt(model, i).double()
        gram = ntk.empirical_ntk(net, x_train[i].double(), chunk=chunk)
        rates.append(fraction * x_train.shape[1] / float(torch.linalg.eigvalsh(gram)[-1]))
    return np.asarray(rates)


def curve_steps(epochs: int) -> np.ndarray:
    """Log-spaced epochs (with 0) at which loss curves are kept."""
    return np.unique(np.concatenate([[0], np.geomspace(1, epochs, CURVE_POINTS).round().astype(int)]))


def _train(model, x_train, y_train, rates, spec, progress):
    log = train_batched(
        model,
        x_train,
        y_train,
        loss="mse",
        optimizer="sgd",  # plain gradient descent: the NTK theory is about GD, not Adam
        lr=torch.as_tensor(rates, dtype=torch.float32),
        steps=spec["epochs"],
        stop_loss=spec["stop_mse"],
        progress=progress,
    )
    return log


def _build(variant: str, spec: dict, std: float, seeds: list[int]) -> BatchedMLP | asi.ASI:
    activation, width, depth = spec["activation"], spec["width"], spec["depth"]
    if variant == "rnd":
        return asi.draw_networks(activation, asi.matched_width(width, depth), depth, std, seeds)
    base = asi.draw_networks(activation, width, depth, std, seeds)
    return {"original": base, "asi": asi.ASI(base), "doubling": asi.doubling(base)}[variant]


def _plain(model) -> BatchedMLP:
    """The network whose NTK an ASI model has (the original), else the model itself."""
    return model.net if isinstance(model, asi.ASI) else model


def run_asi_main(spec: dict, seeds: list[int], device: str = "cpu") -> dict:
    """Original, ASI, doubling and RND at init std spec['init_std'], every seed trained at once per variant."""
    device = resolve_device(device)
    data = [asi_data(spec, s) for s in seeds]
    stacked = {k: np.stack([d[k] for d in data]) for k in data[0]}
    x_train, x_test = _column(stacked["x_train"], device), _column(stacked["x_test"], device)
    y_train = _column(stacked["y_train"], device)
    steps = curve_steps(spec["epochs"])
    out = {key: value for key, value in stacked.items()}
    out |= {"seeds": np.asarray(seeds), "curve_steps": steps, "variants": np.asarray(ASI_VARIANTS)}
    out["stop_mse"] = np.asarray(spec["stop_mse"], dtype=float)  # the stopping rule, for the runs' protocol status
    out["rnd_width"] = np.asarray(asi.matched_width(spec["width"], spec["depth"]))
    for variant in spec["variants"]:
        model = _build(variant, spec, spec["init_std"], seeds).to(device)
        rates = ntk_learning_rates(_plain(model), x_train, spec["lr_fraction"], spec["ntk_chunk"])
        with torch.no_grad():
            out[f"{variant}_init"] = model(x_test)[..., 0].cpu().numpy()
        log = _train(model, x_train, y_train, rates, spec, progress=f"asi {variant}")
        with torch.no_grad():
            out[f"{variant}_final"] = model(x_test)[..., 0].cpu().numpy()
        out[f"{variant}_curve"] = log.losses[steps].T  # [seeds, curve points]
        out[f"{variant}_epochs"] = log.steps_taken
        out[f"{variant}_lr"] = rates
        out[f"{variant}_params"] = np.asarray(sum(p[0].numel() for p in model.parameters()))

    # The NTK prediction (original network at init): the error its initial output adds, and the fit of a
    # zero-output network (ASI) from kernel regression on the training data.
    predicted, kernel_fit = [], []
    original = _build("original", spec, spec["init_std"], seeds).unstack()
    for i, mlp in enumerate(original):
        net = copy.deepcopy(mlp).double().to(device)
        xt, xs = x_train[i].double(), x_test[i].double()
        k_train = ntk.empirical_ntk(net, xt, chunk=spec["ntk_chunk"])
        k_test = ntk.empirical_ntk(net, xs, xt, chunk=spec["ntk_chunk"])
        with torch.no_grad():
            predicted.append(ntk.initial_output_error(net(xs), net(xt), k_test, k_train)[:, 0].cpu().numpy())
        kernel_fit.append(ntk.kernel_regression(k_test, k_train, y_train[i].double())[:, 0].cpu().numpy())
    out["predicted_error"] = np.stack(predicted)
    out["kernel_fit"] = np.stack(kernel_fit)
    return out


def run_asi_sweep(spec: dict, seeds: list[int], device: str = "cpu") -> dict:
    """Original vs ASI over init stds: all (std, seed) networks of one variant train as one batch."""
    device = resolve_device(device)
    stds = spec["std_sweep"]
    data = [asi_data(spec, s) for s in seeds] * len(stds)  # model index = std index * len(seeds) + seed index
    x_train = _column(np.stack([d["x_train"] for d in data]), device)
    x_test = _column(np.stack([d["x_test"] for d in data]), device)
    y_train = _column(np.stack([d["y_train"] for d in data]), device)
    y_test = np.stack([d["y_test"] for d in data])
    shape = (len(stds), len(seeds))
    out = {"stds": np.asarray(stds, dtype=float), "seeds": np.asarray(seeds)}
    out["stop_mse"] = np.asarray(spec["stop_mse"], dtype=float)
    for variant in ("original", "asi"):
        nets = [_build("original", spec, std, seeds) for std in stds]
        base = BatchedMLP.stack([m for batch in nets for m in batch.unstack()]).to(device)
        with torch.no_grad():
            original_init = base(x_test)[..., 0].cpu().numpy()
        model = asi.ASI(base) if variant == "asi" else base
        rates = ntk_learning_rates(base, x_train, spec["lr_fraction"], spec["ntk_chunk"])
        log = _train(model, x_train, y_train, rates, spec, progress=f"asi sweep {variant}")
        with torch.no_grad():
            final = model(x_test)[..., 0].cpu().numpy()
        # the initial output's magnitude is that of the original network (ASI's is 0 by construction)
        out["init_rms"] = np.sqrt((original_init**2).mean(axis=1)).reshape(shape)
        out[f"{variant}_test_mse"] = ((final - y_test) ** 2).mean(axis=1).reshape(shape)
        out[f"{variant}_train_mse"] = log.losses[-1].reshape(shape)
        out[f"{variant}_epochs"] = log.steps_taken.reshape(shape)
    return out


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


def _json_arg(text: str, name: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise UserFacingError(f"--{name} is not valid JSON: {error}") from None


def _runner(argv: list[str], prog: str, run, parts: dict | None = None, description: str = "") -> int:
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--spec", required=True, help="the config block (JSON), e.g. related.asi")
    parser.add_argument("--seeds", required=True, help="JSON list of seeds (config key seeds)")
    add_runtime_arguments(parser, threads_default=1)
    parser.add_argument("--out", required=True, help="npz file to write")
    if parts:
        parser.add_argument("--part", choices=sorted(parts), required=True, help="which part of the experiment to run")
    args = parser.parse_args(argv)
    device = setup(args.device, args.threads)
    spec, seeds = _json_arg(args.spec, "spec"), _json_arg(args.seeds, "seeds")
    function = parts[args.part] if parts else run
    save_npz(args.out, **function(spec, [int(s) for s in seeds], device))
    print(f"wrote {args.out}")
    return 0


def cli_asi_run(argv: list[str]) -> int:
    """`initgen asi-run --part main|sweep --spec JSON --seeds JSON --out FILE.npz`"""
    return _runner(argv, "initgen asi-run", None, {"main": run_asi_main, "sweep": run_asi_sweep},
                   "Train the original and anti-symmetric-init (ASI) networks (Zhang et al. 2020): the main "
                   "comparison, or the sweep over init std.")


def cli_linear_imbalance_run(argv: list[str]) -> int:
    """`initgen linear-imbalance-run --spec JSON --seeds JSON --out FILE.npz`"""
    return _runner(argv, "initgen linear-imbalance-run", run_linear_imbalance, description="Gradient descent on "
                   "two-layer linear networks with imbalanced init: losses, Theorem 1 bound, drift (Min et al. 2021).")


def cli_linear_width_run(argv: list[str]) -> int:
    """`initgen linear-width-run --spec JSON --seeds JSON --out FILE.npz`"""
    return _runner(argv, "initgen linear-width-run", run_linear_width, description="Linear networks of growing "
                   "width: distance of the learned map to the min-norm solution (Min et al. 2021).")
