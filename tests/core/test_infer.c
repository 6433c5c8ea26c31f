/* test_infer.c -- `rnnlab tag` in process: a tiny tagger trained on the
 * loader fixture tags raw text in the three output formats, with either
 * split, and refuses a line longer than its limit. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/infer.h"
#include "core/train.h"

static char tmpdir[256];
static char ckpt_path[600];
static infer inf;

static void setup(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/rnnlab_test_infer_XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
    setenv("RNNLAB_PLUGIN_PATH", RNNLAB_TEST_PLUGIN_DIR, 1);
    const char *src = getenv("RNNLAB_TEST_SOURCE_DIR");
    cr_assert_not_null(src, "RNNLAB_TEST_SOURCE_DIR is not set");
    char cfg[512], run[512];
    snprintf(cfg, sizeof cfg, "%s/tagger.ini", tmpdir);
    FILE *f = fopen(cfg, "w");
    cr_assert_not_null(f);
    fprintf(f,
            "[data]\nname = conllu\ntrain = %s/tests/data/loaders/small.conllu\nbatch_size = 2\n"
            "max_len = 16\n[tokenizer]\nname = word\nsplit = whitespace\n"
            "[model]\nhidden_size = 4\nbidirectional = true\n[optimizer]\nname = sgd\nlr = 0.1\n"
            "[train]\nseed = 1\nepochs = 1\n",
            src);
    fclose(f);
    snprintf(run, sizeof run, "%s/run", tmpdir);
    session_args a = {.config_path = cfg};
    train_args t = {.run_dir = run};
    rnnlab_err err;
    err_clear(&err);
    cr_assert_eq(train_run(&a, &t, NULL, &err), RNNLAB_OK, "%s", err.msg);
    snprintf(ckpt_path, sizeof ckpt_path, "%s/last.safetensors", run);
    cr_assert_eq(infer_open(&inf, ckpt_path, NULL, 16, &err), RNNLAB_OK, "%s", err.msg);
}

static void teardown(void) {
    infer_close(&inf);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(infer, .init = setup, .fini = teardown, .timeout = 60);

/* The tagger's output for one line, in a static buffer. */
static const char *tag(const char *line, rawtext_mode split, infer_format format) {
    static char out[8192];
    FILE *f = fmemopen(out, sizeof out, "w");
    cr_assert_not_null(f);
    rnnlab_err err;
    err_clear(&err);
    cr_assert_eq(infer_tag(&inf, line, split, format, 3, f, &err), RNNLAB_OK, "%s", err.msg);
    cr_assert_eq(fclose(f), 0);
    return out;
}

/* A class name of the checkpoint: one of the fixture's tags, or "<unk>"
 * (the label vocabulary's own) from a model trained for one epoch. */
static int is_tag(const char *s, size_t n) {
    static const char *const tags[] = {"DET",  "NOUN", "VERB",  "PUNCT", "PRON",  "AUX",
                                       "PART", "ADJ",  "PROPN", "CCONJ", "<unk>", NULL};
    for (const char *const *t = tags; *t; t++)
        if (strlen(*t) == n && memcmp(*t, s, n) == 0) return 1;
    return 0;
}

Test(infer, tsv_is_one_word_per_line_then_a_blank_line) {
    const char *out = tag("We said we can't go. a/b", RAWTEXT_UD_ENGLISH, INFER_TSV);
    static const char *const words[] = {"We", "said", "we", "ca", "n't", "go", ".", "a/b"};
    const char *p = out;
    for (size_t i = 0; i < 8; i++) {
        const char *tab = strchr(p, '\t'), *nl = strchr(p, '\n');
        cr_assert(tab && nl && tab < nl, "line %zu of:\n%s", i + 1, out);
        cr_expect_eq((size_t)(tab - p), strlen(words[i]));
        cr_expect(strncmp(p, words[i], strlen(words[i])) == 0, "word %zu of:\n%s", i + 1, out);
        cr_expect(is_tag(tab + 1, (size_t)(nl - tab - 1)), "tag on line %zu of:\n%s", i + 1, out);
        p = nl + 1;
    }
    cr_expect_str_eq(p, "\n", "a blank line ends the sentence:\n%s", out);
}

Test(infer, conllu_keeps_the_text_and_its_spaces) {
    const char *out = tag("We said we can't go.", RAWTEXT_UD_ENGLISH, INFER_CONLLU);
    const char *head = "# sent_id = 3\n# text = We said we can't go.\n";
    cr_assert(strncmp(out, head, strlen(head)) == 0, "%s", out);
    static const char *const words[] = {"We", "said", "we", "ca", "n't", "go", "."};
    static const char *const misc[] = {"_", "_", "_", "SpaceAfter=No", "_", "SpaceAfter=No", "_"};
    const char *p = out + strlen(head);
    for (size_t i = 0; i < 7; i++) {
        char row[256], *field[10], *save = NULL;
        const char *nl = strchr(p, '\n');
        cr_assert(nl && (size_t)(nl - p) < sizeof row, "row %zu of:\n%s", i + 1, out);
        memcpy(row, p, (size_t)(nl - p));
        row[nl - p] = '\0';
        size_t n = 0;
        for (char *t = strtok_r(row, "\t", &save); t && n < 10; t = strtok_r(NULL, "\t", &save))
            field[n++] = t;
        cr_assert_eq(n, 10, "row %zu of:\n%s", i + 1, out);
        cr_expect_eq(atoi(field[0]), (int)i + 1);
        cr_expect_str_eq(field[1], words[i]);
        cr_expect(is_tag(field[3], strlen(field[3])), "UPOS '%s'", field[3]);
        cr_expect_str_eq(field[9], misc[i], "MISC of '%s'", words[i]);
        p = nl + 1;
    }
    cr_expect_str_eq(p, "\n");
}

Test(infer, text_format_and_the_whitespace_split) {
    const char *out = tag("The cat can't", RAWTEXT_UD_ENGLISH, INFER_TEXT);
    cr_expect(strncmp(out, "The/", 4) == 0 && strstr(out, " ca/") && strstr(out, " n't/"), "%s",
              out);
    /* pre-tokenised input kept exactly: "can't" stays one word */
    out = tag(" The  cat can't ", RAWTEXT_WHITESPACE, INFER_TSV);
    cr_expect(strncmp(out, "The\t", 4) == 0 && strstr(out, "\ncan't\t"), "%s", out);
    cr_expect_null(strstr(out, "\nca\t"), "%s", out);
}

Test(infer, a_line_longer_than_the_limit_is_an_error) {
    char line[256] = "";
    for (int i = 0; i < 17; i++) strcat(line, "cat ");
    rnnlab_err err;
    err_clear(&err);
    FILE *f = fopen("/dev/null", "w");
    cr_assert_not_null(f);
    int rc = infer_tag(&inf, line, RAWTEXT_UD_ENGLISH, INFER_TEXT, 1, f, &err);
    fclose(f);
    cr_expect_eq(rc, RNNLAB_ERR_INVALID);
    cr_expect_not_null(strstr(err.msg, "17 words; tag takes at most 16"), "%s", err.msg);
}
