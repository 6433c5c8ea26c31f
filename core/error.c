/* error.c -- see error.h. */
#include "error.h"

#include <stdio.h>
#include <string.h>

int err_setv(rnnlab_err *e, int code, const char *fmt, va_list ap) {
    if (!e) return code;
    e->code = code;
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    return code;
}

int err_set(rnnlab_err *e, int code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    err_setv(e, code, fmt, ap);
    va_end(ap);
    return code;
}

int err_prefix(rnnlab_err *e, const char *fmt, ...) {
    if (!e) return RNNLAB_ERR_INTERNAL;
    char head[RNNLAB_ERR_MSG_MAX];
    char old[RNNLAB_ERR_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    memcpy(old, e->msg, sizeof old);
    /* Built by hand: snprintf("%s%s") of two buffers the size of the result
     * is flagged (rightly) as possibly truncating, and truncation is fine. */
    size_t hl = strnlen(head, sizeof e->msg - 1);
    size_t ol = strnlen(old, sizeof e->msg - 1 - hl);
    memcpy(e->msg, head, hl);
    memcpy(e->msg + hl, old, ol);
    e->msg[hl + ol] = '\0';
    return e->code;
}

void err_clear(rnnlab_err *e) {
    if (!e) return;
    e->code = RNNLAB_OK;
    e->msg[0] = '\0';
}

const char *status_name(int code) {
    switch (code) {
    case RNNLAB_OK: return "ok";
    case RNNLAB_ERR_NOMEM: return "out of memory";
    case RNNLAB_ERR_INVALID: return "invalid";
    case RNNLAB_ERR_IO: return "i/o error";
    case RNNLAB_ERR_FORMAT: return "bad format";
    case RNNLAB_ERR_PLUGIN: return "plugin error";
    case RNNLAB_ERR_NUMERIC: return "numeric error";
    case RNNLAB_ERR_UNSUPPORTED: return "unsupported";
    case RNNLAB_ERR_INTERRUPTED: return "interrupted";
    case RNNLAB_ERR_INTERNAL: return "internal error";
    default: return "unknown error";
    }
}

int status_exit_code(int code) {
    if (code >= 0) return 0;
    if (code < RNNLAB_ERR_INTERNAL) return 1;
    return 1 - code; /* -1 -> 2, ..., -9 -> 10 */
}
