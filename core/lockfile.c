/* lockfile.c -- see lockfile.h. */
#include "lockfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define RECORD_MAX 1024

static void copy_env(char *dst, size_t size, const char *name) {
    const char *v = getenv(name);
    snprintf(dst, size, "%s", v ? v : "");
}

void lockfile_self(lock_holder *h) {
    memset(h, 0, sizeof *h);
    h->pid = (long)getpid();
    if (gethostname(h->host, sizeof h->host - 1) != 0) strcpy(h->host, "?");
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
    if (f) {
        if (!fgets(h->boot_id, sizeof h->boot_id, f)) h->boot_id[0] = '\0';
        h->boot_id[strcspn(h->boot_id, "\n")] = '\0';
        fclose(f);
    }
    h->since = (long long)time(NULL);
    copy_env(h->slurm_job, sizeof h->slurm_job, "SLURM_JOB_ID");
    copy_env(h->slurm_array_job, sizeof h->slurm_array_job, "SLURM_ARRAY_JOB_ID");
    copy_env(h->slurm_array_task, sizeof h->slurm_array_task, "SLURM_ARRAY_TASK_ID");
}

static int format_record(const lock_holder *h, char *buf, size_t size) {
    int n = snprintf(buf, size,
                     "pid=%ld\nhost=%s\nboot_id=%s\nsince=%lld\nslurm_job_id=%s\n"
                     "slurm_array_job_id=%s\nslurm_array_task_id=%s\n",
                     h->pid, h->host, h->boot_id, h->since, h->slurm_job, h->slurm_array_job,
                     h->slurm_array_task);
    return n < 0 || (size_t)n >= size ? (int)size - 1 : n;
}

static void field(char *dst, size_t size, const char *v, size_t n) {
    if (n >= size) n = size - 1;
    memcpy(dst, v, n);
    dst[n] = '\0';
}

/* Parses what format_record wrote; unknown or torn lines are skipped. */
static void parse_record(const char *text, lock_holder *h) {
    memset(h, 0, sizeof *h);
    for (const char *line = text; *line;) {
        const char *nl = strchr(line, '\n');
        if (!nl) break; /* a torn last line: ignored */
        const char *eq = memchr(line, '=', (size_t)(nl - line));
        if (eq) {
            size_t klen = (size_t)(eq - line), vlen = (size_t)(nl - eq - 1);
            const char *v = eq + 1;
            char num[32];
            field(num, sizeof num, v, vlen);
            if (klen == 3 && !strncmp(line, "pid", 3))
                h->pid = strtol(num, NULL, 10);
            else if (klen == 4 && !strncmp(line, "host", 4))
                field(h->host, sizeof h->host, v, vlen);
            else if (klen == 7 && !strncmp(line, "boot_id", 7))
                field(h->boot_id, sizeof h->boot_id, v, vlen);
            else if (klen == 5 && !strncmp(line, "since", 5))
                h->since = strtoll(num, NULL, 10);
            else if (klen == 12 && !strncmp(line, "slurm_job_id", 12))
                field(h->slurm_job, sizeof h->slurm_job, v, vlen);
            else if (klen == 18 && !strncmp(line, "slurm_array_job_id", 18))
                field(h->slurm_array_job, sizeof h->slurm_array_job, v, vlen);
            else if (klen == 19 && !strncmp(line, "slurm_array_task_id", 19))
                field(h->slurm_array_task, sizeof h->slurm_array_task, v, vlen);
        }
        line = nl + 1;
    }
    if (h->pid < 0) h->pid = 0;
}

static void read_record(int fd, lock_holder *h) {
    char buf[RECORD_MAX + 1];
    ssize_t n = pread(fd, buf, RECORD_MAX, 0);
    buf[n > 0 ? n : 0] = '\0';
    parse_record(buf, h);
}

static struct flock whole_file(short type) {
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = type;
    fl.l_whence = SEEK_SET; /* l_start = l_len = 0: the whole file */
    return fl;
}

int lockfile_take(const char *path, int wait, int *fd, lock_holder *holder, rnnlab_err *err) {
    lock_holder scratch;
    if (!holder) holder = &scratch;
    memset(holder, 0, sizeof *holder);
    *fd = -1;
    int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (f < 0)
        return err_set(err, RNNLAB_ERR_IO, "%s: cannot open the lock file: %s", path,
                       strerror(errno));
    struct flock fl = whole_file(F_WRLCK);
    int rc;
    while ((rc = fcntl(f, wait ? F_OFD_SETLKW : F_OFD_SETLK, &fl)) != 0 && errno == EINTR && wait)
        ;
    if (rc != 0) {
        int e = errno;
        if (e == EAGAIN || e == EACCES) {
            read_record(f, holder);
            close(f);
            return RNNLAB_OK;
        }
        close(f);
        return err_set(err, RNNLAB_ERR_IO, "%s: cannot lock: %s", path, strerror(e));
    }
    read_record(f, holder);
    lock_holder self;
    lockfile_self(&self);
    char buf[RECORD_MAX];
    int n = format_record(&self, buf, sizeof buf);
    /* Written over the old record, then cut to its length: no moment shows
     * an empty file. A reader racing with this may see a mix of both, which
     * only affects a message. */
    if (pwrite(f, buf, (size_t)n, 0) != n || ftruncate(f, n) != 0) {
        int e = errno;
        close(f);
        return err_set(err, RNNLAB_ERR_IO, "%s: cannot write the lock record: %s", path,
                       strerror(e));
    }
    *fd = f;
    return RNNLAB_OK;
}

void lockfile_release(int fd) {
    if (fd < 0) return;
    /* An empty record tells a later holder that this one ended cleanly. */
    if (ftruncate(fd, 0) != 0) {
        /* Only the "stale holder" report is affected; the lock still ends. */
    }
    close(fd);
}

int lockfile_held(const char *path, lock_holder *holder) {
    if (holder) memset(holder, 0, sizeof *holder);
    int f = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (f < 0) return 0;
    struct flock fl = whole_file(F_WRLCK);
    int held = fcntl(f, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
    if (held && holder) read_record(f, holder);
    close(f);
    return held;
}

void lockfile_describe(const lock_holder *h, char *buf, size_t size) {
    if (h->pid <= 0) {
        snprintf(buf, size, "an unknown process");
        return;
    }
    char when[64] = "";
    time_t t = (time_t)h->since;
    struct tm tm;
    if (h->since > 0 && gmtime_r(&t, &tm))
        strftime(when, sizeof when, " since %Y-%m-%d %H:%M:%S UTC", &tm);
    char job[128] = "";
    if (h->slurm_array_job[0])
        snprintf(job, sizeof job, " (Slurm job %s, array %s_%s)",
                 h->slurm_job[0] ? h->slurm_job : "?", h->slurm_array_job,
                 h->slurm_array_task[0] ? h->slurm_array_task : "?");
    else if (h->slurm_job[0])
        snprintf(job, sizeof job, " (Slurm job %s)", h->slurm_job);
    snprintf(buf, size, "pid %ld on host %s%s%s", h->pid, h->host[0] ? h->host : "?", job, when);
}
