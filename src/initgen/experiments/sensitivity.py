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

The sweeps are most of a setting's cost (27 sweep runs per depth against the 5 trained). Where `sensitivity.sweeps`
names a folder (the CPU default: config/sweeps/sensitivity/), each setting's sweep is run once by `initgen
sensitivity-sweep`, as the default config's own step sizes are by `initgen select-lr` (config/sweeps/), and read from
its record there; a record keyed to other sweep inputs (the experiment block, sweep seeds or step-size grid changed)
stops the workflow before any job. `sensitivity.sweeps: null` sweeps in the run (config/paper.yaml).
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd

from initgen.analysis.curvature.hessian import resolve_settings
from initgen.analysis.protocol import loss_status
from initgen.core.arguments import json_arg
from initgen.core.config import load_config
from initgen.core.errors import ConfigError
from initgen.core.files import load_npz, read_json, write_json, write_text
from initgen.core.runtime import add_runtime_arguments, setup
from initgen.experiments import asi_runs, flat_minima, flat_minima_train
from initgen.experiments.asi_linear_analyze import analyze_asi
from initgen.experiments.lr_sweep import choose, sweep_table, sweep_variant
from initgen.experiments.regression_1d_analyze import analyze_experiment
from initgen.experiments.regression_1d_train import DEFAULT_DEPTH, train_variant

FLAT_MINIMA = "table2_flat_minima"  # Exp 5: its block is config `flat_minima:` (the 1-D ones: `toy.experiments:`)
FLAT_MINIMA_KEYS = ("draws", "draw_seed", "amplitudes", "frequencies", "train_x", "test_points")
ASI = "asi"  # Zhang et al.'s ASI: config `related.asi:`, one spec shared by its variants (a list of names)

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


def artifact_blocks(config: dict) -> dict[str, dict]:
    """Every artifact a setting can vary, with its config block: the 1-D regressions and Exp 5."""
    blocks = dict((config.get("toy") or {}).get("experiments") or {})
    if config.get("flat_minima"):
        blocks[FLAT_MINIMA] = config["flat_minima"]
    if (config.get("related") or {}).get(ASI):
        blocks[ASI] = config["related"][ASI]
    return blocks


def settings(config: dict) -> list[dict]:
    """Every setting of `config["sensitivity"]`: one per (parameter, value, artifact), the default's marked.

    A parameter gives `key` (a dotted path inside each listed variant, e.g. model.omega) and a list of `values`, or
    `options` (label -> overrides of the experiment block, e.g. the Exp 2 band); `variants` maps each artifact to
    the variants the value is applied to (they are retrained; the others are reused)."""
    block = config.get("sensitivity") or {}
    experiments = artifact_blocks(config)
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
                current = ({_get(experiment, spec["key"])} if artifact == ASI else
                           {_get(experiment["variants"][v], spec["key"]) for v in variants})  # fmt: skip
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
    experiment = copy.deepcopy(artifact_blocks(config)[setting["artifact"]])
    spec = config["sensitivity"]["parameters"][setting["parameter"]]
    if "options" in spec:
        experiment.update(copy.deepcopy(setting["value"]))
    elif setting["artifact"] == ASI:  # one spec for every ASI variant
        _set(experiment, spec["key"], setting["value"])
    else:
        for variant in setting["variants"]:
            _set(experiment["variants"][variant], spec["key"], setting["value"])
    return experiment


def variant_job(experiment: dict, variant: str, grid_points: int, artifact: str | None = None) -> dict:
    """The training job of one variant, as the toy_train rule (flat_minima_train for Exp 5) builds it."""
    if artifact == FLAT_MINIMA:
        return {k: experiment[k] for k in FLAT_MINIMA_KEYS} | {"variant": experiment["variants"][variant]}
    keys = ("target", "train_x", "depths", "fit_frequencies", "converged_rel_error")
    job = {k: experiment[k] for k in keys if k in experiment}
    return job | {"variant": experiment["variants"][variant], "grid_points": grid_points}


def default_feasibility(experiment: dict, root: str | Path = ".") -> dict[str, bool]:
    """Per variant of the default config: whether its step size fits every sweep run, as its select-lr table
    (`train.sweep`, config/sweeps/) says; a variant without a stopping rule or table has nothing to fit."""
    out = {}
    if isinstance(experiment["variants"], list):  # ASI: step sizes from the NTK rule, no sweep table
        return dict.fromkeys(experiment["variants"], True)
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


def apply_choice(job: dict, choice: dict) -> None:
    """Set a chosen step size (one, or one per depth) in a variant's job."""
    train = job["variant"]["train"]
    train.pop("lr_by_depth", None)
    train.pop("lr", None)
    if isinstance(choice["lr"], dict):
        train["lr_by_depth"] = choice["lr"]
    else:
        train["lr"] = choice["lr"]


def needs_sweep(job: dict) -> bool:
    """A variant without a stopping rule (a fixed budget) keeps its step size: nothing to fit, nothing to sweep."""
    train = job["variant"]["train"]
    return not (train["steps"] == 0 or (train.get("stop_mse") is None and not job.get("fit_frequencies")))


def sweep_flat_minima(job: dict, seeds: list[int], lrs: list[float], device: str = "cpu") -> pd.DataFrame:
    """An Exp 5 variant trained at every step size on the sweep seeds (every signal draw of each); one row per
    (lr, draw, seed), as lr_sweep.sweep_variant's, read by the same table and rule."""
    train = job["variant"]["train"]
    depth = job["variant"]["model"].get("depth", DEFAULT_DEPTH)
    rows = []
    for lr in lrs:
        one = copy.deepcopy(job)
        one["variant"]["train"]["lr"] = lr
        arrays = flat_minima_train.train_variant(one, seeds, device)
        finite = np.isfinite(arrays["losses"]).all(axis=0)
        for m in range(len(arrays["seeds"])):
            final = float(arrays["losses"][-1, m]) if finite[m] else float("nan")
            rows.append({"depth": int(depth), "lr": lr, "seed": int(arrays["seeds"][m]),
                         "draw": int(arrays["draws"][m]), "final_train_mse": final,
                         "steps_taken": int(arrays["steps_taken"][m]),
                         "status": loss_status(final, train.get("stop_mse"))})  # fmt: skip
    return pd.DataFrame(rows)


def choose_step_size(job: dict, sweep_seeds: list[int], lrs: list[float], device: str,
                     artifact: str | None = None) -> tuple[dict, str]:
    """Sweep one variant's step sizes (select-lr's rule); returns the choice and the sweep table as Markdown."""
    if not needs_sweep(job):
        return {"lr": job["variant"]["train"].get("lr"), "fits": True,
                "why": "fixed budget, no stopping rule: step size kept"}, ""  # fmt: skip
    sweep = sweep_flat_minima if artifact == FLAT_MINIMA else sweep_variant
    table = sweep_table(sweep(job, sweep_seeds, lrs, device))
    return choose(table, len(job.get("depths") or []) > 1), table.to_markdown(index=False)


def setting_jobs(job: dict) -> dict[str, dict]:
    """The training job of each variant the setting changes."""
    experiment, artifact = job["experiment"], job["setting"]["artifact"]
    if artifact == ASI:
        return {}  # its step sizes come from the NTK rule (related.asi.lr_fraction): nothing to sweep
    return {v: variant_job(experiment, v, job["grid_points"], artifact) for v in job["setting"]["variants"]}


def sweep_key(job: dict) -> str:
    """What a setting's sweep depends on, hashed: each changed variant's job without its step size, the sweep seeds
    and the step-size grid. A record with another key was swept for other inputs."""
    jobs = copy.deepcopy(setting_jobs(job))
    for one in jobs.values():
        one["variant"]["train"].pop("lr", None)
        one["variant"]["train"].pop("lr_by_depth", None)
    inputs = {"jobs": jobs, "sweep_seeds": job["sweep_seeds"], "lrs": job["lrs"]}
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:16]


def sweep_setting(job: dict, device: str = "cpu") -> dict:
    """Choose every changed variant's step size from its sweep: {setting, key, feasible, choices, sweeps}."""
    choices, sweeps = {}, {}
    for variant, one in setting_jobs(job).items():
        choices[variant], sweeps[variant] = choose_step_size(one, job["sweep_seeds"], job["lrs"], device,
                                                             job["setting"]["artifact"])
    feasible = all(c["fits"] for c in choices.values())
    return {"setting": job["setting"]["id"], "key": sweep_key(job), "feasible": feasible, "choices": choices,
            "sweeps": sweeps}


def record_path(folder: str | Path, setting: dict) -> Path:
    """Where a setting's sweep record lives: <folder>/<parameter>=<label>.<artifact>.json (and .md beside it)."""
    return Path(folder) / f"{setting['parameter']}={setting['label']}.{setting['artifact']}.json"


def load_record(config: dict, setting: dict, root: str | Path = ".") -> dict | None:
    """The setting's sweep record from `sensitivity.sweeps` (None where the run sweeps itself); a missing or stale
    record is refused with the command that writes it."""
    folder = config["sensitivity"].get("sweeps")
    if not folder or setting["artifact"] == ASI:
        return None
    path = Path(root) / record_path(folder, setting)
    rerun = (f"run `initgen sensitivity-sweep {setting['id']}` to write it, or set sensitivity.sweeps: null to sweep "
             "in the run")  # fmt: skip
    if not path.exists():
        raise ConfigError(f"sensitivity.sweeps: {path} not found: {rerun}")
    record = read_json(path)
    key = sweep_key(setting_job(config, setting, with_record=False))
    if record.get("key") != key:
        raise ConfigError(f"sensitivity.sweeps: {path} was swept for other inputs (key {record.get('key')}, now {key}:"
                          f" the experiment block, sensitivity.sweep_seeds or sensitivity.lrs changed): {rerun}")
    return record


def setting_job(config: dict, setting: dict, with_record: bool = True, root: str | Path = ".") -> dict:
    """Everything one setting's step needs, and nothing else (so editing another setting does not rerun it); with
    the recorded step-size choices (`step_sizes`) where `sensitivity.sweeps` names a folder."""
    block = config["sensitivity"]
    experiment = setting_experiment(config, setting)
    seeds = list(experiment.get("seeds") or config["seeds"])[: block["n_seeds"]]  # Exp 5 has its own seeds
    job = {"setting": setting, "experiment": experiment, "seeds": seeds,
           "sweep_seeds": list(block["sweep_seeds"]), "lrs": list(block["lrs"]),
           "grid_points": config["toy"]["grid_points"]}  # fmt: skip
    if setting["artifact"] == FLAT_MINIMA:  # the Hessian step's settings, as the flat_minima_hessian rule's
        job["hessian"] = (config.get("hessian") or {}) | (experiment.get("hessian") or {})
    record = load_record(config, setting, root) if with_record else None
    if record is not None:
        job["step_sizes"] = record["choices"]
    return job


def run_setting(job: dict, default_trained: dict[str, dict], device: str = "cpu",
                record: dict | None = None, out_dir: str | Path | None = None) -> dict:
    """Train what the setting changes, reuse the rest; returns {metrics, feasible, choices, sweeps}. Step sizes
    come from the job's recorded choices (`step_sizes`; their tables from `record`) or from a sweep run here.
    `default_trained`: the default run's train/<variant>.npz contents (Exp 5: its hessian/<variant>.json)."""
    setting, experiment = job["setting"], copy.deepcopy(job["experiment"])
    if "step_sizes" in job:
        choices, sweeps = job["step_sizes"], (record or {}).get("sweeps", {})
    else:
        swept = sweep_setting(job, device)
        choices, sweeps = swept["choices"], swept["sweeps"]
    if setting["artifact"] == ASI:  # every variant shares the changed spec: all retrained, no step size to choose
        main = asi_runs.run_asi_main(experiment, job["seeds"], device)
        metrics = analyze_asi(main, asi_runs.run_asi_sweep(experiment, job["seeds"], device))
        metrics["sensitivity"] = {"setting": setting, "feasible": True, "step_sizes": {}}
        return {"metrics": metrics, "feasible": True, "choices": {}, "sweeps": {}}
    trained, jobs = {}, setting_jobs(job)
    for variant in experiment["variants"]:
        if variant not in setting["variants"]:
            if variant not in default_trained:
                raise ConfigError(f"setting {setting['id']}: the default run's training of {variant} was not given")
            trained[variant] = default_trained[variant]
            continue
        one = jobs[variant]
        apply_choice(one, choices[variant])
        experiment["variants"][variant] = one["variant"]  # with the chosen step size, for the analysis
        trained[variant] = train_variant(one, job["seeds"], device) if setting["artifact"] != FLAT_MINIMA else \
            flat_minimum_runs(one, job, device)
    if setting["artifact"] == FLAT_MINIMA:
        if out_dir is None:
            raise ValueError("an Exp 5 setting writes its Table 2: give out_dir")
        metrics = flat_minima.analyze([run for variant in experiment["variants"] for run in trained[variant]["runs"]],
                                      out_dir)  # fmt: skip
    else:
        trained = {v: t if v in setting["variants"] else select_seeds(t, job["seeds"]) for v, t in trained.items()}
        metrics, _ = analyze_experiment(setting["artifact"], experiment, trained)
    feasible = all(c["fits"] for c in choices.values())
    metrics["sensitivity"] = {"setting": setting, "feasible": feasible, "step_sizes": choices}
    return {"metrics": metrics, "feasible": feasible, "choices": choices, "sweeps": sweeps}


def flat_minimum_runs(one: dict, job: dict, device: str) -> dict:
    """An Exp 5 variant trained and its minima's curvature measured, as flat_minima_train and _hessian do:
    {"runs": records}, as the default run's hessian/<variant>.json."""
    arrays = flat_minima_train.train_variant(one, job["seeds"], device)
    settings_ = resolve_settings(job["hessian"])
    stop_mse = one["variant"]["train"].get("stop_mse")
    return {"runs": flat_minima.minimum_metrics(arrays, settings_, job["experiment"]["slice"], stop_mse)}


def sweep_report(setting: dict, result: dict, sweep_seeds: list[int], source: str | None = None) -> str:
    """The setting's sweep as Markdown; `source` names the record the choices were read from, if any."""
    where = (f" Swept once by `initgen sensitivity-sweep {setting['id']}`, read from {source}." if source else
             " Swept in this run.")  # fmt: skip
    lines = [f"# Sensitivity setting {setting['id']}", "",
             f"{setting['what']} = {setting['label']} for {setting['variants']} of {setting['artifact']}; every other "
             "value as the default config. Step sizes chosen by `initgen select-lr`'s rule on sweep seeds "
             f"{sweep_seeds} (training loss only).{where}", "",
             "Feasible (every changed variant has a step size that fits every sweep run): "
             f"{result['feasible']}", ""]  # fmt: skip
    for variant, choice in result["choices"].items():
        lines += [f"## {variant}", "", f"Choice: lr = {json.dumps(choice['lr'])} (fits: {choice['fits']}; "
                  f"{choice['why']})", "", result["sweeps"].get(variant, ""), ""]  # fmt: skip
    return "\n".join(lines)


def cli_setting(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="initgen sensitivity-setting",
                                     description="Rebuild one 1-D artifact's metrics at one setting of the "
                                     "sensitivity grid (step sizes from training loss on sweep seeds).")
    parser.add_argument("--job", required=True,
                        help="JSON: {setting, experiment, seeds, sweep_seeds, lrs, grid_points[, step_sizes]} "
                        "(setting_job)")
    parser.add_argument("--trained", nargs="*", default=[],
                        help="the default run's train/<variant>.npz files (Exp 5: hessian/<variant>.json)")
    parser.add_argument("--sweep-record", default=None,
                        help="the setting's record from `initgen sensitivity-sweep` (its sweep tables)")
    add_runtime_arguments(parser)
    parser.add_argument("--out-dir", required=True, help="folder for metrics.json and sweep.md")
    args = parser.parse_args(argv)
    job = json_arg(args.job, "job")
    record = read_json(args.sweep_record) if args.sweep_record else None
    device = setup(args.device, args.threads)
    default_trained = {Path(p).stem: load_npz(p) if p.endswith(".npz") else read_json(p) for p in args.trained}
    result = run_setting(job, default_trained, device, record, args.out_dir)
    out = Path(args.out_dir)
    write_text(out / "sweep.md", sweep_report(job["setting"], result, job["sweep_seeds"], args.sweep_record))
    write_json(out / "metrics.json", result["metrics"])
    return 0


def cli_sweep(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="initgen sensitivity-sweep",
                                     description="Run the step-size sweep of sensitivity settings once and record "
                                     "each choice (training loss on sweep seeds only) in `sensitivity.sweeps`, where "
                                     "the workflow reads it.")
    parser.add_argument("settings", nargs="*",
                        help="setting ids, e.g. omega=1/fig1_depth (default: every setting but the default config's)")
    parser.add_argument("--config", nargs="+", default=["config/config.yaml"], help="config files, later override")
    parser.add_argument("--out-dir", default=None, help="folder for the records (default: sensitivity.sweeps)")
    add_runtime_arguments(parser)
    args = parser.parse_args(argv)
    config = load_config(*args.config)
    grid = {s["id"]: s for s in settings(config) if not s["default"]}
    unknown = sorted(set(args.settings) - set(grid))
    if unknown:
        raise ConfigError(f"{unknown} are not settings of the sensitivity grid; known: {sorted(grid)}")
    folder = args.out_dir or config["sensitivity"].get("sweeps")
    if not folder:
        raise ConfigError("sensitivity.sweeps is null (the run sweeps itself): pass --out-dir to record sweeps")
    device = setup(args.device, args.threads)
    for setting_id in args.settings or sorted(grid):
        setting = grid[setting_id]
        job = setting_job(config, setting, with_record=False)
        record = sweep_setting(job, device)
        path = record_path(folder, setting)
        write_json(path, record)
        write_text(path.with_suffix(".md"), sweep_report(setting, record, job["sweep_seeds"], str(path)))
        print(f"{setting_id}: feasible {record['feasible']}; {path}")
    return 0
