# The end of the DAG: dose_response (initial bandwidth vs generalization gap over every run) and report
# (results/report/index.html with the claims of config/claims.yaml, every figure beside its caption, config,
# environment, run times). Include this file LAST: it reads ALL_TARGETS as the other rules files left it.
from snakemake import __version__ as SNAKEMAKE_VERSION


include: "helpers/report.smk"


# Figures marked for `snakemake --report`, captions from workflow/report/<artifact>.rst.
ALL_TARGETS[:] = reported(ALL_TARGETS)
ARTIFACT_FILES = list(ALL_TARGETS)
DOSE_RESPONSE_OUTPUTS = ["results/dose_response/metrics.json"] + [
    f"results/dose_response/dose_response{s}" for s in (".png", ".pdf", ".csv", ".md", ".tex")
]
REPORT_OUTPUTS = ["results/report/index.html", "results/report/metrics.json"] + [
    f"results/report/{table}{s}" for table in ("claims", "claims_detail") for s in (".csv", ".md", ".tex")
]


rule dose_response_metrics:
    input:
        metrics=metrics_files(ARTIFACT_FILES),
        code=code("claims", "dose_response", "figures", "tables"),
    output:
        DOSE_RESPONSE_OUTPUTS,
    params:
        out_dir=lambda w, output: os.path.dirname(output[0]),
    log:
        "logs/dose_response/dose_response.log",
    benchmark:
        "logs/benchmark/dose_response/dose_response.tsv"
    conda:
        ENV
    shell:
        "initgen dose-response --metrics {input.metrics} --out-dir {params.out_dir} > {log} 2>&1"


rule dose_response:
    input:
        reported(DOSE_RESPONSE_OUTPUTS),


rule report:
    input:
        files=reported(ARTIFACT_FILES + DOSE_RESPONSE_OUTPUTS),
        registry="config/claims.yaml",
        captions=sorted(glob.glob("workflow/report/*.rst")),
        code=code("claims", "report", "tables"),
    output:
        html=report(REPORT_OUTPUTS[0], caption="../report/report.rst", category="Report"),
        tables=REPORT_OUTPUTS[1:],
    params:
        config=as_arg(config),
        snakemake_version=SNAKEMAKE_VERSION,
        out_dir=lambda w, output: os.path.dirname(output.html),
        captions=lambda w, input: os.path.dirname(input.captions[0]),
    localrule: True
    log:
        "logs/report/report.log",
    benchmark:
        "logs/benchmark/report/report.tsv"
    conda:
        ENV
    shell:
        "initgen report --registry {input.registry} --files {input.files} --captions {params.captions}"
        " --config {params.config} --snakemake-version {params.snakemake_version} --benchmarks logs/benchmark"
        " --out-dir {params.out_dir} > {log} 2>&1"


ALL_TARGETS.extend(DOSE_RESPONSE_OUTPUTS + REPORT_OUTPUTS)
