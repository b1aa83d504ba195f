"""The rehearsal's stand-in datasets (src/initgen/data/rehearsal.py): byte-for-byte reproducible, so the checksums
committed in config/rehearsal.yaml match what `initgen rehearsal-data` writes; the real download (from the
rehearsal folder as a mirror), checksum and preparation code reads them; bad input fails with a clear error and
writes nothing."""

from __future__ import annotations

import shutil
import zipfile

import pytest
import torch
import yaml
from conftest import REPO

from initgen import cli
from initgen.core.errors import UserFacingError
from initgen.data import archives, registry, rehearsal

CHECKSUMS = yaml.safe_load((REPO / "config/rehearsal.yaml").read_text())["data"]["checksums"]


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rehearsal")
    assert cli.main(["rehearsal-data", "--out", str(folder)]) == 0
    return folder


def test_generated_archives_match_the_committed_checksums(generated, tmp_path):
    for name, filename in rehearsal.FILES.items():
        assert f"md5:{archives.file_digest(generated / filename, 'md5')}" == CHECKSUMS[name], name
    again = tmp_path / "again"
    rehearsal.write_all(again, ["cifar10", "tinyimagenet"])  # a second run writes the same bytes
    for name in ("cifar10", "tinyimagenet"):
        filename = rehearsal.FILES[name]
        assert (again / filename).read_bytes() == (generated / filename).read_bytes(), name
    assert sorted(p.name for p in again.iterdir()) == sorted(rehearsal.FILES[n] for n in ("cifar10", "tinyimagenet"))


@pytest.mark.parametrize("name", ["cifar10", "cifar100", "tinyimagenet"])
def test_download_from_the_rehearsal_folder_then_prepare(generated, tmp_path, name):
    path = registry.download(name, tmp_path, checksum=CHECKSUMS[name], mirror=generated)
    assert path == registry.raw_path(name, tmp_path) and path.read_bytes() == (generated / path.name).read_bytes()
    registry.prepare(name, tmp_path, checksum=CHECKSUMS[name])
    spec = rehearsal.REHEARSAL[name]
    classes = spec["classes"] if isinstance(spec["classes"], int) else len(spec["classes"])
    info = registry.dataset_info(name)
    for split, per_class in (("train", spec["train_per_class"]), ("test", spec["test_per_class"])):
        images, labels = registry.load_split(name, split, tmp_path)
        assert images.shape == (classes * per_class, 3, info["image_size"], info["image_size"]), split
        assert labels.unique().numel() == classes and int(labels.max()) < info["num_classes"], split


def test_imagenet_folder_prepares_at_224(generated, tmp_path):
    options = {"folder": str(generated / "imagenet"), "image_size": 224, "max_train_per_class": 300}
    registry.prepare("imagenet", tmp_path, options=options)
    images, labels = registry.load_split("imagenet", "train", tmp_path)
    spec = rehearsal.REHEARSAL["imagenet"]
    assert images.shape == (spec["classes"] * spec["train_per_class"], 3, 224, 224)
    assert labels.tolist() == sorted(labels.tolist()) and labels.unique().numel() == spec["classes"]
    assert images.dtype == torch.uint8


def test_bad_rehearsal_input_fails_clearly_and_writes_nothing(generated, tmp_path):
    # The official checksum does not match a generated archive: refused before anything is copied.
    with pytest.raises(UserFacingError, match="checksum mismatch"):
        registry.download("cifar10", tmp_path, mirror=generated)
    assert not any((tmp_path / "raw").iterdir())
    # A mirror folder without the archive names the missing file.
    with pytest.raises(UserFacingError, match="tiny-imagenet-200.zip"):
        registry.download("tinyimagenet", tmp_path, mirror=tmp_path / "empty")
    # An archive of the wrong format under CIFAR-10's name (the Tiny ImageNet zip), with its own checksum.
    wrong = registry.raw_path("cifar10", tmp_path)
    shutil.copy(generated / rehearsal.FILES["tinyimagenet"], wrong)
    assert zipfile.is_zipfile(wrong)
    with pytest.raises(UserFacingError, match="not the official CIFAR"):
        registry.prepare("cifar10", tmp_path, checksum=CHECKSUMS["tinyimagenet"])
    # A missing ImageNet folder names the config key.
    with pytest.raises(UserFacingError, match="data.imagenet.folder"):
        registry.prepare("imagenet", tmp_path, options={"folder": str(tmp_path / "no-imagenet")})
    assert not (tmp_path / "prepared").exists() or not any((tmp_path / "prepared").rglob("*.pt"))
