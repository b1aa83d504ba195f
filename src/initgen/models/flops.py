"""Forward FLOPs per image of a zoo model at its input shape, counted by torch.utils.flop_counter.

The model is built on the meta device, so nothing is allocated or computed: FlopCounterMode counts from the
shapes of each matmul and convolution (2 FLOPs per multiply-add; element-wise ops, batch norm and activations
are not counted, a few percent of a convnet's work).
"""

from __future__ import annotations

from functools import cache

import torch
from torch.utils.flop_counter import FlopCounterMode

from initgen.models.zoo import build_model

BATCH = 2  # batch norm in training mode needs more than one value per channel


@cache
def forward_flops(model: str, num_classes: int, channels: int, image_size: int, reference: str | None = None) -> float:
    """FLOPs of one forward pass of one image through `model` (training mode, as in training); `reference`: the
    path/to/file.py:function of a model of yours (config extensions.models)."""
    with torch.device("meta"):
        yours = {model: reference} if reference else None
        net = build_model(model, num_classes, channels, image_size, user_models=yours)
        images = torch.empty(BATCH, channels, image_size, image_size)
    net.train()
    with FlopCounterMode(display=False) as counter:
        net(images)
    return counter.get_total_flops() / BATCH
