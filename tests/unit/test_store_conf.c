/*
 * The store conformance suite: what every backend of syncd's store
 * (store.h) promises, written against store.h alone and run once per
 * backend as store_conf.<backend>.<test>: the queue's lifecycle (enqueue,
 * lease order and expiry, ack, retry, unlease, dead), de-duplication, dead
 * on arrival, the dead-letter queue, idempotency keys, the reservation
 * ledger, sales history, the outbound-write ledger, key/value state, the
 * audit trails, and fencing (a lease superseded by a later one settles
 * nothing and writes nothing for its event).
 *
 * A backend joins with a factory (open a store by name: empty the first
 * time in a test, the same data when opened again after a close) and one
 * STORE_CONF_SUITE line at the end of this file. Tests never look past
 * store.h, so what passes here on one backend holds on the others. Every
 * time a test passes is its own (the scaled clock's, never the
 * database's), so a backend that read its server's clock would fail here.
 * PostgreSQL runs the suite on one throwaway server (lib/pgcluster)
 * started once by the runner for all of store_conf.postgres.* and gives
 * each (test, name) a database of its own, created on first open and
 * kept for the reopen.
 */
#include "storetest.h"

#include "pgtest.h"

#include "clock.h"

#include <unistd.h>

typedef struct {
    /* Opens the store called name for the running test, failing the test
     * when it cannot: empty the first time, the same store after a
     * store_close. */
    store *(*open)(const char *name);
} store_conf_backend;

static void conf_lifecycle_lease_ack_retry_dead(const store_conf_backend *be)
{
    store *s = be->open("life");
    int64_t a = put(s, "{\"a\":1}", 0, 100, "k:a");
    int64_t b = put(s, "{\"b\":2}", 5, 101, "k:b");
    int64_t c = put(s, "{\"c\":3}", 0, 102, "k:c");
    EXPECT_LT_INT(a, b);
    EXPECT_LT_INT(b, c);
    store_counts n = counts(s, 200);
    EXPECT_EQ_INT(n.ready, 3);
    EXPECT_EQ_INT(n.leased, 0);

    /* Priority first, then the oldest; every field comes back. */
    store_event *ev[8];
    EXPECT_EQ_INT(store_lease(s, 200, 1000, ev, 2), 2);
    EXPECT_EQ_INT(ev[0]->id, b);
    EXPECT_EQ_INT(ev[1]->id, a);
    EXPECT_EQ_STR(ev[0]->body, "{\"b\":2}");
    EXPECT_EQ_INT(ev[0]->body_len, 7);
    EXPECT_EQ_STR(ev[0]->source, "shopify");
    EXPECT_EQ_STR(ev[0]->topic, "orders/paid");
    EXPECT_EQ_STR(ev[0]->shop, "demo.myshopify.com");
    EXPECT_EQ_INT(ev[0]->priority, 5);
    EXPECT_EQ_INT(ev[0]->received_at, 101);
    /* The lease itself counts the try. */
    EXPECT_EQ_INT(ev[0]->attempts, 1);
    EXPECT_TRUE(ev[0]->last_error == NULL);
    int64_t eb = ev[0]->epoch, ea = ev[1]->epoch;
    free_all(ev, 2);
    n = counts(s, 200);
    EXPECT_EQ_INT(n.ready, 1);
    EXPECT_EQ_INT(n.leased, 2);

    EXPECT_EQ_INT(store_lease(s, 200, 1000, ev, 8), 1);
    EXPECT_EQ_INT(ev[0]->id, c);
    int64_t ec = ev[0]->epoch;
    free_all(ev, 1);
    EXPECT_EQ_INT(store_lease(s, 200, 1000, ev, 8), 0);

    /* Ack removes; a second ack finds nothing. */
    EXPECT_EQ_INT(store_ack(s, b, eb), 0);
    EXPECT_EQ_INT(store_ack(s, b, eb), 1);
    EXPECT_EQ_INT(counts(s, 200).done, 1);

    /* Retry releases the lease but not before ready_at, and keeps count
     * and error. */
    EXPECT_EQ_INT(store_retry(s, a, ea, 500, "HTTP 503"), 0);
    EXPECT_EQ_INT(counts(s, 300).ready, 1);
    EXPECT_EQ_INT(store_lease(s, 499, 1000, ev, 8), 0);
    EXPECT_EQ_INT(store_lease(s, 500, 1000, ev, 8), 1);
    EXPECT_EQ_INT(ev[0]->id, a);
    EXPECT_EQ_INT(ev[0]->attempts, 2);
    EXPECT_EQ_STR(ev[0]->last_error, "HTTP 503");
    ea = ev[0]->epoch;
    free_all(ev, 1);
    EXPECT_EQ_INT(store_retry(s, a, ea, 500, "HTTP 429"), 0);
    EXPECT_EQ_INT(store_lease(s, 500, 1000, ev, 8), 1);
    EXPECT_EQ_INT(ev[0]->attempts, 3);
    EXPECT_EQ_STR(ev[0]->last_error, "HTTP 429");
    ea = ev[0]->epoch;
    free_all(ev, 1);

    /* Dead leaves the queue for the DLQ; the id is then unknown to the queue. */
    EXPECT_EQ_INT(store_dead(s, a, ea, 600, "gave up"), 0);
    EXPECT_EQ_INT(store_dead(s, a, ea, 600, "gave up"), 1);
    EXPECT_EQ_INT(store_retry(s, a, ea, 700, "x"), 1);

    /* c's lease (until 1200) expires: another lease takes it. */
    EXPECT_EQ_INT(store_lease(s, 1199, 1000, ev, 8), 0);
    EXPECT_EQ_INT(store_lease(s, 1200, 1000, ev, 8), 1);
    EXPECT_EQ_INT(ev[0]->id, c);
    /* A lease that ran out without a settlement (its handler never came
     * back) was a try all the same. */
    EXPECT_EQ_INT(ev[0]->attempts, 2);
    ec = ev[0]->epoch;
    free_all(ev, 1);
    EXPECT_EQ_INT(counts(s, 1200).leased, 1);
    /* Unleased: ready at once, the untried lease's count given back. */
    EXPECT_EQ_INT(store_unlease(s, c, ec), 0);
    EXPECT_EQ_INT(store_unlease(s, c, ec), 1);
    EXPECT_EQ_INT(store_lease(s, 1200, 1000, ev, 8), 1);
    EXPECT_EQ_INT(ev[0]->attempts, 2);
    ec = ev[0]->epoch;
    free_all(ev, 1);
    EXPECT_EQ_INT(store_ack(s, c, ec), 0);

    n = counts(s, 1300);
    EXPECT_EQ_INT(n.ready, 0);
    EXPECT_EQ_INT(n.leased, 0);
    EXPECT_EQ_INT(n.dead, 1);
    EXPECT_EQ_INT(n.done, 2);
    EXPECT_EQ_INT(n.duplicates, 0);
    store_close(s);
}

static void conf_priority_order_then_oldest_and_ready_at(const store_conf_backend *be)
{
    store *s = be->open("prio");
    int prio[] = {1, 3, 2, 3, 1, 0};
    int64_t id[6];
    char body[32];
    for (int i = 0; i < 6; i++) {
        snprintf(body, sizeof body, "{\"n\":%d}", i);
        id[i] = put(s, body, prio[i], 10 + i, NULL);
    }
    /* The highest priority event fails and waits until 100: the others go
     * ahead of it meanwhile. */
    store_event *ev[8];
    EXPECT_EQ_INT(store_lease(s, 20, 10, ev, 1), 1);
    EXPECT_EQ_INT(ev[0]->id, id[1]);
    int64_t e1 = ev[0]->epoch;
    free_all(ev, 1);
    EXPECT_EQ_INT(store_retry(s, id[1], e1, 100, "later"), 0);

    EXPECT_EQ_INT(store_lease(s, 50, 1000, ev, 8), 5);
    int64_t want[] = {id[3], id[2], id[0], id[4], id[5]};
    for (int i = 0; i < 5; i++)
        EXPECT_EQ_INT(ev[i]->id, want[i]);
    free_all(ev, 5);
    EXPECT_EQ_INT(store_lease(s, 99, 1000, ev, 8), 0);
    EXPECT_EQ_INT(store_lease(s, 100, 1000, ev, 8), 1);
    EXPECT_EQ_INT(ev[0]->id, id[1]);
    free_all(ev, 1);
    EXPECT_EQ_INT(store_lease(s, 100, 1000, ev, 0), 0);
    store_close(s);
}

static void conf_dedup_by_any_key_and_duplicates_counted(const store_conf_backend *be)
{
    store *s = be->open("dedup");
    store_event_in e = event("orders/paid", "{}", 0, 1, "wh:1", "ev:9:orders/paid");
    int64_t first = 0, id = -1;
    EXPECT_EQ_INT(store_enqueue(s, &e, &first), STORE_NEW);

    /* Either key alone is enough. */
    e = event("orders/paid", "{}", 0, 2, "wh:2", "ev:9:orders/paid");
    EXPECT_EQ_INT(store_enqueue(s, &e, &id), STORE_DUPLICATE);
    EXPECT_EQ_INT(id, first);
    e = event("orders/paid", "{}", 0, 3, "wh:1", NULL);
    id = -1;
    EXPECT_EQ_INT(store_enqueue(s, &e, &id), STORE_DUPLICATE);
    EXPECT_EQ_INT(id, first);
    /* wh:2 was refused above, so it was not remembered either. */
    e = event("orders/paid", "{}", 0, 4, "wh:2", NULL);
    EXPECT_EQ_INT(store_enqueue(s, &e, &id), STORE_NEW);
    /* NULL entries are skipped, later slots still count. */
    e = event("orders/paid", "{}", 0, 5, NULL, NULL);
    e.dedup[3] = "wh:3";
    int64_t third = 0;
    EXPECT_EQ_INT(store_enqueue(s, &e, &third), STORE_NEW);
    e = event("orders/paid", "{}", 0, 6, "wh:3", NULL);
    EXPECT_EQ_INT(store_enqueue(s, &e, &id), STORE_DUPLICATE);
    EXPECT_EQ_INT(id, third);
    /* No keys: never a duplicate. */
    e = event("orders/paid", "{}", 0, 7, NULL, NULL);
    EXPECT_EQ_INT(store_enqueue(s, &e, &id), STORE_NEW);
    EXPECT_EQ_INT(store_enqueue(s, &e, &id), STORE_NEW);
    /* Dead on arrival is checked against the same keys. */
    e = event("orders/paid", "{}", 0, 8, "wh:1", NULL);
    EXPECT_EQ_INT(store_dead_on_arrival(s, &e, "malformed", &id), STORE_DUPLICATE);
    EXPECT_EQ_INT(id, first);

    store_counts n = counts(s, 10);
    EXPECT_EQ_INT(n.ready, 5);
    EXPECT_EQ_INT(n.dead, 0);
    EXPECT_EQ_INT(n.duplicates, 4);

    /* Pruning forgets keys of events received before t (wh:1 and ev:9 at
     * 1, wh:2 at 4), and only those. */
    EXPECT_EQ_INT(store_dedup_prune(s, 5), 3);
    e = event("orders/paid", "{}", 0, 9, "wh:1", NULL);
    EXPECT_EQ_INT(store_enqueue(s, &e, &id), STORE_NEW);
    e = event("orders/paid", "{}", 0, 9, "wh:3", NULL);
    EXPECT_EQ_INT(store_enqueue(s, &e, &id), STORE_DUPLICATE);
    store_close(s);
}

static void conf_dlq_list_requeue_and_dead_on_arrival(const store_conf_backend *be)
{
    store *s = be->open("dlq");
    int64_t x = put(s, "{\"x\":1}", 2, 10, "wh:x");
    store_event *ev[4];
    int64_t ex = 0;
    for (int i = 0; i < 2; i++) {
        EXPECT_EQ_INT(store_lease(s, 100 * (i + 1), 10, ev, 4), 1);
        ex = ev[0]->epoch;
        free_all(ev, 1);
        EXPECT_EQ_INT(store_retry(s, x, ex, 0, "HTTP 500"), 0);
    }
    EXPECT_EQ_INT(store_dead(s, x, ex, 1000, "too many tries"), 0);

    store_event_in e = event("orders/paid", "not json", 0, 2000, "wh:y", NULL);
    e.shop = NULL;
    int64_t y = 0, id = 0;
    EXPECT_EQ_INT(store_dead_on_arrival(s, &e, "malformed body", &y), STORE_NEW);
    EXPECT_GT_INT(y, x);
    e = event("orders/paid", "not json", 0, 2001, "wh:y", NULL);
    EXPECT_EQ_INT(store_enqueue(s, &e, &id), STORE_DUPLICATE);
    EXPECT_EQ_INT(id, y);
    EXPECT_EQ_INT(store_lease(s, 5000, 10, ev, 4), 0); /* nothing alive */

    cJSON *l = store_dlq_list(s, 10);
    EXPECT_EQ_INT(cJSON_GetArraySize(l), 2);
    cJSON *o = dlq_item(l, 0); /* newest first */
    EXPECT_EQ_INT(num(o, "id"), y);
    EXPECT_EQ_STR(str(o, "reason"), "malformed body");
    EXPECT_TRUE(cJSON_IsNull(cJSON_GetObjectItem(o, "shop")));
    EXPECT_EQ_STR(str(o, "body"), "not json");
    EXPECT_EQ_INT(num(o, "attempts"), 0);
    EXPECT_EQ_INT(num(o, "dead_at"), 2000);
    o = dlq_item(l, 1);
    EXPECT_EQ_INT(num(o, "id"), x);
    EXPECT_EQ_STR(str(o, "source"), "shopify");
    EXPECT_EQ_STR(str(o, "topic"), "orders/paid");
    EXPECT_EQ_STR(str(o, "shop"), "demo.myshopify.com");
    EXPECT_EQ_STR(str(o, "reason"), "too many tries");
    EXPECT_EQ_INT(num(o, "attempts"), 2);
    EXPECT_EQ_INT(num(o, "received_at"), 10);
    EXPECT_EQ_INT(num(o, "dead_at"), 1000);
    EXPECT_EQ_STR(str(o, "body"), "{\"x\":1}");
    cJSON_Delete(l);
    l = store_dlq_list(s, 1);
    EXPECT_EQ_INT(cJSON_GetArraySize(l), 1);
    EXPECT_EQ_INT(num(dlq_item(l, 0), "id"), y);
    cJSON_Delete(l);

    /* Requeue: back under its id, attempts reset, ready at now. */
    EXPECT_EQ_INT(store_dlq_requeue(s, x, 3000), 0);
    EXPECT_EQ_INT(store_dlq_requeue(s, x, 3000), 1);
    EXPECT_EQ_INT(store_dlq_requeue(s, 424242, 3000), 1);
    EXPECT_EQ_INT(store_lease(s, 2999, 10, ev, 4), 0);
    EXPECT_EQ_INT(store_lease(s, 3000, 10, ev, 4), 1);
    EXPECT_EQ_INT(ev[0]->id, x);
    EXPECT_EQ_INT(ev[0]->attempts, 1);
    EXPECT_EQ_INT(ev[0]->priority, 2);
    EXPECT_EQ_INT(ev[0]->received_at, 10);
    EXPECT_EQ_STR(ev[0]->body, "{\"x\":1}");
    free_all(ev, 1);
    l = store_dlq_list(s, 10);
    EXPECT_EQ_INT(cJSON_GetArraySize(l), 1);
    cJSON_Delete(l);
    store_counts n = counts(s, 3000);
    EXPECT_EQ_INT(n.dead, 1);
    EXPECT_EQ_INT(n.leased, 1);
    /* Its dedup key still refuses a replay after the round trip. */
    e = event("orders/paid", "{}", 0, 3001, "wh:x", NULL);
    EXPECT_EQ_INT(store_enqueue(s, &e, &id), STORE_DUPLICATE);
    EXPECT_EQ_INT(id, x);
    store_close(s);
}

static void conf_idempotency_claim_and_write_ledger(const store_conf_backend *be)
{
    store *s = be->open("idem");
    char *old = (char *)"untouched";
    EXPECT_EQ_INT(store_idem_claim(s, "sale:o1", "pending", &old), 1);
    EXPECT_TRUE(old == NULL);
    EXPECT_EQ_INT(store_idem_claim(s, "sale:o1", "other", &old), 0);
    EXPECT_EQ_STR(old, "pending");
    free(old);
    EXPECT_EQ_INT(store_idem_claim(s, "sale:o1", "other", NULL), 0);
    EXPECT_EQ_INT(store_idem_set(s, "sale:o1", "SO-77"), 0);
    EXPECT_EQ_INT(store_idem_claim(s, "sale:o1", "x", &old), 0);
    EXPECT_EQ_STR(old, "SO-77");
    free(old);
    EXPECT_EQ_INT(store_idem_set(s, "sale:o2", "v"), 0); /* claims */
    EXPECT_EQ_INT(store_idem_claim(s, "sale:o2", "w", NULL), 0);

    int state = -1;
    char *remote = (char *)"untouched";
    const char *key = "sale:demo:1001:Sydney";
    EXPECT_EQ_INT(store_write_intent(s, key, "sale", "{\"q\":1}", 10, &state, &remote), 1);
    EXPECT_TRUE(remote == NULL);
    EXPECT_EQ_INT(store_write_intent(s, key, "sale", "{\"q\":1}", 11, &state, &remote), 0);
    EXPECT_EQ_INT(state, WRITE_INTENT);
    EXPECT_TRUE(remote == NULL);
    EXPECT_EQ_INT(store_write_outcome(s, key, WRITE_DONE, "SO-123", 12), 0);
    EXPECT_EQ_INT(store_write_intent(s, key, "sale", "{\"q\":1}", 13, &state, &remote), 0);
    EXPECT_EQ_INT(state, WRITE_DONE);
    EXPECT_EQ_STR(remote, "SO-123");
    free(remote);
    EXPECT_EQ_INT(store_write_outcome(s, key, WRITE_UNKNOWN, NULL, 14), 0);
    EXPECT_EQ_INT(store_write_intent(s, key, "sale", NULL, 15, &state, NULL), 0);
    EXPECT_EQ_INT(state, WRITE_UNKNOWN);
    EXPECT_EQ_INT(store_write_outcome(s, "sale:none", WRITE_DONE, "x", 16), 1);
    EXPECT_EQ_INT(store_write_outcome(s, key, 9, "x", 16), -1);
    store_close(s);
}

static void conf_reservation_ledger(const store_conf_backend *be)
{
    store *s = be->open("ledger");
    EXPECT_EQ_INT(store_reserve(s, "A", "o1", "SKU1", 2, 100), 0);
    EXPECT_EQ_INT(store_reserve(s, "A", "o1", "SKU2", 7, 100), 0);
    EXPECT_EQ_INT(store_reserve(s, "A", "o2", "SKU1", 3, 200), 0);
    EXPECT_EQ_INT(store_reserve(s, "B", "o3", "SKU1", 5, 300), 0);
    EXPECT_EQ_INT(store_reserve(s, "A", "o1", "SKU1", 2, 100), 0); /* replay */
    EXPECT_EQ_INT(store_pending_units(s, "SKU1", 1000), 10);
    EXPECT_EQ_INT(store_pending_units(s, "SKU2", 1000), 7);
    EXPECT_EQ_INT(store_pending_units(s, "SKU9", 1000), 0);

    /* o1 is sent at 450 (a resend at 480 keeps the first moment) and
     * reaches Cin7 at 500: a read started before or at that moment does
     * not show it yet, a read started later does; one started from 450 to
     * 500 may or may not (in flight). */
    EXPECT_EQ_INT(store_in_flight_units(s, "SKU1", 460), 0);
    EXPECT_EQ_INT(store_reservation_sent(s, "A", "o1", 450), 0);
    EXPECT_EQ_INT(store_reservation_sent(s, "A", "o1", 480), 0);
    EXPECT_EQ_INT(store_in_flight_units(s, "SKU1", 449), 0);
    EXPECT_EQ_INT(store_in_flight_units(s, "SKU1", 450), 2);
    EXPECT_EQ_INT(store_in_flight_units(s, "SKU2", 460), 7);
    EXPECT_EQ_INT(store_reservation_pushed(s, "A", "o1", 500), 0);
    EXPECT_EQ_INT(store_in_flight_units(s, "SKU1", 460), 2);
    EXPECT_EQ_INT(store_in_flight_units(s, "SKU1", 500), 2);
    EXPECT_EQ_INT(store_in_flight_units(s, "SKU1", 501), 0);
    EXPECT_EQ_INT(store_pending_units(s, "SKU1", 400), 10);
    EXPECT_EQ_INT(store_pending_units(s, "SKU1", 500), 10);
    EXPECT_EQ_INT(store_pending_units(s, "SKU1", 501), 8);
    EXPECT_EQ_INT(store_pending_units(s, "SKU2", 501), 0);
    /* o2 is cancelled at 600. */
    EXPECT_EQ_INT(store_reservation_released(s, "A", "o2", 600), 0);
    EXPECT_EQ_INT(store_pending_units(s, "SKU1", 550), 8);
    EXPECT_EQ_INT(store_pending_units(s, "SKU1", 601), 5);
    /* Later reports do not move the first moment. */
    EXPECT_EQ_INT(store_reservation_pushed(s, "A", "o1", 700), 0);
    EXPECT_EQ_INT(store_reservation_released(s, "A", "o1", 800), 0);
    EXPECT_EQ_INT(store_pending_units(s, "SKU1", 650), 5);
    /* Unknown orders are not an error. */
    EXPECT_EQ_INT(store_reservation_pushed(s, "A", "nope", 1), 0);

    /* Units known and placed leave out released (cancelled) orders, o1 and o2 here:
     * their units went back on sale. o4 is pushed, not released: it counts. */
    EXPECT_EQ_INT(store_reserve(s, "A", "o4", "SKU1", 4, 250), 0);
    EXPECT_EQ_INT(store_reservation_pushed(s, "A", "o4", 900), 0);
    EXPECT_EQ_INT(store_units_known(s, "A", "SKU1"), 4);
    EXPECT_EQ_INT(store_units_known(s, "A", "SKU2"), 0); /* o1, released */
    EXPECT_EQ_INT(store_units_known(s, "B", "SKU1"), 5);
    EXPECT_EQ_INT(store_units_known(s, "B", "SKU2"), 0);
    EXPECT_EQ_INT(store_units_placed_between(s, "SKU1", 100, 300), 4);
    EXPECT_EQ_INT(store_units_placed_between(s, "SKU1", 100, 301), 9);
    EXPECT_EQ_INT(store_units_placed_between(s, "SKU1", 251, 301), 5);

    /* Prune drops rows closed before t: o1 (closed at 500), then o2 (600);
     * what they held is gone from every sum, what the others hold stays. */
    EXPECT_EQ_INT(store_ledger_prune(s, 600), 0);
    EXPECT_EQ_INT(store_units_placed_between(s, "SKU1", 0, 1000), 9);
    EXPECT_EQ_INT(store_pending_units(s, "SKU1", 0), 4 + 3 + 5); /* o4, o2, o3 */
    EXPECT_EQ_INT(store_ledger_prune(s, 601), 0);
    EXPECT_EQ_INT(store_pending_units(s, "SKU1", 0), 4 + 5);
    EXPECT_EQ_INT(store_units_placed_between(s, "SKU1", 0, 1000), 9);
    EXPECT_EQ_INT(store_pending_units(s, "SKU1", 901), 5); /* o3, never closed */
    store_close(s);
}

/* Backorder holds: units Cin7 backordered count as pending beside the
 * ledger until settled, a read started at or before the settling moment
 * still counting them. */
static void conf_backorder_holds(const store_conf_backend *be)
{
    store *s = be->open("backorders");
    EXPECT_EQ_INT(store_reserve(s, "A", "o1", "SKU1", 5, 100), 0);
    EXPECT_EQ_INT(store_reservation_pushed(s, "A", "o1", 200), 0);
    /* Sale S1 of o1 backordered 2 of its 5: pushed, yet 2 are held. */
    EXPECT_EQ_INT(store_backorder_hold(s, "A", "o1", "S1", "SKU1", 2, 200), 0);
    EXPECT_EQ_INT(store_pending_units(s, "SKU1", 300), 2);
    EXPECT_EQ_INT(store_pending_units(s, "SKU1", 150), 5 + 2);
    /* Held again (the notification's read): the larger figure stays. */
    EXPECT_EQ_INT(store_backorder_hold(s, "A", "o1", "S1", "SKU1", 1, 250), 0);
    EXPECT_EQ_INT(store_pending_units(s, "SKU1", 300), 2);
    /* A move raises it to the whole line before the void. */
    EXPECT_EQ_INT(store_backorder_hold(s, "A", "o1", "S1", "SKU1", 5, 260), 0);
    EXPECT_EQ_INT(store_pending_units(s, "SKU1", 300), 5);
    /* Another sale of another order, another SKU; and a bad hold. */
    EXPECT_EQ_INT(store_backorder_hold(s, "B", "o2", "S2", "SKU1", 3, 270), 0);
    EXPECT_EQ_INT(store_backorder_hold(s, "B", "o2", "S2", "SKU2", 4, 270), 0);
    EXPECT_EQ_INT(store_backorder_hold(s, "B", "o2", "S2", "SKU2", 0, 270), -1);
    EXPECT_EQ_INT(store_pending_units(s, "SKU1", 300), 5 + 3);
    EXPECT_EQ_INT(store_pending_units(s, "SKU2", 300), 4);

    /* Due for a look: oldest hold first, at most max, the ones never
     * looked at whatever the time; looked at at 400, S1 is due only for a
     * later time. */
    cJSON *due = store_backorders_due(s, "SKU1", -5, 10);
    EXPECT_TRUE(due && cJSON_GetArraySize(due) == 2);
    EXPECT_EQ_STR(cJSON_GetArrayItem(due, 0)->valuestring, "S1");
    EXPECT_EQ_STR(cJSON_GetArrayItem(due, 1)->valuestring, "S2");
    cJSON_Delete(due);
    due = store_backorders_due(s, "SKU1", -5, 1);
    EXPECT_TRUE(due && cJSON_GetArraySize(due) == 1);
    cJSON_Delete(due);
    EXPECT_EQ_INT(store_backorder_checked(s, "S1", 400), 0);
    due = store_backorders_due(s, "SKU1", 400, 10);
    EXPECT_TRUE(due && cJSON_GetArraySize(due) == 1);
    EXPECT_EQ_STR(cJSON_GetArrayItem(due, 0)->valuestring, "S2");
    cJSON_Delete(due);
    due = store_backorders_due(s, "SKU1", 401, 10);
    EXPECT_TRUE(due && cJSON_GetArraySize(due) == 2);
    cJSON_Delete(due);

    /* S1 settles at 500 (moved, or filled): reads started up to 500 still
     * count it, later ones do not; a later settle or hold changes nothing. */
    EXPECT_EQ_INT(store_backorder_settle(s, NULL, NULL, "S1", 500), 0);
    EXPECT_EQ_INT(store_pending_units(s, "SKU1", 500), 5 + 3);
    EXPECT_EQ_INT(store_pending_units(s, "SKU1", 501), 3);
    EXPECT_EQ_INT(store_backorder_settle(s, NULL, NULL, "S1", 900), 0);
    EXPECT_EQ_INT(store_backorder_hold(s, "A", "o1", "S1", "SKU1", 9, 950), 0);
    EXPECT_EQ_INT(store_pending_units(s, "SKU1", 600), 3);
    EXPECT_EQ_INT(store_pending_units(s, "SKU1", 450), 5 + 3);
    due = store_backorders_due(s, "SKU1", 1000, 10);
    EXPECT_TRUE(due && cJSON_GetArraySize(due) == 1);
    cJSON_Delete(due);
    /* o2 is cancelled at 600: every hold of its sales ends. */
    EXPECT_EQ_INT(store_backorder_settle(s, "B", "o2", NULL, 600), 0);
    EXPECT_EQ_INT(store_pending_units(s, "SKU1", 601), 0);
    EXPECT_EQ_INT(store_pending_units(s, "SKU2", 601), 0);
    EXPECT_EQ_INT(store_pending_units(s, "SKU2", 600), 4);
    due = store_backorders_due(s, "SKU2", 1000, 10);
    EXPECT_TRUE(due && cJSON_GetArraySize(due) == 0);
    cJSON_Delete(due);
    EXPECT_EQ_INT(store_backorder_settle(s, NULL, NULL, NULL, 600), -1);
    /* Prune drops holds settled before t. */
    EXPECT_EQ_INT(store_ledger_prune(s, 600), 0);
    EXPECT_EQ_INT(store_pending_units(s, "SKU1", 0), 3);
    EXPECT_EQ_INT(store_ledger_prune(s, 601), 0);
    EXPECT_EQ_INT(store_pending_units(s, "SKU1", 0), 0);
    store_close(s);
}

static void conf_kv_and_async_audit(const store_conf_backend *be)
{
    store *s = be->open("kv");
    EXPECT_TRUE(store_kv_get(s, "wm") == NULL);
    EXPECT_EQ_INT(store_kv_set(s, "wm", "1"), 0);
    EXPECT_EQ_INT(store_kv_set(s, "wm", "2"), 0);
    EXPECT_EQ_INT(store_kv_set(s, "lvl:SKU1:Sydney", "14"), 0);
    char *v = store_kv_get(s, "wm");
    EXPECT_EQ_STR(v, "2");
    free(v);
    EXPECT_EQ_INT(store_kv_set(s, "wm", NULL), 0);
    EXPECT_TRUE(store_kv_get(s, "wm") == NULL);
    v = store_kv_get(s, "lvl:SKU1:Sydney");
    EXPECT_EQ_STR(v, "14");
    free(v);
    /* The read that tells "not kept" from "cannot say". */
    EXPECT_EQ_INT(store_kv_read(s, "wm", &v), 0);
    EXPECT_TRUE(v == NULL);
    EXPECT_EQ_INT(store_kv_read(s, "lvl:SKU1:Sydney", &v), 1);
    EXPECT_EQ_STR(v, "14");
    free(v);

    store_audit(s, 7, 10, "received", "orders/paid");
    store_audit(s, 8, 11, "received", NULL);
    store_audit(s, 7, 12, "leased", NULL);
    store_audit(s, 7, 12, "pushed", "SO-1");
    /* Any synchronous write queued after them commits them too. */
    EXPECT_EQ_INT(store_kv_set(s, "barrier", "x"), 0);
    cJSON *a = store_audit_of(s, 7);
    EXPECT_EQ_INT(cJSON_GetArraySize(a), 3);
    const char *what[] = {"received", "leased", "pushed"};
    double t[] = {10, 12, 12};
    for (int i = 0; i < 3; i++) {
        cJSON *o = cJSON_GetArrayItem(a, i);
        EXPECT_EQ_STR(str(o, "what"), what[i]);
        EXPECT_EQ_INT(num(o, "t"), t[i]);
    }
    EXPECT_EQ_STR(str(cJSON_GetArrayItem(a, 0), "detail"), "orders/paid");
    EXPECT_TRUE(cJSON_IsNull(cJSON_GetObjectItem(cJSON_GetArrayItem(a, 1), "detail")));
    cJSON_Delete(a);
    a = store_audit_of(s, 9);
    EXPECT_EQ_INT(cJSON_GetArraySize(a), 0);
    cJSON_Delete(a);
    /* Close writes what is still queued. */
    store_audit(s, 9, 20, "closing", NULL);
    store_close(s);
    s = be->open("kv");
    a = store_audit_of(s, 9);
    EXPECT_EQ_INT(cJSON_GetArraySize(a), 1);
    cJSON_Delete(a);
    store_close(s);
}

static void conf_sales_history_and_idem_get(const store_conf_backend *be)
{
    store *s = be->open("history");
    EXPECT_TRUE(store_idem_get(s, "route:x") == NULL);
    EXPECT_EQ_INT(store_idem_claim(s, "route:x", "plan", NULL), 1);
    char *v = store_idem_get(s, "route:x");
    EXPECT_EQ_STR(v, "plan");
    free(v);
    EXPECT_EQ_INT(store_idem_read(s, "route:x", &v), 1);
    EXPECT_EQ_STR(v, "plan");
    free(v);
    EXPECT_EQ_INT(store_idem_read(s, "route:y", &v), 0);
    EXPECT_TRUE(v == NULL);
    EXPECT_EQ_INT(store_history_add(s, "A", "o1", "SKU1", 3, 1000), 0);
    EXPECT_EQ_INT(store_history_add(s, "A", "o1", "SKU1", 3, 1000), 0); /* replay */
    EXPECT_EQ_INT(store_history_add(s, "B", "o2", "SKU1", 2, 5000), 0);
    EXPECT_EQ_INT(store_history_add(s, "A", "o3", "SKU2", 7, 2000), 0);
    EXPECT_EQ_INT(store_history_units(s, "SKU1", 0, 10000), 5);
    EXPECT_EQ_INT(store_history_units(s, "SKU1", 1001, 10000), 2);
    EXPECT_EQ_INT(store_history_units(s, "SKU1", 0, 5000), 3); /* [from, to) */
    EXPECT_EQ_INT(store_history_cancel(s, "A", "o1"), 0);
    EXPECT_EQ_INT(store_history_units(s, "SKU1", 0, 10000), 2);
    /* History is not the reservation ledger. */
    EXPECT_EQ_INT(store_units_known(s, "A", "SKU1"), 0);
    EXPECT_EQ_INT(store_pending_units(s, "SKU1", 0), 0);
    store_close(s);
}

/* Enqueues a new event of topic about order (its body {"id":order}) at
 * now under dedup key; returns its id. */
static int64_t order_event(store *s, const char *topic, const char *order, int64_t now,
                           const char *key)
{
    char body[64];
    snprintf(body, sizeof body, "{\"id\":%s}", order);
    store_event_in e = event(topic, body, 0, now, key, NULL);
    e.order_id = order;
    int64_t id = 0;
    EXPECT_EQ_INT(store_enqueue(s, &e, &id), STORE_NEW);
    return id;
}

static void conf_order_audit_follows_an_order_after_its_events_leave_the_queue(const store_conf_backend *be)
{
    store *s = be->open("order_audit");
    store_counts c = counts(s, 0);
    EXPECT_EQ_INT(c.oldest_at, -1); /* nothing queued */
    /* Two events of order 4501 (paid, then cancelled), one of another. */
    int64_t paid = order_event(s, "orders/paid", "4501", 100, "k1");
    int64_t other = order_event(s, "orders/paid", "4502", 150, "k2");
    int64_t cancelled = order_event(s, "orders/cancelled", "4501", 200, "k3");
    /* A duplicate links nothing more. */
    store_event_in e = event("orders/paid", "{\"id\":4501}", 0, 300, "k1", NULL);
    e.order_id = "4501";
    int64_t dup = 0;
    EXPECT_EQ_INT(store_enqueue(s, &e, &dup), STORE_DUPLICATE);
    c = counts(s, 0);
    EXPECT_EQ_INT(c.oldest_at, 100);

    /* The paid event is handled and leaves the queue; its trail stays. */
    store_audit(s, paid, 110, "pushed", "SO-1");
    store_audit(s, paid, 111, "done", "orders/paid");
    store_audit(s, other, 160, "done", "orders/paid");
    EXPECT_EQ_INT(store_ack(s, paid, 0), 0); /* never leased: epoch 0 */
    c = counts(s, 0);
    EXPECT_EQ_INT(c.oldest_at, 150);

    cJSON *a = store_order_audit(s, "4501", 100);
    EXPECT_EQ_INT(cJSON_GetArraySize(a), 3);
    const char *what[] = {"pushed", "done", NULL};
    for (int i = 0; i < 3; i++) {
        cJSON *o = cJSON_GetArrayItem(a, i);
        EXPECT_EQ_INT(num(o, "event"), i < 2 ? paid : cancelled);
        EXPECT_EQ_STR(str(o, "topic"), i < 2 ? "orders/paid" : "orders/cancelled");
        EXPECT_EQ_STR(str(o, "shop"), "demo.myshopify.com");
        if (what[i])
            EXPECT_EQ_STR(str(o, "what"), what[i]);
        else /* the cancellation is queued, not handled yet */
            EXPECT_TRUE(cJSON_IsNull(cJSON_GetObjectItem(o, "what")) &&
                        cJSON_IsNull(cJSON_GetObjectItem(o, "t")));
    }
    cJSON_Delete(a);
    /* The limit holds; an unknown order has no rows; NULL is an error. */
    a = store_order_audit(s, "4501", 1);
    EXPECT_EQ_INT(cJSON_GetArraySize(a), 1);
    cJSON_Delete(a);
    a = store_order_audit(s, "9999", 100);
    EXPECT_EQ_INT(cJSON_GetArraySize(a), 0);
    cJSON_Delete(a);
    EXPECT_TRUE(store_order_audit(s, NULL, 100) == NULL);
    store_close(s);
}

/* ---- housekeeping ----------------------------------------------------------- */

/* How many rows store_order_audit gives for order (limit 100). */
static int audit_rows(store *s, const char *order)
{
    cJSON *a = store_order_audit(s, order, 100);
    int n = cJSON_GetArraySize(a);
    cJSON_Delete(a);
    return n;
}


/* Old rows go in rounds of at most the batch, new ones stay, and what
 * keeps writes exactly once stays with them. */
static void conf_housekeeping_removes_old_rows_in_rounds(const store_conf_backend *be)
{
    store *s = be->open("housekeep");
    /* Orders 7001 and 7003 long ago (t 100-160), 7002 lately (t 5000). */
    int64_t old_ev = order_event(s, "orders/paid", "7001", 100, "old-1");
    int64_t mid_ev = order_event(s, "orders/paid", "7003", 150, "old-2");
    int64_t new_ev = order_event(s, "orders/paid", "7002", 5000, "new-1");
    int64_t id = 0;
    store_audit(s, old_ev, 110, "pushed", "SO-1");
    store_audit(s, old_ev, 120, "done", "orders/paid");
    store_audit(s, mid_ev, 160, "done", "orders/paid");
    store_audit(s, new_ev, 5010, "done", "orders/paid");
    EXPECT_EQ_INT(store_ack(s, old_ev, 0), 0);
    EXPECT_EQ_INT(store_ack(s, mid_ev, 0), 0);
    EXPECT_EQ_INT(store_ack(s, new_ev, 0), 0);
    /* An old dead letter keeps its order's link for a replay. */
    int64_t dead_ev = order_event(s, "orders/paid", "7005", 120, "old-3");
    EXPECT_EQ_INT(store_dead(s, dead_ev, 0, 130, "bad"), 0);
    store_audit(s, dead_ev, 130, "dead", "bad");
    EXPECT_EQ_INT(store_history_add(s, "A", "7001", "SKU1", 3, 100), 0);
    EXPECT_EQ_INT(store_history_add(s, "A", "7002", "SKU1", 2, 5000), 0);
    int state = -1;
    EXPECT_EQ_INT(store_write_intent(s, "sale:7001", "sale", "{\"q\":3}", 100, &state, NULL), 1);
    EXPECT_EQ_INT(store_write_outcome(s, "sale:7001", WRITE_DONE, "SO-1", 200), 0);
    EXPECT_EQ_INT(store_write_intent(s, "sale:7004", "sale", "{\"q\":1}", 100, &state, NULL), 1);
    EXPECT_EQ_INT(store_write_intent(s, "sale:7002", "sale", "{\"q\":2}", 5000, &state, NULL), 1);
    EXPECT_EQ_INT(store_write_outcome(s, "sale:7002", WRITE_DONE, "SO-2", 5100), 0);

    store_pruned p;
    /* No cutoff set: nothing goes; no batch is an error. */
    store_cutoffs none = {INT64_MIN, INT64_MIN, INT64_MIN, INT64_MIN};
    EXPECT_EQ_INT(store_housekeep(s, &none, 10, &p), 0);
    EXPECT_EQ_INT(p.dedup + p.history + p.audit + p.order_events + p.bodies, 0);
    EXPECT_EQ_INT(store_housekeep(s, &none, 0, &p), -1);

    /* Rounds of one row of each kind. */
    store_cutoffs before = {1000, 1000, 1000, 1000};
    store_pruned sum = {0};
    int rounds = 0;
    do {
        EXPECT_EQ_INT(store_housekeep(s, &before, 1, &p), 0);
        EXPECT_LE_INT(p.dedup, 1);
        EXPECT_LE_INT(p.audit, 1);
        sum.dedup += p.dedup;
        sum.history += p.history;
        sum.audit += p.audit;
        sum.order_events += p.order_events;
        sum.bodies += p.bodies;
        rounds++;
    } while (p.dedup + p.history + p.audit + p.order_events + p.bodies > 0 && rounds < 10);
    EXPECT_EQ_INT(rounds, 5); /* four audit rows one at a time, then nothing left */
    EXPECT_EQ_INT(sum.dedup, 3);
    EXPECT_EQ_INT(sum.history, 1);
    EXPECT_EQ_INT(sum.audit, 4);
    EXPECT_EQ_INT(sum.order_events, 2); /* 7001's and 7003's, not the dead letter's */
    EXPECT_EQ_INT(sum.bodies, 1); /* the settled old write; not the open one */

    /* An old key is forgotten, a new one still a duplicate. */
    store_event_in e = event("orders/paid", "{\"id\":7001}", 0, 6000, "old-1", NULL);
    EXPECT_EQ_INT(store_enqueue(s, &e, &id), STORE_NEW);
    e = event("orders/paid", "{\"id\":7002}", 0, 6000, "new-1", NULL);
    EXPECT_EQ_INT(store_enqueue(s, &e, &id), STORE_DUPLICATE);
    EXPECT_EQ_INT(store_history_units(s, "SKU1", 0, 10000), 2);
    EXPECT_EQ_INT(audit_rows(s, "7001"), 0);
    EXPECT_EQ_INT(audit_rows(s, "7005"), 1);
    EXPECT_EQ_INT(audit_rows(s, "7002"), 1);
    /* A settled write's key and outcome stay: it is not made again. */
    char *remote = NULL;
    EXPECT_EQ_INT(store_write_intent(s, "sale:7001", "sale", "{\"q\":3}", 7000, &state, &remote), 0);
    EXPECT_EQ_INT(state, WRITE_DONE);
    EXPECT_EQ_STR(remote, "SO-1");
    free(remote);
    EXPECT_EQ_INT(store_write_intent(s, "sale:7004", "sale", NULL, 7000, &state, NULL), 0);
    EXPECT_EQ_INT(state, WRITE_INTENT);
    store_close(s);
}

/* ---- fencing -------------------------------------------------------------- */

/* A holder paused past its lease (A) wakes after another (B) leased the
 * event: every settling call of A is refused and changes nothing; B's
 * are taken, and B is fenced in turn once C leases after B's retry. */
static void conf_fencing_refuses_a_superseded_lease(const store_conf_backend *be)
{
    store *s = be->open("fence");
    int64_t id = put(s, "{\"f\":1}", 0, 10, "wh:f");
    store_event *ev[4];
    EXPECT_EQ_INT(store_lease(s, 100, 50, ev, 4), 1); /* A, until 150 */
    int64_t a = ev[0]->epoch;
    EXPECT_GT_INT(a, 0);
    free_all(ev, 1);
    EXPECT_EQ_INT(store_lease(s, 149, 50, ev, 4), 0);
    EXPECT_EQ_INT(store_lease(s, 150, 1000, ev, 4), 1); /* B, until 1150 */
    int64_t b = ev[0]->epoch;
    EXPECT_GT_INT(b, a);
    EXPECT_EQ_INT(ev[0]->attempts, 2);
    free_all(ev, 1);

    EXPECT_EQ_INT(store_ack(s, id, a), STORE_FENCED);
    EXPECT_EQ_INT(store_retry(s, id, a, 0, "late"), STORE_FENCED);
    EXPECT_EQ_INT(store_unlease(s, id, a), STORE_FENCED);
    EXPECT_EQ_INT(store_dead(s, id, a, 200, "late"), STORE_FENCED);
    EXPECT_EQ_INT(store_ack(s, id, 0), STORE_FENCED); /* "never leased" is no key either */
    store_counts n = counts(s, 300);
    EXPECT_EQ_INT(n.leased, 1);
    EXPECT_EQ_INT(n.ready, 0);
    EXPECT_EQ_INT(n.dead, 0);
    EXPECT_EQ_INT(n.done, 0);
    EXPECT_EQ_INT(store_lease(s, 300, 1000, ev, 4), 0); /* still B's */
    cJSON *l = store_dlq_list(s, 10);
    EXPECT_EQ_INT(cJSON_GetArraySize(l), 0);
    cJSON_Delete(l);

    EXPECT_EQ_INT(store_retry(s, id, b, 400, "HTTP 503"), 0);
    EXPECT_EQ_INT(store_lease(s, 400, 1000, ev, 4), 1); /* C */
    int64_t c = ev[0]->epoch;
    EXPECT_GT_INT(c, b);
    EXPECT_EQ_INT(ev[0]->attempts, 3);
    EXPECT_EQ_STR(ev[0]->last_error, "HTTP 503"); /* A's "late" never landed */
    free_all(ev, 1);
    EXPECT_EQ_INT(store_ack(s, id, b), STORE_FENCED);
    EXPECT_EQ_INT(store_ack(s, id, c), 0);
    /* Gone is told before fenced: nothing is left to protect. */
    EXPECT_EQ_INT(store_ack(s, id, c), 1);
    EXPECT_EQ_INT(store_ack(s, id, a), 1);
    n = counts(s, 500);
    EXPECT_EQ_INT(n.done, 1);
    EXPECT_EQ_INT(n.leased + n.ready + n.dead, 0);
    store_close(s);
}

/* What fencing does not refuse, and why the epochs it compares are never
 * handed out twice: a lease that ran out while nobody took the event still
 * settles it (nobody else did the work); epochs of one batch differ; and
 * an event that went to the dead-letter queue and came back, or a store
 * closed and opened again, gives no old epoch a second life. */
static void conf_fencing_epochs_are_never_reused(const store_conf_backend *be)
{
    store *s = be->open("epochs");
    int64_t x = put(s, "{\"x\":1}", 0, 10, NULL);
    int64_t y = put(s, "{\"y\":1}", 0, 11, NULL);
    store_event *ev[4];
    EXPECT_EQ_INT(store_lease(s, 100, 10, ev, 4), 2);
    int64_t ex = ev[0]->id == x ? ev[0]->epoch : ev[1]->epoch;
    int64_t ey = ev[0]->id == y ? ev[0]->epoch : ev[1]->epoch;
    EXPECT_TRUE(ex != ey);
    free_all(ev, 2);
    /* x's lease ran out at 110 and nobody took x: its holder settles it. */
    EXPECT_EQ_INT(store_retry(s, x, ex, 500, "late but alone"), 0);

    /* y dies and is requeued under its id: the old epoch stays dead. */
    EXPECT_EQ_INT(store_dead(s, y, ey, 120, "bad"), 0);
    EXPECT_EQ_INT(store_dlq_requeue(s, y, 130), 0);
    EXPECT_EQ_INT(store_ack(s, y, ey), STORE_FENCED);
    EXPECT_EQ_INT(store_lease(s, 140, 10, ev, 4), 1);
    EXPECT_EQ_INT(ev[0]->id, y);
    int64_t ey2 = ev[0]->epoch;
    EXPECT_GT_INT(ey2, ex);
    EXPECT_GT_INT(ey2, ey);
    free_all(ev, 1);
    EXPECT_EQ_INT(store_ack(s, y, ey), STORE_FENCED);
    EXPECT_EQ_INT(store_ack(s, y, ey2), 0);
    store_close(s);

    /* Opened again (a restart), x is leased anew: the epoch goes on up and
     * the lease from before the restart is fenced. */
    s = be->open("epochs");
    EXPECT_EQ_INT(store_lease(s, 600, 10, ev, 4), 1);
    EXPECT_EQ_INT(ev[0]->id, x);
    int64_t ex2 = ev[0]->epoch;
    EXPECT_GT_INT(ex2, ey2);
    free_all(ev, 1);
    EXPECT_EQ_INT(store_ack(s, x, ex), STORE_FENCED);
    EXPECT_EQ_INT(store_ack(s, x, ex2), 0);
    EXPECT_EQ_INT(counts(s, 700).done, 2);
    store_close(s);
}

/* The writes a holder makes for its event (store_act_for) are fenced like
 * its outcome: taken while its lease is the event's latest, refused (-1)
 * and changing nothing once another lease took the event over, or once
 * the event left the queue; writes made for no lease are not checked. */
static void conf_fencing_refuses_writes_for_a_superseded_lease(const store_conf_backend *be)
{
    store *s = be->open("fence_writes");
    int64_t id = put(s, "{}", 0, 10, NULL);
    store_event *ev[2];
    EXPECT_EQ_INT(store_lease(s, 100, 50, ev, 2), 1); /* A, until 150 */
    int64_t a = ev[0]->epoch;
    free_all(ev, 1);
    store_act_for(s, id, a);
    EXPECT_EQ_INT(store_kv_set(s, "k", "by A"), 0);
    EXPECT_EQ_INT(store_reserve(s, "A", "o1", "SKU1", 2, 100), 0);
    store_act_for(s, 0, 0);

    EXPECT_EQ_INT(store_lease(s, 150, 1000, ev, 2), 1); /* B takes it over */
    int64_t b = ev[0]->epoch;
    free_all(ev, 1);
    /* A writes on, as a holder paused past its lease does when it wakes. */
    store_act_for(s, id, a);
    EXPECT_EQ_INT(store_kv_set(s, "k", "by A, late"), -1);
    EXPECT_EQ_INT(store_reserve(s, "A", "o2", "SKU1", 5, 150), -1);
    EXPECT_EQ_INT(store_reservation_pushed(s, "A", "o1", 160), -1);
    EXPECT_EQ_INT(store_idem_claim(s, "sale:o2", "A", NULL), -1);
    EXPECT_EQ_INT(store_write_intent(s, "sale:o2", "sale", "{}", 160, NULL, NULL), -1);
    store_audit(s, id, 160, "late", NULL);
    store_act_for(s, 0, 0);
    EXPECT_EQ_INT(store_kv_set(s, "barrier", "x"), 0); /* commits the audit's group */
    char *v = store_kv_get(s, "k");
    EXPECT_EQ_STR(v, "by A");
    free(v);
    EXPECT_EQ_INT(store_pending_units(s, "SKU1", 1000), 2); /* o1 only, not pushed */
    EXPECT_TRUE(store_idem_get(s, "sale:o2") == NULL);
    int state = -1;
    EXPECT_EQ_INT(store_write_intent(s, "sale:o2", "sale", "{}", 170, &state, NULL), 1);
    cJSON *au = store_audit_of(s, id);
    EXPECT_EQ_INT(cJSON_GetArraySize(au), 0);
    cJSON_Delete(au);

    /* B's writes are taken until B acks; then the event has left the
     * queue and nothing more is written for it. */
    store_act_for(s, id, b);
    EXPECT_EQ_INT(store_idem_claim(s, "sale:o2", "B", NULL), 1);
    EXPECT_EQ_INT(store_ack(s, id, b), 0);
    EXPECT_EQ_INT(store_kv_set(s, "k", "by B, after"), -1);
    store_act_for(s, 0, 0);
    EXPECT_EQ_INT(store_kv_set(s, "k", "for no lease"), 0);
    v = store_kv_get(s, "k");
    EXPECT_EQ_STR(v, "for no lease");
    free(v);
    v = store_idem_get(s, "sale:o2");
    EXPECT_EQ_STR(v, "B");
    free(v);
    store_close(s);
}

/* ---- the backends --------------------------------------------------------- */

/* Every test of the suite, for the registration below. */
#define CONF_TESTS(X, b)                                                        \
    X(b, lifecycle_lease_ack_retry_dead)                                        \
    X(b, priority_order_then_oldest_and_ready_at)                               \
    X(b, dedup_by_any_key_and_duplicates_counted)                               \
    X(b, dlq_list_requeue_and_dead_on_arrival)                                  \
    X(b, idempotency_claim_and_write_ledger)                                    \
    X(b, reservation_ledger)                                                    \
    X(b, backorder_holds)                                                       \
    X(b, kv_and_async_audit)                                                    \
    X(b, sales_history_and_idem_get)                                            \
    X(b, order_audit_follows_an_order_after_its_events_leave_the_queue)         \
    X(b, housekeeping_removes_old_rows_in_rounds)                               \
    X(b, fencing_refuses_a_superseded_lease)                                    \
    X(b, fencing_epochs_are_never_reused)                                     \
    X(b, fencing_refuses_writes_for_a_superseded_lease)

#define CONF_WRAP(b, t)                                                         \
    static void conf_##b##_##t(void) { conf_##t(&b##_backend); }
#define CONF_REGISTER(b, t)                                                     \
    test_register("store_conf." #b, #t, conf_##b##_##t, TEST_DEFAULT_TIMEOUT_S);

/* Registers the whole suite as store_conf.<b>.*, run with the factory
 * b##_backend. */
#define STORE_CONF_SUITE(b)                                                     \
    CONF_TESTS(CONF_WRAP, b)                                                    \
    __attribute__((constructor)) static void conf_register_##b(void)           \
    {                                                                           \
        CONF_TESTS(CONF_REGISTER, b)                                            \
    }

/* SQLite: a file in the test's scratch directory. */
static store *sqlite_open(const char *name)
{
    return open_at(name, NULL);
}
static const store_conf_backend sqlite_backend = {sqlite_open};
STORE_CONF_SUITE(sqlite)

/* PostgreSQL: the server the runner started for the suite (pgtest.h), a
 * database per (test, name), created at its first open. */
static store *postgres_open(const char *name)
{
    static char made[16][64];
    static int n_made;
    char db[64], where[512], err[512] = "";
    snprintf(db, sizeof db, "conf_%d_%s", (int)getpid(), name);
    int known = 0;
    for (int i = 0; i < n_made && !known; i++)
        known = strcmp(made[i], db) == 0;
    if (!known) {
        if (n_made == 16)
            test_fail(__FILE__, __LINE__, "more than 16 databases in one test");
        pgtest_create_db(db);
        snprintf(made[n_made++], sizeof made[0], "%s", db);
    }
    pgtest_where(db, where, sizeof where);
    store *s = NULL;
    if (store_open(where, NULL, &s, err, sizeof err) != 0)
        test_fail(__FILE__, __LINE__, "store_open %s: %s", db, err);
    return s;
}
static const store_conf_backend postgres_backend = {postgres_open};
STORE_CONF_SUITE(postgres)

__attribute__((constructor)) static void conf_pg_fixture(void)
{
    test_register_fixture("store_conf.postgres.", pgtest_setup, pgtest_teardown);
}

/* ---- claims ------------------------------------------------------------------
 * Named leases (store.h, "claims"): taken, renewed under the same epoch,
 * refused to another holder while valid, taken over with a higher epoch
 * once run out, released; several at once; epochs from the same counter
 * as the event leases. Registered for both backends below, apart from
 * the list above. */

static int64_t claim_ok(store *s, const char *name, const char *holder, int64_t now, int64_t ttl)
{
    int64_t epoch = -1;
    EXPECT_EQ_INT(store_claim(s, name, holder, now, ttl, &epoch), 1);
    EXPECT_GT_INT(epoch, 0);
    return epoch;
}

static void conf_claim_take_renew_refuse_takeover_release(const store_conf_backend *be)
{
    store *s = be->open("claims");
    int64_t e1 = claim_ok(s, "webhooks", "A", 100, 50);
    /* Renewed before it ran out: the same epoch, a later end. */
    EXPECT_EQ_INT(claim_ok(s, "webhooks", "A", 120, 50), e1);
    int64_t other = -7;
    EXPECT_EQ_INT(store_claim(s, "webhooks", "B", 169, 50, &other), 0);
    EXPECT_EQ_INT(other, -7);
    char *h = NULL;
    int64_t until = 0, ep = 0;
    EXPECT_EQ_INT(store_claim_holder(s, "webhooks", 169, &h, &until, &ep), 1);
    EXPECT_EQ_STR(h, "A");
    free(h);
    EXPECT_EQ_INT(until, 170);
    EXPECT_EQ_INT(ep, e1);

    /* Run out at 170: B takes it over under a higher epoch, A is refused. */
    EXPECT_EQ_INT(store_claim_holder(s, "webhooks", 170, NULL, NULL, NULL), 0);
    int64_t e2 = claim_ok(s, "webhooks", "B", 170, 50);
    EXPECT_GT_INT(e2, e1);
    EXPECT_EQ_INT(store_claim(s, "webhooks", "A", 180, 50, NULL), 0);

    /* Only its holder releases it; the next taker gets a new epoch. */
    EXPECT_EQ_INT(store_release(s, "webhooks", "A"), 1);
    EXPECT_EQ_INT(store_release(s, "webhooks", "B"), 0);
    EXPECT_EQ_INT(store_release(s, "webhooks", "B"), 1);
    EXPECT_EQ_INT(store_claim_holder(s, "webhooks", 180, NULL, NULL, NULL), 0);
    int64_t e3 = claim_ok(s, "webhooks", "A", 180, 50);
    EXPECT_GT_INT(e3, e2);
    /* The same holder after its claim ran out: newly taken, new epoch
     * (somebody may have held it in between). */
    int64_t e4 = claim_ok(s, "webhooks", "A", 230, 50);
    EXPECT_GT_INT(e4, e3);

    /* One counter with the event leases: a lease after the claim draws a
     * higher number, a claim after the lease higher still. */
    put(s, "{}", 0, 10, NULL);
    store_event *ev[1];
    EXPECT_EQ_INT(store_lease(s, 240, 100, ev, 1), 1);
    int64_t le = ev[0]->epoch;
    free_all(ev, 1);
    EXPECT_GT_INT(le, e4);
    int64_t e5 = claim_ok(s, "reconcile", "A", 240, 50);
    EXPECT_GT_INT(e5, le);
    store_close(s);

    /* After a restart the counter goes on up. */
    s = be->open("claims");
    EXPECT_GT_INT(claim_ok(s, "replen-sweep", "A", 300, 50), e5);

    /* Refused arguments. */
    EXPECT_EQ_INT(store_claim(s, "x", "A", 300, 0, NULL), -1);
    EXPECT_EQ_INT(store_claim(s, "x", NULL, 300, 10, NULL), -1);
    EXPECT_EQ_INT(store_claim(s, "x", "", 300, 10, NULL), -1);
    EXPECT_EQ_INT(store_claim(s, NULL, "A", 300, 10, NULL), -1);
    EXPECT_EQ_INT(store_claim(s, "x", "A", INT64_MAX - 5, 10, NULL), -1);
    EXPECT_EQ_INT(store_claim_each(s, NULL, 0, "A", 300, 10, NULL), 0);
    store_close(s);
}

static void conf_claim_each_takes_what_is_free_and_says_what_is_not(const store_conf_backend *be)
{
    store *s = be->open("claim_each");
    int64_t eb = claim_ok(s, "stock:b", "B", 100, 1000); /* B's until 1100 */
    /* Any text is a name: quotes, backslashes, commas and braces too. */
    const char *names[] = {"stock:a", "stock:b", "stock:we\"ird\\,{}", "stock:a"};
    store_claim_state st[4];
    EXPECT_EQ_INT(store_claim_each(s, names, 4, "A", 200, 300, st), 3);
    EXPECT_EQ_INT(st[0].held, 1);
    EXPECT_EQ_INT(st[0].until, 500);
    EXPECT_GT_INT(st[0].epoch, eb);
    EXPECT_EQ_INT(st[1].held, 0);
    EXPECT_EQ_INT(st[1].until, 1100);
    EXPECT_EQ_INT(st[1].epoch, eb);
    EXPECT_EQ_INT(st[2].held, 1);
    EXPECT_TRUE(st[2].epoch != st[0].epoch);
    /* A name given twice: both entries alike. */
    EXPECT_EQ_INT(st[3].held, 1);
    EXPECT_EQ_INT(st[3].epoch, st[0].epoch);
    EXPECT_EQ_INT(st[3].until, st[0].until);
    char *h = NULL;
    EXPECT_EQ_INT(store_claim_holder(s, names[2], 200, &h, NULL, NULL), 1);
    EXPECT_EQ_STR(h, "A");
    free(h);

    /* Again within the window: A renews its own (same epochs), B's stays
     * B's. */
    store_claim_state again[4];
    EXPECT_EQ_INT(store_claim_each(s, names, 3, "A", 400, 300, again), 2);
    EXPECT_EQ_INT(again[0].epoch, st[0].epoch);
    EXPECT_EQ_INT(again[0].until, 700);
    EXPECT_EQ_INT(again[2].epoch, st[2].epoch);
    EXPECT_EQ_INT(again[1].held, 0);
    /* Past B's end, all three are A's; B's under a new epoch. */
    EXPECT_EQ_INT(store_claim_each(s, names, 3, "A", 1100, 300, again), 3);
    EXPECT_GT_INT(again[1].epoch, st[2].epoch);

    /* What a renewal costs, one name and a batch (printed, not asserted:
     * the machine is shared). */
    enum { ROUNDS = 20, BATCH = 40 };
    char many[BATCH][24];
    const char *list[BATCH];
    for (int k = 0; k < BATCH; k++) {
        snprintf(many[k], sizeof many[k], "cost:%d", k);
        list[k] = many[k];
    }
    store_claim_state out[BATCH];
    int64_t t0 = clock_mono_us();
    for (int i = 0; i < ROUNDS; i++)
        EXPECT_EQ_INT(store_claim(s, "cost:one", "A", 2000 + i, 300, NULL), 1);
    int64_t t1 = clock_mono_us();
    for (int i = 0; i < ROUNDS; i++)
        EXPECT_EQ_INT(store_claim_each(s, list, BATCH, "A", 2000 + i, 300, out), BATCH);
    int64_t t2 = clock_mono_us();
    printf("claim cost: %.3f ms for one, %.3f ms for %d in one call\n",
           (double)(t1 - t0) / ROUNDS / 1000.0, (double)(t2 - t1) / ROUNDS / 1000.0, BATCH);
    store_close(s);
}

#define CLAIM_TESTS(X, b)                                                       \
    X(b, claim_take_renew_refuse_takeover_release)                              \
    X(b, claim_each_takes_what_is_free_and_says_what_is_not)

CLAIM_TESTS(CONF_WRAP, sqlite)
CLAIM_TESTS(CONF_WRAP, postgres)
__attribute__((constructor)) static void conf_register_claims(void)
{
    CLAIM_TESTS(CONF_REGISTER, sqlite)
    CLAIM_TESTS(CONF_REGISTER, postgres)
}

/* ---- shared limits ------------------------------------------------------------
 * The API budgets instances share (store_limit_*): a window budget, a
 * leaky bucket, the learned rate and the pause, each kept across a
 * reopen. */

static void conf_limits_window_budget_takes_up_to_the_limit_then_waits(const store_conf_backend *be)
{
    store *s = be->open("win");
    int64_t wait = -7;
    store_limit st;
    EXPECT_EQ_INT(store_limit_take_call(s, "cin7", 3, 1000, 0, 100, &wait, &st), 1);
    EXPECT_EQ_INT(wait, 0);
    EXPECT_EQ_INT(store_limit_take_call(s, "cin7", 3, 1000, 0, 200, &wait, NULL), 1);
    EXPECT_EQ_INT(store_limit_take_call(s, "cin7", 3, 1000, 0, 300, &wait, NULL), 1);
    /* Full: the wait is until the call of 100 leaves (100, 1100]. */
    EXPECT_EQ_INT(store_limit_take_call(s, "cin7", 3, 1000, 0, 400, &wait, NULL), 0);
    EXPECT_EQ_INT(wait, 700);
    /* Another budget is another count. */
    EXPECT_EQ_INT(store_limit_take_call(s, "other", 1, 1000, 0, 400, &wait, NULL), 1);
    EXPECT_EQ_INT(store_limit_take_call(s, "other", 1, 1000, 0, 401, &wait, NULL), 0);
    EXPECT_EQ_INT(wait, 999);
    store_close(s);

    /* The calls are the database's, not the handle's. */
    s = be->open("win");
    EXPECT_EQ_INT(store_limit_take_call(s, "cin7", 3, 1000, 0, 1099, &wait, NULL), 0);
    EXPECT_EQ_INT(wait, 1);
    EXPECT_EQ_INT(store_limit_take_call(s, "cin7", 3, 1000, 0, 1100, &wait, NULL), 1);
    EXPECT_EQ_INT(store_limit_take_call(s, "cin7", 3, 1000, 0, 1150, &wait, NULL), 0);
    EXPECT_EQ_INT(wait, 50);
    /* A lower limit counts the calls already in the window. */
    EXPECT_EQ_INT(store_limit_take_call(s, "cin7", 2, 1000, 0, 1250, &wait, NULL), 0);
    EXPECT_EQ_INT(wait, 50);
    /* Long after: every old call has left. */
    for (int i = 0; i < 3; i++)
        EXPECT_EQ_INT(store_limit_take_call(s, "cin7", 3, 1000, 0, 10000 + i, &wait, NULL), 1);
    EXPECT_EQ_INT(store_limit_take_call(s, "cin7", 3, 1000, 0, 10003, &wait, NULL), 0);
    EXPECT_EQ_INT(wait, 997);
    /* Refused: a limit or window below 1, no name. */
    EXPECT_EQ_INT(store_limit_take_call(s, "cin7", 0, 1000, 0, 20000, &wait, NULL), -1);
    EXPECT_EQ_INT(store_limit_take_call(s, "cin7", 3, 0, 0, 20000, &wait, NULL), -1);
    EXPECT_EQ_INT(store_limit_take_call(s, NULL, 3, 1000, 0, 20000, &wait, NULL), -1);
    store_close(s);
}

static void conf_limits_rate_and_pause_are_shared(const store_conf_backend *be)
{
    store *s = be->open("rate");
    store_limit st = {1, 1, 1, 1};
    /* A new budget: nothing stored. */
    EXPECT_EQ_INT(store_limit_get(s, "cin7", &st), 0);
    EXPECT_NEAR(st.rate, 0, 0);
    EXPECT_EQ_INT(st.paused_until, 0);
    EXPECT_EQ_INT(store_limit_set_rate(s, "cin7", 27.5), 0);
    EXPECT_EQ_INT(store_limit_set_rate(s, "cin7", 0), -1);
    EXPECT_EQ_INT(store_limit_set_rate(s, "cin7", -3), -1);
    int64_t wait = 0;
    /* Every take tells the rate. */
    EXPECT_EQ_INT(store_limit_take_call(s, "cin7", 5, 60000, 0, 1000, &wait, &st), 1);
    EXPECT_NEAR(st.rate, 27.5, 1e-12);
    /* Paused: nobody takes until the pause ends; an earlier pause does
     * not shorten it. */
    EXPECT_EQ_INT(store_limit_pause(s, "cin7", 5000), 0);
    EXPECT_EQ_INT(store_limit_pause(s, "cin7", 3000), 0);
    EXPECT_EQ_INT(store_limit_take_call(s, "cin7", 5, 60000, 0, 4000, &wait, &st), 0);
    EXPECT_EQ_INT(wait, 1000);
    EXPECT_EQ_INT(st.paused_until, 5000);
    EXPECT_EQ_INT(store_limit_take_cost(s, "cin7", 100, 10, 1, 4500, &wait, NULL), 0);
    EXPECT_EQ_INT(wait, 500);
    store_close(s);

    s = be->open("rate");
    EXPECT_EQ_INT(store_limit_get(s, "cin7", &st), 0);
    EXPECT_NEAR(st.rate, 27.5, 1e-12);
    EXPECT_EQ_INT(st.paused_until, 5000);
    EXPECT_EQ_INT(store_limit_take_call(s, "cin7", 5, 60000, 0, 5000, &wait, &st), 1);
    EXPECT_EQ_INT(store_limit_set_rate(s, "cin7", 13.75), 0);
    EXPECT_EQ_INT(store_limit_get(s, "cin7", &st), 0);
    EXPECT_NEAR(st.rate, 13.75, 1e-12);
    store_close(s);
}

static void conf_limits_leaky_bucket_take_observe_refund(const store_conf_backend *be)
{
    store *s = be->open("leaky");
    const char *b = "shopify:demo.myshopify.com";
    int64_t wait = 0;
    store_limit st;
    /* size 100, 10 a second. */
    EXPECT_EQ_INT(store_limit_take_cost(s, b, 100, 10, 60, 0, &wait, &st), 1);
    EXPECT_NEAR(st.level, 60, 1e-9);
    /* 60 + 50 is 10 over: a second of leaking. */
    EXPECT_EQ_INT(store_limit_take_cost(s, b, 100, 10, 50, 0, &wait, NULL), 0);
    EXPECT_EQ_INT(wait, 1000);
    EXPECT_EQ_INT(store_limit_take_cost(s, b, 100, 10, 50, 1000, &wait, &st), 1);
    EXPECT_NEAR(st.level, 100, 1e-9);
    EXPECT_EQ_INT(st.at, 1000);
    /* Rounded up: 0.5 of a unit is 50 ms. */
    EXPECT_EQ_INT(store_limit_take_cost(s, b, 100, 10, 0.5, 1000, &wait, NULL), 0);
    EXPECT_EQ_INT(wait, 50);
    /* A refund makes room. */
    EXPECT_EQ_INT(store_limit_refund(s, b, 30), 0);
    EXPECT_EQ_INT(store_limit_take_cost(s, b, 100, 10, 20, 1000, &wait, &st), 1);
    EXPECT_NEAR(st.level, 90, 1e-9);
    store_close(s);

    s = be->open("leaky");
    /* The server said the bucket is full at 2000: adopted. */
    EXPECT_EQ_INT(store_limit_observe(s, b, 100, 2000), 0);
    EXPECT_EQ_INT(store_limit_take_cost(s, b, 100, 10, 1, 2000, &wait, NULL), 0);
    EXPECT_EQ_INT(wait, 100);
    /* A refund beyond the level leaves it empty, not below. */
    EXPECT_EQ_INT(store_limit_refund(s, b, 500), 0);
    EXPECT_EQ_INT(store_limit_take_cost(s, b, 100, 10, 100, 2000, &wait, &st), 1);
    EXPECT_NEAR(st.level, 100, 1e-9);
    /* Never: more than the bucket holds, or a bucket that does not leak. */
    EXPECT_EQ_INT(store_limit_take_cost(s, b, 100, 10, 101, 99000, &wait, NULL), 0);
    EXPECT_EQ_INT(wait, -1);
    EXPECT_EQ_INT(store_limit_take_cost(s, b, 100, 0, 1, 2000, &wait, NULL), 0);
    EXPECT_EQ_INT(wait, -1);
    /* Refused arguments. */
    EXPECT_EQ_INT(store_limit_take_cost(s, b, 0, 10, 1, 2000, &wait, NULL), -1);
    EXPECT_EQ_INT(store_limit_take_cost(s, b, 100, 10, -1, 2000, &wait, NULL), -1);
    EXPECT_EQ_INT(store_limit_observe(s, b, -1, 2000), -1);
    EXPECT_EQ_INT(store_limit_refund(s, b, -1), -1);
    store_close(s);
}

static void conf_limits_spacing_spreads_a_window_budget(const store_conf_backend *be)
{
    store *s = be->open("spaced");
    int64_t wait = 0;
    store_limit st;
    /* 4 calls a second, 250 ms apart at least. */
    EXPECT_EQ_INT(store_limit_take_call(s, "c", 4, 1000, 250, 1000, &wait, &st), 1);
    EXPECT_EQ_INT(st.at, 1000);
    EXPECT_EQ_INT(store_limit_take_call(s, "c", 4, 1000, 250, 1100, &wait, NULL), 0);
    EXPECT_EQ_INT(wait, 150);
    EXPECT_EQ_INT(store_limit_take_call(s, "c", 4, 1000, 250, 1250, &wait, NULL), 1);
    EXPECT_EQ_INT(store_limit_take_call(s, "c", 4, 1000, 250, 1500, &wait, NULL), 1);
    EXPECT_EQ_INT(store_limit_take_call(s, "c", 4, 1000, 250, 1750, &wait, NULL), 1);
    /* Spaced and full: the window's wait. */
    EXPECT_EQ_INT(store_limit_take_call(s, "c", 4, 1000, 250, 1999, &wait, NULL), 0);
    EXPECT_EQ_INT(wait, 1);
    EXPECT_EQ_INT(store_limit_take_call(s, "c", 4, 1000, 250, 2000, &wait, NULL), 1);
    /* Without spacing the same budget goes in a burst. */
    EXPECT_EQ_INT(store_limit_take_call(s, "d", 4, 1000, 0, 1000, &wait, NULL), 1);
    EXPECT_EQ_INT(store_limit_take_call(s, "d", 4, 1000, 0, 1000, &wait, NULL), 1);
    EXPECT_EQ_INT(store_limit_take_call(s, "c", 4, 1000, -1, 5000, &wait, NULL), -1);
    store_close(s);
}

/* Calls taken together (a read and the write built from it): all or none,
 * each counted, and the spacing of as many calls after them. */
static void conf_limits_calls_taken_together(const store_conf_backend *be)
{
    store *s = be->open("pair");
    int64_t wait = -7;
    EXPECT_EQ_INT(store_limit_take_call(s, "cin7", 3, 1000, 0, 100, &wait, NULL), 1);
    EXPECT_EQ_INT(store_limit_take_calls(s, "cin7", 2, 3, 1000, 0, 200, &wait, NULL), 1);
    EXPECT_EQ_INT(wait, 0);
    /* The window holds 3 now: two more wait for the oldest to leave, and
     * with one gone there is room for one only, not two. */
    EXPECT_EQ_INT(store_limit_take_calls(s, "cin7", 2, 3, 1000, 0, 300, &wait, NULL), 0);
    EXPECT_EQ_INT(wait, 800);
    EXPECT_EQ_INT(store_limit_take_calls(s, "cin7", 2, 3, 1000, 0, 1100, &wait, NULL), 0);
    EXPECT_GT_INT(wait, 0);
    EXPECT_EQ_INT(store_limit_take_call(s, "cin7", 3, 1000, 0, 1100, &wait, NULL), 1);
    /* Both of 200 leave at 1200: two fit again. */
    EXPECT_EQ_INT(store_limit_take_calls(s, "cin7", 2, 3, 1000, 0, 1200, &wait, NULL), 1);
    EXPECT_EQ_INT(store_limit_take_call(s, "cin7", 3, 1000, 0, 1200, &wait, NULL), 0);
    /* More calls than the limit never fit. */
    EXPECT_EQ_INT(store_limit_take_calls(s, "cin7", 4, 3, 1000, 0, 50000, &wait, NULL), 0);
    EXPECT_EQ_INT(wait, -1);
    EXPECT_EQ_INT(store_limit_take_calls(s, "cin7", 0, 3, 1000, 0, 50000, &wait, NULL), -1);
    /* With spacing: a pair at 60000 puts the next call two spacings on. */
    EXPECT_EQ_INT(store_limit_take_calls(s, "sp", 2, 10, 1000, 100, 60000, &wait, NULL), 1);
    EXPECT_EQ_INT(store_limit_take_call(s, "sp", 10, 1000, 100, 60150, &wait, NULL), 0);
    EXPECT_EQ_INT(wait, 50);
    EXPECT_EQ_INT(store_limit_take_call(s, "sp", 10, 1000, 100, 60200, &wait, NULL), 1);
    store_close(s);
}

#define CONF_LIMIT_TESTS(X, b)                                                  \
    X(b, limits_window_budget_takes_up_to_the_limit_then_waits)                 \
    X(b, limits_calls_taken_together)                                           \
    X(b, limits_spacing_spreads_a_window_budget)                                \
    X(b, limits_rate_and_pause_are_shared)                                      \
    X(b, limits_leaky_bucket_take_observe_refund)

CONF_LIMIT_TESTS(CONF_WRAP, sqlite)
CONF_LIMIT_TESTS(CONF_WRAP, postgres)
__attribute__((constructor)) static void conf_limits_register(void)
{
    CONF_LIMIT_TESTS(CONF_REGISTER, sqlite)
    CONF_LIMIT_TESTS(CONF_REGISTER, postgres)
}
