#!/usr/bin/env python3
"""check_safetensors.py -- load an rnnlab checkpoint outside rnnlab.

Usage: check_safetensors.py FILE.safetensors

Uses safetensors.torch.load_file when the safetensors package is installed;
otherwise a minimal pure-Python reader of the same format (8-byte
little-endian header length, JSON header, raw little-endian data) that makes
the same checks: known dtypes, sizes matching shapes, ranges tiling the data
area with no gaps or overlaps. Prints each tensor's name, dtype, shape and
first values, then the metadata. Exits 1 if the file is malformed.
"""
import json
import struct
import sys

DTYPES = {"F32": ("f", 4), "F64": ("d", 8), "I64": ("q", 8)}


def read_pure(path):
    """Returns (tensors, metadata); tensors maps name -> (dtype, shape, list)."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError("file shorter than 8 bytes")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > len(blob) - 8:
        raise ValueError(f"header length {n} exceeds the file")
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    if not isinstance(header, dict):
        raise ValueError("header is not a JSON object")
    data = blob[8 + n:]
    meta = header.pop("__metadata__", {}) or {}
    tensors, ranges = {}, []
    for name, info in header.items():
        dtype, shape = info["dtype"], info["shape"]
        begin, end = info["data_offsets"]
        if dtype not in DTYPES:
            raise ValueError(f"{name}: unsupported dtype {dtype}")
        code, size = DTYPES[dtype]
        count = 1
        for d in shape:
            count *= d
        if not 0 <= begin <= end <= len(data) or end - begin != count * size:
            raise ValueError(f"{name}: bad data_offsets {begin}, {end}")
        values = list(struct.unpack(f"<{count}{code}", data[begin:end]))
        tensors[name] = (dtype, shape, values)
        ranges.append((begin, end, name))
    at = 0
    for begin, end, name in sorted(ranges):
        if begin != at:
            raise ValueError(f"{name}: gap or overlap at byte {at}")
        at = end
    if at != len(data):
        raise ValueError(f"{len(data) - at} trailing bytes")
    return tensors, meta


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    path = sys.argv[1]
    try:
        from safetensors import safe_open
        from safetensors.torch import load_file
    except ImportError:
        load_file = None
    try:
        if load_file is not None:
            loaded = load_file(path)
            with safe_open(path, framework="pt") as f:
                meta = f.metadata() or {}
            print(f"{path}: read with safetensors.torch")
            for name, t in loaded.items():
                head = t.flatten()[:6].tolist()
                print(f"  {name}: {t.dtype} {list(t.shape)} {head}")
        else:
            tensors, meta = read_pure(path)
            print(f"{path}: read with the pure-Python reader (safetensors not installed)")
            for name, (dtype, shape, values) in tensors.items():
                print(f"  {name}: {dtype} {shape} {values[:6]}")
    except (OSError, ValueError, KeyError, TypeError, struct.error) as e:
        print(f"{path}: bad safetensors file: {e}", file=sys.stderr)
        return 1
    for key, value in meta.items():
        print(f"  meta {key} = {value!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
