/* registry.c -- see registry.h.
 *
 * A plugin is loaded all or nothing: every check runs on a private list of
 * components, and only a plugin that passes them all joins the registry. A
 * refused plugin is dlclosed and leaves the registry as it was. */
#include "registry.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rnnlab_build.h"
#include "suggest.h"

typedef struct reg_plugin {
    void *handle;
    char *file; /* the path as the caller gave it, for messages */
    char *real; /* its realpath, so a file is loaded once */
    const rnnlab_plugin *desc;
    size_t first, count; /* its components: r->comps[first .. first + count) */
} reg_plugin;

struct registry {
    const rnnlab_host *host;
    reg_plugin *plugins;
    size_t nplugins, plugins_cap;
    /* One allocation per component, so the pointers handed out stay valid
     * while the list grows. */
    reg_component **comps;
    size_t ncomps, comps_cap;
};

/* The schema of components that declare none: just the terminator. */
static const rnnlab_param empty_schema[1];

/* ------------------------------------------------------------------------ */
/* Kinds                                                                     */
/* ------------------------------------------------------------------------ */

static const char *const kind_names[] = {NULL,        "activation", "loss",
                                         "optimizer", "loader",     "tokenizer"};
#define KIND_LAST RNNLAB_KIND_TOKENIZER

static int kind_valid(int kind) { return kind >= 1 && kind <= KIND_LAST; }

const char *kind_name(rnnlab_kind kind) {
    return kind_valid((int)kind) ? kind_names[kind] : "unknown";
}

rnnlab_kind kind_parse(const char *name) {
    for (int k = 1; name && k <= KIND_LAST; k++)
        if (strcmp(name, kind_names[k]) == 0) return (rnnlab_kind)k;
    return (rnnlab_kind)0;
}

/* The size of the kind's ops table as this host was built. */
static size_t host_ops_size(int kind) {
    switch (kind) {
    case RNNLAB_KIND_ACTIVATION: return sizeof(rnnlab_activation_ops);
    case RNNLAB_KIND_LOSS: return sizeof(rnnlab_loss_ops);
    case RNNLAB_KIND_OPTIMIZER: return sizeof(rnnlab_optimizer_ops);
    case RNNLAB_KIND_LOADER: return sizeof(rnnlab_loader_ops);
    case RNNLAB_KIND_TOKENIZER: return sizeof(rnnlab_tokenizer_ops);
    default: return 0;
    }
}

/* The first required slot that is NULL, or NULL if all are set. Slots past
 * the plugin's struct_size were zeroed by the copy, so they count as NULL. */
#define REQUIRE(table, slot)             \
    do {                                 \
        if (!(table).slot) return #slot; \
    } while (0)

static const char *missing_op(const reg_component *c) {
    switch (c->kind) {
    case RNNLAB_KIND_ACTIVATION:
        REQUIRE(c->ops.activation, forward);
        REQUIRE(c->ops.activation, backward);
        REQUIRE(c->ops.activation, forward_f64);
        REQUIRE(c->ops.activation, backward_f64);
        break;
    case RNNLAB_KIND_LOSS:
        REQUIRE(c->ops.loss, forward);
        REQUIRE(c->ops.loss, forward_f64);
        break;
    case RNNLAB_KIND_OPTIMIZER:
        REQUIRE(c->ops.optimizer, create);
        REQUIRE(c->ops.optimizer, destroy);
        REQUIRE(c->ops.optimizer, state_slots);
        REQUIRE(c->ops.optimizer, step);
        break;
    case RNNLAB_KIND_TOKENIZER:
        REQUIRE(c->ops.tokenizer, create);
        REQUIRE(c->ops.tokenizer, destroy);
        REQUIRE(c->ops.tokenizer, fit);
        REQUIRE(c->ops.tokenizer, vocab_size);
        REQUIRE(c->ops.tokenizer, encode);
        REQUIRE(c->ops.tokenizer, decode);
        REQUIRE(c->ops.tokenizer, save);
        REQUIRE(c->ops.tokenizer, load);
        break;
    case RNNLAB_KIND_LOADER:
        REQUIRE(c->ops.loader, open);
        REQUIRE(c->ops.loader, close);
        REQUIRE(c->ops.loader, info);
        REQUIRE(c->ops.loader, num_batches);
        REQUIRE(c->ops.loader, begin_epoch);
        REQUIRE(c->ops.loader, batch);
        break;
    }
    return NULL;
}
#undef REQUIRE

/* ------------------------------------------------------------------------ */
/* Small helpers                                                             */
/* ------------------------------------------------------------------------ */

static int name_valid(const char *s) {
    if (!s || !*s) return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_')) return 0;
    return 1;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorts names and drops repeats; returns the new count. */
static size_t sort_unique(const char **names, size_t n) {
    if (n == 0) return 0;
    qsort(names, n, sizeof *names, cmp_str);
    size_t k = 1;
    for (size_t i = 1; i < n; i++)
        if (strcmp(names[i], names[k - 1]) != 0) names[k++] = names[i];
    return k;
}

/* Writes "a, b, c" (or `none` if n == 0) into f. */
static void put_list(FILE *f, const char *const *names, size_t n, const char *none) {
    if (n == 0) fputs(none, f);
    for (size_t i = 0; i < n; i++) fprintf(f, "%s%s", i ? ", " : "", names[i]);
}

/* ------------------------------------------------------------------------ */
/* Loading one file                                                          */
/* ------------------------------------------------------------------------ */

static void plugin_unload(reg_plugin *p) {
    if (p->handle) dlclose(p->handle);
    free(p->file);
    free(p->real);
    memset(p, 0, sizeof *p);
}

static int stamp_check(const char *path, const rnnlab_stamp *s, rnnlab_err *err) {
    if (s->magic != RNNLAB_ABI_MAGIC)
        return err_set(err, RNNLAB_ERR_PLUGIN,
                       "%s: stamp magic is 0x%08X, expected 0x%08X (\"RNNL\"): not an rnnlab "
                       "plugin or the file is corrupt; rebuild it against the rnnlab headers",
                       path, (unsigned)s->magic, (unsigned)RNNLAB_ABI_MAGIC);
    if (s->abi_major != RNNLAB_ABI_MAJOR) {
        if (s->abi_major > RNNLAB_ABI_MAJOR)
            return err_set(err, RNNLAB_ERR_PLUGIN,
                           "%s: ABI major version %u, this rnnlab has %d: rebuild the plugin "
                           "against rnnlab %d.x headers, or upgrade rnnlab to one with ABI %u",
                           path, (unsigned)s->abi_major, RNNLAB_ABI_MAJOR, RNNLAB_ABI_MAJOR,
                           (unsigned)s->abi_major);
        return err_set(err, RNNLAB_ERR_PLUGIN,
                       "%s: ABI major version %u, this rnnlab has %d: rebuild the plugin "
                       "against rnnlab %d.x headers",
                       path, (unsigned)s->abi_major, RNNLAB_ABI_MAJOR, RNNLAB_ABI_MAJOR);
    }
    if (s->abi_minor > RNNLAB_ABI_MINOR)
        return err_set(err, RNNLAB_ERR_PLUGIN,
                       "%s: built for ABI %u.%u but this rnnlab supports %d.%d: upgrade rnnlab "
                       "or rebuild the plugin against these headers",
                       path, (unsigned)s->abi_major, (unsigned)s->abi_minor, RNNLAB_ABI_MAJOR,
                       RNNLAB_ABI_MINOR);
    if (s->real_size != sizeof(rnnlab_real))
        return err_set(err, RNNLAB_ERR_PLUGIN,
                       "%s: stamp real_size is %u (sizeof rnnlab_real in the plugin), this rnnlab "
                       "uses %zu: rebuild the plugin with this rnnlab's include/rnnlab/plugin.h",
                       path, (unsigned)s->real_size, sizeof(rnnlab_real));
    if (s->size_t_size != sizeof(size_t))
        return err_set(err, RNNLAB_ERR_PLUGIN,
                       "%s: stamp size_t_size is %u, this rnnlab's size_t has %zu bytes: the "
                       "plugin was built for another architecture; rebuild it for this one",
                       path, (unsigned)s->size_t_size, sizeof(size_t));
    return RNNLAB_OK;
}

/* dlopens the file, finds the entry point and gets a descriptor whose stamp
 * matches this host. On error nothing stays open. */
static int plugin_open(registry *r, reg_plugin *p, rnnlab_err *err) {
    dlerror();
    p->handle = dlopen(p->real, RTLD_NOW | RTLD_LOCAL);
    if (!p->handle) {
        const char *why = dlerror();
        return err_set(err, RNNLAB_ERR_PLUGIN, "%s: cannot load plugin: dlopen failed: %s", p->file,
                       why ? why : "unknown reason");
    }
    void *sym = dlsym(p->handle, RNNLAB_PLUGIN_ENTRY_SYMBOL);
    if (!sym)
        return err_set(err, RNNLAB_ERR_PLUGIN,
                       "%s: no symbol '%s': not an rnnlab plugin (build it with RNNLAB_EXPORT on "
                       "the entry point)",
                       p->file, RNNLAB_PLUGIN_ENTRY_SYMBOL);
    /* ISO C has no object-to-function pointer cast; POSIX guarantees the
     * representation is the same. */
    rnnlab_plugin_entry_fn entry;
    memcpy(&entry, &sym, sizeof entry);
    p->desc = entry(r->host);
    if (!p->desc)
        return err_set(err, RNNLAB_ERR_PLUGIN,
                       "%s: %s() returned NULL instead of a descriptor: the plugin refused to "
                       "load",
                       p->file, RNNLAB_PLUGIN_ENTRY_SYMBOL);
    return stamp_check(p->file, &p->desc->stamp, err);
}

static int schema_check(const char *path, const reg_component *c, const rnnlab_param *schema,
                        size_t *count, rnnlab_err *err) {
    const char *kn = kind_name(c->kind);
    size_t n = 0;
    for (; schema[n].key; n++) {
        const rnnlab_param *p = &schema[n];
        if (!*p->key)
            return err_set(err, RNNLAB_ERR_PLUGIN,
                           "%s: component '%s' (%s): param #%zu has an empty key", path, c->name,
                           kn, n + 1);
        for (size_t j = 0; j < n; j++)
            if (strcmp(schema[j].key, p->key) == 0)
                return err_set(err, RNNLAB_ERR_PLUGIN,
                               "%s: component '%s' (%s): param '%s' is declared twice (#%zu and "
                               "#%zu): keys must be unique",
                               path, c->name, kn, p->key, j + 1, n + 1);
        int type = (int)p->type;
        if (type < RNNLAB_PARAM_BOOL || type > RNNLAB_PARAM_ENUM)
            return err_set(err, RNNLAB_ERR_PLUGIN,
                           "%s: component '%s' (%s): param '%s' has unknown type %d (expected "
                           "RNNLAB_PARAM_BOOL..RNNLAB_PARAM_ENUM, 1..5)",
                           path, c->name, kn, p->key, type);
        if (type == RNNLAB_PARAM_ENUM && (!p->choices || !p->choices[0]))
            return err_set(err, RNNLAB_ERR_PLUGIN,
                           "%s: component '%s' (%s): ENUM param '%s' has no choices (give a "
                           "NULL-terminated, non-empty choices list)",
                           path, c->name, kn, p->key);
        if (!(p->flags & RNNLAB_PARAM_REQUIRED) && !p->default_value)
            return err_set(err, RNNLAB_ERR_PLUGIN,
                           "%s: component '%s' (%s): param '%s' has no default_value and is not "
                           "RNNLAB_PARAM_REQUIRED: give it a default or mark it required",
                           path, c->name, kn, p->key);
    }
    *count = n;
    return RNNLAB_OK;
}

/* Copies and validates the index-th component of p into a new
 * reg_component. */
static int component_build(const reg_plugin *p, size_t index, const rnnlab_component *src,
                           reg_component **out, rnnlab_err *err) {
    const char *path = p->file;
    if (!src->name)
        return err_set(err, RNNLAB_ERR_PLUGIN, "%s: component #%zu has no name (name is NULL)",
                       path, index + 1);
    if (!name_valid(src->name))
        return err_set(err, RNNLAB_ERR_PLUGIN,
                       "%s: component #%zu has invalid name '%s': names must match [a-z0-9_]+ "
                       "(lowercase letters, digits, underscore)",
                       path, index + 1, src->name);
    int kind = (int)src->kind;
    if (!kind_valid(kind))
        return err_set(err, RNNLAB_ERR_PLUGIN,
                       "%s: component '%s' has unknown kind %d (expected 1..%d: activation, "
                       "loss, optimizer, loader, tokenizer)",
                       path, src->name, kind, KIND_LAST);
    const char *kn = kind_names[kind];
    if (!src->ops)
        return err_set(err, RNNLAB_ERR_PLUGIN, "%s: component '%s' (%s): ops table is NULL", path,
                       src->name, kn);
    size_t plugin_size;
    memcpy(&plugin_size, src->ops, sizeof plugin_size);
    if (plugin_size < sizeof(size_t))
        return err_set(err, RNNLAB_ERR_PLUGIN,
                       "%s: component '%s' (%s): ops struct_size is %zu, less than the %zu bytes "
                       "of struct_size itself: set it with RNNLAB_OPS_SIZE(rnnlab_%s_ops)",
                       path, src->name, kn, plugin_size, sizeof(size_t), kn);

    reg_component *c = calloc(1, sizeof *c);
    if (!c) return err_set(err, RNNLAB_ERR_NOMEM, "%s: out of memory", path);
    c->kind = (rnnlab_kind)kind;
    c->name = src->name;
    c->version = src->version ? src->version : "";
    c->description = src->description ? src->description : "";
    c->file = p->file;
    c->plugin = p->desc->name;
    c->plugin_version = p->desc->version ? p->desc->version : "";
    /* An older plugin's table is shorter: copy what it has and leave the
     * newer slots zero, i.e. NULL. */
    size_t host_size = host_ops_size(kind);
    memcpy(&c->ops, src->ops, plugin_size < host_size ? plugin_size : host_size);

    const char *missing = missing_op(c);
    if (missing) {
        free(c);
        return err_set(err, RNNLAB_ERR_PLUGIN,
                       "%s: component '%s' (%s): required op '%s' is missing (NULL or beyond its "
                       "struct_size)",
                       path, src->name, kn, missing);
    }
    c->params = src->params ? src->params : empty_schema;
    int rc = schema_check(path, c, c->params, &c->nparams, err);
    if (rc) {
        free(c);
        return rc;
    }
    *out = c;
    return RNNLAB_OK;
}

static void free_components(reg_component **list, size_t n) {
    for (size_t i = 0; i < n; i++) free(list[i]);
    free(list);
}

/* Validates the descriptor and builds its component list. */
static int plugin_components(const reg_plugin *p, reg_component ***out, size_t *nout,
                             rnnlab_err *err) {
    const rnnlab_plugin *d = p->desc;
    if (!d->name || !*d->name)
        return err_set(err, RNNLAB_ERR_PLUGIN, "%s: the plugin descriptor has no name", p->file);
    if (!d->components)
        return err_set(err, RNNLAB_ERR_PLUGIN,
                       "%s: plugin '%s' has no components list (components is NULL)", p->file,
                       d->name);
    size_t n = 0;
    while (d->components[n]) n++;
    if (n == 0)
        return err_set(err, RNNLAB_ERR_PLUGIN,
                       "%s: plugin '%s' lists no components (its components list is empty)",
                       p->file, d->name);
    reg_component **list = calloc(n, sizeof *list);
    if (!list) return err_set(err, RNNLAB_ERR_NOMEM, "%s: out of memory", p->file);
    for (size_t i = 0; i < n; i++) {
        int rc = component_build(p, i, d->components[i], &list[i], err);
        if (rc) {
            free_components(list, i);
            return rc;
        }
        for (size_t j = 0; j < i; j++) {
            if (list[j]->kind == list[i]->kind && strcmp(list[j]->name, list[i]->name) == 0) {
                err_set(err, RNNLAB_ERR_PLUGIN,
                        "%s: plugin '%s' lists %s '%s' twice (components #%zu and #%zu): a "
                        "kind+name must be unique within a plugin",
                        p->file, d->name, kind_name(list[i]->kind), list[i]->name, j + 1, i + 1);
                free_components(list, i + 1);
                return RNNLAB_ERR_PLUGIN;
            }
        }
    }
    *out = list;
    *nout = n;
    return RNNLAB_OK;
}

static int grow(void **arr, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return 0;
    size_t ncap = *cap ? *cap * 2 : 8;
    while (ncap < need) ncap *= 2;
    void *a = realloc(*arr, ncap * elem);
    if (!a) return -1;
    *arr = a;
    *cap = ncap;
    return 0;
}

/* Moves a validated plugin and its components into the registry. */
static int plugin_commit(registry *r, reg_plugin *p, reg_component **list, size_t n,
                         rnnlab_err *err) {
    if (grow((void **)&r->plugins, &r->plugins_cap, r->nplugins + 1, sizeof *r->plugins) ||
        grow((void **)&r->comps, &r->comps_cap, r->ncomps + n, sizeof *r->comps))
        return err_set(err, RNNLAB_ERR_NOMEM, "%s: out of memory", p->file);
    p->first = r->ncomps;
    p->count = n;
    memcpy(&r->comps[r->ncomps], list, n * sizeof *list);
    r->ncomps += n;
    r->plugins[r->nplugins++] = *p;
    free(list);
    return RNNLAB_OK;
}

static const reg_plugin *plugin_by_real(const registry *r, const char *real) {
    for (size_t i = 0; i < r->nplugins; i++)
        if (strcmp(r->plugins[i].real, real) == 0) return &r->plugins[i];
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* Ownership and permission checks                                           */
/* ------------------------------------------------------------------------ */

/* Set once by the CLI's --allow-unsafe-plugins, before any registry opens:
 * it applies to every registry of the process (train, eval, sweep --verify
 * all open their own), which a per-registry flag could not reach. */
static int allow_unsafe_plugins;

void registry_allow_unsafe(int allow) { allow_unsafe_plugins = allow != 0; }

int registry_unsafe_allowed(void) { return allow_unsafe_plugins; }

/* Refuses `what` (a plugin file or folder, st its stat) that another user
 * could change: world-writable, or owned by someone other than root and
 * the effective user. A world-writable folder with the sticky bit (like
 * /tmp) is accepted when `sticky_ok`: others may add files there but not
 * replace ours, which matters for a file loaded by path, not for a folder
 * that is scanned. */
static int safety_check(const char *what, const char *path, const struct stat *st, int sticky_ok,
                        rnnlab_err *err) {
    if (allow_unsafe_plugins) return RNNLAB_OK;
    unsigned mode = (unsigned)st->st_mode & 07777;
    if ((st->st_mode & S_IWOTH) && !(sticky_ok && (st->st_mode & S_ISVTX)))
        return err_set(err, RNNLAB_ERR_PLUGIN,
                       "%s: refusing to load plugins from this %s: it is world-writable (mode "
                       "%04o), so any user could change the code rnnlab would run; fix it with "
                       "'chmod o-w %s', or pass --allow-unsafe-plugins to load it anyway",
                       path, what, mode, path);
    uid_t me = geteuid();
    if (st->st_uid != 0 && st->st_uid != me)
        return err_set(err, RNNLAB_ERR_PLUGIN,
                       "%s: refusing to load plugins from this %s: it is owned by uid %lu, not by "
                       "you (uid %lu) or root, so that user could change the code rnnlab would "
                       "run; fix it with 'chown %lu %s' (as root), or pass --allow-unsafe-plugins "
                       "to load it anyway",
                       path, what, (unsigned long)st->st_uid, (unsigned long)me, (unsigned long)me,
                       path);
    return RNNLAB_OK;
}

/* Checks a plugin file (its real path, after symlinks) and the folder
 * holding it. */
static int file_safety_check(const char *path, const char *real, rnnlab_err *err) {
    struct stat st;
    if (stat(real, &st) != 0)
        return err_set(err, RNNLAB_ERR_IO, "%s: cannot open plugin: %s", path, strerror(errno));
    int rc = safety_check("file", real, &st, 0, err);
    if (rc) return rc;
    char *dir = strdup(real);
    if (!dir) return err_set(err, RNNLAB_ERR_NOMEM, "%s: out of memory", path);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    if (stat(dir, &st) != 0)
        rc = err_set(err, RNNLAB_ERR_IO, "%s: cannot open plugin folder: %s", dir, strerror(errno));
    else
        rc = safety_check("folder", dir, &st, 1, err);
    free(dir);
    return rc;
}

int registry_add_file(registry *r, const char *path, rnnlab_err *err) {
    char *real = realpath(path, NULL);
    if (!real)
        return err_set(err, RNNLAB_ERR_IO, "%s: cannot open plugin: %s", path, strerror(errno));
    if (plugin_by_real(r, real)) {
        free(real);
        return RNNLAB_OK;
    }
    int safe = file_safety_check(path, real, err);
    if (safe) {
        free(real);
        return safe;
    }
    reg_plugin p = {0};
    p.real = real;
    p.file = strdup(path);
    if (!p.file) {
        plugin_unload(&p);
        return err_set(err, RNNLAB_ERR_NOMEM, "%s: out of memory", path);
    }
    reg_component **list = NULL;
    size_t n = 0;
    int rc = plugin_open(r, &p, err);
    if (!rc) rc = plugin_components(&p, &list, &n, err);
    if (!rc) {
        rc = plugin_commit(r, &p, list, n, err);
        if (rc) free_components(list, n);
    }
    if (rc) plugin_unload(&p);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Folders and the search path                                               */
/* ------------------------------------------------------------------------ */

static int is_plugin_name(const char *name) {
    size_t n = strlen(name);
    /* Hidden files are skipped as a shell's *.so would skip them. */
    return name[0] != '.' && n > 3 && strcmp(name + n - 3, ".so") == 0;
}

/* The *.so names directly inside dir, sorted, in a malloc'd array of
 * malloc'd strings. */
static int list_plugin_names(DIR *d, const char *dir, char ***out, size_t *nout, rnnlab_err *err) {
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d))) {
        if (!is_plugin_name(e->d_name)) continue;
        char *copy = strdup(e->d_name);
        if (!copy || grow((void **)&names, &cap, n + 1, sizeof *names)) {
            free(copy);
            for (size_t i = 0; i < n; i++) free(names[i]);
            free(names);
            return err_set(err, RNNLAB_ERR_NOMEM, "%s: out of memory listing plugins", dir);
        }
        names[n++] = copy;
        errno = 0;
    }
    if (errno) {
        int saved = errno;
        for (size_t i = 0; i < n; i++) free(names[i]);
        free(names);
        return err_set(err, RNNLAB_ERR_IO, "%s: cannot read plugin folder: %s", dir,
                       strerror(saved));
    }
    if (n) qsort(names, n, sizeof *names, cmp_str);
    *out = names;
    *nout = n;
    return RNNLAB_OK;
}

int registry_add_dir(registry *r, const char *dir, rnnlab_err *err) {
    DIR *d = opendir(dir);
    if (!d) {
        /* Search paths routinely name folders that are not there. */
        if (errno == ENOENT) return RNNLAB_OK;
        return err_set(err, RNNLAB_ERR_IO, "%s: cannot read plugin folder: %s", dir,
                       strerror(errno));
    }
    /* A folder that is scanned must be safe even with the sticky bit: anyone
     * could drop a new *.so into it. */
    struct stat dst;
    int rc =
        fstat(dirfd(d), &dst) != 0
            ? err_set(err, RNNLAB_ERR_IO, "%s: cannot read plugin folder: %s", dir, strerror(errno))
            : safety_check("folder", dir, &dst, 0, err);
    if (rc) {
        closedir(d);
        return rc;
    }
    char **names = NULL;
    size_t n = 0;
    rc = list_plugin_names(d, dir, &names, &n, err);
    closedir(d);
    if (rc) return rc;
    size_t dlen = strlen(dir);
    const char *sep = dlen && dir[dlen - 1] == '/' ? "" : "/";
    for (size_t i = 0; i < n && !rc; i++) {
        char *path = malloc(dlen + strlen(names[i]) + 2);
        if (!path) {
            rc = err_set(err, RNNLAB_ERR_NOMEM, "%s: out of memory", dir);
            break;
        }
        snprintf(path, dlen + strlen(names[i]) + 2, "%s%s%s", dir, sep, names[i]);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) rc = registry_add_file(r, path, err);
        free(path);
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    return rc;
}

/* Loads each folder of a colon-separated list. Empty elements are skipped:
 * unlike the shell's PATH, an empty element never means the current
 * folder. `source` names where the list came from, for messages. */
static int add_path_list(registry *r, const char *list, const char *source, rnnlab_err *err) {
    if (!list || !*list) return RNNLAB_OK;
    char *copy = strdup(list);
    if (!copy) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory reading %s", source);
    int rc = RNNLAB_OK;
    char *elem = copy;
    while (!rc) {
        char *colon = strchr(elem, ':');
        if (colon) *colon = '\0';
        if (*elem) {
            rc = registry_add_dir(r, elem, err);
            if (rc) err_prefix(err, "plugin folder '%s' from %s: ", elem, source);
        }
        if (!colon) break;
        elem = colon + 1;
    }
    free(copy);
    return rc;
}

/* Nonzero if `path` is `root` or inside it; both are realpaths. */
static int path_within(const char *path, const char *root) {
    size_t n = strlen(root);
    if (strncmp(path, root, n) != 0) return 0;
    return path[n] == '\0' || path[n] == '/' || (n == 1 && root[0] == '/');
}

/* Nonzero if the running binary lives in this build tree (the rnnlab
 * binary, a test or a benchmark), so it should use the plugins built next
 * to it rather than whatever version is installed. */
static int running_from_build_tree(void) {
    char *exe = realpath("/proc/self/exe", NULL);
    char *root = realpath(RNNLAB_BUILD_ROOT, NULL);
    int inside = 0;
    if (exe && root) {
        char *slash = strrchr(exe, '/');
        if (slash) *slash = '\0';
        inside = path_within(*exe ? exe : "/", root);
    }
    free(exe);
    free(root);
    return inside;
}

int registry_load_default(registry *r, const char *cli_path, const char *config_path,
                          rnnlab_err *err) {
    int rc = add_path_list(r, cli_path, "--plugin-path", err);
    if (!rc) rc = add_path_list(r, getenv("RNNLAB_PLUGIN_PATH"), "$RNNLAB_PLUGIN_PATH", err);
    if (!rc) rc = add_path_list(r, config_path, "[plugins] path", err);
    if (rc) return rc;
    if (running_from_build_tree()) {
        rc = registry_add_dir(r, RNNLAB_BUILD_PLUGIN_DIR, err);
        if (rc) err_prefix(err, "build-tree plugin folder: ");
    } else {
        rc = registry_add_dir(r, RNNLAB_INSTALL_PLUGIN_DIR, err);
        if (rc) err_prefix(err, "installed plugin folder: ");
    }
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Lookup                                                                    */
/* ------------------------------------------------------------------------ */

/* Builds a message in memory and stores it in err with `code`. */
typedef struct msgbuf {
    FILE *f;
    char *text;
    size_t len;
} msgbuf;

static int msg_open(msgbuf *m) {
    m->text = NULL;
    m->len = 0;
    m->f = open_memstream(&m->text, &m->len);
    return m->f != NULL;
}

static int msg_finish(msgbuf *m, int code, rnnlab_err *err) {
    if (fclose(m->f) != 0 || !m->text) {
        free(m->text);
        return err_set(err, RNNLAB_ERR_NOMEM, "out of memory formatting an error");
    }
    err_set(err, code, "%s", m->text);
    free(m->text);
    return code;
}

/* Names of loaded components of `kind` (optionally only of plugin
 * `plugin`), sorted and unique, in a malloc'd array pointing into the
 * components. */
static size_t names_of_kind(const registry *r, rnnlab_kind kind, const char *plugin,
                            const char ***out) {
    *out = malloc((r->ncomps + 1) * sizeof **out);
    if (!*out) return 0;
    size_t n = 0;
    for (size_t i = 0; i < r->ncomps; i++) {
        const reg_component *c = r->comps[i];
        if (c->kind == kind && (!plugin || strcmp(c->plugin, plugin) == 0)) (*out)[n++] = c->name;
    }
    return sort_unique(*out, n);
}

static int not_found(const registry *r, rnnlab_kind kind, const char *name, rnnlab_err *err) {
    const char **names;
    size_t n = names_of_kind(r, kind, NULL, &names);
    msgbuf m;
    if (!names || !msg_open(&m)) {
        free(names);
        return err_set(err, RNNLAB_ERR_INVALID, "no %s named '%s'", kind_name(kind), name);
    }
    fprintf(m.f, "no %s named '%s'", kind_name(kind), name);
    const char *guess = suggest_closest(name, names, n);
    if (guess) fprintf(m.f, "; did you mean '%s'?", guess);
    /* A common slip: the right name under the wrong section. */
    for (size_t i = 0; i < r->ncomps; i++) {
        if (strcmp(r->comps[i]->name, name) == 0) {
            const char *other = kind_name(r->comps[i]->kind);
            fprintf(m.f, "; '%s' is %s %s", name, strchr("aeiou", other[0]) ? "an" : "a", other);
            break;
        }
    }
    if (n) {
        fputs(" (available: ", m.f);
        put_list(m.f, names, n, "");
        fputs(")", m.f);
    } else {
        fprintf(m.f,
                " (no %s plugins are loaded: check --plugin-path, $RNNLAB_PLUGIN_PATH and "
                "[plugins] path)",
                kind_name(kind));
    }
    free(names);
    return msg_finish(&m, RNNLAB_ERR_INVALID, err);
}

static int plugin_name_unique(const reg_component *const *found, size_t n, size_t i) {
    for (size_t j = 0; j < n; j++)
        if (j != i && strcmp(found[j]->plugin, found[i]->plugin) == 0) return 0;
    return 1;
}

/* Two or more files provide `what` (a name or plugin:name). */
static int ambiguous(rnnlab_kind kind, const char *what, const reg_component *const *found,
                     size_t n, rnnlab_err *err) {
    msgbuf m;
    if (!msg_open(&m))
        return err_set(err, RNNLAB_ERR_INVALID, "%s '%s' is ambiguous", kind_name(kind), what);
    fprintf(m.f, "%s '%s' is ambiguous: it is provided by %zu plugin files: ", kind_name(kind),
            what, n);
    for (size_t i = 0; i < n; i++)
        fprintf(m.f, "%s%s (plugin '%s')", i ? ", " : "", found[i]->file, found[i]->plugin);
    /* A pin only helps for a plugin name no other provider shares (two
     * copies of one plugin differ only by path). */
    size_t pins = 0;
    for (size_t i = 0; i < n; i++) {
        if (!plugin_name_unique(found, n, i)) continue;
        fprintf(m.f, "%s'%s:%s'", pins++ ? " or " : "; pick one as plugin:component (",
                found[i]->plugin, found[i]->name);
    }
    fputs(pins ? ") or by the path of its .so file" : "; pick one by the path of its .so file",
          m.f);
    return msg_finish(&m, RNNLAB_ERR_INVALID, err);
}

/* Collects the components of `kind` named `name`, optionally only from
 * plugins named `plugin`, into a malloc'd array. */
static size_t collect(const registry *r, rnnlab_kind kind, const char *plugin, const char *name,
                      const reg_component ***out) {
    *out = malloc((r->ncomps + 1) * sizeof **out);
    if (!*out) return 0;
    size_t n = 0;
    for (size_t i = 0; i < r->ncomps; i++) {
        const reg_component *c = r->comps[i];
        if (c->kind == kind && strcmp(c->name, name) == 0 &&
            (!plugin || strcmp(c->plugin, plugin) == 0))
            (*out)[n++] = c;
    }
    return n;
}

static int pick_one(rnnlab_kind kind, const char *what, const reg_component **found, size_t n,
                    const reg_component **out, rnnlab_err *err) {
    if (n == 1) {
        *out = found[0];
        return RNNLAB_OK;
    }
    return ambiguous(kind, what, found, n, err);
}

static int find_by_name(registry *r, rnnlab_kind kind, const char *name, const reg_component **out,
                        rnnlab_err *err) {
    const reg_component **found;
    size_t n = collect(r, kind, NULL, name, &found);
    if (!found) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory looking up '%s'", name);
    int rc = n ? pick_one(kind, name, found, n, out, err) : not_found(r, kind, name, err);
    free(found);
    return rc;
}

static int plugin_not_found(const registry *r, rnnlab_kind kind, const char *spec,
                            const char *plugin, rnnlab_err *err) {
    const char **names = malloc((r->nplugins + 1) * sizeof *names);
    msgbuf m;
    if (!names || !msg_open(&m)) {
        free(names);
        return err_set(err, RNNLAB_ERR_INVALID, "%s '%s': no plugin named '%s'", kind_name(kind),
                       spec, plugin);
    }
    for (size_t i = 0; i < r->nplugins; i++) names[i] = r->plugins[i].desc->name;
    size_t n = sort_unique(names, r->nplugins);
    fprintf(m.f, "%s '%s': no plugin named '%s' is loaded", kind_name(kind), spec, plugin);
    const char *guess = suggest_closest(plugin, names, n);
    if (guess) fprintf(m.f, "; did you mean '%s'?", guess);
    fputs(" (loaded plugins: ", m.f);
    put_list(m.f, names, n, "none");
    fputs(")", m.f);
    free(names);
    return msg_finish(&m, RNNLAB_ERR_INVALID, err);
}

static int component_not_in_plugin(const registry *r, rnnlab_kind kind, const char *spec,
                                   const char *plugin, const char *name, rnnlab_err *err) {
    const char **names;
    size_t n = names_of_kind(r, kind, plugin, &names);
    msgbuf m;
    if (!names || !msg_open(&m)) {
        free(names);
        return err_set(err, RNNLAB_ERR_INVALID, "%s '%s': plugin '%s' has no %s named '%s'",
                       kind_name(kind), spec, plugin, kind_name(kind), name);
    }
    fprintf(m.f, "%s '%s': plugin '%s' has no %s named '%s'", kind_name(kind), spec, plugin,
            kind_name(kind), name);
    const char *guess = suggest_closest(name, names, n);
    if (guess) fprintf(m.f, "; did you mean '%s:%s'?", plugin, guess);
    fprintf(m.f, " (its %ss: ", kind_name(kind));
    put_list(m.f, names, n, "none");
    fputs(")", m.f);
    free(names);
    return msg_finish(&m, RNNLAB_ERR_INVALID, err);
}

/* "plugin:component" */
static int find_pinned(registry *r, rnnlab_kind kind, const char *spec, const char *colon,
                       const reg_component **out, rnnlab_err *err) {
    size_t plen = (size_t)(colon - spec);
    const char *name = colon + 1;
    if (plen == 0 || !*name || strchr(name, ':'))
        return err_set(err, RNNLAB_ERR_INVALID,
                       "%s '%s': expected a name, plugin:name or a path to a .so file",
                       kind_name(kind), spec);
    char *plugin = strndup(spec, plen);
    if (!plugin) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory looking up '%s'", spec);
    int known = 0;
    for (size_t i = 0; i < r->nplugins && !known; i++)
        known = strcmp(r->plugins[i].desc->name, plugin) == 0;
    int rc;
    if (!known) {
        rc = plugin_not_found(r, kind, spec, plugin, err);
    } else {
        const reg_component **found;
        size_t n = collect(r, kind, plugin, name, &found);
        if (!found)
            rc = err_set(err, RNNLAB_ERR_NOMEM, "out of memory looking up '%s'", spec);
        else if (n == 0)
            rc = component_not_in_plugin(r, kind, spec, plugin, name, err);
        else
            rc = pick_one(kind, spec, found, n, out, err);
        free(found);
    }
    free(plugin);
    return rc;
}

/* A path to a .so: load it, then take its one component of `kind`. */
static int find_by_path(registry *r, rnnlab_kind kind, const char *path, const reg_component **out,
                        rnnlab_err *err) {
    int rc = registry_add_file(r, path, err);
    if (rc) return rc;
    char *real = realpath(path, NULL);
    if (!real) return err_set(err, RNNLAB_ERR_IO, "%s: %s", path, strerror(errno));
    const reg_plugin *p = plugin_by_real(r, real);
    free(real);
    if (!p) return err_set(err, RNNLAB_ERR_INTERNAL, "%s: loaded but not registered", path);
    const reg_component *match = NULL;
    size_t n = 0;
    for (size_t i = p->first; i < p->first + p->count; i++)
        if (r->comps[i]->kind == kind) n++, match = match ? match : r->comps[i];
    if (n == 1) {
        *out = match;
        return RNNLAB_OK;
    }
    msgbuf m;
    if (!msg_open(&m))
        return err_set(err, RNNLAB_ERR_INVALID, "%s: plugin '%s' has %s %s", path, p->desc->name,
                       n ? "several" : "no", kind_name(kind));
    fprintf(m.f, "%s: plugin '%s' ", path, p->desc->name);
    if (n == 0)
        fprintf(m.f, "has no %s (it provides:", kind_name(kind));
    else
        fprintf(m.f, "has %zu %ss, name one as plugin:component (it provides:", n, kind_name(kind));
    for (size_t i = p->first; i < p->first + p->count; i++)
        fprintf(m.f, "%s %s '%s'", i > p->first ? "," : "", kind_name(r->comps[i]->kind),
                r->comps[i]->name);
    fputs(")", m.f);
    return msg_finish(&m, RNNLAB_ERR_INVALID, err);
}

int registry_find(registry *r, rnnlab_kind kind, const char *name, const reg_component **out,
                  rnnlab_err *err) {
    *out = NULL;
    if (!kind_valid((int)kind))
        return err_set(err, RNNLAB_ERR_INTERNAL, "registry_find: unknown component kind %d",
                       (int)kind);
    if (!name || !*name)
        return err_set(err, RNNLAB_ERR_INVALID, "no %s name given", kind_name(kind));
    if (strchr(name, '/')) return find_by_path(r, kind, name, out, err);
    const char *colon = strchr(name, ':');
    if (colon) return find_pinned(r, kind, name, colon, out, err);
    return find_by_name(r, kind, name, out, err);
}

/* ------------------------------------------------------------------------ */
/* Lifetime                                                                  */
/* ------------------------------------------------------------------------ */

int registry_new(registry **out, const rnnlab_host *host, rnnlab_err *err) {
    *out = calloc(1, sizeof **out);
    if (!*out) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory creating the registry");
    (*out)->host = host;
    return RNNLAB_OK;
}

size_t registry_count(const registry *r) { return r->ncomps; }

const reg_component *registry_at(const registry *r, size_t i) {
    return i < r->ncomps ? r->comps[i] : NULL;
}

void registry_close(registry *r) {
    if (!r) return;
    for (size_t i = 0; i < r->ncomps; i++) free(r->comps[i]);
    /* Components point into the plugins' memory: free them first. */
    for (size_t i = r->nplugins; i-- > 0;) plugin_unload(&r->plugins[i]);
    free(r->comps);
    free(r->plugins);
    free(r);
}
