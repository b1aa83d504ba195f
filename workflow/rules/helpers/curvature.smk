# Functions of workflow/rules/curvature.smk (config: FLAT, DEEP_HESSIAN, DEEP, DEEP_SEEDS, DEEP_INITS in common.smk).


def get_flat_minima_job(wildcards):
    """What one Exp 5 training job needs, and nothing else (editing another variant does not rerun it)."""
    keys = ("draws", "draw_seed", "amplitudes", "frequencies", "train_x", "test_points")
    return as_arg({k: FLAT[k] for k in keys} | {"variant": FLAT["variants"][wildcards.variant]})


def get_flat_minima_user_code(wildcards):
    """Your own files (init, activation: path/to/file.py:function) the variant's training and Hessian run."""
    return reference_files(FLAT["variants"][wildcards.variant], LIBRARY)


def get_hessian_settings(block):
    """The top-level `hessian:` settings with an artifact's own `hessian:` overrides on top, as an argument."""
    return as_arg((config.get("hessian") or {}) | (block.get("hessian") or {}))


def deep_hessian_runs():
    """(dataset, model, init, seed) of every trained run whose Hessian Table 4 reports."""
    runs = []
    for dataset, models in DEEP_HESSIAN["datasets"].items():
        if dataset not in DEEP["datasets"]:
            raise ValueError(
                f"config key deep_hessian.datasets.{dataset}: no trained classifiers for {dataset!r}; "
                f"add it to deep.datasets (or remove it here)"
            )
        runs += [(dataset, m, i, s) for m in models for i in DEEP_INITS for s in DEEP_SEEDS]
    return runs


def get_deep_hessian_job(wildcards):
    return as_arg(
        {
            "dataset": wildcards.dataset,
            "model": wildcards.model,
            "init": wildcards.init,
            "seed": int(wildcards.seed),
            "samples": DEEP_HESSIAN.get("samples"),
            "data_root": config["data"]["root"],
            "data_options": config["data"].get(wildcards.dataset, {}),
        }
        | user_model_job(wildcards.model)
    )
