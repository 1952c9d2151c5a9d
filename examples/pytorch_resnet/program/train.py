#!/usr/bin/env python3
"""A small ResNet with batch normalisation on Fashion-MNIST, on the CPU, for detlab's contract
(docs/own-training.md): three stages of basic residual blocks (width w, 2w, 4w; the second and
third halve the resolution), global average pooling and a linear head; SGD with Nesterov
momentum and weight decay, the learning rate following a cosine from its peak to zero over all
steps after one warm-up epoch. The configuration comes from $DETLAB_CONFIG; the outputs go to its
output_dir."""
import gzip
import json
import math
import os
import time

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

MEAN, STD = 0.2860, 0.3530  # Fashion-MNIST's training pixels


def read_idx(path, rank):
    """An IDX file of unsigned bytes (plain or .gz) as a numpy array."""
    if not os.path.exists(path):
        path += ".gz"
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if data[:4] != bytes([0, 0, 8, rank]):
        raise ValueError(f"{path}: not an IDX file of rank {rank} unsigned bytes")
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * rank).reshape(dims)


def load(data_dir, prefix, size):
    images = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte"), 3)
    labels = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte"), 1)
    if size:
        images, labels = images[:size], labels[:size]
    x = (torch.from_numpy(images.astype(np.float32)) / 255 - MEAN) / STD
    return x.unsqueeze(1), torch.from_numpy(labels.astype(np.int64))


class Block(nn.Module):
    """Two 3x3 convolutions with batch norm and a shortcut (1x1 when the shape changes)."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                          nn.BatchNorm2d(cout))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        return F.relu(self.bn2(self.conv2(out)) + self.shortcut(x))


class ResNet(nn.Module):
    """ResNet-8 at width w: stem, three stages of one block each, pooling, linear head."""

    def __init__(self, width, classes):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, width, 3, 1, 1, bias=False),
                                  nn.BatchNorm2d(width), nn.ReLU())
        self.stages = nn.Sequential(Block(width, width, 1), Block(width, 2 * width, 2),
                                    Block(2 * width, 4 * width, 2))
        self.head = nn.Linear(4 * width, classes)

    def forward(self, x):
        x = self.stages(self.stem(x))
        return self.head(F.adaptive_avg_pool2d(x, 1).flatten(1))


def perturb(model, config):
    """Flips bit 0 of, or moves one int8 step toward zero, one initial trainable weight."""
    flip, step = config["bit_flip"], config["weight_step"]
    index = flip if flip >= 0 else step
    if index < 0:
        return ""
    index %= sum(p.numel() for p in model.parameters())
    with torch.no_grad():
        for name, p in model.named_parameters():
            if index < p.numel():
                flat = p.view(-1)
                if flip >= 0:
                    flat[index:index + 1].view(torch.int32).bitwise_xor_(1)
                else:
                    quantum = p.abs().max().item() / 127
                    value = flat[index].item()
                    flat[index] = 0.0 if abs(value) <= quantum else value - math.copysign(quantum, value)
                return f"{name}[{index}]"
            index -= p.numel()
    return ""


def evaluate(model, x, y, batch=1000):
    model.eval()
    with torch.no_grad():
        logits = torch.cat([model(x[i:i + batch]) for i in range(0, len(x), batch)])
    return logits, F.cross_entropy(logits, y).item(), (logits.argmax(1) == y).float().mean().item()


def main():
    with open(os.environ["DETLAB_CONFIG"], encoding="utf-8") as f:
        config = json.load(f)
    out = config["output_dir"]
    torch.set_num_threads(config["threads"])
    torch.use_deterministic_algorithms(config["deterministic"])
    torch.backends.cudnn.deterministic = config["deterministic"]
    torch.backends.cudnn.benchmark = False

    x_train, y_train = load(config["data_dir"], "train", config["train_size"])
    x_test, y_test = load(config["data_dir"], "t10k", config["test_size"])

    torch.manual_seed(config["init_seed"])
    model = ResNet(config["width"], config["classes"])
    perturbed = perturb(model, config)
    optimiser = torch.optim.SGD(model.parameters(), lr=config["learning_rate"], momentum=0.9,
                                nesterov=True, weight_decay=5e-4)
    batch = config["batch_size"]
    steps_per_epoch = math.ceil(len(x_train) / batch)
    total, warmup = config["epochs"] * steps_per_epoch, steps_per_epoch

    def rate(step):  # linear warm-up for one epoch, then a cosine to zero
        if step < warmup:
            return (step + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))

    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, rate)
    order = torch.Generator().manual_seed(config["shuffle_seed"])
    curve = []
    for epoch in range(1, config["epochs"] + 1):
        start = time.monotonic()
        model.train()
        permutation = torch.randperm(len(x_train), generator=order)
        seen, loss_sum, correct = 0, 0.0, 0
        for first in range(0, len(x_train), batch):
            rows = permutation[first:first + batch]
            logits = model(x_train[rows])
            loss = F.cross_entropy(logits, y_train[rows])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            seen += len(rows)
            loss_sum += loss.item() * len(rows)
            correct += (logits.argmax(1) == y_train[rows]).sum().item()
        logits, test_loss, test_accuracy = evaluate(model, x_test, y_test)
        curve.append({"epoch": epoch, "train_loss": loss_sum / seen,
                      "train_accuracy": correct / seen, "test_loss": test_loss,
                      "test_accuracy": test_accuracy,
                      "learning_rate": optimiser.param_groups[0]["lr"],
                      "wall_s": time.monotonic() - start})

    os.makedirs(os.path.join(out, "weights"), exist_ok=True)
    for i, (name, tensor) in enumerate(model.state_dict().items()):
        if tensor.is_floating_point():  # running means and variances too: they are the model
            np.save(os.path.join(out, "weights", f"{i:03d}_{name}.npy"),
                    tensor.detach().numpy().astype("<f4"))
    np.save(os.path.join(out, "logits.npy"), logits.numpy().astype("<f4"))
    np.save(os.path.join(out, "labels.npy"), y_test.numpy().astype("<i8"))
    with open(os.path.join(out, "metrics.json"), "w", encoding="utf-8") as f:
        json.dump({"epochs": curve}, f)
    with open(os.path.join(out, "environment.json"), "w", encoding="utf-8") as f:
        json.dump({"framework": "PyTorch " + ".".join(torch.__version__.split(".")[:2]),
                   "framework_version": torch.__version__,
                   "threads": str(torch.get_num_threads()),
                   "deterministic": str(torch.are_deterministic_algorithms_enabled()),
                   "mkldnn": str(torch.backends.mkldnn.is_available()),
                   "blas": " ".join(torch.__config__.show().split())[:900],
                   "numpy": np.__version__, "perturbed": perturbed}, f)


if __name__ == "__main__":
    main()
