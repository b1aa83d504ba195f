"""The image-classifier registry: name -> a freshly initialized model for a dataset's input shape.

    build_model("resnet18", num_classes=10, channels=3, image_size=32)

Paper models (Ramasinghe et al., Table 1/3): vgg11, vgg16, alexnet, efficientnet_b0, densenet121, resnet18,
resnet50, senet18, convmixer. Each has two input regimes:
- small inputs (32x32 CIFAR, 64x64 Tiny ImageNet; any size from 32 to 127): the usual CIFAR adaptation, a
  stride-1 3x3 stem and no early max-pool (ResNet, SENet, DenseNet; EfficientNet's stem stride 1), global
  average pooling before the classifier so one model serves both sizes;
- large inputs (224x224 ImageNet; 128 and up): the ImageNet architectures as torchvision defines them.
Dropout and batch norm are kept wherever the architecture has them (the paper treats them as architecture,
not as explicit regularization). Weights use each architecture's standard initialization (torchvision's, or
PyTorch's default for ours): that is the paper's "random initialization".

Default-config models for the 8x8 digits: `small_cnn` and `mlp` (3 hidden layers, as in SPEC's protocol note).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import torch
from torch import nn

from initgen.core.errors import ConfigError
from initgen.core.extensions import load_function

SMALL_INPUT_MIN = 32  # five 2x down-samplings (VGG) still leave a 1x1 map
LARGE_INPUT_MIN = 128  # from here on the ImageNet stems (stride 2 + max-pool) are used


def tv():
    """torchvision.models, imported on first use: importing torchvision costs seconds, and the default
    config's small models do not need it."""
    from torchvision import models

    return models


# --------------------------------------------------------------------------------------------- small models
class MLP(nn.Module):
    """Flatten -> `depth` x (Linear, ReLU) -> Linear. The default config's fully connected baseline."""

    def __init__(self, num_classes: int, channels: int, image_size: int, width: int = 256, depth: int = 3):
        super().__init__()
        layers: list[nn.Module] = [nn.Flatten()]
        fan_in = channels * image_size * image_size
        for _ in range(depth):
            layers += [nn.Linear(fan_in, width), nn.ReLU(inplace=True)]
            fan_in = width
        layers.append(nn.Linear(fan_in, num_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


def conv_bn_relu(c_in: int, c_out: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )


class SmallCNN(nn.Module):
    """Three conv-BN-ReLU layers (one 2x down-sampling), global average pool, dropout, linear."""

    def __init__(self, num_classes: int, channels: int, image_size: int, width: int = 32):
        super().__init__()
        self.features = nn.Sequential(
            conv_bn_relu(channels, width),
            conv_bn_relu(width, 2 * width, stride=2),
            conv_bn_relu(2 * width, 2 * width),
        )
        self.head = nn.Sequential(
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2), nn.Linear(2 * width, num_classes)
        )

    def forward(self, x):
        return self.head(self.features(x))


# ------------------------------------------------------------------------------------------------ VGG
class SmallVGG(nn.Module):
    """VGG with batch norm for small inputs: torchvision's conv stack, global average pool, dropout MLP."""

    def __init__(self, config: str, num_classes: int, channels: int, width: int = 512):
        super().__init__()
        self.features = tv().vgg.make_layers(tv().vgg.cfgs[config], batch_norm=True)
        _replace_first_conv(self.features, channels)
        self.classifier = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Dropout(0.5),
            nn.Linear(512, width),
            nn.ReLU(inplace=True),
            nn.Dropout(0.5),
            nn.Linear(width, num_classes),
        )
        # torchvision's VGG initialization, so the small and the ImageNet variants start alike.
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
                nn.init.zeros_(module.bias)
            elif isinstance(module, nn.Linear):
                nn.init.normal_(module.weight, 0, 0.01)
                nn.init.zeros_(module.bias)

    def forward(self, x):
        return self.classifier(self.features(x))


def vgg(config: str, large: str) -> Callable:
    def build(num_classes, channels, image_size):
        if image_size >= LARGE_INPUT_MIN:
            return _with_channels(getattr(tv(), large)(weights=None, num_classes=num_classes), channels)
        return SmallVGG(config, num_classes, channels)

    return build


# --------------------------------------------------------------------------------------------- AlexNet
class SmallAlexNet(nn.Module):
    """AlexNet's five convolutions (no batch norm, as the original) with 3x3/5x5 kernels for small inputs, a
    4x4 adaptive pool and the original's dropout MLP head at width 1024."""

    def __init__(self, num_classes: int, channels: int, width: int = 1024):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(channels, 64, 5, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2, 1),
            nn.Conv2d(64, 192, 5, padding=2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2, 1),
            nn.Conv2d(192, 384, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, 3, padding=1),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2, 1),
        )
        self.classifier = nn.Sequential(
            nn.AdaptiveAvgPool2d(4),
            nn.Flatten(),
            nn.Dropout(0.5),
            nn.Linear(256 * 16, width),
            nn.ReLU(inplace=True),
            nn.Dropout(0.5),
            nn.Linear(width, width),
            nn.ReLU(inplace=True),
            nn.Linear(width, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


def alexnet(num_classes, channels, image_size):
    if image_size >= LARGE_INPUT_MIN:
        return _with_channels(tv().alexnet(weights=None, num_classes=num_classes), channels)
    return SmallAlexNet(num_classes, channels)


# ------------------------------------------------------------------------------------- ResNet and SENet
@functools.cache
def se_basic_block() -> type:
    """The SENet-18 block class (defined on first use, as it extends torchvision's BasicBlock)."""

    class SEBasicBlock(tv().resnet.BasicBlock):
        """ResNet basic block with squeeze-and-excitation (Hu et al., 2018) on the residual branch."""

        def __init__(self, inplanes, planes, *args, reduction: int = 16, **kwargs):
            super().__init__(inplanes, planes, *args, **kwargs)
            self.se = nn.Sequential(
                nn.AdaptiveAvgPool2d(1),
                nn.Conv2d(planes, planes // reduction, 1),
                nn.ReLU(inplace=True),
                nn.Conv2d(planes // reduction, planes, 1),
                nn.Sigmoid(),
            )

        def forward(self, x):
            identity = x if self.downsample is None else self.downsample(x)
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            out = out * self.se(out)
            return self.relu(out + identity)

    return SEBasicBlock


RESNET_BLOCKS = {
    "basic": lambda: tv().resnet.BasicBlock,
    "bottleneck": lambda: tv().resnet.Bottleneck,
    "se_basic": se_basic_block,
}


def _small_resnet_stem(model: nn.Module, channels: int) -> nn.Module:
    """CIFAR adaptation: 3x3 stride-1 first conv, no max-pool (the ImageNet stem would shrink 32 to 8)."""
    model.conv1 = nn.Conv2d(channels, 64, 3, stride=1, padding=1, bias=False)
    nn.init.kaiming_normal_(model.conv1.weight, mode="fan_out", nonlinearity="relu")
    model.maxpool = nn.Identity()
    return model


def resnet(block: str, layers: list[int]) -> Callable:
    def build(num_classes, channels, image_size):
        model = tv().ResNet(RESNET_BLOCKS[block](), layers, num_classes=num_classes)
        if image_size >= LARGE_INPUT_MIN:
            return _with_channels(model, channels)
        return _small_resnet_stem(model, channels)

    return build


# ------------------------------------------------------------------------------ DenseNet, EfficientNet
def densenet121(num_classes, channels, image_size):
    model = tv().densenet121(weights=None, num_classes=num_classes)
    if image_size >= LARGE_INPUT_MIN:
        return _with_channels(model, channels)
    model.features.conv0 = nn.Conv2d(channels, 64, 3, stride=1, padding=1, bias=False)
    nn.init.kaiming_normal_(model.features.conv0.weight)
    model.features.pool0 = nn.Identity()
    return model


def efficientnet_b0(num_classes, channels, image_size):
    model = tv().efficientnet_b0(weights=None, num_classes=num_classes)
    stem = model.features[0][0]
    if image_size < LARGE_INPUT_MIN or stem.in_channels != channels:
        # Small inputs: stride 1 in the stem (32 -> 2x2 at the last stage instead of 1x1).
        stride = stem.stride if image_size >= LARGE_INPUT_MIN else (1, 1)
        model.features[0][0] = nn.Conv2d(channels, stem.out_channels, 3, stride=stride, padding=1, bias=False)
        nn.init.kaiming_normal_(model.features[0][0].weight, mode="fan_out")
    return model


# --------------------------------------------------------------------------------------------- ConvMixer
class Residual(nn.Module):
    def __init__(self, fn: nn.Module):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x) + x


def convmixer_net(dim: int, depth: int, kernel_size: int, patch_size: int, num_classes: int, channels: int):
    """ConvMixer (Trockman & Kolter, 2022): patch embedding, then `depth` x (residual depthwise conv,
    pointwise
    conv), each followed by GELU and batch norm; global average pool; linear."""
    return nn.Sequential(
        nn.Conv2d(channels, dim, kernel_size=patch_size, stride=patch_size),
        nn.GELU(),
        nn.BatchNorm2d(dim),
        *[
            nn.Sequential(
                Residual(
                    nn.Sequential(
                        nn.Conv2d(dim, dim, kernel_size, groups=dim, padding="same"),
                        nn.GELU(),
                        nn.BatchNorm2d(dim),
                    )
                ),
                nn.Conv2d(dim, dim, kernel_size=1),
                nn.GELU(),
                nn.BatchNorm2d(dim),
            )
            for _ in range(depth)
        ],
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(dim, num_classes),
    )


def convmixer(num_classes, channels, image_size):
    # Our choice (the paper gives no size): CIFAR's ConvMixer-256/8 (kernel 5, patch 2: a 16x16 token grid
    # at 32 and, with patch 4, at 64); ImageNet's ConvMixer-768/32 (kernel 7, patch 14).
    if image_size >= LARGE_INPUT_MIN:
        return convmixer_net(768, 32, 7, 14, num_classes, channels)
    return convmixer_net(256, 8, 5, 2 if image_size < 64 else 4, num_classes, channels)


# ------------------------------------------------------------------------------------------- helpers
def _replace_first_conv(module: nn.Module, channels: int) -> None:
    """Make the first Conv2d of `module` take `channels` input channels (e.g. grayscale)."""
    for parent in module.modules():
        for name, child in parent.named_children():
            if isinstance(child, nn.Conv2d):
                if child.in_channels != channels:
                    setattr(
                        parent,
                        name,
                        nn.Conv2d(
                            channels,
                            child.out_channels,
                            child.kernel_size,
                            child.stride,
                            child.padding,
                            bias=child.bias is not None,
                        ),
                    )
                return


def _with_channels(model: nn.Module, channels: int) -> nn.Module:
    _replace_first_conv(model, channels)
    return model


# ------------------------------------------------------------------------------------------- registry
PAPER_MODELS = {
    "vgg11": vgg("A", "vgg11_bn"),
    "vgg16": vgg("D", "vgg16_bn"),
    "alexnet": alexnet,
    "efficientnet_b0": efficientnet_b0,
    "densenet121": densenet121,
    "resnet18": resnet("basic", [2, 2, 2, 2]),
    "resnet50": resnet("bottleneck", [3, 4, 6, 3]),
    "senet18": resnet("se_basic", [2, 2, 2, 2]),
    "convmixer": convmixer,
}
SMALL_MODELS = {
    "small_cnn": lambda num_classes, channels, image_size: SmallCNN(num_classes, channels, image_size),
    "mlp": lambda num_classes, channels, image_size: MLP(num_classes, channels, image_size),
}
MODELS = PAPER_MODELS | SMALL_MODELS
DISPLAY_NAMES = {
    "vgg11": "VGG11",
    "vgg16": "VGG16",
    "alexnet": "AlexNet",
    "efficientnet_b0": "EfficientNet-B0",
    "densenet121": "DenseNet-121",
    "resnet18": "ResNet-18",
    "resnet50": "ResNet-50",
    "senet18": "SENet-18",
    "convmixer": "ConvMixer",
    "small_cnn": "Small CNN",
    "mlp": "MLP (3 hidden)",
}


def names() -> list[str]:
    return list(MODELS)


def build_model(name: str, num_classes: int, channels: int, image_size: int,
                user_models: dict | None = None) -> nn.Module:
    """A freshly initialized model (seed torch first for reproducible weights). `user_models`: config
    extensions.models (name -> path/to/file.py:function, README "Your own study"), where a name of yours is
    resolved; a job carries only its own model's entry, so other files are not its inputs."""
    if name in (user_models or {}):
        function = load_function(user_models[name], f"extensions.models.{name}")
        return function(num_classes, channels, image_size)
    if name not in MODELS:
        raise ConfigError(f"unknown model {name!r} (config key deep.datasets); known: {', '.join(MODELS)}")
    if name in PAPER_MODELS and image_size < SMALL_INPUT_MIN:
        raise ConfigError(
            f"model {name!r} needs images of at least {SMALL_INPUT_MIN}x{SMALL_INPUT_MIN}, got {image_size}x"
            f"{image_size}; use small_cnn or mlp for this dataset (config key deep.datasets)"
        )
    return MODELS[name](num_classes, channels, image_size)


def parameter_count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def display_name(name: str) -> str:
    return DISPLAY_NAMES.get(name, name)


def _count_table(argv=None) -> None:  # pragma: no cover - README helper: `python -m initgen.models.zoo`
    sizes = [(10, 3, 32), (200, 3, 64), (1000, 3, 224)]
    print("| model | CIFAR-10 (32x32) | Tiny ImageNet (64x64) | ImageNet (224x224) |\n|---|---|---|---|")
    for name in PAPER_MODELS:
        counts = [f"{parameter_count(build_model(name, *s)) / 1e6:.2f}M" for s in sizes]
        print(f"| {display_name(name)} | " + " | ".join(counts) + " |")
    for name in SMALL_MODELS:
        count = parameter_count(build_model(name, 10, 1, 8))
        print(f"| {display_name(name)} (digits 8x8) | {count / 1e3:.1f}k | | |")


if __name__ == "__main__":  # pragma: no cover
    with torch.no_grad():
        _count_table()
