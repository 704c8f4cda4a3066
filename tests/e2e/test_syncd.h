/*
 * Helpers shared by syncd's end-to-end tests (test_syncd*.c): a small world
 * of three processes on one simulated clock (mock-cin7, mock-shopify and
 * syncd, all started with the same origin and time scale), configs written
 * into the test's scratch directory, shoppers checking out through
 * mock-shopify, signed webhooks sent to syncd by hand, ground truth read
 * from the mocks' state and journals, syncd's /metrics and dead-letter
 * queue, an alert receiver in the test process, and bounded waits. Every
 * wait polls a condition for at most a given real time and stops by itself.
 */
#ifndef SURGE_TESTS_SYNCD_TEST_H
#define SURGE_TESTS_SYNCD_TEST_H

#include "e2e.h"
#include "httpd.h"

#include <pthread.h>
#include <stdint.h>

#define SDT_SHOP "e2e.myshopify.com"
#define SDT_SECRET "e2e-secret"
#define SDT_ADMIN "Authorization: Bearer e2e-admin"
/* The bearer token syncd expects on Cin7's webhooks. */
#define SDT_CIN7_HOOK_TOKEN "e2e-hook"
/* Simulated ms per real ms for every process of a test. */
#define SDT_SCALE 60

typedef struct {
    e2e_server cin7, shop, syncd;
    int64_t origin;          /* epoch ms of simulated t = 0, shared */
    char syncd_config[600];  /* path of the config syncd runs with */
    uint16_t syncd_port;     /* chosen at the first start, kept by restarts */
} sdt_world;

/* Starts both mocks with the given configs (JSON text) on the shared clock. */
void sdt_start_mocks(sdt_world *w, const char *cin7_config, const char *shop_config);

/* The mock-cin7 config of most tests: account e2e, key e2e-key, no rate
 * limit, sales that stay ORDERED, quick stock webhooks, supplier "E2E
 * Supply" (of every product that names none); locations, products and
 * stock are JSON arrays given as text. Returns malloc'd text. */
char *sdt_cin7_config(const char *locations, const char *products, const char *stock);
/* The same with more suppliers (a JSON array as text, NULL: none) besides
 * "E2E Supply"; a product naming supplier "" has none. */
char *sdt_cin7_config_with(const char *locations, const char *suppliers, const char *products,
                           const char *stock);
/* The mock-shopify config: shop SDT_SHOP (plus plan, token shpat_e2e,
 * secret SDT_SECRET), one location "Online Store", the given products
 * array, quick webhook retries, and extra top-level members of "webhooks"
 * (text such as "\"duplicate_probability\":1", may be ""). Malloc'd. */
char *sdt_shop_config(const char *products, const char *webhooks_extra);

/* text (a JSON object) with the members of overrides (a JSON object as
 * text, or NULL) merged over it; fails the test when either does not
 * parse. Returns malloc'd text. */
char *sdt_json_merge(const char *text, const char *overrides);

/* Writes syncd's config: both mocks, the store and the clock, admin token,
 * the given locations array (JSON text), then the members of overrides (a
 * JSON object as text, or NULL) merged over it. */
void sdt_write_syncd_config(sdt_world *w, const char *locations, const char *overrides);
/* Starts syncd with that config (on the port of its first start when it ran
 * before); does not wait for readiness. */
void sdt_start_syncd(sdt_world *w);
/* Waits (bounded) for /healthz 200 and the first Cin7 stock snapshot. */
void sdt_wait_ready(sdt_world *w);
/* e2e_wait conditions on a world (ud): syncd answers /healthz 200 (ready);
 * syncd has read Shopify's levels at least once. */
int sdt_healthy(void *ud);
int sdt_levels_read(void *ud);
/* Stops syncd (when running) and both mocks; each must exit 0. */
void sdt_stop(sdt_world *w);
/* SIGKILL, reaped. */
void sdt_kill_syncd(sdt_world *w);

/* Starts the three processes: the mocks with the given configs (malloc'd
 * JSON text, freed here), syncd with the config sdt_write_syncd_config
 * writes of locations and overrides; waits until syncd is ready. */
void sdt_start_world_take(sdt_world *w, char *cin7_config, char *shop_config, const char *locations,
                          const char *overrides);

/* The world most tests use: one warehouse "Main" holding SKUs
 * (100 each, also 100 available on Shopify); webhooks_extra and overrides
 * as for sdt_shop_config and sdt_write_syncd_config. Starts the three
 * processes and waits until syncd is ready. */
void sdt_start_basic(sdt_world *w, const char *webhooks_extra, const char *overrides);

/* The order as Shopify's REST API gives it, which is a webhook's body
 * (caller frees). */
char *sdt_order_json(const sdt_world *w, int64_t id);

/* Simulated now, as the mocks see it. */
int64_t sdt_now(const sdt_world *w);

/* A shopper's checkout of qty units of sku; address is a JSON object as
 * text or NULL. Returns the order id; fails the test unless accepted. */
int64_t sdt_checkout(sdt_world *w, const char *sku, int qty, const char *address);
/* The same for an order of several lines: a JSON array as text,
 * [{"sku":"A-1","qty":2},...]. */
int64_t sdt_checkout_lines(sdt_world *w, const char *lines, const char *address);

/* The mock-cin7 state (caller frees). */
cJSON *sdt_cin7_state(const sdt_world *w);
/* Sales (not voided) whose customer_reference is the order id, in a state;
 * *first (may be NULL) gets the first of them. */
int sdt_sales_of(const cJSON *state, int64_t order, const cJSON **first);
/* The same, reading the state now. */
int sdt_sales_now(const sdt_world *w, int64_t order);
/* Every order has exactly one sale (not voided), and Cin7 holds n sales
 * in all (voided ones included): nothing lost, nothing doubled. */
void sdt_expect_one_sale_each(const sdt_world *w, const int64_t *orders, int n);
/* Waits (bounded) until every order has at least one sale; returns how
 * many have. */
int sdt_wait_sales(const sdt_world *w, const int64_t *orders, int n, int timeout_ms);

/* From now for span (simulated), Cin7 carries out each sale POST at once
 * and holds its answer for hold (a latency fault wraps the handler). */
void sdt_hold_sale_answers(sdt_world *w, const char *hold, const char *span);

/* Entries of a journal (as e2e_journal reads it) of kind whose string
 * field key contains text (key NULL: every entry of kind). */
int sdt_count_kind(const cJSON *journal, const char *kind, const char *key, const char *text);
/* The mock-shopify state (caller frees). */
cJSON *sdt_shop_state(const sdt_world *w);
/* Mock-shopify's available of sku at its first location, or -1. */
int64_t sdt_shop_available(const sdt_world *w, const char *sku);
/* Waits (bounded) until that is want; returns 1 when it is. */
int sdt_wait_level(const sdt_world *w, const char *sku, int64_t want, int timeout_ms);

/* A /metrics sample by its exact name (labels included); -1 when absent. */
int64_t sdt_metric(const sdt_world *w, const char *name);
/* Waits (bounded) until that sample is at least at_least; returns 1 when
 * it is. */
int sdt_wait_metric(const sdt_world *w, const char *name, int64_t at_least, int timeout_ms);
/* GET /admin/dlq's list (caller frees the answer; *list points inside). */
cJSON *sdt_dlq(const sdt_world *w, const cJSON **list);
/* How many dead letters the queue holds. */
int sdt_dlq_count(const sdt_world *w);
/* The same when it must hold exactly one dead letter, of topic, whose
 * reason contains reason (the test fails otherwise); *dead points at it. */
cJSON *sdt_one_dead_letter(const sdt_world *w, const char *topic, const char *reason,
                           const cJSON **dead);

/* POSTs body to syncd's /webhooks/shopify as Shopify would, signed with
 * secret (NULL: a signature of other bytes), with the given ids (NULL:
 * header left out). Returns the status. */
int sdt_send_webhook(const sdt_world *w, const char *topic, const char *body, const char *secret,
                     const char *webhook_id, const char *event_id);

/* A mock's pending work (its /_mock/health "pending": deliveries queued or
 * in flight, an open stock-change window). */
int64_t sdt_pending(const e2e_server *s);
/* Waits (bounded) until mock-shopify has nothing to deliver, syncd's queue
 * is empty and mock-cin7 has no stock webhook pending. */
void sdt_wait_quiet(const sdt_world *w, int timeout_ms);

/* Earlier names of e2e.h's helpers, which test_replen.c still calls. */
static inline cJSON *sdt_journal(const e2e_server *s)
{
    return e2e_journal(s);
}
static inline void sdt_faults(const e2e_server *s, const char *plan)
{
    e2e_faults(s, plan);
}
static inline int sdt_wait(int (*cond)(void *ud), void *ud, int timeout_ms)
{
    return e2e_wait(cond, ud, timeout_ms);
}
static inline void sdt_sleep_ms(int ms)
{
    e2e_sleep_ms(ms);
}

/* ---- alerts: a receiver in the test process ------------------------------- */

typedef struct {
    httpd *srv;
    pthread_mutex_t mu;
    char *bodies[64];
    int n;
    char url[128];
} sdt_alerts;

void sdt_alerts_start(sdt_alerts *a);
int sdt_alerts_count(sdt_alerts *a);
/* Alert i as JSON (caller frees), or NULL. */
cJSON *sdt_alerts_get(sdt_alerts *a, int i);
void sdt_alerts_stop(sdt_alerts *a);

/* Field helpers that fail the test when the field is missing. */
const char *sdt_str(const cJSON *o, const char *key);
double sdt_num(const cJSON *o, const char *key);

#endif
