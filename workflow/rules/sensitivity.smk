# How each verdict depends on the values we chose (config sensitivity:): one job per setting of the grid that is not
# the default config (step sizes re-chosen from training loss on sweep seeds, in the job or recorded once by
# `initgen sensitivity-sweep` in sensitivity.sweeps; changed variants retrained, metrics rebuilt), then one summary:
# results/sensitivity/sensitivity.json, the specification curve and the tables.
# Functions: helpers/sensitivity.smk. Included before report.smk: the report shows the summary beside each verdict.
SENSITIVITY_RUNS = sensitivity_runs()
SENSITIVITY_FILES = (
    ["results/sensitivity/sensitivity.json"]
    + artifact_outputs("sensitivity", figures=["spec_curve"], tables=["summary", "checks", "choices"], metrics=False)
    + [f"results/sensitivity/headline/claim{claim['id']}.json" for claim in CLAIMS["claims"]]
    + ["results/sensitivity/headline.json"]  # DVC's stage target, as every artifact's
    if SENSITIVITY_RUNS
    else []
)


if SENSITIVITY_RUNS:

    rule sensitivity_setting:
        input:
            reused=get_sensitivity_reused,
            record=get_sensitivity_record,
            code=code("sensitivity-setting"),
        output:
            metrics="results/sensitivity/settings/{parameter}={label}/{artifact}/metrics.json",
            sweep="results/sensitivity/settings/{parameter}={label}/{artifact}/sweep.md",
        params:
            job=get_sensitivity_job,
            record=lambda w, input: f"--sweep-record {input.record}" if input.record else "",
            device=config["device"],
            out_dir=lambda w, output: os.path.dirname(output.metrics),
        wildcard_constraints:
            artifact=sensitivity_artifacts(),
        threads: 1
        resources:
            gpu=get_gpus,
        log:
            "logs/sensitivity/{parameter}={label}/{artifact}.log",
        benchmark:
            "logs/benchmark/sensitivity/{parameter}={label}/{artifact}.tsv"
        conda:
            ENV
        shell:
            "initgen sensitivity-setting --job {params.job} --trained {input.reused} {params.record}"
            " --device {params.device}"
            " --threads {threads} --out-dir {params.out_dir} > {log} 2>&1"

    rule sensitivity_summary:
        input:
            defaults=sorted({f"results/{s['artifact']}/metrics.json" for s in sensitivity_grid()}),
            settings=[f"{sensitivity_setting_dir(s)}/metrics.json" for s in SENSITIVITY_RUNS.values()],
            registry="config/claims.yaml",
            sweeps=get_sensitivity_sweep_tables,
            code=code("sensitivity"),
        output:
            SENSITIVITY_FILES,
        params:
            settings=get_sensitivity_settings_arg,
        log:
            "logs/sensitivity/summary.log",
        benchmark:
            "logs/benchmark/sensitivity/summary.tsv"
        localrule: True
        conda:
            ENV
        shell:
            "initgen sensitivity --registry {input.registry} --defaults {input.defaults} --settings {params.settings}"
            " --out-dir results/sensitivity > {log} 2>&1"


rule sensitivity:
    input:
        reported(SENSITIVITY_FILES),


ALL_TARGETS.extend(SENSITIVITY_FILES)
