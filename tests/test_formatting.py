"""Numbers as table text come from one module (initgen.reporting.formatting); each helper's format, n/a if missing."""

from __future__ import annotations

import ast
from pathlib import Path

from initgen.reporting import formatting, tables

LIBRARY = Path(__file__).resolve().parents[1] / "src" / "initgen"
STATS = {"mean": 0.123456, "std": 0.0456, "n": 5, "ci_low": 0.0987, "ci_high": 0.15}


def test_each_format():
    assert formatting.number(0.123456) == "0.123" and formatting.number(None) == "n/a"
    assert formatting.mean_pm_std(STATS) == "0.123 ± 0.0456"
    assert formatting.mean_pm_std({"mean": 2.0, "std": None}) == "2"
    assert formatting.mean_pm_std_short(STATS) == "0.123 ± 0.046"
    assert formatting.mean_pm_std_short({"mean": 2.0, "std": None}) == "2"
    assert formatting.interval(STATS) == "[0.0987, 0.15]"
    assert formatting.interval(STATS | {"estimate": 0.12}, with_estimate=True) == "0.12 [0.0987, 0.15]"
    assert formatting.percent(STATS) == "12.35 ± 4.56"
    assert formatting.percent_interval(STATS) == "[9.87, 15.00]"
    assert formatting.percent_interval({"ci_low": -0.012, "ci_high": 0.003}, signed=True) == "[-1.20, +0.30]"
    assert formatting.rho({"rho": 0.5234, "p_value": 0.1, "n": 8}) == "+0.52 (n=8)"
    assert formatting.rho({"rho": None, "p_value": None, "n": 2}) == "n/a"
    helpers = (formatting.mean_pm_std, formatting.mean_pm_std_short, formatting.interval, formatting.percent,
               formatting.percent_interval)
    for helper in helpers:
        assert helper({}) == helper(None) == "n/a"
    assert tables.interval is formatting.interval and tables.mean_pm_std is formatting.mean_pm_std


def test_no_other_library_module_defines_a_formatting_helper():
    names = {"mean_pm_std", "interval", "percent", "percent_interval", "_interval_percent", "_rho", "_num", "_sci",
             "number", "mean_pm_std_short"}
    found = [
        f"{path.relative_to(LIBRARY)}: {node.name}"
        for path in sorted(LIBRARY.rglob("*.py"))
        if path.relative_to(LIBRARY).as_posix() != "reporting/formatting.py"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef) and node.name in names
    ]
    assert not found, found
