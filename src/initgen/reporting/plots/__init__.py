"""Figures per artifact family; they read results only."""
