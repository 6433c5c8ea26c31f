#!/usr/bin/python3
"""numpy reference for bench/run: the same Elman char model, batched BPTT.

    numpy_rnn.py V H B T THREADS [SECONDS]

float32 throughout; the input projection is a gather of W_ih's columns
(stored transposed, (V, H)), the recurrence one (B, H) x (H, H) product per
step, the head and weight gradients single products over all T*B rows,
softmax cross-entropy, clip_grad_norm_(1.0) and SGD with momentum 0.9.
THREADS goes to OpenBLAS through OPENBLAS_NUM_THREADS, which bench/run sets
before numpy loads. Prints one line of key=value pairs, as bench_rnn does.
"""
import resource
import sys
import time

import numpy as np


def rate(fn, warm, min_reps, seconds):
    for _ in range(warm):
        fn()
    n, t0 = 0, time.perf_counter()
    while True:
        fn()
        n += 1
        dt = time.perf_counter() - t0
        if n >= min_reps and dt >= seconds:
            return n / dt


def main():
    V, H, B, T, threads = (int(a) for a in sys.argv[1:6])
    seconds = float(sys.argv[6]) if len(sys.argv) > 6 else 1.0
    base_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    rng = np.random.default_rng(1234)
    k = 1.0 / np.sqrt(H)
    P = {
        "wxT": rng.uniform(-k, k, (V, H)).astype(np.float32),  # W_ih^T
        "whh": rng.uniform(-k, k, (H, H)).astype(np.float32),
        "bh": rng.uniform(-k, k, H).astype(np.float32),        # b_ih + b_hh
        "wo": rng.uniform(-k, k, (V, H)).astype(np.float32),
        "bo": rng.uniform(-k, k, V).astype(np.float32),
    }
    M = {n: np.zeros_like(p) for n, p in P.items()}
    ids = rng.integers(0, V, (T, B))
    tgt = rng.integers(0, V, T * B)
    hs = np.zeros((T + 1, B, H), np.float32)

    def forward():
        hs[0] = hs[T]
        xs = P["wxT"][ids] + P["bh"]                      # (T, B, H)
        whhT = P["whh"].T
        for t in range(T):
            np.tanh(xs[t] + hs[t] @ whhT, out=hs[t + 1])
        y = hs[1:].reshape(T * B, H)
        logits = y @ P["wo"].T + P["bo"]
        logits -= logits.max(axis=1, keepdims=True)
        e = np.exp(logits)
        p = e / e.sum(axis=1, keepdims=True)
        loss = -np.log(p[np.arange(T * B), tgt]).mean()
        return y, p, loss

    def train():
        y, p, _ = forward()
        d = p
        d[np.arange(T * B), tgt] -= 1.0
        d /= T * B
        G = {"wo": d.T @ y, "bo": d.sum(0)}
        dy = (d @ P["wo"]).reshape(T, B, H)
        dz = np.empty((T, B, H), np.float32)
        dh = np.zeros((B, H), np.float32)
        whh = P["whh"]
        for t in range(T - 1, -1, -1):
            dh += dy[t]
            dz[t] = dh * (1.0 - hs[t + 1] * hs[t + 1])
            dh = dz[t] @ whh
        dzf = dz.reshape(T * B, H)
        G["whh"] = dzf.T @ hs[:T].reshape(T * B, H)
        G["bh"] = 2.0 * dzf.sum(0)
        gx = np.zeros_like(P["wxT"])
        flat = ids.reshape(-1)
        order = np.argsort(flat, kind="stable")
        uniq, starts = np.unique(flat[order], return_index=True)
        gx[uniq] = np.add.reduceat(dzf[order], starts, axis=0)  # sum of dz rows per id
        G["wxT"] = gx
        norm = np.sqrt(sum(float((g.astype(np.float64) ** 2).sum()) for g in G.values()))
        c = min(1.0, 1.0 / (norm + 1e-6))
        for n in P:
            M[n] = 0.9 * M[n] + G[n] * c
            P[n] -= 0.1 * M[n]

    tr = rate(train, 2, 3, seconds) * T * B
    inf = rate(forward, 2, 3, seconds / 2) * T * B
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(f"numpy V={V} H={H} B={B} T={T} threads={threads} train_tok_s={tr:.0f} "
          f"infer_tok_s={inf:.0f} sample_tok_s=0 rss_mb={rss:.1f} base_mb={base_mb:.1f}")


if __name__ == "__main__":
    main()
