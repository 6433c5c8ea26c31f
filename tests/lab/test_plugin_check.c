/* test_plugin_check.c -- the conformance checker (`rnnlab plugins check`).
 *
 * Every shipped plugin in RNNLAB_TEST_PLUGIN_DIR must pass every check; each
 * deliberately wrong plugin (tests/broken/contract.c, plus the stamp and
 * no-entry ones the registry suite uses) must fail, naming the contract it
 * breaks and the input that broke it. A plugin author can copy this file's
 * `shipped` test, pointing it at their own build folder, to run the same
 * checks in their CI. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab/plugin_check.h"

#ifndef RNNLAB_TEST_BROKEN_DIR
#error "tests/meson.build defines RNNLAB_TEST_BROKEN_DIR"
#endif
#ifndef RNNLAB_TEST_PLUGIN_DIR
#error "tests/meson.build defines RNNLAB_TEST_PLUGIN_DIR"
#endif

TestSuite(plugin_check);

/* The report of one file, in a malloc'd string, and its counts. */
typedef struct result {
    char *text;
    size_t len;
    plugin_check_summary sum;
} result;

static result check(const char *path) {
    result r = {0};
    FILE *f = open_memstream(&r.text, &r.len);
    cr_assert_not_null(f);
    rnnlab_err err;
    err_clear(&err);
    int rc = plugin_check_file(path, f, &r.sum, &err);
    fclose(f);
    cr_assert_eq(rc, RNNLAB_OK, "%s: %s", path, err.msg);
    return r;
}

static const char *broken(const char *name) {
    static char path[1024];
    snprintf(path, sizeof path, "%s/broken_%s.so", RNNLAB_TEST_BROKEN_DIR, name);
    return path;
}

/* The FAIL line containing every one of `needles` (NULL-terminated), or
 * NULL. */
static const char *fail_line(const result *r, const char *const *needles) {
    for (const char *line = r->text; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        if (strncmp(line, "FAIL ", 5) == 0) {
            int all = 1;
            for (const char *const *k = needles; *k && all; k++) {
                const char *hit = strstr(line, *k);
                all = hit && hit < line + n;
            }
            if (all) return line;
        }
        line = end ? end + 1 : NULL;
    }
    return NULL;
}

static void expect_fail(const char *name, const char *const *needles) {
    result r = check(broken(name));
    cr_expect_gt(r.sum.fail, 0, "%s: expected a failure, report:\n%s", name, r.text);
    cr_expect_not_null(fail_line(&r, needles), "%s: no FAIL line with '%s'%s%s; report:\n%s", name,
                       needles[0], needles[1] ? " and '" : "", needles[1] ? needles[1] : "",
                       r.text);
    free(r.text);
}

Test(plugin_check, every_shipped_plugin_passes) {
    DIR *d = opendir(RNNLAB_TEST_PLUGIN_DIR);
    cr_assert_not_null(d);
    struct dirent *e;
    int files = 0;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 4 || strcmp(e->d_name + n - 3, ".so") != 0) continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", RNNLAB_TEST_PLUGIN_DIR, e->d_name);
        result r = check(path);
        cr_expect_eq(r.sum.fail, 0, "%s failed the checks:\n%s", e->d_name, r.text);
        /* exports + descriptor + at least schema, kind checks, leaks, determinism */
        cr_expect_geq(r.sum.pass, 6, "%s: only %d checks passed:\n%s", e->d_name, r.sum.pass,
                      r.text);
        cr_expect(strstr(r.text, "PASS plugin ") != NULL, "%s", r.text);
        free(r.text);
        files++;
    }
    closedir(d);
    cr_expect_geq(files, 23, "only %d plugins found in %s", files, RNNLAB_TEST_PLUGIN_DIR);
}

Test(plugin_check, the_report_has_one_line_per_check_and_a_summary) {
    char path[1024];
    snprintf(path, sizeof path, "%s/tanh.so", RNNLAB_TEST_PLUGIN_DIR);
    result r = check(path);
    cr_expect(strstr(r.text, "PASS activation tanh: backward_f64 vs central differences") != NULL,
              "%s", r.text);
    cr_expect(strstr(r.text, "PASS activation tanh: deterministic") != NULL, "%s", r.text);
    cr_expect(strstr(r.text, "PASS activation tanh: no leaks") != NULL, "%s", r.text);
    char summary[1200];
    snprintf(summary, sizeof summary, "%s: %d checks: %d passed, 0 failed, 0 warnings\n", path,
             r.sum.pass, r.sum.pass);
    cr_expect(strstr(r.text, summary) != NULL, "no '%s' in:\n%s", summary, r.text);
    free(r.text);
}

Test(plugin_check, backward_sign_error_fails_the_derivative_contract) {
    expect_fail("sign_error",
                (const char *const[]){"activation sign_error",
                                      "backward_f64 vs "
                                      "central differences",
                                      "breaks \"backward_f64 returns f'(x) * dy\"", "at x = -",
                                      "central differences of forward_f64 give", NULL});
}

Test(plugin_check, masked_rows_leaking_gradient_fail) {
    expect_fail("mask_leak", (const char *const[]){"loss mask_leak",
                                                   "masked rows contribute "
                                                   "nothing",
                                                   "masked row 2 has dlogits", NULL});
}

Test(plugin_check, optimizer_moving_at_zero_lr_fails) {
    expect_fail("zero_lr_moves",
                (const char *const[]){"optimizer zero_lr_moves", "lr_scale = 0",
                                      "breaks \"with lr_scale = 0, step leaves param unchanged\"",
                                      "moved param[0]", NULL});
}

/* The child dies on a wild read in forward (float) for |x| > 10: the
 * report names the step, and the checker itself carries on. Under
 * AddressSanitizer the child exits with its report instead of the signal. */
Test(plugin_check, a_crashing_plugin_is_reported_not_fatal) {
    result r = check(broken("crash_forward"));
    const char *crash[] = {"activation crash_forward: forward and backward (float)", "crash", NULL};
    const char *sanitized[] = {"activation crash_forward: forward and backward (float)",
                               "never exit", NULL};
    cr_expect(fail_line(&r, crash) || fail_line(&r, sanitized), "%s", r.text);
    /* Checks before the crash were reported. */
    cr_expect(strstr(r.text, "PASS activation crash_forward: backward_f64 vs central") != NULL,
              "%s", r.text);
    free(r.text);
}

Test(plugin_check, a_second_exported_symbol_fails) {
    expect_fail("extra_symbol",
                (const char *const[]){"exported symbols", "exports exactly one symbol",
                                      "tanh_helper", NULL});
}

Test(plugin_check, leaked_host_blocks_fail) {
    expect_fail("leaky_create", (const char *const[]){"activation leaky_create: no leaks",
                                                      "host blocks still live", NULL});
}

Test(plugin_check, stamp_and_descriptor_errors_fail_before_any_kind_check) {
    expect_fail("major_newer", (const char *const[]){"stamp, descriptor", "ABI major", NULL});
    expect_fail("no_entry",
                (const char *const[]){"exports exactly one symbol", "it is not exported", NULL});
    expect_fail("missing_op", (const char *const[]){"required op 'backward'", NULL});
}

Test(plugin_check, a_file_that_is_not_elf_fails_cleanly) {
    char path[] = "/tmp/rnnlab-notelf-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, "hello\n", 6), 6);
    close(fd);
    result r = check(path);
    unlink(path);
    cr_expect_gt(r.sum.fail, 0, "%s", r.text);
    cr_expect(strstr(r.text, "not an ELF file") != NULL, "%s", r.text);
    free(r.text);
}
