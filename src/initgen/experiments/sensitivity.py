"""How each verdict depends on the values we chose: one setting of the sensitivity grid (`initgen sensitivity-setting`).

The papers lost most of their numbers; we chose omega, sigma, widths, the Exp 2 band. `config sensitivity:` fixes,
before any run, a one-at-a-time grid of plausible values around the default config. A *setting* is one value of one
parameter applied to one 1-D artifact's variants (the other variants and values stay as in the default config).
For a setting, each changed variant gets its step size chosen anew by the rule of `initgen select-lr` (training
loss on sweep seeds only: lr_sweep.sweep_variant / choose), is trained on the sensitivity seeds, and the artifact's
metrics.json is rebuilt by the same analysis as the default run (regression_1d_analyze.analyze_experiment); the
unchanged variants are the default run's own training, cut to the same seeds. Where no step size of the grid fits
every sweep run of a changed variant, the setting is *infeasible*: its protocol cannot be met, the sweep table says
why, and checks that need fitted runs are not scored there (sensitivity_summary.py).
"""

from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path

import numpy as np

from initgen.core.arguments import json_arg
from initgen.core.errors import ConfigError
from initgen.core.files import load_npz, write_json, write_text
from initgen.core.runtime import add_runtime_arguments, setup
from initgen.experiments.lr_sweep import choose, sweep_table, sweep_variant
from initgen.experiments.regression_1d_analyze import analyze_experiment
from initgen.experiments.regression_1d_train import train_variant

DEFAULT_LABEL = "default"


def label_of(value) -> str:
    """A setting's value as a file-name-safe label: 10.0 -> "10", 0.05 -> "0.05"; a named option keeps its name."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("/", "-").replace(" ", "")


def _get(block: dict, dotted: str):
    for part in dotted.split("."):
        block = block[part]
    return block


def _set(block: dict, dotted: str, value) -> None:
    *parents, last = dotted.split(".")
    for part in parents:
        block = block.setdefault(part, {})
    block[last] = value


def settings(config: dict) -> list[dict]:
    """Every setting of `config["sensitivity"]`: one per (parameter, value, artifact), the default's marked.

    A parameter gives `key` (a dotted path inside each listed variant, e.g. model.omega) and a list of `values`, or
    `options` (label -> overrides of the experiment block, e.g. the Exp 2 band); `variants` maps each artifact to
    the variants the value is applied to (they are retrained; the others are reused)."""
    block = config.get("sensitivity") or {}
    experiments = config["toy"]["experiments"]
    out = []
    for parameter, spec in (block.get("parameters") or {}).items():
        for artifact, variants in spec["variants"].items():
            if artifact not in experiments:
                continue  # the artifact is dropped from this config: nothing to vary
            experiment = experiments[artifact]
            unknown = sorted(set(variants) - set(experiment["variants"]))
            if unknown:
                raise ConfigError(f"sensitivity.parameters.{parameter}.variants.{artifact}: {unknown} are not "
                                  f"variants of {artifact} ({sorted(experiment['variants'])})")  # fmt: skip
            if "options" in spec:
                choices = [(label, overrides) for label, overrides in spec["options"].items()]
                defaults = {label for label, overrides in choices if not overrides}
            else:
                current = {_get(experiment["variants"][v], spec["key"]) for v in variants}
                choices = [(label_of(v), v) for v in spec["values"]]
                defaults = {label_of(v) for v in spec["values"] if {v} == current}
            for label, value in choices:
                out.append({"parameter": parameter, "what": spec.get("what", parameter), "label": label,
                            "value": value, "artifact": artifact, "variants": list(variants),
                            "default": label in defaults,
                            "id": f"{parameter}={label}/{artifact}"})  # fmt: skip
    return out


def setting_experiment(config: dict, setting: dict) -> dict:
    """The artifact's experiment block with the setting applied."""
    experiment = copy.deepcopy(config["toy"]["experiments"][setting["artifact"]])
    spec = config["sensitivity"]["parameters"][setting["parameter"]]
    if "options" in spec:
        experiment.update(copy.deepcopy(setting["value"]))
    else:
        for variant in setting["variants"]:
            _set(experiment["variants"][variant], spec["key"], setting["value"])
    return experiment


def variant_job(experiment: dict, variant: str, grid_points: int) -> dict:
    """The training job of one variant, as the toy_train rule builds it."""
    keys = ("target", "train_x", "depths", "fit_frequencies", "converged_rel_error")
    job = {k: experiment[k] for k in keys if k in experiment}
    return job | {"variant": experiment["variants"][variant], "grid_points": grid_points}


def default_feasibility(experiment: dict, root: str | Path = ".") -> dict[str, bool]:
    """Per variant of the default config: whether its step size fits every sweep run, as its select-lr table
    (`train.sweep`, config/sweeps/) says; a variant without a stopping rule or table has nothing to fit."""
    out = {}
    for name, variant in experiment["variants"].items():
        table = variant["train"].get("sweep")
        if not table:
            out[name] = True
            continue
        path = Path(root) / table
        if not path.exists():
            raise ConfigError(f"train.sweep of variant {name}: {path} not found (initgen select-lr --out writes it)")
        text = path.read_text()
        out[name] = "fits every sweep run: False" not in text
    return out


def select_seeds(data: dict, seeds: list[int]) -> dict:
    """A saved training (train/<variant>.npz) cut to `seeds`, in that order (the default run trains more)."""
    have = [int(s) for s in data["seeds"]]
    missing = sorted(set(seeds) - set(have))
    if missing:
        raise ConfigError(f"sensitivity.seeds {missing} are not among the default run's seeds {have}")
    idx = np.asarray([have.index(s) for s in seeds])
    out = dict(data)
    out["seeds"] = np.asarray(seeds)
    out["predictions"] = data["predictions"][:, idx]
    out["losses"] = data["losses"][:, :, idx]
    out["steps_taken"] = data["steps_taken"][:, idx]
    out["pretrain_final_loss"] = data["pretrain_final_loss"][:, idx]
    return out


def choose_step_size(job: dict, sweep_seeds: list[int], lrs: list[float], device: str) -> tuple[dict, str]:
    """Sweep one variant's step sizes and set the chosen one in the job (select-lr's rule); returns the choice and
    the sweep table as Markdown. A variant without a stopping rule (a fixed budget) keeps its step size."""
    train = job["variant"]["train"]
    if train["steps"] == 0 or (train.get("stop_mse") is None and not job.get("fit_frequencies")):
        return {"lr": train.get("lr"), "fits": True, "why": "fixed budget, no stopping rule: step size kept"}, ""
    table = sweep_table(sweep_variant(job, sweep_seeds, lrs, device))
    per_depth = len(job.get("depths") or []) > 1
    choice = choose(table, per_depth)
    train.pop("lr_by_depth", None)
    train.pop("lr", None)
    if per_depth:
        train["lr_by_depth"] = choice["lr"]
    else:
        train["lr"] = choice["lr"]
    return choice, table.to_markdown(index=False)


def setting_job(config: dict, setting: dict) -> dict:
    """Everything one setting's step needs, and nothing else (so editing another setting does not rerun it)."""
    block = config["sensitivity"]
    seeds = list(config["seeds"])[: block["n_seeds"]]
    return {"setting": setting, "experiment": setting_experiment(config, setting), "seeds": seeds,
            "sweep_seeds": list(block["sweep_seeds"]), "lrs": list(block["lrs"]),
            "grid_points": config["toy"]["grid_points"]}  # fmt: skip


def run_setting(job: dict, default_trained: dict[str, dict], device: str = "cpu") -> dict:
    """Train what the setting changes, reuse the rest; returns {metrics, feasible, choices, sweeps}."""
    setting, experiment = job["setting"], copy.deepcopy(job["experiment"])
    trained, choices, sweeps = {}, {}, {}
    for variant in experiment["variants"]:
        if variant not in setting["variants"]:
            if variant not in default_trained:
                raise ConfigError(f"setting {setting['id']}: the default run's train/{variant}.npz was not given")
            trained[variant] = select_seeds(default_trained[variant], job["seeds"])
            continue
        one = variant_job(experiment, variant, job["grid_points"])
        choices[variant], sweeps[variant] = choose_step_size(one, job["sweep_seeds"], job["lrs"], device)
        experiment["variants"][variant] = one["variant"]  # with the chosen step size, for the analysis
        trained[variant] = train_variant(one, job["seeds"], device)
    metrics, _ = analyze_experiment(setting["artifact"], experiment, trained)
    feasible = all(c["fits"] for c in choices.values())
    metrics["sensitivity"] = {"setting": setting, "feasible": feasible, "step_sizes": choices}
    return {"metrics": metrics, "feasible": feasible, "choices": choices, "sweeps": sweeps}


def sweep_report(setting: dict, result: dict, sweep_seeds: list[int]) -> str:
    lines = [f"# Sensitivity setting {setting['id']}", "",
             f"{setting['what']} = {setting['label']} for {setting['variants']} of {setting['artifact']}; every other "
             "value as the default config. Step sizes chosen by `initgen select-lr`'s rule on sweep seeds "
             f"{sweep_seeds} (training loss only).", "",
             "Feasible (every changed variant has a step size that fits every sweep run): "
             f"{result['feasible']}", ""]  # fmt: skip
    for variant, choice in result["choices"].items():
        lines += [f"## {variant}", "", f"Choice: lr = {json.dumps(choice['lr'])} (fits: {choice['fits']}; "
                  f"{choice['why']})", "", result["sweeps"][variant], ""]  # fmt: skip
    return "\n".join(lines)


def cli_setting(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="initgen sensitivity-setting",
                                     description="Rebuild one 1-D artifact's metrics at one setting of the "
                                     "sensitivity grid (step sizes re-chosen from training loss on sweep seeds).")
    parser.add_argument("--job", required=True,
                        help="JSON: {setting, experiment, seeds, sweep_seeds, lrs, grid_points} (setting_job)")
    parser.add_argument("--trained", nargs="*", default=[], help="the default run's train/<variant>.npz files")
    add_runtime_arguments(parser)
    parser.add_argument("--out-dir", required=True, help="folder for metrics.json and sweep.md")
    args = parser.parse_args(argv)
    job = json_arg(args.job, "job")
    device = setup(args.device, args.threads)
    default_trained = {Path(p).stem: load_npz(p) for p in args.trained}
    result = run_setting(job, default_trained, device)
    out = Path(args.out_dir)
    write_text(out / "sweep.md", sweep_report(job["setting"], result, job["sweep_seeds"]))
    write_json(out / "metrics.json", result["metrics"])
    return 0
