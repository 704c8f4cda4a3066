/* Child processes; see proc.h. */
#include "proc.h"

#include "mem.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct proc {
    pid_t pid;
    int group; /* signals go to the process group -pid */
    int reaped;
    int status;
};

static void nap_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

void proc_log_tail(const char *path, char *buf, size_t n)
{
    buf[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    long from = size > (long)n - 1 ? size - (long)n + 1 : 0;
    fseek(f, from, SEEK_SET);
    size_t got = fread(buf, 1, n - 1, f);
    buf[got] = '\0';
    fclose(f);
    while (got && (buf[got - 1] == '\n' || buf[got - 1] == '\r'))
        buf[--got] = '\0';
}

/* The child's side of a start: output to fd, stdin from /dev/null, no
 * signal blocked, killed with its parent. 0, or -1 when the parent is
 * already gone. */
static int child_setup(pid_t parent, int fd)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent)
        return -1; /* the parent died before prctl took hold */
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0)
        dup2(devnull, STDIN_FILENO);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    return 0;
}

int proc_spawn(char *const argv[], const char *log_path, const proc_opts *o, proc **out,
               char *err, size_t errlen)
{
    int fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", log_path, strerror(errno));
        return -1;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        close(fd);
        return -1;
    }
    if (pid == 0) {
        /* Credentials first: changing them clears PR_SET_PDEATHSIG. */
        if (o->uid && (setgroups(1, &o->gid) != 0 || setgid(o->gid) != 0 ||
                       setuid(o->uid) != 0)) {
            dprintf(fd, "cannot become uid %d gid %d: %s\n", (int)o->uid, (int)o->gid,
                    strerror(errno));
            _exit(127);
        }
        if (child_setup(parent, fd) != 0)
            _exit(127);
        if (o->group)
            setpgid(0, 0);
        if (o->cwd && chdir(o->cwd) != 0) {
            fprintf(stderr, "cannot enter %s: %s\n", o->cwd, strerror(errno));
            _exit(127);
        }
        for (char *const *e = o->env; e && *e; e++)
            if (putenv(*e) != 0)
                _exit(127);
        execvp(argv[0], argv);
        fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(fd);
    if (o->group)
        setpgid(pid, pid); /* also here, so a signal sent at once finds the group */
    proc *p = xcalloc(1, sizeof *p);
    p->pid = pid;
    p->group = o->group;
    *out = p;
    return 0;
}

int proc_start(char *const argv[], const char *log_path, int want_port, int timeout_ms,
               proc **out, uint16_t *port, char *err, size_t errlen)
{
    /* A restarted child appends: only a line written after this offset counts. */
    struct stat st0;
    off_t start_size = stat(log_path, &st0) == 0 ? st0.st_size : 0;
    proc_opts none = {0};
    proc *p = NULL;
    if (proc_spawn(argv, log_path, &none, &p, err, errlen) != 0)
        return -1;
    pid_t pid = p->pid;
    if (!want_port) {
        *out = p;
        return 0;
    }
    for (int waited = 0; waited <= timeout_ms; waited += 5) {
        /* Read only what this start wrote. */
        FILE *f = fopen(log_path, "r");
        int found = 0;
        if (f) {
            fseek(f, (long)start_size, SEEK_SET);
            char line[512];
            while (!found && fgets(line, sizeof line, f)) {
                if (strncmp(line, "listening on ", 13) == 0) {
                    char *colon = strrchr(line, ':');
                    long v = colon ? strtol(colon + 1, NULL, 10) : 0;
                    if (v > 0 && v < 65536) {
                        *port = (uint16_t)v;
                        found = 1;
                    }
                }
            }
            fclose(f);
        }
        if (found) {
            *out = p;
            return 0;
        }
        int st;
        if (waitpid(pid, &st, WNOHANG) == pid) {
            p->reaped = 1;
            char tail[300];
            proc_log_tail(log_path, tail, sizeof tail);
            snprintf(err, errlen, "%s exited (status %d) before listening: %s", argv[0],
                     WIFEXITED(st) ? WEXITSTATUS(st) : -1, tail);
            free(p);
            return -1;
        }
        nap_ms(5);
    }
    char tail[300];
    proc_log_tail(log_path, tail, sizeof tail);
    snprintf(err, errlen, "%s did not print \"listening on\" within %d ms: %s", argv[0],
             timeout_ms, tail);
    proc_stop(p, 0);
    return -1;
}

/* name in the directories of a ':' list, or NULL. */
static char *find_in(const char *dirs, const char *name)
{
    for (const char *p = dirs;;) {
        const char *colon = strchr(p, ':');
        size_t len = colon ? (size_t)(colon - p) : strlen(p);
        if (len) {
            char *cand = xasprintf("%.*s/%s", (int)len, p, name);
            if (access(cand, X_OK) == 0)
                return cand;
            free(cand);
        }
        if (!colon)
            return NULL;
        p = colon + 1;
    }
}

char *proc_find_program(const char *name, const char *fallback)
{
    const char *path = getenv("PATH");
    char *found = find_in(path && *path ? path : "/usr/local/bin:/usr/bin:/bin", name);
    return found || !fallback ? found : find_in(fallback, name);
}

pid_t proc_pid(const proc *p)
{
    return p->pid;
}

int proc_kill(proc *p, int sig)
{
    if (p->reaped)
        return -1;
    return kill(p->group ? -p->pid : p->pid, sig);
}

int proc_wait(proc *p, int timeout_ms, int *status)
{
    for (int waited = 0;; waited += 2) {
        if (p->reaped) {
            if (status)
                *status = p->status;
            return 1;
        }
        int st;
        pid_t r = waitpid(p->pid, &st, WNOHANG);
        if (r == p->pid) {
            p->reaped = 1;
            p->status = st;
            continue;
        }
        if (waited >= timeout_ms)
            return 0;
        nap_ms(2);
    }
}

/* A group's members that outlive its leader (a shell's children): TERM,
 * up to grace_ms for them to go, then KILL. */
static void stop_group(pid_t pgid, int grace_ms)
{
    if (kill(-pgid, SIGTERM) != 0)
        return; /* no member left */
    for (int waited = 0; waited < grace_ms; waited += 10) {
        if (kill(-pgid, 0) != 0)
            return;
        nap_ms(10);
    }
    kill(-pgid, SIGKILL);
}

int proc_stop(proc *p, int grace_ms)
{
    if (!p)
        return 0;
    int status = -1;
    if (!p->reaped) {
        kill(p->group ? -p->pid : p->pid, SIGTERM);
        if (!proc_wait(p, grace_ms, &status)) {
            kill(p->group ? -p->pid : p->pid, SIGKILL);
            proc_wait(p, 10000, NULL);
            status = -1;
        }
    } else {
        status = p->status;
    }
    if (p->group)
        stop_group(p->pid, grace_ms);
    free(p);
    return status;
}
