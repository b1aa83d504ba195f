"""The data rules (workflow/rules/data.smk) in a throw-away copy of the workflow."""

from __future__ import annotations

import re

import pytest
import torch
from conftest import REPO, planned_jobs, run_snakemake

from initgen.core.config import load_config, validate_config
from initgen.core.errors import ConfigError
from initgen.data import registry

SCHEMA = REPO / "workflow/schemas/config.schema.yaml"


def test_rule_file_names_match_the_registry():
    # data.smk lists the archive names itself (importing the registry would import torch on every start).
    text = (REPO / "workflow/rules/data.smk").read_text()
    listed = dict(re.findall(r'^    "(\w+)": "([\w.-]+)",$', text, flags=re.M))
    assert listed == {
        name: registry.raw_path(name).name for name in registry.names() if registry.raw_path(name)
    }


def test_digits_prepared_by_snakemake_and_rerun_on_option_change(workflow_copy):
    run_snakemake(workflow_copy, "data/prepared/digits/train.pt", "data/prepared/digits/test.pt")
    images, labels = registry.load_split("digits", "test", workflow_copy / "data")
    assert images.shape == (360, 1, 8, 8) and set(labels.tolist()) == set(range(10))
    assert planned_jobs(workflow_copy, "data/prepared/digits/train.pt") == {}
    # A changed split option is a changed param: the preparation reruns.
    changed = {"data": {"root": "data", "digits": {"test_fraction": 0.2, "split_seed": 5}}}
    assert planned_jobs(workflow_copy, "data/prepared/digits/train.pt", overrides=changed) == {
        "data_prepare": 1
    }
    assert (
        torch.load(workflow_copy / "data/prepared/digits/train.pt", weights_only=True)["images"].dtype
        == torch.uint8
    )


def test_placed_archive_is_not_downloaded(workflow_copy):
    target = "data/prepared/cifar10/train.pt"
    assert planned_jobs(workflow_copy, target) == {"data_download_cifar10": 1, "data_prepare": 1}
    raw = workflow_copy / "data/raw/cifar-10-python.tar.gz"
    raw.parent.mkdir(parents=True)
    raw.write_bytes(b"placed by hand")
    assert planned_jobs(workflow_copy, target) == {"data_prepare": 1}


def test_data_config_errors_name_the_key():
    config = load_config(REPO / "config/config.yaml")
    validate_config(config, SCHEMA)
    config["data"]["digits"]["test_fractoin"] = 0.3
    config["data"]["imagenet"]["image_size"] = "big"
    with pytest.raises(ConfigError) as error:
        validate_config(config, SCHEMA)
    assert "data.digits.test_fractoin" in str(error.value) and "data.imagenet.image_size" in str(error.value)
