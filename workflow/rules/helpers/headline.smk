def headline_artifacts(targets):
    """Artifacts whose results/<artifact>/metrics.json is among the targets: each gets a headline.json."""
    paths = [Path(f) for f in targets]
    return sorted(
        {
            p.parent.name
            for p in paths
            if p.name == "metrics.json" and p.parts[0] == "results"
        }
    )
