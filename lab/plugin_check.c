/* plugin_check.c -- see plugin_check.h.
 *
 * The parent parses the ELF symbol table, forks, and relays the child's
 * lines; the child loads the plugin through the registry (so the stamp and
 * ops checks are exactly the ones `rnnlab train` applies) and runs each
 * component's kind checks twice, the second time silently, to compare the
 * hash of every output byte. Before each call into plugin code that could
 * crash, the child sends a "RUN subject: check" line, so the parent can
 * name the check a crash happened in. */
#include "plugin_check.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/config.h"
#include "core/fileio.h"
#include "core/host.h"
#include "core/registry.h"

#define CHILD_TIME_LIMIT 300 /* seconds; generous for sanitizer builds */
#define MAX_PARAMS 128
#define MAX_SLOTS 64

/* ------------------------------------------------------------------------ */
/* Exported symbols (parent, no plugin code runs)                            */
/* ------------------------------------------------------------------------ */

/* Symbols some linkers (gold, older BFD) define in every shared object.
 * They mark section boundaries, carry no code of the author's, and the
 * loader never looks them up, so they do not count as exports. */
static int linker_symbol(const char *name) {
    static const char *const names[] = {
        "_init",         "_fini",   "_edata",     "_end",         "__bss_start",
        "__bss_start__", "__end__", "_bss_end__", "__data_start", NULL};
    for (int i = 0; names[i]; i++)
        if (strcmp(name, names[i]) == 0) return 1;
    return 0;
}

typedef struct elf_view {
    const unsigned char *data;
    size_t size;
} elf_view;

static int in_file(const elf_view *v, uint64_t off, uint64_t len) {
    return off <= v->size && len <= v->size - off;
}

/* Appends the names of the defined global/weak symbols of .dynsym to
 * `list` (comma-separated) and returns their count, or -1 with `why` set
 * if the file is not a readable ELF64 shared object. */
static int elf_exports(const elf_view *v, int *has_entry, char *list, size_t list_size, char *why,
                       size_t why_size) {
    const Elf64_Ehdr *eh = (const void *)v->data;
    if (v->size < sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0) {
        snprintf(why, why_size, "not an ELF file (no \\x7fELF magic)");
        return -1;
    }
    if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_type != ET_DYN) {
        snprintf(why, why_size, "not a 64-bit ELF shared object (class %d, type %d)",
                 eh->e_ident[EI_CLASS], eh->e_type);
        return -1;
    }
    if (eh->e_shentsize != sizeof(Elf64_Shdr) ||
        !in_file(v, eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr))) {
        snprintf(why, why_size, "section header table lies outside the file");
        return -1;
    }
    const Elf64_Shdr *sh = (const void *)(v->data + eh->e_shoff);
    int count = 0;
    size_t used = 0;
    list[0] = '\0';
    for (unsigned i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_DYNSYM) continue;
        if (sh[i].sh_link >= eh->e_shnum || sh[i].sh_entsize != sizeof(Elf64_Sym) ||
            !in_file(v, sh[i].sh_offset, sh[i].sh_size)) {
            snprintf(why, why_size, ".dynsym section %u is malformed", i);
            return -1;
        }
        const Elf64_Shdr *str = &sh[sh[i].sh_link];
        if (!in_file(v, str->sh_offset, str->sh_size)) {
            snprintf(why, why_size, ".dynstr lies outside the file");
            return -1;
        }
        const char *names = (const char *)(v->data + str->sh_offset);
        const Elf64_Sym *sym = (const void *)(v->data + sh[i].sh_offset);
        size_t nsym = sh[i].sh_size / sizeof *sym;
        for (size_t k = 1; k < nsym; k++) {
            int bind = ELF64_ST_BIND(sym[k].st_info);
            if (sym[k].st_shndx == SHN_UNDEF || (bind != STB_GLOBAL && bind != STB_WEAK)) continue;
            if (sym[k].st_name >= str->sh_size ||
                !memchr(names + sym[k].st_name, '\0', str->sh_size - sym[k].st_name))
                continue;
            const char *name = names + sym[k].st_name;
            if (linker_symbol(name)) continue;
            if (strcmp(name, RNNLAB_PLUGIN_ENTRY_SYMBOL) == 0) {
                *has_entry = 1;
                continue;
            }
            count++;
            if (used < list_size)
                used +=
                    (size_t)snprintf(list + used, list_size - used, "%s%s", used ? ", " : "", name);
        }
    }
    return count;
}

/* The verdict line on the file's exports, written by the parent. */
static void check_exports(const char *path, char *line, size_t size) {
    char *buf = NULL;
    size_t len = 0;
    rnnlab_err e;
    err_clear(&e);
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    if (file_read_all(path, &buf, &len, &e) != RNNLAB_OK) {
        snprintf(line, size, "FAIL plugin %s: exported symbols: cannot read the file: %.600s", base,
                 e.msg);
        return;
    }
    elf_view v = {(const unsigned char *)buf, len};
    char list[512], why[256];
    int has_entry = 0;
    int others = elf_exports(&v, &has_entry, list, sizeof list, why, sizeof why);
    free(buf);
    if (others < 0)
        snprintf(line, size,
                 "FAIL plugin %s: exported symbols: breaks \"a plugin is an ELF shared object\": "
                 "%s",
                 base, why);
    else if (!has_entry)
        snprintf(line, size,
                 "FAIL plugin %s: exported symbols: breaks \"exports exactly one symbol, %s\": "
                 "it is not exported (mark it RNNLAB_EXPORT)",
                 base, RNNLAB_PLUGIN_ENTRY_SYMBOL);
    else if (others > 0)
        snprintf(line, size,
                 "FAIL plugin %s: exported symbols: breaks \"exports exactly one symbol, %s\": "
                 "also exports %d more: %s (make them static, or build with "
                 "-fvisibility=hidden)",
                 base, RNNLAB_PLUGIN_ENTRY_SYMBOL, others, list);
    else
        snprintf(line, size, "PASS plugin %s: exports exactly one symbol, %s", base,
                 RNNLAB_PLUGIN_ENTRY_SYMBOL);
}

/* ------------------------------------------------------------------------ */
/* The child's reporting                                                     */
/* ------------------------------------------------------------------------ */

typedef struct chk {
    FILE *out; /* the pipe to the parent */
    const char *kind, *name;
    int quiet;     /* the determinism rerun: no verdict lines */
    uint64_t hash; /* FNV-1a over every output */
    char why[768]; /* the first failure of the current check, "" if none */
    rnnlab_host *host;
    rnnlab_err err; /* plugin errors land here */
} chk;

static void chk_printf(chk *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void chk_printf(chk *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vfprintf(c->out, fmt, ap);
    va_end(ap);
    fflush(c->out);
}

/* Announces a step that runs plugin code, for crash reports. */
static void chk_run(chk *c, const char *what) {
    chk_printf(c, "RUN %s %s: %s\n", c->kind, c->name, what);
}

/* Records the first failure of the current check. */
static void vnote(chk *c, const char *fmt, va_list ap) {
    if (c->why[0]) return;
    vsnprintf(c->why, sizeof c->why, fmt, ap);
    if (!c->why[0]) snprintf(c->why, sizeof c->why, "failed");
}

static void note(chk *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(chk *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vnote(c, fmt, ap);
    va_end(ap);
}

/* note() for `return note_stop(...)` in checks that stop at the first
 * problem; returns 0. */
static int note_stop(chk *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int note_stop(chk *c, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vnote(c, fmt, ap);
    va_end(ap);
    return 0;
}

/* Notes a plugin op's non-OK status with the plugin's own message. */
static int op_ok(chk *c, int rc, const char *op) {
    if (rc == RNNLAB_OK) return 1;
    note(c, "%s returned %d (%s): %s", op, rc, status_name(rc),
         c->err.msg[0] ? c->err.msg : "no message set");
    return 0;
}

/* Ends a check: PASS if nothing was noted, else FAIL naming the contract. */
static int verdict(chk *c, const char *check, const char *contract) {
    int ok = c->why[0] == '\0';
    if (!c->quiet) {
        if (ok)
            chk_printf(c, "PASS %s %s: %s\n", c->kind, c->name, check);
        else
            chk_printf(c, "FAIL %s %s: %s: breaks \"%s\": %s\n", c->kind, c->name, check, contract,
                       c->why);
    }
    c->why[0] = '\0';
    err_clear(&c->err);
    return ok;
}

static void warn(chk *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(chk *c, const char *fmt, ...) {
    if (c->quiet) return;
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    chk_printf(c, "WARN %s %s: %s\n", c->kind, c->name, msg);
}

static void hash_bytes(chk *c, const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) c->hash = (c->hash ^ b[i]) * 0x100000001B3ull;
}

static int finite_d(double v) { return isfinite(v); }

/* ------------------------------------------------------------------------ */
/* Activation                                                                */
/* ------------------------------------------------------------------------ */

#define ACT_GRID 2001 /* x = -10 + 0.01 i */
static const double act_extremes[] = {20, -20, 50, -50, 100, -100, 1e3, -1e3, 1e4, -1e4};
#define ACT_N (ACT_GRID + sizeof act_extremes / sizeof act_extremes[0])

typedef struct act_bufs {
    double x[ACT_N], xp[ACT_N], xm[ACT_N], y[ACT_N], yp[ACT_N], ym[ACT_N], dy[ACT_N], dx[ACT_N];
    double tmp[ACT_N];
    rnnlab_real xf[ACT_N], yf[ACT_N], dyf[ACT_N], dxf[ACT_N], tmpf[ACT_N];
    unsigned char kink[ACT_N];
} act_bufs;

static int act_from_y(const rnnlab_activation_ops *o) {
    return (o->flags & RNNLAB_ACT_DERIV_FROM_Y) != 0;
}

/* The inputs: float-representable, so both precisions see the same x. */
static void act_inputs(act_bufs *b) {
    for (size_t i = 0; i < ACT_N; i++) {
        double v = i < ACT_GRID ? -10.0 + 0.01 * (double)i : act_extremes[i - ACT_GRID];
        b->xf[i] = (rnnlab_real)v;
        b->x[i] = b->xf[i];
        double h = 1e-6 * fmax(1.0, fabs(b->x[i]));
        b->xp[i] = b->x[i] + h;
        b->xm[i] = b->x[i] - h;
        b->dy[i] = 1.0 + 0.5 * cos((double)i); /* never 0, never constant */
        b->dyf[i] = (rnnlab_real)b->dy[i];
        b->dy[i] = b->dyf[i];
    }
}

static int act_f64(chk *c, const rnnlab_activation_ops *o, const void *self, act_bufs *b) {
    chk_run(c, "forward_f64 and backward_f64 on [-10, 10] and |x| <= 1e4");
    if (!op_ok(c, o->forward_f64(self, b->x, b->y, ACT_N), "forward_f64")) return 0;
    if (!op_ok(c, o->forward_f64(self, b->xp, b->yp, ACT_N), "forward_f64")) return 0;
    if (!op_ok(c, o->forward_f64(self, b->xm, b->ym, ACT_N), "forward_f64")) return 0;
    int fy = act_from_y(o);
    return op_ok(c, o->backward_f64(self, fy ? NULL : b->x, fy ? b->y : NULL, b->dy, b->dx, ACT_N),
                 "backward_f64");
}

static void act_check_fd(chk *c, act_bufs *b) {
    size_t checked = 0;
    for (size_t i = 0; i < ACT_N; i++) {
        double h = b->xp[i] - b->x[i];
        double left = (b->y[i] - b->ym[i]) / h, right = (b->yp[i] - b->y[i]) / h;
        /* A kink inside [x - h, x + h] (relu at 0): no derivative there. */
        b->kink[i] = !(fabs(left - right) <= 1e-3 * (1.0 + fabs(left) + fabs(right)));
        if (b->kink[i]) continue;
        checked++;
        double fd = (b->yp[i] - b->ym[i]) / (b->xp[i] - b->xm[i]) * b->dy[i];
        /* Relative, plus the rounding of f's difference: eps |f| / h. */
        double tol = 1e-6 * fabs(fd) + 64.0 * DBL_EPSILON * (1.0 + fabs(b->y[i])) / h * b->dy[i];
        if (!(fabs(b->dx[i] - fd) <= tol))
            note(c,
                 "at x = %.9g, dy = %.9g: backward_f64 gives %.12g, central differences of "
                 "forward_f64 give %.12g",
                 b->x[i], b->dy[i], b->dx[i], fd);
    }
    if (checked < ACT_N / 2)
        note(c,
             "forward_f64 has a kink at %zu of %zu inputs: it is not differentiable almost "
             "everywhere",
             ACT_N - checked, (size_t)ACT_N);
}

static void act_check_finite(chk *c, const act_bufs *b, int f32) {
    for (size_t i = 0; i < ACT_N; i++) {
        double y = f32 ? (double)b->yf[i] : b->y[i], d = f32 ? (double)b->dxf[i] : b->dx[i];
        if (!finite_d(y)) note(c, "forward%s(%.9g) = %g", f32 ? "" : "_f64", b->x[i], y);
        if (!finite_d(d))
            note(c, "backward%s at x = %.9g, dy = %.9g gives %g", f32 ? "" : "_f64", b->x[i],
                 b->dy[i], d);
    }
}

static void act_check_f32(chk *c, const rnnlab_activation_ops *o, const void *self, act_bufs *b) {
    chk_run(c, "forward and backward (float)");
    if (!op_ok(c, o->forward(self, b->xf, b->yf, ACT_N), "forward")) return;
    int fy = act_from_y(o);
    if (!op_ok(c, o->backward(self, fy ? NULL : b->xf, fy ? b->yf : NULL, b->dyf, b->dxf, ACT_N),
               "backward"))
        return;
    for (size_t i = 0; i < ACT_N; i++) {
        double yf = b->yf[i], dxf = b->dxf[i];
        if (!(fabs(yf - b->y[i]) <= 1e-5 * fmax(1.0, fabs(b->y[i]))))
            note(c, "at x = %.9g: forward gives %.9g, forward_f64 %.12g", b->x[i], yf, b->y[i]);
        if (b->kink[i]) continue;
        if (!(fabs(dxf - b->dx[i]) <= 1e-4 * fmax(fabs(b->dy[i]), fabs(b->dx[i]))))
            note(c, "at x = %.9g, dy = %.9g: backward gives %.9g, backward_f64 %.12g", b->x[i],
                 b->dy[i], dxf, b->dx[i]);
    }
}

/* In place: y over x, dx over dy; results must equal the out-of-place ones. */
static void act_check_alias(chk *c, const rnnlab_activation_ops *o, const void *self, act_bufs *b) {
    int fy = act_from_y(o);
    chk_run(c, "forward and backward in place");
    memcpy(b->tmp, b->x, sizeof b->tmp);
    if (op_ok(c, o->forward_f64(self, b->tmp, b->tmp, ACT_N), "forward_f64 in place") &&
        memcmp(b->tmp, b->y, sizeof b->tmp) != 0)
        note(c, "forward_f64(x, y = x) differs from forward_f64(x, y)");
    memcpy(b->tmpf, b->xf, sizeof b->tmpf);
    if (op_ok(c, o->forward(self, b->tmpf, b->tmpf, ACT_N), "forward in place") &&
        memcmp(b->tmpf, b->yf, sizeof b->tmpf) != 0)
        note(c, "forward(x, y = x) differs from forward(x, y)");
    memcpy(b->tmp, b->dy, sizeof b->tmp);
    if (op_ok(c, o->backward_f64(self, fy ? NULL : b->x, fy ? b->y : NULL, b->tmp, b->tmp, ACT_N),
              "backward_f64 in place") &&
        memcmp(b->tmp, b->dx, sizeof b->tmp) != 0)
        note(c, "backward_f64 with dx = dy differs from separate dx");
    memcpy(b->tmpf, b->dyf, sizeof b->tmpf);
    if (op_ok(c, o->backward(self, fy ? NULL : b->xf, fy ? b->yf : NULL, b->tmpf, b->tmpf, ACT_N),
              "backward in place") &&
        memcmp(b->tmpf, b->dxf, sizeof b->tmpf) != 0)
        note(c, "backward with dx = dy differs from separate dx");
}

static void check_activation(chk *c, const reg_component *comp, const rnnlab_value *values) {
    const rnnlab_activation_ops *o = &comp->ops.activation;
    void *self = NULL;
    if (o->create) {
        chk_run(c, "create");
        if (!op_ok(c, o->create(c->host, values, &self), "create with the schema defaults")) {
            verdict(c, "create", "create succeeds with the schema defaults");
            return;
        }
    }
    act_bufs *b = calloc(1, sizeof *b);
    if (!b) {
        note(c, "the checker ran out of memory");
        verdict(c, "setup", "the checker has memory");
        if (o->destroy) o->destroy(self);
        return;
    }
    act_inputs(b);
    if (act_f64(c, o, self, b)) {
        verdict(c, "forward_f64 and backward_f64 succeed", "ops return RNNLAB_OK on valid input");
        act_check_finite(c, b, 0);
        verdict(c, "no NaN or Inf for |x| <= 1e4 (double)", "outputs are finite for finite input");
        act_check_fd(c, b);
        verdict(c, "backward_f64 vs central differences on [-10, 10] and up to |x| = 1e4",
                "backward_f64 returns f'(x) * dy");
        act_check_f32(c, o, self, b);
        act_check_finite(c, b, 1);
        verdict(c, "float path vs double path and finite",
                "forward/backward compute the same "
                "function as the _f64 ops, in float");
        act_check_alias(c, o, self, b);
        verdict(c, "in place (x == y, dx == dy)", "x and y may alias; dx may alias dy");
        hash_bytes(c, b->y, sizeof b->y);
        hash_bytes(c, b->dx, sizeof b->dx);
        hash_bytes(c, b->yf, sizeof b->yf);
        hash_bytes(c, b->dxf, sizeof b->dxf);
    } else {
        verdict(c, "forward_f64 and backward_f64 succeed", "ops return RNNLAB_OK on valid input");
    }
    free(b);
    if (o->destroy) o->destroy(self);
}

/* ------------------------------------------------------------------------ */
/* Loss                                                                      */
/* ------------------------------------------------------------------------ */

#define LOSS_R 6
#define LOSS_C 5
#define LOSS_N (LOSS_R * LOSS_C)

typedef struct loss_case {
    double logits[LOSS_N];
    rnnlab_real logits_f[LOSS_N];
    int32_t ids[LOSS_R];
    rnnlab_real values[LOSS_N];
    uint8_t mask[LOSS_R];
    rnnlab_loss_batch batch;
} loss_case;

static void loss_case_init(loss_case *k, double scale, uint64_t stream) {
    rnnlab_rng rng;
    rng_seed(&rng, 0x6C6F7373u, stream);
    for (size_t i = 0; i < LOSS_N; i++) {
        k->logits_f[i] = (rnnlab_real)(scale * rng_normal(&rng));
        k->logits[i] = k->logits_f[i];
        k->values[i] = (rnnlab_real)rng_normal(&rng);
    }
    for (size_t r = 0; r < LOSS_R; r++) {
        k->ids[r] = (int32_t)rng_below(&rng, LOSS_C);
        k->mask[r] = r != 2 && r != 4;
    }
    k->batch = (rnnlab_loss_batch){LOSS_R, LOSS_C, k->ids, k->values, k->mask};
}

static int loss_f64(chk *c, const rnnlab_loss_ops *o, const void *self, const loss_case *k,
                    const double *logits, double *loss, double *d) {
    return op_ok(c, o->forward_f64(self, logits, &k->batch, loss, d), "forward_f64");
}

static void loss_check_grad(chk *c, const rnnlab_loss_ops *o, const void *self, loss_case *k,
                            const double *d) {
    chk_run(c, "forward_f64 gradient check");
    double x[LOSS_N];
    memcpy(x, k->logits, sizeof x);
    for (size_t i = 0; i < LOSS_N && !c->why[0]; i++) {
        double h = 1e-6, lp, lm, save = x[i];
        x[i] = save + h;
        if (!loss_f64(c, o, self, k, x, &lp, NULL)) return;
        x[i] = save - h;
        if (!loss_f64(c, o, self, k, x, &lm, NULL)) return;
        x[i] = save;
        double fd = (lp - lm) / (2.0 * h);
        if (!(fabs(d[i] - fd) <= 1e-6 * (1.0 + fabs(fd))))
            note(c,
                 "row %zu, column %zu (logit %.9g, %s): dlogits = %.12g, central differences "
                 "of the loss give %.12g",
                 i / LOSS_C, i % LOSS_C, x[i], k->mask[i / LOSS_C] ? "counted" : "masked", d[i],
                 fd);
    }
}

static void loss_check_masked(chk *c, const rnnlab_loss_ops *o, const void *self, loss_case *k,
                              double loss, const double *d) {
    chk_run(c, "masked rows");
    for (size_t i = 0; i < LOSS_N; i++)
        if (!k->mask[i / LOSS_C] && d[i] != 0.0)
            note(c, "masked row %zu has dlogits[%zu] = %g, expected 0", i / LOSS_C, i % LOSS_C,
                 d[i]);
    loss_case other = *k;
    for (size_t r = 0; r < LOSS_R; r++) {
        if (k->mask[r]) continue;
        for (size_t j = 0; j < LOSS_C; j++) {
            other.logits[r * LOSS_C + j] += 100.0 * (double)(j + 1);
            other.values[r * LOSS_C + j] -= 3.0f;
        }
        other.ids[r] = (int32_t)((k->ids[r] + 1) % LOSS_C);
    }
    other.batch = (rnnlab_loss_batch){LOSS_R, LOSS_C, other.ids, other.values, other.mask};
    double l2, d2[LOSS_N];
    if (!loss_f64(c, o, self, &other, other.logits, &l2, d2)) return;
    if (!(fabs(l2 - loss) <= 1e-12 * (1.0 + fabs(loss))))
        note(c,
             "changing the logits and targets of masked rows 2 and 4 changed the loss from "
             "%.17g to %.17g",
             loss, l2);
    /* No counted row at all: the mean is defined as 0. */
    memset(other.mask, 0, sizeof other.mask);
    if (!loss_f64(c, o, self, &other, other.logits, &l2, d2)) return;
    if (l2 != 0.0) note(c, "with every row masked the loss is %g, expected 0", l2);
    for (size_t i = 0; i < LOSS_N; i++)
        if (d2[i] != 0.0) {
            note(c, "with every row masked dlogits[%zu] = %g, expected 0", i, d2[i]);
            break;
        }
}

static void loss_check_f32(chk *c, const rnnlab_loss_ops *o, const void *self, loss_case *k,
                           double loss, const double *d) {
    chk_run(c, "forward (float)");
    double lf, lnull;
    size_t correct = 0, correct2 = 0, counted = 0;
    rnnlab_real df[LOSS_N];
    if (!op_ok(c, o->forward(self, k->logits_f, &k->batch, &lf, &correct, df), "forward")) return;
    if (!op_ok(c, o->forward(self, k->logits_f, &k->batch, &lnull, &correct2, NULL),
               "forward with dlogits = NULL"))
        return;
    for (size_t r = 0; r < LOSS_R; r++) counted += k->mask[r];
    if (!(fabs(lf - loss) <= 1e-4 * (1.0 + fabs(loss))))
        note(c, "forward gives loss %.9g, forward_f64 %.12g", lf, loss);
    if (lnull != lf || correct2 != correct)
        note(c, "dlogits = NULL changed the result: loss %.9g vs %.9g, correct %zu vs %zu", lnull,
             lf, correct2, correct);
    if (correct > counted)
        note(c, "*correct = %zu but only %zu rows are unmasked", correct, counted);
    double dmax = 0.0;
    for (size_t i = 0; i < LOSS_N; i++) dmax = fmax(dmax, fabs(d[i]));
    for (size_t i = 0; i < LOSS_N; i++)
        if (!(fabs((double)df[i] - d[i]) <= 1e-4 * dmax + 1e-7))
            note(c, "dlogits[%zu]: forward gives %.9g, forward_f64 %.12g", i, (double)df[i], d[i]);
    hash_bytes(c, &lf, sizeof lf);
    hash_bytes(c, df, sizeof df);
    hash_bytes(c, &correct, sizeof correct);
}

static void loss_check_large(chk *c, const rnnlab_loss_ops *o, const void *self) {
    chk_run(c, "logits of magnitude 1e4");
    loss_case k;
    loss_case_init(&k, 1.0, 2);
    for (size_t i = 0; i < LOSS_N; i++) {
        k.logits_f[i] = k.logits_f[i] < 0 ? -1e4f : 1e4f;
        if (i < LOSS_C) k.logits_f[i] = 1e4f; /* a row of equal huge logits */
        k.logits[i] = k.logits_f[i];
    }
    double l64, lf, d[LOSS_N];
    rnnlab_real df[LOSS_N];
    size_t correct;
    if (!loss_f64(c, o, self, &k, k.logits, &l64, d)) return;
    if (!op_ok(c, o->forward(self, k.logits_f, &k.batch, &lf, &correct, df), "forward")) return;
    if (!finite_d(l64) || !finite_d(lf))
        note(c, "logits of +-1e4 give loss %g (forward_f64) and %g (forward)", l64, lf);
    for (size_t i = 0; i < LOSS_N; i++)
        if (!finite_d(d[i]) || !finite_d((double)df[i]))
            note(c, "logits of +-1e4 give dlogits[%zu] = %g (forward_f64), %g (forward)", i, d[i],
                 (double)df[i]);
}

static void check_loss(chk *c, const reg_component *comp, const rnnlab_value *values) {
    const rnnlab_loss_ops *o = &comp->ops.loss;
    if (o->target_kind != RNNLAB_TARGET_CLASS && o->target_kind != RNNLAB_TARGET_REAL) {
        note(c, "target_kind is %d", (int)o->target_kind);
        verdict(c, "target kind", "target_kind is RNNLAB_TARGET_CLASS or RNNLAB_TARGET_REAL");
        return;
    }
    void *self = NULL;
    if (o->create) {
        chk_run(c, "create");
        if (!op_ok(c, o->create(c->host, values, &self), "create with the schema defaults")) {
            verdict(c, "create", "create succeeds with the schema defaults");
            return;
        }
    }
    loss_case k;
    loss_case_init(&k, 2.0, 1);
    double loss = 0.0, d[LOSS_N];
    chk_run(c, "forward_f64");
    int ok = loss_f64(c, o, self, &k, k.logits, &loss, d);
    if (ok && !finite_d(loss)) note(c, "loss on N(0, 4) logits is %g", loss);
    if (verdict(c, "forward_f64 succeeds with a finite loss",
                "ops return RNNLAB_OK on valid "
                "input")) {
        loss_check_grad(c, o, self, &k, d);
        verdict(c,
                "gradient check (dlogits vs central differences, 6x5 logits, rows 2 and 4 "
                "masked)",
                "dlogits = d(loss)/d(logits)");
        loss_check_masked(c, o, self, &k, loss, d);
        verdict(c, "masked rows contribute nothing",
                "masked rows get dlogits 0 and do not "
                "change the loss; no counted row: loss 0");
        loss_check_f32(c, o, self, &k, loss, d);
        verdict(c, "float path vs double path",
                "forward computes forward_f64 in float; "
                "dlogits may be NULL");
        loss_check_large(c, o, self);
        verdict(c, "finite for logits of magnitude 1e4", "loss and dlogits stay finite");
        hash_bytes(c, &loss, sizeof loss);
        hash_bytes(c, d, sizeof d);
    }
    if (o->destroy) o->destroy(self);
}

/* ------------------------------------------------------------------------ */
/* Optimizer                                                                 */
/* ------------------------------------------------------------------------ */

#define OPT_N 16
#define OPT_STEPS 100

/* The quadratic f(p) = sum a_i (p_i - m_i)^2 / 2 and its start. */
typedef struct quad {
    double a[OPT_N], m[OPT_N];
    rnnlab_real p0[OPT_N];
} quad;

static void quad_init(quad *q) {
    rnnlab_rng rng;
    rng_seed(&rng, 0x6F707469u, 0);
    for (size_t i = 0; i < OPT_N; i++) {
        q->a[i] = 0.5 + 1.5 * rng_uniform(&rng);
        q->m[i] = rng_normal(&rng);
        q->p0[i] = (rnnlab_real)(q->m[i] + 2.0 * rng_normal(&rng));
    }
}

static double quad_value(const quad *q, const rnnlab_real *p, size_t n) {
    double f = 0.0;
    for (size_t i = 0; i < n; i++)
        f += 0.5 * q->a[i] * ((double)p[i] - q->m[i]) * ((double)p[i] - q->m[i]);
    return f;
}

static void quad_grad(const quad *q, const rnnlab_real *p, rnnlab_real *g, size_t n) {
    for (size_t i = 0; i < n; i++) g[i] = (rnnlab_real)(q->a[i] * ((double)p[i] - q->m[i]));
}

/* Host-owned state: slots arrays of n reals, zeroed as the host does. */
typedef struct opt_state {
    size_t slots, n;
    rnnlab_real *mem;
    rnnlab_real *ptr[MAX_SLOTS];
} opt_state;

static int state_alloc(opt_state *s, size_t slots, size_t n) {
    s->slots = slots;
    s->n = n;
    s->mem = calloc(slots * n + 1, sizeof *s->mem);
    for (size_t k = 0; k < slots; k++) s->ptr[k] = s->mem ? s->mem + k * n : NULL;
    return s->mem != NULL;
}

static void state_free(opt_state *s) {
    free(s->mem);
    s->mem = NULL;
}

typedef struct opt_ctx {
    chk *c;
    const rnnlab_optimizer_ops *o;
    const rnnlab_value *values;
    const quad *q;
} opt_ctx;

static int opt_create(opt_ctx *x, void **self) {
    chk_run(x->c, "create");
    *self = NULL;
    return op_ok(x->c, x->o->create(x->c->host, x->values, self),
                 "create with the schema defaults");
}

/* Steps t in [from, to) on p (n) with state s; checks grad is untouched and
 * the parameters stay finite. lr_scale is applied to every step. */
static int opt_steps(opt_ctx *x, void *self, rnnlab_real *p, size_t n, opt_state *s, uint64_t from,
                     uint64_t to, double lr_scale) {
    rnnlab_real g[OPT_N], g0[OPT_N];
    for (uint64_t t = from; t < to; t++) {
        quad_grad(x->q, p, g, n);
        memcpy(g0, g, sizeof g);
        rnnlab_optim_step info = {.lr_scale = lr_scale, .t = t};
        char what[96];
        snprintf(what, sizeof what, "step t = %llu", (unsigned long long)t);
        if (!op_ok(x->c, x->o->step(self, &info, p, g, s->slots ? s->ptr : NULL, n), what))
            return 0;
        if (memcmp(g, g0, n * sizeof *g) != 0) {
            note(x->c,
                 "step t = %llu wrote to grad (read-only: weight decay must not modify "
                 "it)",
                 (unsigned long long)t);
            return 0;
        }
        for (size_t i = 0; i < n; i++)
            if (!finite_d((double)p[i])) {
                note(x->c, "step t = %llu made param[%zu] = %g", (unsigned long long)t, i,
                     (double)p[i]);
                return 0;
            }
    }
    return 1;
}

static size_t opt_slots(opt_ctx *x, void *self) {
    size_t k = x->o->state_slots(self);
    if (k > MAX_SLOTS) note(x->c, "state_slots() = %zu, more than the checker's %d", k, MAX_SLOTS);
    return k > MAX_SLOTS ? MAX_SLOTS : k;
}

/* Descent and read-only grad; returns the trajectory's end in `end`. */
static void opt_check_descent(opt_ctx *x, rnnlab_real *end) {
    void *self;
    if (!opt_create(x, &self)) return;
    opt_state s;
    size_t slots = opt_slots(x, self);
    if (state_alloc(&s, slots, OPT_N)) {
        memcpy(end, x->q->p0, OPT_N * sizeof *end);
        chk_run(x->c, "100 steps on a convex quadratic");
        if (opt_steps(x, self, end, OPT_N, &s, 1, OPT_STEPS + 1, 1.0)) {
            double f0 = quad_value(x->q, x->q->p0, OPT_N), f1 = quad_value(x->q, end, OPT_N);
            if (!(f1 < f0))
                note(x->c,
                     "f(p) = sum a (p - m)^2 / 2 went from %.9g to %.9g in %d steps with "
                     "the default settings and lr_scale 1",
                     f0, f1, OPT_STEPS);
            if (x->o->state_slots(self) != slots)
                note(x->c, "state_slots() changed from %zu to %zu while stepping", slots,
                     x->o->state_slots(self));
        }
        hash_bytes(x->c, end, OPT_N * sizeof *end);
        hash_bytes(x->c, s.mem, slots * OPT_N * sizeof *s.mem);
        state_free(&s);
    }
    x->o->destroy(self);
}

static void opt_check_zero_lr(opt_ctx *x) {
    void *self;
    if (!opt_create(x, &self)) return;
    opt_state s;
    if (state_alloc(&s, opt_slots(x, self), OPT_N)) {
        rnnlab_real p[OPT_N];
        memcpy(p, x->q->p0, sizeof p);
        chk_run(x->c, "steps with lr_scale = 0");
        if (opt_steps(x, self, p, OPT_N, &s, 1, 4, 0.0) && memcmp(p, x->q->p0, sizeof p) != 0) {
            size_t i = 0;
            while (p[i] == x->q->p0[i]) i++;
            note(x->c, "3 steps with lr_scale = 0 moved param[%zu] from %.9g to %.9g", i,
                 (double)x->q->p0[i], (double)p[i]);
        }
        state_free(&s);
    }
    x->o->destroy(self);
}

/* Stops after 40 steps, copies the state to new memory (poisoning the old),
 * resumes with a fresh instance: the end must equal the straight run's. */
static void opt_check_resume(opt_ctx *x, const rnnlab_real *straight) {
    void *a, *b;
    if (!opt_create(x, &a)) return;
    opt_state s, s2;
    size_t slots = opt_slots(x, a);
    if (!state_alloc(&s, slots, OPT_N)) {
        x->o->destroy(a);
        return;
    }
    rnnlab_real p[OPT_N];
    memcpy(p, x->q->p0, sizeof p);
    chk_run(x->c, "steps 1..40, then a fresh instance resumes from copied state");
    int ok = opt_steps(x, a, p, OPT_N, &s, 1, 41, 1.0);
    x->o->destroy(a);
    if (ok && state_alloc(&s2, slots, OPT_N)) {
        memcpy(s2.mem, s.mem, slots * OPT_N * sizeof *s.mem);
        for (size_t i = 0; i < slots * OPT_N; i++) s.mem[i] = NAN;
        if (opt_create(x, &b)) {
            if (opt_steps(x, b, p, OPT_N, &s2, 41, OPT_STEPS + 1, 1.0) &&
                memcmp(p, straight, sizeof p) != 0) {
                size_t i = 0;
                while (p[i] == straight[i]) i++;
                note(x->c,
                     "after %d steps param[%zu] is %.9g straight through but %.9g when a "
                     "fresh instance resumed at t = 41 from a copy of the %zu state "
                     "arrays",
                     OPT_STEPS, i, (double)straight[i], (double)p[i], slots);
            }
            x->o->destroy(b);
        }
        state_free(&s2);
    }
    state_free(&s);
}

/* The host calls step once per parameter tensor with that tensor's state:
 * one instance stepping two tensors must match one instance per tensor. */
static void opt_check_two_tensors(opt_ctx *x) {
    enum { NP = OPT_N, NQ = 7 };
    void *shared, *one, *two;
    if (!opt_create(x, &shared)) return;
    if (!opt_create(x, &one)) {
        x->o->destroy(shared);
        return;
    }
    if (!opt_create(x, &two)) {
        x->o->destroy(shared);
        x->o->destroy(one);
        return;
    }
    size_t slots = opt_slots(x, shared);
    opt_state sp, sq, tp, tq;
    int ok = state_alloc(&sp, slots, NP) & state_alloc(&sq, slots, NQ) &
             state_alloc(&tp, slots, NP) & state_alloc(&tq, slots, NQ);
    rnnlab_real p[NP], q[NQ], p2[NP], q2[NQ];
    memcpy(p, x->q->p0, sizeof p);
    memcpy(p2, x->q->p0, sizeof p2);
    memcpy(q, x->q->p0 + 3, sizeof q);
    memcpy(q2, x->q->p0 + 3, sizeof q2);
    chk_run(x->c, "one instance stepping two tensors");
    for (uint64_t t = 1; ok && t <= 10; t++) {
        ok = opt_steps(x, shared, p, NP, &sp, t, t + 1, 1.0) &&
             opt_steps(x, shared, q, NQ, &sq, t, t + 1, 1.0) &&
             opt_steps(x, one, p2, NP, &tp, t, t + 1, 1.0) &&
             opt_steps(x, two, q2, NQ, &tq, t, t + 1, 1.0);
    }
    if (ok && (memcmp(p, p2, sizeof p) != 0 || memcmp(q, q2, sizeof q) != 0))
        note(x->c, "after 10 steps of tensors of 16 and 7 elements, one shared instance and one "
                   "instance per tensor give different parameters");
    state_free(&sp);
    state_free(&sq);
    state_free(&tp);
    state_free(&tq);
    x->o->destroy(shared);
    x->o->destroy(one);
    x->o->destroy(two);
}

static void check_optimizer(chk *c, const reg_component *comp, const rnnlab_value *values) {
    quad q;
    quad_init(&q);
    opt_ctx x = {c, &comp->ops.optimizer, values, &q};
    rnnlab_real end[OPT_N];
    void *probe;
    if (!opt_create(&x, &probe)) {
        verdict(c, "create", "create succeeds with the schema defaults");
        return;
    }
    x.o->destroy(probe);
    opt_check_descent(&x, end);
    int descended = verdict(c,
                            "descends on a convex quadratic (100 steps, defaults); grad "
                            "untouched",
                            "step lowers a convex loss and only reads grad");
    opt_check_zero_lr(&x);
    verdict(c, "lr_scale = 0 changes nothing", "with lr_scale = 0, step leaves param unchanged");
    if (descended) {
        opt_check_resume(&x, end);
        verdict(c, "state round-trips through host-owned copies",
                "all per-parameter state lives "
                "in the host's state arrays "
                "and t");
    }
    opt_check_two_tensors(&x);
    verdict(c, "one instance serves several tensors",
            "step keeps no per-tensor state in the "
            "instance");
}

/* ------------------------------------------------------------------------ */
/* Tokenizer                                                                 */
/* ------------------------------------------------------------------------ */

static const char tok_corpus[] =
    "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs on.\n"
    "Recurrent networks read one token at a time, carrying a hidden state forward.\n"
    "다람쥐 헌 쳇바퀴에 타고파. 키스의 고유조건은 입술끼리 만나야 하고 특별한 기술은 필요치 "
    "않다.\n"
    "한국어 문장과 English words, mixed: 1 2 3, 4.5 -- and \"quotes\" (parens) [brackets]!\n"
    "Café, naïve, résumé; 東京 and 서울 — an em dash and a tab\there.\n"
    "the the the fox fox dog 다람쥐 다람쥐 서울 서울 서울\n";

/* Nonzero if s (n bytes) is well-formed UTF-8. */
static int utf8_valid(const unsigned char *s, size_t n, size_t *bad) {
    size_t i = 0;
    while (i < n) {
        unsigned char b = s[i];
        size_t len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
        if (!len || i + len > n) break;
        size_t k = 1;
        while (k < len && (s[i + k] & 0xC0) == 0x80) k++;
        if (k < len) break;
        i += len;
    }
    *bad = i;
    return i == n;
}

typedef struct tok_ctx {
    chk *c;
    const rnnlab_tokenizer_ops *o;
    const rnnlab_value *values;
} tok_ctx;

static int tok_create(tok_ctx *x, void **self, int fit) {
    chk_run(x->c, fit ? "create and fit on the corpus" : "create");
    *self = NULL;
    if (!op_ok(x->c, x->o->create(x->c->host, x->values, self), "create with the schema defaults"))
        return 0;
    if (fit && !op_ok(x->c, x->o->fit(*self, tok_corpus, sizeof tok_corpus - 1), "fit")) {
        x->o->destroy(*self);
        return 0;
    }
    return 1;
}

/* Encodes text into a malloc'd array, checking the counting convention. */
static int32_t *tok_encode(tok_ctx *x, void *self, const char *text, size_t len, size_t *n) {
    chk *c = x->c;
    chk_run(c, "encode");
    size_t need = 0, got = 0;
    if (!op_ok(c, x->o->encode(self, text, len, NULL, 0, &need), "encode with ids = NULL"))
        return NULL;
    int32_t *ids = malloc((need + 1) * sizeof *ids);
    if (!ids) return NULL;
    if (!op_ok(c, x->o->encode(self, text, len, ids, need, &got), "encode") || got != need) {
        note(c, "encode counted %zu ids but wrote %zu", need, got);
        free(ids);
        return NULL;
    }
    if (need > 0) {
        size_t small = 0;
        int rc = x->o->encode(self, text, len, ids, need - 1, &small);
        if (rc != RNNLAB_ERR_INVALID || small != need)
            note(c,
                 "encode with cap = %zu (one short) returned %d with *n_out = %zu; expected "
                 "RNNLAB_ERR_INVALID and %zu",
                 need - 1, rc, small, need);
        if (!op_ok(c, x->o->encode(self, text, len, ids, need, &got), "encode")) {
            free(ids);
            return NULL;
        }
    }
    size_t vocab = x->o->vocab_size(self);
    for (size_t i = 0; i < need; i++)
        if (ids[i] < 0 || (size_t)ids[i] >= vocab) {
            note(c, "encode produced id %d at position %zu, outside [0, vocab_size = %zu)", ids[i],
                 i, vocab);
            break;
        }
    *n = need;
    return ids;
}

/* Decodes ids into a malloc'd string, checking the counting convention. */
static char *tok_decode(tok_ctx *x, void *self, const int32_t *ids, size_t n, size_t *len) {
    chk *c = x->c;
    chk_run(c, "decode");
    size_t need = 0, got = 0;
    if (!op_ok(c, x->o->decode(self, ids, n, NULL, 0, &need), "decode with out = NULL"))
        return NULL;
    char *out = malloc(need + 1);
    if (!out) return NULL;
    if (!op_ok(c, x->o->decode(self, ids, n, out, need + 1, &got), "decode") || got != need ||
        out[need] != '\0') {
        note(c, "decode counted %zu bytes but wrote %zu (or no NUL after them)", need, got);
        free(out);
        return NULL;
    }
    size_t small = 0;
    int rc = x->o->decode(self, ids, n, out, need, &small); /* no room for the NUL */
    if (rc != RNNLAB_ERR_INVALID || small != need)
        note(c,
             "decode with cap = %zu (no room for the NUL) returned %d with *len_out = %zu; "
             "expected RNNLAB_ERR_INVALID and %zu",
             need, rc, small, need);
    if (!op_ok(c, x->o->decode(self, ids, n, out, need + 1, &got), "decode")) {
        free(out);
        return NULL;
    }
    *len = need;
    return out;
}

static void tok_check_round_trip(tok_ctx *x, void *self) {
    chk *c = x->c;
    size_t n = 0, len = 0, n2 = 0, len2 = 0, bad;
    int32_t *ids = tok_encode(x, self, tok_corpus, sizeof tok_corpus - 1, &n);
    char *text = ids ? tok_decode(x, self, ids, n, &len) : NULL;
    int32_t *ids2 = text ? tok_encode(x, self, text, len, &n2) : NULL;
    char *text2 = ids2 ? tok_decode(x, self, ids2, n2, &len2) : NULL;
    if (text && !utf8_valid((const unsigned char *)text, len, &bad))
        note(c, "decode(encode(corpus)) is not valid UTF-8 at byte %zu", bad);
    int exact = text && len == sizeof tok_corpus - 1 && memcmp(text, tok_corpus, len) == 0;
    if (text2 && !exact && (len2 != len || memcmp(text, text2, len) != 0))
        note(c,
             "decode(encode(x)) is neither x nor stable: applying it again changes %zu bytes "
             "into %zu",
             len, len2);
    if (ids) hash_bytes(c, ids, n * sizeof *ids);
    verdict(c, "encode/decode round trip on UTF-8 text with Korean; counting conventions",
            "decode(encode(x)) == x, or is a fixed point for normalising tokenizers; ids < "
            "vocab_size; ids/out = NULL count, a short cap gives RNNLAB_ERR_INVALID");
    if (text && !exact) {
        size_t i = 0;
        while (i < len && i < sizeof tok_corpus - 1 && text[i] == tok_corpus[i]) i++;
        warn(c,
             "round trip is not exact (first difference at byte %zu); fine for a tokenizer "
             "that normalises or maps rare words to <unk>",
             i);
    }
    free(ids);
    free(text);
    free(ids2);
    free(text2);
}

/* save into a malloc'd copy (the plugin's buffer goes back to host->free). */
static char *tok_save(tok_ctx *x, void *self, size_t *len) {
    chk *c = x->c;
    chk_run(c, "save");
    char *buf = NULL;
    if (!op_ok(c, x->o->save(self, &buf, len), "save")) return NULL;
    char *copy = malloc(*len + 1);
    if (copy) {
        memcpy(copy, buf, *len);
        copy[*len] = '\0';
    }
    c->host->free(c->host, buf);
    size_t bad;
    if (copy && strlen(copy) != *len) note(c, "save's text holds a NUL byte at %zu", strlen(copy));
    if (copy && !utf8_valid((const unsigned char *)copy, *len, &bad))
        note(c, "save's text is not valid UTF-8 at byte %zu", bad);
    return copy;
}

static void tok_check_save_load(tok_ctx *x, void *self) {
    chk *c = x->c;
    size_t len = 0, len2 = 0, n = 0, n2 = 0;
    char *saved = tok_save(x, self, &len);
    void *other = NULL, *third = NULL;
    if (saved && tok_create(x, &other, 0)) {
        chk_run(c, "load(save()) into a fresh instance");
        if (op_ok(c, x->o->load(other, saved, len), "load of save's text")) {
            if (x->o->vocab_size(other) != x->o->vocab_size(self))
                note(c, "vocab_size is %zu after load, %zu before save", x->o->vocab_size(other),
                     x->o->vocab_size(self));
            int32_t *a = tok_encode(x, self, tok_corpus, sizeof tok_corpus - 1, &n);
            int32_t *b = tok_encode(x, other, tok_corpus, sizeof tok_corpus - 1, &n2);
            if (a && b && (n != n2 || memcmp(a, b, n * sizeof *a) != 0))
                note(c, "the loaded instance encodes the corpus differently (%zu ids vs %zu)", n2,
                     n);
            free(a);
            free(b);
        }
        x->o->destroy(other);
    }
    verdict(c, "save/load round trip",
            "load(save()) restores a state that encodes identically; "
            "save writes UTF-8 without NUL");
    if (saved && tok_create(x, &third, 1)) {
        char *again = tok_save(x, third, &len2);
        if (again && (len2 != len || memcmp(again, saved, len) != 0))
            note(c,
                 "two fresh instances fitted on the same text save different states (%zu and "
                 "%zu bytes)",
                 len, len2);
        free(again);
        x->o->destroy(third);
    }
    verdict(c, "deterministic vocabulary", "fitting the same text gives the same state");
    if (saved) hash_bytes(c, saved, len);
    free(saved);
}

static void tok_check_malformed(tok_ctx *x) {
    chk *c = x->c;
    static const char garbage[] = "\x01\x02 this is not a saved tokenizer state \xff\n";
    void *self;
    if (!tok_create(x, &self, 0)) return;
    chk_run(c, "load of malformed text");
    int rc = x->o->load(self, garbage, sizeof garbage - 1);
    if (rc == RNNLAB_OK)
        note(c, "load accepted %zu bytes of binary garbage (\\x01\\x02 this is not ...)",
             sizeof garbage - 1);
    x->o->destroy(self);
    verdict(c, "load rejects malformed input", "load rejects malformed input with an error");
}

static void check_tokenizer(chk *c, const reg_component *comp, const rnnlab_value *values) {
    tok_ctx x = {c, &comp->ops.tokenizer, values};
    void *self;
    if (!tok_create(&x, &self, 1)) {
        verdict(c, "create and fit", "create and fit succeed on UTF-8 text");
        return;
    }
    if (x.o->vocab_size(self) == 0) note(c, "vocab_size() is 0 after fitting the corpus");
    verdict(c, "create and fit", "create and fit succeed on UTF-8 text");
    tok_check_round_trip(&x, self);
    tok_check_save_load(&x, self);
    x.o->destroy(self);
    tok_check_malformed(&x);
}

/* ------------------------------------------------------------------------ */
/* Loader                                                                    */
/* ------------------------------------------------------------------------ */

/* The tokenizer the loader checks hand to loaders, so a loader can be
 * checked without any other plugin: one id per whitespace-separated word
 * (word loaders such as conllu need that), 1 + FNV-1a(word) % 4095, with 0
 * left for nothing. decode writes "w<id>" words. */
#define WORD_IDS 4096
static int word_fit(void *self, const char *text, size_t len) {
    (void)self, (void)text, (void)len;
    return RNNLAB_OK;
}
static size_t word_vocab(const void *self) {
    (void)self;
    return WORD_IDS;
}
static int is_space(char ch) { return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r'; }
static int word_encode(const void *self, const char *text, size_t len, int32_t *ids, size_t cap,
                       size_t *n_out) {
    (void)self;
    size_t n = 0;
    for (size_t i = 0; i < len;) {
        if (is_space(text[i])) {
            i++;
            continue;
        }
        uint64_t h = 0xCBF29CE484222325ull;
        for (; i < len && !is_space(text[i]); i++)
            h = (h ^ (unsigned char)text[i]) * 0x100000001B3ull;
        if (ids && n < cap) ids[n] = (int32_t)(1 + h % (WORD_IDS - 1));
        n++;
    }
    *n_out = n;
    return ids && cap < n ? RNNLAB_ERR_INVALID : RNNLAB_OK;
}
static int word_decode(const void *self, const int32_t *ids, size_t n, char *out, size_t cap,
                       size_t *len_out) {
    (void)self;
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        char w[24];
        int k = snprintf(w, sizeof w, "%sw%d", i ? " " : "", (int)ids[i]);
        if (out && used + (size_t)k < cap) memcpy(out + used, w, (size_t)k);
        used += (size_t)k;
    }
    *len_out = used;
    if (!out) return RNNLAB_OK;
    if (cap < used + 1) return RNNLAB_ERR_INVALID;
    out[used] = '\0';
    return RNNLAB_OK;
}
static int word_save(const void *self, char **buf, size_t *len) {
    const rnnlab_host *host = self;
    *buf = host->alloc(host, 5);
    if (!*buf) return RNNLAB_ERR_NOMEM;
    memcpy(*buf, "word", 5);
    *len = 4;
    return RNNLAB_OK;
}
static int word_load(void *self, const char *buf, size_t len) {
    (void)self;
    return len == 4 && memcmp(buf, "word", 4) == 0 ? RNNLAB_OK : RNNLAB_ERR_FORMAT;
}
static const rnnlab_tokenizer_ops word_tokenizer = {
    .struct_size = sizeof(rnnlab_tokenizer_ops),
    .fit = word_fit,
    .vocab_size = word_vocab,
    .encode = word_encode,
    .decode = word_decode,
    .save = word_save,
    .load = word_load,
};

/* Sample data for loaders' required PATH params, tried in this order. */
enum { SAMPLE_TEXT, SAMPLE_TSV, SAMPLE_CONLLU, SAMPLE_COUNT };
static const char *const sample_names[] = {"plain text", "TSV (label<TAB>text)", "CoNLL-U"};

static int sample_write(const char *path, int kind) {
    FILE *f = fopen(path, "w");
    if (!f) return 0;
    static const char *const words[] = {"the", "fox", "runs", "dog", "sleeps", "a", "cat", "sees"};
    static const char *const tags[] = {"DET",  "NOUN", "VERB", "NOUN",
                                       "VERB", "DET",  "NOUN", "VERB"};
    for (int line = 0; line < 200; line++) {
        int len = 3 + line % 5;
        if (kind == SAMPLE_TEXT) {
            fputs(tok_corpus, f);
            continue;
        }
        if (kind == SAMPLE_TSV) {
            fprintf(f, "%s\t", line % 3 == 0 ? "pos" : line % 3 == 1 ? "neg" : "mixed");
            for (int w = 0; w < len; w++) fprintf(f, "%s%s", w ? " " : "", words[(line + w) % 8]);
            fputc('\n', f);
            continue;
        }
        fprintf(f, "# sent_id = %d\n", line + 1);
        for (int w = 0; w < len; w++) {
            int k = (line + w) % 8;
            fprintf(f, "%d\t%s\t%s\t%s\t_\t_\t%d\t_\t_\t_\n", w + 1, words[k], words[k], tags[k],
                    w);
        }
        fputc('\n', f);
    }
    return fclose(f) == 0;
}

/* Fills the values of required PATH params with a sample file of `kind`;
 * returns 0 if a required param is not a PATH (cannot be filled). */
static int loader_values(const reg_component *comp, const rnnlab_value *defaults,
                         rnnlab_value *values, const char *sample) {
    memcpy(values, defaults, comp->nparams * sizeof *values);
    for (size_t i = 0; i < comp->nparams; i++) {
        const rnnlab_param *p = &comp->params[i];
        if (!(p->flags & RNNLAB_PARAM_REQUIRED)) continue;
        if (!(p->flags & RNNLAB_PARAM_PATH) || p->type != RNNLAB_PARAM_STRING) return 0;
        values[i].s = sample;
    }
    return 1;
}

typedef struct ld_arrays {
    size_t T, B, in, out;
    rnnlab_batch b;
    void *blocks[7];
} ld_arrays;

static void ld_free(ld_arrays *a) {
    for (int i = 0; i < 7; i++) free(a->blocks[i]);
}

/* The host's arrays at info's sizes, filled with garbage the loader must
 * overwrite or zero. */
static int ld_alloc(ld_arrays *a, const rnnlab_data_info *info) {
    memset(a, 0, sizeof *a);
    a->T = info->max_len, a->B = info->batch_size;
    a->in = info->input_kind == RNNLAB_INPUT_DENSE ? info->input_size : 0;
    a->out = info->target_kind == RNNLAB_TARGET_REAL ? info->output_size : 0;
    size_t tb = a->T * a->B;
    size_t sizes[7] = {tb * 4, tb * a->in * sizeof(rnnlab_real) + 1,  tb, a->B * 4,
                       tb * 4, tb * a->out * sizeof(rnnlab_real) + 1, tb};
    for (int i = 0; i < 7; i++)
        if (!(a->blocks[i] = malloc(sizes[i] + 1))) return 0;
    a->b = (rnnlab_batch){0,
                          0,
                          a->blocks[0],
                          a->blocks[1],
                          a->blocks[2],
                          a->blocks[3],
                          a->blocks[4],
                          a->blocks[5],
                          a->blocks[6]};
    return 1;
}

static void ld_poison(ld_arrays *a) {
    size_t tb = a->T * a->B;
    memset(a->b.ids, 0x5A, tb * 4);
    memset(a->b.x, 0x5A, tb * a->in * sizeof(rnnlab_real));
    memset(a->b.mask, 0x5A, tb);
    memset(a->b.lengths, 0x5A, a->B * 4);
    memset(a->b.target_ids, 0x5A, tb * 4);
    memset(a->b.target_values, 0x5A, tb * a->out * sizeof(rnnlab_real));
    memset(a->b.target_mask, 0x5A, tb);
}

/* Checks one filled batch against info; notes the first problem. */
static int ld_check_batch(chk *c, const rnnlab_data_info *info, const ld_arrays *a,
                          const char *where) {
    const rnnlab_batch *b = &a->b;
    size_t T = b->T, B = b->B;
    if (T < 1 || T > info->max_len || B < 1 || B > info->batch_size) {
        note(c,
             "%s: T = %zu, B = %zu; expected 1 <= T <= max_len = %zu, 1 <= B <= batch_size = "
             "%zu",
             where, T, B, info->max_len, info->batch_size);
        return 0;
    }
    int last = info->head == RNNLAB_HEAD_LAST;
    for (size_t s = 0; s < B; s++)
        if (b->lengths[s] < 1 || (size_t)b->lengths[s] > T)
            return note_stop(c, "%s: lengths[%zu] = %d, expected 1..T = %zu", where, s,
                             b->lengths[s], T);
    for (size_t t = 0; t < T; t++)
        for (size_t s = 0; s < B; s++) {
            size_t e = t * B + s;
            int real = (int32_t)t < b->lengths[s];
            if (b->mask[e] != real)
                return note_stop(c, "%s: mask[t = %zu][b = %zu] = %d but lengths[b] = %d", where, t,
                                 s, b->mask[e], b->lengths[s]);
            if (info->input_kind == RNNLAB_INPUT_IDS && real &&
                (b->ids[e] < 0 || (size_t)b->ids[e] >= info->input_size))
                return note_stop(c, "%s: ids[t = %zu][b = %zu] = %d, outside [0, input_size = %zu)",
                                 where, t, s, b->ids[e], info->input_size);
            if (!last && b->target_mask[e] && !real)
                return note_stop(c, "%s: target_mask[t = %zu][b = %zu] scores a padding step",
                                 where, t, s);
        }
    size_t nt = last ? B : T * B;
    for (size_t e = 0; e < nt; e++) {
        if (b->target_mask[e] > 1)
            return note_stop(c, "%s: target_mask[%zu] = %d, expected 0 or 1", where, e,
                             b->target_mask[e]);
        if (b->target_mask[e] && info->target_kind == RNNLAB_TARGET_CLASS &&
            (b->target_ids[e] < 0 || (size_t)b->target_ids[e] >= info->output_size))
            return note_stop(c, "%s: target_ids[%zu] = %d, outside [0, output_size = %zu)", where,
                             e, b->target_ids[e], info->output_size);
        for (size_t k = 0; k < a->out && b->target_mask[e]; k++)
            if (!finite_d((double)b->target_values[e * a->out + k]))
                return note_stop(c, "%s: target_values[%zu][%zu] is not finite", where, e, k);
    }
    /* Past the batch's own entries, every array must be zeroed. */
    for (size_t e = T * B; e < a->T * a->B; e++)
        if (b->mask[e] || b->ids[e] || (!last && (b->target_mask[e] || b->target_ids[e])))
            return note_stop(c,
                             "%s: entry %zu past the batch's T*B = %zu is not zeroed (mask %d, ids "
                             "%d)",
                             where, e, T * B, b->mask[e], b->ids[e]);
    for (size_t s = B; s < a->B; s++)
        if (b->lengths[s])
            return note_stop(c, "%s: lengths[%zu] past B = %zu is %d, not 0", where, s, B,
                             b->lengths[s]);
    return 1;
}

/* The hash of a split's first batches (at most 8) in epoch `epoch`. */
static uint64_t ld_pass(chk *c, const rnnlab_loader_ops *o, void *self,
                        const rnnlab_data_info *info, ld_arrays *a, rnnlab_split split,
                        uint64_t epoch) {
    static const char *const split_names[] = {"train", "dev", "test"};
    uint64_t saved = c->hash;
    c->hash = 0xCBF29CE484222325ull;
    size_t nb = o->num_batches(self, split);
    char what[96];
    snprintf(what, sizeof what, "begin_epoch(%s, %llu)", split_names[split],
             (unsigned long long)epoch);
    chk_run(c, what);
    if (nb && op_ok(c, o->begin_epoch(self, split, epoch), what)) {
        for (size_t i = 0; i < nb && i < 8; i++) {
            ld_poison(a);
            snprintf(what, sizeof what, "%s batch %zu of epoch %llu", split_names[split], i,
                     (unsigned long long)epoch);
            chk_run(c, what);
            if (!op_ok(c, o->batch(self, split, i, &a->b), what)) break;
            ld_check_batch(c, info, a, what);
            size_t T = a->b.T, B = a->b.B;
            if (T > a->T || B > a->B) break;
            hash_bytes(c, a->b.ids, T * B * 4);
            hash_bytes(c, a->b.mask, T * B);
            hash_bytes(c, a->b.target_ids, T * B * 4);
        }
    }
    uint64_t h = c->hash;
    c->hash = saved;
    hash_bytes(c, &h, sizeof h);
    return h;
}

static int ld_open(chk *c, const rnnlab_loader_ops *o, const rnnlab_value *values, void **self) {
    chk_run(c, "open");
    rnnlab_tokenizer_ref tok = {&word_tokenizer, c->host};
    *self = NULL;
    return o->open(c->host, values, tok, NULL, 7, self);
}

static void ld_check_opened(chk *c, const rnnlab_loader_ops *o, void *self,
                            const rnnlab_value *values) {
    rnnlab_data_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    chk_run(c, "info");
    if (!op_ok(c, o->info(self, &info), "info")) return;
    if (info.batch_size < 1 || info.max_len < 1 || info.input_size < 1 || info.output_size < 1 ||
        (info.input_kind != RNNLAB_INPUT_IDS && info.input_kind != RNNLAB_INPUT_DENSE) ||
        (info.target_kind != RNNLAB_TARGET_CLASS && info.target_kind != RNNLAB_TARGET_REAL) ||
        (info.head != RNNLAB_HEAD_PER_STEP && info.head != RNNLAB_HEAD_LAST))
        note(c,
             "info: batch_size %zu, max_len %zu, input_size %zu, output_size %zu, kinds %d/%d/%d",
             info.batch_size, info.max_len, info.input_size, info.output_size, (int)info.input_kind,
             (int)info.target_kind, (int)info.head);
    if (!verdict(c, "info describes a usable shape", "info reports sizes >= 1 and valid kinds"))
        return;
    if (info.max_len * info.batch_size > 50000000) {
        warn(c, "skipped batch checks: batches of %zu x %zu are too large to check", info.max_len,
             info.batch_size);
        return;
    }
    ld_arrays a;
    if (!ld_alloc(&a, &info)) {
        ld_free(&a);
        return;
    }
    uint64_t first = ld_pass(c, o, self, &info, &a, RNNLAB_SPLIT_TRAIN, 0);
    if (!o->num_batches(self, RNNLAB_SPLIT_TRAIN)) note(c, "the train split has no batches");
    ld_pass(c, o, self, &info, &a, RNNLAB_SPLIT_DEV, 0);
    ld_pass(c, o, self, &info, &a, RNNLAB_SPLIT_TEST, 0);
    verdict(c, "batch shapes, masks and zeroed padding (first 8 batches of each split)",
            "1 <= T <= max_len, 1 <= B <= batch_size, mask[t][b] == (t < lengths[b]), ids < "
            "input_size, unused entries zeroed");
    uint64_t again = ld_pass(c, o, self, &info, &a, RNNLAB_SPLIT_TRAIN, 0);
    void *second;
    uint64_t other = again;
    if (ld_open(c, o, values, &second) == RNNLAB_OK) {
        other = ld_pass(c, o, second, &info, &a, RNNLAB_SPLIT_TRAIN, 0);
        o->close(second);
    } else {
        op_ok(c, RNNLAB_ERR_INVALID, "a second open with the same params");
    }
    if (again != first)
        note(c, "begin_epoch(train, 0) twice on one instance gave different batches");
    else if (other != first)
        note(c, "two instances opened with seed 7 gave different train batches in epoch 0");
    verdict(c, "same order for the same seed", "the batch order depends only on (seed, epoch)");
    ld_free(&a);
}

static void check_loader(chk *c, const reg_component *comp, const rnnlab_value *defaults) {
    const rnnlab_loader_ops *o = &comp->ops.loader;
    char dir[] = "/tmp/rnnlab-check-XXXXXX";
    if (!mkdtemp(dir)) {
        warn(c, "skipped: cannot make a temp folder for sample data: %s", strerror(errno));
        return;
    }
    rnnlab_value values[MAX_PARAMS];
    char path[64], last[512] = "";
    void *self = NULL;
    int opened = 0;
    for (int kind = 0; kind < SAMPLE_COUNT && !opened; kind++) {
        snprintf(path, sizeof path, "%s/sample%d", dir, kind);
        if (!sample_write(path, kind)) continue;
        if (!loader_values(comp, defaults, values, path)) {
            snprintf(last, sizeof last, "a required parameter is not a file path");
            break;
        }
        err_clear(&c->err);
        int rc = ld_open(c, o, values, &self);
        opened = rc == RNNLAB_OK;
        if (!opened)
            snprintf(last, sizeof last, "%s: %.400s", sample_names[kind],
                     c->err.msg[0] ? c->err.msg : status_name(rc));
    }
    err_clear(&c->err);
    if (opened) {
        ld_check_opened(c, o, self, values);
        o->close(self);
    } else {
        warn(c,
             "skipped: needs real data (open failed on generated plain-text, TSV and CoNLL-U "
             "samples; last: %s)",
             last);
    }
    for (int kind = 0; kind < SAMPLE_COUNT; kind++) {
        snprintf(path, sizeof path, "%s/sample%d", dir, kind);
        unlink(path);
    }
    rmdir(dir);
}

/* ------------------------------------------------------------------------ */
/* Per component                                                             */
/* ------------------------------------------------------------------------ */

/* Parses every default; required params get zero values (loaders fill
 * their PATH ones). Returns 0 if some required param can't be filled. */
static int schema_defaults(chk *c, const reg_component *comp, rnnlab_value *values,
                           int *has_required) {
    rnnlab_err e;
    *has_required = 0;
    for (size_t i = 0; i < comp->nparams; i++) {
        const rnnlab_param *p = &comp->params[i];
        memset(&values[i], 0, sizeof values[i]);
        values[i].s = "";
        if (!p->default_value) {
            *has_required = 1;
            continue;
        }
        err_clear(&e);
        if (config_parse_value(p, p->default_value, "schema default", kind_name(comp->kind),
                               &values[i], &e) != RNNLAB_OK)
            note(c, "param '%s' default '%s' does not parse: %s", p->key, p->default_value, e.msg);
    }
    return verdict(c, "schema defaults parse and lie within their bounds",
                   "every default_value is a valid value of its param");
}

typedef void (*kind_check_fn)(chk *, const reg_component *, const rnnlab_value *);

static kind_check_fn kind_check(rnnlab_kind kind) {
    switch (kind) {
    case RNNLAB_KIND_ACTIVATION: return check_activation;
    case RNNLAB_KIND_LOSS: return check_loss;
    case RNNLAB_KIND_OPTIMIZER: return check_optimizer;
    case RNNLAB_KIND_TOKENIZER: return check_tokenizer;
    case RNNLAB_KIND_LOADER: return check_loader;
    }
    return NULL;
}

static void check_component(chk *c, const reg_component *comp) {
    c->kind = kind_name(comp->kind);
    c->name = comp->name;
    if (comp->nparams > MAX_PARAMS) {
        warn(c, "skipped: %zu params, more than the checker's %d", comp->nparams, MAX_PARAMS);
        return;
    }
    rnnlab_value values[MAX_PARAMS];
    int has_required;
    if (!schema_defaults(c, comp, values, &has_required)) return;
    if (has_required && comp->kind != RNNLAB_KIND_LOADER) {
        warn(c, "skipped kind checks: required params without defaults cannot be filled in");
        return;
    }
    kind_check_fn fn = kind_check(comp->kind);
    long live0 = host_live_blocks(c->host);
    c->hash = 0xCBF29CE484222325ull;
    fn(c, comp, values);
    uint64_t first = c->hash;
    long live1 = host_live_blocks(c->host);
    if (live1 != live0)
        note(c, "%ld host blocks still live after every instance was destroyed", live1 - live0);
    verdict(c, "no leaks (counting host allocator)",
            "destroy/close frees everything the "
            "instance allocated through the host");
    /* The same checks again, silently: every output byte must repeat. */
    c->quiet = 1;
    c->hash = 0xCBF29CE484222325ull;
    fn(c, comp, values);
    c->quiet = 0;
    if (c->hash != first)
        note(c,
             "running the same checks twice gave different outputs (hash %016llx, then "
             "%016llx)",
             (unsigned long long)first, (unsigned long long)c->hash);
    verdict(c, "deterministic (all checks rerun: identical output bytes)",
            "the same inputs and seed give identical bytes");
}

/* The child: load, validate, check every component; writes to `out`. */
static void child_run(const char *path, FILE *out) {
    chk c;
    memset(&c, 0, sizeof c);
    c.out = out;
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    c.kind = "plugin";
    c.name = base;
    c.host = host_create(&c.err, NULL, RNNLAB_LOG_WARN);
    registry *r = NULL;
    if (!c.host || registry_new(&r, c.host, &c.err) != RNNLAB_OK) {
        note(&c, "the checker could not start: %s", c.err.msg);
        verdict(&c, "setup", "the checker has memory");
        return;
    }
    chk_run(&c, "dlopen and rnnlab_plugin_entry()");
    rnnlab_err load_err;
    err_clear(&load_err);
    if (registry_add_file(r, path, &load_err) != RNNLAB_OK) note(&c, "%s", load_err.msg);
    int loaded = verdict(&c, "stamp, descriptor, unique names, required ops, schema",
                         "the descriptor matches this rnnlab's ABI and is well formed");
    for (size_t i = 0; loaded && i < registry_count(r); i++) {
        check_component(&c, registry_at(r, i));
        c.quiet = 0;
    }
    registry_close(r);
    host_destroy(c.host);
}

/* ------------------------------------------------------------------------ */
/* The parent                                                                */
/* ------------------------------------------------------------------------ */

static void emit(FILE *report, plugin_check_summary *s, const char *line) {
    if (strncmp(line, "PASS ", 5) == 0)
        s->pass++;
    else if (strncmp(line, "FAIL ", 5) == 0)
        s->fail++;
    else if (strncmp(line, "WARN ", 5) == 0)
        s->warn++;
    else
        return;
    if (report) fprintf(report, "%s\n", line);
}

/* Reads the child's lines until EOF; `running` keeps the last RUN line. */
static void relay(FILE *in, FILE *report, plugin_check_summary *s, char *running, size_t size) {
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, in)) > 0) {
        if (line[n - 1] == '\n') line[n - 1] = '\0';
        if (strncmp(line, "RUN ", 4) == 0)
            snprintf(running, size, "%s", line + 4);
        else
            emit(report, s, line);
    }
    free(line);
}

static void report_exit(FILE *report, plugin_check_summary *s, int status, const char *running) {
    char line[1024];
    const char *where = running[0] ? running : "loading the plugin";
    if (WIFSIGNALED(status)) {
        int sig = WTERMSIG(status);
        if (sig == SIGALRM)
            snprintf(line, sizeof line,
                     "FAIL %s: did not finish within %d s: breaks \"ops return in bounded "
                     "time\" (killed by SIGALRM)",
                     where, CHILD_TIME_LIMIT);
        else
            snprintf(line, sizeof line,
                     "FAIL %s: crashed with signal %d (%s): breaks \"ops return a status, never "
                     "crash\"",
                     where, sig, strsignal(sig));
        emit(report, s, line);
    } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
        snprintf(line, sizeof line,
                 "FAIL %s: the process exited with status %d (exit() in the plugin, or a "
                 "sanitizer report on stderr): breaks \"plugins never exit\"",
                 where, WEXITSTATUS(status));
        emit(report, s, line);
    }
}

int plugin_check_file(const char *path, FILE *report, plugin_check_summary *out, rnnlab_err *err) {
    memset(out, 0, sizeof *out);
    char line[1024];
    check_exports(path, line, sizeof line);
    emit(report, out, line);
    int fds[2];
    if (pipe(fds) != 0)
        return err_set(err, RNNLAB_ERR_IO, "%s: cannot check: pipe failed: %s", path,
                       strerror(errno));
    if (report) fflush(report);
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return err_set(err, RNNLAB_ERR_IO, "%s: cannot check: fork failed: %s", path,
                       strerror(errno));
    }
    if (pid == 0) {
        close(fds[0]);
        /* A plugin must not print; keep anything it does out of the report. */
        int devnull = open("/dev/null", O_WRONLY);
        if (devnull >= 0) dup2(devnull, STDOUT_FILENO);
        FILE *pipe_out = fdopen(fds[1], "w");
        alarm(CHILD_TIME_LIMIT);
        if (pipe_out) {
            child_run(path, pipe_out);
            fclose(pipe_out);
        }
        _exit(pipe_out ? 0 : 70);
    }
    close(fds[1]);
    char running[512] = "";
    FILE *in = fdopen(fds[0], "r");
    if (in) {
        relay(in, report, out, running, sizeof running);
        fclose(in);
    } else {
        close(fds[0]);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    report_exit(report, out, status, running);
    if (report) {
        fprintf(report, "%s: %d checks: %d passed, %d failed, %d warnings\n", path,
                out->pass + out->fail + out->warn, out->pass, out->fail, out->warn);
        fflush(report);
    }
    return RNNLAB_OK;
}
