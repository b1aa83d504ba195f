# Functions of workflow/rules/curvature.smk (Snakemake's linter wants functions apart from rules).


def flat_minima_job(variant):
    """What one Exp 5 training job needs, and nothing else (editing another variant does not rerun it)."""
    keys = ("draws", "draw_seed", "amplitudes", "frequencies", "train_x", "test_points")
    return {k: FLAT[k] for k in keys} | {"variant": FLAT["variants"][variant]}


def hessian_settings(block):
    """The top-level `hessian:` settings with an artifact's own `hessian:` overrides on top."""
    return (config.get("hessian") or {}) | (block.get("hessian") or {})


def artifact_outputs(artifact):
    stem = f"results/{artifact}/{artifact}"
    suffixes = (".csv", ".md", ".tex") if artifact.startswith("table") else (".png", ".pdf")
    return [f"results/{artifact}/metrics.json"] + [f"{stem}{s}" for s in suffixes]


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


def deep_hessian_job(w):
    return {
        "dataset": w.dataset,
        "model": w.model,
        "init": w.init,
        "seed": int(w.seed),
        "samples": DEEP_HESSIAN.get("samples"),
        "data_root": config["data"]["root"],
        "data_options": config["data"].get(w.dataset, {}),
    }
