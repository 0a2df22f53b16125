#!/usr/bin/env python3
"""PyTorch peer of test_gpu's "[.gpubench]" cases, run by scripts/gpu_check.sh in the
same sitting on the same GPU. Same shapes, same timing rule (CUDA events, median of
20 after 3 warm-ups), FP32 with TF32 off. Prints "BENCH <name> <median ms>" lines."""
import torch


def bench(name, op):
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    for _ in range(3):
        op()
    times = []
    for _ in range(20):
        start.record()
        op()
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop))
    times.sort()
    print(f"BENCH {name} {times[len(times) // 2]:.4f}", flush=True)


def main():
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    dev = torch.device("cuda")
    d = 4096
    a = torch.rand(d, d, device=dev) * 2 - 1
    b = torch.rand(d, d, device=dev) * 2 - 1
    c = torch.empty(d, d, device=dev)
    bench("sgemm_4096", lambda: torch.mm(a, b, out=c))

    n = 64 << 20
    x = torch.randn(n, device=dev)
    y = torch.empty(n, device=dev)
    dy = torch.randn(n, device=dev)
    dx = torch.empty(n, device=dev)
    bench("relu_fwd_64M", lambda: torch.clamp(x, min=0, out=y))
    bench("relu_bwd_64M", lambda: torch.ops.aten.threshold_backward(dy, x, 0.0))
    # The same update as our fused kernel: h = m h + r g; w -= h (two kernels in eager mode).
    w = torch.randn(n, device=dev)
    g = torch.randn(n, device=dev)
    h = torch.zeros(n, device=dev)

    def sgd():
        h.mul_(0.9).add_(g, alpha=0.01)
        w.sub_(h)

    bench("sgd_update_64M", sgd)
    print(f"DEVICE {torch.cuda.get_device_name(0)}; torch {torch.__version__}", flush=True)


if __name__ == "__main__":
    main()
