/* fuzz_sweep.c -- the sweep file parser: sweep_load on the input (read
 * through a memfd path, as it reads files), then every run's --set list,
 * and sweep_parse_axis on the input's first line. sweep_resolve is not
 * called: it opens the base config and plugins, which is config parsing
 * again (fuzz_config) plus file system access. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "lab/sweep.h"

/* Plans bigger than this are not expanded run by run here (the parser has
 * already done its work; listing a million runs only costs time). */
#define MAX_LISTED_RUNS 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    rnnlab_err err;
    char *text = fuzz_text(data, size);
    char *nl = strchr(text, '\n');
    if (nl) *nl = '\0';
    char **values = NULL;
    size_t n = 0;
    if (sweep_parse_axis(text, &values, &n, &err) == RNNLAB_OK) {
        for (size_t i = 0; i < n; i++) free(values[i]);
        free(values);
    }
    free(text);

    sweep_plan *p = NULL;
    if (sweep_load(&p, fuzz_file(data, size), &err) != RNNLAB_OK) return 0;
    for (size_t i = 0; i < p->nruns && i < MAX_LISTED_RUNS; i++) {
        char **sets = NULL;
        size_t nsets = 0;
        if (sweep_run_sets(p, i, &sets, &nsets) == RNNLAB_OK) sweep_free_sets(sets, nsets);
    }
    sweep_free(p);
    return 0;
}
