/* stamp -- a plugin whose stamp is wrong in one field, chosen by a define
 * from tests/meson.build (STAMP_MAGIC, STAMP_MAJOR, ...), or whose entry
 * returns no descriptor at all (STAMP_NULL_DESCRIPTOR).
 *
 * Everything after the stamp is deliberately invalid (no name, no
 * components): the registry must refuse on the stamp before it reads any
 * further, so a test that sees a stamp message proves the order. */
#include "rnnlab/plugin.h"

#ifndef STAMP_MAGIC
#define STAMP_MAGIC RNNLAB_ABI_MAGIC
#endif
#ifndef STAMP_MAJOR
#define STAMP_MAJOR RNNLAB_ABI_MAJOR
#endif
#ifndef STAMP_MINOR
#define STAMP_MINOR RNNLAB_ABI_MINOR
#endif
#ifndef STAMP_REAL_SIZE
#define STAMP_REAL_SIZE sizeof(rnnlab_real)
#endif
#ifndef STAMP_SIZE_T_SIZE
#define STAMP_SIZE_T_SIZE sizeof(size_t)
#endif

static const rnnlab_plugin plugin = {
    .stamp = {STAMP_MAGIC, STAMP_MAJOR, STAMP_MINOR, (uint16_t)STAMP_REAL_SIZE,
              (uint16_t)STAMP_SIZE_T_SIZE, 0u},
    .name = NULL,
    .components = NULL,
};

RNNLAB_EXPORT const rnnlab_plugin *rnnlab_plugin_entry(const rnnlab_host *host) {
    (void)host;
#ifdef STAMP_NULL_DESCRIPTOR
    (void)&plugin;
    return NULL;
#else
    return &plugin;
#endif
}
