"""The Hessian engine: settings, our Lanczos/Hutchinson implementation, the PyHessian cross-check."""
