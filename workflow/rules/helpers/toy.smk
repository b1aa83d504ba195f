# Functions of workflow/rules/toy.smk (the 1-D experiments, config toy.experiments: TOY in common.smk).


def get_toy_job(wildcards):
    """What one training job needs, and nothing else (so editing another variant does not rerun it)."""
    experiment = TOY[wildcards.artifact]
    job = {
        "target": experiment["target"],
        "train_x": experiment["train_x"],
        "variant": experiment["variants"][wildcards.variant],
        "grid_points": config["toy"]["grid_points"],
    }
    if "depths" in experiment:
        job["depths"] = experiment["depths"]
    return as_arg(job)


def get_toy_analysis_spec(wildcards):
    keys = ("target", "train_x", "watch_freqs", "converged_rel_error", "fit_frequencies", "relative_error_on")
    return as_arg({k: v for k, v in TOY[wildcards.artifact].items() if k in keys})


def get_toy_trained(wildcards):
    return expand(
        "results/{artifact}/train/{variant}.npz",
        artifact=wildcards.artifact,
        variant=TOY[wildcards.artifact]["variants"],
    )


def get_toy_user_code(wildcards):
    """Your own files (init, activation: path/to/file.py:function) the variant's training runs."""
    return reference_files(TOY[wildcards.artifact]["variants"][wildcards.variant], LIBRARY)
