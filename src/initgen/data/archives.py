"""Archives: download with checksum verification, and safe tar/zip extraction.

A checksum is written "md5:<hex>" or "sha256:<hex>". Extraction checks every member *before* writing
anything and refuses the archive if any member would land outside the target folder (absolute paths, `..`
parts) or is a link or a device: a crafted archive cannot overwrite files elsewhere. Damaged archives
(truncated, not an archive) raise UserFacingError naming the file, never a bare tarfile/zipfile traceback.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tarfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path, PurePosixPath

from initgen.core.errors import UserFacingError
from initgen.core.progress import progress as progress_lines

CHUNK = 1 << 20


def parse_checksum(checksum: str) -> tuple[str, str]:
    algorithm, _, digest = checksum.partition(":")
    if algorithm not in ("md5", "sha256") or not digest:
        raise UserFacingError(f"checksum {checksum!r} must look like 'md5:<hex>' or 'sha256:<hex>'")
    return algorithm, digest.lower()


def file_digest(path: str | os.PathLike, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify_checksum(path: str | os.PathLike, checksum: str | None) -> None:
    """Raise UserFacingError unless the file's digest matches `checksum` (None: no check)."""
    if checksum is None:
        return
    algorithm, expected = parse_checksum(checksum)
    actual = file_digest(path, algorithm)
    if actual != expected:
        raise UserFacingError(
            f"{path}: {algorithm} checksum mismatch (expected {expected}, got {actual}); the file is "
            f"damaged, truncated or not the official archive: delete it and download it again"
        )


def download(url: str, destination: str | os.PathLike, checksum: str | None, timeout: float = 60) -> Path:
    """Fetch `url` to `destination` (temp file + rename, so a broken download leaves nothing) and verify it.

    Without network the error says which URL to fetch by hand and the exact path to place the file.
    """
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(f".{destination.name}.part")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response, open(partial, "wb") as handle:
            size = int(response.headers.get("Content-Length") or 0) or None
            with progress_lines(total=size, unit="B", desc=destination.name, leave=True) as progress:
                while chunk := response.read(CHUNK):
                    handle.write(chunk)
                    progress.update(len(chunk))
        verify_checksum(partial, checksum)
        os.replace(partial, destination)
    except (urllib.error.URLError, OSError) as error:
        raise UserFacingError(
            f"could not download {url} ({error}). Without network, fetch it on another machine and place "
            f"it at {destination.resolve()}" + (f" ({checksum})" if checksum else "") + ", then rerun"
        ) from error
    finally:
        partial.unlink(missing_ok=True)
    return destination


def _safe_member_path(name: str, destination: Path, archive: Path) -> Path:
    """Where member `name` would be written, or UserFacingError if that is outside `destination`."""
    posix = PurePosixPath(name.replace("\\", "/"))
    if posix.is_absolute() or ".." in posix.parts or (posix.parts and ":" in posix.parts[0]):
        raise UserFacingError(
            f"{archive}: refusing archive member {name!r}: its path escapes the target folder"
        )
    target = (destination / posix).resolve()
    if not target.is_relative_to(destination.resolve()):
        raise UserFacingError(
            f"{archive}: refusing archive member {name!r}: its path escapes the target folder"
        )
    return target


def _tar_members(handle: tarfile.TarFile, destination: Path, archive: Path) -> list[tarfile.TarInfo]:
    members = handle.getmembers()  # reads the whole index: a truncated archive fails here, before any write
    for member in members:
        _safe_member_path(member.name, destination, archive)
        if not (member.isfile() or member.isdir()):
            raise UserFacingError(
                f"{archive}: refusing archive member {member.name!r}: links and special files are not allowed"
            )
    return members


def _zip_members(handle: zipfile.ZipFile, destination: Path, archive: Path) -> list[zipfile.ZipInfo]:
    members = handle.infolist()
    for member in members:
        _safe_member_path(member.filename, destination, archive)
        file_type = stat.S_IFMT(member.external_attr >> 16)  # 0 when the zip records no Unix file type
        if file_type not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise UserFacingError(
                f"{archive}: refusing archive member {member.filename!r}: "
                "links and special files are not allowed"
            )
    return members


def safe_extract(archive: str | os.PathLike, destination: str | os.PathLike) -> Path:
    """Extract a .tar(.gz|.bz2|.xz) or .zip archive into `destination` after checking every member.

    Raises UserFacingError for an unsafe member (nothing is written then) and for a damaged archive.
    """
    archive, destination = Path(archive), Path(destination)
    destination.mkdir(parents=True, exist_ok=True)
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as handle:
                members = _zip_members(handle, destination, archive)
                bad = handle.testzip()  # CRC of every member: catches corruption inside a well-formed index
                if bad is not None:
                    raise UserFacingError(f"{archive}: member {bad!r} is corrupt; download the archive again")
                handle.extractall(destination, members)
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive) as handle:
                members = _tar_members(handle, destination, archive)
                # The "data" filter (Python >= 3.11.4) re-checks what we checked and drops unsafe permissions.
                if hasattr(tarfile, "data_filter"):
                    handle.extractall(destination, members, filter="data")
                else:
                    handle.extractall(destination, members)
        else:
            raise UserFacingError(
                f"{archive}: not a tar or zip archive (truncated or wrong file?); "
                "delete it and download it again"
            )
    except (tarfile.TarError, zipfile.BadZipFile, EOFError, OSError, ValueError) as error:
        if isinstance(error, UserFacingError):
            raise
        raise UserFacingError(
            f"{archive}: damaged archive ({error}); delete it and download it again"
        ) from error
    return destination
