/* plugin_check.h -- conformance checks for one plugin file, the engine of
 * `rnnlab plugins check FILE.so` and of tests/lab/test_plugin_check.c.
 *
 * The exported symbols are read from the file's ELF .dynsym in this
 * process (no dlopen). Everything that runs plugin code happens in a forked
 * child, so a plugin that crashes, hangs (killed after a time limit) or
 * calls exit() is reported as a failure of the check it was in, never
 * taken down with it. The child sends its verdicts over a pipe.
 *
 * Report format, one line per check, in the spirit of lv2lint:
 *     PASS activation tanh: backward_f64 vs central differences
 *     FAIL activation bad: backward_f64 vs central differences: breaks
 *          "backward_f64 returns f'(x) * dy": at x = 0.5, dy = 1: ...
 *     WARN loader mine: skipped: needs real data (...)
 * followed by one summary line. A FAIL always names the contract (quoted,
 * after "breaks") and the input that broke it.
 *
 * The checks: exactly one exported symbol; the stamp, descriptor, names
 * and required ops (through the registry's own validation); schema
 * defaults parse and lie within their bounds; per kind (activation:
 * derivatives vs finite differences on [-10, 10] and up to |x| = 1e4 in
 * float and double, finiteness, aliasing; loss: gradient check, masked
 * rows, no counted rows, float vs double, logits of magnitude 1e4;
 * optimizer: descent on a convex quadratic, lr_scale = 0, read-only grad,
 * state owned by the host and resumable, one instance for many tensors;
 * tokenizer: counting conventions, UTF-8 round trip on text with Korean,
 * save/load, deterministic vocabulary; loader: shapes, masks, zeroed
 * padding and batch order on generated sample data); determinism (every
 * kind's checks run twice and must produce identical bytes); no leaks
 * (the counting host allocator is back to zero live blocks). */
#ifndef RNNLAB_LAB_PLUGIN_CHECK_H
#define RNNLAB_LAB_PLUGIN_CHECK_H

#include <stdio.h>
#include "core/error.h"

typedef struct plugin_check_summary {
    int pass, fail, warn;
} plugin_check_summary;

/* Checks the plugin at `path`, writing the report lines and the summary to
 * `report` (may be NULL: counts only) and the counts to *out. Returns
 * RNNLAB_OK when the checks ran, whatever their verdicts (out->fail says
 * whether the plugin conforms); an error only when checking was impossible
 * (pipe or fork failed). */
int plugin_check_file(const char *path, FILE *report, plugin_check_summary *out, rnnlab_err *err);

#endif
