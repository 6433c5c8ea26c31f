/* error.h -- the one error convention of the core.
 *
 * Every fallible core function returns an int: RNNLAB_OK (0) or a negative
 * rnnlab_status, and fills a caller-owned rnnlab_err with a message that
 * already names the file, line or key at fault. Only cli.c prints. */
#ifndef RNNLAB_CORE_ERROR_H
#define RNNLAB_CORE_ERROR_H

#include <stdarg.h>
#include "rnnlab/plugin.h"

#define RNNLAB_ERR_MSG_MAX 2048

typedef struct rnnlab_err {
    int code;
    char msg[RNNLAB_ERR_MSG_MAX];
} rnnlab_err;

/* Records code and a printf-style message in e (which may be NULL) and
 * returns code, so callers write `return err_set(e, RNNLAB_ERR_IO, ...)`. */
int err_set(rnnlab_err *e, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int err_setv(rnnlab_err *e, int code, const char *fmt, va_list ap);

/* Prepends context ("while loading X: ") to the message already in e and
 * returns e->code. */
int err_prefix(rnnlab_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Clears e to RNNLAB_OK and an empty message. */
void err_clear(rnnlab_err *e);

/* A short constant name for a status code ("invalid", "io", ...). */
const char *status_name(int code);

/* The process exit code the CLI uses for a status: 0 for OK, else 2..11. */
int status_exit_code(int code);

#endif
