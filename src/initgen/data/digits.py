"""scikit-learn's digits: 1,797 real 8x8 grayscale handwritten digits, shipped with scikit-learn.

The default config's dataset. Pixel values 0..16 are rescaled to 0..255 (round(v * 255 / 16), one-to-one) so
that every dataset shares one convention: uint8 pixels, divided by 255 before normalization. The train/test
split is a fixed, seeded, class-stratified split (scikit-learn ships no split).
"""

from __future__ import annotations

import numpy as np
import torch

# Defaults of the `data.digits` config block (our choice: 20% test, i.e. 360 images, 36 per class).
DEFAULT_OPTIONS = {"test_fraction": 0.2, "split_seed": 0}


def build(raw_dir, options: dict) -> dict:
    """{"train": (images, labels), "test": (images, labels)}; images uint8 [N, 1, 8, 8], labels int64."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    options = DEFAULT_OPTIONS | dict(options or {})
    digits = load_digits()
    images = np.rint(digits.images * (255.0 / 16.0)).astype(np.uint8)[:, None, :, :]
    labels = digits.target.astype(np.int64)
    train_idx, test_idx = train_test_split(
        np.arange(len(labels)),
        test_size=options["test_fraction"],
        random_state=options["split_seed"],
        stratify=labels,
    )
    # Sorted indices: the prepared files do not depend on the order train_test_split happens to return.
    return {
        split: (torch.from_numpy(images[np.sort(idx)].copy()), torch.from_numpy(labels[np.sort(idx)].copy()))
        for split, idx in (("train", train_idx), ("test", test_idx))
    }
