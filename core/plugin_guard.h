/* plugin_guard.h -- which plugin op is running, for a process that ends
 * inside one.
 *
 * A plugin is code in our process: it can call exit(), abort() or crash,
 * and a run would end mid-step with nothing said, or even with status 0.
 * So the core records the op it is about to call (guard_enter, and
 * guard_leave when it returns) around the plugin calls of a run, and
 * guard_install (called once by the program, cli/main.c) adds:
 *  - an atexit hook: exit() while a plugin op runs, or at any point of a
 *    run (guard_run_begin .. guard_run_end), is not a normal end. The hook
 *    prints "rnnlab: error: ..." naming the plugin, its file and the op,
 *    lets the run record it (train: meta.json status "failed" with that
 *    message) and ends the process with the plugin status (exit code 6).
 *  - handlers for SIGSEGV, SIGBUS, SIGFPE, SIGILL and SIGABRT (on an
 *    alternate stack, so a stack overflow is reported too) that write the
 *    same naming to stderr, then let the signal take the course it had
 *    before (the default: the process dies by it; or a sanitizer's report).
 *    meta.json then stays "running", which no sweep reads as finished.
 * _exit() from a plugin cannot be seen by anything in the process: there,
 * the meta.json that still says "running" is what tells (a sweep judges a
 * run by its meta.json, never by its exit status alone).
 *
 * These are the one place the core writes to stderr itself: the process is
 * ending and nobody else is left to say why. */
#ifndef RNNLAB_CORE_PLUGIN_GUARD_H
#define RNNLAB_CORE_PLUGIN_GUARD_H

#include "registry.h"

/* Records that op (a string literal, e.g. "step") of component c is about
 * to run. No allocation: cheap enough for the training loop. */
void guard_enter(const reg_component *c, const char *op);

/* The op returned. */
void guard_leave(void);

/* A run is in progress until guard_run_end: an exit() now is abnormal
 * even outside a plugin op. on_exit (may be NULL) is called by the atexit
 * hook with the message, before the process ends. */
void guard_run_begin(void (*on_exit)(void *ctx, const char *message), void *ctx);
void guard_run_end(void);

/* Installs the atexit hook and the fatal-signal handlers (once; later
 * calls do nothing). */
void guard_install(void);

#endif
