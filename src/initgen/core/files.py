"""Writing results: every file atomically (temp file + rename), JSON, CSV text and npz arrays.

Readers never see a half-written file: a step that fails leaves the previous file (or none) in place.
"""


from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np

_UMASK = os.umask(0)
os.umask(_UMASK)


@contextmanager
def atomic_path(path: str | os.PathLike):
    """Yield a temporary path next to `path`; rename it onto `path` only if the block succeeds.

    Readers never see a half-written file, and a crash leaves nothing at `path`.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp" + path.suffix)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the file the permissions open() would
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def write_text(path, text: str) -> None:
    with atomic_path(path) as tmp:
        Path(tmp).write_text(text)


def rows_csv(rows: list[dict]) -> str:
    """CSV text of dict rows: columns in order of first appearance, scalar fields only (lists and dicts left out),
    blank where a row has no value or a non-finite one. (Without pandas: its import costs ~0.3 s per job.)"""
    columns: dict[str, None] = {}
    for row in rows:
        columns.update({k: None for k, v in row.items() if v is None or isinstance(v, bool | int | float | str)})
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        cells = {}
        for key in columns:
            value = row.get(key)
            if isinstance(value, float) and not math.isfinite(value):
                value = None
            cells[key] = "" if value is None else value
        writer.writerow(cells)
    return out.getvalue()


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating | float):
        value = float(obj)
        # JSON has no NaN/inf: a diverged run is recorded as null, never as a crash.
        return value if math.isfinite(value) else None
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def write_json(path, data) -> None:
    write_text(path, json.dumps(_jsonable(data), indent=2, sort_keys=True) + "\n")


def read_json(path):
    with open(path) as handle:
        return json.load(handle)


def save_npz(path, **arrays) -> None:
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            np.savez_compressed(handle, **arrays)


def job_array(job: dict) -> np.ndarray:
    """A step's --job, stored in its npz under "job" (sorted keys: the same job, the same bytes)."""
    return np.asarray(json.dumps(job, sort_keys=True))


def npz_job(data: dict) -> dict:
    """The --job a step stored in its npz under "job" (job_array)."""
    return json.loads(str(data["job"]))


def load_npz(path) -> dict:
    with np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}
