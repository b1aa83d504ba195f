"""A dataset of yours for tests/test_user_study.py: fn(options) -> {"train": (images, labels), "test": ...}."""

import torch


def bright_or_dark(options):
    """Seeded 1x8x8 noise images, two classes: label 1 images are brighter on average (learnable in a few epochs)."""
    generator = torch.Generator().manual_seed(options.get("seed", 0))

    def split(n):
        labels = torch.randint(0, 2, (n,), generator=generator)
        noise = torch.randint(0, 160, (n, 1, 8, 8), generator=generator)
        images = (noise + 80 * labels[:, None, None, None]).clamp(0, 255).to(torch.uint8)
        return images, labels

    return {"train": split(options.get("train", 96)), "test": split(options.get("test", 48))}
