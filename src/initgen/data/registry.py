"""The dataset registry: name -> download (with checksums), prepare (once, to uint8 tensors), load.

    dataset_info("cifar10")                 -> {num_classes, channels, image_size, mean, std}
    download("cifar10", data_root)          -> the archive in data/raw/ (a file already there is used as is)
    prepare("cifar10", data_root)           -> data/prepared/cifar10/ holding train.pt and test.pt
    load_split("cifar10", "train", data_root, device) -> (images uint8 [N, C, H, W], labels int64 [N])

A prepared split is a dict {"images": uint8 tensor, "labels": int64 tensor}, saved with torch.save and
loaded with torch.load(weights_only=True). `mean`/`std` are per channel, for pixels scaled to [0, 1]
(train-split statistics). Per-dataset options (config `data.<name>`) go to `prepare` and, for imagenet's
image size, to `dataset_info`.

A dataset of yours (config extensions.datasets.<name>: path/to/file.py:function, README "Your own study") has no
download; `prepare(name, ..., reference=...)` calls your function with the options, checks the splits and writes
them like a built-in's. Its `dataset_info` is read from the prepared files (classes: largest label + 1, mean/std of
the train split), so a training job needs nothing but the files.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

from initgen.core.arguments import json_arg
from initgen.core.errors import UserFacingError
from initgen.core.files import atomic_path
from initgen.core.runtime import resolve_device
from initgen.data import archives, cifar, digits, imagenet, tinyimagenet

SPLITS = ("train", "test")


@dataclass(frozen=True)
class Archive:
    filename: str  # its name in data/raw/
    url: str
    checksum: str  # "md5:<hex>" or "sha256:<hex>" of the official file


@dataclass(frozen=True)
class Dataset:
    name: str
    num_classes: int
    channels: int
    image_size: int
    mean: tuple[float, ...]
    std: tuple[float, ...]
    # build(source, options) -> {"train": (images, labels), "test": (images, labels)}; `source` is the
    # folder the archive was extracted to (None when there is no archive: digits ships with scikit-learn,
    # imagenet is a user-supplied folder named in the options).
    build: Callable[[Path | None, dict], dict]
    archive: Archive | None = None
    default_options: dict = field(default_factory=dict)


DATASETS = {
    "digits": Dataset(
        "digits",
        num_classes=10,
        channels=1,
        image_size=8,
        # Train-split statistics of the default split (test_fraction 0.2, split_seed 0); tests check them.
        mean=(0.3054,),
        std=(0.3760,),
        build=digits.build,
        default_options=digits.DEFAULT_OPTIONS,
    ),
    "cifar10": Dataset(
        "cifar10",
        num_classes=10,
        channels=3,
        image_size=32,
        mean=(0.4914, 0.4822, 0.4465),
        std=(0.2470, 0.2435, 0.2616),
        build=cifar.build_cifar10,
        archive=Archive(
            "cifar-10-python.tar.gz",
            "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
            "md5:c58f30108f718f92721af3b95e74349a",
        ),
    ),
    "cifar100": Dataset(
        "cifar100",
        num_classes=100,
        channels=3,
        image_size=32,
        mean=(0.5071, 0.4865, 0.4409),
        std=(0.2673, 0.2564, 0.2762),
        build=cifar.build_cifar100,
        archive=Archive(
            "cifar-100-python.tar.gz",
            "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
            "md5:eb9058c3a382ffc7106e4002c42a8d85",
        ),
    ),
    "tinyimagenet": Dataset(
        "tinyimagenet",
        num_classes=200,
        channels=3,
        image_size=64,
        mean=(0.4802, 0.4481, 0.3975),
        std=(0.2770, 0.2691, 0.2821),
        build=tinyimagenet.build,
        archive=Archive(
            "tiny-imagenet-200.zip",
            "http://cs231n.stanford.edu/tiny-imagenet-200.zip",
            "md5:90528d7ca1a48142e341f4ef8d21d0de",
        ),
    ),
    "imagenet": Dataset(
        "imagenet",
        num_classes=1000,
        channels=3,
        image_size=imagenet.DEFAULT_OPTIONS["image_size"],
        mean=(0.485, 0.456, 0.406),
        std=(0.229, 0.224, 0.225),
        build=imagenet.build,
        default_options=imagenet.DEFAULT_OPTIONS,
    ),
}


def is_built_in(name: str) -> bool:
    return name in DATASETS


def get(name: str) -> Dataset:
    if name not in DATASETS:
        raise UserFacingError(f"unknown dataset {name!r}; known: {', '.join(sorted(DATASETS))}")
    return DATASETS[name]


def names() -> list[str]:
    return sorted(DATASETS)


def dataset_info(name: str, options: dict | None = None, data_root: str | Path | None = None) -> dict:
    """num_classes, channels, image_size, mean, std (per channel, pixels in [0, 1]) of a dataset; one of yours
    (not built in) from its prepared files under `data_root`."""
    if not is_built_in(name) and data_root is not None:
        return _prepared_info(name, data_root)
    dataset = get(name)
    image_size = (
        (options or {}).get("image_size", dataset.image_size) if name == "imagenet" else dataset.image_size
    )
    return {
        "num_classes": dataset.num_classes,
        "channels": dataset.channels,
        "image_size": image_size,
        "mean": list(dataset.mean),
        "std": list(dataset.std),
    }


def _prepared_info(name: str, data_root: str | Path) -> dict:
    images, labels = load_split(name, "train", data_root)
    _, test_labels = load_split(name, "test", data_root)
    pixels = images.float().div_(255).transpose(0, 1).flatten(1)  # [C, N * H * W]
    return {
        "num_classes": int(max(labels.max(), test_labels.max())) + 1,
        "channels": int(images.shape[1]),
        "image_size": int(images.shape[2]),
        "mean": pixels.mean(1).tolist(),
        "std": pixels.std(1).clamp_min(1e-6).tolist(),  # a constant channel must not divide by zero
    }


def raw_path(name: str, data_root: str | Path = "data") -> Path | None:
    """Where the dataset's archive lives (data/raw/<official file name>); None when it has no archive."""
    dataset = get(name)
    return None if dataset.archive is None else Path(data_root) / "raw" / dataset.archive.filename


def prepared_dir(name: str, data_root: str | Path = "data") -> Path:
    return Path(data_root) / "prepared" / name


def download(
    name: str,
    data_root: str | Path = "data",
    checksum: str | None = None,
    options: dict | None = None,
    mirror: str | Path | None = None,
) -> Path | None:
    """Make sure the dataset's raw input is present and intact; returns the archive path (None: no archive).

    An archive already in data/raw/ is used as is (after its checksum is verified), so a manually placed
    file or an offline compute node works. `checksum` overrides the official one (tests, mirrors, the
    rehearsal); `mirror` is a local folder holding the archive under its official file name, fetched from
    there (a file:// URL through the same download code) instead of the official URL.
    """
    dataset = get(name)
    if name == "imagenet":
        imagenet.check_folder(_options(dataset, options))
        return None
    if dataset.archive is None:
        return None
    path = raw_path(name, data_root)
    expected = checksum or dataset.archive.checksum
    if path.exists():
        archives.verify_checksum(path, expected)
        return path
    url = dataset.archive.url
    if mirror is not None:
        source = Path(mirror) / dataset.archive.filename
        if not source.is_file():
            raise UserFacingError(f"{source} not found: the mirror folder (config key data.rehearsal) lacks "
                                  f"{dataset.archive.filename}")
        url = source.resolve().as_uri()
    return archives.download(url, path, expected)


def prepare(
    name: str, data_root: str | Path = "data", options: dict | None = None, checksum: str | None = None,
    reference: str | None = None,
) -> Path:
    """Build data/prepared/<name>/{train,test}.pt from the raw input (or, given `reference`, from your function:
    extensions.datasets.<name>); returns that folder.

    All or nothing: the archive is verified and both splits are built in memory before anything is written,
    each file is written atomically, and a failure removes what this call wrote. Raises UserFacingError for
    a missing, damaged or unsafe archive.
    """
    if reference is not None:
        if is_built_in(name):
            raise UserFacingError(f"{name!r} is a built-in dataset: it takes no --reference")
        from initgen.core.extensions import build_dataset  # the same checks as check_config's

        splits = build_dataset(reference, dict(options or {}), f"extensions.datasets.{name}")
        return _write_splits(prepared_dir(name, data_root), splits)
    dataset = get(name)
    options = _options(dataset, options)
    if dataset.archive is None:
        splits = dataset.build(None, options)
    else:
        archive = raw_path(name, data_root)
        if not archive.exists():
            raise UserFacingError(
                f"{archive} not found: run `initgen data-download {name}` "
                f"(or `snakemake data_download_{name}`), or place {dataset.archive.url} "
                f"at {archive.resolve()}"
            )
        archives.verify_checksum(archive, checksum or dataset.archive.checksum)
        scratch = Path(data_root) / "raw"
        for stale in scratch.glob(f".extract-{name}-*"):  # left by a killed run (no cleanup ran)
            shutil.rmtree(stale, ignore_errors=True)
        with tempfile.TemporaryDirectory(dir=scratch, prefix=f".extract-{name}-") as folder:
            splits = dataset.build(archives.safe_extract(archive, folder), options)
    _check_splits(dataset, splits, options)
    return _write_splits(prepared_dir(name, data_root), splits)


def _options(dataset: Dataset, options: dict | None) -> dict:
    return dict(dataset.default_options) | dict(options or {})


def _check_splits(dataset: Dataset, splits: dict, options: dict) -> None:
    """Catch a builder bug before it becomes a prepared file: dtypes, shapes, label range."""
    size = dataset_info(dataset.name, options)["image_size"]
    for split in SPLITS:
        images, labels = splits[split]
        expected = (dataset.channels, size, size)
        assert images.dtype == torch.uint8 and tuple(images.shape[1:]) == expected, (split, images.shape)
        assert labels.dtype == torch.int64 and labels.shape == (images.shape[0],), (split, labels.shape)
        assert int(labels.min()) >= 0 and int(labels.max()) < dataset.num_classes, split


def _write_splits(folder: Path, splits: dict) -> Path:
    written = []
    try:
        for split in SPLITS:
            images, labels = splits[split]
            path = folder / f"{split}.pt"
            with atomic_path(path) as tmp:
                torch.save({"images": images.contiguous(), "labels": labels.contiguous()}, tmp)
            written.append(path)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return folder


def load_split(name: str, split: str, data_root: str | Path = "data", device: str | torch.device = "cpu"):
    """The whole split in memory as (images uint8 [N, C, H, W], labels int64 [N]) on `device` (a dataset of
    yours too: any name with prepared files)."""
    if split not in SPLITS:
        raise UserFacingError(f"unknown split {split!r} of dataset {name!r}; known: {', '.join(SPLITS)}")
    path = prepared_dir(name, data_root) / f"{split}.pt"
    if not path.exists():
        raise UserFacingError(
            f"{path} not found: prepare it with `initgen data-prepare {name} --data-root {data_root}` "
            f"(or `snakemake {path}`)"
        )
    data = torch.load(path, weights_only=True, map_location="cpu")
    device = resolve_device(device)
    return data["images"].to(device), data["labels"].to(device)


def _parse_cli(argv: list[str], prog: str, description: str):
    import argparse

    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("name", help=f"dataset: {', '.join(names())}")
    parser.add_argument(
        "--data-root", default="data", help="folder holding raw/ and prepared/ (config data.root)"
    )
    parser.add_argument("--options", default="{}", help="the dataset's config block data.<name> as JSON")
    parser.add_argument("--checksum", default=None, help="override the official checksum, 'md5:<hex>'")
    if prog.endswith("prepare"):
        parser.add_argument("--reference", default=None,
                            help="a dataset of yours: path/to/file.py:function (config extensions.datasets.<name>)")
    if prog.endswith("download"):
        parser.add_argument("--mirror", default=None,
                            help="a local folder holding the archive under its official name (config data.rehearsal)")
    args = parser.parse_args(argv)
    args.options = json_arg(args.options, "options") or {}
    return args


def cli_download(argv: list[str]) -> int:
    """`initgen data-download NAME [--data-root data] [--options JSON] [--checksum md5:HEX]`"""
    args = _parse_cli(argv, "initgen data-download", "Fetch one dataset's archive into <data-root>/raw and verify "
                      "its checksum (offline: says where to put the file).")
    path = download(args.name, args.data_root, checksum=args.checksum, options=args.options, mirror=args.mirror)
    print(f"{args.name}: " + (f"{path} ok" if path else "nothing to download"))
    return 0


def cli_prepare(argv: list[str]) -> int:
    """`initgen data-prepare NAME [--data-root data] [--options JSON] [--checksum md5:HEX | --reference FILE:FN]`"""
    args = _parse_cli(argv, "initgen data-prepare", "Unpack a downloaded dataset into <data-root>/prepared as "
                      "uint8 tensors per split.")
    folder = prepare(args.name, args.data_root, options=args.options, checksum=args.checksum, reference=args.reference)
    for split in SPLITS:
        images, labels = load_split(args.name, split, args.data_root)
        print(
            f"{args.name} {split}: {tuple(images.shape)} uint8, {int(labels.unique().numel())} classes "
            f"-> {folder / f'{split}.pt'}"
        )
    return 0
