/* config.c -- see config.h.
 *
 * Parsing runs inih's ini_parse_stream over the text in memory with our own
 * reader (config_reader): inih (as packaged by Debian) neither passes line
 * numbers to the handler nor reports lines longer than its buffer, so the
 * reader counts lines itself and refuses an over-long line instead of
 * letting inih split it into two bogus lines. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fileio.h"
#include "suggest.h"

/* Where a section header was first seen, for config_check_sections. */
typedef struct config_section {
    char *name;
    char *origin;
    int line;
} config_section;

struct config {
    char *name; /* file path or caller-given name, for messages */
    char *dir;  /* folder relative PATH values are resolved against */
    /* Entries are allocated one by one so config_find's pointers survive
     * later appends. */
    config_entry **entries;
    size_t n_entries, cap_entries;
    config_section *sections;
    size_t n_sections, cap_sections;
    /* Strings handed out that no entry owns any more (replaced values) or
     * never did (resolved paths); freed only by config_free, so every
     * rnnlab_value.s stays valid for the config's lifetime. */
    char **pool;
    size_t n_pool, cap_pool;
};

/* ------------------------------------------------------------------------ */
/* Small helpers                                                             */
/* ------------------------------------------------------------------------ */

/* Grows *arr (of elem-sized items) so it can hold one more than *n. */
static int grow(void *arr, size_t *cap, size_t n, size_t elem) {
    if (n < *cap) return RNNLAB_OK;
    size_t ncap = *cap ? *cap * 2 : 8;
    void *p = realloc(*(void **)arr, ncap * elem);
    if (!p) return RNNLAB_ERR_NOMEM;
    *(void **)arr = p;
    *cap = ncap;
    return RNNLAB_OK;
}

static int pool_keep(config *c, char *s) {
    if (grow(&c->pool, &c->cap_pool, c->n_pool, sizeof *c->pool) != RNNLAB_OK)
        return RNNLAB_ERR_NOMEM;
    c->pool[c->n_pool++] = s;
    return RNNLAB_OK;
}

static char *dup_range(const char *s, size_t n) {
    char *p = malloc(n + 1);
    if (!p) return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* The folder part of path: "" for a bare file name, "/" for "/x.ini". */
static char *dir_of(const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup("");
    if (slash == path) return strdup("/");
    return dup_range(path, (size_t)(slash - path));
}

static int is_blank(int ch) { return isspace((unsigned char)ch) != 0; }

/* Trims [*s, *e) of surrounding whitespace. */
static void trim_range(const char **s, const char **e) {
    while (*s < *e && is_blank(**s)) (*s)++;
    while (*e > *s && is_blank((*e)[-1])) (*e)--;
}

/* Formats a schema bound: whole numbers plainly (65536, not 6.5536e+04),
 * others in the shortest form that reads back as the same double. */
static const char *fmt_bound(double v, char *buf, size_t size) {
    if (v == floor(v) && fabs(v) < 1e15) {
        snprintf(buf, size, "%.0f", v);
        return buf;
    }
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, size, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) break;
    }
    return buf;
}

/* ------------------------------------------------------------------------ */
/* Construction and access                                                   */
/* ------------------------------------------------------------------------ */

static config *config_create(const char *name, const char *dir) {
    config *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->name = strdup(name ? name : "config");
    c->dir = strdup(dir ? dir : "");
    if (!c->name || !c->dir) {
        config_free(c);
        return NULL;
    }
    return c;
}

config *config_new(const char *dir) { return config_create(NULL, dir); }

static void entry_free(config_entry *e) {
    if (!e) return;
    free(e->written);
    free(e->section);
    free(e->key);
    free(e->value);
    free(e->origin);
    free(e);
}

void config_free(config *c) {
    if (!c) return;
    for (size_t i = 0; i < c->n_entries; i++) entry_free(c->entries[i]);
    for (size_t i = 0; i < c->n_sections; i++) {
        free(c->sections[i].name);
        free(c->sections[i].origin);
    }
    for (size_t i = 0; i < c->n_pool; i++) free(c->pool[i]);
    free(c->entries);
    free(c->sections);
    free(c->pool);
    free(c->name);
    free(c->dir);
    free(c);
}

static config_entry *find_mut(const config *c, const char *section, const char *key) {
    for (size_t i = 0; i < c->n_entries; i++) {
        config_entry *e = c->entries[i];
        if (strcmp(e->section, section) == 0 && strcmp(e->key, key) == 0) return e;
    }
    return NULL;
}

const config_entry *config_find(const config *c, const char *section, const char *key) {
    return find_mut(c, section, key);
}

const char *config_get(const config *c, const char *section, const char *key,
                       const char *fallback) {
    const config_entry *e = config_find(c, section, key);
    return e ? e->value : fallback;
}

size_t config_count(const config *c) { return c->n_entries; }

const config_entry *config_at(const config *c, size_t i) {
    return i < c->n_entries ? c->entries[i] : NULL;
}

const char *config_dir(const config *c) { return c->dir; }

const char *config_name(const config *c) { return c->name; }

const char *config_where(const config_entry *e, char *buf, size_t size) {
    if (strcmp(e->origin, "--set") == 0)
        snprintf(buf, size, "--set %s.%s", e->section, e->key);
    else if (e->line > 0)
        snprintf(buf, size, "%s:%d", e->origin, e->line);
    else
        snprintf(buf, size, "%s", e->origin);
    return buf;
}

/* Replaces the value of e, keeping the old string alive in the pool because
 * an earlier validation may have handed it out. */
static int entry_replace(config *c, config_entry *e, const char *value, const char *origin,
                         int line) {
    char *v = strdup(value);
    char *o = strdup(origin);
    if (!v || !o || pool_keep(c, e->value) != RNNLAB_OK) {
        free(v);
        free(o);
        return RNNLAB_ERR_NOMEM;
    }
    free(e->origin);
    free(e->written);
    e->written = NULL;
    e->path_resolved = 0;
    e->value = v;
    e->origin = o;
    e->line = line;
    return RNNLAB_OK;
}

static config_entry *entry_append(config *c, const char *section, const char *key,
                                  const char *value, const char *origin, int line) {
    if (grow(&c->entries, &c->cap_entries, c->n_entries, sizeof *c->entries) != RNNLAB_OK)
        return NULL;
    config_entry *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    e->section = strdup(section);
    e->key = strdup(key);
    e->value = strdup(value);
    e->origin = strdup(origin);
    e->line = line;
    if (!e->section || !e->key || !e->value || !e->origin) {
        entry_free(e);
        return NULL;
    }
    c->entries[c->n_entries++] = e;
    return e;
}

int config_put(config *c, const char *section, const char *key, const char *value,
               const char *origin, int line) {
    config_entry *e = find_mut(c, section, key);
    if (e) return entry_replace(c, e, value, origin, line);
    return entry_append(c, section, key, value, origin, line) ? RNNLAB_OK : RNNLAB_ERR_NOMEM;
}

/* ------------------------------------------------------------------------ */
/* Parsing                                                                   */
/* ------------------------------------------------------------------------ */

#define CONFIG_MAX_SECTION 49
#define AS_WRITTEN "; as written: "

typedef struct parse_ctx {
    config *c;
    const char *pos, *end; /* unread rest of the text */
    int lineno;            /* line last handed to inih, 1-based */
    int section_line;      /* line of the last "[section]" header handed out */
    int err_line;          /* line of the first error we recorded, 0 if none */
    rnnlab_err err;
    /* "KEY = TEXT" of an "; as written:" comment: `last` from the line just
     * read, `pending` from the line before it (the handler's entry follows
     * the comment directly). */
    char *last, *pending;
} parse_ctx;

/* fgets-style reader over the text in memory. Each call hands inih exactly
 * one whole line, so ctx->lineno is the line of every handler call made
 * while inih works on it. Leading whitespace is dropped: that turns off
 * inih's multi-line continuation (which keys on an indented line), so an
 * indented "key = value" is an ordinary key and an indented line without
 * '=' is a syntax error, never silently glued onto the previous value. */
static char *config_reader(char *str, int num, void *stream) {
    parse_ctx *p = stream;
    if (p->err_line || p->pos >= p->end) return NULL;
    const char *nl = memchr(p->pos, '\n', (size_t)(p->end - p->pos));
    const char *s = p->pos;
    const char *e = nl ? nl : p->end;
    p->pos = nl ? nl + 1 : p->end;
    p->lineno++;
    while (s < e && (*s == ' ' || *s == '\t' || *s == '\v' || *s == '\f')) s++;
    if (e > s && e[-1] == '\r') e--;
    /* inih needs room for the line, its '\n' and the NUL. */
    size_t limit = num > 2 ? (size_t)num - 2 : 0;
    size_t len = (size_t)(e - s);
    if (len > limit) {
        p->err_line = p->lineno;
        err_set(&p->err, RNNLAB_ERR_FORMAT, "%s:%d: line is longer than %zu characters", p->c->name,
                p->lineno, limit);
        return NULL;
    }
    if (memchr(s, '\0', len)) {
        p->err_line = p->lineno;
        err_set(&p->err, RNNLAB_ERR_FORMAT, "%s:%d: line contains a NUL byte", p->c->name,
                p->lineno);
        return NULL;
    }
    /* config_write's record of a rewritten value, for the next entry. */
    free(p->pending);
    p->pending = p->last;
    p->last = NULL;
    if (len > strlen(AS_WRITTEN) && memcmp(s, AS_WRITTEN, strlen(AS_WRITTEN)) == 0)
        p->last = dup_range(s + strlen(AS_WRITTEN), len - strlen(AS_WRITTEN));
    if (len > 0 && *s == '[') {
        /* inih copies section names into a 50-byte buffer (MAX_SECTION in
         * its ini.c) and silently cuts longer ones. */
        const char *close = memchr(s, ']', len);
        size_t name_len = (size_t)((close ? close : e) - s - 1);
        if (name_len > CONFIG_MAX_SECTION) {
            p->err_line = p->lineno;
            err_set(&p->err, RNNLAB_ERR_FORMAT, "%s:%d: section name is longer than %d characters",
                    p->c->name, p->lineno, CONFIG_MAX_SECTION);
            return NULL;
        }
        p->section_line = p->lineno;
    }
    memcpy(str, s, len);
    str[len] = '\n';
    str[len + 1] = '\0';
    return str;
}

static int parse_fail(parse_ctx *p, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records the first handler error and tells inih this line failed. */
static int parse_fail(parse_ctx *p, int code, const char *fmt, ...) {
    if (!p->err_line) {
        va_list ap;
        va_start(ap, fmt);
        err_setv(&p->err, code, fmt, ap);
        va_end(ap);
        p->err_line = p->lineno;
    }
    return 0;
}

static int note_section(config *c, const char *section, int line) {
    for (size_t i = 0; i < c->n_sections; i++)
        if (strcmp(c->sections[i].name, section) == 0) return RNNLAB_OK;
    if (grow(&c->sections, &c->cap_sections, c->n_sections, sizeof *c->sections) != RNNLAB_OK)
        return RNNLAB_ERR_NOMEM;
    config_section *s = &c->sections[c->n_sections];
    s->name = strdup(section);
    s->origin = strdup(c->name);
    s->line = line;
    if (!s->name || !s->origin) {
        free(s->name);
        free(s->origin);
        return RNNLAB_ERR_NOMEM;
    }
    c->n_sections++;
    return RNNLAB_OK;
}

static int config_handler(void *user, const char *section, const char *name, const char *value) {
    parse_ctx *p = user;
    config *c = p->c;
    if (!value || !*name)
        return parse_fail(p, RNNLAB_ERR_FORMAT,
                          "%s:%d: syntax error: expected 'key = value' or '[section]'", c->name,
                          p->lineno);
    if (!*section)
        return parse_fail(p, RNNLAB_ERR_FORMAT, "%s:%d: key '%s' comes before any [section]",
                          c->name, p->lineno, name);
    const config_entry *old = config_find(c, section, name);
    if (old)
        return parse_fail(p, RNNLAB_ERR_INVALID,
                          "%s:%d: duplicate key '%s' in [%s]; it was already set at line %d",
                          c->name, p->lineno, name, section, old->line);
    config_entry *e;
    if (note_section(c, section, p->section_line) != RNNLAB_OK ||
        !(e = entry_append(c, section, name, value, c->name, p->lineno)))
        return parse_fail(p, RNNLAB_ERR_NOMEM, "%s:%d: out of memory", c->name, p->lineno);
    /* The previous line (inih hands over one line per handler call) was
     * "; as written: NAME = TEXT": keep TEXT. */
    size_t nl = strlen(name);
    if (p->pending && strncmp(p->pending, name, nl) == 0 && strncmp(p->pending + nl, " = ", 3) == 0)
        e->written = strdup(p->pending + nl + 3);
    return 1;
}

/* Parses text[0, len) into a new config named `name`. */
static int parse_text(config **out, const char *text, size_t len, const char *name, const char *dir,
                      rnnlab_err *err) {
    *out = NULL;
    config *c = config_create(name, dir);
    if (!c) return err_set(err, RNNLAB_ERR_NOMEM, "%s: out of memory", name ? name : "config");
    parse_ctx p = {.c = c, .pos = text, .end = text + len};
    err_clear(&p.err);
    int rc = ini_parse_stream(config_reader, &p, config_handler, &p);
    free(p.last);
    free(p.pending);
    if (rc == -2) {
        int code = err_set(err, RNNLAB_ERR_NOMEM, "%s: out of memory", c->name);
        config_free(c);
        return code;
    }
    /* inih reports the first failing line; it is ours when our handler or
     * reader failed there, else inih itself found a malformed line. */
    if (rc > 0 && (!p.err_line || rc < p.err_line)) {
        int code =
            err_set(err, RNNLAB_ERR_FORMAT,
                    "%s:%d: syntax error: expected 'key = value' or '[section]'", c->name, rc);
        config_free(c);
        return code;
    }
    if (p.err_line) {
        if (err) *err = p.err;
        config_free(c);
        return p.err.code;
    }
    *out = c;
    return RNNLAB_OK;
}

int config_load_string(config **out, const char *text, const char *name, const char *dir,
                       rnnlab_err *err) {
    return parse_text(out, text, strlen(text), name, dir, err);
}

int config_load(config **out, const char *path, rnnlab_err *err) {
    *out = NULL;
    char *buf = NULL;
    size_t len = 0;
    int rc = file_read_all(path, &buf, &len, err);
    if (rc != RNNLAB_OK) return rc;
    char *dir = dir_of(path);
    if (!dir) {
        free(buf);
        return err_set(err, RNNLAB_ERR_NOMEM, "%s: out of memory", path);
    }
    rc = parse_text(out, buf, len, path, dir, err);
    free(dir);
    free(buf);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* --set                                                                     */
/* ------------------------------------------------------------------------ */

int config_apply_set(config *c, const char *assignment, rnnlab_err *err) {
    const char *eq = strchr(assignment, '=');
    const char *dot = eq ? memchr(assignment, '.', (size_t)(eq - assignment)) : NULL;
    const char *ss = assignment, *se = dot, *ks = dot ? dot + 1 : NULL, *ke = eq;
    if (dot) {
        trim_range(&ss, &se);
        trim_range(&ks, &ke);
    }
    if (!eq || !dot || ss == se || ks == ke)
        return err_set(err, RNNLAB_ERR_INVALID,
                       "--set '%s': expected the form --set section.key=value", assignment);
    const char *vs = eq + 1, *ve = eq + strlen(eq);
    trim_range(&vs, &ve);
    if (memchr(vs, '\n', (size_t)(ve - vs)) || memchr(vs, '\r', (size_t)(ve - vs)))
        return err_set(err, RNNLAB_ERR_INVALID, "--set '%s': the value must be a single line",
                       assignment);
    char *section = dup_range(ss, (size_t)(se - ss));
    char *key = dup_range(ks, (size_t)(ke - ks));
    char *value = dup_range(vs, (size_t)(ve - vs));
    int rc = RNNLAB_ERR_NOMEM;
    if (section && key && value) rc = config_put(c, section, key, value, "--set", 0);
    free(section);
    free(key);
    free(value);
    if (rc != RNNLAB_OK) return err_set(err, rc, "--set '%s': out of memory", assignment);
    return RNNLAB_OK;
}

int config_remove(config *c, const char *section, const char *key) {
    for (size_t i = 0; i < c->n_entries; i++) {
        config_entry *e = c->entries[i];
        if (strcmp(e->section, section) != 0 || strcmp(e->key, key) != 0) continue;
        /* An earlier validation may have handed out the value. */
        if (pool_keep(c, e->value) == RNNLAB_OK) e->value = NULL;
        entry_free(e);
        memmove(&c->entries[i], &c->entries[i + 1], (c->n_entries - i - 1) * sizeof *c->entries);
        c->n_entries--;
        return 1;
    }
    return 0;
}

int config_unset(config *c, const char *spec, rnnlab_err *err) {
    const char *dot = strchr(spec, '.');
    const char *ss = spec, *se = dot, *ks = dot ? dot + 1 : NULL, *ke = ks ? ks + strlen(ks) : NULL;
    if (dot) {
        trim_range(&ss, &se);
        trim_range(&ks, &ke);
    }
    if (!dot || ss == se || ks == ke || memchr(ks, '=', (size_t)(ke - ks)))
        return err_set(err, RNNLAB_ERR_INVALID,
                       "--unset '%s': expected the form --unset section.key", spec);
    char *section = dup_range(ss, (size_t)(se - ss));
    char *key = dup_range(ks, (size_t)(ke - ks));
    if (!section || !key) {
        free(section);
        free(key);
        return err_set(err, RNNLAB_ERR_NOMEM, "--unset '%s': out of memory", spec);
    }
    int rc = RNNLAB_OK;
    if (!config_remove(c, section, key)) {
        const char *keys[256];
        size_t n = 0;
        for (size_t i = 0; i < c->n_entries && n < sizeof keys / sizeof keys[0]; i++)
            if (strcmp(c->entries[i]->section, section) == 0) keys[n++] = c->entries[i]->key;
        const char *near = suggest_closest(key, keys, n);
        if (near)
            rc = err_set(err, RNNLAB_ERR_INVALID,
                         "--unset %s.%s: [%s] has no key '%s'; did you mean '%s'?", section, key,
                         section, key, near);
        else
            rc = err_set(err, RNNLAB_ERR_INVALID, "--unset %s.%s: %s has no key '%s' in [%s]",
                         section, key, c->name, key, section);
    }
    free(section);
    free(key);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Values                                                                    */
/* ------------------------------------------------------------------------ */

const rnnlab_param *schema_find(const rnnlab_param *schema, const char *key) {
    for (size_t i = 0; schema && schema[i].key; i++)
        if (strcmp(schema[i].key, key) == 0) return &schema[i];
    return NULL;
}

static int parse_bool(const char *t, int64_t *out) {
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t k = 0; k < sizeof yes / sizeof *yes; k++) {
        if (strcasecmp(t, yes[k]) == 0 || strcasecmp(t, no[k]) == 0) {
            *out = strcasecmp(t, yes[k]) == 0;
            return 1;
        }
    }
    return 0;
}

static int bounded(const rnnlab_param *p) { return p->min <= p->max; }

/* "an integer in [1, 65536]" or "a real number" (unbounded). */
static const char *expect_number(const rnnlab_param *p, const char *what, char *buf, size_t size) {
    char lo[64], hi[64];
    if (!bounded(p)) {
        snprintf(buf, size, "%s", what);
    } else {
        snprintf(buf, size, "%s in [%s, %s]", what, fmt_bound(p->min, lo, sizeof lo),
                 fmt_bound(p->max, hi, sizeof hi));
    }
    return buf;
}

static int parse_int(const rnnlab_param *p, const char *t, rnnlab_value *out) {
    if (!*t) return 0;
    char *end;
    errno = 0;
    long long v = strtoll(t, &end, 10);
    if (errno || *end || is_blank(*t)) return 0;
    if (bounded(p) && ((double)v < p->min || (double)v > p->max)) return 0;
    out->i = v;
    out->r = (double)v;
    return 1;
}

static int parse_real(const rnnlab_param *p, const char *t, rnnlab_value *out) {
    if (!*t || is_blank(*t)) return 0;
    char *end;
    double v = strtod(t, &end);
    if (*end || !isfinite(v)) return 0;
    if (bounded(p) && (v < p->min || v > p->max)) return 0;
    out->r = v;
    return 1;
}

static int parse_enum(const rnnlab_param *p, const char *t, rnnlab_value *out) {
    for (int k = 0; p->choices && p->choices[k]; k++) {
        if (strcmp(p->choices[k], t) == 0) {
            out->i = k;
            return 1;
        }
    }
    return 0;
}

/* The "expected ..." tail of a value error. */
static const char *expectation(const rnnlab_param *p, char *buf, size_t size) {
    switch (p->type) {
    case RNNLAB_PARAM_BOOL: return "true or false (also yes/no/on/off/1/0)";
    case RNNLAB_PARAM_INT: return expect_number(p, "an integer", buf, size);
    case RNNLAB_PARAM_REAL: return expect_number(p, "a real number", buf, size);
    case RNNLAB_PARAM_ENUM: {
        size_t n = (size_t)snprintf(buf, size, "one of:");
        for (int k = 0; p->choices && p->choices[k] && n < size; k++)
            n += (size_t)snprintf(buf + n, size - n, "%s %s", k ? "," : "", p->choices[k]);
        return buf;
    }
    default: return "a string";
    }
}

int config_parse_value(const rnnlab_param *p, const char *text, const char *where,
                       const char *section, rnnlab_value *out, rnnlab_err *err) {
    memset(out, 0, sizeof *out);
    out->s = text;
    int ok;
    switch (p->type) {
    case RNNLAB_PARAM_BOOL: ok = parse_bool(text, &out->i); break;
    case RNNLAB_PARAM_INT: ok = parse_int(p, text, out); break;
    case RNNLAB_PARAM_REAL: ok = parse_real(p, text, out); break;
    case RNNLAB_PARAM_STRING: ok = 1; break;
    case RNNLAB_PARAM_ENUM: ok = parse_enum(p, text, out); break;
    default:
        return err_set(err, RNNLAB_ERR_INTERNAL, "%s: [%s] %s: schema has unknown type %d", where,
                       section, p->key, (int)p->type);
    }
    if (ok) return RNNLAB_OK;
    char buf[1024];
    return err_set(err, RNNLAB_ERR_INVALID, "%s: [%s] %s = '%s': expected %s", where, section,
                   p->key, text, expectation(p, buf, sizeof buf));
}

/* ------------------------------------------------------------------------ */
/* Validation                                                                */
/* ------------------------------------------------------------------------ */

/* Candidate names for did-you-mean: a schema's keys, then extra names. */
typedef struct names {
    const rnnlab_param *schema;
    const char *const *extra;
} names;

static const char *names_at(const names *n, size_t i) {
    size_t k = 0;
    for (; n->schema && n->schema[k].key; k++)
        if (k == i) return n->schema[k].key;
    for (size_t j = 0; n->extra && n->extra[j]; j++)
        if (k + j == i) return n->extra[j];
    return NULL;
}

/* The closest candidate to word if it is close enough to be a likely typo. */
static const char *closest(const names *n, const char *word) {
    const char *cand[256];
    size_t k = 0;
    for (; k < sizeof cand / sizeof cand[0] && names_at(n, k); k++) cand[k] = names_at(n, k);
    return suggest_closest(word, cand, k);
}

/* "a, b, c" with each name wrapped in open/close, into buf. */
static const char *list_names(const names *n, const char *open, const char *close, char *buf,
                              size_t size) {
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; names_at(n, i) && len < size; i++)
        len += (size_t)snprintf(buf + len, size - len, "%s%s%s%s", i ? ", " : "", open,
                                names_at(n, i), close);
    return buf;
}

static int in_list(const char *const *list, const char *s) {
    for (size_t i = 0; list && list[i]; i++)
        if (strcmp(list[i], s) == 0) return 1;
    return 0;
}

static int unknown_key(const config_entry *e, const names *n, rnnlab_err *err) {
    char where[512], buf[1024];
    config_where(e, where, sizeof where);
    const char *near = closest(n, e->key);
    if (near)
        return err_set(err, RNNLAB_ERR_INVALID, "%s: unknown key '%s' in [%s]; did you mean '%s'?",
                       where, e->key, e->section, near);
    if (!names_at(n, 0))
        return err_set(err, RNNLAB_ERR_INVALID,
                       "%s: unknown key '%s' in [%s]; this section takes no keys", where, e->key,
                       e->section);
    return err_set(err, RNNLAB_ERR_INVALID, "%s: unknown key '%s' in [%s]; valid keys: %s", where,
                   e->key, e->section, list_names(n, "", "", buf, sizeof buf));
}

/* The absolute form of a relative path value: against the config's
 * folder, or the current folder for --set; the result goes to the
 * config's pool. */
static const char *resolve_path(config *c, const config_entry *e, const char *value) {
    if (!*value || value[0] == '/') return value;
    char *p = path_absolute(strcmp(e->origin, "--set") == 0 ? "" : c->dir, value);
    if (!p) return NULL;
    if (pool_keep(c, p) != RNNLAB_OK) {
        free(p);
        return NULL;
    }
    return p;
}

/* Parses the schema entries the config sets; for those it does not set,
 * checks the default or reports the key missing. Changes nothing in c, so
 * a failed validation leaves the config as it was. */
static int validate_values(config *c, const char *section, const rnnlab_param *schema,
                           rnnlab_value *values, rnnlab_err *err) {
    char where[512];
    for (size_t i = 0; schema && schema[i].key; i++) {
        const rnnlab_param *p = &schema[i];
        const config_entry *e = config_find(c, section, p->key);
        int rc;
        if (e) {
            rc = config_parse_value(p, e->value, config_where(e, where, sizeof where), section,
                                    &values[i], err);
        } else if (p->flags & RNNLAB_PARAM_REQUIRED) {
            return err_set(err, RNNLAB_ERR_INVALID, "%s: [%s] missing required key '%s'", c->name,
                           section, p->key);
        } else {
            const char *d = p->default_value ? p->default_value : "";
            rc = config_parse_value(p, d, "default", section, &values[i], err);
        }
        if (rc != RNNLAB_OK) return rc;
    }
    return RNNLAB_OK;
}

/* Records the defaults used (so config_write shows them) and points string
 * values into the config; resolves PATH strings against the config folder. */
static int commit_values(config *c, const char *section, const rnnlab_param *schema,
                         rnnlab_value *values, rnnlab_err *err) {
    for (size_t i = 0; schema && schema[i].key; i++) {
        const rnnlab_param *p = &schema[i];
        const config_entry *e = config_find(c, section, p->key);
        if (!e) {
            const char *d = p->default_value ? p->default_value : "";
            if (config_put(c, section, p->key, d, "default", 0) != RNNLAB_OK)
                return err_set(err, RNNLAB_ERR_NOMEM, "[%s] %s: out of memory", section, p->key);
            e = config_find(c, section, p->key);
        }
        values[i].s = e->value;
        if (p->type == RNNLAB_PARAM_STRING && (p->flags & RNNLAB_PARAM_PATH) && !e->path_resolved) {
            /* The entry itself takes the resolved path: the config a run
             * records must not depend on where the original file was. */
            config_entry *me = (config_entry *)e;
            const char *r = resolve_path(c, e, e->value);
            char *own = r && r != e->value ? strdup(r) : NULL;
            char *written = own && strcmp(e->origin, "default") != 0 ? strdup(e->value) : NULL;
            if (!r || (r != e->value && (!own || pool_keep(c, me->value) != RNNLAB_OK)) ||
                (own && strcmp(e->origin, "default") != 0 && !written)) {
                free(own);
                free(written);
                return err_set(err, RNNLAB_ERR_NOMEM, "[%s] %s: out of memory", section, p->key);
            }
            if (own) {
                me->value = own;
                free(me->written);
                me->written = written;
            }
            me->path_resolved = 1;
            values[i].s = me->value;
        }
    }
    return RNNLAB_OK;
}

int config_validate_section(config *c, const char *section, const rnnlab_param *schema,
                            const char *const *skip, rnnlab_value *values, rnnlab_err *err) {
    names n = {schema, skip};
    for (size_t i = 0; i < c->n_entries; i++) {
        const config_entry *e = c->entries[i];
        if (strcmp(e->section, section) != 0 || in_list(skip, e->key)) continue;
        if (!schema_find(schema, e->key)) return unknown_key(e, &n, err);
    }
    int rc = validate_values(c, section, schema, values, err);
    if (rc != RNNLAB_OK) return rc;
    return commit_values(c, section, schema, values, err);
}

int config_check_sections(const config *c, const char *const *known, rnnlab_err *err) {
    names n = {NULL, known};
    char where[512], buf[1024];
    for (size_t i = 0; i < c->n_entries; i++) {
        const config_entry *e = c->entries[i];
        if (in_list(known, e->section)) continue;
        config_where(e, where, sizeof where);
        /* Point at the header line when the section came from the file. */
        for (size_t k = 0; k < c->n_sections; k++) {
            const config_section *s = &c->sections[k];
            if (strcmp(s->name, e->section) == 0 && s->line > 0 && strcmp(e->origin, "--set") != 0)
                snprintf(where, sizeof where, "%s:%d", s->origin, s->line);
        }
        const char *near = closest(&n, e->section);
        if (near)
            return err_set(err, RNNLAB_ERR_INVALID, "%s: unknown section [%s]; did you mean [%s]?",
                           where, e->section, near);
        return err_set(err, RNNLAB_ERR_INVALID, "%s: unknown section [%s]; known sections: %s",
                       where, e->section, list_names(&n, "[", "]", buf, sizeof buf));
    }
    return RNNLAB_OK;
}

/* ------------------------------------------------------------------------ */
/* Output                                                                    */
/* ------------------------------------------------------------------------ */

static int section_seen_before(const config *c, size_t upto, const char *section) {
    for (size_t i = 0; i < upto; i++)
        if (strcmp(c->entries[i]->section, section) == 0) return 1;
    return 0;
}

int config_write(const config *c, FILE *f) {
    int first = 1;
    for (size_t i = 0; i < c->n_entries; i++) {
        const char *section = c->entries[i]->section;
        if (section_seen_before(c, i, section)) continue;
        fprintf(f, "%s[%s]\n", first ? "" : "\n", section);
        first = 0;
        for (size_t j = i; j < c->n_entries; j++) {
            const config_entry *e = c->entries[j];
            if (strcmp(e->section, section) != 0) continue;
            if (e->written) fprintf(f, "%s%s = %s\n", AS_WRITTEN, e->key, e->written);
            fprintf(f, "%s = %s\n", e->key, e->value);
        }
    }
    return ferror(f) ? RNNLAB_ERR_IO : RNNLAB_OK;
}

int config_save(const config *c, const char *path, rnnlab_err *err) {
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return err_set(err, RNNLAB_ERR_NOMEM, "%s: out of memory", path);
    int rc = config_write(c, f);
    if (fclose(f) != 0 || rc != RNNLAB_OK) {
        free(text);
        return err_set(err, RNNLAB_ERR_NOMEM, "%s: cannot format the config", path);
    }
    const void *chunks[] = {text};
    rc = file_write_atomic(path, chunks, &len, 1, err);
    free(text);
    return rc;
}
