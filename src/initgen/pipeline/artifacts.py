"""Names the workflow and the library share: one definition, imported by both (torch-free, cheap to import).

The Snakemake rules files import this module at plan time (workflow/rules/common.smk), the steps at run time, so
an output path the workflow plans and the file a step writes cannot drift apart.
    INITS                        the two inits of Table 1/3 and Fig 6: random, highbw
    RELATED_ARTIFACTS            the related papers' artifacts: asi, linear_imbalance, linear_width
    MODELS, DATASETS             the built-in classifier and dataset names (zoo.py, data/registry.py; yours:
                                 config `extensions`, initgen.core.extensions)
    init_name(p)                 the init that pre-trains with a fraction p of the labels shuffled (1 -> highbw)
    corruption_fraction(init)    the inverse: None for random, 1 for highbw, p for corrupt<p>
    corruption_inits(fractions)  the inits of the label-corruption sweep, in the order of its fractions
    table_name(dataset)          the deep accuracy table of a dataset: table1_<dataset>, table3_imagenet
    caption_path(artifact, dir)  an artifact's caption file: <artifact>.rst, else its family's (table1.rst)
"""

from __future__ import annotations

from pathlib import Path

from initgen.core.errors import ConfigError

INITS = ("random", "highbw")
RELATED_ARTIFACTS = ("asi", "linear_imbalance", "linear_width")
# Built-in names, here so config checks need not import torch; tests/test_extensions.py checks they match
# initgen.models.zoo.MODELS and initgen.data.registry.DATASETS.
MODELS = ("vgg11", "vgg16", "alexnet", "efficientnet_b0", "densenet121", "resnet18", "resnet50", "senet18",
          "convmixer", "small_cnn", "mlp")
DATASETS = ("digits", "cifar10", "cifar100", "tinyimagenet", "imagenet")


def corruption_fraction(init: str) -> float | None:
    """Fraction of labels shuffled for pre-training: None for `random`, 1 for `highbw`, p for `corrupt<p>`."""
    if init == "random":
        return None
    if init == "highbw":
        return 1.0
    if init.startswith("corrupt"):
        try:
            fraction = float(init[len("corrupt") :])
        except ValueError:
            fraction = -1.0
        if 0.0 <= fraction <= 1.0:
            return fraction
    raise ConfigError(f"unknown init {init!r}: use random, highbw or corrupt<p> with p in [0, 1]")


def init_name(fraction: float) -> str:
    """The init that pre-trains with `fraction` of the labels shuffled (1 -> highbw)."""
    return "highbw" if fraction == 1.0 else f"corrupt{fraction:g}"


def corruption_inits(fractions) -> list[str]:
    """Inits of the label-corruption sweep: p = 1 is highbw itself; the other fractions are corrupt<p>."""
    return [init_name(p) for p in fractions]


def table_name(dataset: str) -> str:
    """The accuracy table (and artifact) of a deep dataset: table3_imagenet for ImageNet, else table1_<dataset>."""
    return "table3_imagenet" if dataset == "imagenet" else f"table1_{dataset}"


def caption_path(artifact: str, captions_dir) -> Path | None:
    """An artifact's caption file: <artifact>.rst, else its family's (table1_cifar10 -> table1.rst); None if none."""
    for name in (artifact, artifact.split("_")[0]):
        path = Path(captions_dir) / f"{name}.rst"
        if path.exists():
            return path
    return None
