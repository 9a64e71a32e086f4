"""Native yardstick for the engine's training throughput: PyTorch on the CPU, the same
model A architecture and batch sizes as `benches/train_throughput.rs`, one thread and
default threads. Measures and prints images/s; asserts nothing.

    bash benches/pytorch_baseline.sh      # makes .venv-torch (pip install torch) and runs this
    python3 benches/pytorch_baseline.py --device cuda   # the same on a GPU, with ms per step
"""
import sys
import time

import torch
from torch import nn


def model_a():
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(7 * 7 * 32, 64), nn.ReLU(), nn.Linear(64, 8),
    )


def bench(threads, batch, frozen, device="cpu", n=2048, epochs=3):
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    m = model_a().to(device)
    if frozen:
        for p in list(m.parameters())[:-2]:
            p.requires_grad_(False)
    opt = torch.optim.SGD([p for p in m.parameters() if p.requires_grad], lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    x = torch.rand(n, 1, 28, 28, device=device)
    y = torch.randint(0, 8, (n,), device=device)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)

    def epoch():
        perm = torch.randperm(n, device=device)
        for i in range(0, n, batch):
            idx = perm[i:i + batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(m(x[idx]), y[idx])
            loss.backward()
            opt.step()

    epoch()  # warm-up
    sync()
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        for _ in range(epochs):
            epoch()
        sync()
        best = min(best, time.perf_counter() - t)
    return n * epochs / best


if __name__ == "__main__":
    device = sys.argv[sys.argv.index("--device") + 1] if "--device" in sys.argv else "cpu"
    print(f"torch {torch.__version__}, device {device}, default threads {torch.get_num_threads()}", file=sys.stderr)
    if device == "cuda":
        print(f"GPU: {torch.cuda.get_device_name()}", file=sys.stderr)
    default_threads = torch.get_num_threads()
    print(f"{'configuration':<34} {'threads':>7} {'batch':>6} {'images/s':>10} {'ms/step':>8}")
    for label, frozen in [("full model", False), ("frozen base (all but last layer)", True)]:
        for threads in sorted({1, default_threads}) if device == "cpu" else [default_threads]:
            for batch in (32, 128):
                ips = bench(threads, batch, frozen, device)
                print(f"{label:<34} {threads:>7} {batch:>6} {ips:>10.0f} {batch / ips * 1e3:>8.3f}", flush=True)
