/*
 * Helpers shared by the mock-cin7 end-to-end tests (test_mock_cin7*.c):
 * start the mock with a config written into the test's scratch directory,
 * call its API with credentials, read its journal and state, wait for a
 * condition within a bounded time, and receive its webhooks on an httpd
 * started in the test process.
 */
#ifndef SURGE_TESTS_MOCK_CIN7_H
#define SURGE_TESTS_MOCK_CIN7_H

#include "e2e.h"
#include "httpd.h"

#include <pthread.h>

/* Credentials of the demo world and of C7T_CONFIG's two applications. */
extern const char *const c7t_demo_auth[];
extern const char *const c7t_auth[];  /* account acme, key k1 (app "sync") */
extern const char *const c7t_auth2[]; /* account acme, key k2 (app "erp") */

/* A world for most tests: account acme, no rate limit, three locations,
 * supplier "Acme Supply" (lead 1h, MOQ 50, EUR, serves Main and East),
 * SKUs A-1 (Main 100, East 5), A-2 (Main 10), B-1 (none), and the delays
 * given in extra JSON members (may be ""). Returns malloc'd text. */
char *c7t_config(const char *extra);

/* Starts mock-cin7 with config (JSON text, or NULL for the demo world) and
 * further arguments (NULL-terminated, may be NULL). */
void c7t_start(e2e_server *s, const char *config, const char *const *args);

/* One call; fails the test unless the answer has status. Returns the body
 * as JSON (caller frees). */
cJSON *c7t_call(const e2e_server *s, const char *const *hdrs, const char *method,
                const char *path, const char *body, int status);
/* One call returning only its status (0 for a transport error). */
int c7t_status(const e2e_server *s, const char *const *hdrs, const char *method, const char *path,
               const char *body);

double c7t_num(const cJSON *o, const char *key);
const char *c7t_str(const cJSON *o, const char *key);

/* GET /_mock/journal?since=0: the answer (its "entries" array inside). */
cJSON *c7t_journal(const e2e_server *s);
/* Entries of a kind in a journal answer; nth from 0, or NULL. */
const cJSON *c7t_entry(const cJSON *journal, const char *kind, int nth);
int c7t_count(const cJSON *journal, const char *kind);
/* The state's stock row of sku at location (a new tree, caller frees). */
cJSON *c7t_stock(const e2e_server *s, const char *sku, const char *location);
/* Polls cond every 10 ms for at most timeout_ms (real); returns its last
 * value. */
int c7t_wait(int (*cond)(void *ud), void *ud, int timeout_ms);

/* A webhook receiver in the test process. */
typedef struct {
    char path[96];
    char authorization[256];
    char custom[128]; /* X-Custom, when sent */
    char *body;
} c7t_hit;

typedef struct {
    httpd *srv;
    pthread_mutex_t mu;
    c7t_hit hits[512];
    int n;
    int fail_first; /* answer 500 to this many requests first; -1: always */
} c7t_receiver;

void c7t_receiver_start(c7t_receiver *rc, int fail_first);
void c7t_receiver_stop(c7t_receiver *rc);
int c7t_receiver_count(c7t_receiver *rc);
/* A copy of hit i's body (caller frees), or NULL. */
char *c7t_receiver_body(c7t_receiver *rc, int i, c7t_hit *meta);

#endif
