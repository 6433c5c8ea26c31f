/* runlog.c -- see runlog.h. */
#include "runlog.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"

static int open_append(runlog *l, const char *path, uint64_t lines, rnnlab_err *err) {
    l->path = strdup(path);
    if (!l->path) return err_set(err, RNNLAB_ERR_NOMEM, "out of memory");
    l->f = fopen(path, "ae");
    if (!l->f) {
        int rc =
            err_set(err, RNNLAB_ERR_IO, "%s: cannot open for appending: %s", path, strerror(errno));
        free(l->path);
        l->path = NULL;
        return rc;
    }
    l->lines = lines;
    return RNNLAB_OK;
}

int runlog_create(runlog *l, const char *path, const char *header, rnnlab_err *err) {
    memset(l, 0, sizeof *l);
    const void *chunks[2] = {header ? header : "", "\n"};
    size_t lens[2] = {header ? strlen(header) : 0, header ? 1 : 0};
    int rc = file_write_atomic(path, chunks, lens, 2, err);
    return rc == RNNLAB_OK ? open_append(l, path, header ? 1 : 0, err) : rc;
}

int runlog_resume(runlog *l, const char *path, uint64_t keep, rnnlab_err *err) {
    memset(l, 0, sizeof *l);
    char *text;
    size_t len;
    int rc = file_read_all(path, &text, &len, err);
    if (rc != RNNLAB_OK) return rc;
    size_t end = 0;
    uint64_t have = 0;
    while (have < keep) {
        const char *nl = memchr(text + end, '\n', len - end);
        if (!nl) break;
        end = (size_t)(nl - text) + 1;
        have++;
    }
    if (have < keep) {
        free(text);
        return err_set(err, RNNLAB_ERR_FORMAT,
                       "%s: has %llu complete lines, but the checkpoint covers %llu: lines written "
                       "before the checkpoint are missing (was the file edited or truncated?)",
                       path, (unsigned long long)have, (unsigned long long)keep);
    }
    /* Anything after them was written after the checkpoint (or torn by a
     * kill): cut, beside and renamed over, never in place. */
    if (end < len) {
        const void *chunks[1] = {text};
        size_t lens[1] = {end};
        rc = file_write_atomic(path, chunks, lens, 1, err);
    }
    free(text);
    return rc == RNNLAB_OK ? open_append(l, path, keep, err) : rc;
}

void runlog_printf(runlog *l, const char *fmt, ...) {
    if (!l->f) return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(l->f, fmt, ap);
    va_end(ap);
    fputc('\n', l->f);
    l->lines++;
}

int runlog_sync(runlog *l, rnnlab_err *err) {
    if (!l->f) return RNNLAB_OK;
    errno = 0;
    if (fflush(l->f) != 0 || ferror(l->f) || fsync(fileno(l->f)) != 0)
        return err_set(err, RNNLAB_ERR_IO, "%s: cannot write: %s", l->path,
                       errno ? strerror(errno) : "write error");
    return RNNLAB_OK;
}

void runlog_close(runlog *l) {
    if (l->f) fclose(l->f);
    free(l->path);
    memset(l, 0, sizeof *l);
}
