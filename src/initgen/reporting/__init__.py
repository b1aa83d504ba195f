"""Everything that only reads results: claims and verdicts, headline files, tables, figures, the report."""
