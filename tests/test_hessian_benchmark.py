"""The building blocks of benchmarks/hessian.py's 150k-parameter case, at a tiny size (about 3,000 parameters).

At this size the full dense Hessian exists, so the reference run (a long run of our engine) and the dense
sub-block it is checked against can both be checked against it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

from initgen.analysis.curvature.hessian import HessianOperator, dense_hessian

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import hessian as bench  # noqa: E402


@pytest.fixture(scope="module")
def tiny_case():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    model, loss_fn, batches = bench.make_large_case(torch.device("cpu"), samples=96, width=20)
    op = HessianOperator(model, loss_fn, batches, float64=True)
    yield model, loss_fn, batches, op, dense_hessian(op)
    torch.set_num_threads(previous)


def test_the_hand_written_block_hessian_is_the_block_of_the_full_dense_hessian(tiny_case):
    model, loss_fn, batches, op, full = tiny_case
    index = bench.block_indices(model)
    assert len(index) == 20 + 20 * 10 + 10
    block = bench.dense_block_hessian(model, loss_fn, batches)
    assert torch.allclose(block, full[index][:, index], rtol=1e-9, atol=1e-12)


def test_the_reference_run_and_its_sub_block_check_against_the_dense_hessian(tiny_case):
    model, loss_fn, batches, op, full = tiny_case
    settings = bench.REFERENCE | {"min_probes": 400, "max_probes": 400}
    reference = bench.reference_run(op, settings)
    eigenvalues = torch.linalg.eigvalsh(full)
    top, trace = float(eigenvalues.abs().max()), float(eigenvalues.sum())
    variance = 2 * (float((full**2).sum()) - float((full.diagonal() ** 2).sum()))
    assert reference["top"] == pytest.approx(top, rel=1e-9)
    assert abs(reference["trace"] - trace) <= 5 * reference["trace_stderr"] + 1e-9 * abs(trace)
    # the sample variance of 400 Rademacher samples: within 4 of its standard errors of the dense formula
    assert abs(reference["variance"] - variance) <= 4 * reference["variance_stderr"]
    assert reference["frobenius_sq"] * 2 >= 0.8 * variance

    check = bench.sub_block_check(model, loss_fn, batches, op, reference)
    assert check["operator_error"] < 1e-10
    index = bench.block_indices(model)
    assert check["block_trace"] == pytest.approx(float(full[index][:, index].trace()))
    assert abs(check["diagonal_z"]) < 5 and abs(check["trace_z"]) < 5
    assert check["top_error"] < 1e-9
    assert abs(check["variance_ratio"] - 1) < 4 * check["variance_ratio_stderr"]
