# Functions of workflow/rules/deep.smk (config deep: DEEP, DEEP_SEEDS, DEEP_INITS, DEEP_CORRUPTION in common.smk).


def get_deep_job(wildcards, phase):
    """What one pre-training / training job needs, and nothing else (a change elsewhere does not rerun it)."""
    return as_arg(
        {
            "dataset": wildcards.dataset,
            "model": wildcards.model,
            "init": wildcards.init,
            "seed": int(wildcards.seed),
            "settings": DEEP[phase],
            "data_root": config["data"]["root"],
            "data_options": config["data"].get(wildcards.dataset, {}),
            "compile": DEEP["compile"],  # defaults: workflow/schemas/config.schema.yaml
            "checkpoint_every": DEEP["checkpoint_every"],
        }
        | user_model_job(wildcards.model)
    )


def user_model_job(model):
    """{"user_models": {model: reference}} for a model of yours (config extensions.models), else {}: a built-in
    model's job (and so its command) is the same with or without models of yours."""
    models = (config.get("extensions") or {}).get("models") or {}
    return {"user_models": {model: models[model]}} if model in models else {}


def get_deep_user_code(wildcards):
    """Your model's file (and the initgen modules it imports): an input of exactly the jobs that build it."""
    return reference_files(user_model_job(wildcards.model), LIBRARY)


DEEP_RUN = "{dataset}/{model}/{init}/seed{seed}"  # one classifier run: its checkpoints, results and logs


def deep_checkpoint(name, w=None, seed=None):
    """checkpoints/<dataset>/<model>/<init>/seed<k>/<name>.pt: the pattern, or one run's given its wildcards `w`
    (seed: another seed, e.g. "{seed}" to expand)."""
    path = f"checkpoints/{DEEP_RUN}/{name}.pt"
    if w is None:
        return path
    return path.format(dataset=w.dataset, model=w.model, init=w.init, seed=w.seed if seed is None else seed)


def deep_run_files(dataset, model, init, name):
    """results/deep/<dataset>/<model>/<init>/seed<k>/<name> of every seed."""
    return expand(f"results/deep/{dataset}/{model}/{init}/seed{{seed}}/{name}", seed=DEEP_SEEDS)


def train_jsons(dataset, models, inits):
    return [f for m in models for i in inits for f in deep_run_files(dataset, m, i, "train.json")]


def pretrain_jsons(dataset, models, inits):
    return [f for m in models for i in inits if i != "random" for f in deep_run_files(dataset, m, i, "pretrain.json")]


def train_csvs(dataset, models, inits):
    """The per-epoch histories (train.csv) beside the train.json files, in the same order."""
    return [f.replace("train.json", "train.csv") for f in train_jsons(dataset, models, inits)]


def get_deep_train_inputs(wildcards):
    inputs = {
        "data": prepared_files(wildcards.dataset),
        "code": code("deep-train"),
        "user_code": get_deep_user_code(wildcards),
    }
    if wildcards.init != "random":
        inputs["pretrained"] = deep_checkpoint("pretrained", wildcards)
    return inputs


def get_deep_pretrained_checkpoints(wildcards):
    """The pre-trained checkpoint of every seed (none for the random init)."""
    w = wildcards
    if w.init == "random":
        return []
    return expand(deep_checkpoint("pretrained", w, seed="{seed}"), seed=DEEP_SEEDS)


def get_deep_gradient_job(wildcards):
    """What one input-gradients job needs: the run's names and config deep.input_gradients (its defaults: the
    schema's)."""
    job = {
        "dataset": wildcards.dataset,
        "model": wildcards.model,
        "init": wildcards.init,
        "data_root": config["data"]["root"],
        "data_options": config["data"].get(wildcards.dataset, {}),
    }
    return as_arg(job | DEEP["input_gradients"] | user_model_job(wildcards.model))


def corruption_sweep_inits():
    """Inits of the label-corruption sweep, the random baseline first."""
    return ["random"] + corruption_inits(DEEP_CORRUPTION["fractions"]) if DEEP_CORRUPTION else []
