"""Batched trainer vs a per-model loop on the Exp 1 workload (coordinate MLPs on 10 points, full-batch SGD).

Both train the same networks from the same init for the same steps, in this process. Prints models x steps per
second for both, the achieved GFLOP/s against a large matrix product timed here, and last
`toy training speedup: N.NNx`. Usage: python benchmarks/toy_training.py [--seeds 10 --steps 200 --width 256]
"""

import argparse
import time

import torch

from initgen.models.mlp import BatchedMLP, activation_scale
from initgen.models.mlp_init import draw_mlp
from initgen.training.batched import train_batched, train_one_by_one


def flops_per_step(width: int, depth: int, points: int) -> float:
    """Multiply-adds of forward + backward (about 3x forward) for one network on `points` inputs, as FLOPs."""
    weights = width + (depth - 1) * width * width + width
    return 3 * 2 * points * weights


def matmul_gflops(size: int = 1024, repeats: int = 10) -> float:
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * size**3 * repeats / (time.perf_counter() - start) / 1e9


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--width", type=int, default=256)
    parser.add_argument("--depth", type=int, default=4)
    args = parser.parse_args()
    x = torch.linspace(-1, 0.8, 10)[:, None]
    activations = ("relu", "gaussian", "sine")
    n_models = args.seeds * len(activations)
    flops = flops_per_step(args.width, args.depth, x.shape[0]) * n_models * args.steps

    def networks(activation):
        spec = {"activation": activation, "width": args.width}
        scale = activation_scale(activation)
        return [draw_mlp(spec, {"kind": "xavier_uniform"}, s, args.depth, scale) for s in range(args.seeds)]

    y = torch.sin(2 * torch.pi * x)[None].expand(args.seeds, -1, -1).clone()
    timings = {}
    for name in ("per-model loop", "batched"):
        start = time.perf_counter()
        for activation in activations:
            mlps = networks(activation)
            if name == "batched":
                train_batched(BatchedMLP.stack(mlps), x, y, optimizer="sgd", lr=1e-3, steps=args.steps)
            else:
                train_one_by_one(mlps, x, y, optimizer="sgd", lr=1e-3, steps=args.steps)
        timings[name] = time.perf_counter() - start
    peak = matmul_gflops()
    print(f"workload: {n_models} MLPs (3 activations x {args.seeds} seeds), width {args.width}, depth {args.depth}, "
          f"10 points, {args.steps} SGD steps; torch threads {torch.get_num_threads()}")  # fmt: skip
    print(f"matrix product 1024x1024: {peak:.1f} GFLOP/s")
    for name, seconds in timings.items():
        achieved = flops / seconds / 1e9
        print(f"{name:15s} {n_models * args.steps / seconds:10.0f} models x steps / s  {achieved:6.2f} GFLOP/s "
              f"({achieved / peak:.1%} of the matrix product)")  # fmt: skip
    print(f"toy training speedup: {timings['per-model loop'] / timings['batched']:.2f}x")


if __name__ == "__main__":
    main()
