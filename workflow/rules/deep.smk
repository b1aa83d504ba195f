# Deep classifiers: table1_<dataset> (table3_imagenet), fig6_input_gradients, corruption_sweep.
# One pre-training job and one training job per dataset/model/init/seed (a cluster runs them side by side);
# checkpoints under checkpoints/<dataset>/<model>/<init>/seed<k>/, per-run results under results/deep/.
#   init: random | highbw (pre-trained on shuffled labels) | corrupt<p> (a fraction p shuffled, the sweep)
# Config: DEEP, DEEP_SEEDS, DEEP_INITS, DEEP_CORRUPTION (common.smk); functions: helpers/deep.smk.
# DEEP_RUN and deep_checkpoint: helpers/deep.smk.


# Per rule (other rules files use the same wildcard names for other sets); seed is global (common.smk).
DEEP_WILDCARDS = {
    "dataset": "|".join(DEEP["datasets"]) or "^$",
    "model": "[a-z0-9_]+",
    "init": r"random|highbw|corrupt[0-9.]+",
}


rule deep_pretrain:
    wildcard_constraints:
        **DEEP_WILDCARDS,
    input:
        data=get_prepared_data,
        code=code("deep-pretrain"),
        user_code=get_deep_user_code,
    output:
        checkpoint=deep_checkpoint("pretrained"),
        json=f"results/deep/{DEEP_RUN}/pretrain.json",
        history=f"results/deep/{DEEP_RUN}/pretrain.csv",
    params:
        job=lambda w: get_deep_job(w, "pretrain"),
        device=config["device"],
    threads: get_threads(DEEP, "pretrain")
    resources:
        **get_resources(DEEP, "pretrain"),
    log:
        f"logs/deep/{DEEP_RUN}/pretrain.log",
    benchmark:
        f"logs/benchmark/deep/{DEEP_RUN}/pretrain.tsv"
    conda:
        ENV
    shell:
        "initgen deep-pretrain --job {params.job} --device {params.device} --threads {threads}"
        " --checkpoint {output.checkpoint} --json {output.json} --history {output.history} > {log} 2>&1"


rule deep_train:
    wildcard_constraints:
        **DEEP_WILDCARDS,
    input:
        unpack(get_deep_train_inputs),
    output:
        checkpoint=deep_checkpoint("final"),
        json=f"results/deep/{DEEP_RUN}/train.json",
        history=f"results/deep/{DEEP_RUN}/train.csv",
    params:
        job=lambda w: get_deep_job(w, "train"),
        device=config["device"],
        pretrained=lambda w, input: f"--pretrained {input.pretrained}" if "pretrained" in input.keys() else "",
    threads: get_threads(DEEP, "train")
    resources:
        **get_resources(DEEP, "train"),
    log:
        f"logs/deep/{DEEP_RUN}/train.log",
    benchmark:
        f"logs/benchmark/deep/{DEEP_RUN}/train.tsv"
    conda:
        ENV
    shell:
        "initgen deep-train --job {params.job} {params.pretrained} --device {params.device} --threads {threads}"
        " --checkpoint {output.checkpoint} --json {output.json} --history {output.history} > {log} 2>&1"


rule deep_input_gradients:
    wildcard_constraints:
        **DEEP_WILDCARDS,
    input:
        data=get_prepared_data,
        pretrained=get_deep_pretrained_checkpoints,
        code=code("deep-input-gradients"),
        user_code=get_deep_user_code,
    output:
        "results/deep/{dataset}/{model}/{init}/input_gradients.npz",
    params:
        job=get_deep_gradient_job,
        seeds=as_arg(DEEP_SEEDS),
        device=config["device"],
    threads: get_threads(DEEP, "input_gradients")
    resources:
        **get_resources(DEEP, "input_gradients"),
    log:
        "logs/deep/{dataset}/{model}/{init}/input_gradients.log",
    benchmark:
        "logs/benchmark/deep/{dataset}/{model}/{init}/input_gradients.tsv"
    conda:
        ENV
    shell:
        "initgen deep-input-gradients --job {params.job} --seeds {params.seeds} --pretrained {input.pretrained}"
        " --device {params.device} --threads {threads} --out {output} > {log} 2>&1"


# ----------------------------------------------------------------------------------- Table 1 / Table 3
for _dataset, _models in DEEP["datasets"].items():
    _table = table_name(_dataset)
    _table_files = artifact_outputs(_table, tables=[_table])
    _curves_files = artifact_outputs(_table, figures=["curves"], metrics=False)

    rule:
        name:
            f"deep_table_{_dataset}"
        input:
            train=train_jsons(_dataset, _models, DEEP_INITS),
            pretrain=pretrain_jsons(_dataset, _models, DEEP_INITS),
            code=code("deep-table"),
        output:
            _table_files,
        params:
            dataset=_dataset,
            models=as_arg(_models),
            out_dir=lambda w, output: os.path.dirname(output[0]),
        log:
            f"logs/{_table}/table.log",
        benchmark:
            f"logs/benchmark/{_table}/table.tsv"
        localrule: True  # rendering: runs where Snakemake runs, not as a cluster job
        conda:
            ENV
        shell:
            "initgen deep-table --dataset {params.dataset} --models {params.models} --train {input.train}"
            " --pretrain {input.pretrain} --out-dir {params.out_dir} > {log} 2>&1"

    rule:
        name:
            f"deep_curves_{_dataset}"
        input:
            histories=train_csvs(_dataset, _models, DEEP_INITS),
            code=code("deep-plot"),
        output:
            _curves_files,
        params:
            stem=lambda w, output: os.path.splitext(output[0])[0],
            title=f"{_dataset}: training on true labels",
        log:
            f"logs/{_table}/curves.log",
        benchmark:
            f"logs/benchmark/{_table}/curves.tsv"
        localrule: True  # rendering: runs where Snakemake runs, not as a cluster job
        conda:
            ENV
        shell:
            "initgen deep-plot curves {input.histories} --out {params.stem} --title {params.title:q} > {log} 2>&1"

    # The target named after the artifact: `snakemake table1_cifar10`.
    rule:
        name:
            _table
        input:
            _table_files + _curves_files,

    ALL_TARGETS.extend(_table_files + _curves_files)


# ------------------------------------------------------------------------------------------------- Fig 6
FIG6_GRADIENTS = [
    f"results/deep/{d}/{m}/{i}/input_gradients.npz"
    for d, models in DEEP["datasets"].items()
    for m in models
    for i in DEEP_INITS
]
FIG6_METRICS = artifact_outputs("fig6_input_gradients", tables=["bandwidth"])
FIG6_FIGURE = artifact_outputs("fig6_input_gradients", figures=["fig6_input_gradients"], metrics=False)

if FIG6_GRADIENTS:

    rule fig6_metrics:
        input:
            gradients=FIG6_GRADIENTS,
            code=code("deep-fig6-metrics"),
        output:
            FIG6_METRICS,
        log:
            "logs/fig6_input_gradients/metrics.log",
        benchmark:
            "logs/benchmark/fig6_input_gradients/metrics.tsv"
        localrule: True  # rendering: runs where Snakemake runs, not as a cluster job
        conda:
            ENV
        shell:
            "initgen deep-fig6-metrics --gradients {input.gradients} --out-dir results/fig6_input_gradients"
            " > {log} 2>&1"

    rule fig6_plot:
        input:
            gradients=FIG6_GRADIENTS,
            code=code("deep-plot"),
        output:
            FIG6_FIGURE,
        log:
            "logs/fig6_input_gradients/plot.log",
        benchmark:
            "logs/benchmark/fig6_input_gradients/plot.tsv"
        localrule: True  # rendering: runs where Snakemake runs, not as a cluster job
        conda:
            ENV
        shell:
            "initgen deep-plot fig6 {input.gradients} --out results/fig6_input_gradients/fig6_input_gradients"
            " > {log} 2>&1"

    rule fig6_input_gradients:
        input:
            FIG6_METRICS + FIG6_FIGURE,

    ALL_TARGETS.extend(FIG6_METRICS + FIG6_FIGURE)


# ------------------------------------------------------------------------------ label-corruption sweep
if DEEP_CORRUPTION:
    _d, _m = DEEP_CORRUPTION["dataset"], DEEP_CORRUPTION["model"]
    CORRUPTION_INITS = corruption_sweep_inits()
    CORRUPTION_METRICS = artifact_outputs("corruption_sweep", tables=["corruption_sweep"])
    CORRUPTION_FIGURE = artifact_outputs("corruption_sweep", figures=["corruption_sweep"], metrics=False)

    rule corruption_metrics:
        input:
            train=train_jsons(_d, [_m], CORRUPTION_INITS),
            pretrain=pretrain_jsons(_d, [_m], CORRUPTION_INITS),
            gradients=[f"results/deep/{_d}/{_m}/{i}/input_gradients.npz" for i in CORRUPTION_INITS],
            code=code("deep-corruption-metrics"),
        output:
            CORRUPTION_METRICS,
        params:
            job=as_arg(DEEP_CORRUPTION),
        log:
            "logs/corruption_sweep/metrics.log",
        benchmark:
            "logs/benchmark/corruption_sweep/metrics.tsv"
        localrule: True  # rendering: runs where Snakemake runs, not as a cluster job
        conda:
            ENV
        shell:
            "initgen deep-corruption-metrics --job {params.job} --train {input.train} --pretrain {input.pretrain}"
            " --gradients {input.gradients} --out-dir results/corruption_sweep > {log} 2>&1"

    rule corruption_plot:
        input:
            metrics="results/corruption_sweep/metrics.json",
            code=code("deep-plot"),
        output:
            CORRUPTION_FIGURE,
        log:
            "logs/corruption_sweep/plot.log",
        benchmark:
            "logs/benchmark/corruption_sweep/plot.tsv"
        localrule: True  # rendering: runs where Snakemake runs, not as a cluster job
        conda:
            ENV
        shell:
            "initgen deep-plot corruption {input.metrics} --out results/corruption_sweep/corruption_sweep > {log} 2>&1"

    rule corruption_sweep:
        input:
            CORRUPTION_METRICS + CORRUPTION_FIGURE,

    ALL_TARGETS.extend(CORRUPTION_METRICS + CORRUPTION_FIGURE)
