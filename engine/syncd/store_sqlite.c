/*
 * The SQLite backend of syncd's durable store (store.h; store.c forwards here
 * through store_backend.h), the default. One file in
 * WAL mode with synchronous=FULL holds the queue, the dead-letter queue, the
 * de-duplication keys and the ledgers. Every write goes through one writer
 * thread that owns the write connection: callers queue a request and sleep,
 * the writer takes everything queued (up to group_commit_max), applies it in
 * one transaction, commits once and then wakes each caller with its own
 * result. Many intake threads therefore share one fsync, and a caller only
 * ever hears "stored" after the commit that stored it. Reads that change
 * nothing use a second connection behind a mutex; WAL lets them run while
 * the writer commits. The schema is versioned with PRAGMA user_version and
 * migrated forward step by step at open.
 */
#include "store_backend.h"

#include "log.h"
#include "mem.h"

#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- schema ------------------------------------------------------------------ */

/*
 * Each step takes the database from version i to i + 1 and runs in its own
 * transaction together with the user_version bump, so a crash mid-migration
 * leaves the previous version intact. Steps are append-only: a released
 * step is never edited, a change is a new step.
 *
 * Ids come from queue's AUTOINCREMENT sequence and are never reused, even
 * after the newest event is acked and deleted: dedup keys, the DLQ and the
 * audit trail refer to events by id. A dead event moves to dlq under the
 * same id and moves back under it when requeued.
 *
 * ready_at and leased_until sit in the ordering index so the lease scan
 * skips events that are leased or scheduled later without reading their
 * rows (bodies up to 1 MiB). Unleased rows hold leased_until = 0, which
 * keeps the partial index of leased rows as small as the number of leases.
 */
static const char *const migrations[] = {
    /* 1: the queue, dedup keys, dead letters, counters, key/value. */
    "CREATE TABLE meta(k TEXT PRIMARY KEY, v INTEGER NOT NULL) WITHOUT ROWID;"
    "INSERT INTO meta(k, v) VALUES ('done', 0);"
    "CREATE TABLE queue("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " source TEXT NOT NULL, topic TEXT NOT NULL, shop TEXT, body BLOB NOT NULL,"
    " priority INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,"
    " received_at INTEGER NOT NULL, ready_at INTEGER NOT NULL,"
    " leased_until INTEGER NOT NULL DEFAULT 0, last_error TEXT);"
    "CREATE INDEX queue_order ON queue(priority DESC, id, ready_at, leased_until);"
    "CREATE INDEX queue_leased ON queue(leased_until) WHERE leased_until > 0;"
    "CREATE TABLE dedup(key TEXT PRIMARY KEY, event_id INTEGER NOT NULL,"
    " created_at INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX dedup_created ON dedup(created_at);"
    "CREATE TABLE dlq("
    " id INTEGER PRIMARY KEY,"
    " source TEXT NOT NULL, topic TEXT NOT NULL, shop TEXT, body BLOB NOT NULL,"
    " priority INTEGER NOT NULL, attempts INTEGER NOT NULL,"
    " received_at INTEGER NOT NULL, last_error TEXT, reason TEXT,"
    " dead_at INTEGER NOT NULL);"
    "CREATE INDEX dlq_newest ON dlq(dead_at DESC, id DESC);"
    "CREATE TABLE kv(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;",

    /* 2: idempotency keys, the outbound-write ledger, the audit trail. The
     * write ledger keeps a rowid because its rows carry request bodies, too
     * big for a WITHOUT ROWID b-tree to be a gain. */
    "CREATE TABLE idem(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;"
    "CREATE TABLE writes("
    " id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, kind TEXT NOT NULL,"
    " body TEXT, state INTEGER NOT NULL, remote_id TEXT,"
    " created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
    "CREATE TABLE audit(id INTEGER PRIMARY KEY, event_id INTEGER NOT NULL,"
    " t INTEGER NOT NULL, what TEXT NOT NULL, detail TEXT);"
    "CREATE INDEX audit_event ON audit(event_id);",

    /* 3: the reservation ledger. closed_at is the first of pushed_at and
     * released_at: pending units are the rows open (NULL) or closed at or
     * after the read, two range scans of res_pending that touch only rows
     * still relevant, however long the history kept before a prune. */
    "CREATE TABLE reservations("
    " shop TEXT NOT NULL, order_id TEXT NOT NULL, sku TEXT NOT NULL,"
    " qty INTEGER NOT NULL, placed_at INTEGER NOT NULL,"
    " pushed_at INTEGER, released_at INTEGER, closed_at INTEGER,"
    " PRIMARY KEY(shop, order_id, sku)) WITHOUT ROWID;"
    "CREATE INDEX res_pending ON reservations(sku, closed_at, qty);"
    "CREATE INDEX res_placed ON reservations(sku, placed_at, shop, qty);"
    "CREATE INDEX res_closed ON reservations(closed_at) WHERE closed_at IS NOT NULL;",

    /* 4: sales history for demand velocity: paid order lines, from the
     * engine's own orders and backfilled from Shopify, kept apart from the
     * reservation ledger so old orders never count as known or pending. */
    "CREATE TABLE history("
    " shop TEXT NOT NULL, order_id TEXT NOT NULL, sku TEXT NOT NULL,"
    " qty INTEGER NOT NULL, placed_at INTEGER NOT NULL, cancelled INTEGER NOT NULL DEFAULT 0,"
    " PRIMARY KEY(shop, order_id, sku)) WITHOUT ROWID;"
    "CREATE INDEX history_sku ON history(sku, placed_at, qty);",

    /* 5: when an order's sale was first sent to Cin7, so a read that
     * started while it was on its way can be told apart. */
    "ALTER TABLE reservations ADD COLUMN sent_at INTEGER;",

    /* 6: which events were about which Shopify order, so the ops page can
     * show an order's audit trail: queue rows leave once done, these stay
     * beside the audit rows they lead to. */
    "CREATE TABLE order_events(order_id TEXT NOT NULL, event_id INTEGER NOT NULL,"
    " shop TEXT, topic TEXT NOT NULL, PRIMARY KEY(order_id, event_id)) WITHOUT ROWID;",

    /* 7: fencing. Every lease takes the next number of one counter, kept
     * in meta so it never goes back (not on restart, not when a dead
     * letter is requeued under its old id), and the queue row keeps the
     * number of its latest lease; a settling call whose number is not the
     * row's comes from a lease that was superseded. Rows queued before
     * this step hold 0, the epoch of an event never leased. */
    "ALTER TABLE queue ADD COLUMN lease_epoch INTEGER NOT NULL DEFAULT 0;"
    "INSERT INTO meta(k, v) VALUES ('lease_epoch', 0);",

    /* 8: what several instances on one database share. A claim is a named
     * lease on a piece of work only one instance may do at a time (the
     * webhook registrant, reconciliation, one supplier's draft, one SKU's
     * stock write in a window); its epoch comes from the lease counter.
     * A shared limit is one API budget (Cin7's calls per minute, a shop's
     * GraphQL bucket) whose state every instance reads and updates. */
    "CREATE TABLE claims(name TEXT PRIMARY KEY, holder TEXT NOT NULL,"
    " until INTEGER NOT NULL, epoch INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE limits(name TEXT PRIMARY KEY, rate REAL, level REAL NOT NULL DEFAULT 0,"
    " at INTEGER NOT NULL DEFAULT 0, paused_until INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
    "CREATE TABLE limit_calls(name TEXT NOT NULL, at INTEGER NOT NULL);"
    "CREATE INDEX limit_calls_at ON limit_calls(name, at);",

    /* 9: backorder holds (store.h): units Cin7 backordered, per sale and
     * SKU, pending until settled. closed_at as in the ledger; checked_at
     * when syncd last read the sale to see whether stock filled it. */
    "CREATE TABLE backorders(sale_id TEXT NOT NULL, sku TEXT NOT NULL, shop TEXT NOT NULL,"
    " order_id TEXT NOT NULL, qty INTEGER NOT NULL, held_at INTEGER NOT NULL,"
    " checked_at INTEGER, closed_at INTEGER,"
    " PRIMARY KEY(sale_id, sku)) WITHOUT ROWID;"
    "CREATE INDEX bo_pending ON backorders(sku, closed_at, qty);"
    "CREATE INDEX bo_order ON backorders(shop, order_id);",

    /* 10: what housekeeping looks rows up by (store_housekeep), so a
     * round reads the rows it removes, not the tables: audit rows by age,
     * order links by event, history by placing, and settled writes whose
     * request body is still kept (the index empties as they are cleared). */
    "CREATE INDEX audit_t ON audit(t);"
    "CREATE INDEX order_events_event ON order_events(event_id);"
    "CREATE INDEX history_placed ON history(placed_at);"
    "CREATE INDEX writes_settled ON writes(updated_at) WHERE body IS NOT NULL AND state IN (1, 2);",
};
#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))
_Static_assert(sizeof migrations / sizeof migrations[0] == STORE_SCHEMA_VERSION,
               "STORE_SCHEMA_VERSION must name the last migration step");

/* ---- statements ------------------------------------------------------------- */

/* Prepared once per connection on first use and kept until close. Lazy so a
 * store opened at an older schema (tests) fails only the calls whose tables
 * are missing. */
typedef enum {
    S_BEGIN,
    S_COMMIT,
    S_ROLLBACK,
    S_SAVEPOINT,
    S_RELEASE,
    S_ROLLBACK_TO,
    S_DEDUP_GET,
    S_DEDUP_PUT,
    S_QUEUE_PUT,
    S_LEASE_PICK,
    S_LEASE_SET,
    S_EPOCH_GET,
    S_EPOCH_ADD,
    S_QUEUE_EPOCH,
    S_QUEUE_DEL,
    S_DONE_ADD,
    S_RETRY,
    S_UNLEASE,
    S_TO_DLQ,
    S_FROM_DLQ,
    S_DLQ_DEL,
    S_IDEM_CLAIM,
    S_IDEM_GET,
    S_IDEM_SET,
    S_RESERVE,
    S_RES_SENT,
    S_RES_PUSHED,
    S_RES_RELEASED,
    S_LEDGER_PRUNE,
    S_BO_HOLD,
    S_BO_SETTLE_SALE,
    S_BO_SETTLE_ORDER,
    S_BO_CHECKED,
    S_BO_PRUNE,
    S_DEDUP_PRUNE,
    S_HK_DEDUP,
    S_HK_HISTORY,
    S_HK_AUDIT,
    S_HK_ORDER_EVENTS,
    S_HK_BODIES,
    S_WRITE_INTENT,
    S_WRITE_GET,
    S_WRITE_OUTCOME,
    S_KV_SET,
    S_KV_DEL,
    S_AUDIT_PUT,
    S_ORDER_EVENT_PUT,
    /* read connection */
    S_COUNTS,
    S_DLQ_LIST,
    S_PENDING,
    S_IN_FLIGHT,
    S_UNITS_KNOWN,
    S_HISTORY_ADD,
    S_HISTORY_CANCEL,
    S_HISTORY_UNITS,
    S_PLACED_BETWEEN,
    S_RES_EXISTS,
    S_KV_GET,
    S_AUDIT_OF,
    S_ORDER_AUDIT,
    S_BO_DUE,
    /* claims */
    S_CLAIM_GET,
    S_CLAIM_PUT,
    S_CLAIM_DEL,
    S_CLAIM_HOLDER,
    /* shared limits (the writer's) */
    S_LIMIT_ENSURE,
    S_LIMIT_GET,
    S_LIMIT_PRUNE,
    S_LIMIT_COUNT,
    S_LIMIT_SET,
    S_LIMIT_CALL,
    N_STMTS
} stmt_id;

static const char *const stmt_sql[N_STMTS] = {
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    [S_SAVEPOINT] = "SAVEPOINT req",
    [S_RELEASE] = "RELEASE req",
    [S_ROLLBACK_TO] = "ROLLBACK TO req",
    [S_DEDUP_GET] = "SELECT event_id FROM dedup WHERE key = ?1",
    [S_DEDUP_PUT] = "INSERT INTO dedup(key, event_id, created_at) VALUES (?1, ?2, ?3)"
                    " ON CONFLICT(key) DO NOTHING",
    [S_QUEUE_PUT] = "INSERT INTO queue(source, topic, shop, body, priority, received_at, ready_at)"
                    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
    [S_LEASE_PICK] = "SELECT id, source, topic, shop, body, priority, attempts, received_at,"
                     " last_error FROM queue WHERE leased_until <= ?1 AND ready_at <= ?1"
                     " ORDER BY priority DESC, id LIMIT ?2",
    /* A try counts when it is leased, not when its handler returns: an
     * event whose handler crashes the process still uses up its tries. */
    [S_LEASE_SET] = "UPDATE queue SET leased_until = ?2, attempts = attempts + 1, lease_epoch = ?3"
                    " WHERE id = ?1",
    [S_EPOCH_GET] = "SELECT v FROM meta WHERE k = 'lease_epoch'",
    [S_EPOCH_ADD] = "UPDATE meta SET v = v + ?1 WHERE k = 'lease_epoch'",
    [S_QUEUE_EPOCH] = "SELECT lease_epoch FROM queue WHERE id = ?1",
    [S_QUEUE_DEL] = "DELETE FROM queue WHERE id = ?1",
    [S_DONE_ADD] = "UPDATE meta SET v = v + ?1 WHERE k = 'done'",
    [S_UNLEASE] = "UPDATE queue SET leased_until = 0, attempts = max(attempts - 1, 0)"
                  " WHERE id = ?1 AND leased_until > 0",
    [S_RETRY] = "UPDATE queue SET last_error = ?3, leased_until = 0,"
                " ready_at = ?2 WHERE id = ?1",
    [S_TO_DLQ] = "INSERT INTO dlq(id, source, topic, shop, body, priority, attempts, received_at,"
                 " last_error, reason, dead_at) SELECT id, source, topic, shop, body, priority,"
                 " attempts, received_at, last_error, ?2, ?3 FROM queue WHERE id = ?1",
    [S_FROM_DLQ] = "INSERT INTO queue(id, source, topic, shop, body, priority, attempts,"
                   " received_at, ready_at, leased_until, last_error) SELECT id, source, topic,"
                   " shop, body, priority, 0, received_at, ?2, 0, NULL FROM dlq WHERE id = ?1",
    [S_DLQ_DEL] = "DELETE FROM dlq WHERE id = ?1",
    [S_IDEM_CLAIM] = "INSERT INTO idem(key, value) VALUES (?1, ?2) ON CONFLICT(key) DO NOTHING",
    [S_IDEM_GET] = "SELECT value FROM idem WHERE key = ?1",
    [S_IDEM_SET] = "INSERT INTO idem(key, value) VALUES (?1, ?2)"
                   " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    [S_RESERVE] = "INSERT INTO reservations(shop, order_id, sku, qty, placed_at)"
                  " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
    /* The earliest moment wins when a send, push or release is reported
     * twice. */
    [S_RES_SENT] = "UPDATE reservations SET sent_at = min(coalesce(sent_at, ?3), ?3)"
                   " WHERE shop = ?1 AND order_id = ?2",
    [S_RES_PUSHED] = "UPDATE reservations SET pushed_at = min(coalesce(pushed_at, ?3), ?3),"
                     " closed_at = min(coalesce(closed_at, ?3), ?3)"
                     " WHERE shop = ?1 AND order_id = ?2",
    [S_RES_RELEASED] = "UPDATE reservations SET released_at = min(coalesce(released_at, ?3), ?3),"
                       " closed_at = min(coalesce(closed_at, ?3), ?3)"
                       " WHERE shop = ?1 AND order_id = ?2",
    [S_LEDGER_PRUNE] = "DELETE FROM reservations WHERE closed_at < ?1",
    /* A hold open keeps the larger figure; a settled one stays so. */
    [S_BO_HOLD] = "INSERT INTO backorders(sale_id, sku, shop, order_id, qty, held_at)"
                  " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(sale_id, sku)"
                  " DO UPDATE SET qty = max(qty, excluded.qty) WHERE closed_at IS NULL",
    [S_BO_SETTLE_SALE] = "UPDATE backorders SET closed_at = ?2 WHERE sale_id = ?1"
                         " AND closed_at IS NULL",
    [S_BO_SETTLE_ORDER] = "UPDATE backorders SET closed_at = ?3 WHERE shop = ?1"
                          " AND order_id = ?2 AND closed_at IS NULL",
    [S_BO_CHECKED] = "UPDATE backorders SET checked_at = ?2 WHERE sale_id = ?1",
    [S_BO_PRUNE] = "DELETE FROM backorders WHERE closed_at < ?1",
    [S_DEDUP_PRUNE] = "DELETE FROM dedup WHERE created_at < ?1",
    [S_HK_DEDUP] = "DELETE FROM dedup WHERE key IN"
                   " (SELECT key FROM dedup WHERE created_at < ?1 LIMIT ?2)",
    [S_HK_HISTORY] = "DELETE FROM history WHERE (shop, order_id, sku) IN"
                     " (SELECT shop, order_id, sku FROM history WHERE placed_at < ?1 LIMIT ?2)",
    [S_HK_AUDIT] = "DELETE FROM audit WHERE id IN (SELECT id FROM audit WHERE t < ?1 LIMIT ?2)",
    [S_HK_ORDER_EVENTS] = "DELETE FROM order_events WHERE (order_id, event_id) IN"
                          " (SELECT order_id, event_id FROM order_events WHERE event_id <"
                          " coalesce((SELECT min(event_id) FROM audit WHERE event_id > 0),"
                          " 9223372036854775807)"
                          " AND NOT EXISTS (SELECT 1 FROM queue q WHERE q.id = order_events.event_id)"
                          " AND NOT EXISTS (SELECT 1 FROM dlq d WHERE d.id = order_events.event_id)"
                          " LIMIT ?1)",
    [S_HK_BODIES] = "UPDATE writes SET body = NULL WHERE id IN (SELECT id FROM writes"
                    " WHERE state IN (1, 2) AND updated_at < ?1 AND body IS NOT NULL LIMIT ?2)",
    [S_WRITE_INTENT] = "INSERT INTO writes(key, kind, body, state, created_at, updated_at)"
                       " VALUES (?1, ?2, ?3, 0, ?4, ?4) ON CONFLICT(key) DO NOTHING",
    [S_WRITE_GET] = "SELECT state, remote_id FROM writes WHERE key = ?1",
    [S_WRITE_OUTCOME] = "UPDATE writes SET state = ?2, remote_id = ?3, updated_at = ?4"
                        " WHERE key = ?1",
    [S_KV_SET] = "INSERT INTO kv(key, value) VALUES (?1, ?2)"
                 " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    [S_KV_DEL] = "DELETE FROM kv WHERE key = ?1",
    [S_AUDIT_PUT] = "INSERT INTO audit(event_id, t, what, detail) VALUES (?1, ?2, ?3, ?4)",
    [S_ORDER_EVENT_PUT] = "INSERT INTO order_events(order_id, event_id, shop, topic)"
                          " VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
    /* One statement, so the figures come from one snapshot. The
     * redundant "> 0" lets the planner use the partial index. The oldest
     * queued event is the one of the lowest id (ids grow with arrival; a
     * requeued dead letter keeps its id and its arrival): one step down
     * the rowid b-tree, not a scan. */
    [S_COUNTS] = "SELECT (SELECT count(*) FROM queue),"
                 " (SELECT count(*) FROM queue WHERE leased_until > ?1 AND leased_until > 0),"
                 " (SELECT count(*) FROM dlq),"
                 " coalesce((SELECT v FROM meta WHERE k = 'done'), 0),"
                 " (SELECT received_at FROM queue ORDER BY id LIMIT 1)",
    [S_DLQ_LIST] = "SELECT id, source, topic, shop, reason, attempts, received_at, dead_at, body"
                   " FROM dlq ORDER BY dead_at DESC, id DESC LIMIT ?1",
    [S_PENDING] = "SELECT (SELECT total(qty) FROM reservations WHERE sku = ?1 AND closed_at IS NULL)"
                  " + (SELECT total(qty) FROM reservations WHERE sku = ?1 AND closed_at >= ?2)"
                  " + (SELECT total(qty) FROM backorders WHERE sku = ?1 AND closed_at IS NULL)"
                  " + (SELECT total(qty) FROM backorders WHERE sku = ?1 AND closed_at >= ?2)",
    [S_IN_FLIGHT] = "SELECT (SELECT total(qty) FROM reservations"
                    "         WHERE sku = ?1 AND closed_at IS NULL AND sent_at <= ?2)"
                    " + (SELECT total(qty) FROM reservations"
                    "     WHERE sku = ?1 AND closed_at >= ?2 AND sent_at <= ?2)",
    [S_HISTORY_ADD] = "INSERT INTO history(shop, order_id, sku, qty, placed_at)"
                      " VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
    [S_HISTORY_CANCEL] = "UPDATE history SET cancelled = 1 WHERE shop = ?1 AND order_id = ?2",
    [S_HISTORY_UNITS] = "SELECT total(qty) FROM history"
                        " WHERE sku = ?1 AND placed_at >= ?2 AND placed_at < ?3 AND cancelled = 0",
    [S_UNITS_KNOWN] = "SELECT total(qty) FROM reservations"
                      " WHERE sku = ?2 AND shop = ?1 AND released_at IS NULL",
    [S_PLACED_BETWEEN] = "SELECT total(qty) FROM reservations"
                         " WHERE sku = ?1 AND placed_at >= ?2 AND placed_at < ?3"
                         " AND released_at IS NULL",
    [S_RES_EXISTS] = "SELECT count(*) FROM reservations WHERE shop = ?1 AND order_id = ?2",
    [S_KV_GET] = "SELECT value FROM kv WHERE key = ?1",
    [S_BO_DUE] = "SELECT sale_id FROM backorders WHERE sku = ?1 AND closed_at IS NULL"
                 " AND (checked_at IS NULL OR checked_at < ?2)"
                 " GROUP BY sale_id ORDER BY min(held_at), sale_id LIMIT ?3",
    [S_AUDIT_OF] = "SELECT t, what, detail FROM audit WHERE event_id = ?1 ORDER BY id",
    /* An event not handled yet has no audit row: it shows with a null
     * what. */
    [S_ORDER_AUDIT] = "SELECT o.event_id, o.shop, o.topic, a.t, a.what, a.detail"
                      " FROM order_events o LEFT JOIN audit a ON a.event_id = o.event_id"
                      " WHERE o.order_id = ?1 ORDER BY o.event_id, a.id LIMIT ?2",
    /* claims */
    [S_CLAIM_GET] = "SELECT holder, until, epoch FROM claims WHERE name = ?1",
    [S_CLAIM_PUT] = "INSERT INTO claims(name, holder, until, epoch) VALUES (?1, ?2, ?3, ?4)"
                    " ON CONFLICT(name) DO UPDATE SET holder = excluded.holder,"
                    " until = excluded.until, epoch = excluded.epoch",
    [S_CLAIM_DEL] = "DELETE FROM claims WHERE name = ?1 AND holder = ?2",
    [S_CLAIM_HOLDER] = "SELECT holder, until, epoch FROM claims WHERE name = ?1 AND until > ?2",
    /* shared limits */
    [S_LIMIT_ENSURE] = "INSERT INTO limits(name) VALUES (?1) ON CONFLICT(name) DO NOTHING",
    [S_LIMIT_GET] = "SELECT rate, level, at, paused_until FROM limits WHERE name = ?1",
    /* Rows are kept a second window: a caller whose clock lags the
     * pruner's still counts the calls of its own window. */
    [S_LIMIT_PRUNE] = "DELETE FROM limit_calls WHERE name = ?1 AND at <= ?2",
    [S_LIMIT_COUNT] = "SELECT count(*), coalesce(min(at), 0) FROM limit_calls"
                      " WHERE name = ?1 AND at > ?2",
    [S_LIMIT_SET] = "UPDATE limits SET rate = ?2, level = ?3, at = ?4, paused_until = ?5"
                    " WHERE name = ?1",
    [S_LIMIT_CALL] = "INSERT INTO limit_calls(name, at) VALUES (?1, ?2)",
};

/* ---- write requests ------------------------------------------------------------ */

typedef enum {
    OP_ENQUEUE,
    OP_DEAD_ON_ARRIVAL,
    OP_LEASE,
    OP_ACK,
    OP_RETRY,
    OP_UNLEASE,
    OP_DEAD,
    OP_REQUEUE,
    OP_IDEM_CLAIM,
    OP_IDEM_SET,
    OP_RESERVE,
    OP_HISTORY,
    OP_HISTORY_CANCEL,
    OP_RES_SENT,
    OP_RES_PUSHED,
    OP_RES_RELEASED,
    OP_LEDGER_PRUNE,
    OP_BO_HOLD,
    OP_BO_SETTLE,
    OP_BO_CHECKED,
    OP_DEDUP_PRUNE,
    OP_HOUSEKEEP,
    OP_WRITE_INTENT,
    OP_WRITE_OUTCOME,
    OP_KV_SET,
    OP_AUDIT,
    OP_CLAIM,
    OP_RELEASE,
    OP_LIMIT, /* shared limits */
} op_kind;

/*
 * One queued write. Synchronous requests live on the caller's stack and
 * their strings are borrowed: the caller sleeps until done is set, so they
 * outlive the request. An audit request is not waited on, so it is
 * heap-allocated with its own copies and the writer frees it.
 */
typedef struct wreq {
    struct wreq *next;
    op_kind op;
    int async;
    union {
        struct {
            const store_event_in *ev;
            const char *reason; /* dead on arrival only */
        } enq;
        struct {
            int64_t now, lease_ms;
            store_event **out;
            size_t max;
        } lease;
        struct {
            int64_t id, t;
            const char *text;
            int64_t epoch; /* the caller's lease (settling calls) */
        } ev;
        struct {
            const char *key, *value;
        } kv;
        struct {
            const char *shop, *order_id, *sku;
            int64_t qty, t;
        } res;
        struct {
            const char *shop, *order_id, *sale_id, *sku;
            int64_t qty, t;
        } bo;
        struct {
            const char *key, *kind, *body, *remote_id;
            int state;
            int64_t now;
        } wr;
        struct {
            int64_t event_id, t;
            char *what, *detail; /* owned */
        } audit;
        int64_t before;
        struct {
            const store_cutoffs *before;
            int64_t batch;
            store_pruned *out; /* written in the transaction, kept only if it commits */
        } hk;
        struct {
            const char *const *names;
            size_t n;
            const char *holder;
            int64_t now, ttl_ms;
            store_claim_state *out;
        } claim; /* release: names[0] */
        struct {
            const store_limit_op *op;
            store_limit row;  /* result */
            int64_t wait_ms;  /* result */
        } limit;
    } in;
    /* The lease it is written for (store_act_for); for_id 0: none. */
    int64_t for_id, for_epoch;
    /* Results, handed over only once the transaction has committed. */
    int rc;
    int64_t id;   /* enqueue: the event's id; prunes: rows removed */
    size_t n;     /* lease: events filled */
    char *str;    /* idem claim: existing value; write intent: remote id */
    int state;    /* write intent: existing state */
    int done;
    pthread_cond_t cv;
} wreq;

struct sq {
    store base; /* first: a store * points here */
    sqlite3 *wdb;                /* the writer thread's (before it starts: open's) */
    sqlite3_stmt *wst[N_STMTS];
    sqlite3 *rdb;                /* read-only use, under rmu */
    sqlite3_stmt *rst[N_STMTS];
    pthread_mutex_t rmu;

    pthread_mutex_t mu;          /* guards everything below */
    pthread_cond_t work;         /* writer waits here for requests */
    wreq *head, *tail;
    int stop;
    int64_t commits;
    int64_t duplicates;

    size_t group_max;
    int version;
    pthread_t writer;
};

typedef struct sq sq;

/* ---- small helpers ---------------------------------------------------------- */

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static int db_fail(sqlite3 *db, const char *what)
{
    log_error("store: %s: %s", what, sqlite3_errmsg(db));
    return -1;
}

static sqlite3_stmt *stmt(sqlite3 *db, sqlite3_stmt **cache, stmt_id id)
{
    if (!cache[id]) {
        if (sqlite3_prepare_v3(db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &cache[id],
                               NULL) != SQLITE_OK) {
            db_fail(db, stmt_sql[id]);
            cache[id] = NULL;
        }
    }
    return cache[id];
}

/* Ends a use of a cached statement. Clearing the bindings drops the
 * pointers to the caller's strings, which do not outlive the call. */
static void finish(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

/* Binds ps[0..n) to ?1..?n: SQLITE_OK, or the first error. Strings are
 * borrowed (SQLITE_STATIC): finish() drops them before the call returns. */
static int bind(sqlite3_stmt *st, const param *ps, int n)
{
    int rc = SQLITE_OK;
    for (int i = 0; i < n && rc == SQLITE_OK; i++) {
        const param *p = &ps[i];
        if (p->kind == P_INT)
            rc = sqlite3_bind_int64(st, i + 1, p->num);
        else if (p->kind == P_BLOB)
            rc = sqlite3_bind_blob(st, i + 1, p->str ? p->str : "", (int)p->num, SQLITE_STATIC);
        else if (p->str)
            rc = sqlite3_bind_text(st, i + 1, p->str, -1, SQLITE_STATIC);
        else
            rc = sqlite3_bind_null(st, i + 1);
    }
    return rc;
}

/* Steps a statement that returns no rows and ends its use: 0 or -1. */
static int run(sqlite3 *db, sqlite3_stmt *st, int bound)
{
    int rc = bound == SQLITE_OK ? sqlite3_step(st) : bound;
    finish(st);
    if (rc != SQLITE_DONE)
        return db_fail(db, sqlite3_sql(st));
    return 0;
}

static char *col_str(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? xstrdup((const char *)t) : NULL;
}

static int exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        set_err(err, errlen, "%s", msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static void free_events(store_event **ev, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        store_event_free(ev[i]);
        ev[i] = NULL;
    }
}

/* ---- the writer's operations --------------------------------------------------
 * Each runs inside the group's transaction and its own savepoint, returns
 * the caller's result (>= 0) or -1, and leaves no results behind on -1. */

#define W(id) stmt(s->wdb, s->wst, (id))

/* Runs one of the writer's statements that returns no rows: 0 or -1. */
static int wrun(sq *s, stmt_id id, const param *ps, int n)
{
    sqlite3_stmt *st = W(id);
    return st ? run(s->wdb, st, bind(st, ps, n)) : -1;
}

/* Whether the last statement changed no row (the id or key was not there). */
static int unchanged(sq *s)
{
    return sqlite3_changes(s->wdb) == 0;
}

static int op_enqueue(sq *s, wreq *r)
{
    const store_event_in *ev = r->in.enq.ev;
    sqlite3_stmt *st = W(S_DEDUP_GET);
    if (!st)
        return -1;
    for (int k = 0; k < 4; k++) {
        if (!ev->dedup[k])
            continue;
        int rc = bind(st, ARGS(TEXT(ev->dedup[k])));
        if (rc == SQLITE_OK)
            rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            r->id = sqlite3_column_int64(st, 0);
            finish(st);
            return STORE_DUPLICATE;
        }
        finish(st);
        if (rc != SQLITE_DONE)
            return db_fail(s->wdb, "dedup lookup");
    }

    if (wrun(s, S_QUEUE_PUT, ARGS(TEXT(ev->source), TEXT(ev->topic), TEXT(ev->shop),
                                  BLOB(ev->body, ev->body_len), INT(ev->priority), INT(ev->now))) < 0)
        return -1;
    int64_t id = sqlite3_last_insert_rowid(s->wdb);
    if (ev->order_id && wrun(s, S_ORDER_EVENT_PUT, ARGS(TEXT(ev->order_id), INT(id), TEXT(ev->shop),
                                                        TEXT(ev->topic))) < 0)
        return -1;
    for (int k = 0; k < 4; k++)
        if (ev->dedup[k] &&
            wrun(s, S_DEDUP_PUT, ARGS(TEXT(ev->dedup[k]), INT(id), INT(ev->now))) < 0)
            return -1;

    /* Dead on arrival: through the queue table so the id comes from the
     * one sequence. */
    if (r->op == OP_DEAD_ON_ARRIVAL &&
        (wrun(s, S_TO_DLQ, ARGS(INT(id), TEXT(r->in.enq.reason), INT(ev->now))) < 0 ||
         wrun(s, S_QUEUE_DEL, ARGS(INT(id))) < 0))
        return -1;
    r->id = id;
    return STORE_NEW;
}

static store_event *event_from_row(sqlite3_stmt *st)
{
    store_event *e = xcalloc(1, sizeof *e);
    e->id = sqlite3_column_int64(st, 0);
    e->source = col_str(st, 1);
    e->topic = col_str(st, 2);
    e->shop = col_str(st, 3);
    const void *body = sqlite3_column_blob(st, 4);
    e->body_len = (size_t)sqlite3_column_bytes(st, 4);
    e->body = xmalloc(e->body_len + 1);
    if (e->body_len)
        memcpy(e->body, body, e->body_len);
    e->body[e->body_len] = '\0';
    e->priority = sqlite3_column_int(st, 5);
    e->attempts = sqlite3_column_int(st, 6);
    e->received_at = sqlite3_column_int64(st, 7);
    e->last_error = col_str(st, 8);
    return e;
}

/* The last epoch handed out, or -1. */
static int64_t read_epoch(sq *s)
{
    sqlite3_stmt *st = W(S_EPOCH_GET);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    finish(st);
    if (rc != SQLITE_ROW)
        db_fail(s->wdb, "lease epoch");
    return v;
}

/* The fencing check, in the transaction of the write it guards: 0 when
 * epoch is event id's latest lease, 1 when the event is not in the queue,
 * STORE_FENCED when it was leased again since, -1 on error. A database
 * kept at an older schema (tests only) has no epochs to check. */
static int fence(sq *s, int64_t id, int64_t epoch)
{
    if (s->version < 7)
        return 0;
    sqlite3_stmt *st = W(S_QUEUE_EPOCH);
    if (!st)
        return -1;
    int b = bind(st, ARGS(INT(id)));
    int rc = b ? b : sqlite3_step(st);
    int64_t latest = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    finish(st);
    if (rc == SQLITE_DONE)
        return 1;
    if (rc != SQLITE_ROW)
        return db_fail(s->wdb, "lease epoch of an event");
    return latest == epoch ? 0 : STORE_FENCED;
}

/* The fencing check of a settling call, which carries its own epoch. */
static int fence_settle(sq *s, const wreq *r)
{
    return fence(s, r->in.ev.id, r->in.ev.epoch);
}

/* Whether r is written for a lease (store_act_for) that is no longer its
 * event's: then it is refused (said in the log) and not applied. Enqueue
 * and lease are no event's writes and the settling calls fence
 * themselves, so only the other writes are checked. Returns 1 when
 * refused, 0 when r may be applied, -1 on error. */
static int superseded(sq *s, const wreq *r)
{
    switch (r->op) {
    case OP_ENQUEUE:
    case OP_DEAD_ON_ARRIVAL:
    case OP_LEASE:
    case OP_ACK:
    case OP_RETRY:
    case OP_UNLEASE:
    case OP_DEAD:
    case OP_REQUEUE:
    case OP_CLAIM:
    case OP_RELEASE: return 0;
    case OP_LIMIT: return 0; /* a budget is spent by calls, whoever's lease they serve */
    default: break;
    }
    if (!r->for_id)
        return 0;
    int f = fence(s, r->for_id, r->for_epoch);
    if (f <= 0)
        return f;
    log_warn("store: a write for event %lld refused: its lease (epoch %lld) %s",
             (long long)r->for_id, (long long)r->for_epoch,
             f == STORE_FENCED ? "was taken over" : "ended, the event left the queue");
    return 1;
}

static int op_lease(sq *s, wreq *r)
{
    sqlite3_stmt *pick = W(S_LEASE_PICK);
    if (!pick)
        return -1;
    /* Read the batch first, then mark it: updating rows of the index a
     * running SELECT walks is best avoided. */
    int64_t max = r->in.lease.max > INT_MAX ? INT_MAX : (int64_t)r->in.lease.max;
    int b = bind(pick, ARGS(INT(r->in.lease.now), INT(max)));
    int rc = b;
    size_t n = 0;
    while (b == SQLITE_OK && (rc = sqlite3_step(pick)) == SQLITE_ROW)
        r->in.lease.out[n++] = event_from_row(pick);
    finish(pick);
    if (rc != SQLITE_DONE) {
        free_events(r->in.lease.out, n);
        return db_fail(s->wdb, "lease");
    }
    /* The batch takes the next n epochs; the single writer makes the read
     * and the bump one step. */
    int64_t epoch = n ? read_epoch(s) : 0;
    if (epoch < 0 || (n && wrun(s, S_EPOCH_ADD, ARGS(INT((int64_t)n))) < 0)) {
        free_events(r->in.lease.out, n);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        store_event *e = r->in.lease.out[i];
        e->epoch = epoch + 1 + (int64_t)i;
        int64_t until = r->in.lease.now + r->in.lease.lease_ms;
        if (wrun(s, S_LEASE_SET, ARGS(INT(e->id), INT(until), INT(e->epoch))) < 0) {
            free_events(r->in.lease.out, n);
            return -1;
        }
        e->attempts++;
    }
    r->n = n;
    return (int)n;
}

static int op_ack(sq *s, wreq *r)
{
    int f = fence_settle(s, r);
    if (f != 0)
        return f;
    if (wrun(s, S_QUEUE_DEL, ARGS(INT(r->in.ev.id))) < 0)
        return -1;
    if (unchanged(s))
        return 1;
    return wrun(s, S_DONE_ADD, ARGS(INT(1)));
}

static int op_retry(sq *s, wreq *r)
{
    int f = fence_settle(s, r);
    if (f != 0)
        return f;
    if (wrun(s, S_RETRY, ARGS(INT(r->in.ev.id), INT(r->in.ev.t), TEXT(r->in.ev.text))) < 0)
        return -1;
    return unchanged(s) ? 1 : 0;
}

static int op_unlease(sq *s, wreq *r)
{
    int f = fence_settle(s, r);
    if (f != 0)
        return f;
    if (wrun(s, S_UNLEASE, ARGS(INT(r->in.ev.id))) < 0)
        return -1;
    return unchanged(s) ? 1 : 0;
}

/* Moves a row between queue and dlq: copy then delete, both by id. */
static int op_move(sq *s, wreq *r, stmt_id copy, stmt_id del)
{
    int64_t id = r->in.ev.id;
    int f = copy == S_TO_DLQ ? fence_settle(s, r) : 0; /* a requeue settles no lease */
    if (f != 0)
        return f;
    int rc = copy == S_TO_DLQ ? wrun(s, copy, ARGS(INT(id), TEXT(r->in.ev.text), INT(r->in.ev.t)))
                              : wrun(s, copy, ARGS(INT(id), INT(r->in.ev.t)));
    if (rc < 0)
        return -1;
    if (unchanged(s))
        return 1;
    return wrun(s, del, ARGS(INT(id)));
}

/* After an INSERT ... DO NOTHING found key taken: steps lookup (keyed by
 * ?1) to the row in the way. Returns the statement on that row, which the
 * caller reads and then finish()es, or NULL (logged as what). */
static sqlite3_stmt *existing_row(sq *s, stmt_id lookup, const char *key, const char *what)
{
    sqlite3_stmt *get = W(lookup);
    if (!get)
        return NULL;
    int b = bind(get, ARGS(TEXT(key)));
    int rc = b ? b : sqlite3_step(get);
    if (rc == SQLITE_ROW)
        return get;
    finish(get);
    db_fail(s->wdb, what);
    return NULL;
}

static int op_idem_claim(sq *s, wreq *r)
{
    if (wrun(s, S_IDEM_CLAIM, ARGS(TEXT(r->in.kv.key), TEXT(r->in.kv.value))) < 0)
        return -1;
    if (sqlite3_changes(s->wdb) == 1)
        return 1;
    sqlite3_stmt *get = existing_row(s, S_IDEM_GET, r->in.kv.key, "idem lookup");
    if (!get)
        return -1;
    r->str = col_str(get, 0);
    finish(get);
    return 0;
}

static int op_write_intent(sq *s, wreq *r)
{
    if (wrun(s, S_WRITE_INTENT, ARGS(TEXT(r->in.wr.key), TEXT(r->in.wr.kind), TEXT(r->in.wr.body),
                                     INT(r->in.wr.now))) < 0)
        return -1;
    if (sqlite3_changes(s->wdb) == 1)
        return 1;
    sqlite3_stmt *get = existing_row(s, S_WRITE_GET, r->in.wr.key, "write ledger lookup");
    if (!get)
        return -1;
    r->state = sqlite3_column_int(get, 0);
    r->str = col_str(get, 1);
    finish(get);
    return 0;
}

static int op_write_outcome(sq *s, wreq *r)
{
    if (wrun(s, S_WRITE_OUTCOME, ARGS(TEXT(r->in.wr.key), INT(r->in.wr.state),
                                      TEXT(r->in.wr.remote_id), INT(r->in.wr.now))) < 0)
        return -1;
    return unchanged(s) ? 1 : 0;
}

static int op_prune(sq *s, wreq *r, stmt_id id)
{
    if (wrun(s, id, ARGS(INT(r->in.before))) < 0)
        return -1;
    r->id = sqlite3_changes(s->wdb);
    return 0;
}

static int op_claim(sq *s, wreq *r);

/* One housekeeping round (store_housekeep): each kind whose cutoff is
 * set, at most batch rows of it. */
static int op_housekeep(sq *s, wreq *r)
{
    const store_cutoffs *c = r->in.hk.before;
    int64_t n = r->in.hk.batch;
    store_pruned *out = r->in.hk.out;
    struct {
        stmt_id id;
        int64_t before;
        int64_t *count;
    } steps[] = {{S_HK_DEDUP, c->dedup, &out->dedup},
                 {S_HK_HISTORY, c->history, &out->history},
                 {S_HK_AUDIT, c->audit, &out->audit},
                 {S_HK_BODIES, c->bodies, &out->bodies}};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
        if (steps[i].before == INT64_MIN)
            continue;
        if (wrun(s, steps[i].id, ARGS(INT(steps[i].before), INT(n))) < 0)
            return -1;
        *steps[i].count = sqlite3_changes(s->wdb);
    }
    if (c->audit != INT64_MIN) {
        if (wrun(s, S_HK_ORDER_EVENTS, ARGS(INT(n))) < 0)
            return -1;
        out->order_events = sqlite3_changes(s->wdb);
    }
    return 0;
}

/* ---- shared limits: the writer serialises every budget's calls ------------------ */

/* Steps a statement of the writer keyed by the budget's name (and a time
 * after which calls count, for S_LIMIT_COUNT) that yields one row; the
 * statement on it (finish() it), or NULL (logged). */
static sqlite3_stmt *limit_row(sq *s, stmt_id id, const char *name, int64_t after)
{
    sqlite3_stmt *st = W(id);
    if (!st)
        return NULL;
    const param ps[] = {TEXT(name), INT(after)};
    int b = bind(st, ps, id == S_LIMIT_COUNT ? 2 : 1);
    if ((b ? b : sqlite3_step(st)) == SQLITE_ROW)
        return st;
    finish(st);
    db_fail(s->wdb, stmt_sql[id]);
    return NULL;
}

static int op_limit(sq *s, wreq *r)
{
    const store_limit_op *op = r->in.limit.op;
    store_limit *row = &r->in.limit.row;
    if (wrun(s, S_LIMIT_ENSURE, ARGS(TEXT(op->name))) < 0)
        return -1;
    sqlite3_stmt *st = limit_row(s, S_LIMIT_GET, op->name, 0);
    if (!st)
        return -1;
    *row = (store_limit){sqlite3_column_double(st, 0), sqlite3_column_double(st, 1),
                         sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3)};
    finish(st);
    int64_t n = 0, oldest = 0;
    if (op->kind == LIMIT_TAKE_CALL) {
        if (wrun(s, S_LIMIT_PRUNE, ARGS(TEXT(op->name), INT(op->now - 2 * op->window_ms))) < 0 ||
            !(st = limit_row(s, S_LIMIT_COUNT, op->name, op->now - op->window_ms)))
            return -1;
        n = sqlite3_column_int64(st, 0);
        oldest = sqlite3_column_int64(st, 1);
        finish(st);
    }
    int record = 0;
    int rc = store_limit_apply(op, row, n, oldest, &r->in.limit.wait_ms, &record);
    /* A refused take changed nothing but the calls pruned. */
    int refused = (op->kind == LIMIT_TAKE_CALL || op->kind == LIMIT_TAKE_COST) && rc == 0;
    if (rc < 0 || op->kind == LIMIT_GET || refused)
        return rc;
    char rate[32], level[32];
    snprintf(rate, sizeof rate, "%.17g", row->rate);
    snprintf(level, sizeof level, "%.17g", row->level);
    if (wrun(s, S_LIMIT_SET, ARGS(TEXT(op->name), TEXT(row->rate != 0 ? rate : NULL), TEXT(level),
                                  INT(row->at), INT(row->paused_until))) < 0)
        return -1;
    for (int i = 0; i < record; i++)
        if (wrun(s, S_LIMIT_CALL, ARGS(TEXT(op->name), INT(op->now))) < 0)
            return -1;
    return rc;
}

static int apply(sq *s, wreq *r)
{
    switch (r->op) {
    case OP_ENQUEUE:
    case OP_DEAD_ON_ARRIVAL: return op_enqueue(s, r);
    case OP_LEASE: return op_lease(s, r);
    case OP_ACK: return op_ack(s, r);
    case OP_RETRY: return op_retry(s, r);
    case OP_UNLEASE: return op_unlease(s, r);
    case OP_DEAD: return op_move(s, r, S_TO_DLQ, S_QUEUE_DEL);
    case OP_REQUEUE: return op_move(s, r, S_FROM_DLQ, S_DLQ_DEL);
    case OP_IDEM_CLAIM: return op_idem_claim(s, r);
    case OP_IDEM_SET: return wrun(s, S_IDEM_SET, ARGS(TEXT(r->in.kv.key), TEXT(r->in.kv.value)));
    case OP_RESERVE:
    case OP_HISTORY:
        return wrun(s, r->op == OP_RESERVE ? S_RESERVE : S_HISTORY_ADD,
                    ARGS(TEXT(r->in.res.shop), TEXT(r->in.res.order_id), TEXT(r->in.res.sku),
                         INT(r->in.res.qty), INT(r->in.res.t)));
    case OP_HISTORY_CANCEL:
        return wrun(s, S_HISTORY_CANCEL, ARGS(TEXT(r->in.res.shop), TEXT(r->in.res.order_id)));
    case OP_RES_SENT:
    case OP_RES_PUSHED:
    case OP_RES_RELEASED:
        return wrun(s,
                    r->op == OP_RES_SENT     ? S_RES_SENT
                    : r->op == OP_RES_PUSHED ? S_RES_PUSHED
                                             : S_RES_RELEASED,
                    ARGS(TEXT(r->in.res.shop), TEXT(r->in.res.order_id), INT(r->in.res.t)));
    case OP_LEDGER_PRUNE:
        if (op_prune(s, r, S_BO_PRUNE) < 0)
            return -1;
        return op_prune(s, r, S_LEDGER_PRUNE);
    case OP_BO_HOLD:
        return wrun(s, S_BO_HOLD, ARGS(TEXT(r->in.bo.sale_id), TEXT(r->in.bo.sku),
                                       TEXT(r->in.bo.shop), TEXT(r->in.bo.order_id),
                                       INT(r->in.bo.qty), INT(r->in.bo.t)));
    case OP_BO_SETTLE:
        if (r->in.bo.sale_id)
            return wrun(s, S_BO_SETTLE_SALE, ARGS(TEXT(r->in.bo.sale_id), INT(r->in.bo.t)));
        return wrun(s, S_BO_SETTLE_ORDER,
                    ARGS(TEXT(r->in.bo.shop), TEXT(r->in.bo.order_id), INT(r->in.bo.t)));
    case OP_BO_CHECKED:
        return wrun(s, S_BO_CHECKED, ARGS(TEXT(r->in.bo.sale_id), INT(r->in.bo.t)));
    case OP_DEDUP_PRUNE: return op_prune(s, r, S_DEDUP_PRUNE);
    case OP_HOUSEKEEP: return op_housekeep(s, r);
    case OP_WRITE_INTENT: return op_write_intent(s, r);
    case OP_WRITE_OUTCOME: return op_write_outcome(s, r);
    case OP_KV_SET:
        if (!r->in.kv.value)
            return wrun(s, S_KV_DEL, ARGS(TEXT(r->in.kv.key)));
        return wrun(s, S_KV_SET, ARGS(TEXT(r->in.kv.key), TEXT(r->in.kv.value)));
    case OP_AUDIT:
        return wrun(s, S_AUDIT_PUT, ARGS(INT(r->in.audit.event_id), INT(r->in.audit.t),
                                         TEXT(r->in.audit.what), TEXT(r->in.audit.detail)));
    case OP_CLAIM: return op_claim(s, r);
    case OP_RELEASE:
        if (wrun(s, S_CLAIM_DEL, ARGS(TEXT(r->in.claim.names[0]), TEXT(r->in.claim.holder))) < 0)
            return -1;
        return unchanged(s) ? 1 : 0;
    case OP_LIMIT: return op_limit(s, r);
    }
    return -1;
}

/* Drops what a request produced when its transaction did not commit. */
static void discard_results(wreq *r)
{
    if (r->op == OP_LEASE) {
        free_events(r->in.lease.out, r->n);
        r->n = 0;
    }
    free(r->str);
    r->str = NULL;
    r->rc = -1;
}

/* ---- the writer thread ----------------------------------------------------- */

/* Runs a transaction statement (BEGIN, SAVEPOINT, COMMIT, ...). */
static int wexec(sq *s, stmt_id id)
{
    return wrun(s, id, NULL, 0);
}

/* Ends a transaction that cannot commit. SQLite may already have rolled it
 * back (I/O error, disk full), in which case there is nothing to end. */
static void abandon(sq *s)
{
    if (!sqlite3_get_autocommit(s->wdb))
        wexec(s, S_ROLLBACK);
}

/* Applies a group in one transaction. Each request runs in a savepoint so
 * one that fails is undone alone and the others still commit. Returns 1
 * when the group committed, 0 when nothing of it did. */
static int run_group(sq *s, wreq *group)
{
    if (wexec(s, S_BEGIN) < 0) {
        abandon(s);
        return 0;
    }
    for (wreq *r = group; r; r = r->next) {
        if (wexec(s, S_SAVEPOINT) < 0)
            goto fail;
        int refused = superseded(s, r);
        r->rc = refused != 0 ? -1 : apply(s, r);
        if (r->rc < 0) {
            if (sqlite3_get_autocommit(s->wdb))
                return 0; /* the error took the whole transaction with it */
            if (wexec(s, S_ROLLBACK_TO) < 0)
                goto fail;
        }
        if (wexec(s, S_RELEASE) < 0)
            goto fail;
    }
    if (wexec(s, S_COMMIT) < 0)
        goto fail;
    return 1;
fail:
    abandon(s);
    return 0;
}

static void *writer_main(void *arg)
{
    sq *s = arg;
    pthread_mutex_lock(&s->mu);
    for (;;) {
        while (!s->head && !s->stop)
            pthread_cond_wait(&s->work, &s->mu);
        if (!s->head)
            break; /* stopping, and everything queued is written */
        wreq *group = s->head, *last = group;
        for (size_t n = 1; last->next && n < s->group_max; n++)
            last = last->next;
        s->head = last->next;
        if (!s->head)
            s->tail = NULL;
        last->next = NULL;
        pthread_mutex_unlock(&s->mu);

        /* Callers arriving while this group is written queue up and form
         * the next group: that is where the shared fsync comes from. */
        int committed = run_group(s, group);

        pthread_mutex_lock(&s->mu);
        if (committed)
            s->commits++;
        wreq *next;
        for (wreq *r = group; r; r = next) {
            next = r->next; /* r may be gone once its caller wakes */
            if (!committed)
                discard_results(r);
            if (r->async) {
                if (r->op == OP_KV_SET) {
                    if (r->rc < 0)
                        log_error("store: kv write lost: %s", r->in.kv.key);
                    free((char *)r->in.kv.key);
                    free((char *)r->in.kv.value);
                } else {
                    if (r->rc < 0)
                        log_error("store: audit row lost: %s", r->in.audit.what);
                    free(r->in.audit.what);
                    free(r->in.audit.detail);
                }
                free(r);
                continue;
            }
            if ((r->op == OP_ENQUEUE || r->op == OP_DEAD_ON_ARRIVAL) && r->rc == STORE_DUPLICATE)
                s->duplicates++;
            r->done = 1;
            pthread_cond_signal(&r->cv);
        }
        /* Give the callers just woken a moment to queue their next write
         * before the next group is taken; otherwise groups alternate between
         * the one or two callers that were quick and all the others (on 2
         * CPUs with 8 callers: 4.0 instead of about 6 writes per commit).
         * A yield, not a timed wait, so a lone caller is not slowed. */
        pthread_mutex_unlock(&s->mu);
        sched_yield();
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* Queues r, noting the lease the calling thread writes for. */
static void push_locked(sq *s, wreq *r)
{
    if (!store_acting_for(&s->base, &r->for_id, &r->for_epoch))
        r->for_id = 0;
    r->next = NULL;
    if (s->tail)
        s->tail->next = r;
    else
        s->head = r;
    s->tail = r;
    pthread_cond_signal(&s->work);
}

/* Queues r for the writer and sleeps until its group has committed (or
 * failed). Returns r->rc. */
static int submit(sq *s, wreq *r)
{
    r->async = 0;
    r->done = 0;
    r->rc = -1;
    pthread_cond_init(&r->cv, NULL);
    pthread_mutex_lock(&s->mu);
    push_locked(s, r);
    while (!r->done)
        pthread_cond_wait(&r->cv, &s->mu);
    pthread_mutex_unlock(&s->mu);
    pthread_cond_destroy(&r->cv);
    return r->rc;
}

/* ---- open, migrate, close ----------------------------------------------------- */

static int read_version(sqlite3 *db, int *out)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

static int migrate(sq *s, int target, char *err, size_t errlen)
{
    int v;
    if (read_version(s->wdb, &v) < 0) {
        set_err(err, errlen, "reading user_version: %s", sqlite3_errmsg(s->wdb));
        return -1;
    }
    if (v > N_MIGRATIONS) {
        set_err(err, errlen, "schema version %d is newer than this build knows (%d)", v,
                N_MIGRATIONS);
        return -1;
    }
    for (; v < target; v++) {
        char msg[256], bump[64];
        snprintf(bump, sizeof bump, "PRAGMA user_version = %d", v + 1);
        if (exec(s->wdb, "BEGIN IMMEDIATE", msg, sizeof msg) < 0 ||
            exec(s->wdb, migrations[v], msg, sizeof msg) < 0 ||
            exec(s->wdb, bump, msg, sizeof msg) < 0 || exec(s->wdb, "COMMIT", msg, sizeof msg) < 0) {
            if (!sqlite3_get_autocommit(s->wdb))
                exec(s->wdb, "ROLLBACK", NULL, 0);
            set_err(err, errlen, "migrating to schema version %d: %s", v + 1, msg);
            return -1;
        }
    }
    s->version = v;
    return 0;
}

/* Opens one connection. Each is used by one thread at a time (the writer,
 * or a reader under rmu), so SQLite's own per-connection mutex is not
 * needed. */
static int open_conn(const char *path, int flags, sqlite3 **db, char *err, size_t errlen)
{
    if (sqlite3_open_v2(path, db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
        set_err(err, errlen, "opening %s: %s", path, *db ? sqlite3_errmsg(*db) : "out of memory");
        sqlite3_close(*db);
        *db = NULL;
        return -1;
    }
    /* Only WAL recovery at first open and the last close's checkpoint can
     * make a connection wait in this single-process design. */
    sqlite3_busy_timeout(*db, 5000);
    return 0;
}

static int setup_writer(sq *s, const char *path, char *err, size_t errlen)
{
    char msg[256];
    if (open_conn(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &s->wdb, err, errlen) < 0)
        return -1;
    /* journal_mode answers with the mode in force: a file system without
     * shared memory would silently keep the rollback journal. */
    sqlite3_stmt *st;
    int wal = 0;
    if (sqlite3_prepare_v2(s->wdb, "PRAGMA journal_mode = WAL", -1, &st, NULL) == SQLITE_OK) {
        if (sqlite3_step(st) == SQLITE_ROW) {
            const unsigned char *mode = sqlite3_column_text(st, 0);
            wal = mode && strcmp((const char *)mode, "wal") == 0;
        }
        sqlite3_finalize(st);
    }
    if (!wal) {
        set_err(err, errlen, "%s: cannot switch to WAL mode: %s", path, sqlite3_errmsg(s->wdb));
        return -1;
    }
    /* In WAL mode only FULL syncs the log at every commit; NORMAL would let
     * a power cut take back events already acknowledged. */
    if (exec(s->wdb, "PRAGMA synchronous = FULL", msg, sizeof msg) < 0) {
        set_err(err, errlen, "%s: %s", path, msg);
        return -1;
    }
    return 0;
}

static void close_conns(sq *s)
{
    for (int i = 0; i < N_STMTS; i++) {
        sqlite3_finalize(s->rst[i]);
        sqlite3_finalize(s->wst[i]);
    }
    /* Readers first: the last connection to close checkpoints the log into
     * the database and removes it. */
    sqlite3_close(s->rdb);
    sqlite3_close(s->wdb);
}

int store_sqlite_open(const char *path, const store_options *opts, store **out, char *err,
                      size_t errlen)
{
    *out = NULL;
    if (!path || !*path || strcmp(path, ":memory:") == 0) {
        set_err(err, errlen, "store needs a file path (\":memory:\" is not durable)");
        return -1;
    }
    if (sqlite3_libversion_number() < 3024000) {
        set_err(err, errlen, "SQLite %s is too old (UPSERT needs 3.24)", sqlite3_libversion());
        return -1;
    }
    int target = opts && opts->schema_version > 0 ? opts->schema_version : STORE_SCHEMA_VERSION;
    if (target > STORE_SCHEMA_VERSION) {
        set_err(err, errlen, "schema version %d does not exist (latest %d)", target,
                STORE_SCHEMA_VERSION);
        return -1;
    }

    sq *s = xcalloc(1, sizeof *s);
    s->group_max = opts && opts->group_commit_max > 0 ? (size_t)opts->group_commit_max : 512;
    char msg[256];
    if (setup_writer(s, path, err, errlen) < 0 || migrate(s, target, err, errlen) < 0)
        goto fail;
    /* This process is the file's only user: leases still set belong to a
     * previous run whose workers are gone, so their events are ready now. */
    if (s->version >= 1 &&
        exec(s->wdb, "UPDATE queue SET leased_until = 0 WHERE leased_until > 0", msg,
             sizeof msg) < 0) {
        set_err(err, errlen, "%s: releasing leases: %s", path, msg);
        goto fail;
    }
    /* Its claims too (claims section below). */
    if (s->version >= 8 &&
        exec(s->wdb, "UPDATE claims SET until = 0 WHERE until > 0", msg, sizeof msg) < 0) {
        set_err(err, errlen, "%s: releasing claims: %s", path, msg);
        goto fail;
    }
    if (open_conn(path, SQLITE_OPEN_READWRITE, &s->rdb, err, errlen) < 0)
        goto fail;
    if (exec(s->rdb, "PRAGMA query_only = 1", msg, sizeof msg) < 0) {
        set_err(err, errlen, "%s: %s", path, msg);
        goto fail;
    }

    pthread_mutex_init(&s->rmu, NULL);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->work, NULL);
    if (pthread_create(&s->writer, NULL, writer_main, s) != 0) {
        set_err(err, errlen, "cannot start the store's writer thread");
        pthread_cond_destroy(&s->work);
        pthread_mutex_destroy(&s->mu);
        pthread_mutex_destroy(&s->rmu);
        goto fail;
    }
    s->base.be = &store_sqlite_backend;
    *out = &s->base;
    return 0;
fail:
    close_conns(s);
    free(s);
    return -1;
}

static void sq_close(store *base)
{
    sq *s = (sq *)base;
    if (!s)
        return;
    pthread_mutex_lock(&s->mu);
    s->stop = 1;
    pthread_cond_signal(&s->work);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->writer, NULL);
    close_conns(s);
    pthread_cond_destroy(&s->work);
    pthread_mutex_destroy(&s->mu);
    pthread_mutex_destroy(&s->rmu);
    free(s);
}

static int sq_schema_version(store *base)
{
    sq *s = (sq *)base;
    return s->version;
}

static int64_t sq_commits(store *base)
{
    sq *s = (sq *)base;
    pthread_mutex_lock(&s->mu);
    int64_t n = s->commits;
    pthread_mutex_unlock(&s->mu);
    return n;
}

/* ---- writes ------------------------------------------------------------------- */

/* store_enqueue and store_dead_on_arrival: one request, two fates. */
static int enqueue(sq *s, op_kind op, const store_event_in *ev, const char *reason, int64_t *id)
{
    wreq r = {.op = op, .in.enq = {ev, reason}};
    int rc = submit(s, &r);
    if (rc > 0 && id)
        *id = r.id;
    return rc;
}

static int sq_enqueue(store *base, const store_event_in *ev, int64_t *id)
{
    sq *s = (sq *)base;
    return enqueue(s, OP_ENQUEUE, ev, NULL, id);
}

static int sq_dead_on_arrival(store *base, const store_event_in *ev, const char *reason,
                              int64_t *id)
{
    sq *s = (sq *)base;
    return enqueue(s, OP_DEAD_ON_ARRIVAL, ev, reason, id);
}

static int sq_lease(store *base, int64_t now, int64_t lease_ms, store_event **out, size_t max)
{
    sq *s = (sq *)base;
    wreq r = {.op = OP_LEASE, .in.lease = {now, lease_ms, out, max}};
    return submit(s, &r);
}

static int sq_ack(store *base, int64_t id, int64_t epoch)
{
    sq *s = (sq *)base;
    wreq r = {.op = OP_ACK, .in.ev = {id, 0, NULL, epoch}};
    return submit(s, &r);
}

static int sq_retry(store *base, int64_t id, int64_t epoch, int64_t ready_at, const char *error)
{
    sq *s = (sq *)base;
    wreq r = {.op = OP_RETRY, .in.ev = {id, ready_at, error, epoch}};
    return submit(s, &r);
}

static int sq_unlease(store *base, int64_t id, int64_t epoch)
{
    sq *s = (sq *)base;
    wreq r = {.op = OP_UNLEASE, .in.ev = {id, 0, NULL, epoch}};
    return submit(s, &r);
}

static int sq_dead(store *base, int64_t id, int64_t epoch, int64_t now, const char *reason)
{
    sq *s = (sq *)base;
    wreq r = {.op = OP_DEAD, .in.ev = {id, now, reason, epoch}};
    return submit(s, &r);
}

static int sq_dlq_requeue(store *base, int64_t id, int64_t now)
{
    sq *s = (sq *)base;
    wreq r = {.op = OP_REQUEUE, .in.ev = {id, now, NULL, 0}};
    return submit(s, &r);
}

static int sq_idem_claim(store *base, const char *key, const char *value, char **existing)
{
    sq *s = (sq *)base;
    wreq r = {.op = OP_IDEM_CLAIM, .in.kv = {key, value}};
    int rc = submit(s, &r);
    if (existing)
        *existing = r.str;
    else
        free(r.str);
    return rc;
}

static int sq_idem_set(store *base, const char *key, const char *value)
{
    sq *s = (sq *)base;
    wreq r = {.op = OP_IDEM_SET, .in.kv = {key, value}};
    return submit(s, &r);
}

static int sq_history_add(store *base, const char *shop, const char *order_id, const char *sku,
                          int64_t qty, int64_t placed_at)
{
    sq *s = (sq *)base;
    wreq r = {.op = OP_HISTORY, .in.res = {shop, order_id, sku, qty, placed_at}};
    return submit(s, &r);
}

static int sq_history_cancel(store *base, const char *shop, const char *order_id)
{
    sq *s = (sq *)base;
    wreq r = {.op = OP_HISTORY_CANCEL, .in.res = {shop, order_id, NULL, 0, 0}};
    return submit(s, &r);
}

static int sq_reserve(store *base, const char *shop, const char *order_id, const char *sku,
                      int64_t qty, int64_t placed_at)
{
    sq *s = (sq *)base;
    wreq r = {.op = OP_RESERVE, .in.res = {shop, order_id, sku, qty, placed_at}};
    return submit(s, &r);
}

static int sq_reservation_sent(store *base, const char *shop, const char *order_id, int64_t sent_at)
{
    sq *s = (sq *)base;
    wreq r = {.op = OP_RES_SENT, .in.res = {shop, order_id, NULL, 0, sent_at}};
    return submit(s, &r);
}

static int sq_reservation_pushed(store *base, const char *shop, const char *order_id,
                                 int64_t pushed_at)
{
    sq *s = (sq *)base;
    wreq r = {.op = OP_RES_PUSHED, .in.res = {shop, order_id, NULL, 0, pushed_at}};
    return submit(s, &r);
}

static int sq_reservation_released(store *base, const char *shop, const char *order_id, int64_t at)
{
    sq *s = (sq *)base;
    wreq r = {.op = OP_RES_RELEASED, .in.res = {shop, order_id, NULL, 0, at}};
    return submit(s, &r);
}

static int sq_backorder_hold(store *base, const char *shop, const char *order_id,
                             const char *sale_id, const char *sku, int64_t qty, int64_t at)
{
    wreq r = {.op = OP_BO_HOLD, .in.bo = {shop, order_id, sale_id, sku, qty, at}};
    return submit((sq *)base, &r);
}

static int sq_backorder_settle(store *base, const char *shop, const char *order_id,
                               const char *sale_id, int64_t t)
{
    wreq r = {.op = OP_BO_SETTLE, .in.bo = {shop, order_id, sale_id, NULL, 0, t}};
    return submit((sq *)base, &r);
}

static int sq_backorder_checked(store *base, const char *sale_id, int64_t t)
{
    wreq r = {.op = OP_BO_CHECKED, .in.bo = {NULL, NULL, sale_id, NULL, 0, t}};
    return submit((sq *)base, &r);
}

static int sq_ledger_prune(store *base, int64_t before)
{
    sq *s = (sq *)base;
    wreq r = {.op = OP_LEDGER_PRUNE, .in.before = before};
    return submit(s, &r) < 0 ? -1 : 0;
}

static int64_t sq_dedup_prune(store *base, int64_t before)
{
    sq *s = (sq *)base;
    wreq r = {.op = OP_DEDUP_PRUNE, .in.before = before};
    return submit(s, &r) < 0 ? -1 : r.id;
}

static int sq_housekeep(store *base, const store_cutoffs *before, int64_t batch,
                        store_pruned *out)
{
    store_pruned got = {0};
    wreq r = {.op = OP_HOUSEKEEP, .in.hk = {before, batch, &got}};
    if (submit((sq *)base, &r) < 0)
        return -1;
    *out = got;
    return 0;
}

static int sq_write_intent(store *base, const char *key, const char *kind, const char *body,
                           int64_t now, int *state, char **remote_id)
{
    sq *s = (sq *)base;
    wreq r = {.op = OP_WRITE_INTENT, .in.wr = {key, kind, body, NULL, 0, now}};
    int rc = submit(s, &r);
    if (rc == 0 && state)
        *state = r.state;
    if (remote_id)
        *remote_id = r.str;
    else
        free(r.str);
    return rc;
}

static int sq_write_outcome(store *base, const char *key, int state, const char *remote_id,
                            int64_t now)
{
    sq *s = (sq *)base;
    wreq r = {.op = OP_WRITE_OUTCOME, .in.wr = {key, NULL, NULL, remote_id, state, now}};
    return submit(s, &r);
}

static int sq_kv_set(store *base, const char *key, const char *value)
{
    sq *s = (sq *)base;
    wreq r = {.op = OP_KV_SET, .in.kv = {key, value}};
    return submit(s, &r);
}

/* Queues r (heap-allocated, its strings its own) without waiting: the
 * writer applies it with the next group and frees it. */
static void submit_async(sq *s, wreq *r)
{
    r->async = 1;
    pthread_mutex_lock(&s->mu);
    push_locked(s, r);
    pthread_mutex_unlock(&s->mu);
}

static void sq_kv_set_async(store *base, const char *key, const char *value)
{
    sq *s = (sq *)base;
    wreq *r = xcalloc(1, sizeof *r);
    r->op = OP_KV_SET;
    r->in.kv.key = xstrdup(key);
    r->in.kv.value = value ? xstrdup(value) : NULL;
    submit_async(s, r);
}

static void sq_audit(store *base, int64_t event_id, int64_t now, const char *what,
                     const char *detail)
{
    sq *s = (sq *)base;
    wreq *r = xcalloc(1, sizeof *r);
    r->op = OP_AUDIT;
    r->in.audit.event_id = event_id;
    r->in.audit.t = now;
    r->in.audit.what = xstrdup(what);
    r->in.audit.detail = detail ? xstrdup(detail) : NULL;
    submit_async(s, r);
}

/* ---- reads ---------------------------------------------------------------------- */

/* Takes the read connection and the statement; NULL (lock released) when
 * it cannot be prepared. read_end releases both. */
static sqlite3_stmt *read_begin(sq *s, stmt_id id)
{
    pthread_mutex_lock(&s->rmu);
    sqlite3_stmt *st = stmt(s->rdb, s->rst, id);
    if (!st)
        pthread_mutex_unlock(&s->rmu);
    return st;
}

/* Resetting ends the statement's read transaction, so the next read sees
 * the latest commit and checkpoints are not held back. */
static void read_end(sq *s, sqlite3_stmt *st)
{
    finish(st);
    pthread_mutex_unlock(&s->rmu);
}

/* The reads below come in three shapes, one function each: one number, one
 * text, a JSON array of rows. */

/* Runs a statement that yields one number (a count or a sum). -1 on error. */
static int64_t read_num(sq *s, stmt_id id, const param *ps, int n)
{
    sqlite3_stmt *st = read_begin(s, id);
    if (!st)
        return -1;
    int b = bind(st, ps, n);
    int rc = b ? b : sqlite3_step(st);
    int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    if (rc != SQLITE_ROW)
        db_fail(s->rdb, sqlite3_sql(st));
    read_end(s, st);
    return v;
}

/* Runs a statement that yields the text of key's row: malloc'd, or NULL
 * when there is no row (or on an error, logged as what). */
/* The text of one row's first column into *v: 1 when the row is there,
 * 0 when not, -1 on an error (logged as what). */
static int read_text(sq *s, stmt_id id, const char *key, const char *what, char **v)
{
    sqlite3_stmt *st = read_begin(s, id);
    if (!st)
        return -1;
    int rc = bind(st, ARGS(TEXT(key)));
    rc = rc ? rc : sqlite3_step(st);
    int got = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
    if (got == 1)
        *v = col_str(st, 0);
    if (got < 0)
        db_fail(s->rdb, what);
    read_end(s, st);
    return got;
}

/* Runs a statement with the parameters ps and makes each row a JSON
 * object with row(): the array (caller frees), or NULL on an error
 * (logged as what). */
static cJSON *read_rows(sq *s, stmt_id id, const param *ps, int n,
                        cJSON *(*row)(sqlite3_stmt *st), const char *what)
{
    sqlite3_stmt *st = read_begin(s, id);
    if (!st)
        return NULL;
    cJSON *arr = cJSON_CreateArray();
    int rc = bind(st, ps, n);
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        cJSON_AddItemToArray(arr, row(st));
        rc = SQLITE_OK;
    }
    if (rc != SQLITE_DONE) {
        db_fail(s->rdb, what);
        cJSON_Delete(arr);
        arr = NULL;
    }
    read_end(s, st);
    return arr;
}

/* The same for a statement of one number parameter. */
static cJSON *read_array(sq *s, stmt_id id, int64_t arg, cJSON *(*row)(sqlite3_stmt *st),
                         const char *what)
{
    return read_rows(s, id, ARGS(INT(arg)), row, what);
}

static void add_str_or_null(cJSON *o, const char *name, sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    if (t)
        cJSON_AddStringToObject(o, name, (const char *)t);
    else
        cJSON_AddNullToObject(o, name);
}

static int sq_count(store *base, int64_t now, store_counts *out)
{
    sq *s = (sq *)base;
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = read_begin(s, S_COUNTS);
    if (!st)
        return -1;
    int rc = bind(st, ARGS(INT(now)));
    rc = rc ? rc : sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        int64_t total = sqlite3_column_int64(st, 0);
        out->leased = sqlite3_column_int64(st, 1);
        out->ready = total - out->leased;
        out->dead = sqlite3_column_int64(st, 2);
        out->done = sqlite3_column_int64(st, 3);
        out->oldest_at = sqlite3_column_type(st, 4) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 4);
    } else {
        db_fail(s->rdb, "counts");
    }
    read_end(s, st);
    pthread_mutex_lock(&s->mu);
    out->duplicates = s->duplicates;
    pthread_mutex_unlock(&s->mu);
    return rc == SQLITE_ROW ? 0 : -1;
}

static cJSON *dlq_row(sqlite3_stmt *st)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double)sqlite3_column_int64(st, 0));
    add_str_or_null(o, "source", st, 1);
    add_str_or_null(o, "topic", st, 2);
    add_str_or_null(o, "shop", st, 3);
    add_str_or_null(o, "reason", st, 4);
    cJSON_AddNumberToObject(o, "attempts", sqlite3_column_int(st, 5));
    cJSON_AddNumberToObject(o, "received_at", (double)sqlite3_column_int64(st, 6));
    cJSON_AddNumberToObject(o, "dead_at", (double)sqlite3_column_int64(st, 7));
    /* column_text gives the blob NUL-terminated, as cJSON needs. */
    const unsigned char *body = sqlite3_column_text(st, 8);
    cJSON_AddStringToObject(o, "body", body ? (const char *)body : "");
    return o;
}

static cJSON *sq_dlq_list(store *base, size_t limit)
{
    sq *s = (sq *)base;
    return read_array(s, S_DLQ_LIST, limit > INT64_MAX ? INT64_MAX : (int64_t)limit, dlq_row,
                      "dlq list");
}

static cJSON *audit_row(sqlite3_stmt *st)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "t", (double)sqlite3_column_int64(st, 0));
    add_str_or_null(o, "what", st, 1);
    add_str_or_null(o, "detail", st, 2);
    return o;
}

static cJSON *sq_audit_of(store *base, int64_t event_id)
{
    sq *s = (sq *)base;
    return read_array(s, S_AUDIT_OF, event_id, audit_row, "audit of");
}

static cJSON *order_audit_row(sqlite3_stmt *st)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "event", (double)sqlite3_column_int64(st, 0));
    add_str_or_null(o, "shop", st, 1);
    add_str_or_null(o, "topic", st, 2);
    if (sqlite3_column_type(st, 3) == SQLITE_NULL)
        cJSON_AddNullToObject(o, "t");
    else
        cJSON_AddNumberToObject(o, "t", (double)sqlite3_column_int64(st, 3));
    add_str_or_null(o, "what", st, 4);
    add_str_or_null(o, "detail", st, 5);
    return o;
}

static cJSON *sq_order_audit(store *base, const char *order_id, size_t limit)
{
    sq *s = (sq *)base;
    int64_t n = limit > INT64_MAX ? INT64_MAX : (int64_t)limit;
    return read_rows(s, S_ORDER_AUDIT, ARGS(TEXT(order_id), INT(n)), order_audit_row, "order audit");
}

static cJSON *sale_id_row(sqlite3_stmt *st)
{
    const unsigned char *t = sqlite3_column_text(st, 0);
    return cJSON_CreateString(t ? (const char *)t : "");
}

static cJSON *sq_backorders_due(store *base, const char *sku, int64_t checked_before, size_t max)
{
    int64_t n = max > INT64_MAX ? INT64_MAX : (int64_t)max;
    return read_rows((sq *)base, S_BO_DUE, ARGS(TEXT(sku), INT(checked_before), INT(n)),
                     sale_id_row, "backorders due");
}

static int64_t sq_pending_units(store *base, const char *sku, int64_t read_started)
{
    sq *s = (sq *)base;
    return read_num(s, S_PENDING, ARGS(TEXT(sku), INT(read_started)));
}

static int64_t sq_in_flight_units(store *base, const char *sku, int64_t read_started)
{
    sq *s = (sq *)base;
    return read_num(s, S_IN_FLIGHT, ARGS(TEXT(sku), INT(read_started)));
}

static int64_t sq_units_known(store *base, const char *shop, const char *sku)
{
    sq *s = (sq *)base;
    return read_num(s, S_UNITS_KNOWN, ARGS(TEXT(shop), TEXT(sku)));
}

static int sq_reservation_exists(store *base, const char *shop, const char *order_id)
{
    sq *s = (sq *)base;
    int64_t n = read_num(s, S_RES_EXISTS, ARGS(TEXT(shop), TEXT(order_id)));
    return n < 0 ? -1 : n > 0;
}

static int64_t sq_units_placed_between(store *base, const char *sku, int64_t from, int64_t to)
{
    sq *s = (sq *)base;
    return read_num(s, S_PLACED_BETWEEN, ARGS(TEXT(sku), INT(from), INT(to)));
}

static int64_t sq_history_units(store *base, const char *sku, int64_t from, int64_t to)
{
    sq *s = (sq *)base;
    return read_num(s, S_HISTORY_UNITS, ARGS(TEXT(sku), INT(from), INT(to)));
}

static int sq_idem_get(store *base, const char *key, char **v)
{
    sq *s = (sq *)base;
    return read_text(s, S_IDEM_GET, key, "idem get", v);
}

static int sq_kv_get(store *base, const char *key, char **v)
{
    sq *s = (sq *)base;
    return read_text(s, S_KV_GET, key, "kv get", v);
}

/* ---- claims ------------------------------------------------------------------------ */

/* One claim in the writer's transaction: read what is there, decide, write.
 * The single writer makes the read and the write one step, as for leases. */
static int claim_one(sq *s, const char *name, const char *holder, int64_t now, int64_t ttl_ms,
                     store_claim_state *out)
{
    sqlite3_stmt *get = W(S_CLAIM_GET);
    if (!get)
        return -1;
    int b = bind(get, ARGS(TEXT(name)));
    int rc = b ? b : sqlite3_step(get);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        finish(get);
        return db_fail(s->wdb, "claim lookup");
    }
    int mine = 0, valid = 0;
    int64_t epoch = 0, until = 0;
    if (rc == SQLITE_ROW) {
        const char *h = (const char *)sqlite3_column_text(get, 0);
        mine = h && strcmp(h, holder) == 0;
        until = sqlite3_column_int64(get, 1);
        epoch = sqlite3_column_int64(get, 2);
        valid = until > now;
    }
    finish(get);
    if (valid && !mine) {
        *out = (store_claim_state){0, epoch, until};
        return 0;
    }
    if (!(valid && mine)) { /* newly taken: the next epoch of the lease counter */
        epoch = read_epoch(s);
        if (epoch < 0 || wrun(s, S_EPOCH_ADD, ARGS(INT(1))) < 0)
            return -1;
        epoch++;
    }
    if (wrun(s, S_CLAIM_PUT, ARGS(TEXT(name), TEXT(holder), INT(now + ttl_ms), INT(epoch))) < 0)
        return -1;
    *out = (store_claim_state){1, epoch, now + ttl_ms};
    return 1;
}

static int op_claim(sq *s, wreq *r)
{
    int held = 0; /* at most n, which the front keeps under INT_MAX */
    for (size_t i = 0; i < r->in.claim.n; i++) {
        int rc = claim_one(s, r->in.claim.names[i], r->in.claim.holder, r->in.claim.now,
                           r->in.claim.ttl_ms, &r->in.claim.out[i]);
        if (rc < 0)
            return -1;
        held += rc;
    }
    /* A name given twice is renewed by its second entry: both entries
     * end with the same state. */
    return held;
}

static int sq_claim_each(store *base, const char *const *names, size_t n, const char *holder,
                         int64_t now, int64_t ttl_ms, store_claim_state *out)
{
    sq *s = (sq *)base;
    wreq r = {.op = OP_CLAIM};
    r.in.claim.names = names;
    r.in.claim.n = n;
    r.in.claim.holder = holder;
    r.in.claim.now = now;
    r.in.claim.ttl_ms = ttl_ms;
    r.in.claim.out = out;
    return submit(s, &r);
}

static int sq_release(store *base, const char *name, const char *holder)
{
    sq *s = (sq *)base;
    wreq r = {.op = OP_RELEASE};
    r.in.claim.names = &name;
    r.in.claim.n = 1;
    r.in.claim.holder = holder;
    return submit(s, &r);
}

static int sq_claim_holder(store *base, const char *name, int64_t now, char **holder,
                           int64_t *until, int64_t *epoch)
{
    sq *s = (sq *)base;
    sqlite3_stmt *st = read_begin(s, S_CLAIM_HOLDER);
    if (!st)
        return -1;
    int b = bind(st, ARGS(TEXT(name), INT(now)));
    int rc = b ? b : sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        if (holder)
            *holder = col_str(st, 0);
        if (until)
            *until = sqlite3_column_int64(st, 1);
        if (epoch)
            *epoch = sqlite3_column_int64(st, 2);
    } else if (rc != SQLITE_DONE) {
        db_fail(s->rdb, "claim holder");
    }
    read_end(s, st);
    return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* ---- shared limits ---------------------------------------------------------------- */

static int sq_limit(store *base, const store_limit_op *op, int64_t *wait_ms, store_limit *row)
{
    wreq r = {.op = OP_LIMIT, .in.limit.op = op};
    int rc = submit((sq *)base, &r);
    *wait_ms = r.in.limit.wait_ms;
    *row = r.in.limit.row;
    return rc;
}

const store_backend store_sqlite_backend = {
    .name = "sqlite",
    .close = sq_close,
    .schema_version = sq_schema_version,
    .commits = sq_commits,
    .enqueue = sq_enqueue,
    .dead_on_arrival = sq_dead_on_arrival,
    .lease = sq_lease,
    .ack = sq_ack,
    .retry = sq_retry,
    .unlease = sq_unlease,
    .dead = sq_dead,
    .count = sq_count,
    .dlq_list = sq_dlq_list,
    .dlq_requeue = sq_dlq_requeue,
    .idem_claim = sq_idem_claim,
    .idem_set = sq_idem_set,
    .idem_get = sq_idem_get,
    .history_add = sq_history_add,
    .history_cancel = sq_history_cancel,
    .history_units = sq_history_units,
    .reserve = sq_reserve,
    .reservation_sent = sq_reservation_sent,
    .reservation_pushed = sq_reservation_pushed,
    .reservation_released = sq_reservation_released,
    .reservation_exists = sq_reservation_exists,
    .pending_units = sq_pending_units,
    .backorder_hold = sq_backorder_hold,
    .backorder_settle = sq_backorder_settle,
    .backorders_due = sq_backorders_due,
    .backorder_checked = sq_backorder_checked,
    .in_flight_units = sq_in_flight_units,
    .units_known = sq_units_known,
    .units_placed_between = sq_units_placed_between,
    .ledger_prune = sq_ledger_prune,
    .dedup_prune = sq_dedup_prune,
    .housekeep = sq_housekeep,
    .write_intent = sq_write_intent,
    .write_outcome = sq_write_outcome,
    .kv_get = sq_kv_get,
    .kv_set = sq_kv_set,
    .kv_set_async = sq_kv_set_async,
    .audit = sq_audit,
    .audit_of = sq_audit_of,
    .order_audit = sq_order_audit,
    .claim_each = sq_claim_each,
    .release = sq_release,
    .claim_holder = sq_claim_holder,

    /* shared limits */
    .shared = 0,
    .limit = sq_limit,
};
