/*
 * Helpers shared by the mock-shopify end-to-end tests: call the mock with a
 * token (and a Host), read JSON answers by path, count journal entries, and
 * receive webhooks in the test process on an httpd server that records
 * every delivery. The mock itself starts through e2e_start (the demo world)
 * or e2e_start_config.
 */
#ifndef SURGE_TESTS_MOCK_SHOPIFY_TEST_H
#define SURGE_TESTS_MOCK_SHOPIFY_TEST_H

#include <cJSON.h>

#include "e2e.h"

#define MS_TOKEN "shpat_demo"
#define MS_API "/admin/api/2026-10"

/* One call; token and host may be NULL (no such header). */
httpc_resp ms_call(const e2e_server *s, const char *method, const char *path, const char *body,
                   const char *token, const char *host);
/* A call with the demo token whose answer must have status; its JSON body
 * (caller frees). */
cJSON *ms_json(const e2e_server *s, const char *method, const char *path, const char *body,
               int status);
/* A GraphQL request at version with variables (JSON text or NULL); the
 * answer must have status. */
cJSON *ms_gql(const e2e_server *s, const char *version, const char *query, const char *vars,
              int status);

/* A node by path: "a.b[2].c" (keys and indexes); NULL when absent. */
const cJSON *jp(const cJSON *v, const char *path);
double jnumber(const cJSON *v, const char *path); /* fails the test when absent */
const char *jstring(const cJSON *v, const char *path);

/* Entries of a journal (as e2e_journal reads it) of kind whose field key
 * equals value (key NULL: every entry of kind; value NULL: any value). */
int ms_journal_count(const cJSON *entries, const char *kind, const char *key, const char *value);
/* The counter's value in /_mock/stats (0 when absent). */
long ms_counter(const e2e_server *s, const char *name);
/* A checkout of one line; returns the order id, or 0 when sold out. */
long long ms_checkout(const e2e_server *s, const char *sku, int qty);

/* ---- a webhook receiver in the test process ------------------------------- */

typedef struct {
    char topic[64], hmac[64], shop[128], version[32], webhook_id[64], event_id[64],
        triggered[64];
    char *body;
    size_t body_len;
} ms_delivery;

typedef struct ms_receiver ms_receiver;

/* Answers every delivery with status (changeable later). */
ms_receiver *ms_receiver_start(int status);
void ms_receiver_set_status(ms_receiver *r, int status);
/* "http://127.0.0.1:PORT/hooks". */
const char *ms_receiver_url(const ms_receiver *r);
int ms_receiver_count(ms_receiver *r);
/* A copy of delivery i (body malloc'd; free with ms_delivery_free). */
ms_delivery ms_receiver_get(ms_receiver *r, int i);
void ms_delivery_free(ms_delivery *d);
/* Waits until at least n deliveries arrived or timeout_ms (real) passed;
 * returns the count. */
int ms_receiver_wait(ms_receiver *r, int n, int timeout_ms);
void ms_receiver_stop(ms_receiver *r);

#endif
