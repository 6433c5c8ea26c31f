/* lockfile.h -- exclusive locks that end with their holder.
 *
 * A lock is an open file description lock (fcntl F_OFD_SETLK: a write lock
 * on the whole file) on a file that is never removed. The kernel releases
 * it when the holder's last descriptor closes: on exit, on kill -9, on a
 * crash. Nothing is cleaned up afterwards and no pid is ever compared, so a
 * lock works across PID namespaces and, on a file system whose locks are
 * shared between clients (NFSv4, NFSv3 with lockd, Lustre mounted with
 * -o flock, GPFS, CephFS), across hosts: the server releases a dead
 * client's locks when its lease runs out. On a mount whose locks are local
 * only (NFS mounted with `nolock`), hosts do not see each other's locks,
 * and nothing in user space can tell.
 *
 * The file holds a record of its holder (host, pid, boot id, when, Slurm
 * job ids): for messages and for reports of stale holders. The record is
 * information only: a lock is held if and only if the kernel says so. A
 * record in a file whose lock is free was left by a holder that ended
 * without lockfile_release (killed, crashed, its node lost).
 *
 * Lock files must never be deleted or replaced while anyone may use them:
 * a new file at the same path is a different lock. */
#ifndef RNNLAB_CORE_LOCKFILE_H
#define RNNLAB_CORE_LOCKFILE_H

#include "error.h"

/* Who holds (or held) a lock. pid == 0: no record. */
typedef struct lock_holder {
    long pid;
    char host[256];
    char boot_id[40];          /* /proc/sys/kernel/random/boot_id */
    long long since;           /* Unix time the lock was taken */
    char slurm_job[32];        /* $SLURM_JOB_ID, or "" */
    char slurm_array_job[32];  /* $SLURM_ARRAY_JOB_ID, or "" */
    char slurm_array_task[32]; /* $SLURM_ARRAY_TASK_ID, or "" */
} lock_holder;

/* Takes the lock on path, creating the file (mode 0644) if needed; with
 * `wait`, blocks until it is free, else returns at once. Returns RNNLAB_OK
 * with *fd >= 0 (close-on-exec) when taken, and then `holder` (may be NULL)
 * receives the record a previous holder left behind without releasing
 * (pid 0 when there was none) before this process's record replaces it.
 * Returns RNNLAB_OK with *fd = -1 when another open file holds the lock
 * (in this process or any other), and then `holder` receives its record
 * (pid 0 when it has not written one yet). Errors: RNNLAB_ERR_IO naming
 * the file. */
int lockfile_take(const char *path, int wait, int *fd, lock_holder *holder, rnnlab_err *err);

/* Clears the record and closes fd, releasing the lock. fd < 0: nothing. */
void lockfile_release(int fd);

/* Whether someone holds the lock on path, without taking it (so probing
 * never makes a claimer see the lock busy). Returns 1 and fills `holder`
 * (may be NULL) when held; 0 when free or when the file does not exist. */
int lockfile_held(const char *path, lock_holder *holder);

/* The record of the process calling it (what lockfile_take writes). */
void lockfile_self(lock_holder *h);

/* "pid 123 on host n1 (Slurm job 77, array 70_3) since 2025-01-02 10:11:12
 * UTC", or "an unknown process" when h has no record. */
void lockfile_describe(const lock_holder *h, char *buf, size_t size);

#endif
