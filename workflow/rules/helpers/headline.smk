def headline_artifacts(targets):
    """Artifacts whose results/<artifact>/metrics.json is among the targets: each gets a headline folder
    (and its headline.json)."""
    paths = [Path(f) for f in targets]
    return sorted({p.parent.name for p in paths if p.name == "metrics.json" and p.parts[0] == "results"})


def get_headline_curves(wildcards):
    """The artifact's curves for DVC's plots: per variant for a 1-D artifact, loss vs bound for linear_imbalance."""
    if wildcards.artifact == "linear_imbalance":
        return ["results/linear_imbalance/curves.csv"]
    if wildcards.artifact not in TOY:
        return []
    variants = TOY[wildcards.artifact]["variants"]
    return expand(
        "results/{artifact}/curves/{variant}.csv",
        artifact=wildcards.artifact,
        variant=variants,
    )
