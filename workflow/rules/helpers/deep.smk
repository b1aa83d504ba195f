# Functions of workflow/rules/deep.smk (Snakemake's linter wants functions apart from rules).


def deep_table(dataset):
    return "table3_imagenet" if dataset == "imagenet" else f"table1_{dataset}"


def corruption_inits():
    """Inits of the label-corruption sweep: p = 1 is highbw itself; the other fractions are corrupt<p>."""
    if not DEEP_CORRUPTION:
        return []
    return ["highbw" if p == 1 else f"corrupt{p:g}" for p in DEEP_CORRUPTION["fractions"]]


def deep_job(w, phase):
    """What one pre-training / training job needs, and nothing else (a change elsewhere does not rerun it)."""
    return {
        "dataset": w.dataset,
        "model": w.model,
        "init": w.init,
        "seed": int(w.seed),
        "settings": DEEP[phase],
        "data_root": config["data"]["root"],
        "data_options": config["data"].get(w.dataset, {}),
        "compile": DEEP.get("compile", False),
        "checkpoint_every": DEEP.get("checkpoint_every", 1),
    }


def deep_resources(rule_name):
    """Snakemake resources of a deep rule from config deep.resources.<rule> (threads are separate)."""
    block = (DEEP.get("resources") or {}).get(rule_name, {})
    return {k: v for k, v in block.items() if k != "threads"}


def deep_threads(rule_name):
    return (DEEP.get("resources") or {}).get(rule_name, {}).get("threads", 1)


def run_files(dataset, model, init, name):
    return expand(f"results/deep/{dataset}/{model}/{init}/seed{{seed}}/{name}", seed=DEEP_SEEDS)


def train_jsons(dataset, models, inits):
    return [f for m in models for i in inits for f in run_files(dataset, m, i, "train.json")]


def pretrain_jsons(dataset, models, inits):
    return [f for m in models for i in inits if i != "random" for f in run_files(dataset, m, i, "pretrain.json")]


def deep_train_inputs(w):
    inputs = {"data": DATA_PREPARED[w.dataset], "code": DEEP_TRAIN_CODE}
    if w.init != "random":
        inputs["pretrained"] = f"checkpoints/{w.dataset}/{w.model}/{w.init}/seed{w.seed}/pretrained.pt"
    return inputs


def table_outputs(dataset):
    stem = f"results/{deep_table(dataset)}/{deep_table(dataset)}"
    return [f"results/{deep_table(dataset)}/metrics.json"] + [f"{stem}{s}" for s in (".csv", ".md", ".tex")]


def curves_outputs(dataset):
    return [f"results/{deep_table(dataset)}/curves{s}" for s in (".png", ".pdf")]
