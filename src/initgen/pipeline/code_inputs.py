"""Which library files a step can execute: the import closure of a module, read with `ast` (nothing is imported).

The workflow makes these files inputs of each step, so editing any module a step's command can run reruns
that step, and editing any other module does not. Every `import initgen...` / `from initgen... import ...` in a
file counts, also one inside a function (a lazy import still runs).
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

PACKAGE = "initgen"


def module_file(root: Path, module: str) -> Path | None:
    """The file of a dotted initgen module under `root` (src/initgen), or None if it is not one."""
    parts = module.split(".")
    if parts[0] != PACKAGE:
        return None
    base = root.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imported_modules(path: Path) -> set[str]:
    return _imported_modules_of(path, path.stat().st_mtime_ns)


@functools.cache
def _imported_modules_of(path: Path, mtime_ns: int) -> frozenset[str]:
    """Parsed once per file version: the workflow asks for the closures of 30-odd steps sharing most modules
    (parsing each time took 3.7 s of every `snakemake` start)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)  # `from initgen import spectra`
    return frozenset(name for name in names if name.split(".")[0] == PACKAGE)


def import_closure(root: str | Path, *modules: str) -> list[Path]:
    """Files of the given dotted modules and of every initgen module they import, transitively (with the
    package __init__ files on the way), sorted."""
    root = Path(root)
    todo = list(modules)
    found: set[Path] = set()
    while todo:
        name = todo.pop()
        parts = name.split(".")
        for depth in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__ and a/b/__init__ too
            path = module_file(root, ".".join(parts[:depth]))
            if path is not None and path not in found:
                found.add(path)
                todo.extend(_imported_modules(path))
    return sorted(found)


def reference_files(node, root: str | Path = "src/initgen") -> list[str]:
    """Your own files a step runs: every `path/to/file.py:function` reference (initgen.core.extensions) in a config
    value, and the initgen modules those files import, transitively. As inputs of the steps whose config value it
    is, editing your file reruns exactly those steps."""
    from initgen.core.extensions import is_reference, reference_path

    found: set[Path] = set()
    todo = [node]
    while todo:
        value = todo.pop()
        if isinstance(value, dict):
            todo.extend(value.values())
        elif isinstance(value, list):
            todo.extend(value)
        elif is_reference(value):
            found.add(reference_path(value))
    modules = {name for path in found if path.is_file() for name in _imported_modules(path)}
    return sorted({str(p) for p in found} | {str(p) for p in import_closure(root, *modules)})
