"""Epoch budget of the ASI runs from training behaviour alone (`initgen asi-budget`).

Zhang et al. train "until convergence"; our runs stop at `related.asi.stop_mse` or at the `epochs` cap. The step
size is not free (plain GD at `lr_fraction` of each network's stability limit, the NTK theory's setting), so what
decides whether a run fits is the budget. This trains the init-std sweep (original and ASI, every std) on sweep
seeds disjoint from the config's, with a long cap, and tabulates per variant and std: the runs, how many reached
the stopping rule, and the epochs the slowest one needed. Only the training loss is read. The choice is the
smallest budget of a doubling grid at least twice the epochs the slowest sweep run needed to reach the stopping
rule (every sweep run of every variant and std must reach it);
where none does, the table says which cells cannot be fitted within the cap: the report then shows them as not
fitted.
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

from initgen.core.config import load_config
from initgen.core.files import write_text
from initgen.core.runtime import add_runtime_arguments, setup
from initgen.experiments.asi_runs import run_asi_sweep
from initgen.experiments.lr_sweep import check_disjoint

DEFAULT_SEEDS = [1000, 1001, 1002]  # our choice: 3 seeds no config uses (configs use < 1000)
MARGIN = 2  # our choice: the budget is at least twice what the slowest sweep run needed


def budget_table(sweep: dict, cap: int) -> pd.DataFrame:
    """Per (variant, std): runs, reached the stopping rule within the cap, epochs the slowest fitted run needed,
    median final training MSE."""
    rows = []
    stop = float(sweep["stop_mse"])
    for variant in ("original", "asi"):
        for i, std in enumerate(sweep["stds"]):
            final = np.asarray(sweep[f"{variant}_train_mse"][i], dtype=float)
            epochs = np.asarray(sweep[f"{variant}_epochs"][i])
            reached = np.isfinite(final) & (final < stop)
            rows.append({"variant": variant, "std": float(std), "runs": int(final.size), "reached": int(reached.sum()),
                         "max_epochs_reached": int(epochs[reached].max()) if reached.any() else None,
                         "median_final_mse": float(np.median(final)), "cap": cap})  # fmt: skip
    return pd.DataFrame(rows)


def choose_budget(table: pd.DataFrame, grid: list[int]) -> dict:
    """The smallest budget of `grid` at which every sweep run of every (variant, std) reached the stopping rule."""
    if (table.reached < table.runs).any():
        bad = table[table.reached < table.runs]
        cells = ", ".join(f"{r.variant} std {r.std:g} ({r.reached}/{r.runs})" for r in bad.itertuples())
        return {"epochs": None, "why": f"no budget up to the cap {int(table.cap.max())} fits every run: {cells}"}
    need = int(table.max_epochs_reached.max())
    epochs = next((b for b in sorted(grid) if b >= MARGIN * need), None)
    if epochs is None:
        return {"epochs": None, "why": f"the slowest sweep run needed {need} epochs; no budget of {grid} is "
                                       f"{MARGIN}x that"}
    return {"epochs": epochs, "why": f"the slowest sweep run needed {need} epochs; the smallest budget of {grid} "
                                     f"at least {MARGIN}x that (the config's seeds are not the sweep's)"}


def cli_asi_budget(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="initgen asi-budget", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", nargs="+", default=["config/config.yaml"], help="config files, later override")
    parser.add_argument("--seeds", type=int, nargs="+", default=DEFAULT_SEEDS, help="sweep seeds")
    parser.add_argument("--cap", type=int, default=32000, help="epochs cap of the sweep")
    parser.add_argument("--stds", type=float, nargs="+", default=None,
                        help="init stds to try (default: the config's related.asi.std_sweep)")
    parser.add_argument("--grid", type=int, nargs="+", default=[2000, 4000, 8000, 16000, 32000],
                        help="budgets to choose from")
    add_runtime_arguments(parser)
    parser.add_argument("--out", default=None, help="write the table and the choice as Markdown here")
    args = parser.parse_args(argv)
    config = load_config(*args.config)
    spec = config["related"]["asi"]
    check_disjoint(args.seeds, config)
    device = setup(args.device, args.threads)
    sweep = run_asi_sweep(spec | {"epochs": args.cap} | ({"std_sweep": args.stds} if args.stds else {}), args.seeds,
                          device)
    table = budget_table(sweep, args.cap)
    choice = choose_budget(table, args.grid)
    text = (f"# Epoch budget: asi\n\nCommand: `initgen asi-budget {' '.join(argv)}`\n\n"
            f"Plain GD at {spec['lr_fraction']} of each network's stability limit; stopping rule: train MSE < "
            f"{spec['stop_mse']}; cap {args.cap} epochs; sweep seeds {args.seeds}. Reads training loss only.\n\n"
            + table.drop(columns="cap").to_markdown(index=False)
            + f"\n\nChoice: epochs = {choice['epochs']} ({choice['why']}).\n")
    print(text)
    if args.out:
        write_text(args.out, text)
    return 0
