"""Your own code named in config (initgen.core.extensions): references are checked before any job, a user init and
activation run in the 1-D networks, and the worked example (examples/scaled_orthogonal) runs end to end, is judged
beside the paper's variants and reruns only its jobs when its file is edited."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import torch
import yaml
from conftest import REPO, copy_workflow, load_test_config, planned_jobs, run_snakemake

from initgen.core.errors import ConfigError
from initgen.core.extensions import check_config, load_function
from initgen.models.mlp import MLP, BatchedMLP
from initgen.models.mlp_init import initialize
from initgen.pipeline.code_inputs import reference_files
from initgen.reporting.dose_response import collect_points

EXAMPLE = "examples/scaled_orthogonal"
ORTHOGONAL = f"{EXAMPLE}/inits.py:scaled_orthogonal"


@pytest.fixture
def in_repo(monkeypatch):
    monkeypatch.chdir(REPO)  # references are relative to the working directory (the repository root)


def toy_config(init: dict, activation: str = "relu") -> dict:
    variant = {"model": {"activation": activation, "width": 8, "depth": 2}, "init": init,
               "train": {"optimizer": "sgd", "lr": 0.01, "steps": 1}}
    return {"toy": {"experiments": {"fig3_init_spectrum": {"variants": {"mine": variant}}}}}


def write(folder: Path, name: str, text: str) -> str:
    path = folder / name
    path.write_text(text)
    return str(path)


def test_the_example_init_draws_scaled_orthogonal_weights_per_seed(in_repo, one_thread):
    spec = {"activation": "gaussian", "width": 16, "sigma": 0.1}
    init = {"kind": ORTHOGONAL, "params": {"gain": 2.0}}
    model, _ = initialize(spec, init, [0, 1], depth=3, scales=[0.1, 0.1])
    hidden = model.weights[1]  # [M, 16, 16]: square, so gain^2 times the identity both ways
    eye = torch.eye(16).expand(2, -1, -1)
    assert torch.allclose(hidden.transpose(1, 2) @ hidden, 4.0 * eye, atol=1e-5)
    first = model.weights[0]  # [M, 1, 16]: one input, a column of norm gain
    assert torch.allclose(first.norm(dim=2), torch.full((2, 1), 2.0), atol=1e-5)
    assert not torch.allclose(hidden[0], hidden[1])  # each seed its own draw
    again, _ = initialize(spec, init, [1], depth=3, scales=[0.1])
    assert torch.equal(again.weights[1][0], hidden[1])  # a batch equals networks drawn one by one


def test_a_user_activation_runs_in_both_network_forms(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "acts.py", "import torch\ndef softplus(h):\n    return torch.nn.functional.softplus(h)\n")
    reference = "acts.py:softplus"
    torch.manual_seed(0)
    mlp = MLP(reference, width=8, depth=2)
    x = torch.linspace(-1, 1, 5)[:, None]
    batched = BatchedMLP.stack([mlp])
    assert torch.allclose(batched(x)[0], mlp(x), atol=1e-6)
    h = mlp.layers[0](x)
    expected = mlp.layers[2](torch.nn.functional.softplus(mlp.layers[1](torch.nn.functional.softplus(h))))
    assert torch.allclose(mlp(x), expected, atol=1e-6)


def test_the_example_config_passes_the_reference_checks(in_repo):
    config = yaml.safe_load((REPO / EXAMPLE / "config.yaml").read_text())
    assert check_config(config) is config
    assert load_function(ORTHOGONAL).__name__ == "scaled_orthogonal"


# Five bad references (and more), each refused with its config key and the problem named.
BAD_INITS = {
    "missing file": ("nowhere/inits.py:fn", None, "file nowhere/inits.py not found"),
    "missing function": ("inits.py:absent", "def fn(shape, layer, layers, generator):\n    pass\n",
                         "has no function 'absent'"),
    "wrong signature": ("inits.py:fn", "def fn(shape):\n    pass\n",
                        "must take (shape, layer, layers, generator, **params)"),
    "wrong output shape": ("inits.py:fn", "import torch\ndef fn(shape, layer, layers, generator):\n"
                           "    return torch.zeros(shape[::-1])\n", "returned shape (3, 4), expected (4, 3)"),
    "not a tensor": ("inits.py:fn", "def fn(shape, layer, layers, generator):\n    return 1.0\n",
                     "must return a torch.Tensor, got float"),
    "import error": ("inits.py:fn", "import no_such_module\n", "importing"),
    "unknown param": ("inits.py:fn", "import torch\ndef fn(shape, layer, layers, generator, gain=1.0):\n"
                      "    return torch.zeros(shape)\n", "unexpected keyword argument 'scale'"),
}


@pytest.mark.parametrize("case", list(BAD_INITS))
def test_a_bad_init_reference_is_refused_naming_the_key(case, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    reference, source, message = BAD_INITS[case]
    if source is not None:
        write(tmp_path, "inits.py", source)
    init = {"kind": reference} | ({"params": {"scale": 2}} if case == "unknown param" else {})
    with pytest.raises(ConfigError) as error:
        check_config(toy_config(init))
    assert "config key toy.experiments.fig3_init_spectrum.variants.mine.init.kind" in str(error.value)
    assert message in str(error.value)


def test_a_pretraining_base_is_checked_too(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    init = {"kind": "pretrain_signal", "signal": {"offset": 1.0}, "base": {"kind": "gone.py:fn"}}
    with pytest.raises(ConfigError, match=r"variants\.mine\.init\.base\.kind: file gone.py not found"):
        check_config(toy_config(init))


def test_a_bad_activation_model_and_dataset_are_refused_naming_the_key(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "mine.py", "import torch\n"
          "def reduce(h):\n    return h.sum(-1)\n"
          "def net(num_classes, channels, image_size):\n    return torch.nn.Flatten()\n"
          "def floats(options):\n    x = torch.zeros(4, 1, 8, 8)\n"
          "    y = torch.zeros(4, dtype=torch.long)\n    return {'train': (x, y), 'test': (x, y)}\n")
    with pytest.raises(ConfigError, match=r"variants\.mine\.model\.activation: reduce\(h of shape \(2, 3, 4\)\) "
                                          r"returned shape \(2, 3\), expected \(2, 3, 4\)"):
        check_config(toy_config({"kind": "xavier_uniform"}, activation="mine.py:reduce"))
    with pytest.raises(ConfigError, match=r"extensions\.models\.flat: the model of net on images \(2, 1, 8, 8\) "
                                          r"returned shape \(2, 64\), expected \(2, 10\)"):
        check_config({"extensions": {"models": {"flat": "mine.py:net"}}})
    with pytest.raises(ConfigError, match=r"extensions\.datasets\.tiny: train images must be uint8"):
        check_config({"extensions": {"datasets": {"tiny": "mine.py:floats"}}})


def test_reference_files_are_the_user_file_and_the_library_modules_it_imports(tmp_path):
    user = write(tmp_path, "inits.py", "from initgen.analysis import spectra\n\ndef fn(*a):\n    pass\n")
    files = reference_files({"model": {"activation": "relu"}, "init": {"kind": f"{user}:fn"}}, REPO / "src/initgen")
    assert files[0] == user or user in files
    names = {Path(f).name for f in files if f != user}
    assert "spectra.py" in names and "__init__.py" in names
    assert reference_files({"init": {"kind": "xavier_uniform"}}, REPO / "src/initgen") == []


# ------------------------------------------------------------------------------------- the worked example, end to end
def example_config() -> dict:
    """The tiny toy config with only Exp 3 (the paper's variants and the example's two), and nothing else built."""
    tiny = load_test_config("toy")
    experiments = tiny["toy"]["experiments"]
    example = yaml.safe_load((REPO / EXAMPLE / "config.yaml").read_text())
    for name, variant in example["toy"]["experiments"]["fig3_init_spectrum"]["variants"].items():
        variant["model"]["width"] = 16
        variant["train"]["steps"] = 40
        experiments["fig3_init_spectrum"]["variants"][name] = variant
    for artifact in list(experiments):
        if artifact != "fig3_init_spectrum":
            experiments[artifact] = None
    return tiny | {"related": {"asi": None, "linear_imbalance": None, "linear_width": None}, "flat_minima": None,
                   "deep": {"datasets": {"digits": None}, "corruption": None}, "deep_hessian": None}


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    workdir = copy_workflow(tmp_path_factory.mktemp("example") / "wf")
    shutil.copytree(REPO / "examples", workdir / "examples", ignore=shutil.ignore_patterns("__pycache__"))
    run_snakemake(workdir, "report", overrides=example_config())
    return workdir


@pytest.mark.slow
def test_the_example_is_measured_and_judged_beside_the_paper_variants(example):
    metrics = json.loads((example / "results/fig3_init_spectrum/metrics.json").read_text())
    runs = {}
    for run in metrics["runs"]:
        runs.setdefault(run["variant"], []).append(run)
    small, large = runs["e_gaussian_orthogonal_small"], runs["f_gaussian_orthogonal_large"]
    assert len(small) == len(large) == 2 and all(r["user_init"] == r["variant"] for r in small + large)
    assert not any("user_init" in r for r in runs["c_gaussian_xavier"])
    # gain 0.5 gives a smooth network, gain 4 mostly energy above Nyquist (the quantities claim 3 reads)
    assert max(r["hf_fraction_init"] for r in small) < 0.2 < 0.6 < min(r["hf_fraction_init"] for r in large)
    detail = (example / "results/report/claims_detail.md").read_text()
    for variant in ("e_gaussian_orthogonal_small", "f_gaussian_orthogonal_large"):
        rows = [line for line in detail.splitlines() if f"user_init={variant}" in line]
        assert len(rows) == 2 and all("yours:" in row for row in rows), rows
    assert "3c keeps more high-frequency energy than 3d" in detail  # beside the paper's checks
    html = (example / "results/report/index.html").read_text()
    assert "user_init=f_gaussian_orthogonal_large" in html
    # the dose-response scores every fitted run (none fits in 40 steps): yours as the paper's, by centroid at init
    for run in metrics["runs"]:
        run["met_protocol"] = True
    (example / "fitted.json").write_text(json.dumps(metrics))
    points = {(p["label"], p["seed"]): p["bandwidth"] for p in collect_points([example / "fitted.json"])}
    assert points[("f_gaussian_orthogonal_large", 1)] == large[1]["centroid_init"]
    assert {label for label, _ in points} == set(runs)


@pytest.mark.slow
def test_editing_the_example_init_reruns_only_its_jobs(example):
    assert planned_jobs(example, "report", overrides=example_config()) == {}
    path = example / EXAMPLE / "inits.py"
    original, stat = path.read_text(), path.stat()
    path.write_text(original + "\n# edited\n")
    try:
        jobs = planned_jobs(example, "report", overrides=example_config())
    finally:
        path.write_text(original)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    # the two variants that use it retrain (not the paper's five); Exp 3's analysis and figure, the dose-response
    # and the report read their outputs
    assert jobs == {"toy_train": 2, "toy_analyze": 1, "toy_plot": 1, "dose_response_metrics": 1, "report": 1}


def test_a_bad_reference_stops_the_workflow_before_any_job(workflow_copy):
    config = example_config()
    variant = config["toy"]["experiments"]["fig3_init_spectrum"]["variants"]["e_gaussian_orthogonal_small"]
    variant["init"]["kind"] = "examples/missing.py:scaled_orthogonal"
    result = run_snakemake(workflow_copy, "fig3_init_spectrum", overrides=config, check=False)
    assert result.returncode != 0
    assert ("config key toy.experiments.fig3_init_spectrum.variants.e_gaussian_orthogonal_small.init.kind: "
            "file examples/missing.py not found") in result.stdout + result.stderr
    assert not (workflow_copy / "results").exists() and not (workflow_copy / "logs").exists()
