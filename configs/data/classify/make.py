#!/usr/bin/env python3
"""Builds the sentence-type classification set (label<TAB>text) from the
embedded POS corpus (../pos/*.conllu, written for rnnlab).

Labels: question, command, statement. The label comes from the sentence's
final punctuation and its first word's UPOS tag, and that final punctuation
is then REMOVED from the text, so the model has to tell a question from a
statement by its words and their order ("did you read the book" vs "you
read the book"), not by a "?" at the end. Lowercased, so capitalisation
gives nothing away either.

    python3 make.py      # rewrites train.tsv, dev.tsv, test.tsv
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def sentences(path):
    words = []
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line:
            if words:
                yield words
            words = []
            continue
        if line.startswith("#"):
            continue
        cols = line.split("\t")
        if "-" in cols[0] or "." in cols[0]:
            continue
        words.append((cols[1], cols[3]))
    if words:
        yield words


def label(words):
    last = words[-1][0]
    if last == "?":
        return "question"
    if words[0][1] == "VERB" and last in (".", "!"):
        return "command"
    return "statement"


for split in ("train", "dev", "test"):
    rows = []
    for words in sentences(os.path.join(HERE, "..", "pos", split + ".conllu")):
        lab = label(words)
        body = [w for w, _ in words]
        while body and body[-1] in (".", "?", "!"):
            body.pop()
        if not body:
            continue
        rows.append(lab + "\t" + " ".join(body).lower())
    with open(os.path.join(HERE, split + ".tsv"), "w", encoding="utf-8") as f:
        f.write("\n".join(rows) + "\n")
    counts = {}
    for r in rows:
        counts[r.split("\t")[0]] = counts.get(r.split("\t")[0], 0) + 1
    print(split, len(rows), dict(sorted(counts.items())))
