"""Dataset preparation on tiny archives in the real on-disk formats (CIFAR python version, Tiny ImageNet
zip, an ImageNet class-folder tree) and on scikit-learn's digits; failures leave nothing in data/prepared/."""

from __future__ import annotations

import hashlib
import io
import pickle
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

from initgen import cli
from initgen.core.errors import UserFacingError
from initgen.data import registry


def md5(path: Path) -> str:
    return "md5:" + hashlib.md5(path.read_bytes()).hexdigest()


def _py2_pickle(obj) -> bytes:
    """Pickle like the official CIFAR batches: protocol 2, numpy arrays via numpy.core.multiarray."""
    return pickle.dumps(obj, protocol=2).replace(b"cnumpy._core.multiarray\n", b"cnumpy.core.multiarray\n")


def _add(handle: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    handle.addfile(info, io.BytesIO(data))


def make_cifar(path: Path, hundred: bool, per_batch: int = 4, extra: dict[str, bytes] | None = None):
    """A tiny archive in the official layout; returns {split: (images [N,3,32,32], labels)} it holds."""
    rng = np.random.default_rng(1 if hundred else 0)
    folder, label_key = ("cifar-100-python", "fine_labels") if hundred else ("cifar-10-batches-py", "labels")
    files = (
        {"train": ["train"], "test": ["test"]}
        if hundred
        else {"train": [f"data_batch_{i}" for i in range(1, 6)], "test": ["test_batch"]}
    )
    expected = {}
    with tarfile.open(path, "w:gz") as handle:
        _add(handle, f"{folder}/{'meta' if hundred else 'batches.meta'}", _py2_pickle({"label_names": ["a"]}))
        for split, names in files.items():
            images, labels = [], []
            for name in names:
                x = rng.integers(0, 256, size=(per_batch, 3, 32, 32), dtype=np.uint8)
                y = rng.integers(0, 100 if hundred else 10, size=per_batch).tolist()
                batch = {
                    "batch_label": name,
                    label_key: y,
                    "data": x.reshape(per_batch, 3072),
                    "filenames": [f"img{i}.png" for i in range(per_batch)],
                }
                if hundred:
                    batch["coarse_labels"] = [label // 5 for label in y]
                _add(handle, f"{folder}/{name}", _py2_pickle(batch))
                images.append(x)
                labels += y
            expected[split] = (np.concatenate(images), np.array(labels))
        for name, data in (extra or {}).items():
            _add(handle, name, data)
    return expected


def _jpeg(color, size=64, mode="RGB") -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new(mode, (size, size), color).save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


def make_tinyimagenet(path: Path) -> None:
    """Two classes (listed unsorted in wnids.txt, as the official file is), two train images each, three val
    images labelled by val_annotations.txt, one grayscale JPEG, and an unlabelled test folder."""
    root = "tiny-imagenet-200"
    colors = {"n02000000": (0, 200, 0), "n01000000": (200, 0, 0)}
    with zipfile.ZipFile(path, "w") as handle:
        handle.writestr(f"{root}/wnids.txt", "n02000000\nn01000000\n")
        handle.writestr(f"{root}/words.txt", "n01000000\tred things\nn02000000\tgreen things\n")
        for wnid, color in colors.items():
            handle.writestr(f"{root}/train/{wnid}/{wnid}_boxes.txt", f"{wnid}_0.JPEG\t0\t0\t63\t63\n")
            for i in range(2):
                handle.writestr(f"{root}/train/{wnid}/images/{wnid}_{i}.JPEG", _jpeg(color))
        handle.writestr(f"{root}/val/images/val_0.JPEG", _jpeg((0, 200, 0)))
        handle.writestr(f"{root}/val/images/val_1.JPEG", _jpeg((200, 0, 0)))
        handle.writestr(f"{root}/val/images/val_2.JPEG", _jpeg(128, mode="L"))
        handle.writestr(
            f"{root}/val/val_annotations.txt",
            "val_0.JPEG\tn02000000\t0\t0\t10\t10\nval_1.JPEG\tn01000000\t1\t2\t30\t40\n"
            "val_2.JPEG\tn01000000\t0\t0\t63\t63\n",
        )
        handle.writestr(f"{root}/test/images/test_0.JPEG", _jpeg((0, 0, 200)))


@pytest.mark.parametrize("hundred", [False, True], ids=["cifar10", "cifar100"])
def test_cifar_preparation_keeps_pixels_and_labels(tmp_path, hundred):
    name = "cifar100" if hundred else "cifar10"
    archive = registry.raw_path(name, tmp_path)
    archive.parent.mkdir(parents=True)
    expected = make_cifar(archive, hundred)
    folder = registry.prepare(name, tmp_path, checksum=md5(archive))
    assert sorted(p.name for p in folder.iterdir()) == ["test.pt", "train.pt"]
    for split in ("train", "test"):
        images, labels = registry.load_split(name, split, tmp_path)
        assert images.dtype == torch.uint8 and labels.dtype == torch.int64
        assert images.shape == (len(expected[split][1]), 3, 32, 32)
        # Pixel order: 1024 red, then green, then blue values, each plane row-major.
        assert np.array_equal(images.numpy(), expected[split][0])
        assert np.array_equal(labels.numpy(), expected[split][1])
    assert registry.load_split(name, "train", tmp_path)[0].shape[0] == (4 if hundred else 20)
    assert sorted(p.name for p in archive.parent.iterdir()) == [archive.name]  # extraction folder removed


def test_cifar_plane_layout(tmp_path):
    """One hand-placed pixel per plane lands at the right channel, row and column."""
    archive = registry.raw_path("cifar10", tmp_path)
    archive.parent.mkdir(parents=True)
    make_cifar(archive, hundred=False)
    # Rewrite the test batch by hand: red at (0, 1), green at (1, 0), blue at (31, 31).
    data = np.zeros((1, 3072), dtype=np.uint8)
    data[0, 1], data[0, 1024 + 32], data[0, 2048 + 1023] = 11, 22, 33
    with tarfile.open(archive) as old:
        members = {m.name: old.extractfile(m).read() for m in old.getmembers() if m.isfile()}
    members["cifar-10-batches-py/test_batch"] = _py2_pickle({"labels": [7], "data": data})
    with tarfile.open(archive, "w:gz") as new:
        for member_name, payload in members.items():
            _add(new, member_name, payload)
    registry.prepare("cifar10", tmp_path, checksum=md5(archive))
    images, labels = registry.load_split("cifar10", "test", tmp_path)
    assert images[0, 0, 0, 1] == 11 and images[0, 1, 1, 0] == 22 and images[0, 2, 31, 31] == 33
    assert int(images.sum()) == 66 and labels.tolist() == [7]


def test_tinyimagenet_preparation_uses_val_annotations(tmp_path):
    archive = registry.raw_path("tinyimagenet", tmp_path)
    archive.parent.mkdir(parents=True)
    make_tinyimagenet(archive)
    registry.prepare("tinyimagenet", tmp_path, checksum=md5(archive))
    train_x, train_y = registry.load_split("tinyimagenet", "train", tmp_path)
    test_x, test_y = registry.load_split("tinyimagenet", "test", tmp_path)
    assert train_x.shape == (4, 3, 64, 64) and test_x.shape == (3, 3, 64, 64)
    # Class index = sorted wnid: n01 (red) -> 0, n02 (green) -> 1, whatever the order in wnids.txt.
    assert train_y.tolist() == [0, 0, 1, 1]
    assert test_y.tolist() == [1, 0, 0]
    mean_rgb = test_x.float().mean(dim=(2, 3))
    assert mean_rgb[0, 1] > 180 and mean_rgb[0, 0] < 20  # val_0 is green
    assert mean_rgb[1, 0] > 180 and mean_rgb[1, 1] < 20  # val_1 is red
    assert torch.allclose(mean_rgb[2], torch.full((3,), 128.0), atol=3)  # grayscale -> RGB
    assert train_x[train_y == 0].float().mean(dim=(0, 2, 3))[0] > 180


def test_imagenet_folder_resized_and_limited(tmp_path):
    from PIL import Image

    folder = tmp_path / "imagenet"
    for split, count in (("train", 3), ("val", 1)):
        for cls, color in (("n0002", (0, 0, 255)), ("n0001", (255, 0, 0))):
            (folder / split / cls).mkdir(parents=True)
            for i in range(count):
                Image.new("RGB", (40, 20), color).save(folder / split / cls / f"{cls}_{i}.JPEG")
    options = {"folder": str(folder), "image_size": 16, "max_train_per_class": 2}
    assert registry.dataset_info("imagenet", options)["image_size"] == 16
    registry.prepare("imagenet", tmp_path / "data", options=options)
    train_x, train_y = registry.load_split("imagenet", "train", tmp_path / "data")
    test_x, test_y = registry.load_split("imagenet", "test", tmp_path / "data")
    assert train_x.shape == (4, 3, 16, 16) and test_x.shape == (2, 3, 16, 16)
    assert train_y.tolist() == [0, 0, 1, 1] and test_y.tolist() == [0, 1]
    assert test_x[0, 0].float().mean() > 240 and test_x[1, 2].float().mean() > 240


def test_imagenet_missing_folder_names_the_config_key(tmp_path):
    with pytest.raises(UserFacingError, match="data.imagenet.folder"):
        registry.prepare("imagenet", tmp_path, options={"folder": None})
    with pytest.raises(UserFacingError, match=r"train/<class>/\*\.JPEG"):
        registry.download("imagenet", tmp_path, options={"folder": str(tmp_path / "nowhere")})


def _nothing_prepared(root: Path) -> bool:
    prepared = root / "prepared"
    return not prepared.exists() or not any(prepared.rglob("*"))


def test_checksum_mismatch_leaves_nothing_prepared(tmp_path, capsys):
    archive = registry.raw_path("cifar10", tmp_path)
    archive.parent.mkdir(parents=True)
    make_cifar(archive, hundred=False)
    with pytest.raises(UserFacingError, match="checksum mismatch"):
        registry.prepare("cifar10", tmp_path)  # the official md5 cannot match our tiny archive
    # The same through the CLI: exit 1, one clear line, nothing written.
    code = cli.main(
        ["data-prepare", "cifar10", "--data-root", str(tmp_path), "--checksum", "md5:" + "0" * 32]
    )
    assert code == 1 and "checksum mismatch" in capsys.readouterr().err
    assert _nothing_prepared(tmp_path)


def test_truncated_archive_leaves_nothing_prepared(tmp_path):
    archive = registry.raw_path("cifar10", tmp_path)
    archive.parent.mkdir(parents=True)
    make_cifar(archive, hundred=False, per_batch=50)
    full = md5(archive)
    archive.write_bytes(archive.read_bytes()[: archive.stat().st_size * 2 // 3])
    with pytest.raises(UserFacingError, match="checksum mismatch"):
        registry.prepare("cifar10", tmp_path, checksum=full)
    # Even when the checksum is of the truncated file itself, the damage is reported, not a traceback.
    with pytest.raises(UserFacingError, match="damaged archive|not a tar or zip"):
        registry.prepare("cifar10", tmp_path, checksum=md5(archive))
    assert _nothing_prepared(tmp_path)
    assert sorted(p.name for p in archive.parent.iterdir()) == [archive.name]


def test_archive_with_parent_member_is_refused(tmp_path):
    archive = registry.raw_path("cifar10", tmp_path)
    archive.parent.mkdir(parents=True)
    make_cifar(archive, hundred=False, extra={"../../prepared/cifar10/train.pt": b"not a tensor"})
    with pytest.raises(UserFacingError, match="escapes the target folder"):
        registry.prepare("cifar10", tmp_path, checksum=md5(archive))
    assert _nothing_prepared(tmp_path)


def test_missing_archive_says_where_to_put_it(tmp_path):
    with pytest.raises(UserFacingError) as error:
        registry.prepare("tinyimagenet", tmp_path)
    message = str(error.value)
    assert "http://cs231n.stanford.edu/tiny-imagenet-200.zip" in message
    assert str((tmp_path / "raw" / "tiny-imagenet-200.zip").resolve()) in message


def test_placed_archive_is_used_as_is(tmp_path):
    archive = registry.raw_path("cifar100", tmp_path)
    archive.parent.mkdir(parents=True)
    make_cifar(archive, hundred=True)
    before = archive.read_bytes()
    assert registry.download("cifar100", tmp_path, checksum=md5(archive)) == archive  # no network needed
    assert archive.read_bytes() == before


def test_digits_shapes_labels_and_statistics(tmp_path):
    registry.prepare("digits", tmp_path)
    info = registry.dataset_info("digits")
    train_x, train_y = registry.load_split("digits", "train", tmp_path)
    test_x, test_y = registry.load_split("digits", "test", tmp_path)
    assert train_x.shape == (1437, 1, 8, 8) and test_x.shape == (360, 1, 8, 8)
    assert train_x.dtype == torch.uint8 and int(train_x.max()) == 255 and int(train_x.min()) == 0
    assert set(train_y.tolist()) == set(test_y.tolist()) == set(range(10)) and info["num_classes"] == 10
    # Stratified: each class keeps its share (20% of 174..183 images) in the test split, to within one image.
    share = 0.2 * (torch.bincount(train_y) + torch.bincount(test_y)).float()
    assert (torch.bincount(test_y).float() - share).abs().max() <= 1
    # The registry's constants are the train split's statistics.
    scaled = train_x.float() / 255
    assert (
        abs(scaled.mean().item() - info["mean"][0]) < 1e-3
        and abs(scaled.std().item() - info["std"][0]) < 1e-3
    )
    # The split is fixed: preparing again gives the same bytes; another split seed gives another split.
    again = registry.prepare("digits", tmp_path / "again")
    assert torch.equal(registry.load_split("digits", "test", again.parents[1])[0], test_x)
    registry.prepare("digits", tmp_path / "other", options={"split_seed": 1})
    assert not torch.equal(registry.load_split("digits", "test", tmp_path / "other")[0], test_x)
    # Prepared files are plain tensors: loadable with weights_only=True.
    data = torch.load(tmp_path / "prepared" / "digits" / "train.pt", weights_only=True)
    assert set(data) == {"images", "labels"}


def test_load_split_errors(tmp_path):
    with pytest.raises(UserFacingError, match="initgen data-prepare digits"):
        registry.load_split("digits", "train", tmp_path)
    with pytest.raises(UserFacingError, match="unknown dataset 'mnist'"):
        registry.dataset_info("mnist")
    with pytest.raises(UserFacingError, match="unknown split 'val'"):
        registry.load_split("digits", "val", tmp_path)
