"""A bad config stops the workflow before any job: non-zero exit, the key named, nothing under results/."""

import copy

import pytest
import yaml
from conftest import REPO, run_snakemake


def _default():
    return yaml.safe_load((REPO / "config/config.yaml").read_text())


def _set(config, path, value):
    node = config
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return config


FIG1 = ("toy", "experiments", "fig1_depth")
RELU = FIG1 + ("variants", "relu")
BAD = {
    "unknown top-level key": (("learning_rate",), 0.1, "learning_rate"),
    "unknown nested key": (
        RELU + ("train", "momentum"),
        0.9,
        "toy.experiments.fig1_depth.variants.relu.train.momentum",
    ),
    "depth 0": (FIG1 + ("depths",), [0, 2], "toy.experiments.fig1_depth.depths[0]"),
    "negative learning rate": (RELU + ("train", "lr"), -0.01, "toy.experiments.fig1_depth.variants.relu.train.lr"),
    "unknown activation": (
        RELU + ("model", "activation"),
        "tanhh",
        "toy.experiments.fig1_depth.variants.relu.model.activation",
    ),
    "width as a string": (RELU + ("model", "width"), "wide", "toy.experiments.fig1_depth.variants.relu.model.width"),
    "seeds not a list": (("seeds",), 3, "seeds"),
    "unknown optimizer": (
        RELU + ("train", "optimizer"),
        "rmsprop",
        "toy.experiments.fig1_depth.variants.relu.train.optimizer",
    ),
    "unknown init kind": (RELU + ("init", "kind"), "he", "toy.experiments.fig1_depth.variants.relu.init.kind"),
    "negative grid size": (("toy", "grid_points"), -5, "toy.grid_points"),
    "unknown device": (("device",), "tpu", "device"),
    "unknown flat-minima bandwidth": (
        ("flat_minima", "variants", "relu_low", "bandwidth"),
        "medium",
        "flat_minima.variants.relu_low.bandwidth",
    ),
    "negative linear_width seed": (
        ("related", "linear_width", "seeds"),
        [0, -1],
        "related.linear_width.seeds[1]",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_config_is_refused_with_its_key(case, workflow_copy):
    path, value, key = BAD[case]
    config = _set(copy.deepcopy(_default()), path, value)
    (workflow_copy / "config/config.yaml").write_text(yaml.safe_dump(config))
    result = run_snakemake(workflow_copy, "fig1_depth", check=False)
    assert result.returncode != 0
    assert key in result.stderr + result.stdout
    assert not (workflow_copy / "results").exists()


def test_default_and_paper_configs_are_valid():
    from initgen.core.config import load_config, validate_config

    schema = REPO / "workflow/schemas/config.schema.yaml"
    validate_config(load_config(REPO / "config/config.yaml"), schema)
    validate_config(load_config(REPO / "config/config.yaml", REPO / "config/paper.yaml"), schema)


def test_numeric_strings_from_the_command_line_become_numbers_where_the_schema_wants_numbers():
    from initgen.core.config import coerce_numbers, load_schema, validate_config

    schema_path = REPO / "workflow/schemas/config.schema.yaml"
    config = _default()
    config["seeds"] = ["0", "1", "2", "3", "4"]  # what `--config 'seeds=[0,1,2,3,4]'` hands over
    _set(config, FIG1 + ("depths",), ["1", "8"])
    _get(config, RELU + ("train",)).pop("lr_by_depth")  # one step size for every depth instead
    _set(config, RELU + ("train", "lr"), "1e-3")
    _set(config, RELU + ("model", "activation"), "relu")
    coerced = coerce_numbers(config, load_schema(schema_path))
    assert coerced["seeds"] == [0, 1, 2, 3, 4] and all(type(s) is int for s in coerced["seeds"])
    assert _get(coerced, FIG1 + ("depths",)) == [1, 8] and _get(coerced, RELU + ("train", "lr")) == 0.001
    assert _get(coerced, RELU + ("model", "activation")) == "relu"  # strings the schema wants stay strings
    validate_config(coerced, schema_path)
    _set(config, RELU + ("model", "width"), "wide")  # not a number: still refused, with its key
    with pytest.raises(Exception, match=r"fig1_depth\.variants\.relu\.model\.width"):
        validate_config(coerce_numbers(config, load_schema(schema_path)), schema_path)
    with pytest.raises(Exception, match=r"seeds\[0\]"):
        validate_config(coerce_numbers(config | {"seeds": ["1.5"]}, load_schema(schema_path)), schema_path)


def _get(config, path):
    for key in path:
        config = config[key]
    return config


def test_seeds_given_with_config_on_the_command_line_plan_every_seed(workflow_copy):
    # --config takes every word after it as a key=value pair: the target goes before it
    result = run_snakemake(workflow_copy, "fig1_depth", "-n", "-p", "--config", "seeds=[0,1,2,3,4]")
    assert "--seeds '[0, 1, 2, 3, 4]'" in result.stdout + result.stderr


def test_an_override_drops_artifact_blocks_set_to_null_and_nothing_else():
    from initgen.core.config import deep_merge, drop_nulled, load_config, validate_config

    paper = load_config(REPO / "config/config.yaml", REPO / "config/paper.yaml")
    sliced = drop_nulled(deep_merge(paper, {
        "toy": {"experiments": {"fig1_depth": None}}, "related": {"asi": None}, "flat_minima": None,
        "deep": {"datasets": {"imagenet": None}, "corruption": None}, "deep_hessian": {"datasets": {"digits": None}},
    }))  # fmt: skip
    assert "fig1_depth" not in sliced["toy"]["experiments"] and "fig2_spectral_bias" in sliced["toy"]["experiments"]
    assert "asi" not in sliced["related"] and "linear_width" in sliced["related"] and "flat_minima" not in sliced
    assert "imagenet" not in sliced["deep"]["datasets"] and "cifar10" in sliced["deep"]["datasets"]
    assert "corruption" not in sliced["deep"] and list(sliced["deep_hessian"]["datasets"]) == ["cifar10"]
    validate_config(sliced, REPO / "workflow/schemas/config.schema.yaml")
    # A null anywhere else is not a drop: the schema still names the key.
    kept = drop_nulled(deep_merge(paper, {"deep": {"train": {"lr": None}}}))
    with pytest.raises(Exception, match="deep.train.lr"):
        validate_config(kept, REPO / "workflow/schemas/config.schema.yaml")


def test_the_schema_is_where_defaults_live_and_validation_fills_them():
    """deep.compile, checkpoint_every and input_gradients' keys come from the schema's `default:`, once; a key
    the config gives is kept; a block the config does not have is not created."""
    from initgen.core.config import validate_config

    config = yaml.safe_load((REPO / "config/config.yaml").read_text())
    for key in ("compile", "checkpoint_every", "input_gradients"):
        config["deep"].pop(key, None)
    config["deep"]["input_gradients"] = {"images": 64}
    filled = validate_config(config, REPO / "workflow/schemas/config.schema.yaml")
    assert filled["deep"]["compile"] is False and filled["deep"]["checkpoint_every"] == 1
    assert filled["deep"]["input_gradients"] == {"images": 64, "batch_size": 128, "sample_values": 20000,
                                                 "calibration_images": 1024}  # fmt: skip
    del config["deep"]["input_gradients"]
    assert validate_config(config, REPO / "workflow/schemas/config.schema.yaml")["deep"]["input_gradients"][
        "images"] == 256  # fmt: skip


def test_a_schedule_gets_the_defaults_of_its_kind_from_the_schema():
    """gamma and milestones depend on the schedule's kind, warm-up does not; the schema fills them
    (training/classifier.py has no copy): a constant schedule gets no warm-up."""
    from initgen.core.config import validate_config
    from initgen.training.classifier import learning_rate

    config = _default()
    assert validate_config(copy.deepcopy(config), REPO / "workflow/schemas/config.schema.yaml")["deep"]["train"][
        "schedule"] == {"kind": "constant", "warmup_epochs": 0}  # fmt: skip
    config["deep"]["train"]["schedule"] = {"kind": "step", "milestones": [3]}
    config["deep"]["pretrain"]["schedule"] = {"kind": "exponential", "warmup_epochs": 1}
    filled = validate_config(config, REPO / "workflow/schemas/config.schema.yaml")["deep"]
    assert filled["train"]["schedule"] == {"kind": "step", "milestones": [3], "gamma": 0.1, "warmup_epochs": 0}
    assert filled["pretrain"]["schedule"] == {"kind": "exponential", "warmup_epochs": 1, "gamma": 0.95}
    lr = filled["train"]["lr"]
    assert [learning_rate(filled["train"], epoch) for epoch in (2, 3)] == pytest.approx([lr, lr * 0.1])
    assert learning_rate(filled["pretrain"], 3) == pytest.approx(lr * 0.95**2)
    config["deep"]["train"]["schedule"] = {"kind": "step"}  # no milestones: the rate never steps
    filled = validate_config(config, REPO / "workflow/schemas/config.schema.yaml")["deep"]
    assert filled["train"]["schedule"]["milestones"] == [] and learning_rate(filled["train"], 50) == lr
