"""Fourier spectra of 1-D functions sampled on a uniform grid over [-1, 1) (endpoint excluded).

Amplitudes are scaled so that a sin(2 pi f x) with f = k / 2 cycles per unit (an integer number k of periods on the
domain) has amplitude a at index k: |X_k| * 2 / N for 0 < k < N/2, |X_0| / N at DC, |X_{N/2}| / N at Nyquist.
Nothing is subtracted before the transform. Index k means k / L cycles per unit, L = 2 the domain length.
"""

from __future__ import annotations

import numpy as np

DOMAIN_LENGTH = 2.0


def frequencies(n_grid: int, length: float = DOMAIN_LENGTH) -> np.ndarray:
    """Frequency of each rfft index, in cycles per unit of x."""
    return np.arange(n_grid // 2 + 1) / length


def fourier(values: np.ndarray) -> np.ndarray:
    """Complex rfft along the last axis, scaled like `amplitude` (so |fourier| == amplitude)."""
    values = np.asarray(values, dtype=float)
    n = values.shape[-1]
    coefficients = np.fft.rfft(values, axis=-1) * (2.0 / n)
    coefficients[..., 0] /= 2.0
    if n % 2 == 0:
        coefficients[..., -1] /= 2.0
    return coefficients


def amplitude(values: np.ndarray) -> np.ndarray:
    """Amplitude per frequency index along the last axis."""
    return np.abs(fourier(values))


def high_frequency_fraction(amplitudes: np.ndarray, freqs: np.ndarray, cutoff: float) -> np.ndarray:
    """Share of the non-DC energy (sum of amplitude^2 over f > 0) at frequencies strictly above `cutoff`.

    DC is left out of the total: a constant offset says nothing about how oscillatory a function is.
    A constant function scores 0; a non-finite one (a diverged network) NaN, never a score.
    """
    energy = np.asarray(amplitudes, dtype=float) ** 2
    total = energy[..., 1:].sum(axis=-1)
    high = energy[..., freqs > cutoff].sum(axis=-1)
    return _energy_ratio(high, total)


def _energy_ratio(part: np.ndarray, total: np.ndarray) -> np.ndarray:
    """part / total; 0 where the total energy is 0, NaN where it is not finite."""
    ratio = np.divide(part, total, out=np.zeros_like(total), where=total > 0)
    return np.where(np.isfinite(total), ratio, np.nan)


def spectral_centroid(amplitudes: np.ndarray, freqs: np.ndarray) -> np.ndarray:
    """Energy-weighted mean frequency over f > 0, in cycles per unit: a scalar 'bandwidth' of a function."""
    energy = np.asarray(amplitudes, dtype=float)[..., 1:] ** 2
    total = energy.sum(axis=-1)
    weighted = (energy * freqs[1:]).sum(axis=-1)
    return _energy_ratio(weighted, total)


def relative_error_per_frequency(
    values: np.ndarray, target: np.ndarray, freqs: np.ndarray, at: list[float]
) -> np.ndarray:
    """|F[f](values) - F[f](target)| / |F[f](target)| at each frequency in `at` (complex: phase counts too)."""
    indices = [int(np.argmin(np.abs(freqs - f))) for f in at]
    predicted = fourier(values)[..., indices]
    reference = fourier(target)[..., indices]
    return np.abs(predicted - reference) / np.abs(reference)


def amplitude_at(amplitudes: np.ndarray, freqs: np.ndarray, f: float) -> np.ndarray:
    """Amplitude at the grid frequency nearest to f."""
    return np.asarray(amplitudes)[..., int(np.argmin(np.abs(freqs - f)))]
