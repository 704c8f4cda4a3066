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
pid_t proc_pid(const proc *p);
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
