/* verify.c -- see verify.h. */
#include "verify.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/checkpoint.h"
#include "core/fileio.h"
#include "core/sha256.h"
#include "core/train.h"

/* SHA-256 over the model tensors (name, dtype, shape, bytes) of a
 * checkpoint, leaving out the optimizer state ("optim.*"). */
static int params_hash(const char *path, char out[65], rnnlab_err *err) {
    ckpt *c;
    int rc = ckpt_read(&c, path, err);
    if (rc != RNNLAB_OK) return rc;
    sha256_ctx h;
    sha256_init(&h);
    for (size_t i = 0; i < ckpt_count(c); i++) {
        const ckpt_tensor *t = ckpt_at(c, i);
        if (strncmp(t->name, "optim.", 6) == 0) continue;
        size_t n = ckpt_dtype_size(t->dtype);
        uint64_t dims[CKPT_MAX_DIMS + 2] = {(uint64_t)t->dtype, (uint64_t)t->ndim};
        for (size_t d = 0; d < t->ndim; d++) {
            n *= t->shape[d];
            dims[d + 2] = t->shape[d];
        }
        sha256_update(&h, t->name, strlen(t->name) + 1);
        sha256_update(&h, dims, sizeof dims);
        sha256_update(&h, t->data, n);
    }
    ckpt_free(c);
    uint8_t d[32];
    sha256_final(&h, d);
    for (int i = 0; i < 32; i++) snprintf(out + 2 * i, 3, "%02x", d[i]);
    return RNNLAB_OK;
}

typedef struct run_hashes {
    char params[65], file[65], metrics[65];
} run_hashes;

static int hash_run(const char *dir, run_hashes *h, rnnlab_err *err) {
    char *ck = path_join(dir, "last.safetensors"), *me = path_join(dir, "metrics.csv");
    int rc = ck && me ? params_hash(ck, h->params, err)
                      : err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    if (rc == RNNLAB_OK) rc = sha256_file_hex(ck, h->file, err);
    if (rc == RNNLAB_OK) rc = sha256_file_hex(me, h->metrics, err);
    free(ck);
    free(me);
    return rc;
}

static int check_finished(const char *run, rnnlab_err *err) {
    char *path = path_join(run, "meta.json"), *text = NULL;
    size_t len;
    int rc = path ? file_read_all(path, &text, &len, err)
                  : err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    if (rc == RNNLAB_OK) {
        cJSON *root = cJSON_Parse(text);
        const cJSON *st = root ? cJSON_GetObjectItemCaseSensitive(root, "status") : NULL;
        if (!cJSON_IsString(st))
            rc = err_set(err, RNNLAB_ERR_FORMAT, "%s: no \"status\" string", path);
        else if (strcmp(st->valuestring, "ok") != 0)
            rc = err_set(err, RNNLAB_ERR_INVALID,
                         "%s: status is '%s'; verify needs a run that finished with 'ok'", path,
                         st->valuestring);
        cJSON_Delete(root);
    }
    free(text);
    free(path);
    return rc;
}

static void print_hash_line(FILE *out, const char *what, const char *a, const char *b, int info) {
    if (!out) return;
    fprintf(out, "%-8s recorded %s\n         re-run   %s  %s\n", what, a, b,
            strcmp(a, b) == 0 ? "OK"
            : info            ? "differs (info only)"
                              : "MISMATCH");
}

int verify_run(const char *run, const char *plugin_path, FILE *out, int *same, rnnlab_err *err) {
    *same = 0;
    run_hashes a, b;
    char *cfg_path = path_join(run, "config.ini"), *cfg = NULL;
    size_t len;
    int rc = cfg_path ? check_finished(run, err) : err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    if (rc == RNNLAB_OK) rc = hash_run(run, &a, err);
    if (rc == RNNLAB_OK) rc = file_read_all(cfg_path, &cfg, &len, err);
    const char *tmp = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/rnnlab-verify-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    char *tdir = rc == RNNLAB_OK ? mkdtemp(tmpl) : NULL;
    if (rc == RNNLAB_OK && !tdir)
        rc = err_set(err, RNNLAB_ERR_IO, "%s: cannot create a temporary folder: %s", tmpl,
                     strerror(errno));
    char *rerun = tdir ? path_join(tdir, "run") : NULL;
    if (rc == RNNLAB_OK && !rerun) rc = err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    if (rc == RNNLAB_OK) {
        /* The recorded config, read the way `train --resume` reads it: its
         * paths are already resolved relative to where the run was started. */
        session_args sa;
        memset(&sa, 0, sizeof sa);
        sa.config_path = cfg_path;
        sa.config_text = cfg;
        sa.config_dir = ".";
        sa.plugin_path = plugin_path;
        train_args ta;
        memset(&ta, 0, sizeof ta);
        ta.run_dir = rerun;
        rc = train_run(&sa, &ta, NULL, err);
        if (rc != RNNLAB_OK) err_prefix(err, "re-running %s: ", cfg_path);
    }
    if (rc == RNNLAB_OK) rc = hash_run(rerun, &b, err);
    if (rc == RNNLAB_OK) {
        print_hash_line(out, "params", a.params, b.params, 0);
        print_hash_line(out, "metrics", a.metrics, b.metrics, 0);
        print_hash_line(out, "file", a.file, b.file, 1);
        *same = strcmp(a.params, b.params) == 0 && strcmp(a.metrics, b.metrics) == 0;
    }
    if (tdir) remove_tree(tdir);
    free(rerun);
    free(cfg);
    free(cfg_path);
    return rc;
}
