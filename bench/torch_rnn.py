#!/usr/bin/python3
"""PyTorch reference for bench/run: the same Elman char model as bench_rnn.c.

    torch_rnn.py V H B T THREADS [SECONDS]

nn.RNN (tanh, one layer, time-major, input_size=H) fed by nn.Embedding(V, H):
the one-hot input becomes a gather, as in rnnlab, instead of a dense
(T*B, V) x (V, H) GEMM. nn.RNN still applies its own W_ih (H, H) to the
embedded rows: one extra (T*B, H) x (H, H) GEMM per step batch (about 1/6
of the recurrent FLOPs at V=65) that torch cannot skip; noted in
docs/PERFORMANCE.md. Same data kind as bench_rnn.c: uniform random ids.

Training step: forward, CrossEntropyLoss, backward, clip_grad_norm_(1.0),
SGD(lr=0.1, momentum=0.9). Inference: forward + loss under no_grad.
Sampling (B == 1): one token per call with the hidden state carried.
Prints one line of key=value pairs, as bench_rnn does.
"""
import os
import resource
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


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
    torch.set_num_threads(threads)
    torch.manual_seed(1234)
    base_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0

    emb = nn.Embedding(V, H)
    rnn = nn.RNN(H, H, nonlinearity="tanh")
    head = nn.Linear(H, V)
    params = list(emb.parameters()) + list(rnn.parameters()) + list(head.parameters())
    opt = torch.optim.SGD(params, lr=0.1, momentum=0.9)
    lossf = nn.CrossEntropyLoss()
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(0, V, (T, B), generator=g)
    tgt = torch.randint(0, V, (T * B,), generator=g)
    state = {"h": torch.zeros(1, B, H)}

    def train():
        opt.zero_grad(set_to_none=False)
        y, h = rnn(emb(ids), state["h"])
        state["h"] = h.detach()
        loss = lossf(head(y).view(T * B, V), tgt)
        loss.backward()
        nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()

    def infer():
        with torch.no_grad():
            y, h = rnn(emb(ids), state["h"])
            state["h"] = h
            lossf(head(y).view(T * B, V), tgt)

    tok = {"id": torch.zeros(1, 1, dtype=torch.long), "h": torch.zeros(1, 1, H)}

    def sample():
        with torch.no_grad():
            y, tok["h"] = rnn(emb(tok["id"]), tok["h"])
            p = F.softmax(head(y[0]), dim=-1)
            tok["id"] = torch.multinomial(p, 1, generator=g).view(1, 1)

    tr = rate(train, 2, 3, seconds) * T * B
    inf = rate(infer, 2, 3, seconds / 2) * T * B
    smp = rate(sample, 16, 64, seconds / 2) if B == 1 else 0.0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    core = os.environ.get("OPENBLAS_CORETYPE", "default")
    print(f"torch V={V} H={H} B={B} T={T} threads={threads} coretype={core} "
          f"train_tok_s={tr:.0f} infer_tok_s={inf:.0f} sample_tok_s={smp:.0f} "
          f"rss_mb={rss:.1f} base_mb={base_mb:.1f}")


if __name__ == "__main__":
    main()
