/* plugin_util.h -- test helpers: a host and direct access to the shipped
 * plugins in the build tree, without going through the registry (so suites
 * for models and plugin kinds do not depend on registry behaviour). */
#ifndef RNNLAB_TEST_PLUGIN_UTIL_H
#define RNNLAB_TEST_PLUGIN_UTIL_H

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/host.h"
#include "rnnlab/plugin.h"

#ifndef RNNLAB_TEST_PLUGIN_DIR
#error "tests/meson.build defines RNNLAB_TEST_PLUGIN_DIR"
#endif

/* Loads build/plugins/<file>.so and returns the component of that kind and
 * name, or NULL. The handle is deliberately never closed: tests are short. */
static inline const rnnlab_component *test_component(const rnnlab_host *host, const char *file,
                                                     rnnlab_kind kind, const char *name) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.so", RNNLAB_TEST_PLUGIN_DIR, file);
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
        return NULL;
    }
    rnnlab_plugin_entry_fn entry;
    void *sym = dlsym(h, RNNLAB_PLUGIN_ENTRY_SYMBOL);
    if (!sym) return NULL;
    memcpy(&entry, &sym, sizeof entry);
    const rnnlab_plugin *p = entry(host);
    for (const rnnlab_component *const *c = p->components; c && *c; c++)
        if ((*c)->kind == kind && strcmp((*c)->name, name) == 0) return *c;
    return NULL;
}

/* Fills values[] with the schema defaults (test shortcut; no validation). */
static inline void test_defaults(const rnnlab_param *schema, rnnlab_value *values) {
    for (size_t i = 0; schema && schema[i].key; i++) {
        const rnnlab_param *p = &schema[i];
        memset(&values[i], 0, sizeof values[i]);
        const char *d = p->default_value ? p->default_value : "";
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

/* Sets a value by key after test_defaults. */
static inline void test_set(const rnnlab_param *schema, rnnlab_value *values, const char *key,
                            const char *text) {
    for (size_t i = 0; schema && schema[i].key; i++) {
        if (strcmp(schema[i].key, key) != 0) continue;
        values[i].s = text;
        values[i].i = atoll(text);
        values[i].r = atof(text);
        if (schema[i].type == RNNLAB_PARAM_BOOL) values[i].i = strcmp(text, "true") == 0;
        if (schema[i].type == RNNLAB_PARAM_ENUM)
            for (int k = 0; schema[i].choices[k]; k++)
                if (strcmp(schema[i].choices[k], text) == 0) values[i].i = k;
        return;
    }
    fprintf(stderr, "test_set: no key %s\n", key);
}

#endif
