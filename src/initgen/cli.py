"""The one command-line entry point: `initgen <command> [args]`.

Snakemake rules, DVC and people call the same commands. Each command lives in the module that owns the
concept and is imported only when used (importing torch costs seconds). To add a command, add one line to
FAMILIES: name -> ("module:function", one line on what it does), where the function takes the remaining argv and
returns an exit code; its argparse parser carries a description and a help string for every argument
(tests/test_cli.py checks both).
"""

from __future__ import annotations

import importlib
import sys

from initgen.core.errors import UserFacingError

# family -> {command: ("module:function", one line on what it does and, where one rule runs it, which)}
FAMILIES: dict[str, dict[str, tuple[str, str]]] = {
    "config and data": {
        "validate-config": ("initgen.core.config:cli_validate",
                            "check config YAML files against the workflow's schema (every workflow run does)"),
        "data-download": ("initgen.data.registry:cli_download",
                          "fetch one image dataset's archive and verify its checksum (rules data_download_<name>)"),
        "data-prepare": ("initgen.data.registry:cli_prepare",
                         "unpack a downloaded dataset into tensors the deep experiments read (rule data_prepare)"),
        "rehearsal-data": ("initgen.data.rehearsal:cli_rehearsal_data",
                           "write the rehearsal's stand-in archives in the official formats (rule rehearsal_data)"),
    },
    "1-D experiments (Exp 1-3, A.2, A.3)": {
        "toy-train": ("initgen.experiments.regression_1d_train:cli_train",
                      "train one variant of a 1-D regression experiment over its seeds (rule toy_train)"),
        "toy-analyze": ("initgen.experiments.regression_1d_analyze:cli_analyze",
                        "spectra and per-run metrics of a 1-D artifact, with summaries (rule toy_analyze)"),
        "toy-plot": ("initgen.reporting.plots.regression_1d:cli_plot",
                    "figure and summary table of a 1-D artifact (rule toy_plot)"),
        "toy-curves": ("initgen.reporting.curves:cli_toy_curves",
                       "training MSE per step of every run of a 1-D artifact as CSV (DVC data plots)"),
        "select-lr": ("initgen.experiments.lr_sweep:cli_select_lr",
                      "choose a 1-D variant's step size from training loss on sweep seeds (config/sweeps/)"),
    },
    "deep experiments (Exp 4, Tables 1/3, Fig 6, corruption sweep)": {
        "deep-pretrain": ("initgen.experiments.classifier_train:cli_pretrain",
                          "pre-train a classifier on shuffled labels: the high-bandwidth init (rule deep_pretrain)"),
        "deep-train": ("initgen.experiments.classifier_train:cli_train",
                       "train a classifier on true labels from a random or pre-trained init (rule deep_train)"),
        "deep-input-gradients": ("initgen.experiments.classifier_train:cli_input_gradients",
                                 "input gradients of initial networks, the bandwidth measure of Fig 6"),
        "deep-table": ("initgen.experiments.classifier_analyze:cli_table",
                       "accuracy table of one dataset (Table 1/3) and its metrics.json"),
        "deep-fig6-metrics": ("initgen.experiments.classifier_analyze:cli_fig6_metrics",
                              "bandwidth per init and model from the input gradients (Fig 6 metrics)"),
        "deep-corruption-metrics": ("initgen.experiments.classifier_analyze:cli_corruption_metrics",
                                    "test accuracy and bandwidth against the fraction of shuffled labels"),
        "deep-plot": ("initgen.reporting.plots.classifiers:cli_plot",
                     "training curves, Fig 6 or the corruption-sweep figure"),
    },
    "curvature (Exp 5, A.4)": {
        "flat-minima-train": ("initgen.experiments.flat_minima_train:cli_train",
                              "train one Exp 5 variant (1-D, low or high bandwidth init) to a minimum"),
        "flat-minima-hessian": ("initgen.experiments.flat_minima:cli_hessian",
                                "Hessian trace, top eigenvalue, density and slice at the Exp 5 minima"),
        "flat-minima-analyze": ("initgen.experiments.flat_minima:cli_analyze",
                                "Table 2 (flatness against test error) and its metrics.json"),
        "deep-hessian": ("initgen.experiments.classifier_hessian:cli_hessian",
                         "Hessian trace and top eigenvalue of one trained classifier (A.4)"),
        "deep-hessian-table": ("initgen.experiments.classifier_hessian:cli_table", "Table 4 and its metrics.json"),
        "curvature-plot": ("initgen.reporting.plots.curvature:cli_plot", "Fig 4 (Exp 5) or Fig 9 (A.4)"),
    },
    "related work (ASI, linear networks)": {
        "asi-run": ("initgen.experiments.asi_runs:cli_asi_run",
                    "train the original and anti-symmetric-init (ASI) networks of Zhang et al. 2020"),
        "asi-budget": ("initgen.experiments.asi_budget:cli_asi_budget",
                       "choose the ASI epoch budget from training loss alone (sweep seeds, a long cap)"),
        "linear-imbalance-run": ("initgen.experiments.linear_runs:cli_linear_imbalance_run",
                                 "gradient descent on linear networks with imbalanced init (Min et al. 2021, Thm 1)"),
        "linear-width-run": ("initgen.experiments.linear_runs:cli_linear_width_run",
                             "distance to the min-norm solution against width of linear networks (Min et al. 2021)"),
        "related-analyze": ("initgen.experiments.asi_linear_analyze:cli_analyze",
                            "metrics.json of a related-work artifact from its runs"),
        "related-plot": ("initgen.reporting.plots.asi_linear:cli_plot",
                        "figure and summary table of a related-work artifact"),
        "linear-curves": ("initgen.reporting.curves:cli_linear_curves",
                          "linear networks' loss and Theorem 1 bound per iteration as CSV (DVC data plots)"),
    },
    "planning": {
        "plan": ("initgen.pipeline.plan:cli_plan",
                 "jobs per rule and GPU-hours of a config's classifier training, from measured throughput"),
    },
    "claims and report": {
        "claims": ("initgen.reporting.claims.verdicts:cli_claims",
                   "verdict of every paper claim in config/claims.yaml"),
        "headline": ("initgen.reporting.headline:cli_headline",
                     "headline/: an artifact's few numbers to compare between commits, a file a row (DVC metrics)"),
        "sensitivity-setting": ("initgen.experiments.sensitivity:cli_setting",
                                "one artifact's metrics at one setting of the sensitivity grid"),
        "sensitivity-sweep": ("initgen.experiments.sensitivity:cli_sweep",
                              "run and record sensitivity settings' step-size sweeps (config/sweeps/sensitivity/)"),
        "sensitivity": ("initgen.reporting.sensitivity:cli_sensitivity",
                        "every claim's verdict across the sensitivity grid: summary, specification curve"),
        "dose-response": ("initgen.reporting.dose_response:cli_dose_response",
                          "rank correlation of init bandwidth with the generalization gap, over every artifact"),
        "report": ("initgen.reporting.report:cli_report",
                  "write results/report/index.html and the claims tables (rule report)"),
        "readme-claims": ("initgen.reporting.report:cli_readme_claims",
                         "put the report's claims table into README.md"),
        "report-screenshot": ("initgen.reporting.readme_picture:cli_screenshot",
                             "docs/report.png taken by headless Chromium, and the hashes of the report code it shows"),
    },
}
COMMANDS = {name: target for family in FAMILIES.values() for name, (target, _) in family.items()}
SUMMARIES = {name: summary for family in FAMILIES.values() for name, (_, summary) in family.items()}


def usage() -> str:
    """`initgen --help`: every command with one line on what it does, grouped by family."""
    width = max(map(len, COMMANDS)) + 2
    lines = ["usage: initgen <command> [args]    (initgen <command> --help describes its arguments)", ""]
    for family, commands in FAMILIES.items():
        lines.append(f"{family}:")
        lines += [f"  {name:<{width}}{summary}" for name, (_, summary) in commands.items()]
        lines.append("")
    lines.append("Snakemake rules call these commands; `snakemake -n TARGET` shows which ones a target runs.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"initgen: unknown command {name!r}; known: {', '.join(sorted(COMMANDS))}", file=sys.stderr)
        return 2
    module_name, function_name = COMMANDS[name].split(":")
    function = getattr(importlib.import_module(module_name), function_name)
    try:
        return int(function(rest) or 0)
    except UserFacingError as error:
        print(f"initgen {name}: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
