/* run_folder.c -- see run_folder.h. */
#include "run_folder.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"

const char *const run_folder_files[] = {"last.safetensors", "best.safetensors", "meta.json",
                                        "metrics.csv",      "config.ini",       NULL};

/* "<run file>.tmp.<pid>": what file_write_atomic leaves when killed. */
static int is_leftover_temp(const char *name) {
    for (size_t i = 0; run_folder_files[i]; i++) {
        size_t n = strlen(run_folder_files[i]);
        if (strncmp(name, run_folder_files[i], n) != 0 || strncmp(name + n, ".tmp.", 5) != 0)
            continue;
        const char *d = name + n + 5;
        if (!*d) return 0;
        while (*d >= '0' && *d <= '9') d++;
        return *d == '\0';
    }
    return 0;
}

/* Only the lock holder may call this: no other writer can be mid-write. */
static void remove_leftover_temps(const char *dir) {
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d)))
        if (is_leftover_temp(de->d_name)) {
            char *p = path_join(dir, de->d_name);
            if (p) unlink(p);
            free(p);
        }
    closedir(d);
}

int run_folder_lock(const char *dir, int *fd, rnnlab_err *err) {
    *fd = -1;
    struct stat st;
    if (stat(dir, &st) != 0)
        return err_set(err, RNNLAB_ERR_IO, "%s: no such run folder: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return err_set(err, RNNLAB_ERR_IO, "%s: not a folder (expected a run folder)", dir);
    char *path = path_join(dir, RUN_LOCK_FILE);
    if (!path) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    lock_holder h;
    int rc = lockfile_take(path, 0, fd, &h, err);
    free(path);
    if (rc != RNNLAB_OK) return rc;
    if (*fd < 0) {
        char who[512];
        lockfile_describe(&h, who, sizeof who);
        return err_set(err, RNNLAB_ERR_IO,
                       "%s: the run folder is in use by %s; wait for that process to end or "
                       "use another folder",
                       dir, who);
    }
    remove_leftover_temps(dir);
    return RNNLAB_OK;
}

int run_folder_busy(const char *dir, lock_holder *holder) {
    char *path = path_join(dir, RUN_LOCK_FILE);
    int busy = path && lockfile_held(path, holder);
    free(path);
    return busy;
}

/* Which of the run's files dir holds, as "a, b, c" (empty: none). */
static void existing_files(const char *dir, char *buf, size_t size) {
    buf[0] = '\0';
    for (size_t i = 0; run_folder_files[i]; i++) {
        char *p = path_join(dir, run_folder_files[i]);
        struct stat st;
        if (p && lstat(p, &st) == 0) {
            size_t n = strlen(buf);
            snprintf(buf + n, size - n, "%s%s", n ? ", " : "", run_folder_files[i]);
        }
        free(p);
    }
}

static int remove_run_files(const char *dir, rnnlab_err *err) {
    for (size_t i = 0; run_folder_files[i]; i++) {
        char *p = path_join(dir, run_folder_files[i]);
        if (!p) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
        int bad = unlink(p) != 0 && errno != ENOENT;
        int e = errno;
        free(p);
        if (bad)
            return err_set(err, RNNLAB_ERR_IO, "%s/%s: cannot remove the old run's file: %s", dir,
                           run_folder_files[i], strerror(e));
    }
    return RNNLAB_OK;
}

/* --run-dir: exactly that folder, refused if it holds a run unless forced. */
static int use_given_dir(trainer *tr, int force, rnnlab_err *err) {
    tr->run_path = strdup(tr->run_dir);
    if (!tr->run_path) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    int rc = make_dirs(tr->run_path, err);
    if (rc == RNNLAB_OK) rc = run_folder_lock(tr->run_path, &tr->lock_fd, err);
    if (rc != RNNLAB_OK) return rc;
    char found[256];
    existing_files(tr->run_path, found, sizeof found);
    if (!found[0]) return RNNLAB_OK;
    if (!force)
        return err_set(err, RNNLAB_ERR_INVALID,
                       "--run-dir %s already holds a run (%s); continue it with `rnnlab train "
                       "--resume %s`, or pass --force to replace it",
                       tr->run_path, found, tr->run_path);
    return remove_run_files(tr->run_path, err);
}

static const char *base_name(const char *path, char *buf, size_t size) {
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    snprintf(buf, size, "%s", b);
    char *dot = strrchr(buf, '.');
    if (dot && dot != buf) *dot = '\0';
    return buf;
}

/* <run_dir>/<name>, or <name>-2, -3... if taken, so an earlier run is never
 * overwritten. */
int run_folder_new(trainer *tr, int force, rnnlab_err *err) {
    session *s = tr->s;
    if (tr->run_dir) return use_given_dir(tr, force, err);
    char name[256];
    if (s->train.name[0])
        snprintf(name, sizeof name, "%s", s->train.name);
    else
        base_name(s->config_path, name, sizeof name);
    int rc = make_dirs(s->train.run_dir, err);
    if (rc != RNNLAB_OK) return rc;
    size_t n = strlen(s->train.run_dir) + strlen(name) + 32;
    tr->run_path = malloc(n);
    if (!tr->run_path) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    for (int k = 1;; k++) {
        if (k == 1)
            snprintf(tr->run_path, n, "%s/%s", s->train.run_dir, name);
        else
            snprintf(tr->run_path, n, "%s/%s-%d", s->train.run_dir, name, k);
        if (mkdir(tr->run_path, 0755) == 0) return run_folder_lock(tr->run_path, &tr->lock_fd, err);
        if (errno != EEXIST)
            return err_set(err, RNNLAB_ERR_IO, "%s: cannot create run folder: %s", tr->run_path,
                           strerror(errno));
    }
}
