"""Archives: checksums, the offline download message, and extraction that refuses escaping members."""

from __future__ import annotations

import hashlib
import io
import os
import socket
import tarfile
import zipfile
from pathlib import Path

import pytest

from initgen.core.errors import UserFacingError
from initgen.data import archives


def _tar(path: Path, members: dict[str, bytes], links: dict[str, str] | None = None) -> Path:
    with tarfile.open(path, "w:gz") as handle:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            handle.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            handle.addfile(info)
    return path


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as handle:
        for name, data in members.items():
            handle.writestr(name, data)
    return path


def test_checksum_match_and_mismatch(tmp_path):
    path = tmp_path / "file.bin"
    path.write_bytes(b"initgen" * 1000)
    archives.verify_checksum(path, "md5:" + hashlib.md5(path.read_bytes()).hexdigest())
    archives.verify_checksum(path, "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest().upper())
    with pytest.raises(UserFacingError, match="md5 checksum mismatch"):
        archives.verify_checksum(path, "md5:" + "0" * 32)
    with pytest.raises(UserFacingError, match="must look like"):
        archives.verify_checksum(path, "crc32:1234")


def test_tar_and_zip_extract_nested_members(tmp_path):
    members = {"top/a.txt": b"alpha", "top/sub/b.txt": b"beta"}
    for archive in (_tar(tmp_path / "x.tar.gz", members), _zip(tmp_path / "x.zip", members)):
        out = archives.safe_extract(archive, tmp_path / f"out-{archive.name}")
        assert (out / "top/a.txt").read_bytes() == b"alpha"
        assert (out / "top/sub/b.txt").read_bytes() == b"beta"


@pytest.mark.parametrize("bad_name", ["../escape.txt", "top/../../escape.txt", "/tmp/initgen-absolute.txt"])
@pytest.mark.parametrize("kind", ["tar", "zip"])
def test_escaping_member_is_refused_and_nothing_written(tmp_path, bad_name, kind):
    # The good member comes first: checking happens before any write, so it must not appear either.
    members = {"good.txt": b"fine", bad_name: b"evil"}
    archive = _tar(tmp_path / "bad.tar.gz", members) if kind == "tar" else _zip(tmp_path / "bad.zip", members)
    target = tmp_path / "deep" / "target"
    with pytest.raises(UserFacingError, match="escapes the target folder"):
        archives.safe_extract(archive, target)
    assert list(target.iterdir()) == []
    assert not (tmp_path / "deep" / "escape.txt").exists() and not (tmp_path / "escape.txt").exists()
    assert not Path("/tmp/initgen-absolute.txt").exists()


def test_symlink_member_is_refused(tmp_path):
    archive = _tar(tmp_path / "link.tar.gz", {"a.txt": b"a"}, links={"passwd": "/etc/passwd"})
    with pytest.raises(UserFacingError, match="links and special files"):
        archives.safe_extract(archive, tmp_path / "out")
    assert not (tmp_path / "out" / "passwd").exists()


def test_zip_symlink_member_is_refused(tmp_path):
    archive = tmp_path / "link.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        info = zipfile.ZipInfo("passwd")
        info.external_attr = 0o120777 << 16  # a symlink, as `zip --symlinks` stores it
        handle.writestr(info, "/etc/passwd")
    with pytest.raises(UserFacingError, match="links and special files"):
        archives.safe_extract(archive, tmp_path / "out")


@pytest.mark.parametrize("kind", ["tar", "zip"])
def test_truncated_archive_gives_clear_error(tmp_path, kind):
    members = {f"top/file{i}.bin": os.urandom(20_000) for i in range(5)}
    archive = _tar(tmp_path / "x.tar.gz", members) if kind == "tar" else _zip(tmp_path / "x.zip", members)
    archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    with pytest.raises(UserFacingError, match=r"x\.(tar\.gz|zip)"):
        archives.safe_extract(archive, tmp_path / "out")


def test_download_without_network_names_url_and_destination(tmp_path):
    # A port nobody listens on: the connection is refused at once, like an offline compute node.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/cifar-10-python.tar.gz"
    destination = tmp_path / "raw" / "cifar-10-python.tar.gz"
    with pytest.raises(UserFacingError) as error:
        archives.download(url, destination, "md5:" + "0" * 32, timeout=5)
    assert url in str(error.value) and str(destination.resolve()) in str(error.value)
    assert list((tmp_path / "raw").iterdir()) == []  # no partial file left behind


def test_download_verifies_checksum_and_leaves_nothing_on_mismatch(tmp_path):
    import functools
    import http.server
    import threading

    served = tmp_path / "served"
    served.mkdir()
    (served / "data.tar.gz").write_bytes(b"pretend archive" * 1000)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *args: None
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/data.tar.gz"
        good = "sha256:" + hashlib.sha256((served / "data.tar.gz").read_bytes()).hexdigest()
        path = archives.download(url, tmp_path / "raw" / "data.tar.gz", good)
        assert path.read_bytes() == (served / "data.tar.gz").read_bytes()
        with pytest.raises(UserFacingError, match="checksum mismatch"):
            archives.download(url, tmp_path / "raw2" / "data.tar.gz", "md5:" + "0" * 32)
        server.shutdown()
    assert list((tmp_path / "raw2").iterdir()) == []
