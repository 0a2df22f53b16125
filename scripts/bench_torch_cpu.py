#!/usr/bin/python3
"""PyTorch CPU peer for scripts/bench_engine.sh: the same nets as the golden timing
(../shared/golden/README.md, "PyTorch anchor details"), timed the same way.

LeNet:    Conv2d(1,20,5), max_pool 2/2, Conv2d(20,50,5), max_pool 2/2, Linear(800,500),
          ReLU, Linear(500,10), cross-entropy; batch 64 random inputs; 5 warm-up + 50 timed.
CaffeNet: AlexNet with groups=2 on conv2/4/5, LocalResponseNorm(5, 1e-4, 0.75, 1),
          ceil-mode max pooling, dropout 0.5 (training mode); batch 16 at 3x227x227;
          2 warm-up + 10 timed.
Both use torch.set_num_threads(THREADS) (default 2) and SGD(lr=0.01, momentum=0.9,
weight_decay=5e-4) for the full-step figure. Prints one JSON object (milliseconds).
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 20, 5)
        self.conv2 = nn.Conv2d(20, 50, 5)
        self.ip1 = nn.Linear(800, 500)
        self.ip2 = nn.Linear(500, 10)

    def forward(self, x):
        x = F.max_pool2d(self.conv1(x), 2, 2)
        x = F.max_pool2d(self.conv2(x), 2, 2)
        return self.ip2(F.relu(self.ip1(x.flatten(1))))


class CaffeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2, ceil_mode=True), nn.LocalResponseNorm(5, 1e-4, 0.75, 1.0),
            nn.Conv2d(96, 256, 5, padding=2, groups=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2, ceil_mode=True), nn.LocalResponseNorm(5, 1e-4, 0.75, 1.0),
            nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 384, 3, padding=1, groups=2), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, 3, padding=1, groups=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(3, 2, ceil_mode=True))
        self.classifier = nn.Sequential(
            nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True), nn.Dropout(0.5),
            nn.Linear(4096, 4096), nn.ReLU(inplace=True), nn.Dropout(0.5),
            nn.Linear(4096, 1000))

    def forward(self, x):
        return self.classifier(self.features(x).flatten(1))


def bench(model, x, y, warmup, iters):
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
    model.train()
    fwd = bwd = step = 0.0
    for i in range(warmup + iters):
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        opt.step()
        t3 = time.perf_counter()
        if i >= warmup:
            fwd += t1 - t0
            bwd += t2 - t1
            step += t3 - t0
    ms = lambda s: 1000.0 * s / iters
    return {"fwd_ms": ms(fwd), "bwd_ms": ms(bwd), "fwdbwd_ms": ms(fwd + bwd), "step_ms": ms(step)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("net", choices=["lenet", "caffenet"])
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1701)
    if args.net == "lenet":
        model, shape, batch, classes, warmup, iters = LeNet(), (1, 28, 28), 64, 10, 5, 50
    else:
        model, shape, batch, classes, warmup, iters = CaffeNet(), (3, 227, 227), 16, 1000, 2, 10
    x = torch.randn(batch, *shape)
    y = torch.randint(0, classes, (batch,))
    result = bench(model, x, y, warmup, iters)
    result.update(net=args.net, threads=args.threads, torch=torch.__version__)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
