"""The Hessian engine against a dense Hessian (torch.autograd.functional.hessian, float64) on small models.

Two models of at most 5,000 parameters, each at a point reached by a little training (so the Hessian has the
outliers and the bulk of a trained network), with the dataset split into several batches:
- a 1-D Gaussian-activation MLP regressing a two-frequency signal (MSE);
- a small conv net with batch norm and dropout classifying scikit-learn digits (cross-entropy).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits
from torch import nn

from initgen.analysis.curvature import hessian as curvature
from initgen.core.errors import ConfigError
from initgen.models.mlp import MLP
from initgen.models.zoo import SmallCNN


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    # These models are tiny: one thread avoids OpenMP spin-waiting when other jobs share the 2 cores.
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


def mse(outputs, targets):
    return ((outputs - targets) ** 2).mean()


def _train(model, loss_fn, inputs, targets, steps, lr):
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for _ in range(steps):
        optimizer.zero_grad()
        loss_fn(model(inputs), targets).backward()
        optimizer.step()
    return model


def _case(name):
    torch.manual_seed(0)
    if name == "mlp":
        x = torch.linspace(-1, 1, 48)[:, None]
        y = torch.sin(3 * x) + 0.3 * torch.sin(11 * x)
        model, loss_fn = MLP("gaussian", 24, 3, scale=0.5), mse  # 1,273 parameters
        _train(model, loss_fn, x, y, steps=300, lr=3e-3)
        batch_size = 20  # 48 points in batches of 20, 20, 8: unequal batches weigh by their size
    else:
        digits = load_digits()
        x = torch.tensor(digits.images[:32], dtype=torch.float32)[:, None] / 16
        y = torch.tensor(digits.target[:32])
        model, loss_fn = SmallCNN(10, 1, 8, width=4), nn.CrossEntropyLoss()  # 1,030 parameters, batch norm
        _train(model, loss_fn, x, y, steps=60, lr=1e-2)
        batch_size = 12
    model.train()  # the engine must switch batch norm and dropout to eval itself
    return model, loss_fn, curvature.make_batches(x, y, batch_size), (x, y)


@pytest.fixture(scope="module", params=["mlp", "cnn"])
def case(request):
    model, loss_fn, batches, data = _case(request.param)
    op = curvature.HessianOperator(model, loss_fn, batches, float64=True)
    dense = curvature.dense_hessian(op)
    eigenvalues = torch.linalg.eigvalsh(dense).numpy()  # ascending
    return {
        "name": request.param,
        "model": model,
        "loss_fn": loss_fn,
        "batches": batches,
        "data": data,
        "op": op,
        "dense": dense,
        "eigenvalues": eigenvalues,
    }


def test_products_match_the_dense_hessian_and_batch_norm_runs_in_eval_mode(case):
    op, dense = case["op"], case["dense"]
    assert op.n <= 5000 and op.dtype == torch.float64
    vectors = torch.randn(3, op.n, dtype=torch.float64)
    expected = vectors @ dense  # dense is symmetric
    np.testing.assert_allclose(
        op.matmat(vectors).numpy(), expected.numpy(), rtol=0, atol=1e-10 * dense.abs().max()
    )
    # the same products batched through one vmap'd backward pass, and recomputed without kept graphs
    other = curvature.HessianOperator(
        case["model"], case["loss_fn"], case["batches"], keep_graphs=False, hvp_batch=2
    )
    np.testing.assert_allclose(
        other.matmat(vectors).numpy(), expected.numpy(), rtol=0, atol=1e-10 * dense.abs().max()
    )
    # the loss is the eval-mode loss over the whole dataset; the caller's model is untouched (train, float32)
    x, y = case["data"]
    model = case["model"]
    assert model.training and next(model.parameters()).dtype == torch.float32
    with torch.no_grad():
        eval_loss = case["loss_fn"](model.eval()(x), y).item()
        train_loss = case["loss_fn"](model.train()(x), y).item()
    assert op.loss == pytest.approx(eval_loss, rel=1e-5)
    if case["name"] == "cnn":
        assert abs(train_loss - eval_loss) > 1e-3  # batch statistics would have changed the answer


def test_top_and_bottom_eigenvalues_to_relative_1e_4(case):
    eigenvalues = case["eigenvalues"]
    ends = curvature.extreme_eigenvalues(case["op"], k=3, rtol=1e-6, max_steps=300)
    assert ends.converged
    np.testing.assert_allclose(ends.top, eigenvalues[::-1][:3], rtol=1e-4)
    np.testing.assert_allclose(ends.bottom, eigenvalues[:3], rtol=1e-4)
    # each reported bound holds: some eigenvalue lies within it
    for value, bound in zip(ends.top + ends.bottom, ends.top_bound + ends.bottom_bound, strict=True):
        assert np.abs(eigenvalues - value).min() <= bound + 1e-12
    spectral_norm, _ = ends.spectral_norm
    assert spectral_norm == pytest.approx(np.abs(eigenvalues).max(), rel=1e-4)


def test_trace_within_2_percent_and_3_standard_errors(case):
    exact = float(case["eigenvalues"].sum())
    assert exact > 0  # a trained point: the relative tolerance is meaningful
    op = case["op"]
    ends = curvature.extreme_eigenvalues(op, k=1, rtol=1e-4, max_steps=300)
    result = curvature.trace(op, "hutch++", rtol=0.005, max_probes=2000, basis=ends.basis, alphas=ends.alphas)
    assert result.converged and result.stderr > 0
    assert abs(result.value - exact) <= 0.02 * abs(exact)
    assert abs(result.value - exact) <= 3 * result.stderr
    # without a basis Hutch++ builds its own Krylov sketch
    own = curvature.trace(op, "hutch++", rtol=0.005, max_probes=2000, sketch_steps=30)
    assert abs(own.value - exact) <= min(0.02 * abs(exact), 3 * own.stderr)


def test_plain_hutchinson_is_unbiased_within_its_standard_error(case):
    exact = float(case["eigenvalues"].sum())
    result = curvature.trace(case["op"], "hutchinson", rtol=1e-9, max_probes=200)
    assert result.probes == 200 and not result.converged and result.exact_part == 0
    assert abs(result.value - exact) <= 3 * result.stderr


def test_density_mean_is_trace_over_n_within_its_error(case):
    op, eigenvalues = case["op"], case["eigenvalues"]
    dens = curvature.density(op, probes=8, steps=40, grid_points=200)
    np.testing.assert_allclose(dens.weights.sum(axis=1), 1.0, atol=1e-10)  # each probe's quadrature weights
    assert np.trapezoid(dens.values, dens.grid) == pytest.approx(1.0, abs=1e-3)  # a probability density
    assert abs(dens.expected - eigenvalues.mean()) <= 3 * dens.expected_stderr
    # the quadrature nodes span the spectrum: the extreme Ritz values reach the extreme eigenvalues
    assert dens.nodes.max() == pytest.approx(eigenvalues.max(), rel=1e-3)
    assert dens.nodes.min() == pytest.approx(eigenvalues.min(), rel=1e-2)


def test_hessian_metrics_is_json_and_pyhessian_agrees():
    model, loss_fn, batches, _ = _case("mlp")
    settings = {"top_k": 2, "eig_rtol": 1e-6, "trace_rtol": 0.01, "density_probes": 3, "density_steps": 20}
    ours = curvature.hessian_metrics(model, loss_fn, batches, settings)
    import json

    json.dumps(ours, allow_nan=False)  # plain floats and lists only
    assert ours["n_params"] == 1273 and ours["n_samples"] == 48 and len(ours["density"]["grid"]) == 256
    assert ours["top_eigenvalues"][0] >= ours["top_eigenvalues"][1] and ours["eig_converged"]
    theirs = curvature.hessian_metrics(
        model,
        loss_fn,
        batches,
        settings
        | {
            "backend": "pyhessian",
            "density_probes": 0,
            "eig_rtol": 1e-7,
            "max_lanczos_steps": 1000,
            "trace_rtol": 1e-9,
            "trace_max_probes": 300,
        },
    )
    assert theirs["backend"] == "pyhessian" and theirs["n_params"] == ours["n_params"]
    assert theirs["spectral_norm"] == pytest.approx(ours["spectral_norm"], rel=1e-3)
    assert theirs["top_eigenvalues"][1] == pytest.approx(ours["top_eigenvalues"][1], rel=1e-2)
    both = (theirs["trace_stderr"] ** 2 + ours["trace_stderr"] ** 2) ** 0.5
    assert abs(theirs["trace"] - ours["trace"]) <= 3 * both


def test_pyhessian_density_and_bad_settings_are_refused():
    model, loss_fn, batches, _ = _case("mlp")
    with pytest.raises(ConfigError, match=r"hessian\.backend.*torch\.eig"):
        curvature.hessian_metrics(model, loss_fn, batches, {"backend": "pyhessian", "density_probes": 4})
    with pytest.raises(ConfigError, match=r"hessian\.trace_method"):
        curvature.hessian_metrics(model, loss_fn, batches, {"trace_method": "exact"})
    with pytest.raises(ConfigError, match=r"hessian\.top_eigen"):
        curvature.resolve_settings({"top_eigen": 3})


def test_config_hessian_blocks_match_the_engine_settings():
    from pathlib import Path

    import yaml

    from initgen.core.config import load_config, validate_config

    repo = Path(__file__).resolve().parents[1]
    schema = yaml.safe_load((repo / "workflow/schemas/config.schema.yaml").read_text())
    assert set(schema["$defs"]["hessian"]["properties"]) == set(curvature.DEFAULTS)
    for files in (["config/config.yaml"], ["config/config.yaml", "config/paper.yaml"]):
        config = validate_config(
            load_config(*(repo / f for f in files)), repo / "workflow/schemas/config.schema.yaml"
        )
        assert curvature.resolve_settings(config["hessian"])["backend"] == "initgen"
    bad = load_config(repo / "config/config.yaml")
    bad["hessian"]["trace_probes"] = 3
    with pytest.raises(ConfigError, match=r"hessian\.trace_probes"):
        validate_config(bad, repo / "workflow/schemas/config.schema.yaml")


def test_ritz_vectors_on_request_are_eigenvectors_within_their_bound(case):
    dense, eigenvalues = case["dense"], case["eigenvalues"]
    ends = curvature.extreme_eigenvalues(case["op"], k=2, rtol=1e-6, max_steps=300, vectors=True)
    assert ends.top_vectors.shape == (2, case["op"].n)
    for value, bound, vector in zip(ends.top, ends.top_bound, ends.top_vectors, strict=True):
        assert float(vector.norm()) == pytest.approx(1.0, abs=1e-12)
        residual = float((dense @ vector - value * vector).norm())  # ||H v - theta v|| = |beta_m s_m|
        assert residual <= 1.01 * bound + 1e-10 * abs(eigenvalues).max()
    top = torch.linalg.eigh(dense).eigenvectors[:, -1]
    assert abs(float(top @ ends.top_vectors[0])) == pytest.approx(1.0, abs=1e-6)
    assert curvature.extreme_eigenvalues(case["op"], k=2, rtol=1e-6, max_steps=300).top_vectors is None


def test_hessian_metrics_ritz_vectors_come_from_the_same_run_and_change_nothing_else():
    model, loss_fn, batches, _ = _case("mlp")
    settings = {"top_k": 2, "eig_rtol": 1e-6, "density_probes": 2, "density_steps": 20}
    plain = curvature.hessian_metrics(model, loss_fn, batches, settings)
    with_vectors = curvature.hessian_metrics(model, loss_fn, batches, settings, ritz_vectors=True)
    values, vectors = with_vectors.pop("top_ritz_values"), with_vectors.pop("top_ritz_vectors")
    assert with_vectors == plain  # same numbers, same products: no extra Lanczos run
    assert values == plain["top_eigenvalues"] and vectors.shape == (2, plain["n_params"])
    assert vectors.dtype == torch.float64  # hessian.float64 (the configured operator)
    single = curvature.hessian_metrics(model, loss_fn, batches, settings | {"float64": False}, ritz_vectors=True)
    assert single["top_ritz_vectors"].dtype == torch.float32


def test_curvature_imports_one_way_and_settings_are_a_leaf():
    from pathlib import Path

    from initgen.pipeline.code_inputs import import_closure

    library = Path(curvature.__file__).parents[2]
    names = lambda *modules: {p.relative_to(library).as_posix() for p in import_closure(library, *modules)}  # noqa: E731
    assert "analysis/curvature/hessian.py" not in names("initgen.analysis.curvature.pyhessian_backend")  # no cycle
    assert names("initgen.analysis.curvature.settings") == {
        "__init__.py", "analysis/__init__.py", "analysis/curvature/__init__.py", "analysis/curvature/settings.py",
        "core/__init__.py", "core/errors.py"}
    assert "analysis/curvature/settings.py" in names("initgen.analysis.curvature.hessian")
