"""A step-size sweep of a pre-trained variant: pre-training once per seed (what lr_sweep.sweep_variant does) vs
once per (step size, seed), the same networks, in this process.

Exp 3b's variant (ReLU pre-trained on a 5 cycles/unit sine at 256 points with Adam, then SGD) on 3 sweep seeds and
the 9 half-decade step sizes. Prints both times and last `sweep pre-training speedup: N.NNx`.
Usage: python benchmarks/sweep_pretraining.py [--width 128 --pretrain-steps 300 --train-steps 300]
"""

import argparse
import time

import torch

from initgen.experiments.lr_sweep import DEFAULT_LRS, sweep_variant
from initgen.models import mlp_init


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--pretrain-steps", type=int, default=300)
    parser.add_argument("--train-steps", type=int, default=300)
    args = parser.parse_args()
    variant = {"model": {"activation": "relu", "width": args.width, "depth": 4},
               "init": {"kind": "pretrain_signal", "signal": {"freqs": [5.0], "amps": [1.0]}, "optimizer": "adam",
                        "lr": 1e-3, "steps": args.pretrain_steps},
               "train": {"optimizer": "sgd", "lr": 1e-3, "steps": args.train_steps, "stop_mse": 1e-3}}  # fmt: skip
    job = {"target": {"freqs": [1.0], "amps": [1.0]}, "train_x": {"kind": "step", "step": 0.2},
           "grid_points": 256, "variant": variant}
    seeds = [1000, 1001, 1002]
    timings = {}
    start = time.perf_counter()
    sweep_variant(job, seeds, DEFAULT_LRS)
    timings["once per seed"] = time.perf_counter() - start

    initialize = mlp_init.initialize

    def per_step_size(model_spec, init_spec, seeds_, depth, scales, device="cpu", key="init"):
        # the baseline: every (lr, seed) pre-trains its own copy, as the sweep did before
        model, info = initialize(model_spec, init_spec, list(seeds_) * len(DEFAULT_LRS), depth,
                                 list(scales) * len(DEFAULT_LRS), device, key)  # fmt: skip
        model.take = lambda rows: model  # already one network per (lr, seed), in the sweep's order
        return model, info

    import initgen.experiments.lr_sweep as lr_sweep

    lr_sweep.initialize = per_step_size
    start = time.perf_counter()
    sweep_variant(job, seeds, DEFAULT_LRS)
    timings["once per (lr, seed)"] = time.perf_counter() - start
    print(f"workload: {len(seeds)} seeds x {len(DEFAULT_LRS)} step sizes, width {args.width}, depth 4, pre-training "
          f"{args.pretrain_steps} Adam steps on 256 points, {args.train_steps} SGD steps; torch threads "
          f"{torch.get_num_threads()}")  # fmt: skip
    for name, seconds in timings.items():
        print(f"pre-training {name:20s} {seconds:7.2f} s")
    print(f"sweep pre-training speedup: {timings['once per (lr, seed)'] / timings['once per seed']:.2f}x")


if __name__ == "__main__":
    main()
