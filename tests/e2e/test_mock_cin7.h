/*
 * Helpers shared by the mock-cin7 end-to-end tests (test_mock_cin7*.c):
 * start the mock on a world of a few SKUs, call its API with credentials,
 * find entries in its journal, read its state, and receive its webhooks on
 * an httpd started in the test process. Journals, waits and configs of
 * other shapes are e2e.h's.
 */
#ifndef SURGE_TESTS_MOCK_CIN7_H
#define SURGE_TESTS_MOCK_CIN7_H

#include "e2e.h"
#include "httpd.h"

#include <pthread.h>

/* Credentials of the demo world and of c7t_start_world's two applications. */
extern const char *const c7t_demo_auth[];
extern const char *const c7t_auth[];  /* account acme, key k1 (app "sync") */
extern const char *const c7t_auth2[]; /* account acme, key k2 (app "erp") */

/* Starts mock-cin7 on the world of most tests: account acme, no rate
 * limit, three locations, supplier "Acme Supply" (lead 1h, MOQ 50, EUR,
 * serves Main and East), SKUs A-1 (Main 100, East 5), A-2 (Main 10), B-1
 * (none), customer "Web Shop", and the settings given in extra JSON
 * members (may be ""); args
 * are further arguments (NULL-terminated, may be NULL). Other configs, and
 * the demo world, start through e2e_start_config and e2e_start. */
void c7t_start_world(e2e_server *s, const char *extra, const char *const *args);

/* One call; fails the test unless the answer has status. Returns the body
 * as JSON (caller frees). */
cJSON *c7t_call(const e2e_server *s, const char *const *hdrs, const char *method,
                const char *path, const char *body, int status);
/* A call whose answer must be a Cin7 error of status ([{"ErrorCode":status,
 * "Exception":...}]): its Exception text (malloc'd). */
char *c7t_error(const e2e_server *s, const char *const *hdrs, const char *method, const char *path,
                const char *body, int status);
/* The same when the Exception text must contain want (NULL: any text). */
void c7t_expect_error(const e2e_server *s, const char *const *hdrs, const char *method,
                      const char *path, const char *body, int status, const char *want);
/* One call returning only its status (0 for a transport error). */
int c7t_status(const e2e_server *s, const char *const *hdrs, const char *method, const char *path,
               const char *body);

double c7t_num(const cJSON *o, const char *key);
const char *c7t_str(const cJSON *o, const char *key);

/* Entries of a kind in a journal (as e2e_journal reads it); nth from 0, or
 * NULL. */
const cJSON *c7t_entry(const cJSON *journal, const char *kind, int nth);
int c7t_count(const cJSON *journal, const char *kind);
/* The state's stock row of sku at location (a new tree, caller frees). */
cJSON *c7t_stock(const e2e_server *s, const char *sku, const char *location);

/* Order lines as Cin7 takes them, from "SKU:qty@price,..." (price 10 when
 * not given; qty may be decimal): Name, Quantity, Price, Tax 0, TaxRule
 * "Tax Exempt", the Total Cin7 checks. The JSON array's text, malloc'd. */
char *c7t_lines(const char *spec);
/* A sale the way Cin7 takes one, with c7t_auth: POST sale (customer "Web
 * Shop", SkipQuote, CustomerReference ref, ExternalID "x-"ref, location,
 * a shipping address) then POST sale/order with the lines of spec and
 * status (DRAFT or AUTHORISED). Returns the sale's ID (malloc'd). */
char *c7t_sale(const e2e_server *s, const char *ref, const char *location, const char *spec,
               const char *status);
/* GET sale?ID= (a tree the caller frees). */
cJSON *c7t_sale_doc(const e2e_server *s, const char *id);
/* A purchase the way Cin7 takes one, with c7t_auth: POST advanced-purchase
 * (supplier "Acme Supply", location) then, when spec is not NULL, POST
 * purchase/order with its lines and status. Returns the ID (malloc'd). */
char *c7t_purchase(const e2e_server *s, const char *location, const char *spec, const char *status);

/* Waits (up to timeout_ms real ms) until the journal has n entries of
 * kind; returns whether it did. */
int c7t_wait_kind(const e2e_server *s, const char *kind, int n, int timeout_ms);

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
/* Waits (up to timeout_ms real ms) until rc got n requests; returns
 * whether it did. */
int c7t_wait_hits(c7t_receiver *rc, int n, int timeout_ms);
/* A copy of hit i's body (caller frees), or NULL. */
char *c7t_receiver_body(c7t_receiver *rc, int i, c7t_hit *meta);
/* Subscribes rc (at path /hook/name) to type with c7t_auth; auth_fields are
 * more members of the body (may be NULL). Returns the subscription's ID
 * (malloc'd). */
char *c7t_subscribe(const e2e_server *s, c7t_receiver *rc, const char *type, const char *name,
                    const char *auth_fields);

#endif
