/* config.h -- INI configuration: parse, override, validate, show.
 *
 * A config is an ordered list of (section, key, value) entries, each
 * remembering where it came from (FILE:LINE, "--set", or "default"), so
 * every later error can point at the line that caused it. Parsing goes
 * through inih's ini_parse_stream with our own line reader: Debian's inih is
 * built without handler line numbers and with a 200-byte line limit, and we
 * want both the line number and an error (not a silent split) on long lines.
 *
 * Syntax: "[section]" headers, "key = value" (or "key: value") lines, ';' or
 * '#' comment lines, and inline comments after " ;". Every key must sit in a
 * section, and a key may appear once per section. A line may hold at most
 * INI_MAX_LINE - 2 characters (198 with Debian's inih) besides its line end.
 * There are no multi-line values: leading whitespace is ignored, so an
 * indented "key = value" is an ordinary key and an indented line without
 * '=' is a syntax error rather than a continuation of the previous value
 * (inih's Python-style continuation would otherwise glue it on silently).
 *
 * Ownership: config_load/config_new allocate; config_free releases all. Every
 * string returned points into the config and lives until config_free. */
#ifndef RNNLAB_CORE_CONFIG_H
#define RNNLAB_CORE_CONFIG_H

#include <stdio.h>
#include "error.h"

typedef struct config_entry {
    char *section;
    char *key;
    char *value;
    char *origin; /* file path, "--set" or "default" */
    int line;     /* 1-based line in origin, 0 when not from a file */
    /* A PATH value already made absolute (so the resolved config, and the
     * run folder that records it, work from any current folder). */
    int path_resolved;
    /* The value as the user wrote it, when resolution rewrote it (NULL
     * otherwise); config_write keeps it as a "; as written:" comment line
     * above the entry, and parsing reads that comment back. */
    char *written;
} config_entry;

typedef struct config config;

/* An empty config; `dir` (may be NULL) is the folder relative paths are
 * resolved against. */
config *config_new(const char *dir);

/* Parses the INI file at path; its folder becomes config_dir. Errors:
 * missing file (IO, "PATH: cannot open: ..."), a syntax error or over-long
 * line (FORMAT, "FILE:LINE: ..."), a key given twice in one section
 * (INVALID, naming both lines). */
int config_load(config **out, const char *path, rnnlab_err *err);

/* Parses INI text held in memory; `name` is used in messages. */
int config_load_string(config **out, const char *text, const char *name, const char *dir,
                       rnnlab_err *err);

void config_free(config *c);

/* Applies an override "section.key=value" (from --set). The key must be of
 * that form; the value is validated later, like a value from the file. */
int config_apply_set(config *c, const char *assignment, rnnlab_err *err);

/* Applies a removal "section.key" (from --unset): the key goes, so its
 * default applies (or a later --set gives it a value). A key the config
 * does not have is an error ("--unset optimizer.momentm: [optimizer] has no
 * key 'momentm'; did you mean 'momentum'?"): an unset never goes silent. */
int config_unset(config *c, const char *spec, rnnlab_err *err);

/* Removes section.key; returns 1 if it was there, 0 if not. Strings the
 * entry held stay valid until config_free. */
int config_remove(config *c, const char *section, const char *key);

/* Sets (adds or replaces) a value with the given origin. */
int config_put(config *c, const char *section, const char *key, const char *value,
               const char *origin, int line);

/* The entry for section.key, or NULL. */
const config_entry *config_find(const config *c, const char *section, const char *key);
/* Its value, or `fallback` if absent. */
const char *config_get(const config *c, const char *section, const char *key, const char *fallback);

size_t config_count(const config *c);
const config_entry *config_at(const config *c, size_t i);

/* The folder of the config file, for resolving relative paths ("" if none). */
const char *config_dir(const config *c);

/* The file path (or the name given to config_load_string; "config" for
 * config_new) used in messages. */
const char *config_name(const config *c);

/* Formats "ORIGIN:LINE" (or "--set section.key", or "default") for messages. */
const char *config_where(const config_entry *e, char *buf, size_t size);

/* Checks every key of `section` against `schema` (NULL-key terminated),
 * skipping the keys listed in `skip` (NULL-terminated, may be NULL; e.g. the
 * "name" key that chose the plugin). Then:
 *  - an unknown key: "FILE:LINE: unknown key 'hiden_size' in [model]; did
 *    you mean 'hidden_size'?" (the suggestion only when one is close);
 *  - a bad value: "FILE:LINE: [model] hidden_size = 'abc': expected an
 *    integer in [1, 65536]";
 *  - a missing required key: "CONFIG: [data] missing required key 'train'".
 * On success fills values[i] for each schema[i] (values must hold one per
 * schema entry), adds the defaults it used to the config (origin "default")
 * so config_write shows the resolved config, and makes PATH params
 * absolute: relative to the config's folder, or to the current folder for
 * values from --set (and for a config without a folder). The entry takes
 * the absolute path and keeps the text as written in `written`. String values point into the config
 * and stay valid until config_free, even if the key is set again. A failed
 * validation leaves the config unchanged. */
int config_validate_section(config *c, const char *section, const rnnlab_param *schema,
                            const char *const *skip, rnnlab_value *values, rnnlab_err *err);

/* Checks that every section in c is one of `known` (NULL-terminated):
 * "FILE:LINE: unknown section [modle]; did you mean [model]?" (LINE is the
 * header's line), or the list of known sections when none is close. */
int config_check_sections(const config *c, const char *const *known, rnnlab_err *err);

/* Parses one value against one parameter, as above; `where` prefixes the
 * message. Used by validate and by sweeps to check axis values early. */
int config_parse_value(const rnnlab_param *p, const char *text, const char *where,
                       const char *section, rnnlab_value *out, rnnlab_err *err);

/* The schema entry for key, or NULL. */
const rnnlab_param *schema_find(const rnnlab_param *schema, const char *key);

/* Writes the config as INI, sections in first-seen order, keys in order; an
 * entry whose value was rewritten (a path made absolute) is preceded by
 * "; as written: KEY = TEXT". */
int config_write(const config *c, FILE *f);

/* Writes the config atomically to path (temp file + fsync + rename). */
int config_save(const config *c, const char *path, rnnlab_err *err);

#endif
