"""Peak dense throughput of common GPUs, for `initgen plan`'s estimates where nothing is measured.

TFLOP/s without structured sparsity (the datasheets print the sparse figure, twice these, for tensor cores):
`fp32` on the CUDA cores, `tf32` and `bf16` on the tensor cores (None where the GPU has none for that type).
Sources, the vendor datasheets: NVIDIA H100 Tensor Core GPU datasheet (SXM and PCIe columns), NVIDIA H200 Tensor
Core GPU datasheet (SXM), NVIDIA A100 Tensor Core GPU datasheet, NVIDIA V100 Tensor Core GPU datasheet (SXM2 and
PCIe), NVIDIA L40S datasheet, NVIDIA L4 datasheet, NVIDIA A10 datasheet, NVIDIA Ada GPU architecture whitepaper
(GeForce RTX 4090, FP16/BF16 with FP32 accumulate).
"""

from __future__ import annotations

import re

# (pattern in torch.cuda.get_device_name(), lowercase; first match wins), label, fp32, tf32, bf16
PEAKS: list[tuple[str, str, float, float | None, float | None]] = [
    (r"h100.*pcie", "H100 PCIe", 51.0, 378.0, 756.0),
    (r"h100", "H100 SXM", 67.0, 494.7, 989.4),
    (r"h200", "H200 SXM", 67.0, 494.7, 989.4),
    (r"a100", "A100", 19.5, 156.0, 312.0),
    (r"v100.*pcie", "V100 PCIe", 14.0, None, None),
    (r"v100", "V100 SXM2", 15.7, None, None),
    (r"l40s", "L40S", 91.6, 183.0, 362.0),
    (r"rtx 4090", "GeForce RTX 4090", 82.6, 82.6, 165.2),
    (r"\bl4\b", "L4", 30.3, 60.0, 121.0),
    (r"\ba10\b", "A10", 31.2, 62.5, 125.0),
]

# Our choice: 10% of the peak. The project's throughput goal for ResNet-18 on CIFAR-10 at batch 128 on an H100
# (25,000 img/s, benchmarks/train_throughput.py) is 8.4% of its bf16 peak at 3.3 GFLOP per trained image: small
# 32x32 convolutions and batch 128 leave the tensor cores underfed.
UTILISATION = 0.10


def peak(device: str) -> dict | None:
    """{"label", "fp32", "tf32", "bf16"} of the named GPU (TFLOP/s, dense), or None when it is not in PEAKS."""
    for pattern, label, fp32, tf32, bf16 in PEAKS:
        if re.search(pattern, device.lower()):
            return {"label": label, "fp32": fp32, "tf32": tf32, "bf16": bf16}
    return None


def known() -> list[str]:
    return [label for _, label, *_ in PEAKS]
