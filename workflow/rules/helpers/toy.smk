# Functions of workflow/rules/toy.smk (Snakemake's linter wants functions apart from rules).


def toy_job(artifact, variant):
    """What one training job needs, and nothing else (so editing another variant does not rerun it)."""
    experiment = TOY[artifact]
    job = {
        "target": experiment["target"],
        "train_x": experiment["train_x"],
        "variant": experiment["variants"][variant],
        "grid_points": config["toy"]["grid_points"],
    }
    if "depths" in experiment:
        job["depths"] = experiment["depths"]
    return job


def toy_analysis_spec(artifact):
    keys = ("target", "train_x", "watch_freqs", "converged_rel_error", "fit_frequencies", "relative_error_on")
    return {k: v for k, v in TOY[artifact].items() if k in keys}


def toy_trained(wildcards):
    return expand(
        "results/{artifact}/train/{variant}.npz",
        artifact=wildcards.artifact,
        variant=TOY[wildcards.artifact]["variants"],
    )


def toy_outputs(artifact):
    stem = f"results/{artifact}/{artifact}"
    return [f"results/{artifact}/metrics.json", f"{stem}.png", f"{stem}.pdf"] + [
        f"results/{artifact}/summary{s}" for s in (".csv", ".md", ".tex")
    ]
