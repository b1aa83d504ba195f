"""Training checkpoints: written atomically, loaded with `weights_only=True`, complete enough to resume
bitwise.

A checkpoint is a plain dict (tensors, numbers, strings, lists, dicts only, so the safe loader accepts it):
    {"model": state_dict, "optimizer": state_dict, "schedule": {...}, "epoch": epochs done,
     "rng": rng_state(), "config": the settings that produced it,
     "extra": anything else the trainer keeps (history, status)}
It is written to a temporary file beside the target and renamed onto it, so a kill at any moment leaves
either the previous checkpoint or the new one, never a truncated file.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import torch

from initgen.core.errors import UserFacingError
from initgen.core.files import atomic_path


def rng_state() -> dict:
    """Every random number generator a training step may draw from (dropout, shuffles, augmentation code)."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    state = {
        "torch": torch.get_rng_state(),
        # numpy's state as tensors and numbers (the safe loader refuses numpy arrays).
        "numpy": {
            "kind": kind,
            "keys": torch.from_numpy(keys.astype(np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached),
        },
        "python": list(random.getstate()[1]) + [random.getstate()[0], random.getstate()[2]],
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    numpy = state["numpy"]
    np.random.set_state(
        (
            numpy["kind"],
            numpy["keys"].numpy().astype(np.uint32),
            numpy["pos"],
            numpy["has_gauss"],
            numpy["cached_gaussian"],
        )
    )
    python = state["python"]
    random.setstate((python[-2], tuple(python[:-2]), python[-1]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _cpu(obj):
    """Tensors moved to the CPU (a checkpoint written on a GPU loads anywhere)."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu()
    if isinstance(obj, dict):
        return {k: _cpu(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return type(obj)(_cpu(v) for v in obj)
    return obj


def unwrap(model: torch.nn.Module) -> torch.nn.Module:
    """The module under a torch.compile wrapper (its state_dict keys carry no `_orig_mod.` prefix)."""
    return getattr(model, "_orig_mod", model)


def save_checkpoint(
    path,
    model,
    optimizer=None,
    schedule: dict | None = None,
    epoch: int = 0,
    config: dict | None = None,
    extra: dict | None = None,
) -> Path:
    """Write the checkpoint atomically (temp file + rename); returns its path."""
    state = {
        "model": _cpu(unwrap(model).state_dict()),
        "optimizer": _cpu(optimizer.state_dict()) if optimizer is not None else {},
        "schedule": dict(schedule or {}),
        "epoch": int(epoch),
        "rng": _cpu(rng_state()),
        "config": dict(config or {}),
        "extra": dict(extra or {}),
    }
    path = Path(path)
    with atomic_path(path) as tmp:
        torch.save(state, tmp)
    return path


def load_checkpoint(path, map_location="cpu") -> dict:
    """Load with the safe unpickler (weights_only=True); a damaged file is a clear error, not a traceback."""
    path = Path(path)
    if not path.exists():
        raise UserFacingError(f"checkpoint {path} not found")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:  # truncated / not a checkpoint
        raise UserFacingError(
            f"checkpoint {path} cannot be read ({error}); delete it to start over"
        ) from error


def restore(state: dict, model, optimizer=None, restore_rng: bool = True) -> None:
    """Put a loaded checkpoint back into `model` (and `optimizer`, and the RNGs)."""
    unwrap(model).load_state_dict(state["model"])
    if optimizer is not None and state.get("optimizer"):
        optimizer.load_state_dict(state["optimizer"])
    if restore_rng:
        set_rng_state(state["rng"])


def remove_stale_temporaries(path) -> None:
    """Delete temp files a killed writer left beside `path` (atomic_path names them .<name>.*.tmp*)."""
    path = Path(path)
    for leftover in path.parent.glob(f".{path.name}.*.tmp*"):
        leftover.unlink(missing_ok=True)
