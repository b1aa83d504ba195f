# Headline numbers per artifact for DVC (`dvc metrics show/diff`, `dvc exp show`): results/<artifact>/headline.json,
# a small flat numbers-only file derived from the artifact's metrics.json (src/initgen/headline.py). Included after
# report.smk: the report reads metrics.json, never these.


include: "helpers/headline.smk"


HEADLINE_ARTIFACTS = headline_artifacts(ALL_TARGETS)


rule headline:
    input:
        metrics="results/{artifact}/metrics.json",
        code=code("headline"),
    output:
        "results/{artifact}/headline.json",
    log:
        "logs/{artifact}/headline.log",
    wildcard_constraints:
        artifact="|".join(HEADLINE_ARTIFACTS) or "^$",
    localrule: True
    conda:
        ENV
    shell:
        "initgen headline --metrics {input.metrics} --out {output} > {log} 2>&1"


ALL_TARGETS.extend(
    f"results/{artifact}/headline.json" for artifact in HEADLINE_ARTIFACTS
)
