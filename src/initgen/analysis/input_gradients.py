"""Input gradients as a bandwidth measure for image classifiers (Ramasinghe et al., App. A.2, Fig 6).

For each image x (pixels scaled to [0, 1]) we take the gradient of the network's averaged output,
mean_k f_k(x), with respect to every pixel. Larger first derivatives mean more energy at high frequencies, so
the mean absolute input gradient is our scalar "bandwidth" of a network (logit units per unit pixel
change). The model runs in eval mode, so images do not interact through batch norm: each gradient is
per image.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch


def _channel_stats(mean: Sequence[float], std: Sequence[float], device) -> tuple[torch.Tensor, torch.Tensor]:
    """The dataset's per-channel normalization as [1, C, 1, 1] tensors on `device`."""
    as_tensor = lambda values: torch.tensor(values, dtype=torch.float32, device=device).view(1, -1, 1, 1)  # noqa: E731
    return as_tensor(mean), as_tensor(std)


def input_gradients(
    model: torch.nn.Module,
    images: torch.Tensor,
    mean: Sequence[float],
    std: Sequence[float],
    batch_size: int = 256,
) -> torch.Tensor:
    """d mean_k f_k(x) / dx for uint8 images [N, C, H, W]; returns float32 [N, C, H, W] on the CPU."""
    device = next(model.parameters()).device
    mean_t, std_t = _channel_stats(mean, std, device)
    was_training = model.training
    model.eval()
    grads = []
    for start in range(0, images.shape[0], batch_size):
        pixels = (images[start : start + batch_size].to(device).float() / 255.0).requires_grad_(True)
        outputs = model((pixels - mean_t) / std_t)
        # Summing over the batch keeps per-image gradients (eval mode: images do not interact).
        (grad,) = torch.autograd.grad(outputs.float().mean(dim=1).sum(), pixels)
        grads.append(grad.detach().cpu())
    model.train(was_training)
    return torch.cat(grads)


def calibrate_batch_norm(
    model: torch.nn.Module, images: torch.Tensor, mean: Sequence[float], std: Sequence[float], batch_size: int = 256
) -> bool:
    """Set every batch norm's running statistics from `images` (uint8 [N, C, H, W]) by forward passes with only
    the batch-norm layers in train mode, no weight changes: the running mean is the mean over all images, the
    running variance the image-weighted mean of the batch variances (what batch norm divides by in training).
    Returns whether the model has batch norm. A freshly initialized network's running statistics are the
    defaults (mean 0, var 1), not its activations' statistics, so in eval mode it would be measured as a
    different function than a trained one; calibrating removes that confound (Fig 6)."""
    norms = [m for m in model.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return False
    device = next(model.parameters()).device
    mean_t, std_t = _channel_stats(mean, std, device)
    was_training = model.training
    model.eval()
    momenta = []
    for norm in norms:
        momenta.append(norm.momentum)
        norm.reset_running_stats()
        norm.train()
    seen = 0
    with torch.no_grad():
        for start in range(0, images.shape[0], batch_size):
            pixels = images[start : start + batch_size].to(device).float() / 255.0
            seen += pixels.shape[0]
            for norm in norms:  # weight each batch by its images: the running mean is the exact mean
                norm.momentum = pixels.shape[0] / seen
            model((pixels - mean_t) / std_t)
    for norm, momentum in zip(norms, momenta, strict=True):
        norm.momentum = momentum
    model.train(was_training)
    return True


def bandwidth(grads: torch.Tensor | np.ndarray) -> float:
    """The scalar bandwidth: mean absolute input gradient over images and pixels."""
    return float(np.abs(np.asarray(grads, dtype=np.float64)).mean())


def per_image_bandwidth(grads: torch.Tensor) -> np.ndarray:
    """Mean absolute input gradient of each image, [N]."""
    return grads.abs().flatten(1).mean(1).double().numpy()


def symmetric_edges(values: Sequence[np.ndarray], bins: int = 81, quantile: float = 0.999) -> np.ndarray:
    """Shared histogram bin edges for several gradient samples: symmetric about 0, out to the `quantile`
    of |g| over all of them (values beyond it fall into the outermost bins)."""
    pooled = np.abs(np.concatenate([np.ravel(v) for v in values]))
    limit = float(np.quantile(pooled, quantile)) if pooled.size else 1.0
    limit = limit if limit > 0 else 1.0
    return np.linspace(-limit, limit, bins + 1)


def histogram(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Density histogram of `values` on `edges`, the tails clipped into the outermost bins."""
    clipped = np.clip(np.ravel(values), edges[0], edges[-1])
    counts, _ = np.histogram(clipped, bins=edges, density=True)
    return counts
