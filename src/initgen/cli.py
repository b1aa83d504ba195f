"""The one command-line entry point: `initgen <command> [args]`.

Snakemake rules, DVC and people call the same commands. Each command lives in the module that owns the
concept and is imported only when used (importing torch costs seconds). To add a command, add one line to
COMMANDS: name -> "module:function", where the function takes the remaining argv and returns an exit code.
"""

from __future__ import annotations

import importlib
import sys

from initgen.errors import UserFacingError

COMMANDS = {
    "validate-config": "initgen.config:cli_validate",
    "toy-train": "initgen.experiments.toy_train:cli_train",
    "toy-analyze": "initgen.experiments.toy_analyze:cli_analyze",
    "toy-plot": "initgen.plots.toy:cli_plot",
    "data-download": "initgen.data.registry:cli_download",
    "data-prepare": "initgen.data.registry:cli_prepare",
    "asi-run": "initgen.experiments.related:cli_asi_run",
    "linear-imbalance-run": "initgen.experiments.related:cli_linear_imbalance_run",
    "linear-width-run": "initgen.experiments.related:cli_linear_width_run",
    "related-analyze": "initgen.experiments.related_analyze:cli_analyze",
    "related-plot": "initgen.plots.related:cli_plot",
    "deep-pretrain": "initgen.experiments.deep:cli_pretrain",
    "deep-train": "initgen.experiments.deep:cli_train",
    "deep-input-gradients": "initgen.experiments.deep:cli_input_gradients",
    "deep-table": "initgen.experiments.deep:cli_table",
    "deep-fig6-metrics": "initgen.experiments.deep:cli_fig6_metrics",
    "deep-corruption-metrics": "initgen.experiments.deep:cli_corruption_metrics",
    "deep-plot": "initgen.plots.deep:cli_plot",
    "flat-minima-train": "initgen.experiments.flat_minima:cli_train",
    "flat-minima-hessian": "initgen.experiments.flat_minima:cli_hessian",
    "flat-minima-analyze": "initgen.experiments.flat_minima:cli_analyze",
    "deep-hessian": "initgen.experiments.deep_hessian:cli_hessian",
    "deep-hessian-table": "initgen.experiments.deep_hessian:cli_table",
    "curvature-plot": "initgen.plots.curvature:cli_plot",
    "claims": "initgen.claims:cli_claims",
    "dose-response": "initgen.dose_response:cli_dose_response",
    "headline": "initgen.headline:cli_headline",
    "toy-curves": "initgen.curves:cli_toy_curves",
    "linear-curves": "initgen.curves:cli_linear_curves",
    "report": "initgen.report:cli_report",
    "readme-claims": "initgen.report:cli_readme_claims",
    "report-screenshot": "initgen.report:cli_screenshot",
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print("usage: initgen <command> [args]\n\ncommands:\n  " + "\n  ".join(sorted(COMMANDS)))
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
