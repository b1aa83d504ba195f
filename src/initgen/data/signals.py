"""1-D signals and sample points on the domain [-1, 1).

A signal spec (config) is {freqs, amps, phases, offset}: sum_i amps[i] sin(2 pi freqs[i] x + phases[i]) + offset,
frequencies in cycles per unit of x. A constant (DC) signal is {offset: c} with no freqs.
"""

from __future__ import annotations

import numpy as np

from initgen.core.errors import ConfigError

DOMAIN = (-1.0, 1.0)
DOMAIN_LENGTH = DOMAIN[1] - DOMAIN[0]


def evaluate_signal(spec: dict, x: np.ndarray, key: str = "signal") -> np.ndarray:
    freqs = list(spec.get("freqs", []))
    amps = list(spec.get("amps", [1.0] * len(freqs)))
    phases = list(spec.get("phases", [0.0] * len(freqs)))
    if not (len(freqs) == len(amps) == len(phases)):
        raise ConfigError(
            f"config key {key}: freqs, amps and phases must have the same length "
            f"(got {len(freqs)}, {len(amps)}, {len(phases)})"
        )
    y = np.full_like(np.asarray(x, dtype=float), float(spec.get("offset", 0.0)))
    for f, a, p in zip(freqs, amps, phases, strict=True):
        y = y + a * np.sin(2 * np.pi * f * x + p)
    return y


def grid(n: int) -> np.ndarray:
    """n uniform points on [-1, 1), endpoint excluded (so the FFT sees exactly one period of the domain)."""
    return np.linspace(DOMAIN[0], DOMAIN[1], n, endpoint=False)


def sample_points(spec: dict, seed: int = 0, key: str = "train_x") -> np.ndarray:
    """Training inputs: `step` (every `step` from -1), `grid` (n uniform points) or `random` (n uniform draws)."""
    kind = spec["kind"]
    if kind == "step":
        if "step" not in spec:
            raise ConfigError(f"config key {key}.step is required when kind is 'step'")
        n = int(round(DOMAIN_LENGTH / spec["step"]))
        return DOMAIN[0] + spec["step"] * np.arange(n)
    if "n" not in spec:
        raise ConfigError(f"config key {key}.n is required when kind is {kind!r}")
    if kind == "grid":
        return grid(spec["n"])
    rng = np.random.default_rng(seed)
    return np.sort(rng.uniform(*DOMAIN, size=spec["n"]))


def nyquist(spec: dict) -> float | None:
    """Nyquist frequency (cycles per unit) of equidistant training points, None for random points."""
    if spec["kind"] == "step":
        return 1.0 / (2.0 * spec["step"])
    if spec["kind"] == "grid":
        return spec["n"] / (2.0 * DOMAIN_LENGTH)
    return None
