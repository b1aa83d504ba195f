"""Gradient descent on the linear network: full matrices vs the reduced coordinates of models/linear_network.py.

The paper's linear_imbalance setup (D = 400, n = 100, m = 1, h = 500, sU = sV = 0.1): both run the same
iterations from the same init in the same process; the losses must agree, and the last line prints the speedup.
    .venv/bin/python benchmarks/linear_gd.py [--iterations 300] [--threads 1]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import torch

from initgen.models import linear_network as ln


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(0)
    D, n, m, h = 400, 100, 1, 500
    X = ln.unit_singular_data(D, n, g)
    Y = X @ (torch.randn(D, m, generator=g, dtype=ln.DTYPE) / math.sqrt(D))
    U = 0.1 * torch.randn(D, h, generator=g, dtype=ln.DTYPE)
    V = 0.1 * torch.randn(m, h, generator=g, dtype=ln.DTYPE)

    start = time.perf_counter()
    _, _, full = ln.gd_full(X, Y, U, V, 5e-4, args.iterations)
    t_full = time.perf_counter() - start

    start = time.perf_counter()
    state = ln.stack_runs([ln.reduce_run(X, Y, U, V)])  # setup (SVD, QR) counted
    reduced = ln.gd_reduced(state, 5e-4, args.iterations)["losses"][:, 0]
    t_reduced = time.perf_counter() - start

    assert np.allclose(full, reduced, rtol=1e-9), "reduced GD disagrees with full GD"
    print(f"full matrices: {t_full / args.iterations * 1e3:.3f} ms/iteration ({t_full:.2f} s)")
    print(f"reduced:       {t_reduced / args.iterations * 1e3:.3f} ms/iteration ({t_reduced:.2f} s, setup included)")
    print(f"speedup: {t_full / t_reduced:.1f}x")


if __name__ == "__main__":
    main()
