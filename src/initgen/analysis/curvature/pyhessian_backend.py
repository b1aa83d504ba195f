"""The `pyhessian` package (Yao et al. 2020, the paper's tool) behind curvature.hessian_metrics' interface.

A cross-check of our engine (config `hessian.backend: pyhessian`). What PyHessian 0.1 computes:
- the largest-magnitude eigenvalues by power iteration with deflation (`top_k` of them, each stopped when the
  relative change is below `eig_rtol`, at most `max_lanczos_steps` iterations): they fill `top_eigenvalues`
  and the spectral norm; power iteration has no bottom end, so `bottom_eigenvalues` is None;
- the trace by Hutchinson with Rademacher probes, stopped when the running mean changes by less than
  `trace_rtol` (relative) or after `trace_max_probes`; we report the standard error of its samples;
- no density: its `density()` calls `torch.eig`, removed from PyTorch (2.0), so that combination is refused.
Batch norm runs in eval mode (PyHessian calls model.eval()); with one batch PyHessian keeps the gradient
graph, with several it recomputes forward and backward per product, as its `dataloader` mode does.
"""

from __future__ import annotations

import copy
import importlib.metadata
import math
import warnings
from collections.abc import Callable, Iterable
from contextlib import contextmanager

import numpy as np
import torch

from initgen.core.errors import ConfigError


def check_supported(settings: dict) -> None:
    """Refuse settings PyHessian 0.1 cannot honour, naming the config keys to change."""
    version = importlib.metadata.version("pyhessian")
    if settings["density_probes"] > 0 and version.startswith("0.1"):
        raise ConfigError(
            f"config key hessian.backend: pyhessian {version} computes the eigenvalue density with "
            "torch.eig, which PyTorch removed; set hessian.backend: initgen, or hessian.density_probes: 0 "
            "to use pyhessian for eigenvalues and trace only"
        )


@contextmanager
def _default_dtype(dtype: torch.dtype):
    """PyHessian draws its random vectors with the default dtype: make them match a float64 model."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        yield
    finally:
        torch.set_default_dtype(previous)


def pyhessian_metrics(
    model: torch.nn.Module,
    loss_fn: Callable,
    batches: Iterable,
    settings: dict,
    device: str | torch.device | None = None,
) -> dict:
    """Same keys as curvature.hessian_metrics; the results PyHessian cannot give are None.

    settings: already resolved (curvature_settings.resolve_settings; hessian_metrics resolves them once).
    """
    from pyhessian import hessian as PyHessian

    check_supported(settings)
    first = next(iter(model.parameters()))
    device = torch.device(device) if device is not None else first.device
    dtype = torch.float64 if settings["float64"] else first.dtype
    model = copy.deepcopy(model).to(device=device, dtype=dtype).eval()

    def cast(tensor):
        return tensor.to(device=device, dtype=dtype if tensor.is_floating_point() else None)

    batches = [(cast(x), cast(y)) for x, y in batches]
    n_samples = sum(len(x) for x, _ in batches)
    n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)
    cuda_devices = [device] if device.type == "cuda" else []
    # PyHessian draws from the global generator: seed it inside fork_rng so the caller's stream is untouched
    with torch.random.fork_rng(devices=cuda_devices), _default_dtype(dtype), warnings.catch_warnings():
        torch.manual_seed(settings["seed"])
        # PyHessian calls loss.backward(create_graph=True); we clear the (copied) model's .grad afterwards
        warnings.filterwarnings("ignore", message="Using backward.. with create_graph=True")
        if len(batches) == 1:
            engine = PyHessian(model, loss_fn, data=batches[0], cuda=device.type == "cuda")
        else:
            engine = PyHessian(model, loss_fn, dataloader=batches, cuda=device.type == "cuda")
        top, _ = engine.eigenvalues(
            maxIter=settings["max_lanczos_steps"], tol=settings["eig_rtol"], top_n=settings["top_k"]
        )
        samples = engine.trace(maxIter=settings["trace_max_probes"], tol=settings["trace_rtol"])
    top = sorted((float(v) for v in top), key=abs, reverse=True)
    trace_value = float(np.mean(samples))
    stderr = float(np.std(samples, ddof=1) / math.sqrt(len(samples))) if len(samples) > 1 else None
    model.zero_grad(set_to_none=True)  # PyHessian leaves graph-carrying .grad on the (copied) parameters
    return {
        "backend": "pyhessian",
        "dtype": str(dtype).removeprefix("torch."),
        "n_params": n_params,
        "n_samples": n_samples,
        "loss": None,
        "grad_norm": None,
        "top_eigenvalues": top,
        "top_eigenvalues_bound": None,
        "bottom_eigenvalues": None,
        "bottom_eigenvalues_bound": None,
        "spectral_norm": abs(top[0]),
        "spectral_norm_bound": None,
        "lanczos_steps": None,
        "eig_converged": None,
        "trace": trace_value,
        "trace_stderr": stderr,
        "trace_method": "hutchinson",
        "trace_probes": len(samples),
        "trace_converged": None,
        "expected_eigenvalue": None,
        "expected_eigenvalue_stderr": None,
        "density": None,
        "hessian_vector_products": None,
    }
