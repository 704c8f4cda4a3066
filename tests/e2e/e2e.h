/*
 * Helpers for end-to-end tests: start one of the programs in SURGE_BIN on a
 * free port of 127.0.0.1 (its log in the test's scratch directory) and talk
 * HTTP to it. The runner kills the test's process group afterwards, so a
 * failed assertion never leaves a server behind.
 */
#ifndef SURGE_TESTS_E2E_H
#define SURGE_TESTS_E2E_H

#include <cJSON.h>
#include <stdint.h>

#include "../runner.h"
#include "httpc.h"
#include "proc.h"

typedef struct {
    proc *p;
    uint16_t port;
    char log[512];
} e2e_server;

/* Starts SURGE_BIN/prog --port 0 plus args (NULL-terminated, may be NULL);
 * fails the test when it does not come up within 10 s. */
void e2e_start(e2e_server *s, const char *prog, const char *const *args);
/* SIGTERM and wait (fails the test if it does not exit cleanly in time). */
void e2e_stop(e2e_server *s);

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

#endif
