#!/usr/bin/env python3
"""PyTorch's side of `detlab bench train`'s CNN row: the built-in trainer's CNN (model = cnn) in
PyTorch, trained on the same number of Fashion-MNIST images for the same epochs, and timed the
same way, so the ratio of the two per-epoch times compares the implementations, not the work.

The model is the built-in one (harness/train/cnn.cpp): 3x3 convolution (padding 1, bias) of
`channels` maps, ReLU, 2x2 max pool, then the same with twice the maps, then `hidden` dense
units with ReLU and a linear layer to the 10 classes; softmax cross-entropy, plain SGD with
momentum at the built-in defaults (0.05, 0.9), minibatches of `batch_size`. An epoch's time is
its training plus one evaluation of the test images, as the built-in trainer's epoch_wall_s is;
the figure printed is the mean over the epochs. Which images are used (the first N here, a
stratified split there) changes the accuracy, not the cost.

Prints one JSON object on stdout: framework, framework_version, threads, epoch_s,
test_accuracy. Exit status 1 with the error on stderr when torch or the data cannot be loaded.
"""
import argparse
import gzip
import json
import os
import time

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F


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
    x = torch.from_numpy(images.astype(np.float32)) / 255  # [0, 1], as the built-in trainer
    return x.unsqueeze(1), torch.from_numpy(labels.astype(np.int64))


def model(channels, hidden, classes):
    return nn.Sequential(
        nn.Conv2d(1, channels, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(channels, 2 * channels, 3, 1, 1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(2 * channels * 7 * 7, hidden), nn.ReLU(),
        nn.Linear(hidden, classes))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--train-size", type=int, default=12000)
    parser.add_argument("--test-size", type=int, default=2000)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--channels", type=int, default=8)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    x_train, y_train = load(args.data_dir, "train", args.train_size)
    x_test, y_test = load(args.data_dir, "t10k", args.test_size)
    net = model(args.channels, args.hidden, 10)
    optimiser = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
    order = torch.Generator().manual_seed(1)
    walls, accuracy = [], 0.0
    for _ in range(args.epochs):
        start = time.monotonic()
        net.train()
        permutation = torch.randperm(len(x_train), generator=order)
        for first in range(0, len(x_train), args.batch_size):
            rows = permutation[first:first + args.batch_size]
            loss = F.cross_entropy(net(x_train[rows]), y_train[rows])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
        net.eval()
        with torch.no_grad():
            predicted = torch.cat([net(x_test[i:i + 1000]).argmax(1)
                                   for i in range(0, len(x_test), 1000)])
        accuracy = (predicted == y_test).float().mean().item()
        walls.append(time.monotonic() - start)
    print(json.dumps({"framework": "PyTorch " + ".".join(torch.__version__.split(".")[:2]),
                      "framework_version": torch.__version__,
                      "threads": torch.get_num_threads(),
                      "epoch_s": sum(walls) / len(walls), "test_accuracy": accuracy}))


if __name__ == "__main__":
    main()
