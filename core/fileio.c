/* fileio.c -- see fileio.h. */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static long fault_bytes = -1;
static int fault_fsync = 0;

void fileio_inject_faults(long bytes, int fail_fsync) {
    fault_bytes = bytes;
    fault_fsync = fail_fsync;
}

int file_read_all(const char *path, char **buf, size_t *len, rnnlab_err *err) {
    *buf = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return err_set(err, RNNLAB_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 1 << 16, n = 0;
    char *p = malloc(cap);
    if (!p) {
        fclose(f);
        return err_set(err, RNNLAB_ERR_NOMEM, "%s: out of memory", path);
    }
    for (;;) {
        if (n + 1 >= cap) {
            char *q = realloc(p, cap * 2);
            if (!q) {
                free(p);
                fclose(f);
                return err_set(err, RNNLAB_ERR_NOMEM, "%s: out of memory", path);
            }
            p = q;
            cap *= 2;
        }
        size_t got = fread(p + n, 1, cap - 1 - n, f);
        n += got;
        if (got == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(p);
        return err_set(err, RNNLAB_ERR_IO, "%s: read error", path);
    }
    p[n] = '\0';
    *buf = p;
    *len = n;
    return RNNLAB_OK;
}

static ssize_t write_some(int fd, const char *p, size_t n) {
    if (fault_bytes >= 0) {
        if (fault_bytes == 0) {
            errno = ENOSPC;
            return -1;
        }
        if ((long)n > fault_bytes) n = (size_t)fault_bytes;
        fault_bytes -= (long)n;
    }
    return write(fd, p, n);
}

static int sync_fd(int fd) {
    if (fault_fsync) {
        errno = EIO;
        return -1;
    }
    return fsync(fd);
}

int file_write_atomic(const char *path, const void *const *chunks, const size_t *lens, size_t n,
                      rnnlab_err *err) {
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 32);
    if (!tmp) return err_set(err, RNNLAB_ERR_NOMEM, "%s: out of memory", path);
    snprintf(tmp, plen + 32, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        int rc = err_set(err, RNNLAB_ERR_IO, "%s: cannot create temp file %s: %s", path, tmp,
                         strerror(errno));
        free(tmp);
        return rc;
    }
    for (size_t i = 0; i < n; i++) {
        const char *p = chunks[i];
        size_t left = lens[i];
        while (left > 0) {
            ssize_t w = write_some(fd, p, left);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) {
                int e = w < 0 ? errno : EIO;
                close(fd);
                unlink(tmp);
                int rc = err_set(err, RNNLAB_ERR_IO,
                                 "%s: write failed (%s); the previous file is unchanged", path,
                                 strerror(e));
                free(tmp);
                return rc;
            }
            p += w;
            left -= (size_t)w;
        }
    }
    if (sync_fd(fd) != 0) {
        int e = errno;
        close(fd);
        unlink(tmp);
        int rc =
            err_set(err, RNNLAB_ERR_IO, "%s: fsync failed (%s); the previous file is unchanged",
                    path, strerror(e));
        free(tmp);
        return rc;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        int rc =
            err_set(err, RNNLAB_ERR_IO, "%s: cannot replace (%s); the previous file is unchanged",
                    path, strerror(e));
        free(tmp);
        return rc;
    }
    free(tmp);
    /* Make the rename itself durable. A folder that cannot be opened or
     * synced (some file systems) is not an error: the data is already safe. */
    char *dir = strdup(path);
    if (dir) {
        char *slash = strrchr(dir, '/');
        const char *d = ".";
        if (slash) {
            *slash = '\0';
            d = slash == dir ? "/" : dir;
        }
        int dfd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            (void)fsync(dfd);
            close(dfd);
        }
        free(dir);
    }
    return RNNLAB_OK;
}

int make_dirs(const char *dir, rnnlab_err *err) {
    char *p = strdup(dir);
    if (!p) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0755) != 0 && errno != EEXIST) {
                int rc =
                    err_set(err, RNNLAB_ERR_IO, "%s: cannot create folder: %s", p, strerror(errno));
                free(p);
                return rc;
            }
            *s = c;
            if (c == '\0') break;
        }
    }
    free(p);
    return RNNLAB_OK;
}

char *path_join(const char *a, const char *b) {
    size_t n = strlen(a) + strlen(b) + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", a, b);
    return p;
}

char *path_absolute(const char *dir, const char *path) {
    char cwd[PATH_MAX] = "";
    if (path[0] != '/' && (!dir || dir[0] != '/') && !getcwd(cwd, sizeof cwd)) return NULL;
    size_t n = strlen(cwd) + (dir ? strlen(dir) : 0) + strlen(path) + 4;
    char *joined = malloc(n), *out = malloc(n);
    if (!joined || !out) {
        free(joined);
        free(out);
        return NULL;
    }
    if (path[0] == '/')
        snprintf(joined, n, "%s", path);
    else if (dir && dir[0] == '/')
        snprintf(joined, n, "%s/%s", dir, path);
    else
        snprintf(joined, n, "%s/%s/%s", cwd, dir ? dir : "", path);
    /* Copy component by component, skipping empty and "." ones. */
    size_t used = 0;
    for (char *c = joined, *next; c; c = next) {
        next = strchr(c, '/');
        if (next) *next++ = '\0';
        if (!*c || strcmp(c, ".") == 0) continue;
        out[used++] = '/';
        size_t len = strlen(c);
        memcpy(out + used, c, len);
        used += len;
    }
    if (used == 0) out[used++] = '/';
    out[used] = '\0';
    free(joined);
    return out;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int remove_tree(const char *path) { return nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS); }
