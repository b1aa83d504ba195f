# Flatness of minima: Exp 5 (table2_flat_minima, fig4_flat_minima) and A.4 (table4_deep_hessian, fig9_deep_hessian).
# Exp 5: one training job per variant (every draw x seed batched) -> one Hessian job per variant -> table -> figure.
# A.4: one Hessian job per trained classifier (checkpoints of deep.smk) -> table -> figure.
# Editing src/initgen/analysis/curvature/hessian.py reruns the Hessian jobs, tables and figures, never a training job.
# Config: FLAT, DEEP_HESSIAN (common.smk); functions: helpers/curvature.smk.


if FLAT:
    TABLE2_OUTPUTS = artifact_outputs("table2_flat_minima", tables=["table2_flat_minima"])
    FIG4_OUTPUTS = artifact_outputs("fig4_flat_minima", figures=["fig4_flat_minima"])
    FLAT_TRAINED = expand("results/table2_flat_minima/train/{variant}.npz", variant=FLAT["variants"])
    FLAT_HESSIAN = expand("results/table2_flat_minima/hessian/{variant}.json", variant=FLAT["variants"])

    rule flat_minima_train:
        input:
            code=code("flat-minima-train"),
            user_code=get_flat_minima_user_code,
        output:
            "results/table2_flat_minima/train/{variant}.npz",
        params:
            job=get_flat_minima_job,
            seeds=as_arg(FLAT.get("seeds") or config["seeds"]),
            device=config["device"],
        wildcard_constraints:
            variant="|".join(FLAT["variants"]),
        threads: 1
        resources:
            gpu=get_gpus,
        log:
            "logs/table2_flat_minima/train_{variant}.log",
        benchmark:
            "logs/benchmark/table2_flat_minima/train_{variant}.tsv"
        conda:
            ENV
        shell:
            "initgen flat-minima-train --job {params.job} --seeds {params.seeds} --device {params.device}"
            " --threads {threads} --out {output} > {log} 2>&1"

    rule flat_minima_hessian:
        input:
            trained="results/table2_flat_minima/train/{variant}.npz",
            code=code("flat-minima-hessian"),
            user_code=get_flat_minima_user_code,
        output:
            "results/table2_flat_minima/hessian/{variant}.json",
        params:
            hessian=get_hessian_settings(FLAT),
            slice=as_arg(FLAT["slice"]),
        wildcard_constraints:
            variant="|".join(FLAT["variants"]),
        threads: 1
        log:
            "logs/table2_flat_minima/hessian_{variant}.log",
        benchmark:
            "logs/benchmark/table2_flat_minima/hessian_{variant}.tsv"
        conda:
            ENV
        shell:
            "initgen flat-minima-hessian --trained {input.trained} --hessian {params.hessian}"
            " --slice {params.slice} --threads {threads} --out {output} > {log} 2>&1"

    rule flat_minima_analyze:
        input:
            hessian=FLAT_HESSIAN,
            code=code("flat-minima-analyze"),
        output:
            TABLE2_OUTPUTS,
        params:
            out_dir=lambda w, output: os.path.dirname(output[0]),
        log:
            "logs/table2_flat_minima/analyze.log",
        benchmark:
            "logs/benchmark/table2_flat_minima/analyze.tsv"
        conda:
            ENV
        shell:
            "initgen flat-minima-analyze --hessian {input.hessian} --out-dir {params.out_dir} > {log} 2>&1"

    rule flat_minima_plot:
        input:
            trained=FLAT_TRAINED,
            hessian=FLAT_HESSIAN,
            metrics="results/table2_flat_minima/metrics.json",
            code=code("curvature-plot"),
        output:
            FIG4_OUTPUTS,
        params:
            out_dir=lambda w, output: os.path.dirname(output[0]),
        log:
            "logs/fig4_flat_minima/plot.log",
        benchmark:
            "logs/benchmark/fig4_flat_minima/plot.tsv"
        conda:
            ENV
        shell:
            "initgen curvature-plot fig4 --metrics {input.metrics} --runs {input.hessian}"
            " --trained {input.trained} --out-dir {params.out_dir} > {log} 2>&1"

    rule table2_flat_minima:
        input:
            TABLE2_OUTPUTS,

    rule fig4_flat_minima:
        input:
            FIG4_OUTPUTS,

    ALL_TARGETS.extend(TABLE2_OUTPUTS + FIG4_OUTPUTS)


if DEEP_HESSIAN and DEEP_HESSIAN["datasets"]:
    TABLE4_OUTPUTS = artifact_outputs("table4_deep_hessian", tables=["table4_deep_hessian"])
    FIG9_OUTPUTS = artifact_outputs("fig9_deep_hessian", figures=["fig9_deep_hessian"])
    DEEP_HESSIAN_RUN = "results/table4_deep_hessian/runs/{dataset}/{model}/{init}/seed{seed}.json"
    DEEP_HESSIAN_FILES = [
        DEEP_HESSIAN_RUN.format(dataset=d, model=m, init=i, seed=s) for d, m, i, s in deep_hessian_runs()
    ]

    rule deep_hessian:
        wildcard_constraints:
            dataset="|".join(DEEP_HESSIAN["datasets"]),
            model="[a-z0-9_]+",
            init="random|highbw",
        input:
            checkpoint=deep_checkpoint("final"),
            train_json="results/deep/{dataset}/{model}/{init}/seed{seed}/train.json",
            data=get_prepared_data,
            code=code("deep-hessian"),
            user_code=get_deep_user_code,
        output:
            DEEP_HESSIAN_RUN,
        params:
            job=get_deep_hessian_job,
            hessian=get_hessian_settings(DEEP_HESSIAN),
            device=config["device"],
        threads: get_threads(DEEP_HESSIAN)
        resources:
            **get_resources(DEEP_HESSIAN),
        log:
            "logs/table4_deep_hessian/{dataset}/{model}/{init}/seed{seed}.log",
        benchmark:
            "logs/benchmark/table4_deep_hessian/{dataset}/{model}/{init}/seed{seed}.tsv"
        conda:
            ENV
        shell:
            "initgen deep-hessian --job {params.job} --checkpoint {input.checkpoint}"
            " --train-json {input.train_json} --hessian {params.hessian} --device {params.device}"
            " --threads {threads} --out {output} > {log} 2>&1"

    rule deep_hessian_table:
        input:
            runs=DEEP_HESSIAN_FILES,
            code=code("deep-hessian-table"),
        output:
            TABLE4_OUTPUTS,
        params:
            out_dir=lambda w, output: os.path.dirname(output[0]),
        log:
            "logs/table4_deep_hessian/table.log",
        benchmark:
            "logs/benchmark/table4_deep_hessian/table.tsv"
        conda:
            ENV
        shell:
            "initgen deep-hessian-table --runs {input.runs} --out-dir {params.out_dir} > {log} 2>&1"

    rule deep_hessian_plot:
        input:
            runs=DEEP_HESSIAN_FILES,
            metrics="results/table4_deep_hessian/metrics.json",
            code=code("curvature-plot"),
        output:
            FIG9_OUTPUTS,
        params:
            out_dir=lambda w, output: os.path.dirname(output[0]),
        log:
            "logs/fig9_deep_hessian/plot.log",
        benchmark:
            "logs/benchmark/fig9_deep_hessian/plot.tsv"
        conda:
            ENV
        shell:
            "initgen curvature-plot fig9 --metrics {input.metrics} --runs {input.runs}"
            " --out-dir {params.out_dir} > {log} 2>&1"

    rule table4_deep_hessian:
        input:
            TABLE4_OUTPUTS,

    rule fig9_deep_hessian:
        input:
            FIG9_OUTPUTS,

    ALL_TARGETS.extend(TABLE4_OUTPUTS + FIG9_OUTPUTS)
