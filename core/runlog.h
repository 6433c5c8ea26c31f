/* runlog.h -- an append-only log of lines kept in step with the checkpoints.
 *
 * metrics.csv is such a log. While a run trains, its logs are only ever
 * appended to. Each checkpoint records how many lines of each log it covers
 * (runlog_sync, then runlog->lines, in the checkpoint's metadata); a resumed
 * run keeps exactly that many lines and drops the rest: the rows written
 * after that checkpoint, which the resumed run writes again, and a torn last
 * line left by kill -9, which is never parsed. The cut writes the kept lines
 * to a new file beside the log and renames it over the log
 * (file_write_atomic), so a kill at any moment, during the cut too, leaves
 * either the old log or the cut one, and both resume to the same result.
 *
 * A line is anything that ends in '\n': the mechanism knows nothing of the
 * rows' format, and the number of lines (unlike their bytes, once a line
 * holds a wall time) is the same in every run of one config and seed, so
 * recording it keeps checkpoints bit-identical.
 *
 * A second log for a run: a runlog in the trainer next to `metrics`,
 * runlog_create / runlog_resume beside metrics' in train.c, runlog_sync and
 * a "<name>_lines" metadata entry beside "metrics_lines" in
 * run_save_checkpoint, and the read of that entry in run_resume.
 *
 * Ownership: a runlog owns its FILE and path; runlog_close releases both.
 * A zeroed runlog is closed: writing to it does nothing. */
#ifndef RNNLAB_CORE_RUNLOG_H
#define RNNLAB_CORE_RUNLOG_H

#include <stdint.h>
#include <stdio.h>

#include "error.h"

typedef struct runlog {
    FILE *f;
    char *path;
    uint64_t lines; /* complete lines in the file, header included */
} runlog;

/* Creates path holding just `header` (one line, without its '\n'; NULL:
 * none), atomically, and opens it for appending. */
int runlog_create(runlog *l, const char *path, const char *header, rnnlab_err *err);

/* Opens an existing log of a resumed run keeping its first `keep` lines
 * (what the checkpoint covers). A log with fewer complete lines lost rows
 * the checkpoint relies on: RNNLAB_ERR_FORMAT naming the file and both
 * counts. */
int runlog_resume(runlog *l, const char *path, uint64_t keep, rnnlab_err *err);

/* Appends one line: printf-style, the format without the '\n'. A write
 * error is reported by the next runlog_sync. No allocation. */
void runlog_printf(runlog *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Makes every line written so far durable (flush and fsync), so that a
 * checkpoint written next never covers lines a crash could lose. Errors
 * (ENOSPC, EIO, an earlier failed write) name the file. */
int runlog_sync(runlog *l, rnnlab_err *err);

void runlog_close(runlog *l);

#endif
