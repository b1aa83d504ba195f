# The related papers (SPEC "ASI" and "Overparametrized linear networks"): asi, linear_imbalance, linear_width.
# Per artifact: run step(s) -> related_analyze (metrics.json) -> related_plot (figures, tables).
# Config: RELATED (common.smk); RELATED_ARTIFACTS: initgen.pipeline.artifacts (the steps use it too).
RELATED_RUNS = {
    "asi": ["results/asi/main.npz", "results/asi/sweep.npz"],
    "linear_imbalance": ["results/linear_imbalance/runs.npz"],
    "linear_width": ["results/linear_width/runs.npz"],
}
RELATED_FIGURES = {
    "asi": ["asi", "asi_sweep"],
    "linear_imbalance": ["linear_imbalance"],
    "linear_width": ["linear_width"],
}
RELATED_TABLES = {"asi": ["summary", "sweep"], "linear_imbalance": ["summary"], "linear_width": ["summary"]}
# code() adds each command's library imports (initgen.pipeline.code_inputs): the ASI runs and the linear-network runs live in
# separate modules so that editing one reruns only its own artifact.


rule asi_run:
    input:
        code=code("asi-run"),
    output:
        "results/asi/{part}.npz",
    params:
        job=as_arg(RELATED.get("asi", {})),
        seeds=as_arg(config["seeds"]),
        device=config["device"],
    wildcard_constraints:
        part="main|sweep",
    threads: 1
    resources:
        gpu=get_gpus,
    log:
        "logs/asi/run_{part}.log",
    benchmark:
        "logs/benchmark/asi/run_{part}.tsv"
    conda:
        ENV
    shell:
        "initgen asi-run --part {wildcards.part} --job {params.job} --seeds {params.seeds}"
        " --device {params.device} --threads {threads} --out {output} > {log} 2>&1"


rule linear_imbalance_run:
    input:
        code=code("linear-imbalance-run"),
    output:
        "results/linear_imbalance/runs.npz",
    params:
        job=as_arg({k: v for k, v in RELATED.get("linear_imbalance", {}).items() if k != "seeds"}),
        seeds=as_arg(RELATED.get("linear_imbalance", {}).get("seeds", config["seeds"])),
        device=config["device"],
    threads: 1
    resources:
        gpu=get_gpus,
    log:
        "logs/linear_imbalance/run.log",
    benchmark:
        "logs/benchmark/linear_imbalance/run.tsv"
    conda:
        ENV
    shell:
        "initgen linear-imbalance-run --job {params.job} --seeds {params.seeds}"
        " --device {params.device} --threads {threads} --out {output} > {log} 2>&1"


rule linear_width_run:
    input:
        code=code("linear-width-run"),
    output:
        "results/linear_width/runs.npz",
    params:
        job=as_arg({k: v for k, v in RELATED.get("linear_width", {}).items() if k != "seeds"}),
        seeds=as_arg(RELATED.get("linear_width", {}).get("seeds", config["seeds"])),
        device=config["device"],
    threads: 1
    resources:
        gpu=get_gpus,
    log:
        "logs/linear_width/run.log",
    benchmark:
        "logs/benchmark/linear_width/run.tsv"
    conda:
        ENV
    shell:
        "initgen linear-width-run --job {params.job} --seeds {params.seeds}"
        " --device {params.device} --threads {threads} --out {output} > {log} 2>&1"


# Analysis and plots, one rule each per artifact (their outputs differ), plus the target rule named after it.
for _artifact in [a for a in RELATED_ARTIFACTS if a in RELATED]:
    _outputs = artifact_outputs(_artifact, RELATED_FIGURES[_artifact], RELATED_TABLES[_artifact])
    _plots = artifact_outputs(_artifact, RELATED_FIGURES[_artifact], RELATED_TABLES[_artifact], metrics=False)

    rule:
        name:
            f"{_artifact}_analyze"
        input:
            runs=RELATED_RUNS[_artifact],
            code=code("related-analyze"),
        output:
            f"results/{_artifact}/metrics.json",
        params:
            artifact=_artifact,
        log:
            f"logs/{_artifact}/analyze.log",
        benchmark:
            f"logs/benchmark/{_artifact}/analyze.tsv"
        localrule: True  # rendering: runs where Snakemake runs, not as a cluster job
        conda:
            ENV
        shell:
            "initgen related-analyze --artifact {params.artifact} --runs {input.runs} --out {output} > {log} 2>&1"

    rule:
        name:
            f"{_artifact}_plot"
        input:
            runs=RELATED_RUNS[_artifact],
            metrics=f"results/{_artifact}/metrics.json",
            code=code("related-plot"),
        output:
            _plots,
        params:
            artifact=_artifact,
            out_dir=lambda w, output: os.path.dirname(output[0]),
        log:
            f"logs/{_artifact}/plot.log",
        benchmark:
            f"logs/benchmark/{_artifact}/plot.tsv"
        localrule: True  # rendering: runs where Snakemake runs, not as a cluster job
        conda:
            ENV
        shell:
            "initgen related-plot --artifact {params.artifact} --runs {input.runs} --metrics {input.metrics}"
            " --out-dir {params.out_dir} > {log} 2>&1"

    rule:
        name:
            _artifact
        input:
            _outputs,

    ALL_TARGETS.extend(_outputs)
