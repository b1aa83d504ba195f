"""Tiny ImageNet (200 classes, 64x64 RGB) from the official zip, tiny-imagenet-200.zip.

Layout after extraction:
    tiny-imagenet-200/wnids.txt                          the 200 class ids (one per line)
    tiny-imagenet-200/train/<wnid>/images/*.JPEG         500 per class
    tiny-imagenet-200/val/images/val_<i>.JPEG            10,000 images ...
    tiny-imagenet-200/val/val_annotations.txt            ... labelled here: file <tab> wnid <tab> box
    tiny-imagenet-200/test/images/                       unlabelled: not used
Our "test" split is the official validation set (the official test labels are not public). Class index =
position of the wnid in sorted order. Some images are grayscale JPEGs: they are converted to RGB.
"""

from __future__ import annotations

from pathlib import Path

import torch

from initgen.core.errors import UserFacingError
from initgen.data.imagenet import IMAGE_SUFFIXES, decode_images

IMAGE_SIZE = 64


def _read_lines(path: Path) -> list[str]:
    if not path.exists():
        raise UserFacingError(f"{path.name} missing from the archive: not the official tiny-imagenet-200.zip")
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def build(source: Path, options: dict) -> dict:
    root = Path(source) / "tiny-imagenet-200"
    wnids = sorted(_read_lines(root / "wnids.txt"))
    index = {wnid: i for i, wnid in enumerate(wnids)}

    train_files, train_labels = [], []
    for wnid in wnids:
        found = sorted(
            p for p in (root / "train" / wnid / "images").glob("*") if p.suffix.lower() in IMAGE_SUFFIXES
        )
        if not found:
            raise UserFacingError(
                f"no training images for class {wnid} in the archive (train/{wnid}/images/)"
            )
        train_files += found
        train_labels += [index[wnid]] * len(found)

    test_files, test_labels = [], []
    for line in _read_lines(root / "val" / "val_annotations.txt"):
        fields = line.split("\t")
        if len(fields) < 2 or fields[1] not in index:
            raise UserFacingError(
                f"val_annotations.txt: cannot read line {line!r} (file, wnid, box expected)"
            )
        path = root / "val" / "images" / fields[0]
        if not path.exists():
            raise UserFacingError(f"val_annotations.txt names {fields[0]}, which is not in val/images/")
        test_files.append(path)
        test_labels.append(index[fields[1]])

    return {
        "train": (
            decode_images(train_files, IMAGE_SIZE, "tinyimagenet train"),
            torch.tensor(train_labels, dtype=torch.int64),
        ),
        "test": (
            decode_images(test_files, IMAGE_SIZE, "tinyimagenet test"),
            torch.tensor(test_labels, dtype=torch.int64),
        ),
    }
