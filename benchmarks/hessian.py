"""Hessian speed at equal accuracy: our engine (Lanczos + Hutch++) vs PyHessian 0.1 (power iteration +
Hutchinson), on the same model and data, both through `curvature.hessian_metrics`, against a reference.

Three cases, each a model trained a little (its Hessian looks like a trained network's):
- mlp: a 1-D MLP regressing a two-frequency signal (MSE), 3,401 parameters;
- cnn: a small conv net with batch norm on 256 digits (CE), 2,188 parameters;
- mlp150k: the default config's digits MLP (3 hidden layers of 256, 150,794 parameters) on 512 digits (CE),
  trained by full-batch SGD with the default config's deep.train settings to its 99% train accuracy target.
On the two small cases the dense Hessian (torch.autograd.functional.hessian, float64) gives the exact top
eigenvalue and trace; there 50 Lanczos steps nearly span the space, so Krylov methods look better than they are.
mlp150k is where they cannot: no dense Hessian (182 GB), and its reference is a long, high-accuracy run of our
own engine (`reference_run`: Lanczos to a residual bound of 1e-12, 300 steps or an invariant Krylov space,
the top Ritz vector's residual recomputed; Hutch++ with that whole basis and at least 200 Rademacher probes,
until the trace standard error is <= 0.2%), itself checked against a dense Hessian on a sub-block
(`sub_block_check`: the last hidden bias and the output layer, 2,826 parameters, written out by hand): the full
operator's products read on the block, the reference's own probes' estimate of the block's trace, and the same
reference procedure run on the block alone, all against the dense block. Both checks are printed.

Equal accuracy, fixed in advance: top eigenvalue to relative 1e-4 and trace to RMS relative error 2% (the
trace accuracy the tests require). Each engine gets the settings that reach it:
- ours: eig_rtol 1e-4 (a proven residual bound), Hutch++ adding probes until stderr <= 2% of the trace;
- PyHessian: eigenvalue tol 1e-5 (its stopping rule is the relative change between power iterations, not an
  error bound; 1e-5 is what brings its error below 1e-4) and a Hutchinson run with exactly the number of
  probes whose expected RMS error is 2%: N = Var / (0.02 tr)^2 with the Rademacher variance
  Var = 2 (||H||_F^2 - sum_i H_ii^2) taken from the dense Hessian on the small cases, and on mlp150k (where
  the dense formula is unavailable) estimated as the sample variance of the reference run's plain Hutchinson
  samples g^T H g (printed with its standard error; N inherits that relative uncertainty). Its own tol rule
  would stop far earlier, at a few % error: shown as the "pyhessian-defaults" row, maxIter=100, tol=1e-3, for
  information.
Both engines work in float64 on the whole dataset as one batch (PyHessian's fastest mode: it keeps the graph).
Each engine runs `--repeats` times with different seeds; times are averaged and errors reported as RMS (on
mlp150k relative to the reference, whose own error is printed).

    .venv/bin/python benchmarks/hessian.py [--repeats 2] [--threads 1] [--device cpu] [--cases mlp cnn mlp150k]

Last line: `hessian speedup: N.NNx` = PyHessian's total time / ours over the cases run, at equal accuracy
(goal: at least 3x); each case's own ratio is printed with it, and a note says so if our measured error
exceeds PyHessian's in either quantity.
"""

from __future__ import annotations

import argparse
import copy
import math
import time

import numpy as np
import torch
from sklearn.datasets import load_digits
from torch import nn

from initgen.analysis.curvature.hessian import HessianOperator, dense_hessian, extreme_eigenvalues, hessian_metrics
from initgen.models.mlp import MLP
from initgen.models.zoo import MLP as DigitsMLP
from initgen.models.zoo import SmallCNN

TARGET_TRACE_RTOL = 0.02  # the tests' trace accuracy (2%)
COMMON = {"top_k": 1, "density_probes": 0, "float64": True}
OURS = COMMON | {
    "backend": "initgen",
    "eig_rtol": 1e-4,
    "trace_method": "hutch++",
    "trace_rtol": TARGET_TRACE_RTOL,
    "trace_max_probes": 100000,
}
PYHESSIAN = COMMON | {
    "backend": "pyhessian",
    "eig_rtol": 1e-5,
    "max_lanczos_steps": 10000,
    "trace_rtol": 1e-12,
}
PYHESSIAN_DEFAULTS = COMMON | {
    "backend": "pyhessian",
    "eig_rtol": 1e-3,
    "max_lanczos_steps": 100,
    "trace_rtol": 1e-3,
    "trace_max_probes": 100,
}


CASES = ("mlp", "cnn", "mlp150k")


def mse(outputs, targets):
    return ((outputs - targets) ** 2).mean()


def make_case(name: str, device: torch.device):
    torch.manual_seed(0)
    if name == "mlp":
        x = torch.linspace(-1, 1, 64)[:, None]
        y = torch.sin(3 * x) + 0.3 * torch.sin(11 * x)
        model, loss_fn, steps, lr = MLP("gaussian", 40, 3, scale=0.5), mse, 500, 3e-3
    else:
        digits = load_digits()
        x = torch.tensor(digits.images[:256], dtype=torch.float32)[:, None] / 16
        y = torch.tensor(digits.target[:256])
        model, loss_fn, steps, lr = SmallCNN(10, 1, 8, width=6), nn.CrossEntropyLoss(), 100, 1e-2
    model, x, y = model.to(device), x.to(device), y.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()
    return model, loss_fn, [(x, y)]


# ------------------------------------------------------------------- the 150k-parameter case (no dense Hessian)
LARGE_SAMPLES = 512  # digits images: CE over 512 x 9 output directions, far more than any Krylov space here
LARGE_TRAIN = {"lr": 0.05, "momentum": 0.9, "weight_decay": 5e-4, "target_acc": 0.99, "max_steps": 300}
BLOCK = ("net.5.bias", "net.7.weight", "net.7.bias")  # last hidden bias + output layer: 2,826 parameters
REFERENCE = {"lanczos_steps": 300, "eig_rtol": 1e-12, "min_probes": 200, "max_probes": 2000, "trace_rtol": 2e-3}
REFERENCE_SEED = 1000  # not one of the engines' seeds (0 .. repeats - 1)


def make_large_case(device: torch.device, samples: int = LARGE_SAMPLES, width: int = 256):
    """The default config's digits MLP (3 hidden layers of 256: 150,794 parameters), trained a little.

    Full-batch SGD with the default config's deep.train settings (lr 0.05, momentum 0.9, weight decay 5e-4) on
    the first `samples` digits images, stopped at its target_train_acc (99% train accuracy), where the loss is
    small but not saturated: the Hessian has a few dominant outliers and a wide bulk, as a trained network's.
    """
    torch.manual_seed(0)
    digits = load_digits()
    x = torch.tensor(digits.images[:samples], dtype=torch.float32)[:, None] / 16
    y = torch.tensor(digits.target[:samples])
    model, loss_fn = DigitsMLP(10, 1, 8, width=width), nn.CrossEntropyLoss()
    model, x, y = model.to(device), x.to(device), y.to(device)
    optimizer = torch.optim.SGD(
        model.parameters(),
        lr=LARGE_TRAIN["lr"],
        momentum=LARGE_TRAIN["momentum"],
        weight_decay=LARGE_TRAIN["weight_decay"],
    )
    for _ in range(LARGE_TRAIN["max_steps"]):
        optimizer.zero_grad()
        outputs = model(x)
        if float((outputs.argmax(1) == y).float().mean()) >= LARGE_TRAIN["target_acc"]:
            break
        loss_fn(outputs, y).backward()
        optimizer.step()
    return model, loss_fn, [(x, y)]


def reference_run(op: HessianOperator, settings: dict = REFERENCE, seed: int = REFERENCE_SEED) -> dict:
    """A long, high-accuracy run of our engine, with every Rademacher product kept for the checks.

    Top eigenvalue: Lanczos (extreme_eigenvalues) to a residual bound of eig_rtol, or `lanczos_steps` steps;
    its Ritz vector's residual ||H u - lambda u|| is recomputed from a fresh product (independent of the
    recurrence). Trace: Hutch++ with that whole Krylov basis Q deflated, and Rademacher probes g until the
    standard error is <= trace_rtol |trace| (at least min_probes, at most max_probes). From each product H g
    we get both the plain Hutchinson sample g^T H g (PyHessian's estimator: its variance sets PyHessian's
    probe count) and the deflated one (I-QQ^T)g . H (I-QQ^T)g = g^T H g - 2 (Q g).(Q H g) + (Q g)^T T (Q g),
    T = Q H Q^T computed from products (m more), so both come from the same probes.
    """
    ends = extreme_eigenvalues(
        op, 1, settings["eig_rtol"], settings["lanczos_steps"], seed=seed, vectors=True
    )
    top_vector = ends.top_vectors[0]
    residual = float((op.matvec(top_vector) - ends.top[0] * top_vector).norm())
    basis = ends.basis
    basis_products = op.matmat(basis)
    projected = basis @ basis_products.T
    projected = (projected + projected.T) / 2
    exact_part = float(projected.trace())
    generator = torch.Generator(device=op.device).manual_seed(seed + 1)
    probes, products, plain, deflated = [], [], [], []
    chunk = 16
    while True:
        signs = torch.randint(0, 2, (chunk, op.n), generator=generator, device=op.device)
        g = (2 * signs - 1).to(op.dtype)
        hg = op.matmat(g)
        qg, qhg = g @ basis.T, hg @ basis.T
        sample = (g * hg).sum(1)
        plain += sample.tolist()
        deflated += (sample - 2 * (qg * qhg).sum(1) + ((qg @ projected) * qg).sum(1)).tolist()
        probes.append(g.to(torch.int8))
        products.append(hg)
        value = exact_part + float(np.mean(deflated))
        stderr = float(np.std(deflated, ddof=1) / math.sqrt(len(deflated)))
        enough = len(deflated) >= settings["min_probes"] and stderr <= settings["trace_rtol"] * abs(value)
        if enough or len(deflated) >= settings["max_probes"]:
            break
    plain = np.asarray(plain)
    count = len(plain)
    variance = float(np.var(plain, ddof=1))
    # standard error of the sample variance (fourth central moment), for the probe count's uncertainty
    centred = plain - plain.mean()
    variance_stderr = math.sqrt(max(float(np.mean(centred**4)) - variance**2 * (count - 3) / (count - 1), 0) / count)
    top_eigenvalue = max(ends.top[0], -ends.bottom[0])  # the largest |eigenvalue| (PyHessian's power iteration)
    return {
        "top": top_eigenvalue,
        "top_bound": ends.spectral_norm[1],
        "top_residual": residual if top_eigenvalue == ends.top[0] else math.nan,
        "lanczos_steps": ends.steps,
        "trace": value,
        "trace_stderr": stderr,
        "krylov_trace": exact_part,
        "probes": count,
        "variance": variance,
        "variance_stderr": variance_stderr,
        "frobenius_sq": float(torch.cat(products).pow(2).sum(1).mean()),  # E ||H g||^2 = ||H||_F^2
        "probe_vectors": torch.cat(probes),
        "probe_products": torch.cat(products),
    }


def block_indices(model: nn.Module, names=BLOCK) -> torch.Tensor:
    """Positions of the named parameters in the flat vector over model.parameters()."""
    pieces, offset = [], 0
    for name, parameter in model.named_parameters():
        if name in names:
            pieces.append(torch.arange(offset, offset + parameter.numel()))
        offset += parameter.numel()
    return torch.cat(pieces)


def block_model(model: nn.Module, names=BLOCK) -> nn.Module:
    """A copy of the model whose only trainable parameters are `names`: its Hessian is H restricted to them."""
    block = copy.deepcopy(model)
    for name, parameter in block.named_parameters():
        parameter.requires_grad_(name in names)
    return block


def dense_block_hessian(model, loss_fn, batches) -> torch.Tensor:
    """The dense float64 Hessian over BLOCK, independent of HessianOperator: the loss as a function of the block,
    written out by hand (z = W5 h fixed, loss(relu(z + b5) W7^T + b7)), by torch.autograd.functional.hessian."""
    net = copy.deepcopy(model).to(torch.float64).eval().net
    (x, y), = batches
    with torch.no_grad():
        z = net[:6](x.to(torch.float64)) - net[5].bias
    shapes = [net[5].bias.shape, net[7].weight.shape, net[7].bias.shape]  # BLOCK, in model.parameters() order

    def block_loss(flat: torch.Tensor) -> torch.Tensor:
        pieces = flat.split([shape.numel() for shape in shapes])
        b5, w7, b7 = (piece.reshape(shape) for piece, shape in zip(pieces, shapes, strict=True))
        return loss_fn(torch.relu(z + b5) @ w7.T + b7, y)

    flat = torch.cat([net[5].bias.detach(), net[7].weight.detach().reshape(-1), net[7].bias.detach()])
    return torch.autograd.functional.hessian(block_loss, flat, vectorize=True)


def sub_block_check(model, loss_fn, batches, op: HessianOperator, reference: dict, names=BLOCK) -> dict:
    """Checks the reference against a dense Hessian on a block B of parameters (dense_block_hessian).

    1. the full operator's products on vectors supported on B, read on B, against H_BB v (max relative error);
    2. the reference run's own probes restricted to B: mean of sum_{i in B} g_i (H g)_i is an unbiased estimate
       of tr(H_BB) (the diagonal of the block), compared with the dense value in units of its standard error;
    3. the reference procedure run on the block alone (its operator is H_BB): top eigenvalue, trace and the
       Rademacher variance estimated from probes, against the dense eigenvalues and 2 (||H_BB||_F^2 - sum H_ii^2).
    """
    block_op = HessianOperator(block_model(model, names), loss_fn, batches, float64=True, device=op.device)
    dense = dense_block_hessian(model, loss_fn, batches)
    index = block_indices(model, names).to(op.device)
    generator = torch.Generator(device=op.device).manual_seed(REFERENCE_SEED + 7)
    local = torch.randn(3, len(index), dtype=op.dtype, device=op.device, generator=generator)
    full = torch.zeros(3, op.n, dtype=op.dtype, device=op.device)
    full[:, index] = local
    read = op.matmat(full)[:, index]
    expected = local @ dense
    operator_error = float(((read - expected).norm(dim=1) / expected.norm(dim=1)).max())
    diagonal = (reference["probe_vectors"][:, index].to(op.dtype) * reference["probe_products"][:, index]).sum(1)
    eigenvalues = torch.linalg.eigvalsh(dense)
    block_trace = float(dense.trace())
    block_top = float(eigenvalues.abs().max())
    block_variance = 2 * (float((dense**2).sum()) - float((dense.diagonal() ** 2).sum()))
    block_reference = reference_run(block_op, REFERENCE | {"min_probes": 1008, "max_probes": 1008})
    diagonal_stderr = float(diagonal.std() / math.sqrt(len(diagonal)))
    return {
        "params": len(index),
        "operator_error": operator_error,
        "block_trace": block_trace,
        "diagonal_estimate": float(diagonal.mean()),
        "diagonal_z": (float(diagonal.mean()) - block_trace) / diagonal_stderr,
        "top_error": abs(block_reference["top"] - block_top) / block_top,
        "trace_z": (block_reference["trace"] - block_trace) / block_reference["trace_stderr"],
        "trace_error": abs(block_reference["trace"] - block_trace) / abs(block_trace),
        "variance_ratio": block_reference["variance"] / block_variance,
        "variance_ratio_stderr": block_reference["variance_stderr"] / block_variance,
    }


def run(model, loss_fn, batches, settings, repeats, exact_top, exact_trace):
    times, top_err, trace_err = [], [], []
    for seed in range(repeats):
        if model.parameters().__next__().is_cuda:
            torch.cuda.synchronize()
        start = time.perf_counter()
        metrics = hessian_metrics(model, loss_fn, batches, settings | {"seed": seed})
        if model.parameters().__next__().is_cuda:
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
        top_err.append(abs(metrics["spectral_norm"] - exact_top) / exact_top)
        trace_err.append(abs(metrics["trace"] - exact_trace) / abs(exact_trace))
    rms = lambda errors: math.sqrt(float(np.mean(np.square(errors))))  # noqa: E731
    return float(np.mean(times)), rms(top_err), rms(trace_err), metrics


def dense_truth(model, loss_fn, batches) -> tuple[float, float, float]:
    """Exact top |eigenvalue|, trace and Rademacher variance 2 (||H||_F^2 - sum H_ii^2) from the dense Hessian."""
    reference = dense_hessian(HessianOperator(model, loss_fn, batches, float64=True))
    eigenvalues = torch.linalg.eigvalsh(reference)
    variance = 2 * (float((reference**2).sum()) - float((reference.diagonal() ** 2).sum()))
    return float(eigenvalues.abs().max()), float(eigenvalues.sum()), variance


def large_truth(model, loss_fn, batches, device) -> tuple[float, float, float]:
    """The 150k case's reference (reference_run) and its dense sub-block check, printed; returns as dense_truth."""
    start = time.perf_counter()
    op = HessianOperator(model, loss_fn, batches, float64=True, device=device)
    reference = reference_run(op)
    check = sub_block_check(model, loss_fn, batches, op, reference)
    print(
        f"mlp150k reference ({time.perf_counter() - start:.0f} s, {op.n_products} products; train loss "
        f"{op.loss:.4f}): top eigenvalue {reference['top']:.10g} (Lanczos {reference['lanczos_steps']} steps, "
        f"residual bound {reference['top_bound']:.1e}, recomputed residual {reference['top_residual']:.1e}); "
        f"trace {reference['trace']:.6g} +- {reference['trace_stderr']:.2g} "
        f"({reference['trace_stderr'] / abs(reference['trace']):.2%}; Krylov part {reference['krylov_trace']:.6g}, "
        f"{reference['probes']} probes); Rademacher variance {reference['variance']:.4g} "
        f"+- {reference['variance_stderr']:.2g} (<= 2 ||H||_F^2 = {2 * reference['frobenius_sq']:.4g})"
    )
    print(
        f"mlp150k sub-block check on {'+'.join(BLOCK)} ({check['params']} params, dense): operator products "
        f"max rel err {check['operator_error']:.1e}; reference probes on the block: tr(H_BB) "
        f"{check['diagonal_estimate']:.6g} vs dense {check['block_trace']:.6g} (z = {check['diagonal_z']:+.2f}); "
        f"reference procedure on the block: top eig rel err {check['top_error']:.1e}, trace rel err "
        f"{check['trace_error']:.1e} (z = {check['trace_z']:+.2f}), Rademacher variance / dense "
        f"{check['variance_ratio']:.3f} +- {check['variance_ratio_stderr']:.3f}"
    )
    return reference["top"], reference["trace"], reference["variance"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument(
        "--threads", type=int, default=1, help="torch CPU threads (1: no spin-waiting on shared cores)"
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    totals = {"ours": 0.0, "pyhessian": 0.0}
    accuracy_ok = True
    print(f"device: {device}, threads {args.threads}, {args.repeats} repeats per engine")
    header = (
        f"{'case':7} {'params':>6} {'engine':18} {'time s':>8} {'top eig rel err':>16} {'trace rel err':>14} "
        f"{'products':>9}"
    )
    print(header)
    for name in args.cases:
        if name == "mlp150k":
            model, loss_fn, batches = make_large_case(device)
            exact_top, exact_trace, variance = large_truth(model, loss_fn, batches, device)
            print(header)
        else:
            model, loss_fn, batches = make_case(name, device)
            exact_top, exact_trace, variance = dense_truth(model, loss_fn, batches)
        probes = math.ceil(variance / (TARGET_TRACE_RTOL * exact_trace) ** 2)
        engines = (
            ("pyhessian", PYHESSIAN | {"trace_max_probes": probes}),
            ("ours", OURS),
            ("pyhessian-defaults", PYHESSIAN_DEFAULTS),
        )
        results = {}
        for engine, settings in engines:
            seconds, top_err, trace_err, metrics = run(
                model, loss_fn, batches, settings, args.repeats, exact_top, exact_trace
            )
            results[engine] = (seconds, top_err, trace_err)
            products = metrics["hessian_vector_products"] or f"{metrics['trace_probes']}+"
            print(
                f"{name:7} {metrics['n_params']:6d} {engine:18} {seconds:8.3f} {top_err:16.2e} "
                f"{trace_err:14.2e} {products:>9}"
            )
        ours, theirs = results["ours"], results["pyhessian"]
        totals["ours"] += ours[0]
        totals["pyhessian"] += theirs[0]
        accuracy_ok &= ours[1] <= theirs[1] and ours[2] <= theirs[2]
        kind = "reference" if name == "mlp150k" else "exact"
        print(
            f"{name:7} speedup {theirs[0] / ours[0]:.2f}x; {kind} top eigenvalue {exact_top:.6g}, "
            f"trace {exact_trace:.6g}; PyHessian's Hutchinson probes for 2%: {probes}"
        )
    speedup = totals["pyhessian"] / totals["ours"]
    if not accuracy_ok:
        print("note: our error exceeded PyHessian's in some quantity: the ratio is NOT at equal accuracy")
    print(f"hessian speedup: {speedup:.2f}x")


if __name__ == "__main__":
    main()
