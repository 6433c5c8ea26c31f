/* fileio.h -- whole-file reads and atomic writes.
 *
 * Every file rnnlab writes that a user could lose (checkpoints, resolved
 * configs, run markers) goes through file_write_atomic: a temp file in the
 * same folder, fsync, rename over the target, fsync of the folder. A failure
 * at any point removes the temp file and leaves the old target untouched. */
#ifndef RNNLAB_CORE_FILEIO_H
#define RNNLAB_CORE_FILEIO_H

#include <stddef.h>
#include "error.h"

/* Reads all of path into a malloc'd, NUL-terminated buffer (*len excludes
 * the NUL). The caller frees *buf. */
int file_read_all(const char *path, char **buf, size_t *len, rnnlab_err *err);

/* Writes the concatenation of n chunks to path atomically (see above). */
int file_write_atomic(const char *path, const void *const *chunks, const size_t *lens, size_t n,
                      rnnlab_err *err);

/* Fault injection for tests: after `bytes` more bytes, writes fail with
 * ENOSPC; with fail_fsync, fsync fails with EIO. bytes < 0 disables. */
void fileio_inject_faults(long bytes, int fail_fsync);

/* Creates dir and its parents (mode 0755); an existing folder is fine. */
int make_dirs(const char *dir, rnnlab_err *err);

/* "a/b", malloc'd (NULL when out of memory). The caller frees it. */
char *path_join(const char *a, const char *b);

/* path made absolute, malloc'd (NULL when out of memory or when the
 * current folder cannot be found): unchanged if it already is; otherwise
 * joined to dir ("" for the current folder; a relative dir is itself taken
 * from the current folder). "." components and repeated slashes are
 * dropped; ".." is kept, since through a symlinked folder it does not
 * cancel the component before it. */
char *path_absolute(const char *dir, const char *path);

/* Removes path and everything below it, without following symlinks.
 * Returns 0, or -1 with errno set by the first removal that failed. */
int remove_tree(const char *path);

#endif
