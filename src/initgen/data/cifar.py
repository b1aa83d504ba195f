"""CIFAR-10 and CIFAR-100 from the official "python version" archives (pickled batches in a tar.gz).

Layout after extraction:
    cifar-10-batches-py/data_batch_1 .. data_batch_5, test_batch   dicts with "data" (N x 3072 uint8, the red,
                                                                   green and blue 32x32 planes) and "labels"
    cifar-100-python/train, test                                   the same with "fine_labels" (100 classes)
The batches are Python 2 pickles: they are read with an unpickler that only admits plain containers and numpy
arrays, so a forged archive cannot run code.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import torch

from initgen.core.errors import UserFacingError

# Everything a CIFAR batch pickle needs; any other global in the pickle is refused.
_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),
}


class _BatchUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) not in _ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(f"global {module}.{name} is not allowed in a CIFAR batch")
        return super().find_class(module, name)


def read_batch(path: Path, label_key: str) -> tuple[np.ndarray, np.ndarray]:
    """One pickled batch -> (images uint8 [N, 3, 32, 32], labels int64 [N])."""
    if not path.exists():
        raise UserFacingError(f"{path.name} missing from the archive: not the official CIFAR python version")
    try:
        with open(path, "rb") as handle:
            batch = _BatchUnpickler(handle, encoding="latin1").load()
        data = np.asarray(batch["data"], dtype=np.uint8)
        labels = np.asarray(batch[label_key], dtype=np.int64)
    except (pickle.UnpicklingError, EOFError, KeyError, TypeError, ValueError) as error:
        raise UserFacingError(f"{path.name} in the CIFAR archive is not a valid batch ({error!r})") from error
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(labels) != len(data):
        raise UserFacingError(
            f"{path.name} in the CIFAR archive has data of shape {data.shape} "
            f"and {len(labels)} labels; expected N x 3072 and N labels"
        )
    return data.reshape(-1, 3, 32, 32), labels


def _build(folder: Path, train_files: list[str], test_files: list[str], label_key: str) -> dict:
    out = {}
    for split, files in (("train", train_files), ("test", test_files)):
        parts = [read_batch(folder / name, label_key) for name in files]
        images = np.concatenate([p[0] for p in parts])
        labels = np.concatenate([p[1] for p in parts])
        out[split] = (torch.from_numpy(images), torch.from_numpy(labels))
    return out


def build_cifar10(source: Path, options: dict) -> dict:
    return _build(
        Path(source) / "cifar-10-batches-py",
        [f"data_batch_{i}" for i in range(1, 6)],
        ["test_batch"],
        "labels",
    )


def build_cifar100(source: Path, options: dict) -> dict:
    return _build(Path(source) / "cifar-100-python", ["train"], ["test"], "fine_labels")
