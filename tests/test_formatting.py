"""Numbers as table text come from one module (initgen.reporting.formatting); each helper's format, n/a if missing."""

from __future__ import annotations

import ast
import re
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
    assert formatting.bounds(0.0987, 0.15) == "[0.0987, 0.15]"
    assert formatting.bounds(0.0987, 0.15, ".3f") == "[0.099, 0.150]"
    nan = float("nan")
    assert formatting.bounds(nan, nan) == formatting.bounds(0.1, nan) == formatting.bounds(None, 0.2) == "n/a"
    assert formatting.interval(STATS | {"ci_low": nan, "ci_high": nan}) == "n/a"  # not "[nan, nan]"
    assert formatting.percent_interval({"ci_low": nan, "ci_high": nan}) == "n/a"
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


def test_no_library_module_hand_formats_an_interval():
    """'[low, high]' text comes from formatting.bounds alone (one NaN policy)."""
    pattern = re.compile(r"""f["']\[\{""")
    found = [
        f"{path.relative_to(LIBRARY)}:{number}"
        for path in sorted(LIBRARY.rglob("*.py"))
        if path.relative_to(LIBRARY).as_posix() not in ("reporting/formatting.py", "core/config.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert not found, found


def test_a_nan_interval_reads_n_a_in_verdicts_and_claim_tables():
    from initgen.reporting.claims.tables import claims_frame
    from initgen.reporting.claims.verdicts import verdict_of

    nan = float("nan")
    result = {"n": 5, "ci_low": nan, "ci_high": nan}
    assert verdict_of(result, "greater", 0.0, 3) == ("inconclusive", "interval n/a (not finite)")
    assert verdict_of({"n": 5, "ci_low": 0.1, "ci_high": 0.2}, "greater", 0.0, 3) == (
        "reproduced", "interval [0.1, 0.2] > 0")
    check = {"check": "c", "ci_low": nan, "ci_high": nan, "estimate": 0.5, "verdict": "inconclusive"}
    frame = claims_frame([{"id": "x", "verdict": "inconclusive", "checks": [check]}])
    assert frame["Interval"].tolist() == ["n/a"]
