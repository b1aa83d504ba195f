"""A user init for initgen: scaled orthogonal weights (Saxe et al. 2014), each layer's weight a random
(semi-)orthogonal matrix times `gain`. Named in config as
`init: {kind: examples/scaled_orthogonal/inits.py:scaled_orthogonal, params: {gain: ...}}`.

The signature is initgen's (README, "Your own study"): the weight's shape [fan_out, fan_in], the layer's index
(0 = first, layers - 1 = the output layer), the number of layers, and the network's seeded generator; the
config's `params` come as keyword arguments. Return the weight; biases keep PyTorch's default.
"""

import torch


def scaled_orthogonal(shape, layer, layers, generator, gain=1.0):
    fan_out, fan_in = shape
    draw = torch.randn(max(shape), min(shape), generator=generator)
    q, r = torch.linalg.qr(draw)
    q = q * torch.sign(torch.diagonal(r))  # the sign fix makes q Haar-distributed (Mezzadri 2007)
    return gain * (q if fan_out >= fan_in else q.T)
