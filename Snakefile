# initgen: every figure and table of the papers in SPEC.md as a named target.
#   snakemake --cores all                      default config: CPU, offline, minutes
#   snakemake --profile cluster all            paper scale on SLURM (cluster/config.yaml)
from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/toy.smk"
include: "workflow/rules/related.smk"
include: "workflow/rules/deep.smk"
include: "workflow/rules/curvature.smk"
include: "workflow/rules/sensitivity.smk"
include: "workflow/rules/report.smk"  # it reads every artifact's outputs
include: "workflow/rules/headline.smk"  # last: DVC's headline numbers of every artifact


rule all:
    default_target: True
    input:
        ALL_TARGETS,
