#!/usr/bin/env python3
"""PyTorch peer of test_gpu's "[.gpubench]" training-step cases, run by
scripts/gpu_check.sh in the same sitting on the same GPU: one SGD step (momentum 0.9,
weight decay 5e-4, cross-entropy) of LeNet at batch 64 and CaffeNet at batch 256
(3x227x227), float32, eagerly and with the whole step captured in a CUDA graph; TF32
off, then CaffeNet again with TF32 allowed. The nets are scripts/bench_torch_cpu.py's.
Timing: wall clock around N steps after warm-up, synchronized, median of 5 blocks.
Prints "BENCH <name> <ms per step>" lines."""
import os
import statistics
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_torch_cpu import CaffeNet, LeNet  # noqa: E402


def timed(step, steps):
    blocks = []
    for _ in range(5):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(steps):
            step()
        torch.cuda.synchronize()
        blocks.append(1000.0 * (time.perf_counter() - t0) / steps)
    return statistics.median(blocks)


def bench_net(name, model, shape, batch, classes, steps):
    dev = torch.device("cuda")
    torch.manual_seed(1701)
    model = model.to(dev).train()
    x = torch.randn(batch, *shape, device=dev)
    y = torch.randint(0, classes, (batch,), device=dev)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)

    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        opt.step()

    # Warm-up on a side stream, as CUDA graph capture requires (and cuDNN's autotune).
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(5):
            step()
    torch.cuda.current_stream().wait_stream(side)
    print(f"BENCH {name}_step {timed(step, steps):.4f}", flush=True)

    graph = torch.cuda.CUDAGraph()
    opt.zero_grad(set_to_none=True)
    with torch.cuda.graph(graph):
        F.cross_entropy(model(x), y).backward()
        opt.step()
    print(f"BENCH {name}_step_graph {timed(graph.replay, steps):.4f}", flush=True)


def main():
    torch.backends.cudnn.benchmark = True
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    bench_net("lenet_b64", LeNet(), (1, 28, 28), 64, 10, 200)
    bench_net("caffenet_b256", CaffeNet(), (3, 227, 227), 256, 1000, 10)
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    bench_net("caffenet_b256_tf32", CaffeNet(), (3, 227, 227), 256, 1000, 10)
    print(f"DEVICE {torch.cuda.get_device_name(0)}; torch {torch.__version__}", flush=True)


if __name__ == "__main__":
    main()
