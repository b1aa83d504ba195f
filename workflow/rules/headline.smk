# Headline numbers per artifact for DVC (`dvc metrics show/diff`, `dvc exp show`): results/<artifact>/headline/, a
# folder of small numbers-only files derived from the artifact's metrics.json (src/initgen/reporting/headline.py), and runs.csv
# (its runs as a table: the data of DVC's sweep plots); for the 1-D artifacts, results/<artifact>/curves/<variant>.csv
# (training MSE per step of every run). Included after
# report.smk: the report reads metrics.json, never these.
# The rule's output is results/<artifact>/headline.json (every entry in one file), written after the folder: a
# directory() output would get Snakemake's .snakemake_timestamp inside, a row of dashes in `dvc metrics show`.
# The folder is rewritten whenever headline.json is; delete both to rebuild one by hand.


include: "helpers/headline.smk"


HEADLINE_ARTIFACTS = headline_artifacts(ALL_TARGETS)


rule headline:
    input:
        metrics="results/{artifact}/metrics.json",
        claims="config/claims.yaml",
        curves=get_headline_curves,  # built with the headline, so that the DVC stage's one request makes them
        code=code("headline"),
    output:
        headline="results/{artifact}/headline.json",
        runs="results/{artifact}/runs.csv",
    log:
        "logs/{artifact}/headline.log",
    benchmark:
        "logs/benchmark/{artifact}/headline.tsv"
    wildcard_constraints:
        artifact="|".join(HEADLINE_ARTIFACTS) or "^$",
    localrule: True
    conda:
        ENV
    shell:
        "initgen headline --metrics {input.metrics} --claims {input.claims} "
        "--out results/{wildcards.artifact}/headline --index {output.headline} --runs-csv {output.runs} "
        "> {log} 2>&1"


rule toy_curves:
    input:
        trained="results/{artifact}/train/{variant}.npz",
        code=code("toy-curves"),
    output:
        "results/{artifact}/curves/{variant}.csv",
    log:
        "logs/{artifact}/curves_{variant}.log",
    benchmark:
        "logs/benchmark/{artifact}/curves_{variant}.tsv"
    wildcard_constraints:
        artifact="|".join(TOY) or "^$",
    localrule: True
    conda:
        ENV
    shell:
        "initgen toy-curves --trained {input.trained} --out {output} > {log} 2>&1"


rule linear_imbalance_curves:
    input:
        runs="results/linear_imbalance/runs.npz",
        code=code("linear-curves"),
    output:
        "results/linear_imbalance/curves.csv",
    log:
        "logs/linear_imbalance/curves.log",
    benchmark:
        "logs/benchmark/linear_imbalance/curves.tsv"
    localrule: True
    conda:
        ENV
    shell:
        "initgen linear-curves --runs {input.runs} --out {output} > {log} 2>&1"


ALL_TARGETS.extend(f"results/{artifact}/headline.json" for artifact in HEADLINE_ARTIFACTS)
