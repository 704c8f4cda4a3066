/*
 * The PostgreSQL store as several syncd instances use it: stores opened on
 * one database by different threads stand for instances, on a real server
 * (lib/pgcluster) the runner starts once for the suite (pgtest.h). What the
 * conformance suite (tests/unit/test_store_conf.c) cannot ask of SQLite,
 * whose file has one process as its user: instances opening a fresh
 * database at once create its schema once; an instance that opens does not
 * take the leases of the others; instances racing for one queue lease each
 * event once; the same webhook given to two instances at once is stored
 * once. And syncd itself, whole, on a PostgreSQL store.
 */
#include "../unit/storetest.h"

#include "../unit/pgtest.h"
#include "test_syncd.h"

#include "mem.h"
#include "proc.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((constructor)) static void pg_fixture(void)
{
    test_register_fixture("store_pg.", pgtest_setup, pgtest_teardown);
}

/* The location of a fresh database for the running test. */
static void fresh_db(char *where, size_t n)
{
    char db[32];
    snprintf(db, sizeof db, "inst_%d", (int)getpid());
    pgtest_create_db(db);
    pgtest_where(db, where, n);
}

static store *open_pg(const char *where)
{
    store *s = NULL;
    char err[512] = "";
    if (store_open(where, NULL, &s, err, sizeof err) != 0)
        test_fail(__FILE__, __LINE__, "store_open: %s", err);
    return s;
}

/* ---- opening at once ------------------------------------------------------ */

enum { OPENERS = 4 };

typedef struct {
    const char *where;
    int rc;
    char err[512];
    store *s;
} opener;

static void *open_main(void *arg)
{
    opener *o = arg;
    o->rc = store_open(o->where, NULL, &o->s, o->err, sizeof o->err);
    return NULL;
}

TEST(store_pg, instances_opening_a_fresh_database_at_once_create_it_once)
{
    char where[512];
    fresh_db(where, sizeof where);
    opener o[OPENERS];
    pthread_t th[OPENERS];
    for (int i = 0; i < OPENERS; i++) {
        o[i] = (opener){.where = where};
        EXPECT_EQ_INT(pthread_create(&th[i], NULL, open_main, &o[i]), 0);
    }
    for (int i = 0; i < OPENERS; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < OPENERS; i++) {
        EXPECT_EQ_STR(o[i].err, "");
        EXPECT_EQ_INT(o[i].rc, 0);
        EXPECT_EQ_INT(store_schema_version(o[i].s), STORE_SCHEMA_VERSION);
    }
    /* One queue for all: what one stores, another leases. */
    int64_t id = put(o[0].s, "{\"a\":1}", 0, 10, "wh:1");
    store_event *ev[2];
    EXPECT_EQ_INT(store_lease(o[3].s, 20, 100, ev, 2), 1);
    EXPECT_EQ_INT(ev[0]->id, id);
    EXPECT_EQ_INT(store_ack(o[1].s, id, ev[0]->epoch), 0);
    free_all(ev, 1);
    for (int i = 0; i < OPENERS; i++)
        store_close(o[i].s);
}

/* ---- leases are the holder's ------------------------------------------------ */

TEST(store_pg, an_instance_opening_leaves_the_leases_of_others_alone)
{
    char where[512];
    fresh_db(where, sizeof where);
    store *a = open_pg(where);
    int64_t id = put(a, "{\"a\":1}", 0, 10, NULL);
    store_event *ev[2];
    EXPECT_EQ_INT(store_lease(a, 100, 1000, ev, 2), 1);
    int64_t epoch = ev[0]->epoch;
    free_all(ev, 1);

    /* b starts (or restarts) while a works: a's lease stands. */
    store *b = open_pg(where);
    EXPECT_EQ_INT(store_lease(b, 200, 1000, ev, 2), 0);
    EXPECT_EQ_INT(counts(b, 200).leased, 1);
    /* Once it ran out, b takes the event and a's ack is fenced. */
    EXPECT_EQ_INT(store_lease(b, 1100, 1000, ev, 2), 1);
    EXPECT_EQ_INT(ev[0]->id, id);
    int64_t epoch_b = ev[0]->epoch;
    free_all(ev, 1);
    EXPECT_EQ_INT(store_ack(a, id, epoch), STORE_FENCED);
    EXPECT_EQ_INT(store_ack(b, id, epoch_b), 0);
    EXPECT_EQ_INT(counts(a, 1200).done, 1);
    store_close(b);
    store_close(a);
}

/* ---- racing for one queue ---------------------------------------------------- */

enum { EVENTS = 60, RACERS = 3 };

typedef struct {
    store *s;
    int64_t got[EVENTS];
    int n;
    int failed;
} racer;

/* Leases two at a time and acks each, until the queue is empty; bounded
 * by the number of events (every round takes at least one, or ends). */
static void *race_main(void *arg)
{
    racer *r = arg;
    for (int round = 0; round < EVENTS; round++) {
        store_event *ev[2];
        int n = store_lease(r->s, 100, 60000, ev, 2);
        if (n < 0)
            r->failed = 1;
        if (n <= 0)
            break;
        for (int i = 0; i < n; i++) {
            if (r->n < EVENTS)
                r->got[r->n++] = ev[i]->id;
            if (store_ack(r->s, ev[i]->id, ev[i]->epoch) != 0)
                r->failed = 1;
            store_event_free(ev[i]);
        }
    }
    return NULL;
}

TEST(store_pg, instances_racing_for_one_queue_lease_each_event_once)
{
    char where[512];
    fresh_db(where, sizeof where);
    racer r[RACERS];
    for (int i = 0; i < RACERS; i++)
        r[i] = (racer){.s = open_pg(where)};
    int64_t ids[EVENTS];
    char body[32];
    for (int i = 0; i < EVENTS; i++) {
        snprintf(body, sizeof body, "{\"n\":%d}", i);
        ids[i] = put(r[i % RACERS].s, body, 0, 10 + i, NULL);
    }
    pthread_t th[RACERS];
    for (int i = 0; i < RACERS; i++)
        EXPECT_EQ_INT(pthread_create(&th[i], NULL, race_main, &r[i]), 0);
    for (int i = 0; i < RACERS; i++)
        pthread_join(th[i], NULL);
    int seen[EVENTS] = {0}, total = 0;
    for (int i = 0; i < RACERS; i++) {
        EXPECT_EQ_INT(r[i].failed, 0);
        printf("instance %d handled %d events\n", i, r[i].n);
        for (int k = 0; k < r[i].n; k++) {
            int at = -1;
            for (int e = 0; e < EVENTS; e++)
                if (ids[e] == r[i].got[k])
                    at = e;
            EXPECT_GE_INT(at, 0);
            seen[at]++;
            total++;
        }
    }
    EXPECT_EQ_INT(total, EVENTS);
    for (int e = 0; e < EVENTS; e++)
        EXPECT_EQ_INT(seen[e], 1);
    store_counts c = counts(r[0].s, 200);
    EXPECT_EQ_INT(c.done, EVENTS);
    EXPECT_EQ_INT(c.ready + c.leased, 0);
    for (int i = 0; i < RACERS; i++)
        store_close(r[i].s);
}

/* ---- one webhook, two instances ------------------------------------------------ */

typedef struct {
    store *s;
    int rc;
    int64_t id;
} sender;

static void *send_main(void *arg)
{
    sender *x = arg;
    store_event_in e = event("orders/paid", "{\"id\":7}", 0, 10, "wh:same", NULL);
    x->rc = store_enqueue(x->s, &e, &x->id);
    return NULL;
}

TEST(store_pg, one_webhook_given_to_two_instances_at_once_is_stored_once)
{
    char where[512];
    fresh_db(where, sizeof where);
    /* Several rounds, so the two enqueues meet inside each other's
     * transactions at least sometimes; each round must store exactly one
     * event whichever way they met. */
    store *a = open_pg(where), *b = open_pg(where);
    for (int round = 0; round < 10; round++) {
        sender x[2] = {{.s = a}, {.s = b}};
        pthread_t th[2];
        for (int i = 0; i < 2; i++)
            EXPECT_EQ_INT(pthread_create(&th[i], NULL, send_main, &x[i]), 0);
        for (int i = 0; i < 2; i++)
            pthread_join(th[i], NULL);
        EXPECT_EQ_INT(x[0].rc + x[1].rc, STORE_NEW + STORE_DUPLICATE);
        EXPECT_EQ_INT(x[0].id, x[1].id);
        store_event *ev[4];
        EXPECT_EQ_INT(store_lease(a, 100 + round, 10, ev, 4), 1);
        EXPECT_EQ_INT(store_ack(b, ev[0]->id, ev[0]->epoch), 0);
        free_all(ev, 1);
        /* The next round's webhook carries the same key: forget it. */
        EXPECT_EQ_INT(store_dedup_prune(a, 11), 1);
    }
    EXPECT_EQ_INT(counts(a, 200).done, 10);
    EXPECT_EQ_INT(counts(a, 200).duplicates + counts(b, 200).duplicates, 10);
    store_close(a);
    store_close(b);
}

/* ---- a lost connection ------------------------------------------------------------ */

/* Ends every session of the test's database but the caller's, as a server
 * restart or a network cut would, and waits until they are gone. */
static void end_sessions(const char *where)
{
    PGconn *c = PQconnectdb(where);
    if (PQstatus(c) != CONNECTION_OK)
        test_fail(__FILE__, __LINE__, "connecting: %s", PQerrorMessage(c));
    /* The sessions are picked first (OFFSET 0 keeps the planner from
     * moving the filter), so this one is never among those ended. */
    PGresult *r = PQexecParams(c, "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid, 5000))"
                                  " FROM (SELECT pid FROM pg_stat_activity WHERE datname ="
                                  " current_database() AND pid <> pg_backend_pid() OFFSET 0) a",
                               0, NULL, NULL, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        test_fail(__FILE__, __LINE__, "ending sessions: %s", PQerrorMessage(c));
    EXPECT_GE_INT(atoi(PQgetvalue(r, 0, 0)), 1);
    PQclear(r);
    PQfinish(c);
}

/* A session the server ended is replaced by the next call, reads and
 * writes alike, and what was committed before is all there. */
TEST(store_pg, a_session_the_server_ended_is_replaced_by_the_next_call)
{
    char where[512];
    fresh_db(where, sizeof where);
    store *s = open_pg(where);
    int64_t id = put(s, "{\"a\":1}", 0, 10, "wh:1");
    EXPECT_EQ_INT(store_kv_set(s, "wm", "1"), 0);

    end_sessions(where);
    char *v = store_kv_get(s, "wm");
    EXPECT_EQ_STR(v, "1");
    free(v);

    end_sessions(where);
    EXPECT_EQ_INT(store_kv_set(s, "wm", "2"), 0);
    end_sessions(where);
    store_event *ev[2];
    EXPECT_EQ_INT(store_lease(s, 20, 100, ev, 2), 1);
    EXPECT_EQ_INT(ev[0]->id, id);
    EXPECT_EQ_INT(store_ack(s, id, ev[0]->epoch), 0);
    free_all(ev, 1);
    v = store_kv_get(s, "wm");
    EXPECT_EQ_STR(v, "2");
    free(v);
    EXPECT_EQ_INT(counts(s, 30).done, 1);
    store_close(s);
}

/* ---- syncd on PostgreSQL ---------------------------------------------------------- */

/* syncd given a conninfo string as its store: shoppers' orders, each
 * webhook delivered twice, become one Cin7 sale each, and the events are
 * in the database (done, none left, none dead). */
TEST_T(store_pg, syncd_on_postgres_makes_one_sale_per_order, 120)
{
    char where[512];
    fresh_db(where, sizeof where);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "store", where);
    char *overrides = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    sdt_world w;
    sdt_start_basic(&w, "\"duplicate_probability\":1", overrides);
    free(overrides);
    int64_t orders[3];
    for (int i = 0; i < 3; i++)
        orders[i] = sdt_checkout(&w, "A-1", 1, NULL);
    EXPECT_EQ_INT(sdt_wait_sales(&w, orders, 3, 30000), 3);
    sdt_wait_quiet(&w, 30000);
    sdt_expect_one_sale_each(&w, orders, 3);
    EXPECT_EQ_INT(sdt_dlq_count(&w), 0);
    sdt_stop(&w);

    /* What syncd stored, read through the store as another instance
     * would. */
    store *s = open_pg(where);
    store_counts c = counts(s, INT64_MAX);
    EXPECT_GE_INT(c.done, 3);
    EXPECT_EQ_INT(c.ready + c.leased, 0);
    EXPECT_EQ_INT(c.dead, 0);
    store_close(s);
}

/* ---- an instance paused past its lease ------------------------------------------- */

/* A /metrics sample of a syncd other than the world's own. */
static int64_t metric_of(const e2e_server *srv, const char *name)
{
    sdt_world v = {0};
    v.syncd = *srv;
    return sdt_metric(&v, name);
}

typedef struct {
    const e2e_server *srv;
    store *s;
} takeover;

/* The second instance looked the first one's sale up and the queue is
 * empty: the event was taken over and settled. */
static int taken_over(void *ud)
{
    takeover *t = ud;
    return metric_of(t->srv, "syncd_sale_lookups_total{result=\"found\"}") >= 1 &&
           counts(t->s, INT64_MAX).ready + counts(t->s, INT64_MAX).leased == 0;
}

/* Nothing ready or leased in the queue. */
static int queue_drained(void *ud)
{
    takeover *t = ud;
    store_counts c = counts(t->s, INT64_MAX);
    return c.ready + c.leased == 0;
}

/* The first instance's outcome for the event was refused: fenced (the
 * event was leased again) or not in the queue any more (the second
 * instance had finished it). */
static int refused(void *ud)
{
    return metric_of(ud, "syncd_events_fenced_total") >= 1 ||
           metric_of(ud, "syncd_store_errors_total") >= 1;
}

/* Cin7 requests of the journal with this method and exact path. */
static int requests(const cJSON *journal, const char *method, const char *path)
{
    int n = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, journal)
    {
        if (strcmp(sdt_str(e, "kind"), "request") == 0 && strcmp(sdt_str(e, "method"), method) == 0 &&
            strcmp(sdt_str(e, "path"), path) == 0)
            n++;
    }
    return n;
}

/* Two instances on one database. The first is stopped (SIGSTOP) while it
 * waits for Cin7's answer to the sale it has just created, and stays
 * stopped past its lease; the second takes the event over, finds the sale
 * by its ExternalID and finishes it. When the first wakes (SIGCONT) and
 * gets its answer, everything it would write for the event is refused:
 * the event's audit trail is what the second left, the queue settles
 * nothing more, and Cin7 holds one sale with its lines posted once. */
TEST_T(store_pg, an_instance_paused_past_its_lease_writes_nothing_after_it_wakes, 240)
{
    char where[512];
    fresh_db(where, sizeof where);
    char *overrides = xasprintf("{\"store\":\"%s\",\"lease\":\"2m\",\"http_timeout\":\"10m\","
                                "\"retry\":{\"max_attempts\":50}}", where);
    sdt_world w;
    sdt_start_basic(&w, "", overrides);
    free(overrides);
    store *s = open_pg(where);

    sdt_hold_sale_answers(&w, "4m", "10m");
    int64_t order = sdt_checkout(&w, "A-1", 1, NULL);
    EXPECT_EQ_INT(sdt_wait_sales(&w, &order, 1, 30000), 1);
    /* The sale exists and its answer is held: the first instance is inside
     * the call, holding the event's lease. */
    EXPECT_EQ_INT(proc_kill(w.syncd.p, SIGSTOP), 0);
    EXPECT_EQ_INT(counts(s, sdt_now(&w)).leased, 1);

    e2e_server second;
    const char *args[] = {"--config", w.syncd_config, NULL};
    e2e_start_as(&second, "syncd", "syncd-2", args);
    takeover t = {&second, s};
    /* The takeover alone takes about 40 s here; a loaded machine (a full
     * test run beside a build) once took more than 60. */
    if (!e2e_wait(taken_over, &t, 120000))
        test_fail(__FILE__, __LINE__, "the second instance did not take the event over (log %s)",
                  second.log);
    char id[32];
    snprintf(id, sizeof id, "%lld", (long long)order);
    cJSON *before = store_order_audit(s, id, 200);
    EXPECT_TRUE(before != NULL);
    char *before_text = cJSON_PrintUnformatted(before);

    EXPECT_EQ_INT(proc_kill(w.syncd.p, SIGCONT), 0);
    if (!e2e_wait(refused, &w.syncd, 60000))
        test_fail(__FILE__, __LINE__, "the first instance never had an outcome refused (log %s)",
                  w.syncd.log);
    /* Webhooks sent to the first instance while it was stopped reach it
     * when it wakes (a stock notification of the sale the second made):
     * they are new events, handled like any other. The queue drains and
     * nothing is dead. */
    t.srv = &w.syncd;
    EXPECT_TRUE(e2e_wait(queue_drained, &t, 60000));
    cJSON *after = store_order_audit(s, id, 200);
    char *after_text = cJSON_PrintUnformatted(after);
    EXPECT_EQ_STR(after_text, before_text);
    store_counts c = counts(s, INT64_MAX);
    EXPECT_EQ_INT(c.ready + c.leased + c.dead, 0);
    char *log = test_read_file(w.syncd.log);
    EXPECT_TRUE(log && strstr(log, "a write for event") && strstr(log, "refused"));
    free(log);

    sdt_expect_one_sale_each(&w, &order, 1);
    cJSON *j = e2e_journal(&w.cin7);
    EXPECT_EQ_INT(requests(j, "POST", "/ExternalApi/v2/sale"), 1);
    EXPECT_EQ_INT(requests(j, "POST", "/ExternalApi/v2/sale/order"), 1);
    cJSON_Delete(j);

    free(before_text);
    free(after_text);
    cJSON_Delete(before);
    cJSON_Delete(after);
    store_close(s);
    e2e_stop(&second);
    sdt_stop(&w);
}

/* ---- claims, several instances -------------------------------------------------- */

enum { CLAIM_NAMES = 40 };

typedef struct {
    store *s;
    char holder[24];
    int reverse; /* batches offered in the other order */
    int won[CLAIM_NAMES];       /* one at a time */
    int won_batch[CLAIM_NAMES]; /* all in one statement */
    int failed;
} claimer;

static void claim_name(char *out, size_t n, const char *kind, int k)
{
    snprintf(out, n, "%s:%d", kind, k);
}

/* Claims every name once, one at a time, then all of another kind in one
 * statement; notes which it holds. */
static void *claim_main(void *arg)
{
    claimer *c = arg;
    char name[32];
    for (int k = 0; k < CLAIM_NAMES; k++) {
        claim_name(name, sizeof name, "podraft", k);
        int rc = store_claim(c->s, name, c->holder, 100, 60000, NULL);
        if (rc < 0)
            c->failed = 1;
        c->won[k] = rc == 1;
    }
    char names[CLAIM_NAMES][32];
    const char *list[CLAIM_NAMES];
    for (int k = 0; k < CLAIM_NAMES; k++) {
        int at = c->reverse ? CLAIM_NAMES - 1 - k : k;
        claim_name(names[k], sizeof names[k], "stock", at);
        list[k] = names[k];
    }
    store_claim_state st[CLAIM_NAMES];
    if (store_claim_each(c->s, list, CLAIM_NAMES, c->holder, 100, 60000, st) < 0)
        c->failed = 1;
    for (int k = 0; k < CLAIM_NAMES; k++)
        c->won_batch[c->reverse ? CLAIM_NAMES - 1 - k : k] = st[k].held;
    return NULL;
}

/* Instances racing for the same claims, one by one and in batches offered
 * in opposite orders: each claim is held by exactly one, none fails (no
 * deadlock between the batches), and the loser learns the winner's end.
 * Prints what a claim costs (not asserted: the machine is shared). */
TEST_T(store_pg, instances_racing_for_claims_hold_each_once, 120)
{
    char where[512];
    fresh_db(where, sizeof where);
    claimer c[RACERS];
    for (int i = 0; i < RACERS; i++) {
        c[i] = (claimer){.s = open_pg(where), .reverse = i % 2};
        snprintf(c[i].holder, sizeof c[i].holder, "inst-%d", i);
    }
    pthread_t th[RACERS];
    for (int i = 0; i < RACERS; i++)
        EXPECT_EQ_INT(pthread_create(&th[i], NULL, claim_main, &c[i]), 0);
    for (int i = 0; i < RACERS; i++)
        pthread_join(th[i], NULL);
    for (int k = 0; k < CLAIM_NAMES; k++) {
        int one = 0, batch = 0;
        for (int i = 0; i < RACERS; i++) {
            EXPECT_EQ_INT(c[i].failed, 0);
            one += c[i].won[k];
            batch += c[i].won_batch[k];
        }
        EXPECT_EQ_INT(one, 1);
        EXPECT_EQ_INT(batch, 1);
    }
    int loser = c[0].won[0] ? 1 : 0;
    store_claim_state st;
    const char *first = "podraft:0";
    EXPECT_EQ_INT(store_claim_each(c[loser].s, &first, 1, c[loser].holder, 200, 1000, &st), 0);
    EXPECT_EQ_INT(st.until, 60100);

    /* The cost, from one instance: a renewal of one claim, and of a batch
     * of CLAIM_NAMES. */
    enum { ROUNDS = 50 };
    int winner = c[0].won[0] ? 0 : c[1].won[0] ? 1 : 2;
    int64_t t0 = clock_mono_us();
    for (int i = 0; i < ROUNDS; i++)
        EXPECT_EQ_INT(store_claim(c[winner].s, first, c[winner].holder, 300 + i, 60000, NULL), 1);
    int64_t t1 = clock_mono_us();
    char names[CLAIM_NAMES][32];
    const char *list[CLAIM_NAMES];
    for (int k = 0; k < CLAIM_NAMES; k++) {
        claim_name(names[k], sizeof names[k], "cost", k);
        list[k] = names[k];
    }
    store_claim_state many[CLAIM_NAMES];
    for (int i = 0; i < ROUNDS; i++)
        EXPECT_EQ_INT(store_claim_each(c[0].s, list, CLAIM_NAMES, c[0].holder, 300 + i, 60000,
                                       many),
                      CLAIM_NAMES);
    int64_t t2 = clock_mono_us();
    printf("claim cost: %.3f ms for one, %.3f ms for a batch of %d (%.3f ms a claim)\n",
           (double)(t1 - t0) / ROUNDS / 1000.0, (double)(t2 - t1) / ROUNDS / 1000.0, CLAIM_NAMES,
           (double)(t2 - t1) / ROUNDS / CLAIM_NAMES / 1000.0);
    for (int i = 0; i < RACERS; i++)
        store_close(c[i].s);
}

/* ---- shared limits: instances racing for one window budget ------------------- */

enum { BUDGET_RACERS = 4, RACE_LIMIT = 5, RACE_WINDOW = 500, RACE_TAKES_MAX = 400 };

typedef struct {
    const char *where;
    int64_t start_us;
    int64_t taken[RACE_TAKES_MAX]; /* the now of each call taken */
    int n, errors;
} budget_racer;

/* Takes from budget "race" as fast as it is given, on its own store
 * handle (an instance), for 4 windows of real time at most. */
static void *budget_race_main(void *arg)
{
    budget_racer *r = arg;
    store *s = NULL;
    char err[512];
    if (store_open(r->where, NULL, &s, err, sizeof err) != 0) {
        r->errors++;
        return NULL;
    }
    for (int i = 0; i < 2000 && r->n < RACE_TAKES_MAX; i++) {
        int64_t now = (clock_mono_us() - r->start_us) / 1000;
        if (now >= 4 * RACE_WINDOW)
            break;
        int64_t wait = 0;
        int rc = store_limit_take_call(s, "race", RACE_LIMIT, RACE_WINDOW, 0, now, &wait, NULL);
        if (rc < 0)
            r->errors++;
        else if (rc == 1)
            r->taken[r->n++] = now;
        else
            usleep((useconds_t)(wait < 5 ? wait : 5) * 1000);
    }
    store_close(s);
    return NULL;
}

static int by_time(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

TEST_T(store_pg, instances_taking_from_one_window_budget_never_exceed_its_limit, 60)
{
    char where[512];
    fresh_db(where, sizeof where);
    static budget_racer r[BUDGET_RACERS];
    pthread_t th[BUDGET_RACERS];
    int64_t start = clock_mono_us();
    for (int i = 0; i < BUDGET_RACERS; i++) {
        r[i] = (budget_racer){.where = where, .start_us = start};
        EXPECT_EQ_INT(pthread_create(&th[i], NULL, budget_race_main, &r[i]), 0);
    }
    static int64_t all[BUDGET_RACERS * RACE_TAKES_MAX];
    int n = 0;
    for (int i = 0; i < BUDGET_RACERS; i++) {
        pthread_join(th[i], NULL);
        EXPECT_EQ_INT(r[i].errors, 0);
        for (int k = 0; k < r[i].n; k++)
            all[n++] = r[i].taken[k];
    }
    qsort(all, (size_t)n, sizeof all[0], by_time);
    /* No window (t - RACE_WINDOW, t] ending at a call holds more than the
     * limit, whichever instance took them. */
    int worst = 0;
    for (int i = 0, lo = 0; i < n; i++) {
        while (all[lo] <= all[i] - RACE_WINDOW)
            lo++;
        if (i - lo + 1 > worst)
            worst = i - lo + 1;
    }
    EXPECT_LE_INT(worst, RACE_LIMIT);
    /* The budget was really raced for: more calls than one window's, over
     * a run of four. */
    EXPECT_GT_INT(n, RACE_LIMIT);
}

/* ---- shared limits: three syncd instances under one Cin7 budget ---------------- */

#define MINUTE 60000
#define C7_LIMIT 30    /* what mock-cin7 allows a minute */
#define C7_CEILING 28  /* syncd's calls_per_minute: 93% of it */
#define INSTANCES 3
#define BACKLOG 80     /* orders placed at once: minutes of the budget */

static int healthy(void *ud)
{
    httpc_resp r = e2e_call(ud, "GET", "/healthz", NULL, NULL);
    int ok = r.result == HTTPC_OK && r.status == 200;
    httpc_resp_free(&r);
    return ok;
}

typedef struct {
    int64_t calls, refused; /* Cin7 API requests in [from, to), and of them 503/429 */
} c7_calls;

static c7_calls cin7_calls(const cJSON *journal, int64_t from, int64_t to)
{
    c7_calls c = {0, 0};
    const cJSON *e;
    cJSON_ArrayForEach(e, journal)
    {
        if (strcmp(sdt_str(e, "kind"), "request") != 0 ||
            strncmp(sdt_str(e, "path"), "/ExternalApi/", 13) != 0)
            continue;
        int64_t t = (int64_t)sdt_num(e, "t");
        int status = (int)sdt_num(e, "status");
        if (t < from || t >= to)
            continue;
        c.calls++;
        c.refused += status == 503 || status == 429;
    }
    return c;
}

/* The last sale mock-cin7 saw authorised: the end of the backlog. */
static int64_t last_authorised(const cJSON *journal)
{
    int64_t last = -1;
    const cJSON *e;
    cJSON_ArrayForEach(e, journal)
    {
        if (strcmp(sdt_str(e, "kind"), "sale_authorised") == 0 && (int64_t)sdt_num(e, "t") > last)
            last = (int64_t)sdt_num(e, "t");
    }
    return last;
}

TEST_T(store_pg, three_syncd_instances_share_one_cin7_budget, 240)
{
    char where[512];
    fresh_db(where, sizeof where);
    char *c7 = sdt_cin7_config("[{\"name\":\"Main\"}]", "[{\"sku\":\"A-1\",\"price\":10}]",
                               "[{\"sku\":\"A-1\",\"location\":\"Main\",\"on_hand\":100000}]");
    char limit[64];
    snprintf(limit, sizeof limit, "{\"rate_limit\":{\"calls_per_minute\":%d}}", C7_LIMIT);
    char *limited = sdt_json_merge(c7, limit);
    free(c7);
    char *sh = sdt_shop_config("[{\"title\":\"A\",\"variants\":["
                               "{\"sku\":\"A-1\",\"price\":\"10.00\",\"available\":100000}]}]",
                               "");
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "store", where);
    cJSON_AddNumberToObject(cJSON_AddObjectToObject(o, "cin7"), "calls_per_minute", C7_CEILING);
    char *overrides = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    sdt_world w;
    sdt_start_world_take(&w, limited, sh, "[{\"name\":\"Main\"}]", overrides);
    free(overrides);
    /* Two more instances of the same config on the same database. */
    e2e_server more[INSTANCES - 1];
    const char *args[] = {"--config", w.syncd_config, NULL};
    for (int i = 0; i < INSTANCES - 1; i++) {
        e2e_start(&more[i], "syncd", args);
        if (!e2e_wait(healthy, &more[i], 15000))
            test_fail(__FILE__, __LINE__, "instance %d not healthy (log %s)", i + 2, more[i].log);
    }

    /* The backlog: orders enough for minutes of the budget, at once. */
    int64_t t0 = sdt_now(&w);
    static int64_t orders[BACKLOG];
    for (int i = 0; i < BACKLOG; i++)
        orders[i] = sdt_checkout(&w, "A-1", 1, NULL);
    EXPECT_EQ_INT(sdt_wait_sales(&w, orders, BACKLOG, 120000), BACKLOG);
    cJSON *j = e2e_journal(&w.cin7);
    for (int i = 0; i < INSTANCES - 1; i++)
        e2e_stop(&more[i]);
    sdt_stop(&w);

    int64_t end = last_authorised(j);
    c7_calls all = cin7_calls(j, t0, end + 1);
    /* The budget used while the backlog lasted, its first and last
     * minutes left out (the orders' webhooks still arriving; the last
     * sales no longer filling every worker). */
    int64_t from = t0 + MINUTE, to = end - MINUTE;
    if (to - from < 2 * MINUTE)
        test_fail(__FILE__, __LINE__, "the backlog lasted %lld ms: too short to measure",
                  (long long)(end - t0));
    c7_calls mid = cin7_calls(j, from, to);
    double per_minute = (double)mid.calls * MINUTE / (double)(to - from);
    test_count("cin7 calls a minute, three instances (limit 30)", (long)per_minute);
    test_count("cin7 calls refused (503/429), three instances", (long)all.refused);
    test_count("cin7 calls, three instances", (long)all.calls);
    /* Under the limit together: at most 1% refused ... */
    EXPECT_LE_INT(all.refused * 100, all.calls);
    /* ... and close to it: the instances' shared ceiling is 95% of the
     * limit; 80% leaves room for a pace cut by a stray refusal. */
    EXPECT_GE_INT((int64_t)(per_minute * 100), 80 * C7_LIMIT);
    /* Each instance alone would have spent the whole ceiling: together
     * they could not have kept under the limit without sharing it. */
    EXPECT_LE_INT((int64_t)per_minute, C7_LIMIT);
    cJSON_Delete(j);
}

/* ---- shared limits: an instance frozen inside a take ------------------------------ */

/* A child process standing for an instance: takes from budget "frozen"
 * as fast as it can until it is killed (a take refused because its
 * connection was ended is followed by the next, on a new one). */
static void take_forever(const char *where)
{
    store *s = NULL;
    char err[512];
    if (store_open(where, NULL, &s, err, sizeof err) != 0)
        _exit(1);
    for (int64_t now = 0;; now++) {
        int64_t wait = 0;
        if (store_limit_take_call(s, "frozen", 1000000, MINUTE, 0, now, &wait, NULL) < 0)
            usleep(1000);
    }
}

/* An instance stopped (SIGSTOP) between the statements of a take holds
 * the budget's row: the server ends its session after a while, so the
 * others' takes go on. Stopped at four moments of its loop, nearly all of
 * which fall inside a take's transaction. */
TEST_T(store_pg, an_instance_frozen_inside_a_take_does_not_stop_the_others, 90)
{
    char where[512];
    fresh_db(where, sizeof where);
    pid_t child = fork();
    if (child == 0)
        take_forever(where);
    EXPECT_GT_INT(child, 0);
    store *s = open_pg(where);
    int64_t wait = 0;
    for (int i = 0; i < 4; i++) {
        usleep(100000);
        EXPECT_EQ_INT(kill(child, SIGSTOP), 0);
        EXPECT_EQ_INT(store_limit_take_call(s, "frozen", 1000000, MINUTE, 0, i, &wait, NULL), 1);
        EXPECT_EQ_INT(kill(child, SIGCONT), 0);
    }
    kill(child, SIGKILL);
    waitpid(child, NULL, 0);
    store_close(s);
}

/* ---- one clock for every instance ------------------------------------------------- */

/* syncd on PostgreSQL without a clock_origin counts from the Unix epoch,
 * so instances started at different moments agree on the times they keep
 * in the store; on SQLite it still counts from its own start. Cin7 and
 * Shopify are at a port where nothing listens: the clock is all that is
 * looked at. */
/* The "t" of the last log line holding needle, or -1. */
static int64_t last_t(const char *log_path, const char *needle)
{
    char *text = test_read_file(log_path);
    const char *at = NULL;
    for (const char *p = text; p && (p = strstr(p, needle)) != NULL; p++)
        at = p;
    int64_t t = -1;
    if (at) {
        const char *line = at;
        while (line > text && line[-1] != '\n')
            line--;
        const char *tp = strstr(line, "\"t\":");
        if (tp && tp < at)
            t = strtoll(tp + 4, NULL, 10);
    }
    free(text);
    return t;
}

TEST_T(store_pg, without_a_clock_origin_instances_count_from_the_epoch, 60)
{
    char where[512];
    fresh_db(where, sizeof where);
    const char *stores[2] = {where, NULL};
    char sqlite[600];
    snprintf(sqlite, sizeof sqlite, "%s/clock.db", test_tmp_dir());
    stores[1] = sqlite;
    for (int i = 0; i < 2; i++) {
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "store", stores[i]);
        cJSON *c7 = cJSON_AddObjectToObject(c, "cin7");
        cJSON_AddStringToObject(c7, "base_url", "http://127.0.0.1:9/ExternalApi/v2/");
        cJSON_AddStringToObject(c7, "account_id", "a");
        cJSON_AddStringToObject(c7, "application_key", "k");
        cJSON *shop = cJSON_CreateObject();
        cJSON_AddStringToObject(shop, "domain", "clock.myshopify.com");
        cJSON_AddStringToObject(shop, "base_url", "http://127.0.0.1:9");
        cJSON_AddStringToObject(shop, "access_token", "shpat_x");
        cJSON_AddStringToObject(shop, "api_secret", "s");
        cJSON_AddItemToArray(cJSON_AddArrayToObject(c, "shops"), shop);
        cJSON *loc = cJSON_CreateObject();
        cJSON_AddStringToObject(loc, "name", "Main");
        cJSON_AddItemToArray(cJSON_AddArrayToObject(c, "locations"), loc);
        char *text = cJSON_PrintUnformatted(c);
        cJSON_Delete(c);
        int64_t wall = clock_wall_ms();
        e2e_server s;
        e2e_start_config(&s, "syncd", text, NULL);
        free(text);
        int64_t t = last_t(s.log, i == 0 ? "times count from the Unix epoch" : "syncd on ");
        if (i == 0) {
            EXPECT_GE_INT(t, wall - 1000);
            EXPECT_TRUE(t <= clock_wall_ms() + 1000);
            /* The store's location is logged without its password. */
            char *log = test_read_file(s.log);
            EXPECT_TRUE(log && strstr(log, "dbname=") && !strstr(log, "password"));
            free(log);
        } else {
            EXPECT_GE_INT(t, 0);
            EXPECT_TRUE(t < 60000);
            /* The PostgreSQL run's lines are above in the same log. */
            char *log = test_read_file(s.log);
            const char *last = log ? strstr(log, "clock.db") : NULL;
            EXPECT_TRUE(last && !strstr(last, "Unix epoch"));
            free(log);
        }
        e2e_stop(&s);
    }
}
