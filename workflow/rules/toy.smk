# The main paper's 1-D experiments: fig1_depth, fig2_spectral_bias, fig3_init_spectrum, fig5_highbw_1d,
# fig7_decay_rates. Per artifact: one training job per variant -> one analysis job -> one plotting job.
# Config: TOY (common.smk); functions: helpers/toy.smk.


rule toy_train:
    input:
        code=code("toy-train"),
        user_code=get_toy_user_code,
    output:
        "results/{artifact}/train/{variant}.npz",
    params:
        job=get_toy_job,
        seeds=as_arg(config["seeds"]),
        device=config["device"],
    wildcard_constraints:
        artifact="|".join(TOY) or "^$",
    threads: 1
    resources:
        gpu=get_gpus,
    log:
        "logs/{artifact}/train_{variant}.log",
    benchmark:
        "logs/benchmark/{artifact}/train_{variant}.tsv"
    conda:
        ENV
    shell:
        "initgen toy-train --job {params.job} --seeds {params.seeds} --device {params.device}"
        " --threads {threads} --out {output} > {log} 2>&1"


rule toy_analyze:
    input:
        trained=get_toy_trained,
        code=code("toy-analyze"),
    output:
        metrics="results/{artifact}/metrics.json",
        spectra="results/{artifact}/spectra.npz",
    params:
        job=get_toy_analysis_spec,
    wildcard_constraints:
        artifact="|".join(TOY) or "^$",
    log:
        "logs/{artifact}/analyze.log",
    benchmark:
        "logs/benchmark/{artifact}/analyze.tsv"
    conda:
        ENV
    shell:
        "initgen toy-analyze --artifact {wildcards.artifact} --job {params.job}"
        " --trained {input.trained} --metrics {output.metrics} --spectra {output.spectra} > {log} 2>&1"


rule toy_plot:
    input:
        trained=get_toy_trained,
        metrics="results/{artifact}/metrics.json",
        spectra="results/{artifact}/spectra.npz",
        code=code("toy-plot"),
    output:
        figure=multiext("results/{artifact}/{artifact}", ".png", ".pdf"),
        table=multiext("results/{artifact}/summary", ".csv", ".md", ".tex"),
    wildcard_constraints:
        artifact="|".join(TOY) or "^$",
    log:
        "logs/{artifact}/plot.log",
    benchmark:
        "logs/benchmark/{artifact}/plot.tsv"
    localrule: True  # rendering: runs where Snakemake runs, not as a cluster job
    conda:
        ENV
    shell:
        "initgen toy-plot --artifact {wildcards.artifact} --trained {input.trained} --metrics {input.metrics}"
        " --spectra {input.spectra} --out-dir results/{wildcards.artifact} > {log} 2>&1"


# One target rule per artifact, named after it: `snakemake fig1_depth`.
for _artifact in TOY:
    _outputs = artifact_outputs(_artifact, figures=[_artifact], tables=["summary"])

    rule:
        name:
            _artifact
        input:
            _outputs,

    ALL_TARGETS.extend(_outputs)
