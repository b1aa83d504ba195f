"""Curve CSVs (initgen.reporting.curves) go through the library's one CSV writer, core.files.rows_csv."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np

from initgen.reporting.curves import curve_table, linear_curve_table

LIBRARY = Path(__file__).resolve().parents[1] / "src" / "initgen"


def test_curve_table_columns_and_blank_for_a_diverged_step():
    losses = np.array([[[1.0, 0.5], [0.25, np.nan], [0.125, 1 / 3]]])  # 1 depth, 3 records, 2 seeds
    assert curve_table(losses, [4], [0, 7]) == "step,mse_seed0,mse_seed7\n0,1,0.5\n1,0.25,\n2,0.125,0.333333\n"
    two_depths = curve_table(np.stack([losses[0], losses[0]]), [2, 4], [0, 7]).splitlines()[0]
    assert two_depths == "step,mse_depth2_seed0,mse_depth2_seed7,mse_depth4_seed0,mse_depth4_seed7"


def test_linear_curve_table_means_over_seeds():
    runs = {"case_names": np.array(["a"]), "iterations": np.array([0, 10]),
            "losses": np.array([[[2.0, 1.0], [4.0, 3.0]]]), "bound": np.array([[[3.0, 2.0], [3.0, 2.0]]])}
    assert linear_curve_table(runs) == "iteration,loss_a,bound_a\n0,3,3\n10,2,2\n"


def test_only_core_files_writes_csv():
    users = sorted(
        path.relative_to(LIBRARY).as_posix()
        for path in LIBRARY.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Import) and any(alias.name == "csv" for alias in node.names)
    )
    assert users == ["core/files.py"]
