/* infer.h -- using a trained checkpoint: tagging and sampling.
 *
 * An inference session needs no data files: the checkpoint carries the
 * resolved config (which plugins), the tokenizer's state (which ids), the
 * class names and the model's shape. The model runs at B = 1 with its
 * workspace sized once, so generating a token allocates nothing.
 *
 * Ownership: infer_open fills a caller-provided infer; infer_close frees it. */
#ifndef RNNLAB_CORE_INFER_H
#define RNNLAB_CORE_INFER_H

#include <stdio.h>
#include "checkpoint.h"
#include "rawtext.h"
#include "session.h"

typedef struct infer {
    session s;
    ckpt *c;
    model *m;
    rnnlab_batch batch; /* B = 1, T = max_T */
    size_t max_T;
    size_t nlabels;
    char **labels; /* class names, from the checkpoint */
    char *label_text;
    double *probs; /* (classes) sampling scratch */
    int32_t *ids;  /* (max_T) token scratch */
} infer;

/* Opens ckpt_path for inference with sequences of up to max_T tokens. */
int infer_open(infer *inf, const char *ckpt_path, const char *plugin_path, size_t max_T,
               rnnlab_err *err);
void infer_close(infer *inf);

/* How infer_tag writes a tagged sentence:
 *  INFER_TEXT    "word/TAG word/TAG ..." on one line (readable, but ambiguous
 *                for words that contain '/');
 *  INFER_TSV     one word per line, "word<TAB>TAG", then a blank line: words
 *                never hold white space, so this is unambiguous;
 *  INFER_CONLLU  CoNLL-U: "# sent_id" and "# text" comments, one word per
 *                line with its tag as UPOS and SpaceAfter=No where the raw
 *                text had no space, then a blank line. */
typedef enum infer_format { INFER_TEXT, INFER_TSV, INFER_CONLLU } infer_format;

/* Tags one sentence: splits the line into words by `split` (rawtext.h),
 * maps each word to one id with the checkpoint's tokenizer, and writes the
 * words and their tags to out in `format`; sent_id numbers CoNLL-U
 * sentences. */
int infer_tag(infer *inf, const char *line, rawtext_mode split, infer_format format, long sent_id,
              FILE *out, rnnlab_err *err);

typedef struct sample_opts {
    const char *prime;
    long length;
    double temperature;
    long top_k; /* 0: all */
    uint64_t seed;
    int argmax;
} sample_opts;

/* Generates o->length tokens after the prime from a language model and
 * writes the prime and the continuation, decoded, to out. A prime with
 * characters (or, for a word tokenizer, words) that the tokenizer reads as
 * its unknown token (token_text "<unk>") is an error naming them. */
int infer_sample(infer *inf, const sample_opts *o, FILE *out, rnnlab_err *err);

#endif
