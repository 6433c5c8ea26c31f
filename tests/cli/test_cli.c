/* test_cli.c -- the command line as a user meets it, through the real
 * binary: help on every command, did-you-mean, the man page covering every
 * command and flag, and plugins describe saying where keys go. */
#include "cli_util.h"

#include <ctype.h>

TestSuite(cli, .init = cli_tmp_make, .fini = cli_tmp_drop, .timeout = 120);

/* The command names, from `rnnlab help`. */
static size_t command_names(char names[][32], size_t cap) {
    char *out;
    cr_assert_eq(cli_run(&out, "help"), 0);
    char *p = strstr(out, "commands:\n");
    cr_assert_not_null(p, "%s", out);
    size_t n = 0;
    for (p = strchr(p, '\n') + 1; *p == ' ' && n < cap; p = strchr(p, '\n') + 1) {
        sscanf(p, " %31s", names[n]);
        n++;
    }
    free(out);
    return n;
}

Test(cli, help_on_every_command) {
    char names[32][32];
    size_t n = command_names(names, 32);
    cr_assert_geq(n, 10);
    for (size_t i = 0; i < n; i++) {
        const char *forms[] = {"%s --help", "%s -h", "help %s"};
        for (size_t f = 0; f < 3; f++) {
            char *out, want[64];
            char args[64];
            snprintf(args, sizeof args, forms[f], names[i]);
            cr_expect_eq(cli_run(&out, "%s", args), 0, "rnnlab %s", args);
            snprintf(want, sizeof want, "usage: rnnlab %s", names[i]);
            cr_expect_not_null(strstr(out, want), "rnnlab %s: %s", args, out);
            cr_expect_not_null(strstr(out, "example"), "rnnlab %s has an example: %s", args, out);
            free(out);
        }
    }
}

Test(cli, did_you_mean) {
    struct {
        const char *args, *want;
    } cases[] = {
        {"trian", "unknown command 'trian'; did you mean 'train'?"},
        {"help trian", "did you mean 'train'?"},
        {"plugins describe tnh", "no component named 'tnh'; did you mean 'tanh'?"},
        {"plugins descrbe tanh", "unknown subcommand 'descrbe'; did you mean 'describe'?"},
        {"config shwo x.ini", "did you mean 'show'?"},
        {"train x.ini --reusme r", "unknown option '--reusme'; did you mean '--resume'?"},
        {"sweep x.ini --dry-rn", "did you mean '--dry-run'?"},
        {"plugins check x.so --data f", "unknown option '--data'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *out;
        int rc = cli_run(&out, "%s", cases[i].args);
        cr_expect_neq(rc, 0, "rnnlab %s", cases[i].args);
        cr_expect_not_null(strstr(out, cases[i].want), "rnnlab %s: %s", cases[i].args, out);
        free(out);
    }
}

Test(cli, plugins_describe_names_the_section) {
    char *out;
    cr_assert_eq(cli_run(&out, "plugins describe leaky_relu"), 0);
    cr_expect_not_null(strstr(out, "[model] activation = leaky_relu; its keys go in [activation]"),
                       "%s", out);
    free(out);
    cr_assert_eq(cli_run(&out, "plugins describe adam"), 0);
    cr_expect_not_null(strstr(out, "[optimizer] name = adam; its keys go in [optimizer]"), "%s",
                       out);
    free(out);
}

/* The man page's text with roff's "\-" turned into "-". */
static char *man_text(void) {
    char path[1024];
    snprintf(path, sizeof path, "%s/docs/rnnlab.1", getenv("RNNLAB_TEST_SOURCE_DIR"));
    char *t = cli_read(path);
    cr_assert_not_null(t, "%s", path);
    char *w = t;
    for (const char *r = t; *r; r++) {
        if (r[0] == '\\' && r[1] == '-') continue;
        *w++ = *r;
    }
    *w = '\0';
    return t;
}

/* Every option a command's --help lists ("  --name", "  -j N, --jobs N")
 * appears in the man page. */
Test(cli, man_page_covers_every_command_and_flag) {
    char *man = man_text();
    char names[32][32];
    size_t n = command_names(names, 32);
    size_t options = 0;
    for (size_t i = 0; i < n; i++) {
        char want[64];
        snprintf(want, sizeof want, ".B%s %s", strcmp(names[i], "version") ? "I" : "", names[i]);
        cr_expect(strstr(man, want) || strstr(man, names[i]), "man page names %s", names[i]);
        char *out;
        cr_assert_eq(cli_run(&out, "%s --help", names[i]), 0);
        for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
            if (strncmp(line, "  -", 3) != 0) continue;
            for (char *p = line + 2; *p == '-';) {
                size_t len = 1;
                while (p[len] == '-' || isalnum((unsigned char)p[len])) len++;
                char opt[64];
                snprintf(opt, sizeof opt, "%.*s", (int)len, p);
                cr_expect_not_null(strstr(man, opt), "man page covers `rnnlab %s %s`", names[i],
                                   opt);
                options++;
                p = strstr(p + len, ", -");
                p = p ? p + 2 : line + strlen(line);
            }
        }
        free(out);
    }
    cr_expect_geq(options, 30, "found the options in the usage texts");
    const char *topics[] = {"log(a, b, n)", "lin(a, b, n)", "a..b",       "samples",
                            "select",       "baseline",     "init_scale", "orthogonal",
                            "0.99",         "[activation]", "max_steps",  "as written"};
    for (size_t i = 0; i < sizeof topics / sizeof topics[0]; i++)
        cr_expect_not_null(strstr(man, topics[i]), "man page documents %s", topics[i]);
    free(man);
}

/* ---- overrides that never go silent ----------------------------------------------- */

Test(cli, unset_and_switching_a_component) {
    cli_write("base.ini", "%s", cli_tiny_base);
    char *out;
    /* sgd's momentum goes with sgd, and the user is told. */
    cr_assert_eq(cli_run(&out, "config show base.ini --set optimizer.name=adam"), 0);
    cr_expect_not_null(strstr(out, "note: [optimizer] name = adam replaces sgd: dropped momentum "
                                   "= 0.9 (base.ini:18), which adam does not have"),
                       "%s", out);
    cr_expect_null(strstr(out, "\nmomentum ="), "%s", out);
    free(out);
    /* A key the new component lacks, given on the command line, is an error. */
    cr_expect_eq(cli_run(&out, "config show base.ini --set optimizer.name=adam "
                               "--set optimizer.momentum=0.5"),
                 3);
    cr_expect_not_null(strstr(out, "unknown key 'momentum' in [optimizer]"), "%s", out);
    free(out);
    /* --unset: the default applies; --set after it wins; a missing key is named. */
    cr_assert_eq(cli_run(&out, "config show base.ini --unset optimizer.momentum"), 0);
    cr_expect_not_null(strstr(out, "momentum = 0\n"), "%s", out);
    free(out);
    cr_assert_eq(cli_run(&out, "config show base.ini --unset optimizer.lr --set optimizer.lr=0.3"),
                 0);
    cr_expect_not_null(strstr(out, "lr = 0.3\n"), "%s", out);
    free(out);
    cr_expect_eq(cli_run(&out, "config show base.ini --unset optimizer.momentm"), 3);
    cr_expect_not_null(strstr(out, "--unset optimizer.momentm: [optimizer] has no key 'momentm'; "
                                   "did you mean 'momentum'?"),
                       "%s", out);
    free(out);
    for (size_t i = 0; i < 3; i++) {
        const char *cmd[] = {"train base.ini --run-dir r --quiet", "gradcheck base.ini",
                             "sweep s.ini --dry-run"};
        cli_write("s.ini", "[sweep]\nbase = base.ini\n");
        cr_expect_eq(cli_run(&out, "%s --unset optimizer.momentm", cmd[i]), 3, "%s", cmd[i]);
        cr_expect_not_null(strstr(out, "momentm"), "%s: %s", cmd[i], out);
        free(out);
    }
}

/* The hash of each run in `sweep --dry-run`'s plan, in order. */
static size_t plan_hashes(const char *out, char hashes[][17], size_t cap) {
    size_t n = 0;
    for (const char *p = out; p && *p && n < cap; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        size_t len = strspn(p, "0123456789abcdef");
        if (len == 16 && p[16] == ' ') snprintf(hashes[n++], 17, "%.16s", p);
    }
    return n;
}

Test(cli, sweep_overrides_apply_to_every_run) {
    cli_write("base.ini", "%s", cli_tiny_base);
    cli_write("s.ini", "[sweep]\nbase = base.ini\nmodel.activation = tanh, relu\nseeds = 1..2\n"
                       "[train]\nepochs = 3\n");
    char *out, plain[8][17], over[8][17];
    cr_assert_eq(cli_run(&out, "sweep s.ini --dry-run"), 0);
    cr_assert_eq(plan_hashes(out, plain, 8), 4, "%s", out);
    free(out);
    cr_assert_eq(cli_run(&out, "sweep s.ini --dry-run --set train.epochs=1"), 0);
    cr_assert_eq(plan_hashes(out, over, 8), 4, "%s", out);
    free(out);
    for (size_t i = 0; i < 4; i++)
        cr_expect_str_neq(plain[i], over[i], "run %zu's hash covers the override", i);
    /* Validated like the file's own keys, before anything runs. */
    struct {
        const char *args, *want;
    } bad[] = {
        {"--set nonsense.key=1", "--set nonsense.key: unknown section [nonsense]"},
        {"--set train.epochs=x", "epochs = 'x': expected an integer"},
        {"--set model.activation=relu", "model.activation is swept by the sweep file (s.ini:3)"},
        {"--set train.seed=4", "train.seed is swept by the sweep file (s.ini:4)"},
        {"--unset train.nothing", "neither the base config"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_expect_eq(cli_run(&out, "sweep s.ini %s", bad[i].args), 3, "%s", bad[i].args);
        cr_expect_not_null(strstr(out, bad[i].want), "%s: %s", bad[i].args, out);
        free(out);
        cr_expect_neq(access("s.out", F_OK), 0, "%s: nothing ran", bad[i].args);
    }
    /* And the runs really use them: the command line beats the sweep file. */
    cli_write("s.ini", "[sweep]\nbase = base.ini\nseeds = 1..2\n[train]\nepochs = 3\n");
    cr_assert_eq(cli_run(&out, "sweep s.ini --set train.epochs=1 --unset optimizer.momentum"), 0,
                 "%s", out);
    free(out);
    char hashes[4][17];
    cr_assert_eq(cli_run(&out, "sweep s.ini --dry-run --set train.epochs=1 "
                               "--unset optimizer.momentum"),
                 0);
    cr_assert_eq(plan_hashes(out, hashes, 4), 2);
    cr_expect_not_null(strstr(out, "ok"), "%s", out);
    free(out);
    for (size_t i = 0; i < 2; i++) {
        char path[256];
        snprintf(path, sizeof path, "s.out/runs/%s/config.ini", hashes[i]);
        char *cfg = cli_read(path);
        cr_assert_not_null(cfg, "%s", path);
        cr_expect_not_null(strstr(cfg, "epochs = 1\n"), "%s", cfg);
        cr_expect_not_null(strstr(cfg, "momentum = 0\n"), "%s", cfg);
        free(cfg);
    }
}

Test(cli, sweep_seed_errors_point_at_the_seeds) {
    cli_write("base.ini", "%s", cli_tiny_base);
    cli_write("s.ini", "[sweep]\nbase = base.ini\nmode = grid\nseeds = 1-3\n"
                       "model.activation = tanh, relu\n");
    char *out;
    cr_expect_eq(cli_run(&out, "sweep s.ini --dry-run"), 3);
    cr_expect_not_null(strstr(out, "s.ini:4: seeds value '1-3'"), "%s", out);
    cr_expect_not_null(strstr(out, "(a range of seeds is written a..b)"), "%s", out);
    cr_expect_null(strstr(out, "model.activation"), "%s", out);
    free(out);
}

Test(cli, sweep_metric_is_checked_before_anything_runs) {
    /* A character language model records bits_per_token, not bits_per_char. */
    FILE *f = fopen("corpus.txt", "w");
    for (int i = 0; i < 200; i++) fputs("the cat sat on the mat. ", f);
    fclose(f);
    cli_write("lm.ini",
              "[data]\nname = text\ntrain = corpus.txt\nbatch_size = 4\nbptt = 8\n"
              "[tokenizer]\nname = char\n[model]\nhidden_size = 4\n[train]\nepochs = 1\n");
    cli_write("s.ini", "[sweep]\nbase = lm.ini\nmodel.activation = tanh, relu\n"
                       "metric = dev/bits_per_char\n");
    char *out;
    cr_expect_eq(cli_run(&out, "sweep s.ini"), 3);
    cr_expect_not_null(strstr(out, "s.ini:4: metric = dev/bits_per_char"), "%s", out);
    cr_expect_not_null(strstr(out, "did you mean 'dev/bits_per_token'?"), "%s", out);
    free(out);
    cr_expect_neq(access("s.out", F_OK), 0, "nothing ran");
    cr_expect_eq(cli_run(&out, "sweep s.ini --dry-run"), 3, "--dry-run checks it too");
    free(out);
    /* Accuracy needs class targets: an mse task does not record it. */
    cli_write("base.ini", "%s", cli_tiny_base);
    cli_write("s.ini", "[sweep]\nbase = base.ini\nmetric = dev/accuracy\n");
    cr_expect_eq(cli_run(&out, "sweep s.ini --dry-run"), 3);
    cr_expect_not_null(strstr(out, "will not record it"), "%s", out);
    free(out);
    cli_write("s.ini", "[sweep]\nbase = lm.ini\nmetric = dev/bits_per_token\n");
    cr_expect_eq(cli_run(&out, "sweep s.ini --dry-run"), 0, "%s", out);
    free(out);
}

/* ---- runs that stand on their own ------------------------------------------------- */

/* A run trained from one folder with relative data paths works from any
 * other: its config records the paths absolute (and as written); eval
 * reads only --data; sample and tag take the run folder; a resume after
 * the data moved names the recorded path. */
Test(cli, run_folder_stands_on_its_own) {
    cr_assert_eq(mkdir("proj", 0755), 0);
    cr_assert_eq(mkdir("proj/data", 0755), 0);
    cr_assert_eq(mkdir("elsewhere", 0755), 0);
    FILE *f = fopen("proj/data/train.txt", "w");
    for (int i = 0; i < 200; i++) fputs("the cat sat on the mat. a dog ran. ", f);
    fclose(f);
    cli_write("proj/data/dev.txt", "the dog sat on the cat. a mat ran.\n");
    cli_write("proj/lm.ini", "[data]\nname = text\ntrain = data/train.txt\nvalid = data/dev.txt\n"
                             "batch_size = 4\nbptt = 8\n[tokenizer]\nname = char\n"
                             "[model]\nhidden_size = 8\n[train]\nepochs = 2\nmax_steps = 5\n");
    char *out;
    cr_assert_eq(chdir("proj"), 0);
    cr_assert_eq(cli_run(&out, "train lm.ini --run-dir ../run --quiet"), 0, "%s", out);
    free(out);
    cr_assert_eq(chdir(".."), 0);
    char *cfg = cli_read("run/config.ini"), want[1024];
    cr_assert_not_null(cfg);
    snprintf(want, sizeof want,
             "; as written: train = data/train.txt\ntrain = %s/proj/data/train.txt\n", cli_tmp);
    cr_expect_not_null(strstr(cfg, want), "%s", cfg);
    free(cfg);

    /* The training file moves away; the run still works from elsewhere. */
    cr_assert_eq(rename("proj/data/train.txt", "moved.txt"), 0);
    cr_assert_eq(chdir("elsewhere"), 0);
    cr_expect_eq(cli_run(&out, "sample ../run/ --prime 'the ' --length 5"), 0, "%s", out);
    cr_expect_not_null(strstr(out, "the "), "%s", out);
    free(out);
    cr_expect_eq(cli_run(&out, "eval ../run --data ../proj/data/dev.txt"), 0, "%s", out);
    cr_expect_not_null(strstr(out, "ppl"), "%s", out);
    free(out);
    cr_expect_eq(cli_run(&out, "train --resume ../run --set train.max_steps=8"), 4);
    snprintf(want, sizeof want, "%s/proj/data/train.txt", cli_tmp);
    cr_expect_not_null(strstr(out, want), "names the recorded path: %s", out);
    cr_expect_not_null(strstr(out, "--set data.KEY=NEW_PATH"), "%s", out);
    free(out);
    /* Pointed at the new place (relative to here), the resume goes on. */
    cr_expect_eq(cli_run(&out, "train --resume ../run --set train.max_steps=8 "
                               "--set data.train=../moved.txt --quiet"),
                 0, "%s", out);
    free(out);
    cr_assert_eq(chdir(".."), 0);
    cfg = cli_read("run/config.ini");
    snprintf(want, sizeof want,
             "; as written: train = ../moved.txt\ntrain = %s/elsewhere/../moved.txt\n", cli_tmp);
    cr_expect_not_null(strstr(cfg, want), "%s", cfg);
    free(cfg);
    /* A folder that is no run says so. */
    cr_expect_eq(cli_run(&out, "sample elsewhere"), 4);
    cr_expect_not_null(strstr(out, "elsewhere: a run folder without best.safetensors or "
                                   "last.safetensors"),
                       "%s", out);
    free(out);
}

Test(cli, tag_takes_a_run_folder) {
    char *out;
    cr_assert_eq(cli_run(&out,
                         "train '%s/configs/pos_tagger.ini' --set train.max_steps=2 "
                         "--run-dir tagger --quiet",
                         getenv("RNNLAB_TEST_SOURCE_DIR")),
                 0, "%s", out);
    free(out);
    cr_assert_eq(mkdir("elsewhere", 0755), 0);
    cr_assert_eq(chdir("elsewhere"), 0);
    cli_write("in.txt", "They book a flight .\n");
    cr_expect_eq(cli_run(&out, "tag ../tagger/ < '%s/in.txt'", cli_tmp), 0, "%s", out);
    cr_expect_not_null(strstr(out, "They/"), "%s", out);
    free(out);
}

Test(cli, prime_outside_the_vocabulary_is_named) {
    FILE *f = fopen("corpus.txt", "w");
    for (int i = 0; i < 200; i++) fputs("the cat sat on the mat. ", f);
    fclose(f);
    cli_write("lm.ini", "[data]\nname = text\ntrain = corpus.txt\nbatch_size = 4\nbptt = 8\n"
                        "[tokenizer]\nname = char\n[model]\nhidden_size = 4\n"
                        "[train]\nmax_steps = 2\n");
    char *out;
    cr_assert_eq(cli_run(&out, "train lm.ini --run-dir r --quiet"), 0, "%s", out);
    free(out);
    cr_expect_eq(cli_run(&out, "sample r --prime 'the Zoë cat' --length 3"), 3);
    cr_expect_not_null(strstr(out, "--prime: 'Z', 'ë' are not in the model's vocabulary"), "%s",
                       out);
    free(out);
    cr_expect_eq(cli_run(&out, "sample r --prime 'the cat' --length 3"), 0, "%s", out);
    free(out);
}

/* ---- sweeps as long jobs ------------------------------------------------------------ */

static int files_equal(const char *a, const char *b) {
    char *x = cli_read(a), *y = cli_read(b);
    int same = x && y && strcmp(x, y) == 0;
    free(x);
    free(y);
    return same;
}

/* An interrupted run (no DONE, a checkpoint) continues from its checkpoint
 * when the sweep is started again, and ends as a run that never stopped;
 * every run's log.txt holds its log; runs/INDEX.md names each folder's
 * variant and seed; the progress lines count finished runs. */
Test(cli, sweep_resumes_interrupted_runs_and_indexes_them) {
    cli_write("base.ini", "%s", cli_tiny_base);
    cli_write("s.ini", "[sweep]\nbase = base.ini\nmodel.activation = tanh, relu\nseeds = 1..2\n");
    char *out, hashes[4][17];
    cr_assert_eq(cli_run(&out, "sweep s.ini --out a"), 0, "%s", out);
    cr_expect_not_null(strstr(out, "[4/4] "), "%s", out);
    free(out);
    cr_assert_eq(cli_run(&out, "sweep s.ini --out b --dry-run"), 0);
    cr_assert_eq(plan_hashes(out, hashes, 4), 4, "%s", out);
    free(out);
    /* Run 1 (tanh, seed 2) was started and stopped at its first step: a
     * run folder with a step-0 checkpoint and no DONE. */
    char dir[256], a[512], b[512];
    snprintf(dir, sizeof dir, "b/runs/%s", hashes[1]);
    cr_assert_eq(cli_run(&out,
                         "train base.ini --set model.activation=tanh --set train.seed=2 "
                         "--run-dir %s --init-only",
                         dir),
                 0, "%s", out);
    free(out);
    cr_assert_eq(cli_run(&out, "sweep s.ini --out b"), 0, "%s", out);
    snprintf(a, sizeof a, "%s resume", hashes[1]);
    cr_expect_not_null(strstr(out, a), "the interrupted run resumed: %s", out);
    cr_expect_not_null(strstr(out, "(4 run now)"), "%s", out);
    free(out);
    for (size_t i = 0; i < 4; i++) {
        const char *files[] = {"metrics.csv", "config.ini"};
        for (size_t k = 0; k < 2; k++) {
            snprintf(a, sizeof a, "a/runs/%s/%s", hashes[i], files[k]);
            snprintf(b, sizeof b, "b/runs/%s/%s", hashes[i], files[k]);
            cr_expect(files_equal(a, b), "%s equals %s", a, b);
        }
        snprintf(b, sizeof b, "b/runs/%s/log.txt", hashes[i]);
        char *log = cli_read(b);
        cr_expect(log && strstr(log, "epoch 2/2: train loss"), "%s holds the run's log: %s", b,
                  log ? log : "(none)");
        free(log);
    }
    char *index = cli_read("b/runs/INDEX.md");
    cr_assert_not_null(index);
    snprintf(a, sizeof a, "| [%s](%s/) | model.activation=relu | 2 | ok |", hashes[3], hashes[3]);
    cr_expect_not_null(strstr(index, a), "%s", index);
    free(index);
}
