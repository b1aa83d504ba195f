"""What each reported quantity is: its human name (with unit) and its kind, which decides its interval.

The ONE mapping from the raw keys of metrics.json (`test_mse`, `hf_fraction_init`, ...) to what tables show: the
CSV, Markdown and LaTeX tables (tables.write_table renames raw keys through it) and, since it reads those CSVs, the
HTML report. `results.summarize_runs` takes each metric's kind from here.

Kinds (and the interval results.summarize computes for each):
    positive     strictly positive by construction (MSE, loss, steps, trace, norms): log-t, the geometric mean with a
                 multiplicative Student-t interval, exp(mean(log x) ± t s_log / sqrt(n)); it cannot leave (0, inf)
    fraction     a fraction or accuracy in [0, 1]: Student-t interval of the mean intersected with [0, 1]
    correlation  a rank correlation in [-1, 1]: Student-t interval of the mean intersected with [-1, 1]
    real         anything signed (differences, log ratios, signed constants): Student-t interval of the mean
"""

from __future__ import annotations

import math
import re
from typing import NamedTuple

KINDS = ("positive", "fraction", "correlation", "real")


class Quantity(NamedTuple):
    label: str
    kind: str


QUANTITIES: dict[str, Quantity] = {
    # 1-D experiments (toy_analyze)
    "test_mse": Quantity("test MSE", "positive"),
    "train_mse": Quantity("train MSE", "positive"),
    "train_mse_final": Quantity("train MSE at end", "positive"),
    "final_train_mse": Quantity("train MSE at end", "positive"),
    "steps_taken": Quantity("steps taken", "positive"),
    "diverged": Quantity("diverged (fraction of runs)", "fraction"),
    "hf_fraction_init": Quantity("HF energy at init (fraction above Nyquist)", "fraction"),
    "hf_fraction_final": Quantity("HF energy after training (fraction above Nyquist)", "fraction"),
    "centroid_init": Quantity("spectral centroid at init (cycles/unit)", "positive"),
    "centroid_final": Quantity("spectral centroid after training (cycles/unit)", "positive"),
    "spectral_bias_rho": Quantity("spectral bias (Spearman rho, frequency vs convergence step)", "correlation"),
    "pretrain_final_loss": Quantity("pre-training loss at end (MSE)", "positive"),
    # related work
    "init_output_rms": Quantity("initial output RMS", "positive"),
    "epochs": Quantity("epochs", "positive"),
    "predicted_error_rms": Quantity("NTK-predicted error RMS", "positive"),
    "observed_error_rms": Quantity("observed error RMS", "positive"),
    "prediction_rel_error": Quantity("NTK prediction relative error", "positive"),
    "prediction_corr": Quantity("NTK prediction correlation (Pearson r)", "correlation"),
    "kernel_fit_test_mse": Quantity("kernel-regression test MSE", "positive"),
    "c": Quantity("rate constant c", "real"),
    "initial_loss": Quantity("initial loss", "positive"),
    "final_loss": Quantity("final loss", "positive"),
    "final_bound": Quantity("Theorem 1 bound at end", "positive"),
    "bound_ratio_max": Quantity("max excess loss / bound", "positive"),
    "drift": Quantity("imbalance drift ||Lambda(T) - Lambda(0)||_F", "positive"),
    "drift_relative": Quantity("imbalance drift / ||Lambda(0)||_F", "positive"),
    "distance": Quantity("distance to min-norm solution ||UV^T - Theta_hat||_F", "positive"),
    "distance_relative": Quantity("distance / ||Theta_hat||_F", "positive"),
    "distance_init": Quantity("distance at init", "positive"),
    "u2v_init": Quantity("||U2(0) V(0)^T||_F", "positive"),
    "iterations": Quantity("GD iterations to converge", "positive"),
    # deep experiments
    "train_acc": Quantity("train accuracy", "fraction"),
    "test_acc": Quantity("test accuracy", "fraction"),
    "test_top5": Quantity("test top-5 accuracy", "fraction"),
    "pretrain_epochs": Quantity("pre-training epochs", "positive"),
    "pretrain_train_acc": Quantity("pre-training train accuracy", "fraction"),
    "gap": Quantity("generalization gap (train - test accuracy)", "real"),
    "bandwidth": Quantity("bandwidth (mean abs. input gradient)", "positive"),
    # curvature
    "trace": Quantity("Hessian trace", "positive"),
    "trace_stderr": Quantity("Hessian trace std. error", "positive"),
    "top_eigenvalue": Quantity("spectral norm (top Hessian eigenvalue)", "positive"),
    "expected_eigenvalue": Quantity("expected Hessian eigenvalue (trace / parameters)", "positive"),
    "train_loss_subset": Quantity("train loss on the Hessian subset (cross-entropy)", "positive"),
    "train_accuracy": Quantity("train accuracy", "fraction"),
    "test_accuracy": Quantity("test accuracy", "fraction"),
    "slice_curvature_fd": Quantity("curvature along the top eigenvector (finite differences)", "real"),
}

# keys with a number in them: (pattern, label template, kind); the template's {0} is the number
PATTERNS: list[tuple[re.Pattern, str, str]] = [
    (re.compile(r"amp_init_at_(.+)"), "amplitude at {0} cycles/unit, at init", "positive"),
    (re.compile(r"amp_final_at_(.+)"), "amplitude at {0} cycles/unit, after training", "positive"),
    (re.compile(r"kept_fraction_at_(.+)"), "amplitude kept at {0} cycles/unit (after / at init)", "positive"),
    (re.compile(r"converged_step_at_(.+)"), "step when {0} cycles/unit converged", "positive"),
    (re.compile(r"drift_step_x(.+)"), "imbalance drift, step x{0}", "positive"),
]


def quantity(key: str) -> Quantity | None:
    """The Quantity of a raw metric key, or None for a key this mapping does not know."""
    if key in QUANTITIES:
        return QUANTITIES[key]
    for pattern, template, kind in PATTERNS:
        match = pattern.fullmatch(key)
        if match:
            return Quantity(template.format(*match.groups()), kind)
    return None


def human_name(key: str) -> str:
    """Human name of a raw key (the key itself when unknown, e.g. an already human column name)."""
    known = quantity(key)
    return known.label if known else key


def kind_of(key: str | None, values=()) -> str:
    """The kind of a metric: from its name when known, else from its values (all > 0: positive), else real.

    Values decide only for names this mapping does not know; a known name always wins, so a signed quantity that
    happens to be positive in a few seeds keeps its t-interval.
    """
    known = quantity(key) if key is not None else None
    if known:
        return known.kind
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    finite = [float(v) for v in numbers if math.isfinite(v)]
    if key is not None and finite and min(finite) > 0:
        return "positive"
    return "real"
