"""Training throughput: our classifier trainer vs a plain fp32 DataLoader loop, ResNet-18, CIFAR-shaped data.

    python benchmarks/train_throughput.py              # on a GPU (goal on an H100: >= 25,000 img/s and 2.5x)
    python benchmarks/train_throughput.py --steps 4 --batch-size 32 --warmup 1   # a quick CPU run
    python benchmarks/train_throughput.py --model vgg16 --image-size 64 --no-baseline \
        --record benchmarks/throughput.json   # a measurement for `initgen plan`

Ours (src/initgen/training/classifier.py): the whole uint8 split resident on the device, batches cut and
normalized there, channels_last, bf16 autocast and torch.compile on CUDA. Baseline: the usual loop, a
Dataset applying torchvision's ToTensor + Normalize per image, a DataLoader (worker processes, pinned
memory on CUDA), fp32.
Both train the same model with the same SGD settings for the same number of steps after the same warm-up;
the timed window excludes warm-up (and compilation). The last line is `train throughput speedup: N.NNx`.
"""

from __future__ import annotations

import argparse
import datetime
import json
import time
from pathlib import Path

import torch

from initgen.core.files import write_text
from initgen.models.zoo import build_model
from initgen.training.classifier import train_classifier

MEAN, STD = (0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)
SETTINGS = {"lr": 0.05, "momentum": 0.9, "weight_decay": 5e-4}


def synchronize(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def ours(images, labels, device, batch_size, warmup, steps, use_compile, model_name="resnet18") -> float:
    """Images per second of train_classifier's training loop (timed between steps via its on_step hook)."""
    n = (warmup + steps) * batch_size
    marks = {}

    def on_step(epoch, step):
        if step == warmup - 1 or step == warmup + steps - 1:
            synchronize(device)
            marks[step] = time.perf_counter()

    torch.manual_seed(0)
    model = build_model(model_name, 10, 3, images.shape[-1])
    settings = SETTINGS | {
        "batch_size": batch_size,
        "max_epochs": 1,
        "target_train_acc": 1.1,
        "eval_batch_size": 1024,
    }
    train_classifier(
        model,
        (images[:n], labels[:n]),
        None,
        {"mean": MEAN, "std": STD},
        settings,
        seed=0,
        device=device,
        use_compile=use_compile,
        progress=False,
        on_step=on_step,
    )
    return steps * batch_size / (marks[warmup + steps - 1] - marks[warmup - 1])


class PlainDataset(torch.utils.data.Dataset):
    """What a typical training script does: one uint8 HWC image at a time through ToTensor and Normalize."""

    def __init__(self, images, labels):
        from torchvision import transforms

        self.images = images.permute(0, 2, 3, 1).numpy()  # HWC, as images are usually stored
        self.labels = labels.numpy()
        self.transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize(MEAN, STD)])

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, index):
        return self.transform(self.images[index]), int(self.labels[index])


def plain(images, labels, device, batch_size, warmup, steps, workers) -> float:
    """Images per second of the plain fp32 DataLoader loop."""
    n = (warmup + steps) * batch_size
    loader = torch.utils.data.DataLoader(
        PlainDataset(images[:n], labels[:n]),
        batch_size=batch_size,
        shuffle=True,
        num_workers=workers,
        pin_memory=device.type == "cuda",
        drop_last=True,
        persistent_workers=False,
    )
    torch.manual_seed(0)
    model = build_model("resnet18", 10, 3, 32).to(device).train()
    optimizer = torch.optim.SGD(model.parameters(), **SETTINGS)
    start = None
    for step, (x, y) in enumerate(loader):
        x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
        loss = torch.nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if step == warmup - 1:
            synchronize(device)
            start = time.perf_counter()
    synchronize(device)
    return steps * batch_size / (time.perf_counter() - start)


def record(path: str, measurement: dict) -> None:
    """Add a measurement to the JSON list at `path`, replacing an older one of the same device, model and size."""
    file = Path(path)
    records = json.loads(file.read_text()) if file.exists() else []
    key = ("device", "model", "image_size")
    records = [r for r in records if tuple(r[k] for k in key) != tuple(measurement[k] for k in key)]
    write_text(file, json.dumps(records + [measurement], indent=1) + "\n")
    print(f"recorded in {file}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="auto", help="cpu | cuda | auto")
    parser.add_argument("--batch-size", type=int, default=512)
    parser.add_argument("--steps", type=int, default=200, help="timed steps (after warm-up)")
    parser.add_argument(
        "--warmup", type=int, default=20, help="untimed steps first (compilation, autotuning)"
    )
    parser.add_argument(
        "--workers", type=int, default=None, help="baseline DataLoader workers (default: 8 on CUDA, 2 on CPU)"
    )
    parser.add_argument("--no-compile", action="store_true", help="ours without torch.compile")
    parser.add_argument("--model", default="resnet18", help="a model of initgen's zoo (ours only; the baseline is "
                        "ResNet-18)")
    parser.add_argument("--image-size", type=int, default=32, help="input height and width")
    parser.add_argument("--no-baseline", action="store_true", help="measure ours only (for --record)")
    parser.add_argument("--record", default=None, help="add this measurement (device, model, input size, images/s, "
                        "date, torch) to a JSON list, e.g. benchmarks/throughput.json, which `initgen plan` reads")
    args = parser.parse_args(argv)
    if args.warmup < 1 or args.steps < 1:
        parser.error("--warmup and --steps must be at least 1")
    device = torch.device(
        "cuda"
        if args.device == "auto" and torch.cuda.is_available()
        else ("cpu" if args.device == "auto" else args.device)
    )
    name = (
        torch.cuda.get_device_name(device)
        if device.type == "cuda"
        else f"CPU ({torch.get_num_threads()} threads)"
    )
    workers = args.workers if args.workers is not None else (8 if device.type == "cuda" else 2)
    n = (args.warmup + args.steps) * args.batch_size
    generator = torch.Generator().manual_seed(0)
    size = args.image_size
    images = torch.randint(0, 256, (n, 3, size, size), dtype=torch.uint8, generator=generator)
    labels = torch.randint(0, 10, (n,), generator=generator)
    print(
        f"device: {name}; {args.model}, {size}x{size}x3, batch {args.batch_size}, {args.warmup} warm-up + "
        f"{args.steps} timed steps"
    )
    use_compile = device.type == "cuda" and not args.no_compile
    fast = ours(images, labels, device, args.batch_size, args.warmup, args.steps, use_compile, args.model)
    features = "channels_last, bf16, compile" if device.type == "cuda" else "fp32"
    print(f"ours (device-resident uint8, {features}): {fast:,.0f} images/s")
    if args.record:
        record(args.record, {"device": name, "model": args.model, "image_size": size, "batch_size": args.batch_size,
                             "images_per_s": round(fast, 1), "date": datetime.date.today().isoformat(),
                             "torch": torch.__version__, "compile": use_compile})
    if args.no_baseline:
        return
    slow = plain(images, labels, device, args.batch_size, args.warmup, args.steps, workers)
    print(f"plain fp32 DataLoader loop ({workers} workers): {slow:,.0f} images/s")
    print(f"train throughput speedup: {fast / slow:.2f}x")


if __name__ == "__main__":
    main()
