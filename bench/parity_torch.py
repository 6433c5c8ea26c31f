#!/usr/bin/env python3
"""parity_torch.py -- replays rnnlab's model cases in PyTorch and compares.

Optional: CI never runs this. The Criterion test `model::write_torch_parity_fixture`
writes BUILD_DIR/model_parity.txt (when run through `meson test`, BUILD_DIR is
the build directory): for each case the spec, a padded batch, every parameter
by its torch name, rnnlab's float logits and its gradients under softmax
cross-entropy. This script loads the parameters into torch.nn.RNN +
torch.nn.Linear, runs the batch as a packed sequence, and checks that logits
and gradients agree.

    meson test -C build model
    python3 bench/parity_torch.py build/model_parity.txt

Exit status 0 when every case agrees within tolerance, 1 otherwise.
"""
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

RTOL, ATOL = 1e-4, 1e-5


class Net(nn.Module):
    def __init__(self, in_size, hidden, layers, bidir, classes, act):
        super().__init__()
        self.rnn = nn.RNN(in_size, hidden, layers, nonlinearity=act, bidirectional=bidir)
        self.out = nn.Linear(hidden * (2 if bidir else 1), classes)


def parse(path):
    cases, cur = [], None
    with open(path) as f:
        for line in f:
            tok = line.split()
            if not tok:
                continue
            if tok[0] == "case":
                cur = {
                    "input": tok[1], "in": int(tok[2]), "H": int(tok[3]), "L": int(tok[4]),
                    "bidir": tok[5] == "1", "C": int(tok[6]), "head": tok[7],
                    "T": int(tok[8]), "B": int(tok[9]), "act": tok[10], "param": {}, "grad": {},
                }
                cases.append(cur)
            elif tok[0] in ("lengths", "ids", "target_ids"):
                cur[tok[0]] = [int(v) for v in tok[2:]]
            elif tok[0] in ("x", "logits"):
                cur[tok[0]] = [float(v) for v in tok[3:]]
            elif tok[0] in ("param", "grad"):
                cur[tok[0]][tok[1]] = [float(v) for v in tok[3:]]
    return cases


def run_case(c):
    T, B, C = c["T"], c["B"], c["C"]
    net = Net(c["in"], c["H"], c["L"], c["bidir"], C, c["act"]).double()
    params = dict(net.named_parameters())
    if list(params) != list(c["param"]):
        return [f"parameter names/order differ: torch {list(params)} vs rnnlab {list(c['param'])}"]
    with torch.no_grad():
        for name, p in params.items():
            p.copy_(torch.tensor(c["param"][name], dtype=torch.float64).view_as(p))
    lengths = torch.tensor(c["lengths"])
    mask = torch.arange(T).unsqueeze(1) < lengths.unsqueeze(0)  # (T, B)
    if c["input"] == "ids":
        ids = torch.tensor(c["ids"]).view(T, B).clamp(0, c["in"] - 1)  # padding ids are junk
        x = F.one_hot(ids, c["in"]).double()
    else:
        x = torch.tensor(c["x"], dtype=torch.float64).view(T, B, c["in"])
    packed = pack_padded_sequence(x, lengths, enforce_sorted=False)
    out, h_n = net.rnn(packed)
    if c["head"] == "per_step":
        y, _ = pad_packed_sequence(out, total_length=T)  # zeros on padding
        logits = net.out(y.reshape(T * B, -1))
        targets = torch.tensor(c["target_ids"])
        counted = mask.reshape(-1)
    else:
        top = h_n[-2:] if c["bidir"] else h_n[-1:]
        logits = net.out(torch.cat(list(top), dim=1))
        targets = torch.tensor(c["target_ids"])
        counted = lengths > 0
    loss = F.cross_entropy(logits[counted], targets[counted], reduction="sum") / counted.sum()
    loss.backward()

    problems = []
    want = torch.tensor(c["logits"], dtype=torch.float64).view_as(logits)
    if not torch.allclose(logits.detach(), want, rtol=RTOL, atol=ATOL):
        problems.append(f"logits differ by {(logits.detach() - want).abs().max().item():.3g}")
    for name, p in params.items():
        g = torch.tensor(c["grad"][name], dtype=torch.float64).view_as(p)
        if not torch.allclose(p.grad, g, rtol=RTOL, atol=ATOL):
            problems.append(f"grad {name} differs by {(p.grad - g).abs().max().item():.3g}")
    return problems


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    cases = parse(sys.argv[1])
    failed = 0
    for i, c in enumerate(cases):
        problems = run_case(c)
        desc = f"case {i}: {c['act']} {c['input']} L={c['L']} bidir={c['bidir']} head={c['head']}"
        print(f"{desc}: {'ok' if not problems else 'FAIL'}")
        for p in problems:
            print("    " + p)
        failed += bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
