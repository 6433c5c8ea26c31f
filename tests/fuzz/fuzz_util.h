/* fuzz_util.h -- shared helpers for the libFuzzer targets: a quiet host,
 * the first-party plugins opened straight from the build tree (as
 * tests/plugin_util.h does, without the registry), schema defaults, and
 * the fuzz input exposed as a file path (memfd), since loaders and sweep
 * files are read by path.
 *
 * Everything here is set up once per process: libFuzzer calls the target
 * millions of times and the plugin handles are deliberately never closed. */
#ifndef RNNLAB_FUZZ_UTIL_H
#define RNNLAB_FUZZ_UTIL_H

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/error.h"
#include "core/host.h"
#include "rnnlab/plugin.h"

#ifndef RNNLAB_FUZZ_PLUGIN_DIR
#error "tests/fuzz/meson.build defines RNNLAB_FUZZ_PLUGIN_DIR"
#endif

/* Aborts: a fuzz target that cannot set itself up must not report "no
 * crash" for inputs it never exercised. */
static inline void fuzz_die(const char *what, const char *detail) {
    fprintf(stderr, "fuzz setup: %s: %s\n", what, detail ? detail : "");
    abort();
}

/* The component `name` of `kind` in build/plugins/<file>.so. */
static inline const rnnlab_component *fuzz_component(const rnnlab_host *host, const char *file,
                                                     rnnlab_kind kind, const char *name) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.so", RNNLAB_FUZZ_PLUGIN_DIR, file);
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) fuzz_die(path, dlerror());
    void *sym = dlsym(h, RNNLAB_PLUGIN_ENTRY_SYMBOL);
    if (!sym) fuzz_die(path, "no entry symbol");
    rnnlab_plugin_entry_fn entry;
    memcpy(&entry, &sym, sizeof entry);
    const rnnlab_plugin *p = entry(host);
    for (const rnnlab_component *const *c = p->components; c && *c; c++)
        if ((*c)->kind == kind && strcmp((*c)->name, name) == 0) return *c;
    fuzz_die(path, name);
    return NULL;
}

/* values[i] = the default of schema[i] (every shipped default is valid). */
static inline void fuzz_defaults(const rnnlab_param *schema, rnnlab_value *values) {
    for (size_t i = 0; schema && schema[i].key; i++) {
        const rnnlab_param *p = &schema[i];
        const char *d = p->default_value ? p->default_value : "";
        memset(&values[i], 0, sizeof values[i]);
        values[i].s = d;
        switch (p->type) {
        case RNNLAB_PARAM_BOOL: values[i].i = strcmp(d, "true") == 0 || strcmp(d, "1") == 0; break;
        case RNNLAB_PARAM_INT: values[i].i = atoll(d); break;
        case RNNLAB_PARAM_REAL: values[i].r = atof(d); break;
        case RNNLAB_PARAM_ENUM:
            for (int k = 0; p->choices && p->choices[k]; k++)
                if (strcmp(p->choices[k], d) == 0) values[i].i = k;
            break;
        default: break;
        }
    }
}

/* The index of key in schema; aborts if absent. */
static inline size_t fuzz_param(const rnnlab_param *schema, const char *key) {
    for (size_t i = 0; schema && schema[i].key; i++)
        if (strcmp(schema[i].key, key) == 0) return i;
    fuzz_die("no parameter", key);
    return 0;
}

/* An anonymous in-memory file holding the input; *path names it as
 * /proc/self/fd/N. One per process, rewritten for every input. */
static inline const char *fuzz_file(const uint8_t *data, size_t size) {
    static int fd = -1;
    static char path[64];
    if (fd < 0) {
        fd = memfd_create("rnnlab-fuzz", 0);
        if (fd < 0) fuzz_die("memfd_create", NULL);
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0) fuzz_die("ftruncate", NULL);
    size_t off = 0;
    while (off < size) {
        ssize_t w = pwrite(fd, data + off, size - off, (off_t)off);
        if (w <= 0) fuzz_die("pwrite", NULL);
        off += (size_t)w;
    }
    return path;
}

/* A NUL-terminated copy of the input (the caller frees it). */
static inline char *fuzz_text(const uint8_t *data, size_t size) {
    char *t = malloc(size + 1);
    if (!t) fuzz_die("malloc", NULL);
    memcpy(t, data, size);
    t[size] = '\0';
    return t;
}

#endif
