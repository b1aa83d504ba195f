# Functions of workflow/rules/report.smk.
import glob


def caption_file(artifact):
    """Absolute path of an artifact's caption (<artifact>.rst, else its family's: table1_x -> table1.rst), or None.

    Absolute, because Snakemake resolves a relative caption against the file of each rule that lists the output
    (the Snakefile's `all`, and report.smk's `report`).
    """
    path = caption_path(artifact, Path(workflow.basedir) / "workflow" / "report")  # the one the report reads
    return None if path is None else str(path)


def reported(files):
    """The files with every figure PNG under results/<artifact>/ marked for `snakemake --report`."""
    marked = []
    for name in files:
        parts = Path(name).parts
        if name.endswith(".png") and len(parts) == 3 and parts[0] == "results":
            name = report(name, caption=caption_file(parts[1]), category=parts[1])
        marked.append(name)
    return marked


def metrics_files(files):
    return [f for f in files if Path(f).name == "metrics.json"]
