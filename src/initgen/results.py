"""Writing results: atomic files and the per-run / summary statistics every artifact reports.

Every artifact writes `results/<artifact>/metrics.json` with the layout
    {"artifact": ..., "runs": [ {...per run...} ], "summary": {group: {metric: stats}}}
where stats is `summarize(values)`: mean, std, 95% interval (Student t), n.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Iterable
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


def load_npz(path) -> dict:
    with np.load(path, allow_pickle=False) as data:
        return {key: data[key] for key in data.files}


def summarize(values: Iterable[float], confidence: float = 0.95) -> dict:
    """Mean, sample std, two-sided Student-t interval for the mean, and n (NaNs dropped, counted)."""
    from scipy import stats

    array = np.asarray([np.nan if v is None else v for v in values], dtype=float)
    finite = array[np.isfinite(array)]
    n = int(finite.size)
    out = {"n": n, "n_nonfinite": int(array.size - n)}
    if n == 0:
        return out | {"mean": None, "std": None, "ci_low": None, "ci_high": None}
    mean = float(finite.mean())
    if n == 1:
        return out | {"mean": mean, "std": None, "ci_low": None, "ci_high": None}
    std = float(finite.std(ddof=1))
    half = float(stats.t.ppf(0.5 + confidence / 2, df=n - 1) * std / math.sqrt(n))
    return out | {"mean": mean, "std": std, "ci_low": mean - half, "ci_high": mean + half}


def summarize_runs(runs: list[dict], group_keys: list[str], metric_keys: list[str]) -> dict:
    """Group per-run records by `group_keys` and summarize each metric over the runs (seeds) in a group.

    Group names join the key values with '/', e.g. "relu/depth=4".
    """
    groups: dict[str, list[dict]] = {}
    for run in runs:
        name = "/".join(f"{k}={run[k]}" if k not in ("variant", "activation") else str(run[k]) for k in group_keys)
        groups.setdefault(name, []).append(run)
    return {
        name: {metric: summarize([r.get(metric) for r in members]) for metric in metric_keys if metric in members[0]}
        for name, members in groups.items()
    }
