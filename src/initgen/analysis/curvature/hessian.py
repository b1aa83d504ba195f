"""The Hessian of a loss over a whole dataset: eigenvalues, trace and eigenvalue density, each with its error.

A small API in the spirit of PyHessian (model + loss + batches -> eigenvalues, trace, density):

    op = HessianOperator(model, loss_fn, batches, float64=True)   # H v for the loss averaged over every batch
    ends = extreme_eigenvalues(op, k=3)     # Lanczos: k largest and k smallest, each with a residual bound
    tr = trace(op, basis=ends.basis)        # Hutch++: exact on the Krylov space, Hutchinson on the rest
    dens = density(op, probes=4, steps=60)  # stochastic Lanczos quadrature
    hessian_metrics(model, loss_fn, batches, settings)   # all of it as one JSON-able dict (config `hessian:`)

Conventions. `batches` is a re-iterable of (inputs, targets); `loss_fn(outputs, targets)` is the *mean* over
its batch, so the dataset loss is sum_b (n_b / N) loss_b and H is its Hessian. The model is copied and put in
eval mode (batch norm uses its running statistics, dropout is off); the caller's model is never changed.
Vectors are flat tensors over the trainable parameters, in `model.parameters()` order.

Uncertainty of each result:
- eigenvalues: the Lanczos residual bound r = |beta_m s_m| (an eigenvalue of H lies within r of the value);
- trace: the standard error of the Hutchinson part (the Krylov part is exact);
- density and expected eigenvalue: the spread over the independent SLQ probes (standard error of the mean).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import torch
from scipy.linalg import eigh_tridiagonal

# DEFAULTS and resolve_settings stay importable from here (the engine's settings API); they live in the leaf
from initgen.analysis.curvature.settings import DEFAULTS, TRACE_METHODS, resolve_settings  # noqa: F401
from initgen.core.errors import ConfigError
from initgen.core.progress import progress as progress_lines


def make_batches(inputs: torch.Tensor, targets: torch.Tensor, batch_size: int) -> list[tuple]:
    """An in-memory dataset as a list of (inputs, targets) batches, in order (config hessian.batch_size)."""
    return [
        (inputs[i : i + batch_size], targets[i : i + batch_size]) for i in range(0, len(inputs), batch_size)
    ]


# ------------------------------------------------------------------------------------ Hessian-vector products
class HessianOperator:
    """v -> H v, H the Hessian of the loss averaged over every sample of every batch.

    Each product is a double backward pass (reverse over reverse) through every batch. With keep_graphs the
    gradient of each batch is computed once, with its graph kept, so a product costs only the second backward
    pass; without it (big models or datasets) every product recomputes forward and first backward per batch.
    """

    def __init__(
        self,
        model: torch.nn.Module,
        loss_fn: Callable,
        batches: Iterable,
        *,
        float64: bool = True,
        device: str | torch.device | None = None,
        keep_graphs: bool = True,
        hvp_batch: int = 1,
    ):
        first = next(iter(model.parameters()))
        self.device = torch.device(device) if device is not None else first.device
        self.dtype = torch.float64 if float64 else first.dtype
        self.model = copy.deepcopy(model).to(device=self.device, dtype=self.dtype).eval()
        self.params = [p for p in self.model.parameters() if p.requires_grad]
        self.n = sum(p.numel() for p in self.params)
        self.loss_fn, self.keep_graphs, self.hvp_batch = loss_fn, keep_graphs, hvp_batch
        if iter(batches) is batches:  # a one-shot iterator (generator): we pass over the data many times
            batches = list(batches)
        self.batches = batches
        self.n_samples = sum(len(x) for x, _ in batches)
        if self.n_samples == 0:
            raise ValueError("HessianOperator: the batches hold no samples")
        self.n_products = 0  # Hessian-vector products so far (the cost measure)
        self._graphs = None
        self.loss, self.grad_norm = self._loss_and_grad_norm()

    def _to_device(self, tensor: torch.Tensor) -> torch.Tensor:
        # float inputs (and regression targets) follow the model's dtype; integer labels stay as they are
        dtype = self.dtype if tensor.is_floating_point() else None
        return tensor.to(device=self.device, dtype=dtype)

    def _batch_gradients(self):
        """Yield (weight n_b / N, flat gradient of the batch loss with its graph) for every batch."""
        if self._graphs is not None:
            yield from self._graphs
            return
        kept = []
        for inputs, targets in self.batches:
            inputs, targets = self._to_device(inputs), self._to_device(targets)
            loss = self.loss_fn(self.model(inputs), targets)
            grads = torch.autograd.grad(loss, self.params, create_graph=True, materialize_grads=True)
            item = (len(inputs) / self.n_samples, torch.cat([g.reshape(-1) for g in grads]), loss.detach())
            if self.keep_graphs:
                kept.append(item)
            yield item
        if self.keep_graphs:
            self._graphs = kept

    def _loss_and_grad_norm(self) -> tuple[float, float]:
        loss, grad = 0.0, torch.zeros(self.n, dtype=self.dtype, device=self.device)
        for weight, flat_grad, batch_loss in self._batch_gradients():
            loss += weight * float(batch_loss)
            grad += weight * flat_grad.detach()
        return loss, float(grad.norm())

    def matmat(self, vectors: torch.Tensor) -> torch.Tensor:
        """H V for V of shape [k, n] (k vectors as rows), in chunks of hvp_batch vectors per backward pass."""
        vectors = vectors.to(device=self.device, dtype=self.dtype)
        out = torch.zeros_like(vectors)
        for weight, flat_grad, _ in self._batch_gradients():
            for start in range(0, len(vectors), self.hvp_batch):
                chunk = vectors[start : start + self.hvp_batch]
                batched = len(chunk) > 1  # several vectors through one vmap'd backward pass
                hv = torch.autograd.grad(
                    flat_grad,
                    self.params,
                    grad_outputs=chunk if batched else chunk[0],
                    retain_graph=True,
                    is_grads_batched=batched,
                    materialize_grads=True,
                )
                flat = torch.cat(
                    [h.reshape(len(chunk), -1) if batched else h.reshape(1, -1) for h in hv], dim=1
                )
                out[start : start + len(chunk)] += weight * flat.detach()
        self.n_products += len(vectors)
        return out

    def matvec(self, vector: torch.Tensor) -> torch.Tensor:
        return self.matmat(vector[None])[0]


def dense_hessian(op: HessianOperator) -> torch.Tensor:
    """The full n x n Hessian by torch.autograd.functional.hessian (a reference, for small models only)."""
    from torch.func import functional_call

    names = [name for name, p in op.model.named_parameters() if p.requires_grad]
    shapes = [p.shape for p in op.params]
    buffers = dict(op.model.named_buffers())
    frozen = {name: p for name, p in op.model.named_parameters() if not p.requires_grad}

    def dataset_loss(flat: torch.Tensor) -> torch.Tensor:
        pieces = torch.split(flat, [math.prod(s) for s in shapes])
        params = {
            name: piece.reshape(shape) for name, piece, shape in zip(names, pieces, shapes, strict=True)
        }
        total = 0.0
        for inputs, targets in op.batches:
            inputs, targets = op._to_device(inputs), op._to_device(targets)
            outputs = functional_call(op.model, (params | frozen, buffers), (inputs,))
            total = total + len(inputs) / op.n_samples * op.loss_fn(outputs, targets)
        return total

    flat = torch.cat([p.detach().reshape(-1) for p in op.params])
    return torch.autograd.functional.hessian(dataset_loss, flat, vectorize=True)


# ---------------------------------------------------------------------------------------------------- Lanczos
@dataclass
class Lanczos:
    """P independent Lanczos runs: T_p = tridiag(betas, alphas, betas), basis V_p (orthonormal rows)."""

    alphas: np.ndarray  # [P, m]
    betas: np.ndarray  # [P, m]: betas[:, j] couples step j and j+1 (the last one is the residual norm)
    basis: torch.Tensor | None  # [P, m, n], or None when not kept

    def ritz(self, p: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Ritz values (ascending) of run p and the eigenvectors of its T (columns)."""
        return eigh_tridiagonal(self.alphas[p], self.betas[p, :-1])


def _orthogonalize(w: torch.Tensor, basis: torch.Tensor) -> torch.Tensor:
    """w [P, n] minus its projection on each run's basis [P, j, n]; twice ("twice is enough", Parlett)."""
    for _ in range(2):
        w = w - torch.einsum("pj,pjn->pn", torch.einsum("pjn,pn->pj", basis, w), basis)
    return w


def lanczos(
    op: HessianOperator,
    starts: torch.Tensor,
    steps: int,
    *,
    keep_basis: bool = False,
    stop: Callable[[Lanczos], bool] | None = None,
    generator: torch.Generator | None = None,
    desc: str = "lanczos",
) -> Lanczos:
    """Lanczos with full reorthogonalization from each row of `starts` [P, n], all runs advanced together.

    `stop(partial_result)` is asked after every step (used to stop once the wanted Ritz values converged).
    When a run's Krylov space becomes invariant (beta ~ 0) it continues from a fresh random vector orthogonal
    to its basis with beta = 0: T splits into blocks, eigenvalues stay exact and the quadrature weights of the
    new block are exactly 0, as they should be.
    """
    steps = min(steps, op.n)
    n_runs = len(starts)
    basis = torch.zeros(n_runs, steps, op.n, dtype=op.dtype, device=op.device)
    alphas, betas = np.zeros((n_runs, steps)), np.zeros((n_runs, steps))
    v = starts.to(device=op.device, dtype=op.dtype)
    v = v / v.norm(dim=1, keepdim=True)
    scale = 0.0  # largest |alpha| or beta so far: the breakdown threshold is relative to it
    for j in progress_lines(range(steps), desc=desc, disable=desc is None, unit="step"):
        basis[:, j] = v
        w = op.matmat(v)
        alphas[:, j] = torch.einsum("pn,pn->p", w, v).cpu().numpy()
        # against the whole basis: removes alpha v_j and beta v_{j-1}, and every rounding drift
        w = _orthogonalize(w, basis[:, : j + 1])
        beta = w.norm(dim=1)
        betas[:, j] = beta.cpu().numpy()
        scale = max(scale, float(np.abs(alphas[:, j]).max()), float(beta.max()))
        broken = beta <= 1e-10 * scale
        if bool(broken.any()) and j + 1 < steps:
            fresh = torch.randn(
                int(broken.sum()), op.n, dtype=op.dtype, device=op.device, generator=generator
            )
            fresh = _orthogonalize(fresh, basis[broken, : j + 1])
            w[broken] = fresh
            betas[broken.cpu().numpy(), j] = 0.0
            beta = w.norm(dim=1)
        v = w / beta[:, None]
        partial = Lanczos(alphas[:, : j + 1], betas[:, : j + 1], basis[:, : j + 1])
        if stop is not None and stop(partial):
            break
    m = partial.alphas.shape[1]
    return Lanczos(alphas[:, :m].copy(), betas[:, :m].copy(), basis[:, :m] if keep_basis else None)


def _generator(seed: int, device: torch.device) -> torch.Generator:
    return torch.Generator(device=device).manual_seed(seed)


def _rademacher(rows: int, n: int, op: HessianOperator, generator: torch.Generator) -> torch.Tensor:
    signs = torch.randint(0, 2, (rows, n), generator=generator, device=op.device)
    return (2 * signs - 1).to(op.dtype)


# ------------------------------------------------------------------------------------------------ eigenvalues
@dataclass
class Extremes:
    top: list[float]  # k largest eigenvalues, descending
    top_bound: list[float]  # residual bound of each
    bottom: list[float]  # k smallest eigenvalues, ascending
    bottom_bound: list[float]
    steps: int  # Lanczos steps (= Hessian-vector products)
    converged: bool
    basis: torch.Tensor  # [m, n] the Krylov basis (reused by the trace)
    alphas: np.ndarray  # its T's diagonal: sum(alphas) = trace of H on the Krylov space
    top_vectors: torch.Tensor | None = None  # [k, n] unit Ritz vectors of `top`, in its order (on request)

    @property
    def spectral_norm(self) -> tuple[float, float]:
        """The largest |eigenvalue| (the paper's "spectral norm") and its bound."""
        if abs(self.top[0]) >= abs(self.bottom[0]):
            return abs(self.top[0]), self.top_bound[0]
        return abs(self.bottom[0]), self.bottom_bound[0]


def _ends(result: Lanczos, k: int):
    values, vectors = result.ritz(0)
    bounds = np.abs(result.betas[0, -1] * vectors[-1])  # |beta_m * last component|: the residual norm
    k = min(k, len(values))
    return values[::-1][:k], bounds[::-1][:k], values[:k], bounds[:k]


def extreme_eigenvalues(
    op: HessianOperator,
    k: int = 1,
    rtol: float = 1e-4,
    max_steps: int = 200,
    seed: int = 0,
    vectors: bool = False,
) -> Extremes:
    """The k largest and k smallest eigenvalues by Lanczos, stopped once each residual bound <= rtol |value|.

    One Lanczos run finds both ends. A run from one start vector sees one copy of a repeated eigenvalue, as
    any single-vector Krylov method does. vectors: also the unit Ritz vectors of the k largest (top_vectors).
    """
    generator = _generator(seed, op.device)
    start = torch.randn(1, op.n, dtype=op.dtype, device=op.device, generator=generator)

    def converged(partial: Lanczos) -> bool:
        m = partial.alphas.shape[1]
        if m < min(2 * k + 1, op.n):
            return m >= op.n
        top, top_b, bottom, bottom_b = _ends(partial, k)
        values, bounds = np.concatenate([top, bottom]), np.concatenate([top_b, bottom_b])
        return bool(np.all(bounds <= rtol * np.abs(values))) or partial.betas[0, -1] == 0.0

    result = lanczos(
        op,
        start,
        max_steps,
        keep_basis=True,
        stop=converged,
        generator=generator,
        desc="lanczos (eigenvalues)",
    )
    top, top_b, bottom, bottom_b = _ends(result, k)
    steps = result.alphas.shape[1]
    top_vectors = None
    if vectors:  # Ritz vector = basis^T s, s the eigenvector of T (columns of ritz, ascending values)
        _, ritz = result.ritz(0)
        coefficients = torch.as_tensor(ritz[:, ::-1][:, : len(top)].T.copy(), dtype=op.dtype, device=op.device)
        top_vectors = coefficients @ result.basis[0]
        top_vectors = top_vectors / top_vectors.norm(dim=1, keepdim=True)
    return Extremes(
        top.tolist(),
        top_b.tolist(),
        bottom.tolist(),
        bottom_b.tolist(),
        steps,
        bool(converged(result)) or steps == op.n,
        result.basis[0],
        result.alphas[0],
        top_vectors,
    )


# ---------------------------------------------------------------------------------------------------- trace
@dataclass
class Trace:
    value: float
    stderr: float  # standard error of the stochastic part (0 when it is exact)
    method: str
    probes: int  # Hutchinson probes used
    products: int  # Hessian-vector products used by the trace itself (the Krylov part comes free)
    converged: bool  # stderr <= rtol * |value| was reached
    exact_part: float  # trace on the deflated (Krylov) space; 0 for plain Hutchinson


def trace(
    op: HessianOperator,
    method: str = "hutch++",
    rtol: float = 0.01,
    min_probes: int = 10,
    max_probes: int = 200,
    basis: torch.Tensor | None = None,
    alphas: np.ndarray | None = None,
    sketch_steps: int = 20,
    seed: int = 0,
) -> Trace:
    """tr(H) by Hutchinson or Hutch++, adding Rademacher probes until stderr <= rtol |trace| (or max_probes).

    Hutch++ (Meyer et al. 2021) splits tr(H) = tr(Q^T H Q) + tr((I - QQ^T) H (I - QQ^T)): the first part
    exactly, the second by Hutchinson, whose variance is far smaller once the large eigenvalues are deflated.
    Our Q is a Lanczos Krylov basis (as in Chen & Hallman's Krylov-aware Hutch++): it captures the outlying
    eigenvalues at both ends better than a random range sketch of the same cost, and tr(Q^T H Q) = sum(alphas)
    needs no extra product. Pass the basis of extreme_eigenvalues (basis, alphas) to reuse it; otherwise
    `sketch_steps` Lanczos steps from a random start build one. Q is independent of the probes, so the
    estimate stays unbiased.
    """
    if method not in TRACE_METHODS:
        raise ConfigError(f"config key hessian.trace_method: {method!r} is not one of {list(TRACE_METHODS)}")
    generator = _generator(seed + 1, op.device)  # not the eigenvalue start's stream: probes independent of Q
    products_before = op.n_products
    exact_part = 0.0
    if method == "hutch++":
        if basis is None:
            start = torch.randn(1, op.n, dtype=op.dtype, device=op.device, generator=generator)
            sketch = lanczos(
                op, start, sketch_steps, keep_basis=True, generator=generator, desc="lanczos (sketch)"
            )
            basis, alphas = sketch.basis[0], sketch.alphas[0]
        exact_part = float(np.sum(alphas))
        if len(basis) >= op.n:  # the Krylov space is everything: the trace is exact
            return Trace(exact_part, 0.0, method, 0, op.n_products - products_before, True, exact_part)

    samples: list[float] = []
    chunk = max(op.hvp_batch, 1)
    while True:
        probes = _rademacher(min(chunk, max_probes - len(samples)), op.n, op, generator)
        if method == "hutch++":
            for _ in range(2):  # (I - QQ^T) g, twice for rounding
                probes = probes - (probes @ basis.T) @ basis
        samples += torch.einsum("pn,pn->p", probes, op.matmat(probes)).cpu().tolist()
        value = exact_part + float(np.mean(samples))
        stderr = float(np.std(samples, ddof=1) / math.sqrt(len(samples))) if len(samples) > 1 else math.inf
        done = len(samples) >= min_probes and stderr <= rtol * abs(value)
        if done or len(samples) >= max_probes:
            return Trace(
                value, stderr, method, len(samples), op.n_products - products_before, done, exact_part
            )


# ---------------------------------------------------------------------------------------------------- density
@dataclass
class Density:
    nodes: np.ndarray  # [P, m] Ritz values per probe (the quadrature nodes)
    weights: np.ndarray  # [P, m] their weights (squared first components), each row sums to 1
    grid: np.ndarray  # [G] eigenvalue axis
    values: np.ndarray  # [G] smoothed density, mean over probes (integrates to 1)
    values_stderr: np.ndarray  # [G] its standard error over probes
    kernel_width: float  # the Gaussian smoothing width, in eigenvalue units
    expected: float  # expected eigenvalue: sum(weights * nodes) averaged over probes (= trace / n)
    expected_stderr: float


def density(
    op: HessianOperator,
    probes: int = 4,
    steps: int = 60,
    grid_points: int = 256,
    kernel_width: float = 0.01,
    seed: int = 0,
) -> Density:
    """Eigenvalue density by stochastic Lanczos quadrature (Golub & Meurant; Ghorbani et al. 2019).

    Each normalized Rademacher probe v gives a quadrature rule (nodes theta_j, weights tau_j) for the spectral
    measure v^T delta(lambda - H) v, whose expectation is the eigenvalue density. All probes advance together.
    Smoothing: a Gaussian of width kernel_width x (spectrum range).
    """
    generator = _generator(seed + 2, op.device)
    starts = _rademacher(probes, op.n, op, generator)
    result = lanczos(op, starts, steps, generator=generator, desc="lanczos (density)")
    nodes, weights = np.zeros_like(result.alphas), np.zeros_like(result.alphas)
    for p in range(probes):
        values, vectors = result.ritz(p)
        nodes[p], weights[p] = values, vectors[0] ** 2
    low, high = float(nodes.min()), float(nodes.max())
    spread = max(high - low, 1e-12 * max(abs(low), abs(high), 1.0))
    sigma = kernel_width * spread
    grid = np.linspace(low - 5 * sigma, high + 5 * sigma, grid_points)
    kernel = np.exp(-0.5 * ((grid[None, None, :] - nodes[..., None]) / sigma) ** 2) / (
        sigma * math.sqrt(2 * math.pi)
    )
    per_probe = np.einsum("pm,pmg->pg", weights, kernel)  # [P, G]
    means = np.sum(weights * nodes, axis=1)  # per probe: v^T H v for the unit probe, unbiased for trace / n
    stderr = float(np.std(means, ddof=1) / math.sqrt(probes)) if probes > 1 else math.inf
    values_stderr = (
        per_probe.std(axis=0, ddof=1) / math.sqrt(probes) if probes > 1 else np.full(grid_points, np.inf)
    )
    return Density(
        nodes, weights, grid, per_probe.mean(axis=0), values_stderr, sigma, float(means.mean()), stderr
    )


# --------------------------------------------------------------------------------------------------- one call
def hessian_operator(
    model: torch.nn.Module,
    loss_fn: Callable,
    batches: Iterable,
    settings: dict,
    device: str | torch.device | None = None,
) -> HessianOperator:
    """The operator the resolved `hessian:` settings ask for (float64, keep_graphs, hvp_batch)."""
    return HessianOperator(
        model,
        loss_fn,
        batches,
        float64=settings["float64"],
        device=device,
        keep_graphs=settings["keep_graphs"],
        hvp_batch=settings["hvp_batch"],
    )


def configured_extremes(op: HessianOperator, settings: dict, vectors: bool = False) -> Extremes:
    """extreme_eigenvalues with the resolved `hessian:` settings (top_k, eig_rtol, max_lanczos_steps, seed)."""
    return extreme_eigenvalues(
        op, settings["top_k"], settings["eig_rtol"], settings["max_lanczos_steps"], settings["seed"], vectors
    )


def hessian_metrics(
    model: torch.nn.Module,
    loss_fn: Callable,
    batches: Iterable,
    settings: dict | None = None,
    device: str | torch.device | None = None,
    ritz_vectors: bool = False,
) -> dict:
    """Every curvature number for one model at one point, as a JSON-able dict (settings: config `hessian:`).

    Keys: n_params, n_samples, loss, grad_norm, top_eigenvalues (descending) / bottom_eigenvalues (ascending)
    with *_bound, spectral_norm(_bound), lanczos_steps, eig_converged, trace, trace_stderr, trace_*,
    expected_eigenvalue(_stderr), density {grid, values, values_stderr, nodes, weights, kernel_width},
    hessian_vector_products, backend, dtype. Absent results (pyhessian has no bottom end) are None.

    ritz_vectors: also "top_ritz_values" (list) and "top_ritz_vectors" ([top_k, n] tensor of unit vectors,
    not JSON: pop them before writing) of our Lanczos: the very run behind top_eigenvalues, or with
    backend pyhessian one run of it on the same settings.
    """
    settings = resolve_settings(settings)  # once; the PyHessian adapter takes them resolved
    if settings["backend"] == "pyhessian":
        from initgen.analysis.curvature.pyhessian_backend import pyhessian_metrics

        out = pyhessian_metrics(model, loss_fn, batches, settings, device=device)
        if ritz_vectors:
            ends = configured_extremes(hessian_operator(model, loss_fn, batches, settings, device), settings, True)
            out |= {"top_ritz_values": _plain(ends.top), "top_ritz_vectors": ends.top_vectors}
        return out
    op = hessian_operator(model, loss_fn, batches, settings, device)
    ends = configured_extremes(op, settings, ritz_vectors)
    tr = trace(
        op,
        settings["trace_method"],
        settings["trace_rtol"],
        settings["trace_min_probes"],
        settings["trace_max_probes"],
        basis=ends.basis,
        alphas=ends.alphas,
        seed=settings["seed"],
    )
    norm, norm_bound = ends.spectral_norm
    out = {
        "backend": "initgen",
        "dtype": str(op.dtype).removeprefix("torch."),
        "n_params": op.n,
        "n_samples": op.n_samples,
        "loss": op.loss,
        "grad_norm": op.grad_norm,
        "top_eigenvalues": ends.top,
        "top_eigenvalues_bound": ends.top_bound,
        "bottom_eigenvalues": ends.bottom,
        "bottom_eigenvalues_bound": ends.bottom_bound,
        "spectral_norm": norm,
        "spectral_norm_bound": norm_bound,
        "lanczos_steps": ends.steps,
        "eig_converged": ends.converged,
        "trace": tr.value,
        "trace_stderr": tr.stderr,
        "trace_method": tr.method,
        "trace_probes": tr.probes,
        "trace_converged": tr.converged,
        "expected_eigenvalue": None,
        "expected_eigenvalue_stderr": None,
        "density": None,
    }
    if settings["density_probes"] > 0:
        dens = density(
            op,
            settings["density_probes"],
            settings["density_steps"],
            settings["density_grid_points"],
            settings["density_kernel_width"],
            settings["seed"],
        )
        out |= {
            "expected_eigenvalue": dens.expected,
            "expected_eigenvalue_stderr": dens.expected_stderr,
            "density": {
                "grid": dens.grid,
                "values": dens.values,
                "values_stderr": dens.values_stderr,
                "nodes": dens.nodes,
                "weights": dens.weights,
                "kernel_width": dens.kernel_width,
            },
        }
    out["hessian_vector_products"] = op.n_products
    out = _plain(out)
    if ritz_vectors:
        out |= {"top_ritz_values": list(out["top_eigenvalues"]), "top_ritz_vectors": ends.top_vectors}
    return out


def run_record(curvature: dict) -> dict:
    """The per-run fields an experiment records from `hessian_metrics` (first eigenvalue of each end, trace,
    density), under the names metrics.json and the claims registry use."""
    return {
        "n_params": curvature["n_params"],
        "grad_norm": curvature["grad_norm"],
        "trace": curvature["trace"],
        "trace_stderr": curvature["trace_stderr"],
        "trace_converged": curvature["trace_converged"],
        "top_eigenvalue": curvature["top_eigenvalues"][0],
        "top_eigenvalue_bound": curvature["top_eigenvalues_bound"][0],
        "bottom_eigenvalue": (curvature["bottom_eigenvalues"] or [None])[0],
        "spectral_norm": curvature["spectral_norm"],
        "expected_eigenvalue": curvature["expected_eigenvalue"],
        "expected_eigenvalue_stderr": curvature["expected_eigenvalue_stderr"],
        "eig_converged": curvature["eig_converged"],
        "density": curvature["density"],
    }


def _plain(obj):
    """numpy arrays and scalars -> lists and floats (write_json also maps NaN/inf to null)."""
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, list | tuple):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.floating | np.integer):
        return obj.item()
    return obj
