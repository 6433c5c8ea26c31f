/* plugin_guard.c -- see plugin_guard.h. */
#include "plugin_guard.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Read by the handlers: written only by the one thread that runs plugin
 * ops (plugins are called from the training thread only). */
static const reg_component *volatile cur_comp;
static const char *volatile cur_op;
static volatile sig_atomic_t in_op, in_run;
static void (*run_on_exit)(void *, const char *);
static void *run_ctx;

static const int fatal_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};
enum { NFATAL = sizeof fatal_signals / sizeof fatal_signals[0] };
static struct sigaction old_actions[NFATAL];

void guard_enter(const reg_component *c, const char *op) {
    cur_comp = c;
    cur_op = op;
    in_op = 1;
}

/* Forgotten at once: after its registry closes, a component's strings
 * live in an unloaded library. */
void guard_leave(void) {
    in_op = 0;
    cur_comp = NULL;
}

void guard_run_begin(void (*on_exit)(void *ctx, const char *message), void *ctx) {
    run_on_exit = on_exit;
    run_ctx = ctx;
    in_run = 1;
}

void guard_run_end(void) {
    in_run = 0;
    run_on_exit = NULL;
    run_ctx = NULL;
}

/* ---- messages, built without stdio or malloc (signal handlers) ------------ */

typedef struct text {
    char buf[1536];
    size_t n;
} text;

static void put(text *t, const char *s) {
    while (s && *s && t->n + 1 < sizeof t->buf) t->buf[t->n++] = *s++;
    t->buf[t->n] = '\0';
}

/* "optimizer 'dies' (plugin 'dies', /x/dies.so)" */
static void put_component(text *t, const reg_component *c) {
    put(t, kind_name(c->kind));
    put(t, " '");
    put(t, c->name);
    put(t, "' (plugin '");
    put(t, c->plugin);
    put(t, "', ");
    put(t, c->file);
    put(t, ")");
}

/* what happened, then who was running: the whole message. */
static void describe(text *t, const char *what) {
    const reg_component *c = cur_comp;
    put(t, what);
    if (in_op && c) {
        put(t, " inside ");
        put_component(t, c);
        put(t, ", op ");
        put(t, cur_op);
    } else if (in_run) {
        put(t, " outside any plugin call");
    }
    if (in_run) put(t, "; the run did not finish");
}

static const char *signal_text(int sig) {
    switch (sig) {
    case SIGSEGV: return "crashed (SIGSEGV, invalid memory access)";
    case SIGBUS: return "crashed (SIGBUS, bus error)";
    case SIGFPE: return "crashed (SIGFPE, arithmetic fault)";
    case SIGILL: return "crashed (SIGILL, illegal instruction)";
    case SIGABRT: return "aborted (SIGABRT)";
    }
    return "crashed";
}

static void on_fatal(int sig) {
    text t = {.n = 0};
    put(&t, "rnnlab: fatal: the process ");
    describe(&t, signal_text(sig));
    put(&t, "\n");
    ssize_t w = write(STDERR_FILENO, t.buf, t.n);
    (void)w;
    /* The signal's previous course (default: die by it; or a sanitizer's
     * handler): restored, and raised again to be delivered on return. */
    for (size_t i = 0; i < NFATAL; i++)
        if (fatal_signals[i] == sig) sigaction(sig, &old_actions[i], NULL);
    raise(sig);
}

static void at_exit(void) {
    if (!in_op && !in_run) return;
    text t = {.n = 0};
    describe(&t, in_op ? "a plugin called exit()" : "the process exited");
    fprintf(stderr, "rnnlab: error: %s\n", t.buf);
    if (run_on_exit) run_on_exit(run_ctx, t.buf);
    /* No further atexit handlers or stdio flushing: the end is abnormal,
     * and its status must not be the plugin's 0. */
    _exit(status_exit_code(RNNLAB_ERR_PLUGIN));
}

void guard_install(void) {
    static int installed;
    if (installed) return;
    installed = 1;
    atexit(at_exit);
    /* An alternate stack, unless one is set (a sanitizer's), so that a
     * stack overflow can still be reported. */
    static char alt[64 * 1024];
    stack_t cur;
    if (sigaltstack(NULL, &cur) == 0 && (cur.ss_flags & SS_DISABLE)) {
        stack_t st = {.ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0};
        sigaltstack(&st, NULL);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_fatal;
    sa.sa_flags = SA_ONSTACK;
    for (size_t i = 0; i < NFATAL; i++) sigaction(fatal_signals[i], &sa, &old_actions[i]);
}
