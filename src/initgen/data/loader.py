"""In-memory batches: a whole split held as uint8 tensors (on the GPU when there is one), cut into normalized
float batches with seeded shuffling.

No worker processes, no per-image Python, no host-to-device copies per batch: one index_select and one scale
and shift per batch. The shuffle order of epoch e is a function of (seed, e) only, so a run resumed at
epoch e sees exactly the batches an uninterrupted run sees.

    batches = InMemoryBatches(images, labels, batch_size=128, shuffle=True, seed=0, mean=info["mean"],
                              std=info["std"])
    for epoch in range(start_epoch, epochs):
        batches.set_epoch(epoch)
        for x, y in batches: ...
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch


class InMemoryBatches:
    """Iterate (float32 images normalized per channel, int64 labels) batches on the images' device.

    images: uint8 [N, C, H, W]; labels: int64 [N]; mean/std: per channel, for pixels scaled to [0, 1].
    Each pass over the object is one epoch; the epoch counter advances after each pass (or is set with
    set_epoch). drop_last drops a final incomplete batch. memory_format (e.g. torch.channels_last) is applied
    to each float batch.
    """

    def __init__(
        self,
        images: torch.Tensor,
        labels: torch.Tensor,
        batch_size: int,
        shuffle: bool,
        seed: int,
        mean: Sequence[float],
        std: Sequence[float],
        drop_last: bool = False,
        memory_format: torch.memory_format = torch.contiguous_format,
    ):
        if images.dtype != torch.uint8 or images.ndim != 4:
            raise ValueError(f"images must be uint8 [N, C, H, W], got {images.dtype} {tuple(images.shape)}")
        if labels.shape != (images.shape[0],):
            raise ValueError(f"labels must be [N] = [{images.shape[0]}], got {tuple(labels.shape)}")
        if len(mean) != images.shape[1] or len(std) != images.shape[1]:
            raise ValueError(f"mean/std need one value per channel ({images.shape[1]})")
        if batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        self.images, self.labels = images, labels.to(images.device)
        self.batch_size, self.shuffle, self.seed, self.drop_last = batch_size, shuffle, seed, drop_last
        self.memory_format = memory_format
        self.epoch = 0
        # (x / 255 - mean) / std == x * scale + shift: two in-place ops per batch.
        std_t = torch.tensor(std, dtype=torch.float32, device=images.device).view(1, -1, 1, 1)
        mean_t = torch.tensor(mean, dtype=torch.float32, device=images.device).view(1, -1, 1, 1)
        self.scale = 1.0 / (255.0 * std_t)
        self.shift = -mean_t / std_t

    def __len__(self) -> int:
        n = self.images.shape[0]
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def order(self, epoch: int) -> torch.Tensor:
        """The sample order of `epoch`: a permutation seeded by (seed, epoch), drawn on the CPU so it is
        the same on every device."""
        n = self.images.shape[0]
        if not self.shuffle:
            return torch.arange(n)
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
        return torch.randperm(n, generator=generator)

    def normalize(self, images: torch.Tensor) -> torch.Tensor:
        # In place on the fresh float copy (addcmul with a broadcast first argument is ~3x slower on CPU).
        return images.float().mul_(self.scale).add_(self.shift).contiguous(memory_format=self.memory_format)

    def __iter__(self):
        order = self.order(self.epoch).to(self.images.device)
        self.epoch += 1
        for batch in range(len(self)):
            index = order[batch * self.batch_size : (batch + 1) * self.batch_size]
            yield self.normalize(self.images.index_select(0, index)), self.labels.index_select(0, index)
