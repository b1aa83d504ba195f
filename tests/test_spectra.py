import numpy as np
import pytest

from initgen.analysis import spectra
from initgen.data.signals import evaluate_signal, grid, nyquist, sample_points


def test_multi_sine_spectrum_is_recovered_exactly():
    x = grid(1024)
    freqs, amps = [0.5, 3.0, 12.5, 40.0], [1.0, 0.25, 2.0, 0.125]
    values = evaluate_signal({"freqs": freqs, "amps": amps, "phases": [0.3, 1.0, 2.0, -0.7], "offset": 0.75}, x)
    amplitude = spectra.amplitude(values)
    f = spectra.frequencies(x.size)
    peaks = np.flatnonzero(amplitude > 1e-6)
    assert f[peaks].tolist() == [0.0] + freqs  # DC offset plus exactly the four sines, nothing else
    np.testing.assert_allclose(amplitude[peaks], [0.75] + amps, atol=1e-6)


def test_high_frequency_fraction_and_centroid():
    x = grid(512)
    f = spectra.frequencies(x.size)
    amp = spectra.amplitude(evaluate_signal({"freqs": [1.0, 10.0], "amps": [3.0, 1.0]}, x))
    assert spectra.high_frequency_fraction(amp, f, cutoff=2.5) == pytest.approx(1 / 10, abs=1e-9)
    assert spectra.spectral_centroid(amp, f) == pytest.approx((9 * 1 + 1 * 10) / 10, abs=1e-9)


def test_relative_error_per_frequency_sees_phase_and_amplitude():
    x = grid(256)
    f = spectra.frequencies(x.size)
    target = evaluate_signal({"freqs": [2.0, 5.0]}, x)
    half_amplitude = evaluate_signal({"freqs": [2.0, 5.0], "amps": [0.5, 1.0]}, x)
    flipped = evaluate_signal({"freqs": [2.0, 5.0], "phases": [0.0, np.pi]}, x)
    np.testing.assert_allclose(
        spectra.relative_error_per_frequency(half_amplitude, target, f, [2.0, 5.0]), [0.5, 0], atol=1e-9
    )
    np.testing.assert_allclose(
        spectra.relative_error_per_frequency(flipped, target, f, [2.0, 5.0]), [0, 2.0], atol=1e-9
    )


def test_training_points_and_their_nyquist_frequency():
    spec = {"kind": "step", "step": 0.2}
    np.testing.assert_allclose(sample_points(spec), [-1.0, -0.8, -0.6, -0.4, -0.2, 0.0, 0.2, 0.4, 0.6, 0.8], atol=1e-12)
    assert nyquist(spec) == pytest.approx(2.5)
    # a sine at twice the Nyquist frequency vanishes at every training point (Exp 3b's pre-training signal)
    assert np.abs(evaluate_signal({"freqs": [5.0]}, sample_points(spec))).max() < 1e-12
