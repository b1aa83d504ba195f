"""What the Snakemake workflow imports at plan time: shared artifact names, code inputs, cost plans."""
