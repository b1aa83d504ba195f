"""Your own code as an extension point: a reference `path/to/file.py:function` in config, beside the built-in names.

The path is relative to the working directory (the repository root, where Snakemake runs), or absolute. Where a
reference may stand, and what the function is called with (README, "Your own study"):

    init        toy ... init: {kind: "my_study/inits.py:fn", params: {...}}
                fn(shape, layer, layers, generator, **params) -> torch.Tensor of `shape`
                  the weight [fan_out, fan_in] of layer `layer` (0 = first, layers - 1 = output) of a coordinate
                  MLP, drawn from `generator` (seeded per network); biases keep PyTorch's default, as for Xavier.
    activation  toy ... model: {activation: "my_study/activations.py:fn"}
                fn(h) -> torch.Tensor of h's shape, elementwise (1-D inputs: the MLP's hidden units)
    model       extensions: {models: {name: "my_study/models.py:fn"}}, the name then listed in deep.datasets
                fn(num_classes, channels, image_size) -> torch.nn.Module: images [N, C, S, S] -> logits [N, classes]
    dataset     extensions: {datasets: {name: "my_study/data.py:fn"}}
                fn(options) -> {"train": (images, labels), "test": (images, labels)}: uint8 [N, C, S, S], int64 [N]
                  options: config data.<name> ({} without it); prepared by rule data_prepare_user (data/registry.py)

`check_config` runs when the workflow starts (before any job) and in `initgen validate-config`: every model and
dataset name in deep.datasets (deep_hessian, deep.corruption) is built in or yours (`check_names`); it imports each
file, finds the function, binds the documented arguments to its signature and calls it once on a tiny shape; any
problem is a ConfigError naming the config key, so a bad reference writes nothing.
"""

from __future__ import annotations

import functools
import inspect
import re
import sys
import types
from collections.abc import Callable
from pathlib import Path

from initgen.core.errors import ConfigError

REFERENCE = re.compile(r"^(?P<path>[^:]+\.py):(?P<function>[A-Za-z_][A-Za-z0-9_]*)$")
TINY_SHAPE = (4, 3)  # the init check: a 3-input, 4-output layer


def is_reference(value) -> bool:
    return isinstance(value, str) and REFERENCE.match(value) is not None


def reference_path(reference: str) -> Path:
    return Path(REFERENCE.match(reference)["path"])


def load_function(reference: str, key: str = "reference") -> Callable:
    """The function a reference names; ConfigError (naming `key`) for a missing file or function or an import error."""
    match = REFERENCE.match(reference) if isinstance(reference, str) else None
    if match is None:
        raise ConfigError(f"config key {key}: {reference!r} is not a reference of the form path/to/file.py:function")
    path = Path(match["path"])
    if not path.is_file():
        raise ConfigError(f"config key {key}: file {path} not found (paths are relative to {Path.cwd()})")
    module = _load_module(path.resolve(), path.stat().st_mtime_ns, key)
    function = getattr(module, match["function"], None)
    if not callable(function):
        raise ConfigError(f"config key {key}: {path} has no function {match['function']!r}")
    return function


@functools.cache
def _load_module(path: Path, mtime_ns: int, key: str) -> types.ModuleType:
    """Run the file as a module of its own (once per file version). Compiled here, not imported, so no
    __pycache__ is written next to it: a refused config writes nothing."""
    module = types.ModuleType(f"initgen_user_{abs(hash((path, mtime_ns)))}")
    module.__file__ = str(path)
    sys.modules[module.__name__] = module  # dataclasses and pickling look their module up here
    try:
        exec(compile(path.read_text(), str(path), "exec"), module.__dict__)
    except Exception as error:
        del sys.modules[module.__name__]
        raise ConfigError(f"config key {key}: importing {path} failed: {type(error).__name__}: {error}") from error
    return module


def _bind(function: Callable, key: str, signature: str, *args, **kwargs) -> None:
    try:
        inspect.signature(function).bind(*args, **kwargs)
    except TypeError as error:
        raise ConfigError(f"config key {key}: {function.__name__} must take {signature} ({error})") from error


def _call(function: Callable, key: str, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except Exception as error:
        raise ConfigError(f"config key {key}: calling {function.__name__} on a tiny input failed: "
                          f"{type(error).__name__}: {error}") from error


def _check_tensor(value, shape: tuple, key: str, what: str) -> None:
    import torch

    if not isinstance(value, torch.Tensor):
        raise ConfigError(f"config key {key}: {what} must return a torch.Tensor, got {type(value).__name__}")
    if tuple(value.shape) != tuple(shape):
        raise ConfigError(f"config key {key}: {what} returned shape {tuple(value.shape)}, expected {tuple(shape)}")
    if not torch.isfinite(value).all():
        raise ConfigError(f"config key {key}: {what} returned non-finite values")


def check_init(reference: str, params: dict, key: str) -> Callable:
    import torch

    function = load_function(reference, key)
    generator = torch.Generator().manual_seed(0)
    signature = "(shape, layer, layers, generator, **params)"
    _bind(function, key, signature, TINY_SHAPE, 0, 2, generator, **params)
    _check_tensor(_call(function, key, TINY_SHAPE, 0, 2, generator, **params), TINY_SHAPE, key,
                  f"{function.__name__}(shape={TINY_SHAPE}, ...)")
    return function


def check_activation(reference: str, key: str) -> Callable:
    import torch

    function = load_function(reference, key)
    _bind(function, key, "(h)", torch.zeros(1))
    h = torch.linspace(-3.0, 3.0, 24).reshape(2, 3, 4)  # batched MLPs: [models, points, units]
    _check_tensor(_call(function, key, h), h.shape, key, f"{function.__name__}(h of shape {tuple(h.shape)})")
    return function


def check_model(reference: str, key: str, num_classes: int = 10, channels: int = 1, image_size: int = 8) -> Callable:
    import torch

    function = load_function(reference, key)
    _bind(function, key, "(num_classes, channels, image_size)", num_classes, channels, image_size)
    model = _call(function, key, num_classes, channels, image_size)
    if not isinstance(model, torch.nn.Module):
        raise ConfigError(f"config key {key}: {function.__name__} must return a torch.nn.Module, "
                          f"got {type(model).__name__}")
    images = torch.zeros(2, channels, image_size, image_size)
    with torch.no_grad():
        out = _call(model.eval(), key, images)
    _check_tensor(out, (2, num_classes), key, f"the model of {function.__name__} on images {tuple(images.shape)}")
    return function


def check_dataset(reference: str, options: dict, key: str) -> Callable:
    """Builds the dataset once (the reference check of a dataset is its whole build: keep it small)."""
    build_dataset(reference, options, key)
    return load_function(reference, key)


def build_dataset(reference: str, options: dict, key: str) -> dict:
    """Your dataset's splits {"train": (images, labels), "test": ...}, checked: what its preparation step writes
    (initgen.data.registry.prepare) and what check_config builds once. Images uint8 [N, C, S, S], square and of
    one shape in both splits (a model is built for one input shape); labels int64 [N], 0 or more."""
    import torch

    function = load_function(reference, key)
    _bind(function, key, "(options)", options)
    splits = _call(function, key, options)
    if not isinstance(splits, dict) or set(splits) != {"train", "test"}:
        raise ConfigError(f"config key {key}: {function.__name__} must return {{'train': ..., 'test': ...}}")
    shapes = set()

    def described(value):
        return f"{getattr(value, 'dtype', type(value).__name__)} {tuple(getattr(value, 'shape', ()))}"

    for split, pair in splits.items():
        images, labels = pair
        if not isinstance(images, torch.Tensor) or images.dtype != torch.uint8 or images.dim() != 4:
            raise ConfigError(f"config key {key}: {split} images must be uint8 [N, C, H, W], got {described(images)}")
        if images.shape[0] == 0 or images.shape[2] != images.shape[3]:
            raise ConfigError(f"config key {key}: {split} images must be square and at least one, got "
                              f"{tuple(images.shape)}")
        if (not isinstance(labels, torch.Tensor) or labels.dtype != torch.int64
                or tuple(labels.shape) != (images.shape[0],)):  # fmt: skip
            raise ConfigError(f"config key {key}: {split} labels must be int64 [N] (N = {images.shape[0]}), got "
                              f"{described(labels)}")
        if int(labels.min()) < 0:
            raise ConfigError(f"config key {key}: {split} labels must be 0 or more (classes 0..K-1)")
        shapes.add(tuple(images.shape[1:]))
    if len(shapes) != 1:
        raise ConfigError(f"config key {key}: train and test images differ in shape: {sorted(shapes)}")
    return splits


def check_names(config: dict) -> None:
    """Every dataset and model the deep blocks name is built in or yours (extensions); a name of yours does not
    shadow a built-in one; every data.<name> block belongs to a dataset. ConfigError naming the key."""
    from initgen.pipeline.artifacts import DATASETS, MODELS

    extensions = config.get("extensions") or {}
    yours = {"models": extensions.get("models") or {}, "datasets": extensions.get("datasets") or {}}
    for kind, built_in in (("models", MODELS), ("datasets", DATASETS)):
        for name in yours[kind]:
            if name in built_in:
                raise ConfigError(f"config key extensions.{kind}.{name}: {name!r} is a built-in {kind[:-1]}; "
                                  f"name yours differently")
    datasets, models = set(DATASETS) | set(yours["datasets"]), set(MODELS) | set(yours["models"])

    def known(name, names, kind, key):
        if name not in names:
            built_in = ", ".join(sorted(names - set(yours[f"{kind}s"])))
            raise ConfigError(f"config key {key}: unknown {kind} {name!r} (built in: {built_in}); yours go in "
                              f"extensions.{kind}s (README, Your own study)")

    deep = config.get("deep") or {}
    for block, prefix in ((deep.get("datasets") or {}, "deep.datasets"),
                          ((config.get("deep_hessian") or {}).get("datasets") or {}, "deep_hessian.datasets")):
        for dataset, names in block.items():
            known(dataset, datasets, "dataset", f"{prefix}.{dataset}")
            for index, model in enumerate(names or []):
                known(model, models, "model", f"{prefix}.{dataset}[{index}]")
    corruption = deep.get("corruption") or {}
    if corruption:
        known(corruption["dataset"], datasets, "dataset", "deep.corruption.dataset")
        known(corruption["model"], models, "model", "deep.corruption.model")
    settings = {"root", "rehearsal", "checksums"}
    for name in (config.get("data") or {}):
        if name not in settings:
            known(name, datasets, "dataset", f"data.{name}")


def references(node, path: tuple = ()):
    """(key path, kind, reference, parent block) of every reference in a config subtree: init kinds (also a
    pre-training's `base`) and activations."""
    if isinstance(node, dict):
        for name, value in node.items():
            here = (*path, name)
            if name == "kind" and path and path[-1] in ("init", "base") and is_reference(value):
                yield here, "init", value, node
            elif name == "activation" and is_reference(value):
                yield here, "activation", value, node
            else:
                yield from references(value, here)


def check_config(config: dict) -> dict:
    """Raise ConfigError for the first bad reference in `config`, naming its key (see the module docstring)."""
    from initgen.core.config import key_path

    check_names(config)
    for path, kind, reference, block in references(config):
        key = key_path(path)
        if kind == "init":
            check_init(reference, block.get("params") or {}, key)
        else:
            check_activation(reference, key)
    extensions = config.get("extensions") or {}
    for name, reference in (extensions.get("models") or {}).items():
        check_model(reference, f"extensions.models.{name}")
    for name, reference in (extensions.get("datasets") or {}).items():
        check_dataset(reference, (config.get("data") or {}).get(name) or {}, f"extensions.datasets.{name}")
    return config
