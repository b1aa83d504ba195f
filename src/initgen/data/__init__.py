"""Datasets: registry, download with checksums, preparation to uint8 tensors, in-memory loading."""
