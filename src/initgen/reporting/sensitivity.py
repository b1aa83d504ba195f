"""Each claim's verdict across the plausible values of what we chose (`initgen sensitivity`).

Reads the default run's metrics.json files and one metrics.json per setting of the sensitivity grid
(experiments/sensitivity.py), evaluates every check of config/claims.yaml at every setting exactly as the report does
at the default, and writes results/sensitivity/: sensitivity.json (per claim: the verdict at every setting and a summary
"reproduced at k of K feasible settings"), a specification curve (Simonsohn, Simmons & Nelson 2020; the multiverse of
Steegen et al. 2016): every check's estimate and interval at every setting, sorted, with its threshold, and below it
which value each setting used; and the table as CSV / Markdown / LaTeX.

Summary rule (fixed before the runs): a check that reads fitted runs (`requires:`) of a variant whose protocol cannot
be met at a setting (no step size of the grid fits every sweep run: the setting's sweep, or the default's table in
config/sweeps/) is "infeasible" there and not scored; a check of quantities at init is scored everywhere. A claim
is "not reproduced" at a setting only by a check on runs that met the protocol, "infeasible" where an unscored check
could still decide it; it is "reproduced at k of K feasible settings", K the settings where it was scored and in
regime, the other verdicts counted beside.
"""

from __future__ import annotations

import argparse
import fnmatch
from pathlib import Path

import numpy as np
import pandas as pd

from initgen.core.arguments import json_arg
from initgen.core.files import read_json, write_json
from initgen.reporting.claims.registry import load_registry
from initgen.reporting.claims.values import expand_for_each
from initgen.reporting.claims.verdicts import combine, evaluate_claims
from initgen.reporting.tables import write_table

SCORED = ("reproduced", "not reproduced", "inconclusive")


def _one_check_registry(registry: dict, claim: dict, check: dict) -> dict:
    return {"defaults": registry["defaults"], "claims": [claim | {"checks": [check]}]}


def variants_read(check: dict) -> set[str]:
    """The variants a check's values name (`where: {variant: ...}` anywhere in them); empty: every variant."""
    found: set[str] = set()

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "variant":
                    found.update(value if isinstance(value, list) else [value])
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(check["values"])
    return found


def evaluate_setting(registry: dict, files: dict[str, Path], artifact: str, feasible: dict[str, bool]) -> dict:
    """Per claim id touched by `artifact`: {"verdict", "checks": [...]}, each check with its verdict at this setting.

    `feasible`: per variant, whether a step size fits every sweep run. A check that reads fitted runs (`requires:`)
    of an infeasible variant is "infeasible" here: the protocol cannot be met, so it is not scored."""
    source = str(files[artifact])
    metrics = read_json(source)
    out = {}
    for claim in registry["claims"]:
        checks = [c for c in claim["checks"] if fnmatch.fnmatchcase(artifact, c["artifact"])]
        if not checks:
            continue
        results = []
        for check in checks:
            evaluated = evaluate_claims(_one_check_registry(registry, claim, check), list(files.values()))[0]["checks"]
            for one, result in zip(expand_for_each(check, metrics, source), evaluated, strict=True):
                bad = sorted(v for v in (variants_read(one) or feasible) if not feasible.get(v, True))
                if bad and check.get("requires") and result.get("kind", "evidence") == "evidence":
                    result = result | {"verdict": "infeasible", "reason": f"no step size fits every sweep run of "
                                       f"{', '.join(bad)} (sweep.md, config/sweeps/): not scored"}  # fmt: skip
                results.append(result)
        evidence = [r["verdict"] for r in results if r.get("kind", "evidence") == "evidence"]
        # a failed check on runs that met the protocol decides against the claim; otherwise an unscored check
        # leaves the claim infeasible at this setting, never "not reproduced"
        scored = [v for v in evidence if v != "infeasible"]
        if "not reproduced" in scored or len(scored) == len(evidence):
            verdict = combine(scored)
        else:
            verdict = "infeasible"
        out[str(claim["id"])] = {"verdict": verdict, "checks": results}
    return out


def _category(verdict: str) -> str:
    if verdict in SCORED or verdict == "infeasible":
        return verdict
    if verdict.startswith("out of regime") or "regime not established" in verdict:
        return "out of regime"
    return "other"


def summary_text(verdicts: list[str]) -> str:
    """'reproduced at k of K feasible settings (...)': K counts the scored settings only."""
    counts = pd.Series([_category(v) for v in verdicts]).value_counts().to_dict()
    scored = sum(counts.get(v, 0) for v in SCORED)
    text = f"reproduced at {counts.get('reproduced', 0)} of {scored} feasible settings"
    rest = [f"{counts[v]} {v}" for v in ("not reproduced", "inconclusive", "infeasible", "out of regime", "other")
            if counts.get(v)]
    return text + (f" ({', '.join(rest)})" if rest else "")


def summarize_sensitivity(registry: dict, default_files: list[str], settings: list[dict]) -> dict:
    """settings: [{"setting": {...id, parameter, label, artifact, default}, "metrics": path or None (the default's),
    "default_feasible": {variant: bool} (the default config's sweeps), "choose", "why": the parameter's rule}]."""
    defaults = {Path(p).parent.name: Path(p) for p in default_files}
    per_claim: dict[str, dict] = {}
    default_done = set()
    setting_feasible = []  # (setting, whether every variant it changes can be fitted)
    for entry in settings:
        setting = entry["setting"]
        artifact = setting["artifact"]
        if artifact not in defaults:
            continue
        files = dict(defaults)
        feasible = dict(entry.get("default_feasible") or {})
        if not setting["default"]:
            files[artifact] = Path(entry["metrics"])
            changed = read_json(entry["metrics"]).get("sensitivity", {}).get("step_sizes", {})
            feasible |= {variant: bool(choice["fits"]) for variant, choice in changed.items()}
        rule = {key: entry.get(key) for key in ("choose", "why")}  # the parameter's, not the setting job's
        setting_feasible.append((setting | rule, all(feasible.get(v, True) for v in setting["variants"])))
        if setting["default"]:
            if artifact in default_done:
                continue  # the default config is one setting, however many parameters list it
            default_done.add(artifact)
        name = "default config" if setting["default"] else f"{setting['parameter']} = {setting['label']}"
        for claim_id, result in evaluate_setting(registry, files, artifact, feasible).items():
            claim = per_claim.setdefault(claim_id, {"settings": []})
            claim["settings"].append({"setting": name, "parameter": setting["parameter"], "value": setting["label"],
                                      "artifact": artifact, "default": setting["default"],
                                      "infeasible_variants": sorted(v for v, ok in feasible.items() if not ok),
                                      **result})  # fmt: skip
    for claim in registry["claims"]:
        entry = per_claim.setdefault(str(claim["id"]), {"settings": []})
        verdicts = [s["verdict"] for s in entry["settings"]]
        entry["statement"] = claim["statement"]
        entry["summary"] = summary_text(verdicts) if verdicts else "not varied: none of its lost values is in this grid"
    rule = __doc__.split("Summary rule (fixed before the runs): ")[1].split("\n\n")[0].replace("\n", " ")
    return {"summary_rule": rule, "claims": per_claim, "choices": choose_values(setting_feasible, per_claim)}


CHOICE_RULES = {"largest": "the largest feasible value", "smallest": "the smallest feasible value",
                "first": "the first feasible value, in the config's order",
                "last": "the last feasible option, in the config's order", "spec": "SPEC's value, where feasible"}


def choose_values(setting_feasible: list[tuple[dict, bool]], per_claim: dict) -> dict:
    """Per parameter with a `choose` rule: the value that rule picks from feasibility alone (a value is feasible
    when every variant it changes, at every artifact it enters, has a step size that fits every sweep run), and
    each claim's verdict there. No verdict enters the choice; it is read after."""
    by_parameter: dict[str, dict] = {}
    for setting, ok in setting_feasible:
        if not setting.get("choose"):
            continue
        entry = by_parameter.setdefault(setting["parameter"], {"what": setting["what"], "rule": setting["choose"],
                                                               "why": setting.get("why") or "", "values": {},
                                                               "artifacts": set()})  # fmt: skip
        entry["artifacts"].add(setting["artifact"])
        value = entry["values"].setdefault(setting["label"], {"value": setting["value"], "feasible": True,
                                                              "default": setting["default"]})  # fmt: skip
        value["feasible"] &= ok
    out = {}
    for parameter, entry in by_parameter.items():
        rule = entry["rule"]
        feasible = [label for label, v in entry["values"].items() if v["feasible"]]
        if isinstance(rule, dict):
            spec = [label for label, v in entry["values"].items() if v["value"] == rule["spec"]]
            chosen, rule_text = (spec[0] if spec and spec[0] in feasible else None), f"SPEC's value {rule['spec']}"
        elif rule in ("first", "last"):
            chosen, rule_text = (feasible[0 if rule == "first" else -1] if feasible else None), CHOICE_RULES[rule]
        else:
            pick = max if rule == "largest" else min
            chosen = pick(feasible, key=lambda label: entry["values"][label]["value"]) if feasible else None
            rule_text = CHOICE_RULES[rule]
        default = [label for label, v in entry["values"].items() if v["default"]]
        # the default config is one setting, listed under the first parameter that names it
        here = (parameter, chosen)
        verdicts = {claim_id: s["verdict"] for claim_id, claim in per_claim.items() for s in claim["settings"]
                    if chosen is not None and s["artifact"] in entry["artifacts"]
                    and (chosen in default if s["default"] else (s["parameter"], s["value"]) == here)}  # fmt: skip
        claims = sorted({claim_id for claim_id, claim in per_claim.items() for s in claim["settings"]
                         if s["parameter"] == parameter and not s["default"]})  # fmt: skip
        out[parameter] = {"what": entry["what"], "rule": rule_text, "why": entry["why"],
                          "values": list(entry["values"]), "feasible": feasible, "chosen": chosen,
                          "default": default[0] if default else None, "verdicts_at_chosen": verdicts,
                          "claims": claims}  # fmt: skip
    return out


def at_chosen_values(choices: dict, claim_id) -> str:
    """A claim's verdict at each value chosen by feasibility, for the claims table: 'what value: verdict' per
    parameter the claim depends on ('what: none feasible' where no value can be fitted)."""
    parts = []
    for c in choices.values():
        if str(claim_id) not in c.get("claims", ()):
            continue
        if c["chosen"] is None:
            parts.append(f"{c['what']}: none feasible")
        else:
            parts.append(f"{c['what']} {c['chosen']}: {c['verdicts_at_chosen'].get(str(claim_id), 'not scored')}")
    return "; ".join(parts) or "not varied"


def choices_table(choices: dict) -> pd.DataFrame:
    rows_ = []
    for parameter, c in choices.items():
        if c["chosen"] is None and not c["feasible"]:
            note = "no value of the grid can be fitted: checks on fitted runs are infeasible at every value"
        elif c["chosen"] is None:
            note = "SPEC's value cannot be fitted within the budget: checks on fitted runs there are infeasible"
        elif c["chosen"] == c["default"]:
            note = "the default config uses it"
        else:
            note = f"the default config uses {c['default']}; the verdicts at {c['chosen']} are these"
        rows_.append({"parameter": parameter, "what": c["what"], "rule": c["rule"], "why": c["why"],
                      "values": ", ".join(c["values"]), "feasible": ", ".join(c["feasible"]) or "none",
                      "chosen": c["chosen"] or "none", "default config": c["default"] or "",
                      "verdicts at the chosen value": "; ".join(f"claim {k}: {v}"
                                                                for k, v in c["verdicts_at_chosen"].items()),
                      "note": note})  # fmt: skip
    return pd.DataFrame(rows_, columns=["parameter", "what", "rule", "why", "values", "feasible", "chosen",
                                        "default config", "verdicts at the chosen value", "note"])  # fmt: skip


def headline_counts(claim: dict) -> dict:
    """How many settings gave each verdict category, and how many were scored."""
    counts = pd.Series([_category(s["verdict"]) for s in claim["settings"]], dtype=object).value_counts().to_dict()
    return {"settings": len(claim["settings"]), "scored": int(sum(counts.get(v, 0) for v in SCORED)),
            **{v.replace(" ", "_"): int(counts.get(v, 0)) for v in (*SCORED, "infeasible", "out of regime")}}


COLUMNS = ["claim", "setting", "artifact", "infeasible_variants", "check", "kind", "estimate", "ci_low", "ci_high",
           "threshold", "n", "verdict", "claim_verdict"]


def rows(summary: dict) -> list[dict]:
    """One row per (claim, setting, check)."""
    out = []
    for claim_id, claim in summary["claims"].items():
        for s in claim["settings"]:
            for check in s["checks"]:
                out.append({"claim": claim_id, "setting": s["setting"], "artifact": s["artifact"],
                            "infeasible_variants": " ".join(s["infeasible_variants"]), "check": check["check"],
                            "kind": check.get("kind", "evidence"),
                            "estimate": check.get("estimate"), "ci_low": check.get("ci_low"),
                            "ci_high": check.get("ci_high"), "threshold": check.get("threshold"),
                            "n": check.get("n"), "verdict": check["verdict"],
                            "claim_verdict": s["verdict"]})  # fmt: skip
    return out


COLOURS = {"reproduced": "tab:green", "not reproduced": "tab:red", "inconclusive": "tab:orange",
           "infeasible": "tab:gray", "out of regime": "tab:purple", "other": "tab:blue"}  # fmt: skip


def plot_specification_curve(frame: pd.DataFrame, path_stem: Path) -> None:
    """Per evidence check that was varied: estimate and interval at every setting, sorted by estimate, threshold
    dashed; beneath it, which value each setting used (one row per parameter value)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    evidence = frame[(frame.kind == "evidence")]
    varied = [key for key, g in evidence.groupby(["claim", "check"], sort=False) if g.setting.nunique() > 1]
    if not varied:
        varied = list(evidence.groupby(["claim", "check"], sort=False).groups)[:1]
    if not varied:  # nothing in the grid touches a claim of this config: say so instead of an empty axis
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 1.5))
        ax.axis("off")
        ax.text(0.5, 0.5, "no check varies across the sensitivity grid of this config", ha="center", va="center")
        from initgen.reporting.figures import save_figure

        save_figure(fig, path_stem)
        return
    settings = sorted(frame.setting.unique(), key=lambda s: (s != "default config", s))
    n = max(len(varied), 1)
    heights = []
    for _ in varied:
        heights += [3, 0.22 * len(settings) + 0.3]
    height = sum(heights) + 0.6 * n
    fig = plt.figure(figsize=(9, height))
    # margins in inches, not fractions: the figure grows with the checks, and gridspec's default 12% top margin
    # left several inches blank above the first panel; the left margin fits the setting names and the y label
    grid = fig.add_gridspec(len(heights) or 1, 1, height_ratios=heights or [1], hspace=0.15, left=0.2, right=0.98,
                            top=1 - 0.8 / height, bottom=0.4 / height)  # fmt: skip
    for i, (claim_id, check) in enumerate(varied):
        g = evidence[(evidence.claim == claim_id) & (evidence.check == check)].copy()
        g["order"] = g.estimate.astype(float).fillna(-np.inf)
        g = g.sort_values("order").reset_index(drop=True)
        ax = fig.add_subplot(grid[2 * i])
        below = fig.add_subplot(grid[2 * i + 1], sharex=ax)
        x = np.arange(len(g))
        for j, row in g.iterrows():
            colour = COLOURS[_category(row.verdict)]
            if row.estimate is None or not np.isfinite(float(row.estimate)):
                ax.plot(j, 0, marker="x", color=colour, ls="none")
                continue
            low = row.ci_low if row.ci_low is not None else row.estimate
            high = row.ci_high if row.ci_high is not None else row.estimate
            ax.errorbar(j, row.estimate, yerr=[[row.estimate - low], [high - row.estimate]], fmt="o", color=colour,
                        capsize=3)  # fmt: skip
        ax.axhline(float(g.threshold.iloc[0]), ls="--", color="k", lw=1, label=f"threshold {g.threshold.iloc[0]:g}")
        ax.set_ylabel("estimate, 95% CI")
        ax.set_title(f"claim {claim_id}: {check}", fontsize=9, loc="left")
        handles = [plt.Line2D([], [], marker="o", ls="none", color=c, label=v) for v, c in COLOURS.items()
                   if v in {_category(x) for x in g.verdict}]  # fmt: skip
        ax.legend(handles=handles + [plt.Line2D([], [], ls="--", color="k", label="threshold")], fontsize=7,
                  loc="best")  # fmt: skip
        ax.tick_params(labelbottom=False)
        ys = {s: k for k, s in enumerate(settings)}
        for j, row in g.iterrows():
            below.plot(j, ys[row.setting], "ks", ms=5)
        below.set_yticks(range(len(settings)), settings, fontsize=7)
        below.set_ylim(-0.5, len(settings) - 0.5)
        below.invert_yaxis()
        below.set_xticks(x, [""] * len(x))
        below.set_xlim(-0.5, max(len(g), 1) - 0.5)
    if varied:
        below.set_xlabel("settings, sorted by estimate")
    fig.suptitle("Specification curve: each check at every feasible and infeasible setting", y=1 - 0.2 / height,
                 fontsize=10)  # fmt: skip
    from initgen.reporting.figures import save_figure

    save_figure(fig, path_stem)


def cli_sensitivity(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="initgen sensitivity",
                                     description="Every claim's verdict at every setting of the sensitivity grid, "
                                     "with a summary and a specification curve (results/sensitivity/).")
    parser.add_argument("--registry", required=True, help="config/claims.yaml")
    parser.add_argument("--defaults", nargs="+", required=True,
                        help="the default run's results/<artifact>/metrics.json files")
    parser.add_argument("--settings", required=True,
                        help="JSON list: [{setting, metrics}] (a setting's metrics.json; null: the default run's)")
    parser.add_argument("--out-dir", required=True, help="folder for sensitivity.json, figure and tables")
    args = parser.parse_args(argv)
    registry = load_registry(args.registry)
    summary = summarize_sensitivity(registry, args.defaults, json_arg(args.settings, "settings"))
    out = Path(args.out_dir)
    frame = pd.DataFrame(rows(summary), columns=COLUMNS)
    plot_specification_curve(frame, out / "spec_curve")
    table = pd.DataFrame([{"claim": k, "summary": v["summary"]} for k, v in summary["claims"].items()])
    write_table(table, out / "summary", caption="Each claim across the sensitivity grid: " + summary["summary_rule"])
    write_table(frame, out / "checks", caption="Every check at every setting of the sensitivity grid")
    write_table(choices_table(summary["choices"]), out / "choices",
                caption="Each lost value chosen from training behaviour alone (feasibility), and the verdicts there")
    write_json(out / "sensitivity.json", summary)
    counts = {f"claim{claim_id}": headline_counts(claim) for claim_id, claim in summary["claims"].items()}
    for name, numbers in counts.items():  # DVC's metrics: numbers only, a file per claim, then all in one
        write_json(out / "headline" / f"{name}.json", numbers)
    write_json(out / "headline.json", counts)
    return 0
