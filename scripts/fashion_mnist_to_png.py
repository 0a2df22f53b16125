#!/usr/bin/env python3
"""Writes MNIST-format images (idx files, gzipped or not) as PNG files named
<class>.<index>.png, plus a convert_imageset list file, using only the standard
library (zlib and struct make the PNGs).

  fashion_mnist_to_png.py IMAGES LABELS OUTDIR [--limit N] [--names a,b,...]

Default names are Fashion-MNIST's: tshirt trouser pullover dress coat sandal shirt
sneaker bag ankle_boot (labels 0-9), so `create_lmdb --classes tshirt,trouser,...`
labels the files back. OUTDIR/list.txt holds '<file> <label>' lines in index order.
"""
import argparse
import gzip
import os
import struct
import sys
import zlib

FASHION = "tshirt,trouser,pullover,dress,coat,sandal,shirt,sneaker,bag,ankle_boot"


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    if magic >> 8 != 0x08:  # unsigned byte data
        sys.exit(f"{path}: not an MNIST idx file of unsigned bytes")
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return dims, memoryview(data)[4 + 4 * ndim:]


def png_chunk(kind, payload):
    body = kind + payload
    return struct.pack(">I", len(payload)) + body + struct.pack(">I", zlib.crc32(body))


def gray_png(pixels, height, width):
    rows = b"".join(b"\x00" + bytes(pixels[y * width:(y + 1) * width]) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit gray
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) +
            png_chunk(b"IDAT", zlib.compress(rows, 6)) + png_chunk(b"IEND", b""))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("images")
    ap.add_argument("labels")
    ap.add_argument("outdir")
    ap.add_argument("--limit", type=int, default=0, help="only the first N images")
    ap.add_argument("--names", default=FASHION, help="comma-separated class names, label 0 first")
    args = ap.parse_args()

    names = args.names.split(",")
    (n, h, w), pixels = read_idx(args.images)
    (n_labels,), labels = read_idx(args.labels)
    if n != n_labels:
        sys.exit(f"{args.labels}: {n_labels} labels for {n} images")
    if args.limit:
        n = min(n, args.limit)
    os.makedirs(args.outdir, exist_ok=True)
    lines = []
    for i in range(n):
        label = labels[i]
        name = f"{names[label]}.{i}.png"
        with open(os.path.join(args.outdir, name), "wb") as f:
            f.write(gray_png(pixels[i * h * w:(i + 1) * h * w], h, w))
        lines.append(f"{name} {label}\n")
    tmp = os.path.join(args.outdir, ".list.txt.tmp")
    with open(tmp, "w") as f:
        f.writelines(lines)
    os.replace(tmp, os.path.join(args.outdir, "list.txt"))
    print(f"wrote {n} images to {args.outdir}")


if __name__ == "__main__":
    main()
