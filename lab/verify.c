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

/* Reads RUN/meta.json into *meta (cJSON_Delete it). */
static int read_meta(const char *run, cJSON **meta, rnnlab_err *err) {
    *meta = NULL;
    char *path = path_join(run, "meta.json"), *text = NULL;
    size_t len;
    int rc = path ? file_read_all(path, &text, &len, err)
                  : err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    if (rc == RNNLAB_OK) {
        *meta = cJSON_Parse(text);
        if (!*meta) rc = err_set(err, RNNLAB_ERR_FORMAT, "%s: not valid JSON", path);
    }
    free(text);
    free(path);
    return rc;
}

static int check_finished(const char *run, const cJSON *meta, rnnlab_err *err) {
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(meta, "status");
    if (!cJSON_IsString(st))
        return err_set(err, RNNLAB_ERR_FORMAT, "%s/meta.json: no \"status\" string", run);
    if (strcmp(st->valuestring, "ok") != 0)
        return err_set(err, RNNLAB_ERR_INVALID,
                       "%s/meta.json: status is '%s'; verify needs a run that finished with 'ok'",
                       run, st->valuestring);
    return RNNLAB_OK;
}

/* ---- the machine record ------------------------------------------------------ */

/* meta.json fields that describe how a run's arithmetic was done, and
 * whether a portable-mode run's bits can depend on them (machine-mode bits
 * depend on all). */
typedef struct machine_field {
    const char *object; /* NULL: top level */
    const char *key;
    int portable;
} machine_field;

static const machine_field machine_fields[] = {
    {NULL, "reproducible", 1},      {NULL, "rnnlab_version", 1},
    {"machine", "compiler", 1},     {"machine", "libc", 1},
    {"machine", "cpu", 0},          {"machine", "cpu_isa", 0},
    {"machine", "kernel_isa", 0},   {"machine", "gemm", 0},
    {"machine", "gemm_library", 0}, {"machine", "gemm_library_isa", 0},
    {"machine", "threads", 0},
};

/* The field's value as text ("(not recorded)" for runs from before it was). */
static const char *field_text(const cJSON *meta, const machine_field *f, char *buf, size_t size) {
    const cJSON *o = f->object ? cJSON_GetObjectItemCaseSensitive(meta, f->object) : meta;
    const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, f->key) : NULL;
    if (cJSON_IsString(v)) return v->valuestring;
    if (cJSON_IsNumber(v)) {
        snprintf(buf, size, "%.17g", v->valuedouble);
        return buf;
    }
    return "(not recorded)";
}

/* Prints every field that differs between the recorded run and the re-run
 * and returns how many of them the recorded run's bits depend on. */
static int compare_machines(FILE *out, const cJSON *was, const cJSON *now) {
    char b1[64], b2[64];
    const machine_field *mode = &machine_fields[0];
    const int portable = strcmp(field_text(was, mode, b1, sizeof b1), "portable") == 0;
    int differ = 0, matter = 0;
    for (size_t i = 0; i < sizeof machine_fields / sizeof machine_fields[0]; i++) {
        const machine_field *f = &machine_fields[i];
        const char *a = field_text(was, f, b1, sizeof b1), *b = field_text(now, f, b2, sizeof b2);
        if (strcmp(a, b) == 0) continue;
        const int counts = !portable || f->portable;
        differ++;
        matter += counts;
        if (out)
            fprintf(out, "machine  %-17s recorded %s\n                           re-run   %s  %s\n",
                    f->key, a, b, counts ? "DIFFERS" : "differs (portable mode: no effect)");
    }
    if (out && differ == 0) fprintf(out, "machine  same ISA, GEMM, threads, compiler and libc\n");
    if (out)
        fprintf(out, "mode     reproducible = %s: %s\n", portable ? "portable" : "machine",
                portable ? "the bits depend on the build, not on the CPU or the threads"
                         : "the bits depend on the CPU's ISA, the GEMM library and the threads");
    return matter;
}

static void print_hash_line(FILE *out, const char *what, const char *a, const char *b, int info) {
    if (!out) return;
    fprintf(out, "%-8s recorded %s\n         re-run   %s  %s\n", what, a, b,
            strcmp(a, b) == 0 ? "OK"
            : info            ? "differs (info only)"
                              : "MISMATCH");
}

/* The thread count to re-run with: the caller's, else the recorded one. */
static long rerun_threads(const cJSON *meta, long threads) {
    if (threads > 0) return threads;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(meta, "machine");
    const cJSON *t = m ? cJSON_GetObjectItemCaseSensitive(m, "threads_requested") : NULL;
    return cJSON_IsNumber(t) && t->valuedouble >= 1 && t->valuedouble <= 256 ? (long)t->valuedouble
                                                                             : 1;
}

int verify_run(const char *run, const verify_opts *o, FILE *out, verify_result *res,
               rnnlab_err *err) {
    memset(res, 0, sizeof *res);
    run_hashes a, b;
    cJSON *was = NULL, *now = NULL;
    char *cfg_path = path_join(run, "config.ini"), *cfg = NULL;
    size_t len;
    int rc = cfg_path ? read_meta(run, &was, err) : err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    if (rc == RNNLAB_OK) rc = check_finished(run, was, err);
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
         * paths are already resolved relative to where the run was started.
         * Threads are not part of it (session.c): they come from meta.json
         * or the caller. */
        char threads[48];
        snprintf(threads, sizeof threads, "train.threads=%ld", rerun_threads(was, o->threads));
        const char *sets[] = {threads};
        session_args sa;
        memset(&sa, 0, sizeof sa);
        sa.config_path = cfg_path;
        sa.config_text = cfg;
        sa.config_dir = ".";
        sa.plugin_path = o->plugin_path;
        sa.sets = sets;
        sa.nsets = 1;
        train_args ta;
        memset(&ta, 0, sizeof ta);
        ta.run_dir = rerun;
        rc = train_run(&sa, &ta, NULL, err);
        if (rc != RNNLAB_OK) err_prefix(err, "re-running %s: ", cfg_path);
    }
    if (rc == RNNLAB_OK) rc = hash_run(rerun, &b, err);
    if (rc == RNNLAB_OK) rc = read_meta(rerun, &now, err);
    if (rc == RNNLAB_OK) {
        res->machine_differs = compare_machines(out, was, now);
        print_hash_line(out, "params", a.params, b.params, 0);
        print_hash_line(out, "metrics", a.metrics, b.metrics, 0);
        print_hash_line(out, "file", a.file, b.file, 1);
        res->same = strcmp(a.params, b.params) == 0 && strcmp(a.metrics, b.metrics) == 0;
    }
    if (tdir) remove_tree(tdir);
    cJSON_Delete(was);
    cJSON_Delete(now);
    free(rerun);
    free(cfg);
    free(cfg_path);
    return rc;
}
