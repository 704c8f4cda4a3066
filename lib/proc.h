/*
 * Child processes for the harness and the end-to-end tests: start a server
 * binary, wait for its "listening on ADDR:PORT" line, stop it politely or
 * with SIGKILL. The child's stdout and stderr both go to a log file; the
 * child is killed if its parent dies (PR_SET_PDEATHSIG), so a crashed
 * harness never leaves servers behind.
 */
#ifndef SURGE_PROC_H
#define SURGE_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct proc proc;

/* Starts argv (argv[0] is the program path) with its output appended to
 * log_path. When want_port is set, waits up to timeout_ms (real) for the
 * "listening on ADDR:PORT" line and stores the port; a child that exits or
 * stays silent fails the start (and is killed). Returns 0, or -1 with a
 * message in err that quotes the end of the child's log. */
int proc_start(char *const argv[], const char *log_path, int want_port, int timeout_ms,
               proc **out, uint16_t *port, char *err, size_t errlen);
/* How proc_spawn starts a command that is not one of ours. */
typedef struct {
    const char *cwd;     /* chdir there first; NULL: ours */
    char *const *env;    /* "NAME=value" entries added to ours, NULL-terminated; may be NULL */
    int group;           /* its own process group: proc_kill and proc_stop signal the
                          * whole group, so a shell's children stop with it */
    uid_t uid;           /* non-zero: run as this user, with gid as its only group */
    gid_t gid;           /* (a root parent starting a server that refuses root) */
} proc_opts;
/* Starts argv (argv[0] looked up in PATH) with its output appended to
 * log_path, as o says. Returns 0, or -1 with a message in err; a command
 * that cannot be run exits 127 with the reason in its log. */
int proc_spawn(char *const argv[], const char *log_path, const proc_opts *o, proc **out,
               char *err, size_t errlen);
/* The path of program name found in PATH (when PATH is unset or empty:
 * /usr/local/bin, /usr/bin, /bin), then in fallback (a ':' list, may be
 * NULL); malloc'd, or NULL when none is executable. */
char *proc_find_program(const char *name, const char *fallback);
pid_t proc_pid(const proc *p);
/* The last n - 1 bytes of the log at path (trailing newlines dropped), for
 * error messages; empty when it cannot be read. */
void proc_log_tail(const char *path, char *buf, size_t n);
/* Sends sig; returns 0 or -1. */
int proc_kill(proc *p, int sig);
/* Waits up to timeout_ms for the child to exit. Returns 1 when it has (its
 * wait status in *status), 0 when it still runs. */
int proc_wait(proc *p, int timeout_ms, int *status);
/* SIGTERM, up to grace_ms for it to exit, then SIGKILL; reaps the child and
 * frees p. Returns the wait status, or -1 if SIGKILL was needed. Accepts
 * NULL. */
int proc_stop(proc *p, int grace_ms);

#endif
