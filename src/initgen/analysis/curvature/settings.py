"""The settings of the Hessian engine (config block `hessian:`): defaults and validation, in one leaf module.

`curvature.hessian_metrics` resolves them once and hands the resolved settings to the PyHessian adapter
(`curvature_pyhessian`), which takes them as given: `curvature` imports `curvature_pyhessian`, never the other way
round, and this module imports neither.
"""

from __future__ import annotations

from initgen.core.errors import ConfigError

# The config block `hessian:` (workflow/schemas/config.schema.yaml); missing keys take these values.
DEFAULTS = {
    "backend": "initgen",  # initgen | pyhessian (cross-check, src/initgen/analysis/curvature/pyhessian_backend.py)
    "top_k": 1,  # eigenvalues wanted at each end of the spectrum
    "eig_rtol": 1e-4,  # Lanczos stops when every wanted Ritz value's residual bound <= eig_rtol * |value|
    "max_lanczos_steps": 200,  # ... or after this many steps (one Hessian-vector product each)
    "trace_method": "hutch++",  # hutch++ | hutchinson
    "trace_rtol": 0.01,  # stop adding probes when stderr <= trace_rtol * |trace| ...
    "trace_min_probes": 10,  # ... but never before this many (the stderr itself must be trustworthy)
    "trace_max_probes": 200,  # ... and never after this many
    "density_probes": 4,  # SLQ: independent Rademacher start vectors (0: no density)
    "density_steps": 60,  # SLQ: Lanczos steps per probe
    "density_grid_points": 256,  # points of the smoothed density curve
    "density_kernel_width": 0.01,  # Gaussian smoothing width as a fraction of the spectrum's range
    "float64": True,  # compute in float64 (accuracy) instead of the model's dtype
    "batch_size": 1024,  # samples per batch when the caller builds batches with make_batches
    "hvp_batch": 1,  # probe vectors per batched double-backward (vmap); 1: one at a time
    "keep_graphs": True,  # keep each batch's gradient graph between products (memory for speed)
    "seed": 0,  # seeds every random probe: same settings, same numbers
}
TRACE_METHODS = ("hutch++", "hutchinson")


def resolve_settings(settings: dict | None) -> dict:
    """DEFAULTS overridden by `settings`; a bad or unknown key raises ConfigError naming hessian.<key>."""
    settings = dict(settings or {})
    unknown = sorted(set(settings) - set(DEFAULTS))
    if unknown:
        raise ConfigError(f"unknown config key(s) {', '.join('hessian.' + k for k in unknown)}")
    out = DEFAULTS | settings
    if out["backend"] not in ("initgen", "pyhessian"):
        raise ConfigError(
            f"config key hessian.backend: {out['backend']!r} is not one of ['initgen', 'pyhessian']"
        )
    if out["trace_method"] not in TRACE_METHODS:
        raise ConfigError(
            f"config key hessian.trace_method: {out['trace_method']!r} is not one of {list(TRACE_METHODS)}"
        )
    for key in (
        "top_k",
        "max_lanczos_steps",
        "trace_min_probes",
        "trace_max_probes",
        "density_grid_points",
        "density_steps",
        "batch_size",
        "hvp_batch",
    ):
        if not isinstance(out[key], int) or out[key] < 1:
            raise ConfigError(f"config key hessian.{key}: must be an integer >= 1, got {out[key]!r}")
    for key in ("density_probes", "seed"):
        if not isinstance(out[key], int) or out[key] < 0:
            raise ConfigError(f"config key hessian.{key}: must be an integer >= 0, got {out[key]!r}")
    for key in ("eig_rtol", "trace_rtol", "density_kernel_width"):
        if not isinstance(out[key], int | float) or out[key] <= 0:
            raise ConfigError(f"config key hessian.{key}: must be a number > 0, got {out[key]!r}")
    return out
