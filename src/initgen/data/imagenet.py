"""ImageNet from a user-supplied folder (it cannot be downloaded without an account), and image decoding.

Expected layout (the usual class-folder layout, e.g. torchvision's ImageFolder; the official validation
images must first be moved into one folder per class, e.g. with the widely used `valprep.sh`):
    <folder>/train/<wnid>/*.JPEG     1,000 class folders such as n01440764
    <folder>/val/<wnid>/*.JPEG       the same class names
Set the folder in the config (`data.imagenet.folder`). Each image is converted to RGB, its shorter side
resized to `image_size` and the centre `image_size` x `image_size` square kept. Class index = position of
the class folder name in sorted order. `max_train_per_class` keeps the first N files (sorted by name) of
each class: the full train split at 224 x 224 is ~193 GB as uint8, more than a node's memory.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch

from initgen.core.errors import UserFacingError
from initgen.core.progress import progress as progress_lines

# Defaults of the `data.imagenet` config block (image_size 224: the paper's ImageNet input size).
DEFAULT_OPTIONS = {"folder": None, "image_size": 224, "max_train_per_class": None}
IMAGE_SUFFIXES = {".jpeg", ".jpg", ".png"}


def load_image(source, image_size: int) -> np.ndarray:
    """A file path or file object -> uint8 [3, size, size]: RGB, shorter side resized, centre crop."""
    from PIL import Image

    with Image.open(source) as image:
        image = image.convert("RGB")
        width, height = image.size
        if (width, height) != (image_size, image_size):
            scale = image_size / min(width, height)
            new_size = (max(image_size, round(width * scale)), max(image_size, round(height * scale)))
            image = image.resize(new_size, Image.Resampling.BILINEAR, reducing_gap=None)
            left, top = (new_size[0] - image_size) // 2, (new_size[1] - image_size) // 2
            image = image.crop((left, top, left + image_size, top + image_size))
        return np.asarray(image, dtype=np.uint8).transpose(2, 0, 1)


def decode_images(files: list[Path], image_size: int, desc: str) -> torch.Tensor:
    """Decode many image files into one preallocated uint8 tensor [N, 3, size, size] (threads: PIL releases
    the GIL while decoding and resizing)."""
    images = torch.empty((len(files), 3, image_size, image_size), dtype=torch.uint8)
    array = images.numpy()

    def work(index: int) -> None:
        try:
            array[index] = load_image(files[index], image_size)
        except OSError as error:
            raise UserFacingError(f"{files[index]}: cannot read this image ({error})") from error

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for _ in progress_lines(pool.map(work, range(len(files))), total=len(files), desc=desc, unit="img"):
            pass
    return images


def _class_folders(split_dir: Path) -> list[str]:
    return sorted(p.name for p in split_dir.iterdir() if p.is_dir())


def check_folder(options: dict) -> Path:
    """The configured ImageNet folder, or UserFacingError saying what to place where."""
    folder = options.get("folder")
    if not folder:
        raise UserFacingError(
            "config key data.imagenet.folder is not set: point it at your ImageNet folder holding "
            "train/<class>/*.JPEG and val/<class>/*.JPEG (see src/initgen/data/imagenet.py)"
        )
    folder = Path(folder).expanduser()
    for split in ("train", "val"):
        if not (folder / split).is_dir() or not _class_folders(folder / split):
            raise UserFacingError(
                f"{(folder / split).resolve()} missing or without class folders "
                f"(config key data.imagenet.folder): expected {folder}/{split}/<class>/*.JPEG"
            )
    return folder


def _files(class_dir: Path, limit: int | None) -> list[Path]:
    files = sorted(p for p in class_dir.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    return files[:limit] if limit else files


def build(source, options: dict) -> dict:
    folder = check_folder(options)
    classes = _class_folders(folder / "train")
    if len(classes) > 1000:
        raise UserFacingError(f"{folder / 'train'} has {len(classes)} class folders; ImageNet has 1000")
    unknown = sorted(set(_class_folders(folder / "val")) - set(classes))
    if unknown:
        raise UserFacingError(f"{folder / 'val'} has class folders not in train/: {', '.join(unknown[:5])}")
    out = {}
    for split, folder_name, limit in (
        ("train", "train", options.get("max_train_per_class")),
        ("test", "val", None),
    ):
        files, labels = [], []
        for index, name in enumerate(classes):
            class_dir = folder / folder_name / name
            found = _files(class_dir, limit) if class_dir.is_dir() else []
            files += found
            labels += [index] * len(found)
        if not files:
            raise UserFacingError(f"no images (*.JPEG, *.jpg, *.png) under {folder / folder_name}")
        out[split] = (
            decode_images(files, options["image_size"], f"imagenet {split}"),
            torch.tensor(labels, dtype=torch.int64),
        )
    return out
