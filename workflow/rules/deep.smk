# Deep classifiers: table1_<dataset> (table3_imagenet), fig6_input_gradients, corruption_sweep.
# One pre-training job and one training job per dataset/model/init/seed (a cluster runs them side by side);
# checkpoints under checkpoints/<dataset>/<model>/<init>/seed<k>/, per-run results under results/deep/.
#   init: random | highbw (pre-trained on shuffled labels) | corrupt<p> (a fraction p shuffled, the sweep)
DEEP = config.get("deep") or {"datasets": {}}
DEEP_SEEDS = DEEP.get("seeds") or config["seeds"]
DEEP_INITS = ["random", "highbw"]
DEEP_CORRUPTION = DEEP.get("corruption")
DEEP_TRAIN_CODE = code(
    "checkpoint", "train/classifier", "data/loader", "data/registry", "models/zoo", "experiments/deep_train"
)
DEEP_GRADIENT_CODE = code("checkpoint", "input_gradients", "data/registry", "models/zoo", "experiments/deep_train")
DEEP_ANALYSIS_CODE = code("tables", "experiments/deep_analyze")
DEEP_PLOT_CODE = code("figures", "input_gradients", "plots/deep")
DEEP_RUN = "{dataset}/{model}/{init}/seed{seed}"


include: "helpers/deep.smk"


# Per rule (not global: other rules files may use the same wildcard names for other things).
DEEP_WILDCARDS = {
    "dataset": "|".join(DEEP["datasets"]) or "^$",
    "model": "[a-z0-9_]+",
    "init": r"random|highbw|corrupt[0-9.]+",
    "seed": r"\d+",
}


rule deep_pretrain:
    wildcard_constraints:
        **DEEP_WILDCARDS,
    input:
        data=lambda w: DATA_PREPARED[w.dataset],
        code=DEEP_TRAIN_CODE,
    output:
        checkpoint=f"checkpoints/{DEEP_RUN}/pretrained.pt",
        json=f"results/deep/{DEEP_RUN}/pretrain.json",
        history=f"results/deep/{DEEP_RUN}/pretrain.csv",
    params:
        job=lambda w: as_arg(deep_job(w, "pretrain")),
        device=config["device"],
    threads: deep_threads("pretrain")
    resources:
        **deep_resources("pretrain"),
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
        unpack(deep_train_inputs),
    output:
        checkpoint=f"checkpoints/{DEEP_RUN}/final.pt",
        json=f"results/deep/{DEEP_RUN}/train.json",
        history=f"results/deep/{DEEP_RUN}/train.csv",
    params:
        job=lambda w: as_arg(deep_job(w, "train")),
        device=config["device"],
        pretrained=lambda w, input: f"--pretrained {input.pretrained}" if "pretrained" in input.keys() else "",
    threads: deep_threads("train")
    resources:
        **deep_resources("train"),
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
        data=lambda w: DATA_PREPARED[w.dataset],
        pretrained=lambda w: (
            []
            if w.init == "random"
            else expand(f"checkpoints/{w.dataset}/{w.model}/{w.init}/seed{{seed}}/pretrained.pt", seed=DEEP_SEEDS)
        ),
        code=DEEP_GRADIENT_CODE,
    output:
        "results/deep/{dataset}/{model}/{init}/input_gradients.npz",
    params:
        job=lambda w: as_arg(
            {
                "dataset": w.dataset,
                "model": w.model,
                "init": w.init,
                "data_root": config["data"]["root"],
                "data_options": config["data"].get(w.dataset, {}),
            }
            | DEEP.get(
                "input_gradients",
                {"images": 256, "batch_size": 128, "sample_values": 20000, "calibration_images": 1024},
            )
        ),
        seeds=as_arg(DEEP_SEEDS),
        device=config["device"],
    threads: deep_threads("input_gradients")
    resources:
        **deep_resources("input_gradients"),
    log:
        "logs/deep/{dataset}/{model}/{init}/input_gradients.log",
    conda:
        ENV
    shell:
        "initgen deep-input-gradients --job {params.job} --seeds {params.seeds} --pretrained {input.pretrained}"
        " --device {params.device} --threads {threads} --out {output} > {log} 2>&1"


# ----------------------------------------------------------------------------------- Table 1 / Table 3
for _dataset, _models in DEEP["datasets"].items():
    _table = deep_table(_dataset)

    rule:
        name:
            f"deep_table_{_dataset}"
        input:
            train=train_jsons(_dataset, _models, DEEP_INITS),
            pretrain=pretrain_jsons(_dataset, _models, DEEP_INITS),
            code=DEEP_ANALYSIS_CODE,
        output:
            table_outputs(_dataset),
        params:
            dataset=_dataset,
            models=as_arg(_models),
            out_dir=lambda w, output: os.path.dirname(output[0]),
        log:
            f"logs/{_table}/table.log",
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
            histories=[f.replace("train.json", "train.csv") for f in train_jsons(_dataset, _models, DEEP_INITS)],
            code=DEEP_PLOT_CODE,
        output:
            curves_outputs(_dataset),
        params:
            stem=lambda w, output: os.path.splitext(output[0])[0],
            title=f"{_dataset}: training on true labels",
        log:
            f"logs/{_table}/curves.log",
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
            table_outputs(_dataset) + curves_outputs(_dataset),

    ALL_TARGETS.extend(table_outputs(_dataset) + curves_outputs(_dataset))


# ------------------------------------------------------------------------------------------------- Fig 6
FIG6_GRADIENTS = [
    f"results/deep/{d}/{m}/{i}/input_gradients.npz"
    for d, models in DEEP["datasets"].items()
    for m in models
    for i in DEEP_INITS
]
FIG6_OUTPUTS = ["results/fig6_input_gradients/metrics.json"] + [
    f"results/fig6_input_gradients/{name}{s}"
    for name, suffixes in (("bandwidth", (".csv", ".md", ".tex")), ("fig6_input_gradients", (".png", ".pdf")))
    for s in suffixes
]

if FIG6_GRADIENTS:

    rule fig6_metrics:
        input:
            gradients=FIG6_GRADIENTS,
            code=DEEP_ANALYSIS_CODE,
        output:
            FIG6_OUTPUTS[:4],
        log:
            "logs/fig6_input_gradients/metrics.log",
        localrule: True  # rendering: runs where Snakemake runs, not as a cluster job
        conda:
            ENV
        shell:
            "initgen deep-fig6-metrics --gradients {input.gradients} --out-dir results/fig6_input_gradients"
            " > {log} 2>&1"

    rule fig6_plot:
        input:
            gradients=FIG6_GRADIENTS,
            code=DEEP_PLOT_CODE,
        output:
            FIG6_OUTPUTS[4:],
        log:
            "logs/fig6_input_gradients/plot.log",
        localrule: True  # rendering: runs where Snakemake runs, not as a cluster job
        conda:
            ENV
        shell:
            "initgen deep-plot fig6 {input.gradients} --out results/fig6_input_gradients/fig6_input_gradients"
            " > {log} 2>&1"

    rule fig6_input_gradients:
        input:
            FIG6_OUTPUTS,

    ALL_TARGETS.extend(FIG6_OUTPUTS)


# ------------------------------------------------------------------------------ label-corruption sweep
if DEEP_CORRUPTION:
    _d, _m = DEEP_CORRUPTION["dataset"], DEEP_CORRUPTION["model"]
    CORRUPTION_INITS = ["random"] + corruption_inits()
    CORRUPTION_OUTPUTS = ["results/corruption_sweep/metrics.json"] + [
        f"results/corruption_sweep/corruption_sweep{s}" for s in (".csv", ".md", ".tex", ".png", ".pdf")
    ]

    rule corruption_metrics:
        input:
            train=train_jsons(_d, [_m], CORRUPTION_INITS),
            pretrain=pretrain_jsons(_d, [_m], CORRUPTION_INITS),
            gradients=[f"results/deep/{_d}/{_m}/{i}/input_gradients.npz" for i in CORRUPTION_INITS],
            code=DEEP_ANALYSIS_CODE,
        output:
            CORRUPTION_OUTPUTS[:4],
        params:
            spec=as_arg(DEEP_CORRUPTION),
        log:
            "logs/corruption_sweep/metrics.log",
        localrule: True  # rendering: runs where Snakemake runs, not as a cluster job
        conda:
            ENV
        shell:
            "initgen deep-corruption-metrics --spec {params.spec} --train {input.train} --pretrain {input.pretrain}"
            " --gradients {input.gradients} --out-dir results/corruption_sweep > {log} 2>&1"

    rule corruption_plot:
        input:
            metrics="results/corruption_sweep/metrics.json",
            code=DEEP_PLOT_CODE,
        output:
            CORRUPTION_OUTPUTS[4:],
        log:
            "logs/corruption_sweep/plot.log",
        localrule: True  # rendering: runs where Snakemake runs, not as a cluster job
        conda:
            ENV
        shell:
            "initgen deep-plot corruption {input.metrics} --out results/corruption_sweep/corruption_sweep > {log} 2>&1"

    rule corruption_sweep:
        input:
            CORRUPTION_OUTPUTS,

    ALL_TARGETS.extend(CORRUPTION_OUTPUTS)
