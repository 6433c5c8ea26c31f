/* test_registry.c -- loading, validating and finding plugins.
 *
 * The shipped plugins come from RNNLAB_TEST_PLUGIN_DIR; the deliberately
 * broken ones (tests/broken/) from RNNLAB_TEST_BROKEN_DIR, where each is
 * loaded by its own path so one cannot hide another. Folder tests build
 * small temporary folders of symlinks, so their content is exact whatever
 * else gets built into the plugin folder. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <ftw.h>

#include "core/host.h"
#include "core/registry.h"

#ifndef RNNLAB_TEST_BROKEN_DIR
#error "tests/meson.build defines RNNLAB_TEST_BROKEN_DIR"
#endif

static rnnlab_err err;
static rnnlab_host *host;
static registry *reg;
static char tmp_root[256];

static void setup(void) {
    err_clear(&err);
    host = host_create(&err, NULL, RNNLAB_LOG_WARN);
    cr_assert_not_null(host);
    cr_assert_eq(registry_new(&reg, host, &err), RNNLAB_OK);
    tmp_root[0] = '\0';
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void teardown(void) {
    registry_close(reg);
    host_destroy(host);
    if (tmp_root[0]) nftw(tmp_root, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
}

TestSuite(registry, .init = setup, .fini = teardown);

/* ---- helpers ------------------------------------------------------------ */

static const char *broken_path(const char *name) {
    static char path[4][1024];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, sizeof path[0], "%s/broken_%s.so", RNNLAB_TEST_BROKEN_DIR, name);
    return p;
}

static const char *shipped_path(const char *name) {
    static char path[4][1024];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, sizeof path[0], "%s/%s.so", RNNLAB_TEST_PLUGIN_DIR, name);
    return p;
}

/* A fresh temporary folder under tmp_root (removed in teardown). */
static const char *tmp_dir(const char *name) {
    if (!tmp_root[0]) {
        snprintf(tmp_root, sizeof tmp_root, "/tmp/rnnlab-registry-XXXXXX");
        cr_assert_not_null(mkdtemp(tmp_root));
    }
    static char path[4][512];
    static int next;
    char *p = path[next++ % 4];
    snprintf(p, sizeof path[0], "%s/%s", tmp_root, name);
    cr_assert_eq(mkdir(p, 0755), 0, "mkdir %s", p);
    return p;
}

static void link_into(const char *dir, const char *name, const char *target) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    cr_assert_eq(symlink(target, path), 0, "symlink %s", path);
}

static void assert_has(const char *needle) {
    cr_assert_not_null(strstr(err.msg, needle), "expected '%s' in the message: %s", needle,
                       err.msg);
}

/* Loading `path` fails with `code`, a message naming the file and holding
 * every one of the NULL-terminated needles, and registers nothing. */
static void expect_refused(const char *path, int code, ...) {
    size_t before = registry_count(reg);
    err_clear(&err);
    int rc = registry_add_file(reg, path, &err);
    cr_assert_eq(rc, code, "%s: rc %d (%s), expected %d", path, rc, err.msg, code);
    cr_assert_eq(err.code, code);
    assert_has(path);
    va_list ap;
    va_start(ap, code);
    for (const char *s = va_arg(ap, const char *); s; s = va_arg(ap, const char *)) assert_has(s);
    va_end(ap);
    cr_assert_eq(registry_count(reg), before, "a refused plugin left components behind");
}

static const reg_component *find_ok(rnnlab_kind kind, const char *name) {
    const reg_component *c = NULL;
    err_clear(&err);
    int rc = registry_find(reg, kind, name, &c, &err);
    cr_assert_eq(rc, RNNLAB_OK, "find %s: %s", name, err.msg);
    cr_assert_not_null(c);
    return c;
}

static void expect_find_fails(rnnlab_kind kind, const char *name, int code) {
    static const reg_component sentinel;
    const reg_component *c = &sentinel; /* find must reset it to NULL */
    err_clear(&err);
    int rc = registry_find(reg, kind, name, &c, &err);
    cr_assert_eq(rc, code, "find %s: rc %d (%s)", name, rc, err.msg);
    cr_assert_null(c);
}

/* ---- shipped plugins ---------------------------------------------------- */

Test(registry, loads_every_shipped_plugin) {
    cr_assert_eq(registry_add_dir(reg, RNNLAB_TEST_PLUGIN_DIR, &err), RNNLAB_OK, "%s", err.msg);
    const char *names[] = {"tanh", "relu", "sigmoid"};
    for (size_t i = 0; i < 3; i++) {
        const reg_component *c = find_ok(RNNLAB_KIND_ACTIVATION, names[i]);
        cr_assert_eq(c->kind, RNNLAB_KIND_ACTIVATION);
        cr_assert_str_eq(c->name, names[i]);
        cr_assert_str_eq(c->plugin, names[i]);
        cr_assert_str_eq(c->version, "1.0.0");
        cr_assert_str_eq(c->file, shipped_path(names[i]));
        cr_assert_not_null(c->params);
        cr_assert_eq(c->nparams, 0);
        cr_assert_gt(strlen(c->description), 0);
        cr_assert_eq(c->ops.activation.struct_size, sizeof(rnnlab_activation_ops));
        cr_assert_not_null(c->ops.activation.forward);
        cr_assert_not_null(c->ops.activation.backward_f64);
        cr_assert_eq(c->ops.activation.flags, RNNLAB_ACT_DERIV_FROM_Y);
    }
    /* Every loaded component is well formed, whatever else is shipped. */
    for (size_t i = 0; i < registry_count(reg); i++) {
        const reg_component *c = registry_at(reg, i);
        cr_assert_neq(strcmp(kind_name(c->kind), "unknown"), 0);
        cr_assert_not_null(strstr(c->file, RNNLAB_TEST_PLUGIN_DIR));
        cr_assert_not_null(c->params);
        for (size_t k = 0; k < c->nparams; k++) cr_assert_not_null(c->params[k].key);
        cr_assert_null(c->params[c->nparams].key);
    }
    cr_assert_null(registry_at(reg, registry_count(reg)));
}

Test(registry, shipped_ops_work_through_the_copied_table) {
    cr_assert_eq(registry_add_file(reg, shipped_path("relu"), &err), RNNLAB_OK, "%s", err.msg);
    const reg_component *c = find_ok(RNNLAB_KIND_ACTIVATION, "relu");
    rnnlab_real x[3] = {-1.0f, 0.5f, 2.0f}, y[3];
    cr_assert_eq(c->ops.activation.forward(NULL, x, y, 3), RNNLAB_OK);
    cr_assert_float_eq(y[0], 0.0f, 0.0f);
    cr_assert_float_eq(y[1], 0.5f, 0.0f);
    cr_assert_float_eq(y[2], 2.0f, 0.0f);
}

Test(registry, a_file_is_loaded_once) {
    cr_assert_eq(registry_add_file(reg, shipped_path("tanh"), &err), RNNLAB_OK, "%s", err.msg);
    size_t n = registry_count(reg);
    char other[1200];
    snprintf(other, sizeof other, "%s/./tanh.so", RNNLAB_TEST_PLUGIN_DIR);
    cr_assert_eq(registry_add_file(reg, other, &err), RNNLAB_OK, "%s", err.msg);
    cr_assert_eq(registry_add_dir(reg, RNNLAB_TEST_PLUGIN_DIR, &err), RNNLAB_OK, "%s", err.msg);
    size_t tanhs = 0;
    for (size_t i = 0; i < registry_count(reg); i++)
        tanhs += strcmp(registry_at(reg, i)->name, "tanh") == 0;
    cr_assert_eq(tanhs, 1);
    cr_assert_geq(registry_count(reg), n);
    find_ok(RNNLAB_KIND_ACTIVATION, "tanh");
}

/* ---- folders ------------------------------------------------------------ */

Test(registry, dir_is_loaded_in_name_order_and_skips_non_plugins) {
    const char *dir = tmp_dir("plugins");
    /* Created out of order on purpose: readdir order is not name order. */
    link_into(dir, "tanh.so", shipped_path("tanh"));
    link_into(dir, "relu.so", shipped_path("relu"));
    link_into(dir, "sigmoid.so", shipped_path("sigmoid"));
    /* None of these may be loaded: a hidden file, a folder named *.so, a
     * file without the suffix. Each points at a broken plugin, so loading
     * any of them would fail the call. */
    link_into(dir, ".hidden.so", broken_path("magic"));
    link_into(dir, "magic.so.bak", broken_path("magic"));
    link_into(dir, "magic", broken_path("magic"));
    char sub[600];
    snprintf(sub, sizeof sub, "%s/folder.so", dir);
    cr_assert_eq(mkdir(sub, 0755), 0);

    cr_assert_eq(registry_add_dir(reg, dir, &err), RNNLAB_OK, "%s", err.msg);
    cr_assert_eq(registry_count(reg), 3);
    cr_assert_str_eq(registry_at(reg, 0)->name, "relu");
    cr_assert_str_eq(registry_at(reg, 1)->name, "sigmoid");
    cr_assert_str_eq(registry_at(reg, 2)->name, "tanh");
    char expect[700];
    snprintf(expect, sizeof expect, "%s/relu.so", dir);
    cr_assert_str_eq(registry_at(reg, 0)->file, expect);
}

Test(registry, missing_dir_is_skipped_silently) {
    cr_assert_eq(registry_add_dir(reg, "/nonexistent/rnnlab/plugins", &err), RNNLAB_OK);
    cr_assert_eq(registry_count(reg), 0);
}

Test(registry, dir_that_is_a_file_is_an_error) {
    const char *path = shipped_path("tanh");
    int rc = registry_add_dir(reg, path, &err);
    cr_assert_eq(rc, RNNLAB_ERR_IO, "%s", err.msg);
    assert_has(path);
    assert_has("cannot read plugin folder");
}

Test(registry, broken_plugin_in_a_dir_fails_the_dir) {
    const char *dir = tmp_dir("mixed");
    link_into(dir, "a_relu.so", shipped_path("relu"));
    link_into(dir, "b_major.so", broken_path("major_newer"));
    int rc = registry_add_dir(reg, dir, &err);
    cr_assert_eq(rc, RNNLAB_ERR_PLUGIN, "%s", err.msg);
    assert_has("b_major.so");
    assert_has("ABI major version");
    /* What loaded before the bad file stays usable. */
    find_ok(RNNLAB_KIND_ACTIVATION, "relu");
}

/* ---- refusals: dlopen and the entry point -------------------------------- */

Test(registry, missing_file_is_an_io_error) {
    expect_refused("/nonexistent/rnnlab/x.so", RNNLAB_ERR_IO, "cannot open plugin", "No such file",
                   NULL);
}

Test(registry, not_a_shared_object_quotes_dlerror) {
    const char *dir = tmp_dir("junk");
    char path[700];
    snprintf(path, sizeof path, "%s/junk.so", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("this is not an ELF file, just text long enough to have a header\n", f);
    fclose(f);
    /* dlerror's own text names the file too, and says what is wrong. */
    expect_refused(path, RNNLAB_ERR_PLUGIN, "cannot load plugin: dlopen failed: ", NULL);
    cr_assert(strstr(err.msg, "ELF") || strstr(err.msg, "too short"), "%s", err.msg);
}

Test(registry, no_entry_symbol) {
    const char *path = broken_path("no_entry");
    char expect[1400];
    snprintf(expect, sizeof expect,
             "%s: no symbol 'rnnlab_plugin_entry': not an rnnlab plugin (build it with "
             "RNNLAB_EXPORT on the entry point)",
             path);
    expect_refused(path, RNNLAB_ERR_PLUGIN, NULL);
    cr_assert_str_eq(err.msg, expect);
}

Test(registry, entry_returning_null) {
    expect_refused(broken_path("null_descriptor"), RNNLAB_ERR_PLUGIN, "rnnlab_plugin_entry()",
                   "returned NULL", NULL);
}

/* ---- refusals: the stamp -------------------------------------------------
 * The stamp plugins have no name and no components after the stamp, so a
 * stamp message also proves the stamp is checked first. */

Test(registry, wrong_magic) {
    expect_refused(broken_path("magic"), RNNLAB_ERR_PLUGIN, "magic", "0x464C457F", "0x4C4E4E52",
                   "not an rnnlab plugin or the file is corrupt", NULL);
}

Test(registry, abi_major_newer) {
    char expect[1400];
    snprintf(expect, sizeof expect,
             "%s: ABI major version %d, this rnnlab has %d: rebuild the plugin against rnnlab "
             "%d.x headers, or upgrade rnnlab",
             broken_path("major_newer"), RNNLAB_ABI_MAJOR + 1, RNNLAB_ABI_MAJOR, RNNLAB_ABI_MAJOR);
    expect_refused(broken_path("major_newer"), RNNLAB_ERR_PLUGIN, expect, NULL);
}

Test(registry, abi_major_older) {
    char expect[1400];
    snprintf(expect, sizeof expect,
             "%s: ABI major version %d, this rnnlab has %d: rebuild the plugin against rnnlab "
             "%d.x headers",
             broken_path("major_older"), RNNLAB_ABI_MAJOR - 1, RNNLAB_ABI_MAJOR, RNNLAB_ABI_MAJOR);
    expect_refused(broken_path("major_older"), RNNLAB_ERR_PLUGIN, NULL);
    cr_assert_str_eq(err.msg, expect);
}

Test(registry, abi_minor_newer) {
    char expect[1400];
    snprintf(expect, sizeof expect,
             "%s: built for ABI %d.%d but this rnnlab supports %d.%d: upgrade rnnlab or rebuild "
             "the plugin",
             broken_path("minor_newer"), RNNLAB_ABI_MAJOR, RNNLAB_ABI_MINOR + 5, RNNLAB_ABI_MAJOR,
             RNNLAB_ABI_MINOR);
    expect_refused(broken_path("minor_newer"), RNNLAB_ERR_PLUGIN, expect, NULL);
}

Test(registry, real_size_mismatch) {
    expect_refused(broken_path("real_size"), RNNLAB_ERR_PLUGIN, "real_size is 8",
                   "this rnnlab uses 4", "rebuild the plugin", NULL);
}

Test(registry, size_t_size_mismatch) {
    char want[64];
    snprintf(want, sizeof want, "size_t_size is %zu", sizeof(size_t) / 2);
    expect_refused(broken_path("size_t_size"), RNNLAB_ERR_PLUGIN, want, "another architecture",
                   NULL);
}

/* ---- refusals: components and ops ------------------------------------------ */

Test(registry, missing_required_op) {
    expect_refused(broken_path("missing_op"), RNNLAB_ERR_PLUGIN,
                   ": component 'broken' (activation): required op 'backward' is missing (NULL or "
                   "beyond its struct_size)",
                   NULL);
}

Test(registry, required_op_beyond_struct_size) {
    expect_refused(broken_path("short_ops"), RNNLAB_ERR_PLUGIN,
                   "component 'broken' (activation): required op 'backward_f64' is missing", NULL);
}

Test(registry, struct_size_smaller_than_itself) {
    expect_refused(broken_path("tiny_struct"), RNNLAB_ERR_PLUGIN, "component 'broken'",
                   "struct_size is 1", "RNNLAB_OPS_SIZE", NULL);
}

Test(registry, null_ops_table) {
    expect_refused(broken_path("null_ops"), RNNLAB_ERR_PLUGIN,
                   "component 'broken' (activation): ops table is NULL", NULL);
}

Test(registry, duplicate_name_within_one_plugin) {
    expect_refused(broken_path("dup_name"), RNNLAB_ERR_PLUGIN,
                   "plugin 'broken_act' lists activation 'fine' twice", "#1 and #2", NULL);
}

Test(registry, bad_component_name) {
    expect_refused(broken_path("bad_name"), RNNLAB_ERR_PLUGIN,
                   "component #2 has invalid name 'Bad-Name'", "[a-z0-9_]+", NULL);
}

Test(registry, bad_component_kind) {
    expect_refused(broken_path("bad_kind"), RNNLAB_ERR_PLUGIN,
                   "component 'broken' has unknown kind 42", NULL);
}

Test(registry, schema_duplicate_key) {
    expect_refused(broken_path("dup_key"), RNNLAB_ERR_PLUGIN, "param 'alpha' is declared twice",
                   NULL);
}

Test(registry, schema_enum_without_choices) {
    expect_refused(broken_path("enum_no_choices"), RNNLAB_ERR_PLUGIN,
                   "ENUM param 'mode' has no choices", NULL);
}

Test(registry, schema_optional_param_without_default) {
    expect_refused(broken_path("no_default"), RNNLAB_ERR_PLUGIN,
                   "param 'alpha' has no default_value and is not RNNLAB_PARAM_REQUIRED", NULL);
}

Test(registry, schema_unknown_type) {
    expect_refused(broken_path("bad_type"), RNNLAB_ERR_PLUGIN, "param 'alpha' has unknown type 9",
                   NULL);
}

Test(registry, refusal_leaves_the_registry_usable) {
    cr_assert_eq(registry_add_file(reg, shipped_path("sigmoid"), &err), RNNLAB_OK);
    expect_refused(broken_path("missing_op"), RNNLAB_ERR_PLUGIN, NULL);
    /* The plugin's valid first component 'fine' was not registered either. */
    expect_find_fails(RNNLAB_KIND_ACTIVATION, "fine", RNNLAB_ERR_INVALID);
    find_ok(RNNLAB_KIND_ACTIVATION, "sigmoid");
}

/* ---- older tables ------------------------------------------------------- */

Test(registry, slots_beyond_struct_size_read_as_null) {
    cr_assert_eq(registry_add_file(reg, broken_path("old_optimizer"), &err), RNNLAB_OK, "%s",
                 err.msg);
    const reg_component *c = find_ok(RNNLAB_KIND_OPTIMIZER, "old_sgd");
    const rnnlab_optimizer_ops *o = &c->ops.optimizer;
    cr_assert_eq(o->struct_size, offsetof(rnnlab_optimizer_ops, base_lr));
    cr_assert_null(o->base_lr, "base_lr lies beyond struct_size and must read as NULL");
    cr_assert_eq(c->nparams, 1);
    cr_assert_str_eq(c->params[0].key, "lr");

    /* The copied table still drives the plugin. */
    rnnlab_value lr = {.r = 0.5};
    void *self = NULL;
    cr_assert_eq(o->create(host, &lr, &self), RNNLAB_OK);
    cr_assert_eq(o->state_slots(self), 0);
    rnnlab_real param[2] = {1.0f, -1.0f}, grad[2] = {2.0f, 4.0f};
    rnnlab_optim_step info = {.lr_scale = 1.0, .t = 1};
    cr_assert_eq(o->step(self, &info, param, grad, NULL, 2), RNNLAB_OK);
    cr_assert_float_eq(param[0], 0.0f, 1e-7f);
    cr_assert_float_eq(param[1], -3.0f, 1e-7f);
    o->destroy(self);
    cr_assert_eq(host_live_blocks(host), 0);
}

/* ---- finding ------------------------------------------------------------- */

static void load_three(void) {
    const char *dir = tmp_dir("three");
    link_into(dir, "tanh.so", shipped_path("tanh"));
    link_into(dir, "relu.so", shipped_path("relu"));
    link_into(dir, "sigmoid.so", shipped_path("sigmoid"));
    cr_assert_eq(registry_add_dir(reg, dir, &err), RNNLAB_OK, "%s", err.msg);
}

Test(registry, unknown_name_suggests_and_lists) {
    load_three();
    expect_find_fails(RNNLAB_KIND_ACTIVATION, "tahn", RNNLAB_ERR_INVALID);
    cr_assert_str_eq(err.msg,
                     "no activation named 'tahn'; did you mean 'tanh'? (available: relu, sigmoid, "
                     "tanh)");
    expect_find_fails(RNNLAB_KIND_ACTIVATION, "softplus", RNNLAB_ERR_INVALID);
    cr_assert_str_eq(err.msg, "no activation named 'softplus' (available: relu, sigmoid, tanh)");
}

Test(registry, unknown_kind_member_with_none_loaded) {
    load_three();
    expect_find_fails(RNNLAB_KIND_LOSS, "mse", RNNLAB_ERR_INVALID);
    assert_has("no loss named 'mse'");
    assert_has("no loss plugins are loaded");
    expect_find_fails(RNNLAB_KIND_LOSS, "tanh", RNNLAB_ERR_INVALID);
    assert_has("; 'tanh' is an activation");
}

Test(registry, same_name_in_two_files_is_ambiguous) {
    load_three();
    const char *other = broken_path("other_tanh");
    cr_assert_eq(registry_add_file(reg, other, &err), RNNLAB_OK, "%s", err.msg);

    expect_find_fails(RNNLAB_KIND_ACTIVATION, "tanh", RNNLAB_ERR_INVALID);
    assert_has("activation 'tanh' is ambiguous");
    assert_has("/three/tanh.so (plugin 'tanh')");
    assert_has(other);
    assert_has("'tanh:tanh'");
    assert_has("'other_tanh:tanh'");
    assert_has("plugin:component");

    const reg_component *mine = find_ok(RNNLAB_KIND_ACTIVATION, "tanh:tanh");
    cr_assert_str_eq(mine->plugin, "tanh");
    cr_assert_str_eq(mine->version, "1.0.0");
    const reg_component *theirs = find_ok(RNNLAB_KIND_ACTIVATION, "other_tanh:tanh");
    cr_assert_str_eq(theirs->plugin, "other_tanh");
    cr_assert_str_eq(theirs->version, "2.0.0");
    cr_assert_str_eq(theirs->file, other);
    /* Unrelated names are unaffected. */
    find_ok(RNNLAB_KIND_ACTIVATION, "relu");
}

static void copy_file(const char *from, const char *to) {
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    cr_assert(in && out, "copy %s -> %s", from, to);
    char buf[8192];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) cr_assert_eq(fwrite(buf, 1, n, out), n);
    fclose(in);
    cr_assert_eq(fclose(out), 0);
}

Test(registry, two_copies_of_one_plugin_need_a_path) {
    load_three();
    const char *dir = tmp_dir("copy");
    char copy[700];
    snprintf(copy, sizeof copy, "%s/tanh.so", dir);
    copy_file(shipped_path("tanh"), copy);
    cr_assert_eq(registry_add_file(reg, copy, &err), RNNLAB_OK, "%s", err.msg);

    expect_find_fails(RNNLAB_KIND_ACTIVATION, "tanh:tanh", RNNLAB_ERR_INVALID);
    assert_has("activation 'tanh:tanh' is ambiguous");
    assert_has(copy);
    assert_has("; pick one by the path of its .so file");
    cr_assert_null(strstr(err.msg, "plugin:component"), "%s", err.msg);
    cr_assert_str_eq(find_ok(RNNLAB_KIND_ACTIVATION, copy)->file, copy);
}

Test(registry, pinned_lookup_errors) {
    load_three();
    expect_find_fails(RNNLAB_KIND_ACTIVATION, "tahn:tanh", RNNLAB_ERR_INVALID);
    assert_has("no plugin named 'tahn' is loaded; did you mean 'tanh'?");
    assert_has("(loaded plugins: relu, sigmoid, tanh)");
    expect_find_fails(RNNLAB_KIND_ACTIVATION, "tanh:relu", RNNLAB_ERR_INVALID);
    assert_has("plugin 'tanh' has no activation named 'relu'");
    assert_has("(its activations: tanh)");
    expect_find_fails(RNNLAB_KIND_ACTIVATION, "tanh:", RNNLAB_ERR_INVALID);
    assert_has("expected a name, plugin:name or a path");
    expect_find_fails(RNNLAB_KIND_ACTIVATION, ":tanh", RNNLAB_ERR_INVALID);
    expect_find_fails(RNNLAB_KIND_ACTIVATION, "", RNNLAB_ERR_INVALID);
    assert_has("no activation name given");
}

Test(registry, path_name_loads_the_file) {
    load_three();
    const char *other = broken_path("other_tanh");
    const reg_component *c = find_ok(RNNLAB_KIND_ACTIVATION, other);
    cr_assert_str_eq(c->plugin, "other_tanh");
    cr_assert_str_eq(c->file, other);
    /* Asking again does not load it twice. */
    size_t n = registry_count(reg);
    cr_assert_eq(find_ok(RNNLAB_KIND_ACTIVATION, other), c);
    cr_assert_eq(registry_count(reg), n);
}

Test(registry, path_name_without_that_kind) {
    const char *path = shipped_path("tanh");
    expect_find_fails(RNNLAB_KIND_LOSS, path, RNNLAB_ERR_INVALID);
    assert_has(path);
    assert_has("plugin 'tanh' has no loss (it provides: activation 'tanh')");
}

Test(registry, path_name_to_a_broken_plugin) {
    const char *path = broken_path("minor_newer");
    expect_find_fails(RNNLAB_KIND_ACTIVATION, path, RNNLAB_ERR_PLUGIN);
    assert_has(path);
    assert_has("upgrade rnnlab");
}

/* ---- the default search path ---------------------------------------------- */

Test(registry, default_path_finds_the_build_tree_plugins) {
    unsetenv("RNNLAB_PLUGIN_PATH");
    cr_assert_eq(registry_load_default(reg, NULL, NULL, &err), RNNLAB_OK, "%s", err.msg);
    const reg_component *c = find_ok(RNNLAB_KIND_ACTIVATION, "tanh");
    cr_assert_str_eq(c->file, shipped_path("tanh"));
}

Test(registry, default_path_order_and_dedup) {
    const char *cli = tmp_dir("cli");
    const char *env = tmp_dir("env");
    const char *conf = tmp_dir("conf");
    link_into(cli, "other.so", broken_path("other_tanh"));
    link_into(env, "old.so", broken_path("old_optimizer"));
    link_into(conf, "relu.so", shipped_path("relu"));
    char cli_path[1200], env_path[1200];
    /* Empty elements and missing folders are skipped. */
    snprintf(cli_path, sizeof cli_path, "::%s:/nonexistent/x:", cli);
    snprintf(env_path, sizeof env_path, ":%s", env);
    cr_assert_eq(setenv("RNNLAB_PLUGIN_PATH", env_path, 1), 0);

    cr_assert_eq(registry_load_default(reg, cli_path, conf, &err), RNNLAB_OK, "%s", err.msg);
    cr_assert_str_eq(registry_at(reg, 0)->plugin, "other_tanh");
    cr_assert_str_eq(registry_at(reg, 1)->plugin, "old_optimizer");
    cr_assert_str_eq(registry_at(reg, 2)->plugin, "relu");
    /* relu.so from the build tree is the same real file: not loaded again. */
    size_t relus = 0;
    for (size_t i = 0; i < registry_count(reg); i++)
        relus += strcmp(registry_at(reg, i)->name, "relu") == 0;
    cr_assert_eq(relus, 1);
    /* The build tree came last: its tanh now clashes with other_tanh's. */
    expect_find_fails(RNNLAB_KIND_ACTIVATION, "tanh", RNNLAB_ERR_INVALID);
    assert_has("ambiguous");
}

Test(registry, empty_elements_never_mean_the_current_dir) {
    /* The broken plugins' folder is full of plugins that fail to load: if
     * an empty element meant ".", loading would fail. */
    cr_assert_eq(chdir(RNNLAB_TEST_BROKEN_DIR), 0);
    cr_assert_eq(setenv("RNNLAB_PLUGIN_PATH", "::", 1), 0);
    cr_assert_eq(registry_load_default(reg, ":", "", &err), RNNLAB_OK, "%s", err.msg);
    expect_find_fails(RNNLAB_KIND_ACTIVATION, "fine", RNNLAB_ERR_INVALID);
    /* A relative folder the user typed is used as given. */
    cr_assert_eq(registry_load_default(reg, ".", NULL, &err), RNNLAB_ERR_PLUGIN);
    assert_has("from --plugin-path: ");
}

Test(registry, env_path_errors_say_where_the_folder_came_from) {
    const char *dir = tmp_dir("bad");
    link_into(dir, "x.so", broken_path("magic"));
    cr_assert_eq(setenv("RNNLAB_PLUGIN_PATH", dir, 1), 0);
    cr_assert_eq(registry_load_default(reg, NULL, NULL, &err), RNNLAB_ERR_PLUGIN);
    assert_has("from $RNNLAB_PLUGIN_PATH: ");
    assert_has("/bad/x.so: stamp magic");
}

/* ---- kinds ------------------------------------------------------------- */

Test(registry, kind_names_round_trip) {
    const char *names[] = {"activation", "loss", "optimizer", "loader", "tokenizer"};
    for (int k = 1; k <= 5; k++) {
        cr_assert_str_eq(kind_name((rnnlab_kind)k), names[k - 1]);
        cr_assert_eq(kind_parse(names[k - 1]), (rnnlab_kind)k);
    }
    cr_assert_eq(kind_parse("activations"), 0);
    cr_assert_eq(kind_parse(NULL), 0);
    cr_assert_str_eq(kind_name((rnnlab_kind)0), "unknown");
    cr_assert_str_eq(kind_name((rnnlab_kind)9), "unknown");
}
