"""Measurements of trained networks and runs: spectra, NTK, input gradients, curvature, run status, statistics."""
