"""The classifier registry: every model at every input size (with parameter counts), one training step."""

from __future__ import annotations

import pytest
import torch

from initgen.core.errors import ConfigError
from initgen.models.zoo import MODELS, PAPER_MODELS, SMALL_MODELS, build_model, parameter_count

# (num_classes, channels, image_size) of CIFAR-10, Tiny ImageNet and ImageNet.
PAPER_SIZES = [(10, 3, 32), (200, 3, 64), (1000, 3, 224)]
SMALL_SIZES = [(10, 1, 8), (10, 3, 32)]
CASES = [(name, size) for name in PAPER_MODELS for size in PAPER_SIZES] + [
    (name, size) for name in SMALL_MODELS for size in SMALL_SIZES
]


# Published parameter counts: torchvision's ImageNet ResNet-18/50 and VGG16-BN, CIFAR ResNet-18 (kuangliu),
# and our digits MLP (64-256-256-256-10).
KNOWN_COUNTS = {
    ("resnet18", 224): 11_689_512,
    ("resnet50", 224): 25_557_032,
    ("vgg16", 224): 138_365_992,
    ("resnet18", 32): 11_173_962,
    ("mlp", 8): 64 * 256 + 256 + 2 * (256 * 256 + 256) + 2570,
}


@pytest.mark.parametrize(("name", "size"), CASES, ids=[f"{n}-{s[2]}px" for n, s in CASES])
def test_forward_shape_at_each_input_size(name, size):
    num_classes, channels, image_size = size
    torch.manual_seed(0)
    model = build_model(name, num_classes, channels, image_size).eval()
    batch = 1 if image_size >= 224 else 2
    with torch.no_grad():
        out = model(torch.randn(batch, channels, image_size, image_size))
    assert out.shape == (batch, num_classes)
    assert torch.isfinite(out).all()
    if (name, image_size) in KNOWN_COUNTS:
        assert parameter_count(model) == KNOWN_COUNTS[(name, image_size)]
    if name == "senet18" and image_size == 32:  # the SE blocks add a little to ResNet-18's 11,173,962
        assert 11_173_962 < parameter_count(model) < 11_400_000


@pytest.mark.parametrize("name", list(MODELS))
def test_one_training_step_lowers_the_loss_on_a_fixed_batch(name):
    num_classes, channels, size = (10, 1, 8) if name in SMALL_MODELS else (10, 3, 32)
    torch.manual_seed(0)
    model = build_model(name, num_classes, channels, size).train()
    x = torch.randn(2, channels, size, size)  # batch 2: the smallest batch norm accepts, and cheap on a CPU
    y = torch.tensor([3, 7])
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)

    def loss():
        torch.manual_seed(1)  # the same dropout masks both times: the same function before and after the step
        return torch.nn.functional.cross_entropy(model(x), y)

    before = loss()
    optimizer.zero_grad()
    before.backward()
    optimizer.step()
    with torch.no_grad():
        after = loss()
    assert after.item() < before.item()


def test_same_seed_same_weights_and_bad_names_are_config_errors():
    torch.manual_seed(3)
    a = build_model("small_cnn", 10, 1, 8)
    torch.manual_seed(3)
    b = build_model("small_cnn", 10, 1, 8)
    assert all(
        torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values(), strict=True)
    )
    with pytest.raises(ConfigError, match="unknown model 'resnet19'"):
        build_model("resnet19", 10, 3, 32)
    with pytest.raises(ConfigError, match="at least 32x32"):
        build_model("vgg16", 10, 1, 8)
