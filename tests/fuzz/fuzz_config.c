/* fuzz_config.c -- config parsing with --set overrides.
 *
 * Input: INI text, optionally followed by a line "--" and then one --set
 * assignment per line. The config is parsed, the overrides applied, the
 * sections checked and [train], [model], [plugins] and [diagnostics]
 * validated against the core's own schemas, then written out, as
 * `rnnlab config show` does. Every step may fail; none may crash, leak or
 * read out of bounds. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "fuzz_util.h"
#include "core/session.h"

static void validate(config *c, const char *section, const rnnlab_param *schema) {
    rnnlab_value values[64];
    rnnlab_err err;
    static const char *const skip[] = {"activation", "name", NULL};
    size_t n = 0;
    while (schema[n].key) n++;
    if (n > 64) fuzz_die("schema too long", section);
    config_validate_section(c, section, schema, skip, values, &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char *text = fuzz_text(data, size);
    char *sets = strstr(text, "\n--\n");
    if (sets) {
        *sets = '\0';
        sets += 4;
    }
    config *c = NULL;
    rnnlab_err err;
    if (config_load_string(&c, text, "fuzz.ini", "/nonexistent", &err) == RNNLAB_OK) {
        for (char *line = sets, *next; line && *line; line = next) {
            next = strchr(line, '\n');
            if (next) *next++ = '\0';
            config_apply_set(c, line, &err);
        }
        config_check_sections(c, session_sections, &err);
        validate(c, "train", schema_train);
        validate(c, "model", schema_model);
        validate(c, "plugins", schema_plugins);
        validate(c, "diagnostics", schema_diagnostics);
        FILE *sink = fopen("/dev/null", "w");
        if (sink) {
            config_write(c, sink);
            fclose(sink);
        }
        config_free(c);
    }
    free(text);
    return 0;
}
