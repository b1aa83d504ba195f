"""One runtime policy (initgen.core.runtime): one device resolution, threads and determinism set the same way by every
step, and no step module doing it on its own."""

from __future__ import annotations

import argparse
import ast
from pathlib import Path

import pytest
import torch

from initgen.core import runtime
from initgen.core.errors import ConfigError

LIBRARY = Path(__file__).resolve().parents[1] / "src" / "initgen"
# calls only initgen.core.runtime makes: the device choice, the threads and the determinism policy
RUNTIME_CALLS = {"use_deterministic_algorithms", "_set_deterministic_algorithms", "set_num_threads"}


@pytest.fixture
def restore_torch_state():
    threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    warn_only = torch.is_deterministic_algorithms_warn_only_enabled()
    yield
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(deterministic, warn_only=warn_only)


def test_resolve_device_returns_a_torch_device_for_every_spelling():
    assert runtime.resolve_device("cpu") == torch.device("cpu")
    assert runtime.resolve_device(torch.device("cpu")) == torch.device("cpu")
    expected = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    assert runtime.resolve_device("auto") == expected
    assert runtime.resolve_device(runtime.resolve_device("auto")) == expected  # idempotent


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA device is visible")
def test_cuda_without_a_cuda_device_is_a_config_error_naming_the_key():
    for spelling in ("cuda", "cuda:0"):
        with pytest.raises(ConfigError, match="config key device"):
            runtime.resolve_device(spelling)


def test_setup_on_the_cpu_sets_threads_and_requires_deterministic_algorithms(restore_torch_state):
    torch.use_deterministic_algorithms(False)
    assert runtime.setup("cpu", 1) == torch.device("cpu")
    assert torch.get_num_threads() == 1
    assert torch.are_deterministic_algorithms_enabled()
    assert not torch.is_deterministic_algorithms_warn_only_enabled()


def test_setup_does_not_load_the_compiler_stack():
    """torch.use_deterministic_algorithms imports torch._inductor (2 s, every step of the workflow); the CPU
    policy sets the same operator flag without it."""
    import subprocess
    import sys

    code = ("import sys, torch; from initgen.core import runtime; runtime.setup('cpu', 1); "
            "print(torch.are_deterministic_algorithms_enabled(), 'torch._inductor' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["True", "False"]


def test_runtime_arguments_are_the_steps_shared_ones():
    parser = argparse.ArgumentParser()
    runtime.add_runtime_arguments(parser)
    args = parser.parse_args([])
    assert (args.device, args.threads) == ("cpu", 0)
    parser = argparse.ArgumentParser()
    runtime.add_runtime_arguments(parser, device=False, threads_default=1)
    args = parser.parse_args(["--threads", "3"])
    assert not hasattr(args, "device") and args.threads == 3


def test_no_library_module_but_runtime_resolves_devices_or_sets_threads_or_determinism():
    offenders = []
    for path in sorted(LIBRARY.rglob("*.py")):
        if path.relative_to(LIBRARY).as_posix() == "core/runtime.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.FunctionDef) and node.name == "resolve_device":
                offenders.append(f"{path.relative_to(LIBRARY)}: def resolve_device")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr in RUNTIME_CALLS:
                    offenders.append(f"{path.relative_to(LIBRARY)}:{node.lineno}: {node.func.attr}")
    assert not offenders, offenders


def test_every_step_reads_its_json_arguments_with_json_arg():
    """One decoder of JSON arguments (core.arguments.json_arg) and of an npz's job (core.files.npz_job)."""
    library = Path(__file__).resolve().parents[1] / "src" / "initgen"
    loads = sorted(
        f"{path.relative_to(library).as_posix()}:{node.lineno}"
        for path in library.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "loads"
    )
    assert [where.split(":")[0] for where in loads] == ["core/arguments.py", "core/files.py", "pipeline/plan.py"], loads


def test_a_bad_json_argument_names_the_argument():
    from initgen.core.arguments import json_arg
    from initgen.core.errors import UserFacingError

    assert json_arg('{"a": [1, 2]}', "job") == {"a": [1, 2]}
    with pytest.raises(UserFacingError, match="--job is not valid JSON"):
        json_arg("{a: 1}", "job")
