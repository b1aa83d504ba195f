"""Stand-in datasets for the paper-scale rehearsal, written in the official on-disk formats.

`initgen rehearsal-data --out data/rehearsal` writes
    cifar-10-python.tar.gz     cifar-10-batches-py/{batches.meta, data_batch_1..5, test_batch} (python pickles)
    cifar-100-python.tar.gz    cifar-100-python/{meta, train, test} (fine_labels and coarse_labels)
    tiny-imagenet-200.zip      tiny-imagenet-200/{wnids.txt, words.txt, train/<wnid>/images/*.JPEG,
                               train/<wnid>/<wnid>_boxes.txt, val/images/*.JPEG, val/val_annotations.txt,
                               test/images/*.JPEG}
    imagenet/                  train/<wnid>/*.JPEG and val/<wnid>/*.JPEG (larger than 224 and not square,
                               so the resize and centre crop run)
so that the real download (from this folder as a mirror), checksum, safe-extraction and preparation code of
initgen.data runs on them (config/rehearsal.yaml). The pixels are seeded noise and the numbers trained on them
mean nothing: this is a rehearsal of the paper-scale DAG, not data. The files are byte-for-byte reproducible
(fixed seeds, fixed timestamps and owners in the archives), so their checksums are committed in
config/rehearsal.yaml (`data.checksums`); tests/test_rehearsal_data.py checks that they still match.

Sizes (REHEARSAL below) are our choice: a few images for a few classes per dataset, so that the rehearsal's
~300 jobs run on a 2-core CPU; every class index stays inside the dataset's label range (the models keep the
paper's 10 / 100 / 200 / 1000 outputs).
"""

from __future__ import annotations

import gzip
import io
import os
import pickle
import shutil
import tarfile
import zipfile
from pathlib import Path

import numpy as np

from initgen.core.files import atomic_path

# Our choice: train/test images per class and which classes (fewer than the dataset has where it has many).
REHEARSAL = {
    "cifar10": {"classes": list(range(10)), "train_per_class": 2, "test_per_class": 1},
    "cifar100": {"classes": list(range(0, 100, 5)), "train_per_class": 2, "test_per_class": 1},  # 20 of 100
    "tinyimagenet": {"classes": 10, "train_per_class": 2, "test_per_class": 1},  # 10 of 200 wnids
    "imagenet": {"classes": 4, "train_per_class": 2, "test_per_class": 1, "size": (288, 256)},  # 4 of 1000
}
FILES = {
    "cifar10": "cifar-10-python.tar.gz",
    "cifar100": "cifar-100-python.tar.gz",
    "tinyimagenet": "tiny-imagenet-200.zip",
}
TIMESTAMP = 946_684_800  # 2000-01-01: a fixed mtime in every archive member, so the bytes do not depend on when
ZIP_DATE = (2000, 1, 1, 0, 0, 0)
SEED = 20230723


def _py2_pickle(obj) -> bytes:
    """Pickle like the official CIFAR batches: protocol 2, numpy arrays via numpy.core.multiarray."""
    return pickle.dumps(obj, protocol=2).replace(b"cnumpy._core.multiarray\n", b"cnumpy.core.multiarray\n")


def _jpeg(rng: np.random.Generator, width: int, height: int) -> bytes:
    from PIL import Image

    pixels = rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def _labels(spec: dict, per_class: int) -> list[int]:
    return [c for c in spec["classes"] for _ in range(per_class)]


def _write_tar_gz(path: Path, members: list[tuple[str, bytes]]) -> None:
    with atomic_path(path) as tmp, open(tmp, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz:
            with tarfile.open(fileobj=gz, mode="w", format=tarfile.GNU_FORMAT) as handle:
                for name, data in members:
                    info = tarfile.TarInfo(name)
                    info.size, info.mtime, info.mode = len(data), TIMESTAMP, 0o644
                    handle.addfile(info, io.BytesIO(data))


def _write_zip(path: Path, members: list[tuple[str, bytes]]) -> None:
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as handle:
        for name, data in members:
            info = zipfile.ZipInfo(name, ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o100644 << 16
            handle.writestr(info, data)


def cifar(path: Path, hundred: bool) -> Path:
    """The CIFAR-10 (five train batches) or CIFAR-100 python-version archive."""
    name = "cifar100" if hundred else "cifar10"
    spec = REHEARSAL[name]
    rng = np.random.default_rng([SEED, 100 if hundred else 10])
    folder, label_key = ("cifar-100-python", "fine_labels") if hundred else ("cifar-10-batches-py", "labels")
    splits = {"train": _labels(spec, spec["train_per_class"]), "test": _labels(spec, spec["test_per_class"])}
    batches = {"test": ["test"], "train": ["train"]} if hundred else {
        "train": [f"data_batch_{i}" for i in range(1, 6)], "test": ["test_batch"]}  # fmt: skip
    meta = (
        {"fine_label_names": [f"class{i}" for i in range(100)], "coarse_label_names": [f"c{i}" for i in range(20)]}
        if hundred
        else {"label_names": [f"class{i}" for i in range(10)], "num_cases_per_batch": 10000, "num_vis": 3072}
    )
    members = [(f"{folder}/{'meta' if hundred else 'batches.meta'}", _py2_pickle(meta))]
    for split, names in batches.items():
        for part, batch_name in zip(np.array_split(np.array(splits[split]), len(names)), names, strict=True):
            labels = [int(v) for v in part]
            data = rng.integers(0, 256, size=(len(labels), 3072), dtype=np.uint8)
            batch = {
                "batch_label": f"rehearsal {batch_name}",
                label_key: labels,
                "data": data,
                "filenames": [f"{batch_name}_{i}.png" for i in range(len(labels))],
            }
            if hundred:
                batch["coarse_labels"] = [label // 5 for label in labels]
            members.append((f"{folder}/{batch_name}", _py2_pickle(batch)))
    _write_tar_gz(path, members)
    return path


def _wnids(count: int, offset: int) -> list[str]:
    return [f"n{offset + 1000 * i:08d}" for i in range(count)]


def tinyimagenet(path: Path) -> Path:
    """tiny-imagenet-200.zip: wnids.txt (unsorted, as the official one), train/<wnid>/images/, labelled val/."""
    spec = REHEARSAL["tinyimagenet"]
    rng = np.random.default_rng([SEED, 200])
    wnids = _wnids(spec["classes"], 1_000_000)
    root = "tiny-imagenet-200"
    members = [
        (f"{root}/wnids.txt", "".join(f"{w}\n" for w in reversed(wnids)).encode()),
        (f"{root}/words.txt", "".join(f"{w}\trehearsal class {i}\n" for i, w in enumerate(wnids)).encode()),
    ]
    for wnid in wnids:
        names = [f"{wnid}_{i}.JPEG" for i in range(spec["train_per_class"])]
        boxes = "".join(f"{n}\t0\t0\t63\t63\n" for n in names)
        members.append((f"{root}/train/{wnid}/{wnid}_boxes.txt", boxes.encode()))
        members += [(f"{root}/train/{wnid}/images/{n}", _jpeg(rng, 64, 64)) for n in names]
    annotations = []
    for i, wnid in enumerate(w for w in wnids for _ in range(spec["test_per_class"])):
        members.append((f"{root}/val/images/val_{i}.JPEG", _jpeg(rng, 64, 64)))
        annotations.append(f"val_{i}.JPEG\t{wnid}\t0\t0\t63\t63\n")
    members.append((f"{root}/val/val_annotations.txt", "".join(annotations).encode()))
    members.append((f"{root}/test/images/test_0.JPEG", _jpeg(rng, 64, 64)))  # unlabelled, as the official
    _write_zip(path, members)
    return path


def imagenet(folder: Path) -> Path:
    """An ImageNet-style folder train/<wnid>/*.JPEG + val/<wnid>/*.JPEG, written whole or not at all."""
    spec = REHEARSAL["imagenet"]
    rng = np.random.default_rng([SEED, 1000])
    width, height = spec["size"]
    folder = Path(folder)
    scratch = folder.with_name(f".{folder.name}.tmp")
    shutil.rmtree(scratch, ignore_errors=True)
    for wnid in _wnids(spec["classes"], 1_440_764):
        for split, per_class in (("train", spec["train_per_class"]), ("val", spec["test_per_class"])):
            (scratch / split / wnid).mkdir(parents=True, exist_ok=True)
            for i in range(per_class):
                (scratch / split / wnid / f"{wnid}_{split}_{i}.JPEG").write_bytes(_jpeg(rng, width, height))
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(scratch, folder)
    return folder


def write_all(out: str | Path, only: list[str] | None = None) -> list[Path]:
    """Write the rehearsal archives (and the ImageNet folder) under `out`; returns what was written."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    writers = {
        "cifar10": lambda: cifar(out / FILES["cifar10"], hundred=False),
        "cifar100": lambda: cifar(out / FILES["cifar100"], hundred=True),
        "tinyimagenet": lambda: tinyimagenet(out / FILES["tinyimagenet"]),
        "imagenet": lambda: imagenet(out / "imagenet"),
    }
    return [writers[name]() for name in (only or list(writers))]


def cli_rehearsal_data(argv: list[str]) -> int:
    """`initgen rehearsal-data [--out data/rehearsal] [--only cifar10 ...]`"""
    import argparse

    from initgen.data.archives import file_digest

    parser = argparse.ArgumentParser(
        prog="initgen rehearsal-data",
        description="Write the rehearsal's stand-in CIFAR-10/100 and Tiny ImageNet archives (official formats, "
        "seeded noise pixels) and an ImageNet-style folder; prints each archive's md5.",
    )
    parser.add_argument("--out", default="data/rehearsal", help="folder to write to (config data.rehearsal)")
    parser.add_argument("--only", nargs="+", choices=sorted(REHEARSAL), default=None,
                        help="write only these datasets (default: all four)")  # fmt: skip
    args = parser.parse_args(argv)
    for path in write_all(args.out, args.only):
        digest = f"md5:{file_digest(path, 'md5')}" if path.is_file() else "folder"
        print(f"{path}: {digest}")
    return 0
