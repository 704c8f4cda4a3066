/*
 * The PostgreSQL backend of syncd's durable store (store.h; store.c forwards
 * here through store_backend.h), for several syncd instances sharing one
 * database. Every call runs as one transaction on a connection of a small
 * pool (a mutex hands connections to threads, one thread per connection at
 * a time) and returns once it committed with synchronous_commit on, so what
 * a call reports stored is on the server's disk. There is no writer thread
 * and no group commit: the server groups concurrent commits itself.
 *
 * Several instances lease from one queue with SELECT ... FOR UPDATE SKIP
 * LOCKED (priority, then age), lease expiry compared with the caller's
 * time, never the server's clock. Every lease takes an epoch from a
 * sequence, so no epoch is handed out twice; the fencing check locks the
 * event's row (FOR UPDATE) in the transaction of the write it guards, so a
 * lease cannot move on between the check and the commit. Dedup keys,
 * idempotency keys, the ledgers, the audit trail and dead letters are
 * written in the transaction of the state they guard. The schema is
 * created and migrated at open under a transaction-scoped advisory lock,
 * so instances starting together migrate once. Unlike SQLite, open
 * releases no lease: other instances may be working on them; a lease of a
 * crashed instance ends when its time runs out. Only PQexecParams is used:
 * values never become SQL text.
 */
#include "store_backend.h"

#include "log.h"
#include "mem.h"
#include "sbuf.h"
#include "strmap.h"

#include <libpq-fe.h>

#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- schema ------------------------------------------------------------------ */

/*
 * PostgreSQL joined at schema version 7, so its first step creates the
 * layout SQLite reached after seven (the same tables and columns); later
 * versions append a step here and in store_sqlite.c alike. Each step's
 * statements run in one transaction with the version bump in meta.
 *
 * Ids come from the sequence queue_id, never reused: dedup keys, the DLQ
 * and the audit trail refer to events by id, and a dead event keeps its id
 * through the DLQ and back. Lease epochs come from the sequence
 * lease_epoch (sequences never go back, not even when a transaction that
 * drew from them rolls back). Bodies are bytea: a webhook body need not be
 * valid text.
 */
static const char *const step7[] = {
    "CREATE TABLE meta(k text PRIMARY KEY, v bigint NOT NULL)",
    /* Acks counted in 16 rows, picked by event id: one row would make
     * every ack of every instance wait for the previous ack's commit. */
    "CREATE TABLE done(slot integer PRIMARY KEY, n bigint NOT NULL)",
    "CREATE SEQUENCE queue_id",
    "CREATE SEQUENCE lease_epoch",
    "CREATE TABLE queue("
    " id bigint PRIMARY KEY DEFAULT nextval('queue_id'),"
    " source text NOT NULL, topic text NOT NULL, shop text, body bytea NOT NULL,"
    " priority integer NOT NULL, attempts integer NOT NULL DEFAULT 0,"
    " received_at bigint NOT NULL, ready_at bigint NOT NULL,"
    " leased_until bigint NOT NULL DEFAULT 0, last_error text,"
    " lease_epoch bigint NOT NULL DEFAULT 0)",
    "CREATE INDEX queue_order ON queue(priority DESC, id)",
    "CREATE INDEX queue_leased ON queue(leased_until) WHERE leased_until > 0",
    "CREATE TABLE dedup(key text PRIMARY KEY, event_id bigint NOT NULL,"
    " created_at bigint NOT NULL)",
    "CREATE INDEX dedup_created ON dedup(created_at)",
    "CREATE TABLE dlq("
    " id bigint PRIMARY KEY,"
    " source text NOT NULL, topic text NOT NULL, shop text, body bytea NOT NULL,"
    " priority integer NOT NULL, attempts integer NOT NULL,"
    " received_at bigint NOT NULL, last_error text, reason text, dead_at bigint NOT NULL)",
    "CREATE INDEX dlq_newest ON dlq(dead_at DESC, id DESC)",
    "CREATE TABLE kv(key text PRIMARY KEY, value text NOT NULL)",
    "CREATE TABLE idem(key text PRIMARY KEY, value text)",
    "CREATE TABLE writes(key text PRIMARY KEY, kind text NOT NULL, body text,"
    " state integer NOT NULL, remote_id text,"
    " created_at bigint NOT NULL, updated_at bigint NOT NULL)",
    "CREATE TABLE audit(id bigserial PRIMARY KEY, event_id bigint NOT NULL,"
    " t bigint NOT NULL, what text NOT NULL, detail text)",
    "CREATE INDEX audit_event ON audit(event_id, id)",
    "CREATE TABLE reservations("
    " shop text NOT NULL, order_id text NOT NULL, sku text NOT NULL,"
    " qty bigint NOT NULL, placed_at bigint NOT NULL,"
    " pushed_at bigint, released_at bigint, closed_at bigint, sent_at bigint,"
    " PRIMARY KEY(shop, order_id, sku))",
    "CREATE INDEX res_pending ON reservations(sku, closed_at)",
    "CREATE INDEX res_placed ON reservations(sku, placed_at)",
    "CREATE INDEX res_closed ON reservations(closed_at) WHERE closed_at IS NOT NULL",
    "CREATE TABLE history("
    " shop text NOT NULL, order_id text NOT NULL, sku text NOT NULL,"
    " qty bigint NOT NULL, placed_at bigint NOT NULL,"
    " cancelled boolean NOT NULL DEFAULT false,"
    " PRIMARY KEY(shop, order_id, sku))",
    "CREATE INDEX history_sku ON history(sku, placed_at)",
    "CREATE TABLE order_events(order_id text NOT NULL, event_id bigint NOT NULL,"
    " shop text, topic text NOT NULL, PRIMARY KEY(order_id, event_id))",
};

/* 8: claims and shared limits; see the same step in store_sqlite.c. */
static const char *const step8[] = {
    "CREATE TABLE claims(name text PRIMARY KEY, holder text NOT NULL,"
    " until bigint NOT NULL, epoch bigint NOT NULL)",
    "CREATE TABLE limits(name text PRIMARY KEY, rate double precision,"
    " level double precision NOT NULL DEFAULT 0, at bigint NOT NULL DEFAULT 0,"
    " paused_until bigint NOT NULL DEFAULT 0)",
    "CREATE TABLE limit_calls(name text NOT NULL, at bigint NOT NULL)",
    "CREATE INDEX limit_calls_at ON limit_calls(name, at)",
};

/* 9: backorder holds; see the same step in store_sqlite.c. */
static const char *const step9[] = {
    "CREATE TABLE backorders(sale_id text NOT NULL, sku text NOT NULL, shop text NOT NULL,"
    " order_id text NOT NULL, qty bigint NOT NULL, held_at bigint NOT NULL,"
    " checked_at bigint, closed_at bigint,"
    " PRIMARY KEY(sale_id, sku))",
    "CREATE INDEX bo_pending ON backorders(sku, closed_at)",
    "CREATE INDEX bo_order ON backorders(shop, order_id)",
};

/* 10: housekeeping's lookups; see the same step in store_sqlite.c. */
static const char *const step10[] = {
    "CREATE INDEX audit_t ON audit(t)",
    "CREATE INDEX order_events_event ON order_events(event_id)",
    "CREATE INDEX history_placed ON history(placed_at)",
    "CREATE INDEX writes_settled ON writes(updated_at) WHERE body IS NOT NULL AND state IN (1, 2)",
};

/* The steps after the first, each with the version it brings the schema to. */
static const struct {
    int version;
    const char *const *sql;
    size_t n;
} steps[] = {
    {8, step8, sizeof step8 / sizeof step8[0]},
    {9, step9, sizeof step9 / sizeof step9[0]},
    {10, step10, sizeof step10 / sizeof step10[0]},
};

_Static_assert(STORE_SCHEMA_VERSION == 10, "a new schema version needs its PostgreSQL step");

/* The key of the advisory lock that serialises migrations ("surgesto"). */
#define MIGRATION_LOCK 0x73757267657374LL

/* ---- the handle and its connections ------------------------------------------- */

/* Connections at most: more than syncd's threads that call the store at
 * once gain nothing, and each is a server process. */
#define POOL_MAX 8

typedef struct pg {
    store base; /* first: a store * points here */
    char *where;
    pthread_mutex_t mu; /* guards everything below */
    pthread_cond_t freed;
    PGconn *idle[POOL_MAX];
    int n_idle, n_open;
    int64_t commits;
    int64_t duplicates;
} pg;

/* Opens one connection and sets what every transaction relies on. NULL
 * with a message in err. The message never quotes where: it may hold a
 * password. */
static PGconn *connect_db(const char *where, char *err, size_t errlen)
{
    PGconn *db = PQconnectdb(where);
    if (PQstatus(db) != CONNECTION_OK) {
        snprintf(err, errlen, "PostgreSQL store: cannot connect: %s",
                 db ? PQerrorMessage(db) : "out of memory");
        PQfinish(db);
        return NULL;
    }
    static const char *const setup[] = {
        /* An acknowledged event must survive a crash of the server. */
        "SET synchronous_commit TO on",
        "SET client_min_messages TO warning",
    };
    for (size_t i = 0; i < sizeof setup / sizeof setup[0]; i++) {
        PGresult *r = PQexecParams(db, setup[i], 0, NULL, NULL, NULL, NULL, 0);
        int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
        if (!ok) {
            snprintf(err, errlen, "PostgreSQL store: %s: %s", setup[i], PQerrorMessage(db));
            PQfinish(db);
            return NULL;
        }
    }
    return db;
}

/* Takes a connection for the calling thread: an idle one, a new one while
 * fewer than POOL_MAX are open, else waits for one. NULL (logged) when a
 * new one cannot be opened. */
static PGconn *conn_take(pg *s)
{
    pthread_mutex_lock(&s->mu);
    while (s->n_idle == 0 && s->n_open >= POOL_MAX)
        pthread_cond_wait(&s->freed, &s->mu);
    if (s->n_idle > 0) {
        PGconn *db = s->idle[--s->n_idle];
        pthread_mutex_unlock(&s->mu);
        return db;
    }
    s->n_open++;
    pthread_mutex_unlock(&s->mu);
    char err[512];
    PGconn *db = connect_db(s->where, err, sizeof err);
    if (!db) {
        log_error("store: %s", err);
        pthread_mutex_lock(&s->mu);
        s->n_open--;
        pthread_cond_signal(&s->freed);
        pthread_mutex_unlock(&s->mu);
    }
    return db;
}

/* Gives a connection back; a broken one (server restarted, network) is
 * closed so the next taker opens a fresh one. */
static void conn_give(pg *s, PGconn *db)
{
    pthread_mutex_lock(&s->mu);
    if (PQstatus(db) == CONNECTION_OK && PQtransactionStatus(db) == PQTRANS_IDLE) {
        s->idle[s->n_idle++] = db;
    } else {
        PQfinish(db);
        s->n_open--;
    }
    pthread_cond_signal(&s->freed);
    pthread_mutex_unlock(&s->mu);
}

/* ---- statements --------------------------------------------------------------- */

/* Runs sql with the parameters ps (as $1..$n): integers as decimal text,
 * blobs in binary. Returns the result (the caller PQclears it), or NULL
 * with the error logged. */
static PGresult *q(PGconn *db, const char *sql, const param *ps, int n)
{
    enum { MAXP = 12 };
    char nums[MAXP][24];
    const char *values[MAXP];
    int lengths[MAXP], formats[MAXP];
    if (n > MAXP) {
        log_error("store: %d parameters for \"%s\"", n, sql);
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        lengths[i] = 0;
        formats[i] = 0;
        if (ps[i].kind == P_INT) {
            snprintf(nums[i], sizeof nums[i], "%" PRId64, ps[i].num);
            values[i] = nums[i];
        } else if (ps[i].kind == P_BLOB) {
            values[i] = ps[i].str ? ps[i].str : "";
            lengths[i] = (int)ps[i].num;
            formats[i] = 1;
        } else {
            values[i] = ps[i].str;
        }
    }
    PGresult *r = PQexecParams(db, sql, n, NULL, values, lengths, formats, 0);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        log_error("store: %s: %s", sql, PQerrorMessage(db));
        PQclear(r);
        return NULL;
    }
    return r;
}

/* Runs a statement whose rows are not needed: the rows it changed, or -1. */
static int64_t run(PGconn *db, const char *sql, const param *ps, int n)
{
    PGresult *r = q(db, sql, ps, n);
    if (!r)
        return -1;
    const char *t = PQcmdTuples(r);
    int64_t changed = *t ? strtoll(t, NULL, 10) : 0;
    PQclear(r);
    return changed;
}

static int64_t get_int(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? 0 : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static char *get_str(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : xstrdup(PQgetvalue(r, row, col));
}

/* A bytea column as a NUL-terminated malloc'd copy of its bytes. */
static char *get_bytes(const PGresult *r, int row, int col, size_t *len)
{
    size_t n = 0;
    unsigned char *raw = PQunescapeBytea((const unsigned char *)PQgetvalue(r, row, col), &n);
    if (!raw) {
        log_error("store: cannot decode a body");
        return NULL;
    }
    char *out = xmalloc(n + 1);
    memcpy(out, raw, n);
    out[n] = '\0';
    PQfreemem(raw);
    if (len)
        *len = n;
    return out;
}

/* ---- transactions --------------------------------------------------------------- */

/* One call's transaction: the connection it runs on, and whether the
 * operation decided that nothing of it is to be kept. */
typedef struct {
    PGconn *db;
    int rollback;
} tx;

typedef int (*tx_fn)(tx *t, void *arg);

/* The fencing check, in the transaction of the write it guards: 0 when
 * epoch is event id's latest lease, 1 when the event is not in the queue,
 * STORE_FENCED when it was leased again since, -1 on error. The row stays
 * locked until the transaction ends, so no lease can take the event
 * between this check and the commit. */
static int fence(tx *t, int64_t id, int64_t epoch)
{
    PGresult *r = q(t->db, "SELECT lease_epoch FROM queue WHERE id = $1 FOR UPDATE",
                    ARGS(INT(id)));
    if (!r)
        return -1;
    int rc = PQntuples(r) == 0 ? 1 : get_int(r, 0, 0) == epoch ? 0 : STORE_FENCED;
    PQclear(r);
    return rc;
}

/* Whether db was found broken (the server restarted, or ended the
 * session): then nothing was done on it, and another connection may be
 * tried. */
static int conn_lost(PGconn *db)
{
    return PQstatus(db) == CONNECTION_BAD;
}

/* Takes a connection and begins a transaction on it. A pooled connection
 * that turns out to be broken is dropped and one new connection tried,
 * so a server restart costs the callers nothing but the reconnection.
 * NULL (logged) when no transaction could begin. */
static PGconn *conn_begin(pg *s)
{
    for (int tries = 0; tries < 2; tries++) {
        PGconn *db = conn_take(s);
        if (!db)
            return NULL;
        if (run(db, "BEGIN", NULL, 0) >= 0)
            return db;
        int lost = conn_lost(db);
        conn_give(s, db);
        if (!lost)
            return NULL;
    }
    return NULL;
}

/* Runs fn in one transaction and commits unless it failed or asked for a
 * rollback. When fenced is set and the calling thread writes for a lease
 * (store_act_for), that lease is checked first and the write refused (-1,
 * logged) when it is no longer its event's. Returns fn's result, or -1
 * when the transaction did not commit. */
static int in_tx(pg *s, int fenced, tx_fn fn, void *arg)
{
    int64_t for_id = 0, for_epoch = 0;
    if (fenced && !store_acting_for(&s->base, &for_id, &for_epoch))
        for_id = 0;
    tx t = {conn_begin(s), 0};
    if (!t.db)
        return -1;
    int rc = -1;
    int f = for_id ? fence(&t, for_id, for_epoch) : 0;
    if (f > 0)
        log_warn("store: a write for event %lld refused: its lease (epoch %lld) %s",
                 (long long)for_id, (long long)for_epoch,
                 f == STORE_FENCED ? "was taken over" : "ended, the event left the queue");
    rc = f != 0 ? -1 : fn(&t, arg);
    if (rc < 0 || t.rollback) {
        if (run(t.db, "ROLLBACK", NULL, 0) < 0)
            rc = -1;
        goto out;
    }
    if (run(t.db, "COMMIT", NULL, 0) < 0) {
        rc = -1;
        goto out;
    }
    pthread_mutex_lock(&s->mu);
    s->commits++;
    pthread_mutex_unlock(&s->mu);
out:
    conn_give(s, t.db);
    return rc;
}

/* A write of one statement: its arguments for in_tx. */
typedef struct {
    const char *sql;
    const param *ps;
    int n;
    int64_t changed;
} one_stmt;

static int one_fn(tx *t, void *arg)
{
    one_stmt *o = arg;
    o->changed = run(t->db, o->sql, o->ps, o->n);
    return o->changed < 0 ? -1 : 0;
}

/* Runs one writing statement in its own fenced transaction: 0, or -1. */
static int write1(pg *s, const char *sql, const param *ps, int n)
{
    one_stmt o = {sql, ps, n, 0};
    return in_tx(s, 1, one_fn, &o);
}

/* ---- open, migrate, close ------------------------------------------------------- */

/* The schema version of the database db is connected to (0: none yet), or
 * -1. Runs inside migrate's transaction. */
static int read_version(PGconn *db)
{
    PGresult *r = q(db, "SELECT to_regclass('meta') IS NOT NULL", NULL, 0);
    if (!r)
        return -1;
    int exists = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
    PQclear(r);
    if (!exists)
        return 0;
    r = q(db, "SELECT v FROM meta WHERE k = 'schema'", NULL, 0);
    if (!r)
        return -1;
    int v = PQntuples(r) ? (int)get_int(r, 0, 0) : -1;
    PQclear(r);
    return v;
}

/* Brings the database to the current schema, once whoever else opens it
 * at the same moment has finished (the advisory lock is held until this
 * transaction ends). Sets *version; 0, or -1 with a message in err. */
static int migrate(PGconn *db, int *version, char *err, size_t errlen)
{
    if (run(db, "BEGIN", NULL, 0) < 0 ||
        run(db, "SELECT pg_advisory_xact_lock($1)", ARGS(INT(MIGRATION_LOCK))) < 0)
        goto fail;
    int v = read_version(db);
    if (v < 0)
        goto fail;
    if (v > STORE_SCHEMA_VERSION) {
        snprintf(err, errlen, "PostgreSQL store: schema version %d is newer than this build "
                 "knows (%d)", v, STORE_SCHEMA_VERSION);
        run(db, "ROLLBACK", NULL, 0);
        return -1;
    }
    if (v == 0) {
        for (size_t i = 0; i < sizeof step7 / sizeof step7[0]; i++)
            if (run(db, step7[i], NULL, 0) < 0)
                goto fail;
        if (run(db, "INSERT INTO meta(k, v) VALUES ('schema', $1)", ARGS(INT(7))) < 0)
            goto fail;
        v = 7;
    }
    for (size_t k = 0; k < sizeof steps / sizeof steps[0]; k++) {
        if (v != steps[k].version - 1)
            continue;
        for (size_t i = 0; i < steps[k].n; i++)
            if (run(db, steps[k].sql[i], NULL, 0) < 0)
                goto fail;
        if (run(db, "UPDATE meta SET v = $1 WHERE k = 'schema'", ARGS(INT(steps[k].version))) < 0)
            goto fail;
        v = steps[k].version;
    }
    if (run(db, "COMMIT", NULL, 0) < 0)
        goto fail;
    *version = v;
    return 0;
fail:
    snprintf(err, errlen, "PostgreSQL store: creating the schema: %s", PQerrorMessage(db));
    if (PQtransactionStatus(db) != PQTRANS_IDLE)
        run(db, "ROLLBACK", NULL, 0);
    return -1;
}

int store_postgres_open(const char *where, const store_options *opts, store **out, char *err,
                        size_t errlen)
{
    char scratch[8];
    if (!err || !errlen) {
        err = scratch;
        errlen = sizeof scratch;
    }
    *out = NULL;
    if (opts && opts->schema_version > 0 && opts->schema_version != STORE_SCHEMA_VERSION) {
        snprintf(err, errlen, "PostgreSQL store: schema version %d cannot be chosen (the "
                 "backend always migrates to %d)", opts->schema_version, STORE_SCHEMA_VERSION);
        return -1;
    }
    PGconn *db = connect_db(where, err, errlen);
    if (!db)
        return -1;
    int version = 0;
    if (migrate(db, &version, err, errlen) < 0) {
        PQfinish(db);
        return -1;
    }
    pg *s = xcalloc(1, sizeof *s);
    s->base.be = &store_postgres_backend;
    s->where = xstrdup(where);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->freed, NULL);
    s->idle[s->n_idle++] = db;
    s->n_open = 1;
    *out = &s->base;
    return 0;
}

static void pg_close(store *base)
{
    pg *s = (pg *)base;
    for (int i = 0; i < s->n_idle; i++)
        PQfinish(s->idle[i]);
    pthread_cond_destroy(&s->freed);
    pthread_mutex_destroy(&s->mu);
    free(s->where);
    free(s);
}

static int pg_schema_version(store *base)
{
    (void)base;
    return STORE_SCHEMA_VERSION;
}

static int64_t pg_commits(store *base)
{
    pg *s = (pg *)base;
    pthread_mutex_lock(&s->mu);
    int64_t n = s->commits;
    pthread_mutex_unlock(&s->mu);
    return n;
}

/* ---- events --------------------------------------------------------------------- */

typedef struct {
    const store_event_in *ev;
    int doa;            /* dead on arrival: straight into the DLQ */
    const char *reason; /* its reason (may be NULL) */
    int64_t id;
} enq_arg;

static int by_text(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* Claims the event's dedup keys first: a key another instance is inserting
 * at this moment makes this insert wait for its commit, so two instances
 * given the same webhook store it once. A key taken means a duplicate:
 * nothing of this transaction is kept. */
static int enq_fn(tx *t, void *arg)
{
    enq_arg *a = arg;
    const store_event_in *ev = a->ev;
    /* In one order for every caller, so two enqueues sharing keys wait
     * for each other in line, never in a circle (a deadlock). */
    const char *keys[4];
    int n_keys = 0;
    for (int k = 0; k < 4; k++)
        if (ev->dedup[k])
            keys[n_keys++] = ev->dedup[k];
    qsort(keys, (size_t)n_keys, sizeof keys[0], by_text);
    /* The first key draws the event's id (one round trip less); an event
     * without keys draws it as it is inserted. */
    int64_t id = 0;
    for (int k = 0; k < n_keys; k++) {
        PGresult *r = q(t->db, "INSERT INTO dedup(key, event_id, created_at) VALUES ($1,"
                               " CASE WHEN $2::bigint = 0 THEN nextval('queue_id') ELSE $2::bigint END,"
                               " $3) ON CONFLICT (key) DO NOTHING RETURNING event_id",
                        ARGS(TEXT(keys[k]), INT(id), INT(ev->now)));
        if (!r)
            return -1;
        int taken = PQntuples(r) == 0;
        if (!taken)
            id = get_int(r, 0, 0);
        PQclear(r);
        if (taken) {
            t->rollback = 1;
            return STORE_DUPLICATE;
        }
    }
    PGresult *r;
    if (a->doa)
        r = q(t->db, "INSERT INTO dlq(id, source, topic, shop, body, priority, attempts,"
                     " received_at, reason, dead_at) VALUES (CASE WHEN $1::bigint = 0 THEN"
                     " nextval('queue_id') ELSE $1::bigint END, $2, $3, $4, $5, $6, 0, $7, $8, $7)"
                     " RETURNING id",
              ARGS(INT(id), TEXT(ev->source), TEXT(ev->topic), TEXT(ev->shop),
                   BLOB(ev->body, ev->body_len), INT(ev->priority), INT(ev->now),
                   TEXT(a->reason)));
    else
        r = q(t->db, "INSERT INTO queue(id, source, topic, shop, body, priority, received_at,"
                     " ready_at) VALUES (CASE WHEN $1::bigint = 0 THEN nextval('queue_id')"
                     " ELSE $1::bigint END, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
              ARGS(INT(id), TEXT(ev->source), TEXT(ev->topic), TEXT(ev->shop),
                   BLOB(ev->body, ev->body_len), INT(ev->priority), INT(ev->now)));
    if (!r)
        return -1;
    id = get_int(r, 0, 0);
    PQclear(r);
    if (ev->order_id &&
        run(t->db, "INSERT INTO order_events(order_id, event_id, shop, topic)"
                   " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            ARGS(TEXT(ev->order_id), INT(id), TEXT(ev->shop), TEXT(ev->topic))) < 0)
        return -1;
    a->id = id;
    return STORE_NEW;
}

static PGresult *read_q(pg *s, const char *sql, const param *ps, int n);

/* The id of the event that holds one of ev's dedup keys (committed by
 * now), or 0 when none is left (pruned meanwhile). */
static int64_t original_of(pg *s, const store_event_in *ev)
{
    int64_t id = 0;
    for (int k = 0; k < 4 && !id; k++) {
        if (!ev->dedup[k])
            continue;
        PGresult *r = read_q(s, "SELECT event_id FROM dedup WHERE key = $1",
                             ARGS(TEXT(ev->dedup[k])));
        if (r && PQntuples(r))
            id = get_int(r, 0, 0);
        PQclear(r);
    }
    return id;
}

static int enqueue(pg *s, const store_event_in *ev, int doa, const char *reason, int64_t *id)
{
    enq_arg a = {ev, doa, reason, 0};
    int rc = in_tx(s, 0, enq_fn, &a);
    if (rc == STORE_DUPLICATE) {
        a.id = original_of(s, ev);
        pthread_mutex_lock(&s->mu);
        s->duplicates++;
        pthread_mutex_unlock(&s->mu);
    }
    if (rc > 0 && id)
        *id = a.id;
    return rc;
}

static int pg_enqueue(store *base, const store_event_in *ev, int64_t *id)
{
    return enqueue((pg *)base, ev, 0, NULL, id);
}

static int pg_dead_on_arrival(store *base, const store_event_in *ev, const char *reason,
                              int64_t *id)
{
    return enqueue((pg *)base, ev, 1, reason, id);
}

typedef struct {
    int64_t now, lease_ms;
    store_event **out;
    size_t max, n;
} lease_arg;

static int by_priority_then_id(const void *x, const void *y)
{
    const store_event *a = *(store_event *const *)x, *b = *(store_event *const *)y;
    if (a->priority != b->priority)
        return a->priority > b->priority ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* Rows another instance holds locked (it is leasing or settling them) are
 * skipped rather than waited for. Each row leased takes the next epoch of
 * the sequence. RETURNING gives rows in no set order: they are sorted
 * here. */
static int lease_fn(tx *t, void *arg)
{
    lease_arg *a = arg;
    int64_t max = a->max > INT_MAX ? INT_MAX : (int64_t)a->max;
    PGresult *r = q(t->db,
                    "WITH picked AS (SELECT id FROM queue WHERE leased_until <= $1 AND ready_at <= $1"
                    " ORDER BY priority DESC, id LIMIT $2 FOR UPDATE SKIP LOCKED)"
                    " UPDATE queue SET leased_until = $3, attempts = queue.attempts + 1,"
                    " lease_epoch = nextval('lease_epoch') FROM picked WHERE queue.id = picked.id"
                    " RETURNING queue.id, source, topic, shop, body, priority, attempts, received_at,"
                    " last_error, lease_epoch",
                    ARGS(INT(a->now), INT(max), INT(a->now + a->lease_ms)));
    if (!r)
        return -1;
    size_t n = (size_t)PQntuples(r);
    for (size_t i = 0; i < n && i < a->max; i++) {
        int row = (int)i;
        store_event *e = xcalloc(1, sizeof *e);
        e->id = get_int(r, row, 0);
        e->source = get_str(r, row, 1);
        e->topic = get_str(r, row, 2);
        e->shop = get_str(r, row, 3);
        e->body = get_bytes(r, row, 4, &e->body_len);
        e->priority = (int)get_int(r, row, 5);
        e->attempts = (int)get_int(r, row, 6);
        e->received_at = get_int(r, row, 7);
        e->last_error = get_str(r, row, 8);
        e->epoch = get_int(r, row, 9);
        a->out[a->n++] = e;
        if (!e->body) {
            PQclear(r);
            return -1;
        }
    }
    PQclear(r);
    qsort(a->out, a->n, sizeof *a->out, by_priority_then_id);
    return (int)a->n;
}

static int pg_lease(store *base, int64_t now, int64_t lease_ms, store_event **out, size_t max)
{
    lease_arg a = {now, lease_ms, out, max, 0};
    int rc = in_tx((pg *)base, 0, lease_fn, &a);
    if (rc < 0) {
        for (size_t i = 0; i < a.n; i++) {
            store_event_free(out[i]);
            out[i] = NULL;
        }
    }
    return rc;
}

/* A settling call: the fence of its own epoch, then its statements. */
typedef struct {
    int64_t id, epoch, t;
    const char *text;
    int op;
} settle_arg;

enum { SETTLE_ACK, SETTLE_RETRY, SETTLE_UNLEASE, SETTLE_DEAD, SETTLE_REQUEUE };

static int settle_fn(tx *t, void *arg)
{
    settle_arg *a = arg;
    /* A requeue settles no lease: the event is in the DLQ, not the queue. */
    int f = a->op == SETTLE_REQUEUE ? 0 : fence(t, a->id, a->epoch);
    if (f != 0)
        return f;
    int64_t n = -1;
    switch (a->op) {
    case SETTLE_ACK:
        n = run(t->db, "DELETE FROM queue WHERE id = $1", ARGS(INT(a->id)));
        if (n > 0 && run(t->db, "INSERT INTO done(slot, n) VALUES ($1, 1)"
                               " ON CONFLICT (slot) DO UPDATE SET n = done.n + 1",
                         ARGS(INT(a->id % 16))) < 0)
            return -1;
        break;
    case SETTLE_RETRY:
        n = run(t->db, "UPDATE queue SET last_error = $3, leased_until = 0, ready_at = $2"
                       " WHERE id = $1",
                ARGS(INT(a->id), INT(a->t), TEXT(a->text)));
        break;
    case SETTLE_UNLEASE:
        n = run(t->db, "UPDATE queue SET leased_until = 0, attempts = greatest(attempts - 1, 0)"
                       " WHERE id = $1 AND leased_until > 0",
                ARGS(INT(a->id)));
        break;
    case SETTLE_DEAD:
        n = run(t->db, "INSERT INTO dlq(id, source, topic, shop, body, priority, attempts,"
                       " received_at, last_error, reason, dead_at) SELECT id, source, topic, shop,"
                       " body, priority, attempts, received_at, last_error, $2::text, $3::bigint"
                       " FROM queue WHERE id = $1",
                ARGS(INT(a->id), TEXT(a->text), INT(a->t)));
        if (n > 0 && run(t->db, "DELETE FROM queue WHERE id = $1", ARGS(INT(a->id))) < 0)
            return -1;
        break;
    case SETTLE_REQUEUE:
        n = run(t->db, "INSERT INTO queue(id, source, topic, shop, body, priority, attempts,"
                       " received_at, ready_at, leased_until, last_error) SELECT id, source, topic,"
                       " shop, body, priority, 0, received_at, $2::bigint, 0, NULL FROM dlq"
                       " WHERE id = $1",
                ARGS(INT(a->id), INT(a->t)));
        if (n > 0 && run(t->db, "DELETE FROM dlq WHERE id = $1", ARGS(INT(a->id))) < 0)
            return -1;
        break;
    }
    if (n < 0)
        return -1;
    return n == 0 ? 1 : 0;
}

static int settle(store *base, int op, int64_t id, int64_t epoch, int64_t t, const char *text)
{
    settle_arg a = {id, epoch, t, text, op};
    return in_tx((pg *)base, 0, settle_fn, &a);
}

static int pg_ack(store *base, int64_t id, int64_t epoch)
{
    return settle(base, SETTLE_ACK, id, epoch, 0, NULL);
}

static int pg_retry(store *base, int64_t id, int64_t epoch, int64_t ready_at, const char *error)
{
    return settle(base, SETTLE_RETRY, id, epoch, ready_at, error);
}

static int pg_unlease(store *base, int64_t id, int64_t epoch)
{
    return settle(base, SETTLE_UNLEASE, id, epoch, 0, NULL);
}

static int pg_dead(store *base, int64_t id, int64_t epoch, int64_t now, const char *reason)
{
    return settle(base, SETTLE_DEAD, id, epoch, now, reason);
}

static int pg_dlq_requeue(store *base, int64_t id, int64_t now)
{
    return settle(base, SETTLE_REQUEUE, id, 0, now, NULL);
}

/* ---- claims: insert unless there, else read what is there ------------------------- */

typedef struct {
    const char *insert, *lookup; /* lookup keyed by $1 */
    const param *ps;
    int n;
    PGresult *existing; /* the row in the way, when there was one */
} claim_arg;

/* Under READ COMMITTED a key another transaction holds makes the insert
 * wait for it; once it committed, the lookup sees its row. */
static int claim_fn(tx *t, void *arg)
{
    claim_arg *a = arg;
    int64_t n = run(t->db, a->insert, a->ps, a->n);
    if (n < 0)
        return -1;
    if (n == 1)
        return 1;
    a->existing = q(t->db, a->lookup, a->ps, 1);
    if (!a->existing || PQntuples(a->existing) != 1) {
        log_error("store: %s: the row in the way is gone", a->lookup);
        PQclear(a->existing);
        a->existing = NULL;
        return -1;
    }
    return 0;
}

static int pg_idem_claim(store *base, const char *key, const char *value, char **existing)
{
    claim_arg a = {"INSERT INTO idem(key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
                   "SELECT value FROM idem WHERE key = $1", ARGS(TEXT(key), TEXT(value)), NULL};
    int rc = in_tx((pg *)base, 1, claim_fn, &a);
    if (rc == 0 && existing)
        *existing = get_str(a.existing, 0, 0);
    PQclear(a.existing);
    return rc;
}

static int pg_write_intent(store *base, const char *key, const char *kind, const char *body,
                           int64_t now, int *state, char **remote_id)
{
    claim_arg a = {"INSERT INTO writes(key, kind, body, state, created_at, updated_at)"
                   " VALUES ($1, $2, $3, 0, $4, $4) ON CONFLICT (key) DO NOTHING",
                   "SELECT state, remote_id FROM writes WHERE key = $1",
                   ARGS(TEXT(key), TEXT(kind), TEXT(body), INT(now)), NULL};
    int rc = in_tx((pg *)base, 1, claim_fn, &a);
    if (rc == 0) {
        if (state)
            *state = (int)get_int(a.existing, 0, 0);
        if (remote_id)
            *remote_id = get_str(a.existing, 0, 1);
    }
    PQclear(a.existing);
    return rc;
}

/* ---- plain writes --------------------------------------------------------------- */

/* A write whose answer is whether it found its row: 0, 1 when not, -1. */
static int write_found(pg *s, const char *sql, const param *ps, int n)
{
    one_stmt o = {sql, ps, n, 0};
    int rc = in_tx(s, 1, one_fn, &o);
    return rc < 0 ? -1 : o.changed == 0;
}

static int pg_write_outcome(store *base, const char *key, int state, const char *remote_id,
                            int64_t now)
{
    return write_found((pg *)base,
                       "UPDATE writes SET state = $2, remote_id = $3, updated_at = $4 WHERE key = $1",
                       ARGS(TEXT(key), INT(state), TEXT(remote_id), INT(now)));
}

static int pg_idem_set(store *base, const char *key, const char *value)
{
    return write1((pg *)base, "INSERT INTO idem(key, value) VALUES ($1, $2)"
                              " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                  ARGS(TEXT(key), TEXT(value)));
}

/* A paid order line, kept once per (shop, order, SKU): sql inserts it into
 * the sales history or the reservation ledger. */
static int add_line(store *base, const char *sql, const char *shop, const char *order_id,
                    const char *sku, int64_t qty, int64_t placed_at)
{
    return write1((pg *)base, sql,
                  ARGS(TEXT(shop), TEXT(order_id), TEXT(sku), INT(qty), INT(placed_at)));
}

static int pg_history_add(store *base, const char *shop, const char *order_id, const char *sku,
                          int64_t qty, int64_t placed_at)
{
    return add_line(base, "INSERT INTO history(shop, order_id, sku, qty, placed_at)"
                          " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                    shop, order_id, sku, qty, placed_at);
}

static int pg_history_cancel(store *base, const char *shop, const char *order_id)
{
    return write1((pg *)base, "UPDATE history SET cancelled = true WHERE shop = $1 AND order_id = $2",
                  ARGS(TEXT(shop), TEXT(order_id)));
}

static int pg_reserve(store *base, const char *shop, const char *order_id, const char *sku,
                      int64_t qty, int64_t placed_at)
{
    return add_line(base, "INSERT INTO reservations(shop, order_id, sku, qty, placed_at)"
                          " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                    shop, order_id, sku, qty, placed_at);
}

/* The earliest moment wins when a send, push or release is reported twice. */
static int pg_reservation_sent(store *base, const char *shop, const char *order_id, int64_t at)
{
    return write1((pg *)base, "UPDATE reservations SET sent_at = least(coalesce(sent_at, $3), $3)"
                              " WHERE shop = $1 AND order_id = $2",
                  ARGS(TEXT(shop), TEXT(order_id), INT(at)));
}

static int pg_reservation_pushed(store *base, const char *shop, const char *order_id, int64_t at)
{
    return write1((pg *)base,
                  "UPDATE reservations SET pushed_at = least(coalesce(pushed_at, $3), $3),"
                  " closed_at = least(coalesce(closed_at, $3), $3) WHERE shop = $1 AND order_id = $2",
                  ARGS(TEXT(shop), TEXT(order_id), INT(at)));
}

static int pg_reservation_released(store *base, const char *shop, const char *order_id, int64_t at)
{
    return write1((pg *)base,
                  "UPDATE reservations SET released_at = least(coalesce(released_at, $3), $3),"
                  " closed_at = least(coalesce(closed_at, $3), $3) WHERE shop = $1 AND order_id = $2",
                  ARGS(TEXT(shop), TEXT(order_id), INT(at)));
}

static int pg_ledger_prune(store *base, int64_t before)
{
    if (write1((pg *)base, "DELETE FROM backorders WHERE closed_at < $1", ARGS(INT(before))) < 0)
        return -1;
    return write1((pg *)base, "DELETE FROM reservations WHERE closed_at < $1", ARGS(INT(before)));
}

static int pg_backorder_hold(store *base, const char *shop, const char *order_id,
                             const char *sale_id, const char *sku, int64_t qty, int64_t at)
{
    return write1((pg *)base,
                  "INSERT INTO backorders(sale_id, sku, shop, order_id, qty, held_at)"
                  " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT(sale_id, sku)"
                  " DO UPDATE SET qty = greatest(backorders.qty, excluded.qty)"
                  " WHERE backorders.closed_at IS NULL",
                  ARGS(TEXT(sale_id), TEXT(sku), TEXT(shop), TEXT(order_id), INT(qty), INT(at)));
}

static int pg_backorder_settle(store *base, const char *shop, const char *order_id,
                               const char *sale_id, int64_t t)
{
    if (sale_id)
        return write1((pg *)base,
                      "UPDATE backorders SET closed_at = $2"
                      " WHERE sale_id = $1 AND closed_at IS NULL",
                      ARGS(TEXT(sale_id), INT(t)));
    return write1((pg *)base,
                  "UPDATE backorders SET closed_at = $3"
                  " WHERE shop = $1 AND order_id = $2 AND closed_at IS NULL",
                  ARGS(TEXT(shop), TEXT(order_id), INT(t)));
}

static int pg_backorder_checked(store *base, const char *sale_id, int64_t t)
{
    return write1((pg *)base, "UPDATE backorders SET checked_at = $2 WHERE sale_id = $1",
                  ARGS(TEXT(sale_id), INT(t)));
}

static int64_t pg_dedup_prune(store *base, int64_t before)
{
    one_stmt o = {"DELETE FROM dedup WHERE created_at < $1", ARGS(INT(before)), 0};
    return in_tx((pg *)base, 1, one_fn, &o) < 0 ? -1 : o.changed;
}

/* One housekeeping round (store_housekeep) in one transaction. */
typedef struct {
    const store_cutoffs *before;
    int64_t batch;
    store_pruned got;
} hk_arg;

static int hk_fn(tx *t, void *arg)
{
    hk_arg *a = arg;
    const store_cutoffs *c = a->before;
    struct {
        const char *sql;
        int64_t before;
        int64_t *count;
    } kinds[] = {
        {"DELETE FROM dedup WHERE key IN"
         " (SELECT key FROM dedup WHERE created_at < $1 LIMIT $2)",
         c->dedup, &a->got.dedup},
        {"DELETE FROM history WHERE (shop, order_id, sku) IN"
         " (SELECT shop, order_id, sku FROM history WHERE placed_at < $1 LIMIT $2)",
         c->history, &a->got.history},
        {"DELETE FROM audit WHERE id IN (SELECT id FROM audit WHERE t < $1 LIMIT $2)", c->audit,
         &a->got.audit},
        {"UPDATE writes SET body = NULL WHERE key IN (SELECT key FROM writes"
         " WHERE state IN (1, 2) AND updated_at < $1 AND body IS NOT NULL LIMIT $2)",
         c->bodies, &a->got.bodies},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (kinds[i].before == INT64_MIN)
            continue;
        int64_t n = run(t->db, kinds[i].sql, ARGS(INT(kinds[i].before), INT(a->batch)));
        if (n < 0)
            return -1;
        *kinds[i].count = n;
    }
    if (c->audit != INT64_MIN) {
        int64_t n = run(t->db,
                        "DELETE FROM order_events WHERE (order_id, event_id) IN"
                        " (SELECT order_id, event_id FROM order_events WHERE event_id <"
                        " coalesce((SELECT min(event_id) FROM audit WHERE event_id > 0),"
                        " 9223372036854775807)"
                        " AND NOT EXISTS (SELECT 1 FROM queue q WHERE q.id = order_events.event_id)"
                        " AND NOT EXISTS (SELECT 1 FROM dlq d WHERE d.id = order_events.event_id)"
                        " LIMIT $1)",
                        ARGS(INT(a->batch)));
        if (n < 0)
            return -1;
        a->got.order_events = n;
    }
    return 0;
}

static int pg_housekeep(store *base, const store_cutoffs *before, int64_t batch,
                        store_pruned *out)
{
    hk_arg a = {before, batch, {0}};
    if (in_tx((pg *)base, 0, hk_fn, &a) < 0)
        return -1;
    *out = a.got;
    return 0;
}

static int pg_kv_set(store *base, const char *key, const char *value)
{
    if (!value)
        return write1((pg *)base, "DELETE FROM kv WHERE key = $1", ARGS(TEXT(key)));
    return write1((pg *)base, "INSERT INTO kv(key, value) VALUES ($1, $2)"
                              " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                  ARGS(TEXT(key), TEXT(value)));
}

/* The writes SQLite lets join a later group commit are plain writes here:
 * with no writer thread there is nothing to join, and a commit of its own
 * costs the caller one round trip. */
static void pg_kv_set_async(store *base, const char *key, const char *value)
{
    if (pg_kv_set(base, key, value) < 0)
        log_error("store: kv write lost: %s", key);
}

static void pg_audit(store *base, int64_t event_id, int64_t now, const char *what,
                     const char *detail)
{
    if (write1((pg *)base, "INSERT INTO audit(event_id, t, what, detail) VALUES ($1, $2, $3, $4)",
               ARGS(INT(event_id), INT(now), TEXT(what), TEXT(detail))) < 0)
        log_error("store: audit row lost: %s", what);
}

/* ---- reads ---------------------------------------------------------------------- */

/* Runs one read on a connection of the pool (its own transaction, so one
 * snapshot): the result (caller PQclears) or NULL, logged. */
static PGresult *read_q(pg *s, const char *sql, const param *ps, int n)
{
    for (int tries = 0; tries < 2; tries++) {
        PGconn *db = conn_take(s);
        if (!db)
            return NULL;
        PGresult *r = q(db, sql, ps, n);
        /* A read changes nothing: on a broken connection it is tried once
         * more, on a new one. */
        int lost = !r && conn_lost(db);
        conn_give(s, db);
        if (!lost)
            return r;
    }
    return NULL;
}

/* A read of one number (a count or a sum): the number, or -1. */
static int64_t read_num(pg *s, const char *sql, const param *ps, int n)
{
    PGresult *r = read_q(s, sql, ps, n);
    int64_t v = r && PQntuples(r) == 1 ? get_int(r, 0, 0) : -1;
    PQclear(r);
    return v;
}

/* The text of one row's first column into *v: 1 when the row is there,
 * 0 when not, -1 on an error. */
static int read_text(pg *s, const char *sql, const char *key, char **v)
{
    PGresult *r = read_q(s, sql, ARGS(TEXT(key)));
    int got = !r ? -1 : PQntuples(r) == 1;
    if (got == 1)
        *v = get_str(r, 0, 0);
    PQclear(r);
    return got;
}

/* A read whose rows become JSON objects by row(): the array (caller
 * frees), or NULL. */
static cJSON *read_rows(pg *s, const char *sql, const param *ps, int n,
                        cJSON *(*row)(const PGresult *r, int i))
{
    PGresult *r = read_q(s, sql, ps, n);
    if (!r)
        return NULL;
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; i < PQntuples(r); i++)
        cJSON_AddItemToArray(arr, row(r, i));
    PQclear(r);
    return arr;
}

static void add_str_or_null(cJSON *o, const char *name, const PGresult *r, int row, int col)
{
    if (PQgetisnull(r, row, col))
        cJSON_AddNullToObject(o, name);
    else
        cJSON_AddStringToObject(o, name, PQgetvalue(r, row, col));
}

static int pg_count(store *base, int64_t now, store_counts *out)
{
    pg *s = (pg *)base;
    memset(out, 0, sizeof *out);
    PGresult *r = read_q(s, "SELECT (SELECT count(*) FROM queue),"
                            " (SELECT count(*) FROM queue WHERE leased_until > $1 AND leased_until > 0),"
                            " (SELECT count(*) FROM dlq),"
                            " (SELECT coalesce(sum(n), 0)::bigint FROM done),"
                            " (SELECT received_at FROM queue ORDER BY id LIMIT 1)",
                         ARGS(INT(now)));
    if (!r)
        return -1;
    int64_t total = get_int(r, 0, 0);
    out->leased = get_int(r, 0, 1);
    out->ready = total - out->leased;
    out->dead = get_int(r, 0, 2);
    out->done = get_int(r, 0, 3);
    out->oldest_at = PQgetisnull(r, 0, 4) ? -1 : get_int(r, 0, 4);
    PQclear(r);
    pthread_mutex_lock(&s->mu);
    out->duplicates = s->duplicates;
    pthread_mutex_unlock(&s->mu);
    return 0;
}

static cJSON *dlq_row(const PGresult *r, int i)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double)get_int(r, i, 0));
    add_str_or_null(o, "source", r, i, 1);
    add_str_or_null(o, "topic", r, i, 2);
    add_str_or_null(o, "shop", r, i, 3);
    add_str_or_null(o, "reason", r, i, 4);
    cJSON_AddNumberToObject(o, "attempts", (double)get_int(r, i, 5));
    cJSON_AddNumberToObject(o, "received_at", (double)get_int(r, i, 6));
    cJSON_AddNumberToObject(o, "dead_at", (double)get_int(r, i, 7));
    char *body = get_bytes(r, i, 8, NULL);
    cJSON_AddStringToObject(o, "body", body ? body : "");
    free(body);
    return o;
}

static int64_t limit_of(size_t limit)
{
    return limit > INT64_MAX ? INT64_MAX : (int64_t)limit;
}

static cJSON *pg_dlq_list(store *base, size_t limit)
{
    return read_rows((pg *)base, "SELECT id, source, topic, shop, reason, attempts, received_at,"
                                 " dead_at, body FROM dlq ORDER BY dead_at DESC, id DESC LIMIT $1",
                     ARGS(INT(limit_of(limit))), dlq_row);
}

static cJSON *audit_row(const PGresult *r, int i)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "t", (double)get_int(r, i, 0));
    add_str_or_null(o, "what", r, i, 1);
    add_str_or_null(o, "detail", r, i, 2);
    return o;
}

static cJSON *pg_audit_of(store *base, int64_t event_id)
{
    return read_rows((pg *)base, "SELECT t, what, detail FROM audit WHERE event_id = $1 ORDER BY id",
                     ARGS(INT(event_id)), audit_row);
}

static cJSON *order_audit_row(const PGresult *r, int i)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "event", (double)get_int(r, i, 0));
    add_str_or_null(o, "shop", r, i, 1);
    add_str_or_null(o, "topic", r, i, 2);
    if (PQgetisnull(r, i, 3))
        cJSON_AddNullToObject(o, "t");
    else
        cJSON_AddNumberToObject(o, "t", (double)get_int(r, i, 3));
    add_str_or_null(o, "what", r, i, 4);
    add_str_or_null(o, "detail", r, i, 5);
    return o;
}

static cJSON *pg_order_audit(store *base, const char *order_id, size_t limit)
{
    return read_rows((pg *)base,
                     "SELECT o.event_id, o.shop, o.topic, a.t, a.what, a.detail"
                     " FROM order_events o LEFT JOIN audit a ON a.event_id = o.event_id"
                     " WHERE o.order_id = $1 ORDER BY o.event_id, a.id LIMIT $2",
                     ARGS(TEXT(order_id), INT(limit_of(limit))), order_audit_row);
}

static cJSON *sale_id_row(const PGresult *r, int i)
{
    return cJSON_CreateString(PQgetvalue(r, i, 0));
}

static cJSON *pg_backorders_due(store *base, const char *sku, int64_t checked_before, size_t max)
{
    return read_rows((pg *)base,
                     "SELECT sale_id FROM backorders WHERE sku = $1 AND closed_at IS NULL"
                     " AND (checked_at IS NULL OR checked_at < $2)"
                     " GROUP BY sale_id ORDER BY min(held_at), sale_id LIMIT $3",
                     ARGS(TEXT(sku), INT(checked_before), INT(limit_of(max))), sale_id_row);
}

/* Sums of bigint are numeric in PostgreSQL: cast back, 0 when no rows.
 * One statement, so both tables come from one snapshot. */
static int64_t pg_pending_units(store *base, const char *sku, int64_t read_started)
{
    return read_num((pg *)base,
                    "SELECT ((SELECT coalesce(sum(qty), 0) FROM reservations"
                    " WHERE sku = $1 AND (closed_at IS NULL OR closed_at >= $2))"
                    " + (SELECT coalesce(sum(qty), 0) FROM backorders"
                    " WHERE sku = $1 AND (closed_at IS NULL OR closed_at >= $2)))::bigint",
                    ARGS(TEXT(sku), INT(read_started)));
}

static int64_t pg_in_flight_units(store *base, const char *sku, int64_t read_started)
{
    return read_num((pg *)base,
                    "SELECT coalesce(sum(qty), 0)::bigint FROM reservations"
                    " WHERE sku = $1 AND (closed_at IS NULL OR closed_at >= $2) AND sent_at <= $2",
                    ARGS(TEXT(sku), INT(read_started)));
}

static int64_t pg_units_known(store *base, const char *shop, const char *sku)
{
    return read_num((pg *)base,
                    "SELECT coalesce(sum(qty), 0)::bigint FROM reservations"
                    " WHERE sku = $2 AND shop = $1 AND released_at IS NULL",
                    ARGS(TEXT(shop), TEXT(sku)));
}

static int64_t pg_units_placed_between(store *base, const char *sku, int64_t from, int64_t to)
{
    return read_num((pg *)base,
                    "SELECT coalesce(sum(qty), 0)::bigint FROM reservations"
                    " WHERE sku = $1 AND placed_at >= $2 AND placed_at < $3 AND released_at IS NULL",
                    ARGS(TEXT(sku), INT(from), INT(to)));
}

static int64_t pg_history_units(store *base, const char *sku, int64_t from, int64_t to)
{
    return read_num((pg *)base,
                    "SELECT coalesce(sum(qty), 0)::bigint FROM history"
                    " WHERE sku = $1 AND placed_at >= $2 AND placed_at < $3 AND NOT cancelled",
                    ARGS(TEXT(sku), INT(from), INT(to)));
}

static int pg_reservation_exists(store *base, const char *shop, const char *order_id)
{
    int64_t n = read_num((pg *)base,
                         "SELECT count(*) FROM reservations WHERE shop = $1 AND order_id = $2",
                         ARGS(TEXT(shop), TEXT(order_id)));
    return n < 0 ? -1 : n > 0;
}

static int pg_idem_get(store *base, const char *key, char **v)
{
    return read_text((pg *)base, "SELECT value FROM idem WHERE key = $1", key, v);
}

static int pg_kv_get(store *base, const char *key, char **v)
{
    return read_text((pg *)base, "SELECT value FROM kv WHERE key = $1", key, v);
}

/* ---- claims ------------------------------------------------------------------------ */

/* names as a PostgreSQL array literal ({"a","b"}), each element quoted
 * with its quotes and backslashes escaped, so any text is one element.
 * Caller frees. */
static char *text_array(const char *const *names, size_t n)
{
    sbuf b = {0};
    sbuf_putc(&b, '{');
    for (size_t i = 0; i < n; i++) {
        sbuf_puts(&b, i ? ",\"" : "\"");
        for (const char *c = names[i]; *c; c++) {
            if (*c == '"' || *c == '\\')
                sbuf_putc(&b, '\\');
            sbuf_putc(&b, *c);
        }
        sbuf_putc(&b, '"');
    }
    sbuf_putc(&b, '}');
    return sbuf_take(&b);
}

typedef struct {
    const char *names; /* the array literal */
    const char *const *list;
    size_t n;
    const char *holder;
    int64_t now, ttl_ms;
    store_claim_state *out;
} named_claim;

/* Fills out[] from rows of (name, epoch, until), held or not; returns how
 * many entries were filled. */
static size_t claim_rows(const named_claim *a, const PGresult *r, int held)
{
    strmap *at = strmap_new(0);
    for (int row = 0; row < PQntuples(r); row++)
        strmap_put(at, PQgetvalue(r, row, 0), row);
    size_t filled = 0;
    for (size_t i = 0; i < a->n; i++) {
        long row = strmap_get(at, a->list[i]);
        if (row < 0 || (!held && a->out[i].held))
            continue;
        a->out[i] = (store_claim_state){held, get_int(r, (int)row, 1), get_int(r, (int)row, 2)};
        filled++;
    }
    strmap_free(at);
    return filled;
}

/* One statement takes or renews them all: a row that is not there is
 * inserted, one of the same holder or run out is updated (ON CONFLICT ...
 * WHERE), any other is left alone, and RETURNING names those now held.
 * A conflicting row another transaction is writing makes this one wait
 * for its commit, then decides on the committed row, so two instances
 * never both hold a claim. Rows are taken in name order, so two batches
 * sharing names wait in line, not in a circle. Each row offered draws an
 * epoch from the lease sequence; a renewal keeps its own, so a drawn
 * number goes unused (harmless: epochs need only grow). The claims not
 * held are read afterwards, in a statement of their own (a newer snapshot
 * than the first statement's: it sees the rows that statement waited
 * for). */
static int named_claim_fn(tx *t, void *arg)
{
    named_claim *a = arg;
    PGresult *r = q(t->db,
                    "INSERT INTO claims AS c(name, holder, until, epoch)"
                    " SELECT n, $2, $3::bigint + $4::bigint, nextval('lease_epoch')"
                    " FROM (SELECT DISTINCT n FROM unnest($1::text[]) AS n) w ORDER BY n"
                    " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,"
                    " until = excluded.until, epoch = CASE WHEN c.holder = excluded.holder"
                    " AND c.until > $3::bigint THEN c.epoch ELSE excluded.epoch END"
                    " WHERE c.holder = excluded.holder OR c.until <= $3::bigint"
                    " RETURNING name, epoch, until",
                    ARGS(TEXT(a->names), TEXT(a->holder), INT(a->now), INT(a->ttl_ms)));
    if (!r)
        return -1;
    size_t held = claim_rows(a, r, 1);
    PQclear(r);
    if (held < a->n) {
        r = q(t->db, "SELECT name, epoch, until FROM claims WHERE name = ANY($1::text[])",
              ARGS(TEXT(a->names)));
        if (!r)
            return -1;
        claim_rows(a, r, 0);
        PQclear(r);
    }
    return held > INT_MAX ? INT_MAX : (int)held;
}

static int pg_claim_each(store *base, const char *const *names, size_t n, const char *holder,
                         int64_t now, int64_t ttl_ms, store_claim_state *out)
{
    char *lit = text_array(names, n);
    named_claim a = {lit, names, n, holder, now, ttl_ms, out};
    int rc = in_tx((pg *)base, 0, named_claim_fn, &a);
    free(lit);
    return rc;
}

static int pg_release(store *base, const char *name, const char *holder)
{
    one_stmt o = {"DELETE FROM claims WHERE name = $1 AND holder = $2",
                  ARGS(TEXT(name), TEXT(holder)), 0};
    if (in_tx((pg *)base, 0, one_fn, &o) < 0)
        return -1;
    return o.changed ? 0 : 1;
}

static int pg_claim_holder(store *base, const char *name, int64_t now, char **holder,
                           int64_t *until, int64_t *epoch)
{
    PGresult *r = read_q((pg *)base,
                         "SELECT holder, until, epoch FROM claims WHERE name = $1 AND until > $2",
                         ARGS(TEXT(name), INT(now)));
    if (!r)
        return -1;
    int found = PQntuples(r) > 0;
    if (found) {
        if (holder)
            *holder = get_str(r, 0, 0);
        if (until)
            *until = get_int(r, 0, 1);
        if (epoch)
            *epoch = get_int(r, 0, 2);
    }
    PQclear(r);
    return found;
}

/* ---- shared limits: one budget's row, locked, in one transaction -------------------- */

typedef struct {
    const store_limit_op *op;
    store_limit row;
    int64_t wait_ms;
} limit_arg;

static double get_num(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? 0 : strtod(PQgetvalue(r, row, col), NULL);
}

/* A double as the text of a parameter; 0 as NULL when zero_is_null (a
 * rate of 0 is none stored). */
static const char *num_text(char *buf, size_t n, double v, int zero_is_null)
{
    if (zero_is_null && v == 0)
        return NULL;
    snprintf(buf, n, "%.17g", v);
    return buf;
}

/* How long a session may sit idle inside a limit's transaction before
 * the server ends it: far longer than the transaction's few statements
 * take, even on a loaded machine. */
#define LIMIT_IDLE_MAX "'2s'"

/* The upsert creates the row when missing and, either way, locks it until
 * the transaction ends: instances taking from one budget queue up here. */
static int limit_fn(tx *t, void *arg)
{
    limit_arg *a = arg;
    const store_limit_op *op = a->op;
    /* Every instance's calls wait for this row while the transaction
     * holds it: an instance frozen between two of its statements
     * (SIGSTOP, a paused VM) would stop them all. The server ends such a
     * session once it has sat idle in this transaction for a while, and
     * the lock goes with it; the frozen instance finds its connection
     * gone when it wakes, and its take fails. */
    if (run(t->db, "SET LOCAL idle_in_transaction_session_timeout = " LIMIT_IDLE_MAX, NULL, 0) < 0)
        return -1;
    PGresult *r = q(t->db,
                    "INSERT INTO limits(name) VALUES ($1) ON CONFLICT (name) DO UPDATE"
                    " SET name = excluded.name RETURNING rate, level, at, paused_until",
                    ARGS(TEXT(op->name)));
    if (!r)
        return -1;
    a->row = (store_limit){get_num(r, 0, 0), get_num(r, 0, 1), get_int(r, 0, 2), get_int(r, 0, 3)};
    PQclear(r);
    int64_t n = 0, oldest = 0;
    if (op->kind == LIMIT_TAKE_CALL) {
        /* Rows are kept a second window: a caller whose clock lags the
         * pruner's still counts the calls of its own window. */
        if (run(t->db, "DELETE FROM limit_calls WHERE name = $1 AND at <= $2",
                ARGS(TEXT(op->name), INT(op->now - 2 * op->window_ms))) < 0)
            return -1;
        r = q(t->db, "SELECT count(*), coalesce(min(at), 0) FROM limit_calls"
                     " WHERE name = $1 AND at > $2",
              ARGS(TEXT(op->name), INT(op->now - op->window_ms)));
        if (!r)
            return -1;
        n = get_int(r, 0, 0);
        oldest = get_int(r, 0, 1);
        PQclear(r);
    }
    int record = 0;
    int rc = store_limit_apply(op, &a->row, n, oldest, &a->wait_ms, &record);
    /* A refused take changed nothing but the calls pruned. */
    int refused = (op->kind == LIMIT_TAKE_CALL || op->kind == LIMIT_TAKE_COST) && rc == 0;
    if (rc < 0 || op->kind == LIMIT_GET || refused)
        return rc;
    char rate[32], level[32];
    if (run(t->db, "UPDATE limits SET rate = $2, level = $3, at = $4, paused_until = $5"
                   " WHERE name = $1",
            ARGS(TEXT(op->name), TEXT(num_text(rate, sizeof rate, a->row.rate, 1)),
                 TEXT(num_text(level, sizeof level, a->row.level, 0)), INT(a->row.at),
                 INT(a->row.paused_until))) < 0)
        return -1;
    for (int i = 0; i < record; i++)
        if (run(t->db, "INSERT INTO limit_calls(name, at) VALUES ($1, $2)",
                ARGS(TEXT(op->name), INT(op->now))) < 0)
            return -1;
    return rc;
}

/* Not fenced: a budget is spent by calls, whoever's lease they serve. */
static int pg_limit(store *base, const store_limit_op *op, int64_t *wait_ms, store_limit *row)
{
    limit_arg a = {.op = op};
    int rc = in_tx((pg *)base, 0, limit_fn, &a);
    *wait_ms = a.wait_ms;
    *row = a.row;
    return rc;
}

const store_backend store_postgres_backend = {
    .name = "postgres",
    .close = pg_close,
    .schema_version = pg_schema_version,
    .commits = pg_commits,
    .enqueue = pg_enqueue,
    .dead_on_arrival = pg_dead_on_arrival,
    .lease = pg_lease,
    .ack = pg_ack,
    .retry = pg_retry,
    .unlease = pg_unlease,
    .dead = pg_dead,
    .count = pg_count,
    .dlq_list = pg_dlq_list,
    .dlq_requeue = pg_dlq_requeue,
    .idem_claim = pg_idem_claim,
    .idem_set = pg_idem_set,
    .idem_get = pg_idem_get,
    .history_add = pg_history_add,
    .history_cancel = pg_history_cancel,
    .history_units = pg_history_units,
    .reserve = pg_reserve,
    .reservation_sent = pg_reservation_sent,
    .reservation_pushed = pg_reservation_pushed,
    .reservation_released = pg_reservation_released,
    .reservation_exists = pg_reservation_exists,
    .pending_units = pg_pending_units,
    .backorder_hold = pg_backorder_hold,
    .backorder_settle = pg_backorder_settle,
    .backorders_due = pg_backorders_due,
    .backorder_checked = pg_backorder_checked,
    .in_flight_units = pg_in_flight_units,
    .units_known = pg_units_known,
    .units_placed_between = pg_units_placed_between,
    .ledger_prune = pg_ledger_prune,
    .dedup_prune = pg_dedup_prune,
    .housekeep = pg_housekeep,
    .write_intent = pg_write_intent,
    .write_outcome = pg_write_outcome,
    .kv_get = pg_kv_get,
    .kv_set = pg_kv_set,
    .kv_set_async = pg_kv_set_async,
    .audit = pg_audit,
    .audit_of = pg_audit_of,
    .order_audit = pg_order_audit,
    .claim_each = pg_claim_each,
    .release = pg_release,
    .claim_holder = pg_claim_holder,

    /* shared limits */
    .shared = 1,
    .limit = pg_limit,
};
