/*
 * Helpers for end-to-end tests: start one of the programs in SURGE_BIN on a
 * free port of 127.0.0.1 (its log and config in the test's scratch
 * directory), talk HTTP to it, read a mock's journal and set its faults,
 * wait for a condition within a bounded time, and receive requests on a
 * server in the test process. The runner kills the test's process group
 * afterwards, so a failed assertion never leaves a server behind.
 */
#ifndef SURGE_TESTS_E2E_H
#define SURGE_TESTS_E2E_H

#include <cJSON.h>
#include <stdint.h>

#include "../runner.h"
#include "httpc.h"
#include "httpd.h"
#include "proc.h"

typedef struct {
    proc *p;
    uint16_t port;
    char log[512];
} e2e_server;

/* Starts SURGE_BIN/prog --port 0 plus args (NULL-terminated, may be NULL);
 * fails the test when it does not come up within 10 s. */
void e2e_start(e2e_server *s, const char *prog, const char *const *args);
/* The same with its log named name.log (a second instance of prog). */
void e2e_start_as(e2e_server *s, const char *prog, const char *name, const char *const *args);
/* The same with config (JSON text, written to a file of the test's scratch
 * directory) given as --config before args; config NULL: no --config. */
void e2e_start_config(e2e_server *s, const char *prog, const char *config,
                      const char *const *args);
/* Runs SURGE_BIN/prog --port 0 with config (written to a file) that it must
 * refuse: it must exit 2 and say want (on stdout or stderr). */
void e2e_expect_refused(const char *prog, const char *config, const char *want);
/* SIGTERM and wait (fails the test if it does not exit cleanly in time). */
void e2e_stop(e2e_server *s);

/* Real seconds a surge command may take before the test gives up on it. */
#define E2E_SURGE_LIMIT_S 150

typedef struct {
    int code;  /* exit status; -1 when killed by a signal */
    char *out; /* stdout and stderr, read back */
    char *err;
} e2e_surge_result;

/* Runs SURGE_BIN/surge with args (NULL-terminated) as a user would, and
 * waits at most E2E_SURGE_LIMIT_S for it (then fails the test). */
e2e_surge_result e2e_surge(const char *const *args);
/* The same with the surge (and mocks and syncd) of dir; _release: the
 * release build (SURGE_RELEASE_BIN, default bin), for runs whose timing is
 * measured, as a user's is, without the sanitizers' slowdown. */
e2e_surge_result e2e_surge_in(const char *dir, const char *const *args);
e2e_surge_result e2e_surge_release(const char *const *args);
void e2e_surge_free(e2e_surge_result *r);

/* r must have exited with want (its stderr is shown when not). */
#define EXPECT_EXIT(r, want)                                                                   \
    do {                                                                                       \
        if ((r).code != (want))                                                                \
            test_fail(__FILE__, __LINE__, "surge exited %d, expected %d; stderr:\n%.3000s",    \
                      (r).code, (want), (r).err);                                              \
    } while (0)

/* Runs surge with the arguments that follow; it must exit with want and
 * say err_has on stderr ("": whatever it says). */
#define EXPECT_SURGE(want, err_has, ...)                                                       \
    do {                                                                                       \
        const char *const args_[] = {__VA_ARGS__, NULL};                                       \
        const char *err_has_ = (err_has);                                                      \
        e2e_surge_result r_ = e2e_surge(args_);                                                \
        EXPECT_EXIT(r_, want);                                                                 \
        if (*err_has_)                                                                         \
            EXPECT_CONTAINS(r_.err, err_has_);                                                 \
        e2e_surge_free(&r_);                                                                  \
    } while (0)

/* What a program left in a results folder: the text of dir/name
 * (malloc'd), and the same parsed as JSON (cJSON_Delete it); the test
 * fails when the file is missing or not JSON. */
char *e2e_read_in(const char *dir, const char *name);
cJSON *e2e_load_in(const char *dir, const char *name);
/* A metric of a summary.json ("order_push_latency_ms.p99"); the test fails
 * when it is not a number. */
double e2e_metric(const cJSON *summary, const char *name);

/* One request to the server; headers NULL-terminated "Name: value" or NULL.
 * The answer must be freed with httpc_resp_free. */
httpc_resp e2e_call(const e2e_server *s, const char *method, const char *path,
                    const char *const *headers, const char *body);
/* The answer's body as JSON (fails the test when it is not). Caller frees. */
cJSON *e2e_json(const httpc_resp *r);
/* A request whose answer must have the given status; returns its JSON body
 * (NULL when expect_json is 0). */
cJSON *e2e_expect(const e2e_server *s, const char *method, const char *path,
                  const char *const *headers, const char *body, int status, int expect_json);
/* A request whose answer must have the given status and a body containing
 * text. */
void e2e_expect_text(const e2e_server *s, const char *method, const char *path,
                     const char *const *headers, const char *body, int status, const char *text);

/* PUTs a fault plan (JSON text) on a mock; it must take it (200, JSON). */
void e2e_faults(const e2e_server *s, const char *plan);

/* Every entry of a mock's journal since seq 0 (GET /_mock/journal, page
 * by page), as one JSON array; the caller frees it. */
cJSON *e2e_journal(const e2e_server *s);

/* Polls cond every 20 ms for at most timeout_ms of real time; returns its
 * last value. */
int e2e_wait(int (*cond)(void *ud), void *ud, int timeout_ms);
void e2e_sleep_ms(int ms);

/* Runs a node script of the tree (tests/clients/...) with args (shell
 * words) and returns its stdout and stderr (caller frees), also printed;
 * *code gets its exit status. Fails the test when node or the script is
 * missing, or when the script exits 3 (its npm tools are missing: run
 * scripts/deps.sh --test). */
char *e2e_node(const char *script, const char *args, int *code);

/* Starts an HTTP server in the test process on a free port of 127.0.0.1
 * with one route (as httpd_route takes it) served by threads pool threads
 * (0: httpd's default); fails the test when it cannot. httpd_free stops it. */
httpd *e2e_listen(const char *method, const char *pattern, httpd_handler fn, void *ud,
                  unsigned threads);

#endif
