"""Experiments: build runs from config, train or analyse them, collect metrics."""
