/*
 * What both mocks share: the command line of DESIGN §3, the scaled clock,
 * the journal, counters, the fault plan and its request filter, the control
 * API under /_mock/ (health, reset, seed, faults, state, journal, stats), a
 * per-request journal entry, "listening on ADDR:PORT", and a clean stop on
 * SIGINT or SIGTERM. A mock supplies its world through a mock_app table and
 * calls mockd_main from its main().
 */
#ifndef SURGE_MOCKD_H
#define SURGE_MOCKD_H

#include <cJSON.h>
#include <stdint.h>

#include "clock.h"
#include "counters.h"
#include "faults.h"
#include "httpd.h"
#include "journal.h"
#include "json.h"

typedef struct mockd mockd;

typedef struct {
    const char *name;        /* "mock-cin7" */
    uint16_t default_port;   /* 8082 */
    /* Builds the world from a parsed config (NULL: the demo world). Returns
     * the app state, or NULL with e naming the JSON path of the problem. */
    void *(*create)(mockd *m, const cJSON *config, json_err *e);
    void (*destroy)(void *app);
    /* Adds the API routes (not /_mock/ ones mockd serves). */
    void (*routes)(void *app, httpd *srv);
    /* Runs for API requests after faults: authentication, rate limits.
     * Returns non-zero when it answered. May be NULL. */
    int (*filter)(void *app, httpd_req *r);
    /* POST /_mock/reset: empty all state. */
    void (*reset)(void *app);
    /* POST /_mock/seed: load the given catalog, stock, etc. (additive). */
    int (*seed)(void *app, const cJSON *body, json_err *e);
    /* GET /_mock/state: the ground truth. Caller frees. */
    cJSON *(*state)(void *app);
    /* Adds the app's own figures to GET /_mock/stats (may be NULL). */
    void (*stats)(void *app, cJSON *out);
    /* Work still under way (webhooks queued, purchases in transit...), for
     * "quiet" in /_mock/health; may be NULL. */
    long (*pending)(void *app);
    /* The API's error body for an injected status when the plan has none.
     * Returns malloc'd text. */
    char *(*fault_body)(int status);
    /* Routes under /_mock/ the app serves itself (checkout, approve...);
     * added before mockd's. May be NULL. */
    void (*control_routes)(void *app, httpd *srv);
} mock_app;

/* Runs a mock: parses argv, builds the world, serves until SIGINT/SIGTERM.
 * Returns the process exit code (2 for bad usage or config). */
int mockd_main(int argc, char **argv, const mock_app *app);

/* For the app, valid from create() to destroy(). */
sclock *mockd_clock(mockd *m);
journal *mockd_journal(mockd *m);
counters *mockd_counters(mockd *m);
uint64_t mockd_seed(mockd *m);
/* The delivery faults for one webhook of topic, now. */
void mockd_delivery_faults(mockd *m, const char *topic, fault_delivery *out);
/* The lowest throttle limit active for this request now, or -1. */
int mockd_throttle(mockd *m, httpd_req *r);
/* Names the client (API application, shop token) of a request for its
 * journal entry; copied. */
void mockd_set_client(httpd_req *r, const char *client);
/* Real milliseconds for a simulated duration. */
double mockd_real_ms(mockd *m, int64_t sim_ms);

/* Answers {"error": msg} with status: the error shape of every /_mock/
 * route, mockd's and the apps' own. */
/* The request body parsed as JSON; with keys (NULL-terminated), it must be
 * an object holding only those. NULL after answering 400 with the JSON
 * path of the problem. Returns a tree the caller frees with cJSON_Delete. */
cJSON *mockd_body(httpd_req *r, const char *const *keys);

#endif
