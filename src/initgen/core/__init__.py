"""Infrastructure every step shares: files written atomically, config, runtime, progress, checkpoints, errors."""
