/* run_files.c -- what a training run leaves on disk: checkpoints (with
 * everything a resume needs), meta.json, the run folder and metrics.csv.
 * See train.h for the folder's layout. */
#include "run_files.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include <gnu/libc-version.h>

#include "fileio.h"
#include "gemm.h"
#include "rnnlab_build.h"
#include "sha256.h"

/* ---- checkpoints -------------------------------------------------------- */

static char *config_text(const config *c) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) return NULL;
    config_write(c, f);
    fclose(f);
    return buf;
}

int run_save_checkpoint(trainer *tr, const char *path, rnnlab_err *err) {
    session *s = tr->s;
    size_t nt = tr->ntensors * (1 + tr->slots) + 1;
    ckpt_tensor *ts = calloc(nt, sizeof *ts);
    char *cfg = config_text(s->cfg);
    if (!ts || !cfg) {
        free(ts);
        free(cfg);
        return err_set(err, RNNLAB_ERR_NOMEM, "out of memory writing %s", path);
    }
    size_t k = 0;
    for (size_t i = 0; i < tr->ntensors; i++) {
        const model_tensor *t = model_tensor_at(tr->m, i);
        ts[k].name = t->name;
        ts[k].dtype = CKPT_F32;
        ts[k].ndim = t->ndim;
        ts[k].shape[0] = t->shape[0];
        ts[k].shape[1] = t->shape[1];
        ts[k].data = t->data;
        k++;
    }
    for (size_t i = 0; i < tr->ntensors; i++) {
        const model_tensor *t = model_tensor_at(tr->m, i);
        for (size_t j = 0; j < tr->slots; j++) {
            ts[k].name = tr->opt_names[i * tr->slots + j];
            ts[k].dtype = CKPT_F32;
            ts[k].ndim = 1;
            ts[k].shape[0] = t->n;
            ts[k].data = tr->opt_state[i * tr->slots + j];
            k++;
        }
    }
    /* The carried hidden state: a mid-epoch resume of a truncated-BPTT
     * stream must start from exactly this state. */
    size_t ncarry;
    ts[k].name = "state.carry";
    ts[k].dtype = CKPT_F32;
    ts[k].ndim = 1;
    ts[k].data = model_carried_state(tr->m, &ncarry);
    ts[k].shape[0] = ncarry;
    k++;
    char epoch[32], step[32], lr[64], best[64], bad[32], pbad[32], seed[32];
    char bnext[32], esum[64], ebatches[32], mlines[32], select[80];
    int rc = runlog_sync(&tr->metrics, err);
    if (rc != RNNLAB_OK) {
        free(ts);
        free(cfg);
        return rc;
    }
    snprintf(mlines, sizeof mlines, "%llu", (unsigned long long)tr->metrics.lines);
    select_key(&tr->select, select, sizeof select);
    snprintf(bnext, sizeof bnext, "%zu", tr->batch_next);
    snprintf(esum, sizeof esum, "%.17g", tr->epoch_loss_sum);
    snprintf(ebatches, sizeof ebatches, "%zu", tr->epoch_batches);
    snprintf(epoch, sizeof epoch, "%ld", tr->epoch);
    snprintf(step, sizeof step, "%llu", (unsigned long long)tr->step);
    snprintf(lr, sizeof lr, "%.17g", tr->lr_scale);
    snprintf(best, sizeof best, "%.17g", tr->best_dev);
    snprintf(bad, sizeof bad, "%ld", tr->bad_epochs);
    snprintf(pbad, sizeof pbad, "%ld", tr->plateau_bad);
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)s->train.seed);
    char plugins[1024];
    snprintf(plugins, sizeof plugins,
             "activation=%s %s; loss=%s %s; optimizer=%s %s; tokenizer=%s %s; data=%s %s",
             s->activation.comp->name, s->activation.comp->version, s->loss.comp->name,
             s->loss.comp->version, s->optimizer.comp->name, s->optimizer.comp->version,
             s->tokenizer.comp->name, s->tokenizer.comp->version, s->loader.comp->name,
             s->loader.comp->version);
    ckpt_meta meta[] = {
        {"format", "rnnlab-checkpoint"},
        {"format_version", CKPT_FORMAT_VERSION},
        {"rnnlab_version", RNNLAB_VERSION},
        {"config", cfg},
        {"tokenizer", tr->tok_state ? tr->tok_state : ""},
        {"labels", tr->labels ? tr->labels : ""},
        {"plugins", plugins},
        {"epoch", epoch},
        {"step", step},
        {"lr_scale", lr},
        {"select", select},
        {"best_dev", best},
        {"bad_epochs", bad},
        {"plateau_bad", pbad},
        {"seed", seed},
        {"batch_next", bnext},
        {"epoch_loss_sum", esum},
        {"epoch_batches", ebatches},
        {"input_kind", s->info.input_kind == RNNLAB_INPUT_IDS ? "ids" : "dense"},
        {"head", s->info.head == RNNLAB_HEAD_PER_STEP ? "per_step" : "last"},
        {"label_names", tr->label_names ? tr->label_names : ""},
        {"metrics_lines", mlines},
    };
    rc = ckpt_write(path, ts, nt, meta, sizeof meta / sizeof meta[0], err);
    free(ts);
    free(cfg);
    return rc;
}

static int meta_long(const ckpt *c, const char *key, long *out, const char *path, rnnlab_err *err) {
    const char *v = ckpt_meta_get(c, key);
    char *end;
    if (!v) return err_set(err, RNNLAB_ERR_FORMAT, "%s: metadata has no '%s'", path, key);
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || *end || end == v)
        return err_set(err, RNNLAB_ERR_FORMAT, "%s: metadata '%s' = '%s' is not an integer", path,
                       key, v);
    *out = x;
    return RNNLAB_OK;
}

static int meta_double(const ckpt *c, const char *key, double *out, const char *path,
                       rnnlab_err *err) {
    const char *v = ckpt_meta_get(c, key);
    char *end;
    if (!v) return err_set(err, RNNLAB_ERR_FORMAT, "%s: metadata has no '%s'", path, key);
    *out = strtod(v, &end);
    if (*end || end == v)
        return err_set(err, RNNLAB_ERR_FORMAT, "%s: metadata '%s' = '%s' is not a number", path,
                       key, v);
    return RNNLAB_OK;
}

/* Copies a checkpoint's tensor into dst after checking name, dtype and
 * shape against what the model expects. */
static int restore_tensor(const ckpt *c, const char *name, size_t ndim, const size_t *shape,
                          float *dst, const char *path, rnnlab_err *err) {
    const ckpt_tensor *t = ckpt_find(c, name);
    if (!t) return err_set(err, RNNLAB_ERR_FORMAT, "%s: no tensor '%s'", path, name);
    if (t->dtype != CKPT_F32)
        return err_set(err, RNNLAB_ERR_FORMAT, "%s: tensor '%s' has dtype %s, expected F32", path,
                       name, ckpt_dtype_name(t->dtype));
    size_t n = 1;
    int same = t->ndim == ndim;
    for (size_t d = 0; d < ndim && same; d++) same = t->shape[d] == shape[d];
    if (!same)
        return err_set(err, RNNLAB_ERR_FORMAT,
                       "%s: tensor '%s' has shape [%zu%s%zu], the config's model needs [%zu%s%zu]",
                       path, name, t->ndim > 0 ? t->shape[0] : 0, t->ndim > 1 ? ", " : "",
                       t->ndim > 1 ? t->shape[1] : 0, shape[0], ndim > 1 ? ", " : "",
                       ndim > 1 ? shape[1] : 0);
    for (size_t d = 0; d < ndim; d++) n *= shape[d];
    memcpy(dst, t->data, n * sizeof(float));
    return RNNLAB_OK;
}

int run_load_weights(trainer *tr, const ckpt *c, const char *path, int with_state,
                     rnnlab_err *err) {
    for (size_t i = 0; i < tr->ntensors; i++) {
        model_tensor *t = model_tensor_at(tr->m, i);
        int rc = restore_tensor(c, t->name, t->ndim, t->shape, t->data, path, err);
        if (rc != RNNLAB_OK) return rc;
        for (size_t j = 0; with_state && j < tr->slots; j++) {
            rc = restore_tensor(c, tr->opt_names[i * tr->slots + j], 1, &t->n,
                                tr->opt_state[i * tr->slots + j], path, err);
            if (rc != RNNLAB_OK) return rc;
        }
    }
    return RNNLAB_OK;
}

/* ---- meta.json ---------------------------------------------------------- */

static void json_component(cJSON *obj, const char *role, const reg_component *c) {
    cJSON *o = cJSON_AddObjectToObject(obj, role);
    char hash[65] = "";
    rnnlab_err e;
    if (sha256_file_hex(c->file, hash, &e) != RNNLAB_OK) strcpy(hash, "unreadable");
    cJSON_AddStringToObject(o, "name", c->name);
    cJSON_AddStringToObject(o, "version", c->version);
    cJSON_AddStringToObject(o, "plugin", c->plugin);
    cJSON_AddStringToObject(o, "file", c->file);
    cJSON_AddStringToObject(o, "sha256", hash);
}

/* The CPU's "model name" from /proc/cpuinfo, or "unknown". Read line by
 * line with a bound: /proc files report size 0. */
static void cpu_model(char *out, size_t size) {
    snprintf(out, size, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return;
    char line[512];
    for (int n = 0; n < 64 && fgets(line, sizeof line, f); n++) {
        if (strncmp(line, "model name", 10) != 0) continue;
        const char *v = strchr(line, ':');
        if (!v) break;
        for (v++; *v == ' ' || *v == '\t'; v++) continue;
        snprintf(out, size, "%.*s", (int)strcspn(v, "\n"), v);
        break;
    }
    fclose(f);
}

/* What the arithmetic ran on: in machine mode the bits depend on every
 * field (and `rnnlab verify` names the ones that differ); in portable mode
 * only on the build (compiler, libc), never on the CPU or the threads. */
static void json_machine(cJSON *root, const trainer *tr) {
    cJSON_AddStringToObject(root, "reproducible", gemm_mode_name(gemm_get_mode()));
    cJSON *m = cJSON_AddObjectToObject(root, "machine");
    char cpu[256];
    cpu_model(cpu, sizeof cpu);
    cJSON_AddStringToObject(m, "cpu", cpu);
    cJSON_AddStringToObject(m, "cpu_isa", gemm_cpu_isa());
    cJSON_AddStringToObject(m, "kernel_isa", gemm_kernel_isa());
    cJSON_AddStringToObject(m, "gemm", gemm_backend_name());
    cJSON_AddStringToObject(m, "gemm_library", gemm_library_version());
    cJSON_AddStringToObject(m, "gemm_library_isa", gemm_library_isa());
    cJSON_AddNumberToObject(m, "threads", (double)gemm_threads());
    cJSON_AddNumberToObject(m, "threads_requested", (double)tr->s->train.threads);
#if defined(__clang__)
    cJSON_AddStringToObject(m, "compiler", "clang " __clang_version__);
#elif defined(__GNUC__)
    cJSON_AddStringToObject(m, "compiler", "gcc " __VERSION__);
#endif
    char libc[64];
    snprintf(libc, sizeof libc, "glibc %s", gnu_get_libc_version());
    cJSON_AddStringToObject(m, "libc", libc);
}

int run_write_meta(trainer *tr, const char *status, const char *message, rnnlab_err *err) {
    session *s = tr->s;
    cJSON *root = cJSON_CreateObject();
    if (!root) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    cJSON_AddStringToObject(root, "rnnlab_version", RNNLAB_VERSION);
    cJSON_AddStringToObject(root, "gemm_backend", RNNLAB_GEMM_BACKEND);
    json_machine(root, tr);
    cJSON_AddNumberToObject(root, "seed", (double)s->train.seed);
    cJSON_AddStringToObject(root, "status", status);
    if (message) cJSON_AddStringToObject(root, "message", message);
    cJSON_AddNumberToObject(root, "epochs_completed", (double)tr->epoch);
    cJSON_AddNumberToObject(root, "steps", (double)tr->step);
    cJSON_AddNumberToObject(root, "train_seconds", tr->train_seconds);
    cJSON_AddNumberToObject(root, "train_tokens", (double)tr->tokens_total);
    if (tr->train_seconds > 0)
        cJSON_AddNumberToObject(root, "train_tokens_per_second",
                                (double)tr->tokens_total / tr->train_seconds);
    cJSON_AddNumberToObject(root, "parameters", (double)model_num_params(tr->m));
    cJSON_AddStringToObject(root, "select", tr->select.name);
    if (isfinite(tr->best_dev)) cJSON_AddNumberToObject(root, "best", tr->best_dev);
    cJSON *pl = cJSON_AddObjectToObject(root, "plugins");
    json_component(pl, "activation", s->activation.comp);
    json_component(pl, "loss", s->loss.comp);
    json_component(pl, "optimizer", s->optimizer.comp);
    json_component(pl, "tokenizer", s->tokenizer.comp);
    json_component(pl, "data", s->loader.comp);
    char *text = cJSON_Print(root);
    cJSON_Delete(root);
    if (!text) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    char *path = path_join(tr->run_path, "meta.json");
    size_t len = strlen(text);
    const void *chunks[2] = {text, "\n"};
    size_t lens[2] = {len, 1};
    int rc = path ? file_write_atomic(path, chunks, lens, 2, err)
                  : err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    free(path);
    free(text);
    return rc;
}

int run_open_metrics(trainer *tr, const ckpt *c, const char *ckpt_path, rnnlab_err *err) {
    char *path = path_join(tr->run_path, "metrics.csv");
    if (!path) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    int rc;
    if (!c) {
        rc = runlog_create(&tr->metrics, path, "step,split,metric,value", err);
    } else if (!ckpt_meta_get(c, "metrics_lines")) {
        rc = err_set(err, RNNLAB_ERR_FORMAT,
                     "%s: metadata has no 'metrics_lines' (the checkpoint is older than "
                     "resumable metrics), so its metrics.csv cannot be continued safely; train "
                     "the run again (--run-dir %s --force)",
                     ckpt_path, tr->run_path);
    } else {
        long keep;
        rc = meta_long(c, "metrics_lines", &keep, ckpt_path, err);
        if (rc == RNNLAB_OK && keep < 1)
            rc = err_set(err, RNNLAB_ERR_FORMAT,
                         "%s: metadata 'metrics_lines' = %ld: expected at least 1 (the header)",
                         ckpt_path, keep);
        if (rc == RNNLAB_OK) rc = runlog_resume(&tr->metrics, path, (uint64_t)keep, err);
    }
    free(path);
    return rc;
}

int run_resume(trainer *tr, const ckpt *c, const char *path, rnnlab_err *err) {
    long epoch, step, bad, pbad;
    double lr, best;
    int rc = run_load_weights(tr, c, path, 1, err);
    if (rc == RNNLAB_OK) rc = meta_long(c, "epoch", &epoch, path, err);
    if (rc == RNNLAB_OK) rc = meta_long(c, "step", &step, path, err);
    if (rc == RNNLAB_OK) rc = meta_long(c, "bad_epochs", &bad, path, err);
    if (rc == RNNLAB_OK) rc = meta_long(c, "plateau_bad", &pbad, path, err);
    if (rc == RNNLAB_OK) rc = meta_double(c, "lr_scale", &lr, path, err);
    if (rc == RNNLAB_OK) rc = meta_double(c, "best_dev", &best, path, err);
    if (rc != RNNLAB_OK) return rc;
    /* best_dev is a value of the run's select metric (dev/loss before
     * select existed): another metric cannot continue from it. */
    char want[80];
    const char *had = ckpt_meta_get(c, "select");
    select_key(&tr->select, want, sizeof want);
    if (strcmp(had ? had : "dev/loss min", want) != 0)
        return err_set(err, RNNLAB_ERR_INVALID,
                       "%s: the run selects its best checkpoint by '%s', not '%s': resume it "
                       "without changing [train] select or select_goal",
                       path, had ? had : "dev/loss min", want);
    long bnext = 0, ebatches = 0;
    double esum = 0.0;
    rc = meta_long(c, "batch_next", &bnext, path, err);
    if (rc == RNNLAB_OK) rc = meta_long(c, "epoch_batches", &ebatches, path, err);
    if (rc == RNNLAB_OK) rc = meta_double(c, "epoch_loss_sum", &esum, path, err);
    if (rc != RNNLAB_OK) return rc;
    size_t ncarry;
    float *carry = model_carried_state(tr->m, &ncarry);
    rc = restore_tensor(c, "state.carry", 1, &ncarry, carry, path, err);
    if (rc != RNNLAB_OK) return rc;
    if (bnext < 0 || ebatches < 0)
        return err_set(err, RNNLAB_ERR_FORMAT, "%s: negative batch position in metadata", path);
    tr->batch_next = (size_t)bnext;
    tr->epoch_loss_sum = esum;
    tr->epoch_batches = (size_t)ebatches;
    tr->epoch = epoch;
    tr->step = (uint64_t)step;
    tr->bad_epochs = bad;
    tr->plateau_bad = pbad;
    tr->lr_scale = lr;
    tr->best_dev = best;
    return RNNLAB_OK;
}
