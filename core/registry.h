/* registry.h -- finding, loading and validating plugins.
 *
 * The registry dlopens every .so in its search path (RTLD_NOW|RTLD_LOCAL),
 * checks each descriptor's stamp before reading anything else, copies each
 * component's ops table into a full-size, zero-padded table of the host's
 * layout (so slots a plugin's older ABI lacks read as NULL), and refuses
 * components whose required ops are NULL. The same kind+name from two files
 * is allowed to load, but asking for that name is then an error naming both
 * files; "plugin:component" picks one. The same kind+name twice in one
 * plugin is refused at load. The current directory is never searched
 * implicitly.
 *
 * Ownership: registry_open allocates; registry_close unloads everything.
 * Component pointers live until registry_close. */
#ifndef RNNLAB_CORE_REGISTRY_H
#define RNNLAB_CORE_REGISTRY_H

#include "error.h"

typedef struct registry registry;

/* A loaded component with its ops copied into the host's layout. */
typedef struct reg_component {
    rnnlab_kind kind;
    const char *name;
    const char *version;
    const char *description;
    const rnnlab_param *params; /* never NULL: an empty schema if none */
    size_t nparams;
    const char *file;   /* the .so it came from, as the path was given */
    const char *plugin; /* its plugin's name */
    const char *plugin_version;
    /* Every slot of the host's table is readable; slots beyond the plugin's
     * struct_size are NULL. struct_size keeps the plugin's value. */
    union {
        rnnlab_activation_ops activation;
        rnnlab_loss_ops loss;
        rnnlab_optimizer_ops optimizer;
        rnnlab_loader_ops loader;
        rnnlab_tokenizer_ops tokenizer;
    } ops;
} reg_component;

/* Creates an empty registry. `host` must outlive it. */
int registry_new(registry **out, const rnnlab_host *host, rnnlab_err *err);

/* Loads every *.so directly inside dir (sorted by name, for determinism;
 * hidden files and non-regular files are skipped, symlinks followed).
 * A directory that does not exist is skipped silently; one that cannot be
 * read is an error, and so is any plugin in it that fails to load (the
 * ones before it stay loaded). */
int registry_add_dir(registry *r, const char *dir, rnnlab_err *err);

/* Loads one plugin file. Errors name the file and what is wrong: dlopen's
 * message, no entry symbol, each stamp mismatch (field, both values, fix),
 * a missing required op, a kind+name listed twice in the one plugin. A file
 * already loaded (same real path) is not loaded twice. */
int registry_add_file(registry *r, const char *path, rnnlab_err *err);

/* Builds the default search path and loads it, in this order:
 * cli_path (--plugin-path, colon-separated, may be NULL), $RNNLAB_PLUGIN_PATH,
 * config_path ([plugins] path, colon-separated, may be NULL), the build
 * tree's plugins folder when the running binary is in the build tree (its
 * folder is RNNLAB_BUILD_ROOT or below it, by realpath), else the installed
 * <libdir>/rnnlab/plugins/abi<MAJOR>. Empty elements are ignored, never
 * read as "."; relative folders are used as given. Errors say which of the
 * sources named the failing folder. */
int registry_load_default(registry *r, const char *cli_path, const char *config_path,
                          rnnlab_err *err);

/* Finds a component by kind and name. `name` may be "plugin:component" to
 * pin the plugin, or a path to a .so file (containing '/'), which is loaded
 * first. Errors list the available names of that kind; an ambiguous name
 * (two files) names both files and suggests plugin:component. */
int registry_find(registry *r, rnnlab_kind kind, const char *name, const reg_component **out,
                  rnnlab_err *err);

size_t registry_count(const registry *r);
const reg_component *registry_at(const registry *r, size_t i);

void registry_close(registry *r);

/* Plugins are code: by default every registry of the process refuses a
 * plugin file, the folder holding it, or a scanned plugin folder that is
 * world-writable (a folder with the sticky bit is accepted as the holder of
 * a file loaded by path) or owned by a user other than root and the
 * effective user (RNNLAB_ERR_PLUGIN, naming the path, why, and the chmod or
 * chown that fixes it). registry_allow_unsafe(1) (the CLI's
 * --allow-unsafe-plugins) turns the check off for the whole process. */
void registry_allow_unsafe(int allow);
/* Whether registry_allow_unsafe(1) is in force (sweeps pass it on to their
 * child runs). */
int registry_unsafe_allowed(void);

/* "activation", "loss", ... */
const char *kind_name(rnnlab_kind kind);
/* Parses a kind name; returns 0 if unknown. */
rnnlab_kind kind_parse(const char *name);

#endif
