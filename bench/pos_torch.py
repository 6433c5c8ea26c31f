#!/usr/bin/python3
"""pos_torch.py -- the PyTorch reference tagger for UD English EWT (issue 16).

The same model, data and settings as rnnlab's configs/pos_ud.ini run at the
reference settings, so dev accuracy and training tokens/s can be compared
epoch by epoch:

    bench/pos_torch.py [--bidirectional] [--epochs N] [--seed S] ...

Model (default, --embedding 0): rnnlab's own parameterisation. rnnlab feeds
each word as a one-hot vector, so its input weight W_ih (H, V) is a lookup
table; here it is an nn.Embedding whose rows are W_ih's columns, initialised
U(-1/sqrt(H), 1/sqrt(H)) as nn.RNN initialises W_ih. nn.RNN still applies
its own input matrix; it is frozen to the identity (and, bidirectional,
[I 0] and [0 I] over an embedding of width 2H, so each direction has its
own table as in rnnlab). The frozen product costs torch one extra GEMM per
step batch and changes nothing in the arithmetic. --embedding E instead
builds the usual PyTorch tagger: a trained nn.Embedding(V, E) (default
N(0, 1) init) into nn.RNN(E, H).

Data: words lowercased (ASCII A-Z only, as rnnlab's word tokenizer), words
seen fewer than --min-freq times in train -> <unk>; labels: the sorted
training tags, then <unk>. Sentences stay whole (no max_len split),
reshuffled each epoch from the seed, batches of --batch (the last one
smaller only if the count does not divide), padded per batch and packed.
Loss: cross-entropy, mean over the batch's words. SGD --lr (no momentum),
clip_grad_norm_(--clip). Dev accuracy over every dev word after each epoch.

Prints one line per epoch and a final summary:
    epoch 3 train_loss 0.4123 dev_acc 0.8512 train_s 41.2 tokens_per_s 4956
    best_dev_acc 0.8612 epoch 7 ... threads 1 torch 1.13.1
Skips (exit 0, "skip: ...") without torch or without the data. Timing is of
the training passes only, with torch.set_num_threads(--threads).
"""
import argparse
import os
import random
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def ascii_lower(w):
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in w)


def read_conllu(path, column):
    """[(words, tags)] per sentence; multiword ranges and empty nodes skipped."""
    sents, words, tags = [], [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                if words:
                    sents.append((words, tags))
                words, tags = [], []
            elif not line.startswith("#"):
                cols = line.split("\t")
                if "-" in cols[0] or "." in cols[0]:
                    continue
                words.append(cols[1])
                tags.append(cols[column])
    if words:
        sents.append((words, tags))
    return sents


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    data = os.environ.get("RNNLAB_SHARED_DATA", os.path.join(ROOT, "..", "shared", "data"))
    ap.add_argument("--train", default=os.path.join(data, "ud-en-ewt", "train.conllu"))
    ap.add_argument("--dev", default=os.path.join(data, "ud-en-ewt", "dev.conllu"))
    ap.add_argument("--column", type=int, default=3, help="0-based CoNLL-U column (3: UPOS)")
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--bidirectional", action="store_true")
    ap.add_argument("--act", default="tanh", choices=["tanh", "relu"])
    ap.add_argument("--embedding", type=int, default=0,
                    help="0: rnnlab's one-hot parameterisation; E: nn.Embedding(V, E)")
    ap.add_argument("--min-freq", type=int, default=2)
    ap.add_argument("--no-lowercase", action="store_true")
    ap.add_argument("--lr", type=float, default=0.5)
    ap.add_argument("--clip", type=float, default=5.0)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    try:
        import torch
        import torch.nn as nn
        from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence, pad_sequence
    except ImportError:
        print("skip: PyTorch is not installed")
        return 0
    for p in (a.train, a.dev):
        if not os.path.isfile(p):
            print(f"skip: {p} not found (set RNNLAB_SHARED_DATA)")
            return 0
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = random.Random(a.seed)

    norm = (lambda w: w) if a.no_lowercase else ascii_lower
    train, dev = read_conllu(a.train, a.column), read_conllu(a.dev, a.column)
    counts = {}
    for ws, _ in train:
        for w in ws:
            counts[norm(w)] = counts.get(norm(w), 0) + 1
    # rnnlab's word tokenizer: <pad> <unk> <bos> <eos>, then by count, ties by text
    kept = sorted((w for w, c in counts.items() if c >= a.min_freq), key=lambda w: (-counts[w], w))
    vocab = {w: i + 4 for i, w in enumerate(kept)}
    labels = sorted({t for _, ts in train for t in ts}) + ["<unk>"]
    label_id = {t: i for i, t in enumerate(labels)}
    V, C, H = len(vocab) + 4, len(labels), a.hidden

    def encode(sents):
        return [(torch.tensor([vocab.get(norm(w), 1) for w in ws]),
                 torch.tensor([label_id.get(t, C - 1) for t in ts])) for ws, ts in sents]

    train_t, dev_t = encode(train), encode(dev)
    dirs = 2 if a.bidirectional else 1

    class Tagger(nn.Module):
        def __init__(self):
            super().__init__()
            if a.embedding:
                self.emb = nn.Embedding(V, a.embedding, padding_idx=0)
                self.rnn = nn.RNN(a.embedding, H, nonlinearity=a.act, bidirectional=a.bidirectional)
            else:
                self.emb = nn.Embedding(V, dirs * H)
                nn.init.uniform_(self.emb.weight, -H ** -0.5, H ** -0.5)
                self.rnn = nn.RNN(dirs * H, H, nonlinearity=a.act, bidirectional=a.bidirectional)
                eye = torch.eye(H)
                zero = torch.zeros(H, H)
                with torch.no_grad():
                    self.rnn.weight_ih_l0.copy_(torch.cat([eye, zero], 1) if dirs == 2 else eye)
                    if dirs == 2:
                        self.rnn.weight_ih_l0_reverse.copy_(torch.cat([zero, eye], 1))
                self.rnn.weight_ih_l0.requires_grad_(False)
                if dirs == 2:
                    self.rnn.weight_ih_l0_reverse.requires_grad_(False)
            self.out = nn.Linear(dirs * H, C)

        def forward(self, ids, lengths):
            x = pack_padded_sequence(self.emb(ids), lengths, enforce_sorted=False)
            y, _ = self.rnn(x)
            y, _ = pad_packed_sequence(y)
            return self.out(y)  # (T, B, C)

    net = Tagger()
    params = [p for p in net.parameters() if p.requires_grad]
    opt = torch.optim.SGD(params, lr=a.lr)
    lossf = nn.CrossEntropyLoss(ignore_index=-100)

    def batch(items):
        lengths = torch.tensor([len(w) for w, _ in items])
        ids = pad_sequence([w for w, _ in items])
        tags = pad_sequence([t for _, t in items], padding_value=-100)
        return ids, lengths, tags

    def evaluate():
        net.eval()
        right = total = 0
        with torch.no_grad():
            for i in range(0, len(dev_t), 256):
                ids, lengths, tags = batch(dev_t[i:i + 256])
                pred = net(ids, lengths).argmax(-1)
                mask = tags != -100
                right += int((pred[mask] == tags[mask]).sum())
                total += int(mask.sum())
        net.train()
        return right / total

    best, best_epoch, total_s, total_tok = 0.0, 0, 0.0, 0
    for epoch in range(1, a.epochs + 1):
        order = list(range(len(train_t)))
        rng.shuffle(order)
        loss_sum, nb, tokens = 0.0, 0, 0
        t0 = time.perf_counter()
        for i in range(0, len(order), a.batch):
            ids, lengths, tags = batch([train_t[k] for k in order[i:i + a.batch]])
            opt.zero_grad()
            logits = net(ids, lengths)
            loss = lossf(logits.view(-1, C), tags.view(-1))
            loss.backward()
            nn.utils.clip_grad_norm_(params, a.clip)
            opt.step()
            loss_sum += float(loss)
            nb += 1
            tokens += int(lengths.sum())
        dt = time.perf_counter() - t0
        total_s += dt
        total_tok += tokens
        acc = evaluate()
        if acc > best:
            best, best_epoch = acc, epoch
        print(f"epoch {epoch} train_loss {loss_sum / nb:.4f} dev_acc {acc:.4f} train_s {dt:.1f} "
              f"tokens_per_s {tokens / dt:.0f}", flush=True)
    print(f"best_dev_acc {best:.4f} epoch {best_epoch} last_dev_acc {acc:.4f} "
          f"tokens_per_s {total_tok / total_s:.0f} vocab {V} classes {C} "
          f"{'bi' if dirs == 2 else 'uni'} {a.act} H {H} embedding {a.embedding} "
          f"threads {a.threads} torch {torch.__version__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
