# Functions of workflow/rules/sensitivity.smk (config sensitivity:, src/initgen/experiments/sensitivity.py).
from initgen.experiments.sensitivity import (
    FLAT_MINIMA,
    artifact_blocks,
    default_feasibility,
    load_record,
    record_path,
    setting_job,
    settings as sensitivity_settings,
)
from initgen.reporting.claims.registry import load_registry

CLAIMS = load_registry("config/claims.yaml")  # the claim ids name the sensitivity headline files


def sensitivity_grid():
    """Every setting of the grid (the default config's included) whose artifact this config builds."""
    return sensitivity_settings(config) if config.get("sensitivity") else []


def sensitivity_runs():
    """The settings that need a run: every one but the default config's."""
    return {s["id"]: s for s in sensitivity_grid() if not s["default"]}


def sensitivity_setting_dir(setting):
    return f"results/sensitivity/settings/{setting['parameter']}={setting['label']}/{setting['artifact']}"


def _setting_of(wildcards):
    return SENSITIVITY_RUNS[f"{wildcards.parameter}={wildcards.label}/{wildcards.artifact}"]


def get_sensitivity_job(wildcards):
    """The setting's job, with its recorded step sizes (get_sensitivity_record checked the record)."""
    return as_arg(setting_job(config, _setting_of(wildcards)))


def get_sensitivity_record(wildcards):
    """The setting's sweep record where sensitivity.sweeps names a folder. Checked while the DAG is built: a
    missing or stale one stops a run that needs the setting before any job, with the command that writes it."""
    setting = _setting_of(wildcards)
    if load_record(config, setting) is None:
        return []
    return [str(record_path(config["sensitivity"]["sweeps"], setting))]


def sensitivity_artifacts():
    """The artifacts a setting can vary (1-D regressions, Exp 5), as a wildcard pattern."""
    return "|".join(artifact_blocks(config)) or "^$"


def get_sensitivity_reused(wildcards):
    """The default run's training of the variants this setting leaves as they are (Exp 5: their minima)."""
    setting = _setting_of(wildcards)
    variants = artifact_blocks(config)[setting["artifact"]]["variants"]
    if isinstance(variants, list):  # ASI: one spec for every variant, all retrained
        return []
    kept = [v for v in variants if v not in setting["variants"]]
    if setting["artifact"] == FLAT_MINIMA:
        return [f"results/{FLAT_MINIMA}/hessian/{v}.json" for v in kept]
    return [f"results/{setting['artifact']}/train/{v}.npz" for v in kept]


def get_sensitivity_settings_arg(wildcards):
    """[{setting, metrics}] for `initgen sensitivity` (metrics None: the default run's own)."""
    return as_arg(
        [
            {
                "setting": s,
                "metrics": None if s["default"] else f"{sensitivity_setting_dir(s)}/metrics.json",
                "default_feasible": default_feasibility(artifact_blocks(config)[s["artifact"]]),
                # how the parameter's value is chosen: read by the summary only, so editing it reruns no setting
                "choose": config["sensitivity"]["parameters"][s["parameter"]].get("choose"),
                "why": config["sensitivity"]["parameters"][s["parameter"]].get("why"),
            }
            for s in sensitivity_grid()
        ]
    )


def get_sensitivity_sweep_tables(wildcards):
    """The default config's select-lr tables, which say whether each unchanged variant's protocol can be met."""
    artifacts = {s["artifact"] for s in sensitivity_grid()}
    blocks = artifact_blocks(config)
    return sorted(
        {
            v["train"]["sweep"]
            for a in artifacts
            if isinstance(blocks[a]["variants"], dict)  # ASI's variants are names: no sweep tables
            for v in blocks[a]["variants"].values()
            if v["train"].get("sweep")
        }
    )
