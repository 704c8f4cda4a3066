/* syncd's durable store (engine/syncd/store.c): the queue's lifecycle,
 * de-duplication, the dead-letter queue, the ledgers, migrations, reopening,
 * kill -9 durability and group commit under concurrent callers. Each test
 * works on a file of its own in the test's scratch directory. */
#include "../runner.h"

#include "../../engine/syncd/store.h"
#include "log.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void db_path(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s.db", test_tmp_dir(), name);
}

static store *open_at(const char *name, const store_options *o)
{
    char path[512], err[256] = "";
    db_path(path, sizeof path, name);
    store *s = NULL;
    if (store_open(path, o, &s, err, sizeof err) != 0)
        test_fail(__FILE__, __LINE__, "store_open %s: %s", path, err);
    return s;
}

static store *open_db(const char *name)
{
    return open_at(name, NULL);
}

/* An event with a body, a priority and up to two dedup keys. */
static store_event_in event(const char *topic, const char *body, int priority, int64_t now,
                            const char *key1, const char *key2)
{
    store_event_in e = {0};
    e.source = "shopify";
    e.topic = topic;
    e.shop = "demo.myshopify.com";
    e.body = body;
    e.body_len = strlen(body);
    e.priority = priority;
    e.now = now;
    e.dedup[0] = key1;
    e.dedup[1] = key2;
    return e;
}

static int64_t put(store *s, const char *body, int priority, int64_t now, const char *key)
{
    store_event_in e = event("orders/paid", body, priority, now, key, NULL);
    int64_t id = 0;
    EXPECT_EQ_INT(store_enqueue(s, &e, &id), STORE_NEW);
    EXPECT_GT_INT(id, 0);
    return id;
}

static void free_all(store_event **ev, int n)
{
    for (int i = 0; i < n; i++)
        store_event_free(ev[i]);
}

static store_counts counts(store *s, int64_t now)
{
    store_counts c;
    EXPECT_EQ_INT(store_count(s, now, &c), 0);
    return c;
}

TEST(store, open_refuses_memory_and_bad_paths)
{
    store *s = (store *)1;
    char err[256] = "";
    EXPECT_EQ_INT(store_open(":memory:", NULL, &s, err, sizeof err), -1);
    EXPECT_TRUE(s == NULL);
    EXPECT_CONTAINS(err, ":memory:");
    char path[512];
    snprintf(path, sizeof path, "%s/no/such/dir/x.db", test_tmp_dir());
    EXPECT_EQ_INT(store_open(path, NULL, &s, err, sizeof err), -1);
    EXPECT_CONTAINS(err, "no/such/dir");
    store_options o = {.schema_version = STORE_SCHEMA_VERSION + 1};
    db_path(path, sizeof path, "future");
    EXPECT_EQ_INT(store_open(path, &o, &s, err, sizeof err), -1);
    store_close(NULL);
}

TEST(store, lifecycle_lease_ack_retry_dead)
{
    store *s = open_db("life");
    EXPECT_EQ_INT(store_schema_version(s), STORE_SCHEMA_VERSION);
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
    free_all(ev, 2);
    n = counts(s, 200);
    EXPECT_EQ_INT(n.ready, 1);
    EXPECT_EQ_INT(n.leased, 2);

    EXPECT_EQ_INT(store_lease(s, 200, 1000, ev, 8), 1);
    EXPECT_EQ_INT(ev[0]->id, c);
    free_all(ev, 1);
    EXPECT_EQ_INT(store_lease(s, 200, 1000, ev, 8), 0);

    /* Ack removes; a second ack finds nothing. */
    EXPECT_EQ_INT(store_ack(s, b), 0);
    EXPECT_EQ_INT(store_ack(s, b), 1);
    EXPECT_EQ_INT(counts(s, 200).done, 1);

    /* Retry releases the lease but not before ready_at, and keeps count
     * and error. */
    EXPECT_EQ_INT(store_retry(s, a, 500, "HTTP 503"), 0);
    EXPECT_EQ_INT(counts(s, 300).ready, 1);
    EXPECT_EQ_INT(store_lease(s, 499, 1000, ev, 8), 0);
    EXPECT_EQ_INT(store_lease(s, 500, 1000, ev, 8), 1);
    EXPECT_EQ_INT(ev[0]->id, a);
    EXPECT_EQ_INT(ev[0]->attempts, 2);
    EXPECT_EQ_STR(ev[0]->last_error, "HTTP 503");
    free_all(ev, 1);
    EXPECT_EQ_INT(store_retry(s, a, 500, "HTTP 429"), 0);
    EXPECT_EQ_INT(store_lease(s, 500, 1000, ev, 8), 1);
    EXPECT_EQ_INT(ev[0]->attempts, 3);
    EXPECT_EQ_STR(ev[0]->last_error, "HTTP 429");
    free_all(ev, 1);

    /* Dead leaves the queue for the DLQ; the id is then unknown to the queue. */
    EXPECT_EQ_INT(store_dead(s, a, 600, "gave up"), 0);
    EXPECT_EQ_INT(store_dead(s, a, 600, "gave up"), 1);
    EXPECT_EQ_INT(store_retry(s, a, 700, "x"), 1);

    /* c's lease (until 1200) expires: another lease takes it. */
    EXPECT_EQ_INT(store_lease(s, 1199, 1000, ev, 8), 0);
    EXPECT_EQ_INT(store_lease(s, 1200, 1000, ev, 8), 1);
    EXPECT_EQ_INT(ev[0]->id, c);
    /* A lease that ran out without a settlement (its handler never came
     * back) was a try all the same. */
    EXPECT_EQ_INT(ev[0]->attempts, 2);
    free_all(ev, 1);
    EXPECT_EQ_INT(counts(s, 1200).leased, 1);
    /* Unleased: ready at once, the untried lease's count given back. */
    EXPECT_EQ_INT(store_unlease(s, c), 0);
    EXPECT_EQ_INT(store_unlease(s, c), 1);
    EXPECT_EQ_INT(store_lease(s, 1200, 1000, ev, 8), 1);
    EXPECT_EQ_INT(ev[0]->attempts, 2);
    free_all(ev, 1);
    EXPECT_EQ_INT(store_ack(s, c), 0);

    n = counts(s, 1300);
    EXPECT_EQ_INT(n.ready, 0);
    EXPECT_EQ_INT(n.leased, 0);
    EXPECT_EQ_INT(n.dead, 1);
    EXPECT_EQ_INT(n.done, 2);
    EXPECT_EQ_INT(n.duplicates, 0);
    store_close(s);
}

TEST(store, priority_order_then_oldest_and_ready_at)
{
    store *s = open_db("prio");
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
    free_all(ev, 1);
    EXPECT_EQ_INT(store_retry(s, id[1], 100, "later"), 0);

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

TEST(store, dedup_by_any_key_and_duplicates_counted)
{
    store *s = open_db("dedup");
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

static cJSON *dlq_item(cJSON *arr, int i)
{
    cJSON *o = cJSON_GetArrayItem(arr, i);
    EXPECT_TRUE(o != NULL);
    return o;
}

static double num(cJSON *o, const char *k)
{
    cJSON *v = cJSON_GetObjectItem(o, k);
    if (!cJSON_IsNumber(v))
        test_fail(__FILE__, __LINE__, "%s is not a number", k);
    return v->valuedouble;
}

static const char *str(cJSON *o, const char *k)
{
    cJSON *v = cJSON_GetObjectItem(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

TEST(store, dlq_list_requeue_and_dead_on_arrival)
{
    store *s = open_db("dlq");
    int64_t x = put(s, "{\"x\":1}", 2, 10, "wh:x");
    store_event *ev[4];
    for (int i = 0; i < 2; i++) {
        EXPECT_EQ_INT(store_lease(s, 100 * (i + 1), 10, ev, 4), 1);
        free_all(ev, 1);
        EXPECT_EQ_INT(store_retry(s, x, 0, "HTTP 500"), 0);
    }
    EXPECT_EQ_INT(store_dead(s, x, 1000, "too many tries"), 0);

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

TEST(store, idempotency_claim_and_write_ledger)
{
    store *s = open_db("idem");
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

TEST(store, reservation_ledger)
{
    store *s = open_db("ledger");
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

TEST(store, kv_and_async_audit)
{
    store *s = open_db("kv");
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
    s = open_db("kv");
    a = store_audit_of(s, 9);
    EXPECT_EQ_INT(cJSON_GetArraySize(a), 1);
    cJSON_Delete(a);
    store_close(s);
}

TEST(store, migrates_older_schema_keeping_data)
{
    /* Fill a database at version 1 (queue, dedup, DLQ, kv only). */
    store_options v1 = {.schema_version = 1};
    store *s = open_at("mig", &v1);
    EXPECT_EQ_INT(store_schema_version(s), 1);
    int64_t keep = put(s, "{\"keep\":1}", 1, 10, "wh:keep");
    int64_t gone = put(s, "{\"gone\":1}", 0, 11, NULL);
    int64_t dead = put(s, "{\"dead\":1}", 0, 12, NULL);
    EXPECT_EQ_INT(store_ack(s, gone), 0);
    EXPECT_EQ_INT(store_dead(s, dead, 20, "bad"), 0);
    EXPECT_EQ_INT(store_kv_set(s, "wm", "v1"), 0);
    /* Later tables do not exist yet: those calls fail, and say why. */
    FILE *log = tmpfile();
    EXPECT_TRUE(log != NULL);
    log_set_output(log);
    EXPECT_EQ_INT(store_reserve(s, "A", "o1", "SKU1", 1, 1), -1);
    EXPECT_EQ_INT(store_idem_claim(s, "k", "v", NULL), -1);
    EXPECT_EQ_INT(store_pending_units(s, "SKU1", 0), -1);
    log_set_output(NULL);
    char text[4096] = "";
    rewind(log);
    text[fread(text, 1, sizeof text - 1, log)] = '\0';
    fclose(log);
    EXPECT_CONTAINS(text, "no such table: reservations");
    EXPECT_CONTAINS(text, "no such table: idem");
    /* A failed call leaves the queue working. */
    EXPECT_EQ_INT(counts(s, 0).ready, 1);
    store_close(s);

    /* One step forward, then the rest. */
    store_options v2 = {.schema_version = 2};
    s = open_at("mig", &v2);
    EXPECT_EQ_INT(store_schema_version(s), 2);
    EXPECT_EQ_INT(store_idem_claim(s, "k", "from v2", NULL), 1);
    log = tmpfile();
    log_set_output(log);
    EXPECT_EQ_INT(store_reserve(s, "A", "o1", "SKU1", 1, 1), -1);
    log_set_output(NULL);
    fclose(log);
    store_close(s);

    s = open_db("mig");
    EXPECT_EQ_INT(store_schema_version(s), STORE_SCHEMA_VERSION);
    store_counts n = counts(s, 100);
    EXPECT_EQ_INT(n.ready, 1);
    EXPECT_EQ_INT(n.dead, 1);
    EXPECT_EQ_INT(n.done, 1);
    char *v = store_kv_get(s, "wm");
    EXPECT_EQ_STR(v, "v1");
    free(v);
    char *old = NULL;
    EXPECT_EQ_INT(store_idem_claim(s, "k", "again", &old), 0);
    EXPECT_EQ_STR(old, "from v2");
    free(old);
    store_event_in e = event("orders/paid", "{}", 0, 30, "wh:keep", NULL);
    int64_t id = 0;
    EXPECT_EQ_INT(store_enqueue(s, &e, &id), STORE_DUPLICATE);
    EXPECT_EQ_INT(id, keep);
    store_event *ev[4];
    EXPECT_EQ_INT(store_lease(s, 100, 10, ev, 4), 1);
    EXPECT_EQ_INT(ev[0]->id, keep);
    EXPECT_EQ_STR(ev[0]->body, "{\"keep\":1}");
    free_all(ev, 1);
    /* New ids continue after the old ones, even the acked one. */
    EXPECT_GT_INT(put(s, "{}", 0, 40, NULL), dead);
    cJSON *l = store_dlq_list(s, 5);
    EXPECT_EQ_INT(cJSON_GetArraySize(l), 1);
    EXPECT_EQ_INT(num(dlq_item(l, 0), "id"), dead);
    cJSON_Delete(l);
    EXPECT_EQ_INT(store_reserve(s, "A", "o1", "SKU1", 4, 1), 0);
    EXPECT_EQ_INT(store_pending_units(s, "SKU1", 0), 4);
    store_close(s);

    /* Asking for an older version never takes a database back. */
    s = open_at("mig", &v1);
    EXPECT_EQ_INT(store_schema_version(s), STORE_SCHEMA_VERSION);
    EXPECT_EQ_INT(store_pending_units(s, "SKU1", 0), 4);
    store_close(s);
}

TEST(store, reopen_keeps_everything_and_releases_leases)
{
    store *s = open_db("reopen");
    int64_t id[3];
    for (int i = 0; i < 3; i++)
        id[i] = put(s, "{}", 0, i, NULL);
    int64_t d = put(s, "{\"d\":1}", 0, 3, "wh:d");
    EXPECT_EQ_INT(store_dead(s, d, 5, "r"), 0);
    store_event *ev[8];
    EXPECT_EQ_INT(store_lease(s, 10, 1000000000, ev, 2), 2);
    free_all(ev, 2);
    EXPECT_EQ_INT(store_kv_set(s, "k", "v"), 0);
    EXPECT_EQ_INT(store_idem_claim(s, "i", "iv", NULL), 1);
    EXPECT_EQ_INT(store_write_intent(s, "w", "sale", "{}", 1, NULL, NULL), 1);
    EXPECT_EQ_INT(store_write_outcome(s, "w", WRITE_DONE, "SO-9", 2), 0);
    EXPECT_EQ_INT(store_reserve(s, "A", "o", "S", 6, 1), 0);
    store_audit(s, id[0], 1, "seen", NULL);
    store_close(s);

    s = open_db("reopen");
    store_counts n = counts(s, 11);
    EXPECT_EQ_INT(n.leased, 0);
    EXPECT_EQ_INT(n.ready, 3);
    EXPECT_EQ_INT(n.dead, 1);
    /* The leases of the previous process (until 1e9) no longer hold. */
    EXPECT_EQ_INT(store_lease(s, 11, 100, ev, 8), 3);
    for (int i = 0; i < 3; i++)
        EXPECT_EQ_INT(ev[i]->id, id[i]);
    free_all(ev, 3);
    char *v = store_kv_get(s, "k");
    EXPECT_EQ_STR(v, "v");
    free(v);
    EXPECT_EQ_INT(store_idem_claim(s, "i", "x", &v), 0);
    EXPECT_EQ_STR(v, "iv");
    free(v);
    int state = -1;
    EXPECT_EQ_INT(store_write_intent(s, "w", "sale", "{}", 3, &state, &v), 0);
    EXPECT_EQ_INT(state, WRITE_DONE);
    EXPECT_EQ_STR(v, "SO-9");
    free(v);
    EXPECT_EQ_INT(store_pending_units(s, "S", 0), 6);
    cJSON *a = store_audit_of(s, id[0]);
    EXPECT_EQ_INT(cJSON_GetArraySize(a), 1);
    cJSON_Delete(a);
    store_event_in e = event("orders/paid", "{}", 0, 30, "wh:d", NULL);
    int64_t dup = 0;
    EXPECT_EQ_INT(store_enqueue(s, &e, &dup), STORE_DUPLICATE);
    EXPECT_EQ_INT(dup, d);
    store_close(s);
}

/* ---- kill -9 ----------------------------------------------------------------- */

#define KILL_EVENTS 2000
#define KILL_AFTER 300 /* ids reported before the parent kills */

static void child_enqueue_loop(int fd)
{
    char path[512], err[256], key[32], body[64];
    db_path(path, sizeof path, "kill");
    store *s;
    if (store_open(path, NULL, &s, err, sizeof err) != 0)
        _exit(3);
    for (int i = 0; i < KILL_EVENTS; i++) {
        snprintf(key, sizeof key, "k:%d", i);
        snprintf(body, sizeof body, "{\"i\":%d}", i);
        store_event_in e = event("orders/paid", body, 0, i, key, NULL);
        int64_t id;
        if (store_enqueue(s, &e, &id) != STORE_NEW)
            _exit(4);
        /* Reported only now, after the commit, as syncd answers 200. An
         * 8-byte write to a pipe is atomic: all of it or nothing. */
        if (write(fd, &id, sizeof id) != (ssize_t)sizeof id)
            _exit(5);
    }
    _exit(0);
}

TEST_T(store, acknowledged_events_survive_kill_9, 120)
{
    int p[2];
    EXPECT_EQ_INT(pipe(p), 0);
    pid_t pid = fork();
    EXPECT_GE_INT(pid, 0);
    if (pid == 0) {
        close(p[0]);
        child_enqueue_loop(p[1]);
    }
    close(p[1]);
    static int64_t reported[KILL_EVENTS];
    size_t n = 0, got = 0;
    int killed = 0;
    char *buf = (char *)reported;
    for (;;) {
        ssize_t r = read(p[0], buf + got, sizeof reported - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
        n = got / sizeof reported[0];
        if (!killed && n >= KILL_AFTER) {
            kill(pid, SIGKILL);
            killed = 1;
        }
    }
    close(p[0]);
    /* Whatever reached the pipe before the kill counts as acknowledged. */
    EXPECT_EQ_INT(got % sizeof reported[0], 0);
    int status;
    EXPECT_EQ_INT(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    EXPECT_GE_INT(n, KILL_AFTER);
    EXPECT_LT_INT(n, KILL_EVENTS); /* killed mid-stream */

    store *s = open_db("kill");
    static store_event *ev[KILL_EVENTS + 1];
    int m = store_lease(s, KILL_EVENTS, 1000, ev, KILL_EVENTS + 1);
    EXPECT_GE_INT(m, (int)n);
    /* Each stored event is one loop iteration, stored once, in order. */
    static char seen[KILL_EVENTS];
    for (int i = 0; i < m; i++) {
        int k = -1;
        EXPECT_EQ_INT(sscanf(ev[i]->body, "{\"i\":%d}", &k), 1);
        EXPECT_TRUE(k >= 0 && k < KILL_EVENTS);
        EXPECT_FALSE(seen[k]);
        seen[k] = 1;
        EXPECT_EQ_INT(k, i);
    }
    /* Every reported id is there, with the body the child gave it. */
    for (size_t i = 0; i < n; i++) {
        EXPECT_LT_INT(i, (size_t)m);
        EXPECT_EQ_INT(ev[i]->id, reported[i]);
    }
    free_all(ev, m);
    /* The dedup keys survived too. */
    store_event_in e = event("orders/paid", "{}", 0, 0, "k:0", NULL);
    int64_t id = 0;
    EXPECT_EQ_INT(store_enqueue(s, &e, &id), STORE_DUPLICATE);
    EXPECT_EQ_INT(id, reported[0]);
    store_close(s);
}

/* ---- concurrency ------------------------------------------------------------- */

#define THREADS 4
#define PER_THREAD 2000
#define SHARED 100 /* keys every thread also tries */

typedef struct {
    store *s;
    int t;
    int news, dups, errors;
    int64_t shared_id[SHARED];
} worker;

static void *enqueue_worker(void *arg)
{
    worker *w = arg;
    char key[48], body[64];
    for (int i = 0; i < PER_THREAD; i++) {
        snprintf(key, sizeof key, "own:%d:%d", w->t, i);
        snprintf(body, sizeof body, "own:%d:%d", w->t, i);
        store_event_in e = event("orders/paid", body, 0, i, key, NULL);
        int64_t id;
        int rc = store_enqueue(w->s, &e, &id);
        w->news += rc == STORE_NEW;
        w->errors += rc != STORE_NEW;
        if (i % (PER_THREAD / SHARED) == 0) {
            int j = i / (PER_THREAD / SHARED);
            snprintf(key, sizeof key, "shared:%d", j);
            snprintf(body, sizeof body, "shared:%d", j);
            e = event("orders/paid", body, 0, i, key, NULL);
            rc = store_enqueue(w->s, &e, &w->shared_id[j]);
            w->news += rc == STORE_NEW;
            w->dups += rc == STORE_DUPLICATE;
            w->errors += rc < 0;
        }
    }
    return NULL;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

TEST_T(store, concurrent_enqueue_is_exact_and_group_committed, 120)
{
    store *s = open_db("conc");
    static worker w[THREADS];
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++) {
        w[t].s = s;
        w[t].t = t;
        EXPECT_EQ_INT(pthread_create(&th[t], NULL, enqueue_worker, &w[t]), 0);
    }
    for (int t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);

    int news = 0, dups = 0;
    for (int t = 0; t < THREADS; t++) {
        EXPECT_EQ_INT(w[t].errors, 0);
        news += w[t].news;
        dups += w[t].dups;
    }
    const int distinct = THREADS * PER_THREAD + SHARED;
    const int calls = THREADS * (PER_THREAD + SHARED);
    EXPECT_EQ_INT(news, distinct);
    EXPECT_EQ_INT(dups, (THREADS - 1) * SHARED);
    /* Every thread saw the same id for a shared key, stored or refused. */
    for (int j = 0; j < SHARED; j++)
        for (int t = 1; t < THREADS; t++)
            EXPECT_EQ_INT(w[t].shared_id[j], w[0].shared_id[j]);
    store_counts n = counts(s, PER_THREAD);
    EXPECT_EQ_INT(n.ready, distinct);
    EXPECT_EQ_INT(n.duplicates, (THREADS - 1) * SHARED);

    /* Concurrent callers shared transactions. */
    int64_t commits = store_commits(s);
    EXPECT_GT_INT(commits, 0);
    EXPECT_LT_INT(commits, calls);

    /* Each distinct body exactly once. */
    static store_event *ev[THREADS * PER_THREAD + SHARED + 1];
    static char *bodies[THREADS * PER_THREAD + SHARED + 1];
    int m = store_lease(s, PER_THREAD, 10, ev, sizeof ev / sizeof ev[0]);
    EXPECT_EQ_INT(m, distinct);
    for (int i = 0; i < m; i++)
        bodies[i] = ev[i]->body;
    qsort(bodies, (size_t)m, sizeof bodies[0], cmp_str);
    for (int i = 1; i < m; i++)
        if (strcmp(bodies[i - 1], bodies[i]) == 0)
            test_fail(__FILE__, __LINE__, "stored twice: %s", bodies[i]);
    free_all(ev, m);
    store_close(s);
}

typedef struct {
    store *s;
    int n;
} small_worker;

static void *small_enqueue(void *arg)
{
    small_worker *w = arg;
    for (int i = 0; i < w->n; i++) {
        store_event_in e = event("orders/paid", "{}", 0, i, NULL, NULL);
        if (store_enqueue(w->s, &e, NULL) != STORE_NEW)
            return (void *)1;
    }
    return NULL;
}

TEST(store, group_commit_max_bounds_each_transaction)
{
    /* With one write per transaction, commits count the writes exactly. */
    store_options o = {.group_commit_max = 1};
    store *s = open_at("gmax", &o);
    small_worker w = {s, 150};
    pthread_t th[2];
    for (int t = 0; t < 2; t++)
        pthread_create(&th[t], NULL, small_enqueue, &w);
    for (int t = 0; t < 2; t++) {
        void *rc;
        pthread_join(th[t], &rc);
        EXPECT_TRUE(rc == NULL);
    }
    EXPECT_EQ_INT(store_commits(s), 300);
    EXPECT_EQ_INT(counts(s, 0).ready, 300);
    store_close(s);
}

TEST(store, sales_history_and_idem_get)
{
    store *s = open_db("history");
    EXPECT_TRUE(store_idem_get(s, "route:x") == NULL);
    EXPECT_EQ_INT(store_idem_claim(s, "route:x", "plan", NULL), 1);
    char *v = store_idem_get(s, "route:x");
    EXPECT_EQ_STR(v, "plan");
    free(v);
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

TEST(store, order_audit_follows_an_order_after_its_events_leave_the_queue)
{
    store *s = open_db("order_audit");
    store_counts c = counts(s, 0);
    EXPECT_EQ_INT(c.oldest_at, -1); /* nothing queued */
    /* Two events of order 4501 (paid, then cancelled), one of another. */
    store_event_in e = event("orders/paid", "{\"id\":4501}", 0, 100, "k1", NULL);
    e.order_id = "4501";
    int64_t paid = 0, other = 0, cancelled = 0;
    EXPECT_EQ_INT(store_enqueue(s, &e, &paid), STORE_NEW);
    e = event("orders/paid", "{\"id\":4502}", 0, 150, "k2", NULL);
    e.order_id = "4502";
    EXPECT_EQ_INT(store_enqueue(s, &e, &other), STORE_NEW);
    e = event("orders/cancelled", "{\"id\":4501}", 0, 200, "k3", NULL);
    e.order_id = "4501";
    EXPECT_EQ_INT(store_enqueue(s, &e, &cancelled), STORE_NEW);
    /* A duplicate links nothing more. */
    e = event("orders/paid", "{\"id\":4501}", 0, 300, "k1", NULL);
    e.order_id = "4501";
    int64_t dup = 0;
    EXPECT_EQ_INT(store_enqueue(s, &e, &dup), STORE_DUPLICATE);
    c = counts(s, 0);
    EXPECT_EQ_INT(c.oldest_at, 100);

    /* The paid event is handled and leaves the queue; its trail stays. */
    store_audit(s, paid, 110, "pushed", "SO-1");
    store_audit(s, paid, 111, "done", "orders/paid");
    store_audit(s, other, 160, "done", "orders/paid");
    EXPECT_EQ_INT(store_ack(s, paid), 0);
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
