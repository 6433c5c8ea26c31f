#!/usr/bin/env python3
"""torch_parity_sample.py -- loads an rnnlab char-LM checkpoint into
torch.nn.RNN + torch.nn.Linear by name, greedily generates from a prime, and
checks the text is exactly what `rnnlab sample --argmax` prints.

This is the end-to-end check that rnnlab's parameter names, shapes and
semantics are torch's: the state dict loads with strict=True, and a greedy
decode of 200 characters (each step the argmax of the logits) must match
character for character.

    bench/torch_parity_sample.py build/rnnlab RUN/best.safetensors [PRIME]

Exits 0 on a match, 1 on a mismatch, 0 with a message when torch is absent.
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_safetensors import read_pure  # noqa: E402

try:
    import torch
except ImportError:
    print("skip: torch is not installed")
    sys.exit(0)


def char_vocab(state):
    lines = state.split("\n")
    if lines[0] != "char v1" or not lines[1].startswith("size "):
        raise ValueError("not a char tokenizer state")
    size = int(lines[1][5:])
    chars = ["\ufffd"] + [chr(int(x)) for x in lines[2:2 + size - 1]]
    return chars, {c: i for i, c in enumerate(chars)}


def main():
    rnnlab, ckpt = sys.argv[1], sys.argv[2]
    prime = sys.argv[3] if len(sys.argv) > 3 else "The "
    length = 200
    tensors, meta = read_pure(ckpt)
    chars, index = char_vocab(meta["tokenizer"])
    cfg = meta["config"]
    act = "relu" if "activation = relu" in cfg else "tanh"
    layers = sum(1 for k in tensors if k.startswith("rnn.weight_hh_l") and "reverse" not in k)
    H, V = tensors["rnn.weight_ih_l0"][1]
    rnn = torch.nn.RNN(V, H, num_layers=layers, nonlinearity=act)
    out = torch.nn.Linear(H, tensors["out.weight"][1][0])
    model = torch.nn.ModuleDict({"rnn": rnn, "out": out})
    state = {k: torch.tensor(v[2], dtype=torch.float32).reshape(v[1])
             for k, v in tensors.items() if k.startswith(("rnn.", "out."))}
    model.load_state_dict(state, strict=True)

    ids = [index.get(c, 0) for c in prime]
    with torch.no_grad():
        x = torch.nn.functional.one_hot(torch.tensor(ids), V).float().unsqueeze(1)
        y, h = rnn(x)
        logits = out(y[-1, 0])
        gen = []
        for _ in range(length):
            nxt = int(torch.argmax(logits))
            gen.append(nxt)
            x = torch.nn.functional.one_hot(torch.tensor([nxt]), V).float().unsqueeze(1)
            y, h = rnn(x, h)
            logits = out(y[-1, 0])
    torch_text = prime + "".join(chars[i] for i in gen)
    ours = subprocess.run([rnnlab, "sample", ckpt, "--argmax", "--prime", prime,
                           "--length", str(length)], check=True, capture_output=True,
                          text=True).stdout.rstrip("\n")
    if ours == torch_text:
        print(f"match: {length} greedy characters identical in rnnlab and torch "
              f"({layers} layer(s), H={H}, V={V}, {act})")
        return 0
    n = next((i for i, (a, b) in enumerate(zip(ours, torch_text)) if a != b),
             min(len(ours), len(torch_text)))
    print(f"MISMATCH at character {n}:\n rnnlab: {ours[:n + 20]!r}\n torch:  {torch_text[:n + 20]!r}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
