#!/usr/bin/env python3
"""A tiny PyTorch program for detlab's tests (docs/own-training.md): a 2-layer network on a
fixed synthetic 3-class problem, a few epochs in about a second. It follows the whole contract:
reads $DETLAB_CONFIG, seeds init and data order separately, applies the determinism switch and
the thread count, perturbs one initial weight when asked, and writes weights/*.npy, logits.npy,
labels.npy, metrics.json and environment.json into the output folder."""
import json
import os

import numpy as np
import torch


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
                    flat[index] = 0.0 if abs(value) <= quantum else value - np.sign(value) * quantum
                return f"{name}[{index}]"
            index -= p.numel()
    return ""


def main():
    with open(os.environ["DETLAB_CONFIG"], encoding="utf-8") as f:
        config = json.load(f)
    out = config["output_dir"]
    torch.set_num_threads(config["threads"])
    torch.use_deterministic_algorithms(config["deterministic"])

    # The data: fixed, whatever the seeds (the program's own file is its data set).
    rng = np.random.default_rng(20261203)
    centres = rng.normal(size=(3, 8)).astype(np.float32)
    labels = rng.integers(0, 3, size=260)
    inputs = (centres[labels] + rng.normal(scale=1.2, size=(260, 8))).astype(np.float32)
    x_train, y_train = torch.from_numpy(inputs[:200]), torch.from_numpy(labels[:200])
    x_test, y_test = torch.from_numpy(inputs[200:]), torch.from_numpy(labels[200:])

    torch.manual_seed(config["init_seed"])
    model = torch.nn.Sequential(torch.nn.Linear(8, config["width"]), torch.nn.ReLU(),
                                torch.nn.Linear(config["width"], 3))
    perturbed = perturb(model, config)
    optimiser = torch.optim.SGD(model.parameters(), lr=config["learning_rate"], momentum=0.9)
    order = torch.Generator().manual_seed(config["shuffle_seed"])
    loss_fn = torch.nn.CrossEntropyLoss()
    curve = []
    for epoch in range(1, config["epochs"] + 1):
        model.train()
        permutation = torch.randperm(len(x_train), generator=order)
        for first in range(0, len(x_train), config["batch_size"]):
            batch = permutation[first:first + config["batch_size"]]
            optimiser.zero_grad()
            loss = loss_fn(model(x_train[batch]), y_train[batch])
            loss.backward()
            optimiser.step()
        model.eval()
        with torch.no_grad():
            logits = model(x_test)
            curve.append({"epoch": epoch, "test_loss": loss_fn(logits, y_test).item(),
                          "test_accuracy": (logits.argmax(1) == y_test).float().mean().item()})

    os.makedirs(os.path.join(out, "weights"), exist_ok=True)
    for i, (name, tensor) in enumerate(model.state_dict().items()):
        if tensor.is_floating_point():
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
                   "blas": " ".join(torch.__config__.show().split())[:900],
                   "numpy": np.__version__, "perturbed": perturbed}, f)


if __name__ == "__main__":
    main()
