"""initgen: how initialization decides generalization."""

__version__ = "0.1.0"
