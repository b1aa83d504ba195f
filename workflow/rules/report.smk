# The end of the DAG: dose_response (initial bandwidth vs generalization gap over every run) and report
# (results/report/index.html with the claims of config/claims.yaml, every figure beside its caption, config,
# environment, run times). Include this file LAST: it reads ALL_TARGETS as the other rules files left it.
from snakemake import __version__ as SNAKEMAKE_VERSION

# Figures marked for `snakemake --report`, captions from workflow/report/<artifact>.rst.
ALL_TARGETS[:] = reported(ALL_TARGETS)
ARTIFACT_FILES = list(ALL_TARGETS)
DOSE_RESPONSE_OUTPUTS = artifact_outputs("dose_response", figures=["dose_response"], tables=["dose_response"])
REPORT_HTML = "results/report/index.html"
REPORT_TABLES = artifact_outputs("report", tables=["claims", "claims_detail"])


rule dose_response_metrics:
    input:
        metrics=metrics_files(ARTIFACT_FILES),
        code=code("dose-response"),
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
        code=code("report"),
    output:
        html=report(REPORT_HTML, caption="../report/report.rst", category="Report"),
        tables=REPORT_TABLES,
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


ALL_TARGETS.extend(DOSE_RESPONSE_OUTPUTS + [REPORT_HTML] + REPORT_TABLES)
