/* test_config.c -- INI parsing, --set, schema validation, output. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/fileio.h"
#include "core/suggest.h"

#define assert_has(msg, sub) \
    cr_assert(strstr((msg), (sub)) != NULL, "message \"%s\" lacks \"%s\"", (msg), (sub))

static const char *const act_choices[] = {"tanh", "relu", "sigmoid", NULL};

/* A [model]-like schema covering every type and flag. */
static const rnnlab_param schema_model[] = {
    {"hidden_size", RNNLAB_PARAM_INT, "32", 1, 65536, NULL, 0, "units"},
    {"lr", RNNLAB_PARAM_REAL, "0.1", 0, 10, NULL, RNNLAB_PARAM_LOG_SCALE, "step"},
    {"bias", RNNLAB_PARAM_BOOL, "true", 0, 0, NULL, 0, "use bias"},
    {"activation", RNNLAB_PARAM_ENUM, "tanh", 0, 0, act_choices, 0, "nonlinearity"},
    {"seed", RNNLAB_PARAM_INT, "7", 1, 0, NULL, 0, "unbounded"},
    {"scale", RNNLAB_PARAM_REAL, "1", 1, 0, NULL, 0, "unbounded"},
    {"note", RNNLAB_PARAM_STRING, "none", 0, 0, NULL, 0, "free text"},
    {NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};
enum { M_HIDDEN, M_LR, M_BIAS, M_ACT, M_SEED, M_SCALE, M_NOTE, M_COUNT };

static const rnnlab_param schema_data[] = {
    {"train", RNNLAB_PARAM_STRING, NULL, 0, 0, NULL, RNNLAB_PARAM_REQUIRED | RNNLAB_PARAM_PATH,
     "training text"},
    {"valid", RNNLAB_PARAM_STRING, "valid.txt", 0, 0, NULL, RNNLAB_PARAM_PATH, "held-out text"},
    {NULL, 0, NULL, 0, 0, NULL, 0, NULL},
};

static config *parse_ok(const char *text) {
    config *c = NULL;
    rnnlab_err err;
    err_clear(&err);
    int rc = config_load_string(&c, text, "configs/x.ini", "configs", &err);
    cr_assert_eq(rc, RNNLAB_OK, "parse failed: %s", err.msg);
    cr_assert_not_null(c);
    return c;
}

/* Parses text expecting failure with `code`; returns the message. */
static void parse_fail(const char *text, int code, rnnlab_err *err) {
    config *c = (config *)1;
    err_clear(err);
    int rc = config_load_string(&c, text, "configs/x.ini", "configs", err);
    cr_assert_eq(rc, code, "rc %d, expected %d (%s)", rc, code, err->msg);
    cr_assert_eq(err->code, code);
    cr_assert_null(c, "a failed parse must leave *out NULL");
}

/* Validates [model] of text, expecting failure; the message goes to err. */
static void model_fail(const char *text, rnnlab_err *err) {
    config *c = parse_ok(text);
    rnnlab_value v[M_COUNT];
    err_clear(err);
    int rc = config_validate_section(c, "model", schema_model, NULL, v, err);
    cr_assert_eq(rc, RNNLAB_ERR_INVALID, "rc %d: %s", rc, err->msg);
    cr_assert_eq(err->code, RNNLAB_ERR_INVALID);
    config_free(c);
}

static char *write_text(const char *text) {
    size_t len = strlen(text);
    const void *chunks[] = {text};
    char tmpl[] = "/tmp/rnnlab-config-XXXXXX";
    char *dir = mkdtemp(tmpl);
    cr_assert_not_null(dir);
    char *path = malloc(strlen(dir) + 16);
    sprintf(path, "%s/x.ini", dir);
    rnnlab_err err;
    cr_assert_eq(file_write_atomic(path, chunks, &len, 1, &err), RNNLAB_OK, "%s", err.msg);
    return path;
}

static void remove_file_and_dir(char *path) {
    unlink(path);
    *strrchr(path, '/') = '\0';
    rmdir(path);
    free(path);
}

static char *written(const config *c) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cr_assert_eq(config_write(c, f), RNNLAB_OK);
    fclose(f);
    return text;
}

/* ------------------------------------------------------------------------ */
/* Parsing                                                                   */
/* ------------------------------------------------------------------------ */

Test(config, good_file_values_and_lines) {
    config *c = parse_ok("; a comment\n"
                         "# another\n"
                         "[model]\n"
                         "hidden_size = 64\n"
                         "\n"
                         "lr=0.05   ; inline comment\n"
                         "[data]\n"
                         "train = corpus/train.txt\n"
                         "ratio: 0.5\n");
    cr_assert_eq(config_count(c), 4);
    const config_entry *e = config_find(c, "model", "hidden_size");
    cr_assert_not_null(e);
    cr_assert_str_eq(e->value, "64");
    cr_assert_eq(e->line, 4);
    cr_assert_str_eq(e->origin, "configs/x.ini");
    e = config_find(c, "model", "lr");
    cr_assert_str_eq(e->value, "0.05", "inline comment must be stripped");
    cr_assert_eq(e->line, 6);
    cr_assert_eq(config_find(c, "data", "train")->line, 8);
    cr_assert_str_eq(config_get(c, "data", "ratio", "?"), "0.5");
    cr_assert_str_eq(config_get(c, "data", "absent", "fb"), "fb");
    cr_assert_null(config_find(c, "model", "train"));
    cr_assert_str_eq(config_at(c, 0)->key, "hidden_size");
    cr_assert_str_eq(config_at(c, 3)->key, "ratio");
    cr_assert_null(config_at(c, 4));
    cr_assert_str_eq(config_dir(c), "configs");
    char buf[128];
    cr_assert_str_eq(config_where(config_find(c, "data", "train"), buf, sizeof buf),
                     "configs/x.ini:8");
    config_free(c);
}

Test(config, crlf_and_no_final_newline) {
    config *c = parse_ok("[model]\r\nhidden_size = 8\r\nlr = 0.5");
    cr_assert_str_eq(config_get(c, "model", "hidden_size", ""), "8");
    cr_assert_str_eq(config_get(c, "model", "lr", ""), "0.5");
    cr_assert_eq(config_find(c, "model", "lr")->line, 3);
    config_free(c);
}

Test(config, long_line_is_an_error_with_its_line) {
    char text[600];
    int n = snprintf(text, sizeof text, "[model]\nhidden_size = 4\nnote = ");
    memset(text + n, 'x', 300);
    strcpy(text + n + 300, "\nlr = 0.1\n");
    rnnlab_err err;
    parse_fail(text, RNNLAB_ERR_FORMAT, &err);
    assert_has(err.msg, "configs/x.ini:3: line is longer than 198 characters");
}

Test(config, longest_line_that_fits) {
    /* 198 characters is the most inih's 200-byte buffer holds with '\n'. */
    char text[400];
    int n = snprintf(text, sizeof text, "[model]\nnote = ");
    int fill = 198 - (int)strlen("note = ");
    memset(text + n, 'y', (size_t)fill);
    strcpy(text + n + fill, "\nlr = 0.1\n");
    config *c = parse_ok(text);
    cr_assert_eq(strlen(config_get(c, "model", "note", "")), (size_t)fill);
    cr_assert_eq(config_find(c, "model", "lr")->line, 3, "no silent split into extra lines");
    config_free(c);

    text[n + fill] = 'y'; /* now 199 characters */
    strcpy(text + n + fill + 1, "\n");
    rnnlab_err err;
    parse_fail(text, RNNLAB_ERR_FORMAT, &err);
    assert_has(err.msg, "configs/x.ini:2: line is longer than 198 characters");
}

Test(config, long_section_name_is_an_error) {
    rnnlab_err err;
    char text[200];
    snprintf(text, sizeof text, "[model]\na = 1\n[%0*d]\nb = 2\n", 50, 0);
    parse_fail(text, RNNLAB_ERR_FORMAT, &err);
    assert_has(err.msg, "configs/x.ini:3: section name is longer than 49 characters");
    snprintf(text, sizeof text, "[%0*d]\nb = 2\n", 49, 0);
    config *c = parse_ok(text);
    cr_assert_eq(strlen(config_at(c, 0)->section), 49);
    config_free(c);
}

Test(config, syntax_errors) {
    rnnlab_err err;
    parse_fail("[model]\nhidden_size = 4\njust words\n", RNNLAB_ERR_FORMAT, &err);
    assert_has(err.msg, "configs/x.ini:3: syntax error: expected 'key = value' or '[section]'");
    parse_fail("[model]\n\n[data\ntrain = x\n", RNNLAB_ERR_FORMAT, &err);
    assert_has(err.msg, "configs/x.ini:3: syntax error");
    parse_fail("[model]\n= 4\n", RNNLAB_ERR_FORMAT, &err);
    assert_has(err.msg, "configs/x.ini:2: syntax error");
    parse_fail("hidden_size = 4\n[model]\n", RNNLAB_ERR_FORMAT, &err);
    assert_has(err.msg, "configs/x.ini:1: key 'hidden_size' comes before any [section]");
}

Test(config, first_error_wins) {
    rnnlab_err err;
    /* A syntax error (line 2) before a duplicate (line 4). */
    parse_fail("[m]\noops\na = 1\na = 2\n", RNNLAB_ERR_FORMAT, &err);
    assert_has(err.msg, "configs/x.ini:2: syntax error");
    /* A duplicate (line 3) before a syntax error (line 4). */
    parse_fail("[m]\na = 1\na = 2\noops\n", RNNLAB_ERR_INVALID, &err);
    assert_has(err.msg, "configs/x.ini:3: duplicate key 'a'");
}

/* Indentation is ignored, so inih's multi-line continuation never applies:
 * an indented key is a key, an indented bare line is a syntax error. */
Test(config, indented_lines_are_not_continuations) {
    config *c = parse_ok("[model]\n  hidden_size = 4\n\tlr = 0.5\n");
    cr_assert_str_eq(config_get(c, "model", "hidden_size", ""), "4");
    cr_assert_str_eq(config_get(c, "model", "lr", ""), "0.5");
    cr_assert_eq(config_find(c, "model", "lr")->line, 3);
    config_free(c);

    rnnlab_err err;
    parse_fail("[model]\nnote = first\n   second part\n", RNNLAB_ERR_FORMAT, &err);
    assert_has(err.msg, "configs/x.ini:3: syntax error: expected 'key = value' or '[section]'");
}

Test(config, duplicate_key_names_both_lines) {
    rnnlab_err err;
    parse_fail("[model]\nhidden_size = 4\nlr = 1\nhidden_size = 8\n", RNNLAB_ERR_INVALID, &err);
    assert_has(err.msg, "configs/x.ini:4: duplicate key 'hidden_size' in [model]");
    assert_has(err.msg, "line 2");
    /* The same key in two sections, or a section reopened, is fine. */
    config *c = parse_ok("[a]\nk = 1\n[b]\nk = 2\n[a]\nj = 3\n");
    cr_assert_eq(config_count(c), 3);
    config_free(c);
}

Test(config, missing_file) {
    config *c = (config *)1;
    rnnlab_err err;
    int rc = config_load(&c, "/nonexistent/rnnlab/x.ini", &err);
    cr_assert_eq(rc, RNNLAB_ERR_IO);
    cr_assert_null(c);
    assert_has(err.msg, "/nonexistent/rnnlab/x.ini: cannot open: ");
    assert_has(err.msg, strerror(ENOENT));
}

Test(config, load_file_sets_dir_and_origin) {
    char *path = write_text("[model]\nhidden_size = 12\n");
    config *c = NULL;
    rnnlab_err err;
    cr_assert_eq(config_load(&c, path, &err), RNNLAB_OK, "%s", err.msg);
    const config_entry *e = config_find(c, "model", "hidden_size");
    cr_assert_str_eq(e->origin, path);
    cr_assert_eq(e->line, 2);
    cr_assert_str_eq(config_name(c), path);
    char dir[256];
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = '\0';
    cr_assert_str_eq(config_dir(c), dir);
    config_free(c);
    remove_file_and_dir(path);
}

/* ------------------------------------------------------------------------ */
/* --set                                                                     */
/* ------------------------------------------------------------------------ */

Test(config, set_overrides_and_appends) {
    config *c = parse_ok("[model]\nhidden_size = 4\nlr = 0.1\n");
    rnnlab_err err;
    cr_assert_eq(config_apply_set(c, "model.hidden_size=128", &err), RNNLAB_OK, "%s", err.msg);
    cr_assert_eq(config_apply_set(c, " train.epochs = 3 ", &err), RNNLAB_OK, "%s", err.msg);
    cr_assert_eq(config_apply_set(c, "data.train=a=b.txt", &err), RNNLAB_OK, "%s", err.msg);
    cr_assert_eq(config_count(c), 4);
    const config_entry *e = config_at(c, 0);
    cr_assert_str_eq(e->key, "hidden_size", "an override keeps its position");
    cr_assert_str_eq(e->value, "128");
    cr_assert_str_eq(e->origin, "--set");
    cr_assert_eq(e->line, 0);
    char buf[128];
    cr_assert_str_eq(config_where(e, buf, sizeof buf), "--set model.hidden_size");
    cr_assert_str_eq(config_get(c, "train", "epochs", ""), "3");
    cr_assert_str_eq(config_get(c, "data", "train", ""), "a=b.txt");
    cr_assert_str_eq(config_at(c, 2)->section, "train");
    config_free(c);
}

Test(config, bad_set_forms) {
    config *c = config_new(NULL);
    rnnlab_err err;
    const char *bad[] = {"hidden_size=4", "model.hidden_size", "model.=4", ".k=4", "", "a=b.c"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err_clear(&err);
        cr_assert_eq(config_apply_set(c, bad[i], &err), RNNLAB_ERR_INVALID, "'%s'", bad[i]);
        assert_has(err.msg, "expected the form --set section.key=value");
    }
    cr_assert_eq(config_count(c), 0);
    config_free(c);
}

Test(config, put_replaces_and_appends) {
    config *c = config_new("dir");
    cr_assert_str_eq(config_dir(c), "dir");
    cr_assert_eq(config_put(c, "s", "a", "1", "here.ini", 5), RNNLAB_OK);
    cr_assert_eq(config_put(c, "s", "b", "2", "default", 0), RNNLAB_OK);
    cr_assert_eq(config_put(c, "s", "a", "3", "--set", 0), RNNLAB_OK);
    cr_assert_eq(config_count(c), 2);
    cr_assert_str_eq(config_at(c, 0)->value, "3");
    char buf[64];
    cr_assert_str_eq(config_where(config_at(c, 1), buf, sizeof buf), "default");
    config_free(c);
}

/* ------------------------------------------------------------------------ */
/* Validation                                                                */
/* ------------------------------------------------------------------------ */

Test(config, validate_fills_values) {
    config *c = parse_ok("[model]\nhidden_size = 64\nlr = 2.5e-2\nbias = off\n"
                         "activation = relu\nseed = -5\nscale = -1e300\nnote = hello world\n");
    rnnlab_value v[M_COUNT];
    rnnlab_err err;
    cr_assert_eq(config_validate_section(c, "model", schema_model, NULL, v, &err), RNNLAB_OK, "%s",
                 err.msg);
    cr_assert_eq(v[M_HIDDEN].i, 64);
    cr_assert_float_eq(v[M_LR].r, 0.025, 1e-15);
    cr_assert_eq(v[M_BIAS].i, 0);
    cr_assert_eq(v[M_ACT].i, 1);
    cr_assert_str_eq(v[M_ACT].s, "relu");
    cr_assert_eq(v[M_SEED].i, -5);
    cr_assert_float_eq(v[M_SCALE].r, -1e300, 1e285);
    cr_assert_str_eq(v[M_NOTE].s, "hello world");
    config_free(c);
}

Test(config, bool_spellings) {
    const char *truthy[] = {"true", "YES", "on", "1"}, *falsy[] = {"false", "No", "OFF", "0"};
    for (int t = 0; t < 2; t++) {
        for (size_t k = 0; k < 4; k++) {
            rnnlab_value v;
            rnnlab_err err;
            const char *text = t ? truthy[k] : falsy[k];
            cr_assert_eq(config_parse_value(&schema_model[M_BIAS], text, "here", "model", &v, &err),
                         RNNLAB_OK, "%s", text);
            cr_assert_eq(v.i, t, "%s", text);
        }
    }
}

Test(config, unknown_key_suggests_with_its_line) {
    rnnlab_err err;
    model_fail("[model]\nlr = 0.1\nhiden_size = 4\n", &err);
    cr_assert_str_eq(err.msg, "configs/x.ini:3: unknown key 'hiden_size' in [model]; did you mean "
                              "'hidden_size'?");
}

Test(config, unknown_key_far_off_lists_keys) {
    rnnlab_err err;
    model_fail("[model]\nwibble = 4\n", &err);
    assert_has(err.msg, "configs/x.ini:2: unknown key 'wibble' in [model]");
    cr_assert_null(strstr(err.msg, "did you mean"), "%s", err.msg);
    assert_has(err.msg, "hidden_size, lr, bias, activation, seed, scale, note");
}

Test(config, unknown_key_from_set_and_skip) {
    config *c = parse_ok("[model]\nname = elman\nhidden_size = 4\n");
    rnnlab_err err;
    cr_assert_eq(config_apply_set(c, "model.lrr=0.1", &err), RNNLAB_OK);
    rnnlab_value v[M_COUNT];
    const char *const skip[] = {"name", NULL};
    cr_assert_eq(config_validate_section(c, "model", schema_model, skip, v, &err),
                 RNNLAB_ERR_INVALID);
    cr_assert_str_eq(err.msg, "--set model.lrr: unknown key 'lrr' in [model]; did you mean 'lr'?");
    config_free(c);

    /* Without the skip list, "name" is unknown. */
    c = parse_ok("[model]\nname = elman\n");
    cr_assert_eq(config_validate_section(c, "model", schema_model, NULL, v, &err),
                 RNNLAB_ERR_INVALID);
    assert_has(err.msg, "configs/x.ini:2: unknown key 'name' in [model]");
    config_free(c);

    /* A section with no schema takes no keys. */
    c = parse_ok("[activation]\nslope = 2\n");
    cr_assert_eq(config_validate_section(c, "activation", NULL, NULL, v, &err), RNNLAB_ERR_INVALID);
    assert_has(err.msg,
               "configs/x.ini:2: unknown key 'slope' in [activation]; this section takes no keys");
    config_free(c);
}

Test(config, int_errors) {
    rnnlab_err err;
    model_fail("[model]\nhidden_size = abc\n", &err);
    cr_assert_str_eq(err.msg, "configs/x.ini:2: [model] hidden_size = 'abc': expected an integer "
                              "in [1, 65536]");
    model_fail("[model]\nhidden_size = 12x\n", &err);
    assert_has(err.msg, "hidden_size = '12x': expected an integer in [1, 65536]");
    model_fail("[model]\nhidden_size = 1.5\n", &err);
    assert_has(err.msg, "expected an integer in [1, 65536]");
    model_fail("[model]\nhidden_size = 99999999999999999999\n", &err);
    assert_has(err.msg, "expected an integer in [1, 65536]");
    model_fail("[model]\nseed = \n", &err);
    assert_has(err.msg, "configs/x.ini:2: [model] seed = '': expected an integer");
    model_fail("[model]\nseed = 3.0\n", &err);
    cr_assert_str_eq(err.msg, "configs/x.ini:2: [model] seed = '3.0': expected an integer");
}

Test(config, range_errors) {
    rnnlab_err err;
    model_fail("[model]\nhidden_size = 0\n", &err);
    cr_assert_str_eq(err.msg, "configs/x.ini:2: [model] hidden_size = '0': expected an integer "
                              "in [1, 65536]");
    model_fail("[model]\nhidden_size = 65537\n", &err);
    assert_has(err.msg, "hidden_size = '65537': expected an integer in [1, 65536]");
    model_fail("[model]\nlr = 10.5\n", &err);
    cr_assert_str_eq(err.msg,
                     "configs/x.ini:2: [model] lr = '10.5': expected a real number in [0, 10]");
    model_fail("[model]\nlr = -1e-9\n", &err);
    assert_has(err.msg, "expected a real number in [0, 10]");

    /* Bounds themselves are accepted. */
    config *c = parse_ok("[model]\nhidden_size = 65536\nlr = 0\n");
    rnnlab_value v[M_COUNT];
    cr_assert_eq(config_validate_section(c, "model", schema_model, NULL, v, &err), RNNLAB_OK, "%s",
                 err.msg);
    config_free(c);
}

Test(config, real_errors) {
    rnnlab_err err;
    model_fail("[model]\nlr = fast\n", &err);
    cr_assert_str_eq(err.msg,
                     "configs/x.ini:2: [model] lr = 'fast': expected a real number in [0, 10]");
    model_fail("[model]\nscale = inf\n", &err);
    cr_assert_str_eq(err.msg, "configs/x.ini:2: [model] scale = 'inf': expected a real number");
    model_fail("[model]\nscale = nan\n", &err);
    assert_has(err.msg, "expected a real number");
    model_fail("[model]\nscale = 1e999\n", &err);
    assert_has(err.msg, "scale = '1e999': expected a real number");
    model_fail("[model]\nscale = 0.5.1\n", &err);
    assert_has(err.msg, "scale = '0.5.1': expected a real number");

    /* A fractional bound prints in its shortest exact form. */
    const rnnlab_param p = {"decay", RNNLAB_PARAM_REAL, "0.5", 0.1, 0.999, NULL, 0, "d"};
    rnnlab_value v;
    cr_assert_eq(config_parse_value(&p, "2", "here", "train", &v, &err), RNNLAB_ERR_INVALID);
    cr_assert_str_eq(err.msg, "here: [train] decay = '2': expected a real number in [0.1, 0.999]");
}

Test(config, bool_and_enum_errors) {
    rnnlab_err err;
    model_fail("[model]\nbias = maybe\n", &err);
    cr_assert_str_eq(err.msg, "configs/x.ini:2: [model] bias = 'maybe': expected true or false "
                              "(also yes/no/on/off/1/0)");
    model_fail("[model]\nactivation = gelu\n", &err);
    cr_assert_str_eq(err.msg, "configs/x.ini:2: [model] activation = 'gelu': expected one of: "
                              "tanh, relu, sigmoid");
    model_fail("[model]\nactivation = Tanh\n", &err);
    assert_has(err.msg, "expected one of: tanh, relu, sigmoid");
}

Test(config, value_error_from_set_names_the_set) {
    config *c = parse_ok("[model]\nhidden_size = 4\n");
    rnnlab_err err;
    cr_assert_eq(config_apply_set(c, "model.hidden_size=abc", &err), RNNLAB_OK);
    rnnlab_value v[M_COUNT];
    cr_assert_eq(config_validate_section(c, "model", schema_model, NULL, v, &err),
                 RNNLAB_ERR_INVALID);
    cr_assert_str_eq(err.msg, "--set model.hidden_size: [model] hidden_size = 'abc': expected an "
                              "integer in [1, 65536]");
    config_free(c);
}

Test(config, missing_required) {
    config *c = parse_ok("[data]\nvalid = v.txt\n");
    rnnlab_value v[2];
    rnnlab_err err;
    cr_assert_eq(config_validate_section(c, "data", schema_data, NULL, v, &err),
                 RNNLAB_ERR_INVALID);
    cr_assert_str_eq(err.msg, "configs/x.ini: [data] missing required key 'train'");
    cr_assert_eq(config_count(c), 1, "a failed validation adds no defaults");
    config_free(c);
}

Test(config, defaults_filled_and_written) {
    config *c = parse_ok("[model]\nlr = 0.5\n\n[data]\ntrain = t.txt\n");
    rnnlab_value v[M_COUNT];
    rnnlab_err err;
    cr_assert_eq(config_validate_section(c, "model", schema_model, NULL, v, &err), RNNLAB_OK, "%s",
                 err.msg);
    cr_assert_eq(v[M_HIDDEN].i, 32);
    cr_assert_eq(v[M_BIAS].i, 1);
    cr_assert_eq(v[M_ACT].i, 0);
    cr_assert_str_eq(v[M_ACT].s, "tanh");
    cr_assert_str_eq(v[M_NOTE].s, "none");
    const config_entry *e = config_find(c, "model", "hidden_size");
    cr_assert_not_null(e);
    cr_assert_str_eq(e->origin, "default");
    cr_assert_eq(v[M_NOTE].s, config_get(c, "model", "note", NULL), "strings point into config");

    char *text = written(c);
    cr_assert_str_eq(text, "[model]\n"
                           "lr = 0.5\n"
                           "hidden_size = 32\n"
                           "bias = true\n"
                           "activation = tanh\n"
                           "seed = 7\n"
                           "scale = 1\n"
                           "note = none\n"
                           "\n"
                           "[data]\n"
                           "train = t.txt\n");
    free(text);
    config_free(c);
}

Test(config, bad_default_is_reported) {
    const rnnlab_param bad[] = {
        {"units", RNNLAB_PARAM_INT, "many", 1, 10, NULL, 0, "u"},
        {NULL, 0, NULL, 0, 0, NULL, 0, NULL},
    };
    config *c = config_new(NULL);
    rnnlab_value v[1];
    rnnlab_err err;
    cr_assert_eq(config_validate_section(c, "model", bad, NULL, v, &err), RNNLAB_ERR_INVALID);
    cr_assert_str_eq(err.msg, "default: [model] units = 'many': expected an integer in [1, 10]");
    config_free(c);
}

Test(config, values_survive_override) {
    config *c = parse_ok("[model]\nnote = first\n");
    rnnlab_value v[M_COUNT];
    rnnlab_err err;
    cr_assert_eq(config_validate_section(c, "model", schema_model, NULL, v, &err), RNNLAB_OK);
    const char *old = v[M_NOTE].s;
    cr_assert_eq(config_apply_set(c, "model.note=second", &err), RNNLAB_OK);
    cr_assert_str_eq(old, "first", "an earlier value stays valid until config_free");
    cr_assert_eq(config_validate_section(c, "model", schema_model, NULL, v, &err), RNNLAB_OK);
    cr_assert_str_eq(v[M_NOTE].s, "second");
    config_free(c);
}

Test(config, path_resolution) {
    char cwd[4096], want[8192];
    cr_assert_not_null(getcwd(cwd, sizeof cwd));
    config *c = parse_ok("[data]\ntrain = corpus/./train.txt\n");
    rnnlab_value v[2];
    rnnlab_err err;
    cr_assert_eq(config_validate_section(c, "data", schema_data, NULL, v, &err), RNNLAB_OK, "%s",
                 err.msg);
    snprintf(want, sizeof want, "%s/configs/corpus/train.txt", cwd);
    cr_assert_str_eq(v[0].s, want, "absolute, relative to the config's folder");
    cr_assert_str_eq(config_get(c, "data", "train", ""), want,
                     "the resolved config records the path absolute");
    cr_assert_str_eq(config_find(c, "data", "train")->written, "corpus/./train.txt",
                     "and the text as written");
    snprintf(want, sizeof want, "%s/configs/valid.txt", cwd);
    cr_assert_str_eq(v[1].s, want, "a default path is relative to the config too");
    cr_assert_null(config_find(c, "data", "valid")->written, "a default was not written");
    /* Validating again (config show, then train) must not resolve twice. */
    cr_assert_eq(config_validate_section(c, "data", schema_data, NULL, v, &err), RNNLAB_OK);
    snprintf(want, sizeof want, "%s/configs/corpus/train.txt", cwd);
    cr_assert_str_eq(v[0].s, want);
    /* The written form survives config_write and parsing back. */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    config_write(c, f);
    fclose(f);
    snprintf(want, sizeof want,
             "; as written: train = corpus/./train.txt\ntrain = %s/configs/corpus/train.txt\n",
             cwd);
    cr_assert_not_null(strstr(text, want), "%s", text);
    config *back = NULL;
    cr_assert_eq(config_load_string(&back, text, "ckpt", ".", &err), RNNLAB_OK, "%s", err.msg);
    cr_assert_str_eq(config_find(back, "data", "train")->written, "corpus/./train.txt");
    cr_assert_eq(config_validate_section(back, "data", schema_data, NULL, v, &err), RNNLAB_OK);
    char *again = NULL;
    f = open_memstream(&again, &len);
    config_write(back, f);
    fclose(f);
    cr_assert_str_eq(again, text, "a recorded config reads back and writes the same");
    free(text);
    free(again);
    config_free(back);
    config_free(c);

    c = parse_ok("[data]\ntrain = /abs/train.txt\n");
    cr_assert_eq(config_apply_set(c, "data.valid=here/valid.txt", &err), RNNLAB_OK);
    cr_assert_eq(config_validate_section(c, "data", schema_data, NULL, v, &err), RNNLAB_OK);
    cr_assert_str_eq(v[0].s, "/abs/train.txt");
    cr_assert_null(config_find(c, "data", "train")->written, "nothing rewritten");
    snprintf(want, sizeof want, "%s/here/valid.txt", cwd);
    cr_assert_str_eq(v[1].s, want, "--set paths are relative to the current folder");
    config_free(c);

    /* A config without a folder: relative to the current folder. */
    c = NULL;
    cr_assert_eq(config_load_string(&c, "[data]\ntrain = t.txt\n", "x.ini", NULL, &err), RNNLAB_OK);
    cr_assert_eq(config_validate_section(c, "data", schema_data, NULL, v, &err), RNNLAB_OK);
    snprintf(want, sizeof want, "%s/t.txt", cwd);
    cr_assert_str_eq(v[0].s, want);
    config_free(c);
}

Test(config, path_absolute) {
    char cwd[4096], want[8192];
    cr_assert_not_null(getcwd(cwd, sizeof cwd));
    struct {
        const char *dir, *path, *want;
    } cases[] = {
        {"", "/a//b/./c", "/a/b/c"}, {"/x", "y/z", "/x/y/z"}, {"/x/", "./y", "/x/y"},
        {"/x", "../y", "/x/../y"},   {"/", ".", "/"},         {NULL, "/abs", "/abs"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *p = path_absolute(cases[i].dir, cases[i].path);
        cr_assert_str_eq(p, cases[i].want, "%s + %s", cases[i].dir, cases[i].path);
        free(p);
    }
    char *p = path_absolute("rel", "f.txt");
    snprintf(want, sizeof want, "%s/rel/f.txt", cwd);
    cr_assert_str_eq(p, want);
    free(p);
}

Test(config, check_sections) {
    const char *const known[] = {"model", "data", "train", NULL};
    config *c = parse_ok("[model]\nhidden_size = 4\n\n[modle]\nlr = 1\n");
    rnnlab_err err;
    cr_assert_eq(config_check_sections(c, known, &err), RNNLAB_ERR_INVALID);
    cr_assert_str_eq(err.msg, "configs/x.ini:4: unknown section [modle]; did you mean [model]?");
    config_free(c);

    c = parse_ok("[model]\nhidden_size = 4\n[zzzzzzzzzz]\nlr = 1\n");
    cr_assert_eq(config_check_sections(c, known, &err), RNNLAB_ERR_INVALID);
    cr_assert_str_eq(err.msg, "configs/x.ini:3: unknown section [zzzzzzzzzz]; known sections: "
                              "[model], [data], [train]");
    config_free(c);

    c = parse_ok("[model]\nhidden_size = 4\n");
    cr_assert_eq(config_check_sections(c, known, &err), RNNLAB_OK);
    cr_assert_eq(config_apply_set(c, "trian.epochs=2", &err), RNNLAB_OK);
    cr_assert_eq(config_check_sections(c, known, &err), RNNLAB_ERR_INVALID);
    cr_assert_str_eq(err.msg, "--set trian.epochs: unknown section [trian]; did you mean [train]?");
    config_free(c);
}

Test(config, suggest_distance_osa) {
    cr_assert_eq(suggest_distance("", ""), 0);
    cr_assert_eq(suggest_distance("abc", ""), 3);
    cr_assert_eq(suggest_distance("", "ab"), 2);
    cr_assert_eq(suggest_distance("kitten", "sitting"), 3);
    cr_assert_eq(suggest_distance("hiden_size", "hidden_size"), 1);
    cr_assert_eq(suggest_distance("flaw", "lawn"), 2);
    cr_assert_eq(suggest_distance("same", "same"), 0);
    cr_assert_eq(suggest_distance("trian", "train"), 1); /* a transposition is one edit */
    const char *names[] = {"train", "sweep", NULL, "tag"};
    cr_assert_str_eq(suggest_closest("trian", names, 4), "train");
    cr_assert_null(suggest_closest("frobnicate", names, 4));
    cr_assert_null(suggest_closest("x", names, 4)); /* as many edits as letters */
}

Test(config, save_round_trip) {
    config *c = parse_ok("[model]\nhidden_size = 4  ; small\n[data]\ntrain = t.txt\n");
    rnnlab_err err;
    cr_assert_eq(config_apply_set(c, "model.lr=0.25", &err), RNNLAB_OK);
    cr_assert_eq(config_apply_set(c, "train.epochs=3", &err), RNNLAB_OK);
    char *path = write_text("old contents\n");
    cr_assert_eq(config_save(c, path, &err), RNNLAB_OK, "%s", err.msg);

    config *back = NULL;
    cr_assert_eq(config_load(&back, path, &err), RNNLAB_OK, "%s", err.msg);
    cr_assert_eq(config_count(back), config_count(c));
    /* The written file groups keys by section, so compare by name. */
    for (size_t i = 0; i < config_count(c); i++) {
        const config_entry *a = config_at(c, i);
        const config_entry *b = config_find(back, a->section, a->key);
        cr_assert_not_null(b, "[%s] %s lost", a->section, a->key);
        cr_assert_str_eq(a->value, b->value);
        cr_assert_str_eq(b->origin, path);
    }
    cr_assert_str_eq(config_at(back, 1)->key, "lr", "lr is written with its section");
    cr_assert_eq(config_find(back, "train", "epochs")->line, 9);
    char *t1 = written(c), *t2 = written(back);
    cr_assert_str_eq(t1, t2);
    free(t1);
    free(t2);
    config_free(back);
    config_free(c);
    remove_file_and_dir(path);
}

Test(config, save_failure_keeps_old_file) {
    config *c = parse_ok("[model]\nhidden_size = 4\n");
    rnnlab_err err;
    cr_assert_eq(config_save(c, "/nonexistent/rnnlab/x.ini", &err), RNNLAB_ERR_IO);
    assert_has(err.msg, "/nonexistent/rnnlab/x.ini");
    config_free(c);
}

Test(config, several_configs_at_once) {
    config *a = parse_ok("[model]\nhidden_size = 1\n");
    config *b = parse_ok("[model]\nhidden_size = 2\n");
    rnnlab_err err;
    cr_assert_eq(config_apply_set(a, "model.hidden_size=3", &err), RNNLAB_OK);
    cr_assert_str_eq(config_get(a, "model", "hidden_size", ""), "3");
    cr_assert_str_eq(config_get(b, "model", "hidden_size", ""), "2");
    config_free(a);
    config_free(b);
}
