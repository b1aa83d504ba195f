"""Write dvc.yaml (default-config artifacts) and paper/dvc.yaml (paper-only artifacts) from the Snakemake workflow.

    .venv/bin/python workflow/scripts/dvc_stages.py           # rewrite both files
    .venv/bin/python workflow/scripts/dvc_stages.py --check   # exit 1 if they are out of date (tests run this)

Snakemake owns the DAG; DVC only caches, pushes and versions what Snakemake built. One stage per paper artifact,
named after it, whose command asks Snakemake for that target; shared stages own what several artifacts need
(prepared data, deep checkpoints) because DVC forbids two stages from owning overlapping outputs.
An artifact target rule is a rule without wildcards and outputs whose inputs all lie under results/<rule name>/
(or, like `report`, whose outputs do). Run it from the repository root.
"""

from __future__ import annotations

import argparse
import sys
from contextlib import contextmanager
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = "config/config.yaml"
PAPER_CONFIG = "config/paper.yaml"
# Code (and the recorded step-size sweeps) every stage depends on: DVC hashes these folders; Snakemake then decides
# which jobs an edit reruns.
CODE_DEPS = ["Snakefile", "workflow/rules", "workflow/schemas", "src/initgen", "config/sweeps"]
# The environment's Snakemake whether or not it is activated (`.venv/bin/dvc repro` works as `dvc repro` does);
# a profile in $SNAKEMAKE_PROFILE (e.g. cluster) is honoured by Snakemake.
SNAKEMAKE = "sh workflow/scripts/snakemake.sh --cores all"
SHARED_DEEP = ["data/prepared", "checkpoints", "results/deep"]
METADATA = ".snakemake/metadata"


@contextmanager
def loaded_workflow(configfiles: list[str]):
    """The Snakemake workflow (rules and their files) under these config files, without running anything."""
    from snakemake.api import SnakemakeApi
    from snakemake.settings.types import ConfigSettings, OutputSettings, ResourceSettings

    with SnakemakeApi(OutputSettings(quiet={"all"})) as api:
        yield api.workflow(
            resource_settings=ResourceSettings(cores=1),
            config_settings=ConfigSettings(configfiles=[ROOT / f for f in configfiles]),
            snakefile=ROOT / "Snakefile",
            workdir=ROOT,
        )._workflow


def artifact_rules(configfiles: list[str]) -> dict[str, list[str]]:
    """The artifact target rules of the workflow under these config files, in definition order: name -> its
    figures (the PNG files among its outputs, which DVC shows as image plots)."""
    with loaded_workflow(configfiles) as workflow:
        rules = {}
        for rule in workflow.rules:
            if rule.has_wildcards() or rule.name == "all":
                continue
            files = [str(f) for f in (rule.output or rule.input)]
            if files and all(f.startswith(f"results/{rule.name}/") for f in files):
                rules[rule.name] = [f for f in files if f.endswith(".png")]
        return rules


def classifier_histories(configfiles: list[str]) -> dict[str, list[str]]:
    """Dataset -> per-run training histories (CSV: epoch, losses, accuracies) its curves figure reads."""
    with loaded_workflow(configfiles) as workflow:
        prefix = "deep_curves_"
        return {rule.name[len(prefix):]: [str(f) for f in rule.input.histories]
                for rule in workflow.rules if rule.name.startswith(prefix)}


# Data plots (DVC draws them from data; `dvc plots show/diff`): per artifact, x and y columns of its runs.csv
# (workflow/rules/headline.smk), one point per run.
SWEEP_PLOTS = {
    "corruption_sweep": ("fraction", "test_acc"),  # fraction of shuffled labels in pre-training vs test accuracy
    "linear_width": ("width", "distance"),  # hidden width vs distance to the min-norm solution
    "dose_response": ("bandwidth", "gap"),  # initial bandwidth vs generalization gap, every run
}
# Per-run classifier training curves: epoch vs these columns of each run's history.
CURVES = ("train_loss", "test_acc")


def toy_curve_plots(artifacts: list[str], config: dict, prefix: str = "") -> list[dict]:
    """Training MSE per step of every run of each 1-D variant (columns: reporting/curves.py)."""
    plots = []
    for name in artifacts:
        experiment = config["toy"]["experiments"].get(name)
        if experiment is None:
            continue
        depths = experiment.get("depths", [None])
        columns = [f"mse_depth{d}_seed{s}" if len(depths) > 1 else f"mse_seed{s}" for d in depths
                   for s in config["seeds"]]
        for variant in experiment["variants"]:
            plots.append({f"{name}_{variant}_train_mse": {
                "template": "linear", "x": "step", "y": {f"{prefix}results/{name}/curves/{variant}.csv": list(columns)},
                "title": f"{name} {variant}: training MSE per step, one line per run"}})
    return plots


def linear_plots(artifacts: list[str], config: dict) -> list[dict]:
    """Min et al.: the loss and the Theorem 1 bound per case against the iteration (src/initgen/reporting/curves.py)."""
    if "linear_imbalance" not in artifacts:
        return []
    names = [case["name"] for case in config["related"]["linear_imbalance"]["cases"]]
    columns = [f"loss_{n}" for n in names] + [f"bound_{n}" for n in names]
    return [{"linear_imbalance_loss_vs_bound": {
        "template": "linear", "x": "iteration", "y": {"results/linear_imbalance/curves.csv": columns},
        "title": "linear_imbalance: training loss and Theorem 1 bound per case (mean over seeds)"}}]


def data_plots(artifacts: list[str], histories: dict[str, list[str]], prefix: str = "") -> list[dict]:
    plots = []
    for name, (x, y) in SWEEP_PLOTS.items():
        if name in artifacts:
            data = f"{prefix}results/{name}/runs.csv"
            plots.append({f"{name}_{y}_vs_{x}": {"template": "scatter", "x": x, "y": {data: y},
                                                  "title": f"{name}: {y} against {x}, one point per run"}})
    for dataset, files in histories.items():
        for column in CURVES:
            plots.append({f"{dataset}_{column}_per_epoch": {
                "template": "linear", "x": "epoch", "y": {prefix + f: column for f in files},
                "title": f"{dataset} classifiers: {column} per epoch, one line per run"}})
    return plots


def has_key(config: dict, dotted: str) -> bool:
    for part in dotted.split("."):
        if not isinstance(config, dict) or part not in config:
            return False
        config = config[part]
    return True


def param_keys(name: str, config: dict) -> list[str] | None:
    """Config keys that change the artifact's results (None: the whole file, for artifacts we cannot place)."""
    if name in config["toy"]["experiments"]:
        return ["seeds", "device", "toy.grid_points", f"toy.experiments.{name}"]
    if name in config.get("related", {}):
        return ["seeds", "device", f"related.{name}"]
    if name.startswith(("table1_", "table3_")) or name in ("fig6_input_gradients", "corruption_sweep"):
        return ["seeds", "device", "data", "deep"]
    return None


def uses_deep(name: str, config: dict) -> bool:
    """Whether the artifact may read the shared deep stages (all but the 1-D and related-paper artifacts)."""
    return name not in config["toy"]["experiments"] and name not in config.get("related", {})


def params_entry(keys: list[str] | None, default: dict, paper: dict) -> list:
    """DVC params: the keys in config.yaml, and those of them that paper.yaml overrides (missing keys are errors)."""
    if keys is None:
        return [{DEFAULT_CONFIG: None}, {PAPER_CONFIG: None}]
    entry = [{DEFAULT_CONFIG: [k for k in keys if has_key(default, k)]}]
    paper_keys = [k for k in keys if has_key(paper, k)]
    if paper_keys:
        entry.append({PAPER_CONFIG: paper_keys})
    return entry


def headline(name: str) -> str:
    """The artifact's headline folder (workflow/rules/headline.smk): what DVC shows as its metrics, a row a file."""
    return f"results/{name}/headline"


def artifact_stage(name: str, default: dict, paper: dict, wd: str | None = None) -> dict:
    # the headline rule's tracked output, written with the folder (headline.smk: no directory() output)
    stage = {"cmd": f"{SNAKEMAKE} {name} {headline(name)}.json"}
    if wd:
        stage["wdir"] = wd
    deep = uses_deep(name, default)
    stage["deps"] = CODE_DEPS + (SHARED_DEEP if deep else [])
    stage["params"] = params_entry(param_keys(name, default), default, paper)
    stage["outs"] = [{f"results/{name}": {"persist": True}}]
    return stage


def build(default_artifacts: list[str], paper_artifacts: list[str], shared: bool = True,
          histories: dict[str, list[str]] | None = None, paper_histories: dict[str, list[str]] | None = None,
          default: dict | None = None, figures: dict[str, list[str]] | None = None) -> tuple[dict, dict]:
    """(dvc.yaml, paper/dvc.yaml) contents; shared=False leaves out the data and deep stages (tests of 1-D work);
    `default`: the default config (config/config.yaml unless given)."""
    default = default or yaml.safe_load((ROOT / DEFAULT_CONFIG).read_text())
    paper = yaml.safe_load((ROOT / PAPER_CONFIG).read_text())
    shared_params = ["seeds", "device", "data", "deep"]
    stages = {
        # Prepared datasets: every deep job reads them; pulled so that no preparation (or download) reruns.
        "data": {
            "cmd": f"{SNAKEMAKE} --until data_prepare",
            "deps": CODE_DEPS,
            "params": params_entry(["data"], default, paper),
            "outs": [{"data/prepared": {"persist": True}}],
        },
        # Deep training runs and their checkpoints, shared by table1_*, fig6, the sweep and the Hessian artifacts:
        # one stage owns them (DVC forbids overlapping outputs); the artifacts depend on it.
        # `--until` names the last rules only: Snakemake never starts a job downstream of an --until rule's job
        # (with deep_pretrain listed, the training runs from pre-trained inits stalled: "Out of jobs ready").
        "deep_runs": {
            "cmd": f"{SNAKEMAKE} --until deep_train deep_input_gradients",
            "deps": CODE_DEPS + ["data/prepared"],
            "params": params_entry(shared_params, default, paper),
            "outs": [{"checkpoints": {"persist": True}}, {"results/deep": {"persist": True}}],
        },
    }
    if not shared:
        stages = {}
    for name in default_artifacts:
        stages[name] = artifact_stage(name, default, paper)
    # Snakemake's record of how each output was made (params, code, input checksums), so that in a fresh clone
    # the params/code triggers still work and pulled files are not rerun for their new mtimes. Runs last.
    stages["snakemake_metadata"] = {
        "cmd": f"test -d {METADATA}",
        "deps": (SHARED_DEEP if shared else []) + [f"results/{name}" for name in default_artifacts],
        "outs": [{METADATA: {"persist": True}}],
    }
    root = {
        "stages": stages,
        "metrics": [headline(name) for name in default_artifacts],
        "plots": [png for name in default_artifacts for png in (figures or {}).get(name, [])]
        + toy_curve_plots(default_artifacts, default) + linear_plots(default_artifacts, default)
        + data_plots(default_artifacts, histories or {}),
    }
    paper_stages = {
        # Downloaded archives (paper datasets): pulled so that Snakemake does not download them again.
        "data_raw": {
            "cmd": f"{SNAKEMAKE} --until " + " ".join(f"data_download_{d}" for d in ("cifar10", "cifar100",
                                                                                      "tinyimagenet")),
            "wdir": "..",
            "deps": CODE_DEPS,
            "outs": [{"data/raw": {"persist": True}}],
        }
    }
    for name in paper_artifacts:
        paper_stages[name] = artifact_stage(name, default, paper, wd="..")
    paper_file = {
        "stages": paper_stages,
        "metrics": [f"../{headline(name)}" for name in paper_artifacts],
        "plots": data_plots(paper_artifacts, paper_histories or {}, prefix="../"),
    }
    return root, paper_file


HEADER = """\
# GENERATED by workflow/scripts/dvc_stages.py from the Snakemake workflow; edit that script, not this file.
# Snakemake owns the DAG: each stage asks Snakemake for one paper artifact (same name) and DVC caches, pushes and
# versions its results. Shared stages own what several artifacts need (DVC forbids overlapping outputs):
#   data       data/prepared              every deep job reads it
#   deep_runs  checkpoints, results/deep  table1_*, fig6_input_gradients, corruption_sweep, Hessian artifacts
#   snakemake_metadata  .snakemake/metadata  how each output was made, so a fresh clone + `dvc pull` reruns nothing
# persist: true everywhere: DVC must not delete outputs before a stage runs; Snakemake reruns only what changed.
# Stage commands run workflow/scripts/snakemake.sh: the Snakemake of the activated environment, else of .venv/.
# Paper scale: SNAKEMAKE_PROFILE=cluster dvc repro (Snakemake reads the profile from the environment).
"""

PAPER_HEADER = """\
# GENERATED by workflow/scripts/dvc_stages.py: artifacts that only the paper config builds (CIFAR, Tiny
# ImageNet, ImageNet). Reproduce with the cluster profile:  SNAKEMAKE_PROFILE=cluster dvc repro paper/dvc.yaml
# A separate file so that `dvc repro` of the default config (dvc.yaml) does not ask for targets it lacks.
"""


def render(header: str, content: dict) -> str:
    return header + yaml.safe_dump(content, sort_keys=False, width=120).replace(": null", ":")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="exit 1 if dvc.yaml or paper/dvc.yaml is out of date")
    args = parser.parse_args(argv)
    figures = artifact_rules([])
    default_artifacts = list(figures)
    paper_all = list(artifact_rules([PAPER_CONFIG]))
    paper_artifacts = [name for name in paper_all if name not in default_artifacts]
    histories = classifier_histories([])
    paper_histories = {d: f for d, f in classifier_histories([PAPER_CONFIG]).items() if d not in histories}
    root, paper_file = build(default_artifacts, paper_artifacts, histories=histories, paper_histories=paper_histories,
                             figures=figures)
    files = {ROOT / "dvc.yaml": render(HEADER, root), ROOT / "paper/dvc.yaml": render(PAPER_HEADER, paper_file)}
    stale = [path for path, text in files.items() if not path.exists() or path.read_text() != text]
    if args.check:
        for path in stale:
            print(f"{path.relative_to(ROOT)} is out of date: run workflow/scripts/dvc_stages.py", file=sys.stderr)
        return 1 if stale else 0
    for path, text in files.items():
        path.parent.mkdir(exist_ok=True)
        path.write_text(text)
        print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
