/* infer.c -- see infer.h. */
#include "infer.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "rnnlab/portable_math.h"

static int restore_model(infer *inf, const char *path, rnnlab_err *err) {
    session *s = &inf->s;
    const char *kind = ckpt_meta_get(inf->c, "input_kind");
    const char *head = ckpt_meta_get(inf->c, "head");
    const ckpt_tensor *wih = ckpt_find(inf->c, "rnn.weight_ih_l0");
    const ckpt_tensor *wout = ckpt_find(inf->c, "out.weight");
    if (!kind || !head || !wih || !wout || wih->ndim != 2 || wout->ndim != 2)
        return err_set(err, RNNLAB_ERR_FORMAT,
                       "%s: not an rnnlab model checkpoint (needs input_kind and head metadata, "
                       "rnn.weight_ih_l0 and out.weight)",
                       path);
    s->spec.input_kind = strcmp(kind, "dense") == 0 ? RNNLAB_INPUT_DENSE : RNNLAB_INPUT_IDS;
    s->spec.head = strcmp(head, "last") == 0 ? RNNLAB_HEAD_LAST : RNNLAB_HEAD_PER_STEP;
    s->spec.input_size = wih->shape[1];
    s->spec.output_size = wout->shape[0];
    s->spec.max_T = inf->max_T;
    s->spec.max_B = 1;
    int rc = model_create(&inf->m, &s->spec, err);
    if (rc != RNNLAB_OK) return rc;
    for (size_t i = 0; i < model_num_tensors(inf->m); i++) {
        model_tensor *t = model_tensor_at(inf->m, i);
        const ckpt_tensor *ct = ckpt_find(inf->c, t->name);
        int same = ct && ct->dtype == CKPT_F32 && ct->ndim == t->ndim;
        for (size_t d = 0; same && d < t->ndim; d++) same = ct->shape[d] == t->shape[d];
        if (!same)
            return err_set(err, RNNLAB_ERR_FORMAT,
                           "%s: tensor '%s' is missing or does not match the recorded config's "
                           "model (F32, %zu dims)",
                           path, t->name, t->ndim);
        memcpy(t->data, ct->data, t->n * sizeof(float));
    }
    return RNNLAB_OK;
}

static int split_labels(infer *inf, rnnlab_err *err) {
    const char *names = ckpt_meta_get(inf->c, "label_names");
    if (!names || !*names) return RNNLAB_OK;
    inf->label_text = strdup(names);
    size_t n = 0;
    for (const char *p = names; *p; p++) n += *p == '\n';
    inf->labels = calloc(n + 1, sizeof *inf->labels);
    if (!inf->label_text || !inf->labels) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    char *save = NULL;
    for (char *tok = strtok_r(inf->label_text, "\n", &save); tok; tok = strtok_r(NULL, "\n", &save))
        inf->labels[inf->nlabels++] = tok;
    return RNNLAB_OK;
}

int infer_open(infer *inf, const char *ckpt_path, const char *plugin_path, size_t max_T,
               rnnlab_err *err) {
    memset(inf, 0, sizeof *inf);
    inf->max_T = max_T ? max_T : 1;
    int rc = ckpt_read(&inf->c, ckpt_path, err);
    if (rc != RNNLAB_OK) return rc;
    rc = ckpt_check_rnnlab(inf->c, ckpt_path, err);
    if (rc != RNNLAB_OK) {
        ckpt_free(inf->c);
        inf->c = NULL;
        return rc;
    }
    const char *cfg = ckpt_meta_get(inf->c, "config");
    const char *tok = ckpt_meta_get(inf->c, "tokenizer");
    if (!cfg || !tok) {
        rc = err_set(err, RNNLAB_ERR_FORMAT, "%s: metadata has no 'config' or 'tokenizer'",
                     ckpt_path);
        ckpt_free(inf->c);
        inf->c = NULL;
        return rc;
    }
    session_args a = {.config_path = ckpt_path,
                      .plugin_path = plugin_path,
                      .config_text = cfg,
                      .config_dir = "."};
    rc = session_open(&inf->s, &a, err);
    if (rc != RNNLAB_OK) {
        ckpt_free(inf->c);
        inf->c = NULL;
        return rc;
    }
    const rnnlab_tokenizer_ops *tk = &inf->s.tokenizer.comp->ops.tokenizer;
    host_set_sink(inf->s.host, err);
    rc = tk->load(inf->s.tok_self, tok, strlen(tok));
    if (rc != RNNLAB_OK) rc = err_prefix(err, "%s: tokenizer state: ", ckpt_path);
    if (rc == RNNLAB_OK) rc = restore_model(inf, ckpt_path, err);
    if (rc == RNNLAB_OK) rc = split_labels(inf, err);
    if (rc == RNNLAB_OK) {
        size_t T = inf->max_T, C = inf->s.spec.output_size;
        inf->batch.ids = calloc(T, sizeof *inf->batch.ids);
        inf->batch.mask = calloc(T, 1);
        inf->batch.lengths = calloc(1, sizeof *inf->batch.lengths);
        inf->probs = calloc(C, sizeof *inf->probs);
        inf->ids = calloc(T, sizeof *inf->ids);
        if (!inf->batch.ids || !inf->batch.mask || !inf->batch.lengths || !inf->probs || !inf->ids)
            rc = err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    }
    if (rc != RNNLAB_OK) infer_close(inf);
    return rc;
}

void infer_close(infer *inf) {
    if (inf->m) model_free(inf->m);
    if (inf->c) ckpt_free(inf->c);
    if (inf->s.host) session_close(&inf->s);
    free(inf->batch.ids);
    free(inf->batch.mask);
    free(inf->batch.lengths);
    free(inf->probs);
    free(inf->ids);
    free(inf->labels);
    free(inf->label_text);
    memset(inf, 0, sizeof *inf);
}

/* Runs ids[0..n) as one sequence; returns the logits, (n, C) per step. */
static int run(infer *inf, const int32_t *ids, size_t n, int carry, float **logits,
               rnnlab_err *err) {
    rnnlab_batch *b = &inf->batch;
    b->T = n;
    b->B = 1;
    for (size_t t = 0; t < n; t++) {
        b->ids[t] = ids[t];
        b->mask[t] = 1;
    }
    b->lengths[0] = (int32_t)n;
    size_t rows;
    host_set_sink(inf->s.host, err);
    return model_forward(inf->m, b, carry, logits, &rows, err);
}

/* ---- tagging ------------------------------------------------------------ */

static void write_tagged(const char *line, const rawtext_span *w, size_t n, const int32_t *tags,
                         char *const *labels, infer_format format, long sent_id, FILE *out) {
    if (format == INFER_CONLLU) fprintf(out, "# sent_id = %ld\n# text = %s\n", sent_id, line);
    for (size_t t = 0; t < n; t++) {
        int len = (int)w[t].len;
        const char *word = line + w[t].off, *tag = labels[tags[t]];
        if (format == INFER_CONLLU) {
            int glued = t + 1 < n && w[t].off + w[t].len == w[t + 1].off;
            fprintf(out, "%zu\t%.*s\t_\t%s\t_\t_\t_\t_\t_\t%s\n", t + 1, len, word, tag,
                    glued ? "SpaceAfter=No" : "_");
        } else if (format == INFER_TSV) {
            fprintf(out, "%.*s\t%s\n", len, word, tag);
        } else {
            fprintf(out, "%s%.*s/%s", t ? " " : "", len, word, tag);
        }
    }
    fputc('\n', out);
}

int infer_tag(infer *inf, const char *line, rawtext_mode split, infer_format format, long sent_id,
              FILE *out, rnnlab_err *err) {
    session *s = &inf->s;
    if (s->spec.head != RNNLAB_HEAD_PER_STEP || inf->nlabels != s->spec.output_size)
        return err_set(err, RNNLAB_ERR_UNSUPPORTED,
                       "this checkpoint is not a tagger (per-step head with %zu named classes)",
                       s->spec.output_size);
    rawtext_span *words = calloc(inf->max_T, sizeof *words);
    if (!words) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    size_t n = rawtext_split(split, line, strlen(line), words, inf->max_T);
    int rc = RNNLAB_OK;
    if (n > inf->max_T)
        rc = err_set(err, RNNLAB_ERR_INVALID, "the line has %zu words; tag takes at most %zu", n,
                     inf->max_T);
    const rnnlab_tokenizer_ops *tk = &s->tokenizer.comp->ops.tokenizer;
    host_set_sink(s->host, err);
    for (size_t i = 0; i < n && rc == RNNLAB_OK; i++) {
        const char *word = line + words[i].off;
        int len = (int)words[i].len;
        size_t got = 0;
        rc = tk->encode(s->tok_self, word, words[i].len, &inf->ids[i], 1, &got);
        if (rc == RNNLAB_OK && got != 1)
            rc = err_set(err, RNNLAB_ERR_UNSUPPORTED,
                         "word '%.*s' becomes %zu tokens with tokenizer '%s'; tagging needs one "
                         "id per word",
                         len, word, got, s->tokenizer.comp->name);
        else if (rc != RNNLAB_OK)
            rc = err_prefix(err, "word '%.*s': ", len, word);
    }
    float *logits = NULL;
    if (rc == RNNLAB_OK && n > 0) rc = run(inf, inf->ids, n, 0, &logits, err);
    if (rc == RNNLAB_OK) {
        /* The argmax tags overwrite the ids, which are no longer needed. */
        size_t C = s->spec.output_size;
        for (size_t t = 0; t < n; t++) {
            size_t best = 0;
            for (size_t k = 1; k < C; k++)
                if (logits[t * C + k] > logits[t * C + best]) best = k;
            inf->ids[t] = (int32_t)best;
        }
        write_tagged(line, words, n, inf->ids, inf->labels, format, sent_id, out);
    }
    free(words);
    return rc;
}

/* ---- sampling ----------------------------------------------------------- */

static int32_t pick(infer *inf, const float *logits, const sample_opts *o, rnnlab_rng *rng) {
    size_t C = inf->s.spec.output_size;
    size_t best = 0;
    for (size_t k = 1; k < C; k++)
        if (logits[k] > logits[best]) best = k;
    if (o->argmax) return (int32_t)best;
    /* top-k: the k-th largest logit is the cut; ties at the cut stay in. */
    double cut = -INFINITY;
    if (o->top_k > 0 && (size_t)o->top_k < C) {
        for (size_t k = 0; k < C; k++) inf->probs[k] = logits[k];
        for (long r = 0; r < o->top_k; r++) {
            size_t m = 0;
            for (size_t k = 1; k < C; k++)
                if (inf->probs[k] > inf->probs[m]) m = k;
            cut = inf->probs[m];
            inf->probs[m] = -INFINITY;
        }
    }
    double sum = 0.0, maxl = logits[best];
    for (size_t k = 0; k < C; k++) {
        double p = logits[k] >= cut ? rnnlab_exp((logits[k] - maxl) / o->temperature) : 0.0;
        inf->probs[k] = p;
        sum += p;
    }
    double u = rng_uniform(rng) * sum;
    for (size_t k = 0; k < C; k++) {
        u -= inf->probs[k];
        if (u < 0.0) return (int32_t)k;
    }
    return (int32_t)best;
}

/* 1 if the tokenizer shows id as its unknown token. */
static int is_unknown(const rnnlab_tokenizer_ops *tk, const void *self, int32_t id) {
    const char *t = tk->token_text ? tk->token_text(self, id) : NULL;
    return t && strcmp(t, "<unk>") == 0;
}

/* Appends text[0, n) to the list in f as 'x', escaping control characters. */
static void put_piece(FILE *f, const char *text, size_t n, int *count) {
    fputs(*count ? ", '" : "'", f);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c == '\n')
            fputs("\\n", f);
        else if (c < 0x20 || c == 0x7f)
            fprintf(f, "\\x%02x", c);
        else
            fputc(c, f);
    }
    fputc('\'', f);
    (*count)++;
}

/* Encodes text[0, len) into *ids, growing it to the count encode needs. */
static int encode_grow(const rnnlab_tokenizer_ops *tk, const void *self, const char *text,
                       size_t len, int32_t **ids, size_t *cap, size_t *n) {
    int rc = tk->encode(self, text, len, NULL, 0, n);
    if (rc != RNNLAB_OK) return rc;
    if (*n > *cap) {
        int32_t *g = realloc(*ids, *n * sizeof *g);
        if (!g) return RNNLAB_ERR_NOMEM;
        *ids = g;
        *cap = *n;
    }
    return tk->encode(self, text, len, *ids, *cap, n);
}

/* A prime the model cannot read is an error naming what it cannot read:
 * each run of spaces or of other characters is encoded on its own; where
 * one gives the unknown token, its characters are named one by one when
 * the tokenizer reads one id per character, else the run as a whole. */
static int check_prime(infer *inf, const char *prime, rnnlab_err *err) {
    const rnnlab_tokenizer_ops *tk = &inf->s.tokenizer.comp->ops.tokenizer;
    const void *self = inf->s.tok_self;
    size_t len = strlen(prime), cap = 0;
    int32_t *ids = NULL;
    char *list = NULL;
    size_t list_len = 0;
    FILE *f = open_memstream(&list, &list_len);
    if (!f) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    int count = 0, rc = RNNLAB_OK;
    for (size_t at = 0; at < len && rc == RNNLAB_OK;) {
        int space = isspace((unsigned char)prime[at]) != 0;
        size_t end = at;
        while (end < len && (isspace((unsigned char)prime[end]) != 0) == space) end++;
        size_t n = 0, chars = 0;
        rc = encode_grow(tk, self, prime + at, end - at, &ids, &cap, &n);
        int unknown = 0;
        for (size_t k = 0; rc == RNNLAB_OK && k < n; k++) unknown |= is_unknown(tk, self, ids[k]);
        for (size_t k = at; k < end; k++) chars += ((unsigned char)prime[k] & 0xC0) != 0x80;
        if (rc == RNNLAB_OK && unknown && n == chars) {
            for (size_t k = at; k < end && rc == RNNLAB_OK;) {
                size_t w = 1;
                while (k + w < end && ((unsigned char)prime[k + w] & 0xC0) == 0x80) w++;
                rc = encode_grow(tk, self, prime + k, w, &ids, &cap, &n);
                if (rc == RNNLAB_OK && n == 1 && is_unknown(tk, self, ids[0]))
                    put_piece(f, prime + k, w, &count);
                k += w;
            }
        } else if (rc == RNNLAB_OK && unknown) {
            put_piece(f, prime + at, end - at, &count);
        }
        at = end;
    }
    fclose(f);
    free(ids);
    if (rc == RNNLAB_ERR_NOMEM) {
        free(list);
        return err_set(err, rc, "out of memory");
    }
    if (rc != RNNLAB_OK) {
        free(list);
        return err_prefix(err, "--prime: ");
    }
    if (count)
        rc = err_set(err, RNNLAB_ERR_INVALID,
                     "--prime: %s %s not in the model's vocabulary (%s would be read as <unk>); "
                     "leave %s out or train on text that has %s",
                     list, count > 1 ? "are" : "is", count > 1 ? "they" : "it",
                     count > 1 ? "them" : "it", count > 1 ? "them" : "it");
    free(list);
    return rc;
}

int infer_sample(infer *inf, const sample_opts *o, FILE *out, rnnlab_err *err) {
    session *s = &inf->s;
    if (s->spec.head != RNNLAB_HEAD_PER_STEP || s->spec.bidirectional ||
        s->spec.input_kind != RNNLAB_INPUT_IDS || s->spec.input_size != s->spec.output_size)
        return err_set(err, RNNLAB_ERR_UNSUPPORTED,
                       "sampling needs a unidirectional language model (token ids in, the same "
                       "tokens out, a per-step head)");
    if (!(o->temperature > 0.0) && !o->argmax)
        return err_set(err, RNNLAB_ERR_INVALID, "--temperature must be above 0");
    const rnnlab_tokenizer_ops *tk = &s->tokenizer.comp->ops.tokenizer;
    size_t np = 0;
    const char *prime = o->prime && *o->prime ? o->prime : "\n";
    host_set_sink(s->host, err);
    int rc = tk->encode(s->tok_self, prime, strlen(prime), NULL, 0, &np);
    if (rc != RNNLAB_OK) return err_prefix(err, "--prime: ");
    rc = check_prime(inf, prime, err);
    if (rc != RNNLAB_OK) return rc;
    if (np == 0 || np > inf->max_T)
        return err_set(err, RNNLAB_ERR_INVALID, "--prime must encode to 1..%zu tokens, got %zu",
                       inf->max_T, np);
    size_t total = np + (size_t)o->length;
    int32_t *all = malloc(total * sizeof *all);
    if (!all) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    rc = tk->encode(s->tok_self, prime, strlen(prime), all, np, &np);
    rnnlab_rng rng;
    rng_seed(&rng, o->seed, 0x5A);
    float *logits = NULL;
    if (rc == RNNLAB_OK) rc = run(inf, all, np, 0, &logits, err);
    size_t C = s->spec.output_size;
    /* One token at a time, the state carried: no allocation per token. */
    for (size_t i = np; rc == RNNLAB_OK && i < total; i++) {
        all[i] = pick(inf, logits + (i == np ? (np - 1) * C : 0), o, &rng);
        if (i + 1 < total) rc = run(inf, &all[i], 1, 1, &logits, err);
    }
    size_t len = 0;
    if (rc == RNNLAB_OK) rc = tk->decode(s->tok_self, all, total, NULL, 0, &len);
    char *text = rc == RNNLAB_OK ? malloc(len + 1) : NULL;
    if (rc == RNNLAB_OK && !text) rc = err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    if (rc == RNNLAB_OK) rc = tk->decode(s->tok_self, all, total, text, len + 1, &len);
    if (rc == RNNLAB_OK) {
        fwrite(text, 1, len, out);
        fputc('\n', out);
    }
    free(text);
    free(all);
    return rc;
}
