"""Data loading speed: our in-memory batches vs a torchvision DataLoader with ToTensor over the same images.

Both produce the same thing, shuffled normalized float batches of CIFAR-shaped images (synthetic 32x32 RGB
uint8), on the device (the DataLoader's batches are copied there, as a training loop would). The DataLoader
baseline is timed with 0 and with `--workers` worker processes and the faster is kept. Images per second are
the median over whole epochs after one warm-up epoch.

    .venv/bin/python benchmarks/data_loading.py [--images 20000] [--batch-size 256] [--device auto]

Last line: `data loading speedup: N.NNx` (goal: at least 5x).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import torch
from PIL import Image
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

from initgen.core.runtime import resolve_device
from initgen.data.loader import InMemoryBatches
from initgen.data.registry import dataset_info


class PILImages(Dataset):
    """The usual torchvision pattern: one PIL image per item, transformed one at a time."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, transform):
        self.images = [Image.fromarray(image.transpose(1, 2, 0)) for image in images]  # HWC, as PIL wants
        self.labels, self.transform = labels, transform

    def __len__(self):
        return len(self.images)

    def __getitem__(self, index):
        return self.transform(self.images[index]), int(self.labels[index])


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def images_per_second(make_epoch, n: int, device: torch.device, epochs: int) -> float:
    """Median over `epochs` timed epochs (after one warm-up epoch): robust to other load on the machine."""

    def run_epoch() -> float:
        start = time.perf_counter()
        checksum = torch.zeros((), device=device)
        for x, y in make_epoch():
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            checksum += x[:, 0, 0, 0].sum() + y.sum()  # touch every batch so nothing is skipped
        _sync(device)
        return n / (time.perf_counter() - start)

    run_epoch()  # warm-up: worker start, caches, CUDA context
    return statistics.median(run_epoch() for _ in range(epochs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=20000)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument(
        "--epochs", type=int, default=3, help="timed epochs of the DataLoader (ours: 5x more)"
    )
    parser.add_argument("--workers", type=int, default=min(4, os.cpu_count() or 1))
    parser.add_argument("--device", default="auto")
    # One CPU thread for both sides, as each DataLoader worker has: batches this small gain nothing from
    # intra-op threads, and on a shared machine a descheduled thread stalls every op several-fold.
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads of this process")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = resolve_device(args.device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu ({os.cpu_count()} cores)"
    print(
        f"device: {name}; {args.images} synthetic 32x32 RGB images, batch {args.batch_size}, "
        f"{args.threads} torch thread(s)"
    )

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(args.images, 3, 32, 32), dtype=np.uint8)
    labels = rng.integers(0, 10, size=args.images)
    info = dataset_info("cifar10")

    # Ours: the whole split on the device once, batches cut and normalized there.
    batches = InMemoryBatches(
        torch.from_numpy(images).to(device),
        torch.from_numpy(labels).to(device),
        args.batch_size,
        shuffle=True,
        seed=0,
        mean=info["mean"],
        std=info["std"],
    )
    ours = images_per_second(lambda: batches, args.images, device, 5 * args.epochs)
    print(f"in-memory batches:        {ours:12,.0f} images/s")

    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize(info["mean"], info["std"])])
    dataset = PILImages(images, labels, transform)
    baseline = 0.0
    for workers in sorted({0, args.workers}):
        loader = DataLoader(
            dataset,
            batch_size=args.batch_size,
            shuffle=True,
            num_workers=workers,
            pin_memory=device.type == "cuda",
            persistent_workers=workers > 0,
        )
        rate = images_per_second(lambda loader=loader: loader, args.images, device, args.epochs)
        print(f"DataLoader, {workers} workers:   {rate:12,.0f} images/s")
        baseline = max(baseline, rate)
    print(f"data loading speedup: {ours / baseline:.2f}x")


if __name__ == "__main__":
    main()
