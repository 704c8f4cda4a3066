/*
 * What a backend of syncd's store provides (private to the store module:
 * store.c and the store_<backend>.c files include it, nothing else does).
 *
 * store.c is the front: it owns the public API of store.h, picks a backend
 * at store_open from the location it is given, and forwards every call
 * through the backend's table below. A backend's handle begins with a
 * struct store whose be names its table, so a store * is also a pointer
 * to the backend's own struct (its first member). Each entry has the
 * contract of the store.h function of the same name, with one difference:
 * the front has already checked the arguments store.h requires (non-NULL
 * keys and names, an event's fields, a lease's bounds, a write state) and
 * cleared the out-parameters it names, so a backend is never called with
 * arguments it would have to refuse.
 */
#ifndef SURGE_STORE_BACKEND_H
#define SURGE_STORE_BACKEND_H

#include "store.h"

typedef struct store_backend store_backend;
struct store_limit_op;

/* One parameter of a backend's statement: text (NULL binds NULL), an
 * integer, or a blob of num bytes. Statements get theirs as
 * ARGS(TEXT(key), INT(now)), bound to the first, second, ... placeholder
 * in order, so every call site reads like its SQL. Strings are borrowed
 * for the call. */
typedef struct {
    enum { P_TEXT, P_INT, P_BLOB } kind;
    const char *str;
    int64_t num;
} param;
#define TEXT(v) ((param){P_TEXT, (v), 0})
#define INT(v) ((param){P_INT, NULL, (v)})
#define BLOB(p, n) ((param){P_BLOB, (p), (int64_t)(n)})
#define ARGS(...) (const param[]){__VA_ARGS__}, (int)(sizeof (const param[]){__VA_ARGS__} / sizeof(param))

struct store {
    const store_backend *be;
};

struct store_backend {
    const char *name; /* "sqlite", for messages */
    void (*close)(store *s);
    int (*schema_version)(store *s);
    int64_t (*commits)(store *s);

    int (*enqueue)(store *s, const store_event_in *ev, int64_t *id);
    int (*dead_on_arrival)(store *s, const store_event_in *ev, const char *reason, int64_t *id);
    int (*lease)(store *s, int64_t now, int64_t lease_ms, store_event **out, size_t max);
    int (*ack)(store *s, int64_t id, int64_t epoch);
    int (*retry)(store *s, int64_t id, int64_t epoch, int64_t ready_at, const char *error);
    int (*unlease)(store *s, int64_t id, int64_t epoch);
    int (*dead)(store *s, int64_t id, int64_t epoch, int64_t now, const char *reason);
    int (*count)(store *s, int64_t now, store_counts *out);
    cJSON *(*dlq_list)(store *s, size_t limit);
    int (*dlq_requeue)(store *s, int64_t id, int64_t now);

    int (*idem_claim)(store *s, const char *key, const char *value, char **existing);
    int (*idem_set)(store *s, const char *key, const char *value);
    int (*idem_get)(store *s, const char *key, char **value); /* store_idem_read */

    int (*history_add)(store *s, const char *shop, const char *order_id, const char *sku,
                       int64_t qty, int64_t placed_at);
    int (*history_cancel)(store *s, const char *shop, const char *order_id);
    int64_t (*history_units)(store *s, const char *sku, int64_t from, int64_t to);

    int (*reserve)(store *s, const char *shop, const char *order_id, const char *sku, int64_t qty,
                   int64_t placed_at);
    int (*reservation_sent)(store *s, const char *shop, const char *order_id, int64_t at);
    int (*reservation_pushed)(store *s, const char *shop, const char *order_id, int64_t at);
    int (*reservation_released)(store *s, const char *shop, const char *order_id, int64_t at);
    int (*reservation_exists)(store *s, const char *shop, const char *order_id);
    int64_t (*pending_units)(store *s, const char *sku, int64_t read_started);
    int64_t (*in_flight_units)(store *s, const char *sku, int64_t read_started);
    int64_t (*units_known)(store *s, const char *shop, const char *sku);
    int64_t (*units_placed_between)(store *s, const char *sku, int64_t from, int64_t to);
    int (*backorder_hold)(store *s, const char *shop, const char *order_id, const char *sale_id,
                          const char *sku, int64_t qty, int64_t at);
    int (*backorder_settle)(store *s, const char *shop, const char *order_id,
                            const char *sale_id, int64_t t);
    cJSON *(*backorders_due)(store *s, const char *sku, int64_t checked_before, size_t max);
    int (*backorder_checked)(store *s, const char *sale_id, int64_t t);
    int (*ledger_prune)(store *s, int64_t before);
    int64_t (*dedup_prune)(store *s, int64_t before);
    int (*housekeep)(store *s, const store_cutoffs *before, int64_t batch, store_pruned *out);

    int (*write_intent)(store *s, const char *key, const char *kind, const char *body,
                        int64_t now, int *state, char **remote_id);
    int (*write_outcome)(store *s, const char *key, int state, const char *remote_id,
                         int64_t now);

    int (*kv_get)(store *s, const char *key, char **value); /* store_kv_read */
    int (*kv_set)(store *s, const char *key, const char *value);
    void (*kv_set_async)(store *s, const char *key, const char *value);

    void (*audit)(store *s, int64_t event_id, int64_t now, const char *what, const char *detail);
    cJSON *(*audit_of)(store *s, int64_t event_id);
    cJSON *(*order_audit)(store *s, const char *order_id, size_t limit);

    /* claims */
    int (*claim_each)(store *s, const char *const *names, size_t n, const char *holder,
                      int64_t now, int64_t ttl_ms, store_claim_state *out);
    int (*release)(store *s, const char *name, const char *holder);
    int (*claim_holder)(store *s, const char *name, int64_t now, char **holder, int64_t *until,
                        int64_t *epoch);

    /* shared limits (store_limit_*): see store_limit_op below */
    int shared; /* store_limits_shared */
    int (*limit)(store *s, const struct store_limit_op *op, int64_t *wait_ms, store_limit *row);
};

/* Whether the calling thread writes to s for a lease (store_act_for): 1
 * with *id and *epoch set, 0 when not. A backend asks when a write is
 * submitted, on the caller's thread. */
int store_acting_for(store *s, int64_t *id, int64_t *epoch);

/* The SQLite backend (store_sqlite.c): path is a file name. Same contract
 * as store_open. */
int store_sqlite_open(const char *path, const store_options *opts, store **out, char *err,
                      size_t errlen);
extern const store_backend store_sqlite_backend;

/* The PostgreSQL backend (store_postgres.c): where is a postgres:// URI or
 * a libpq conninfo string. Same contract as store_open, but for leases:
 * it releases none at open (other instances may hold them). */
int store_postgres_open(const char *where, const store_options *opts, store **out, char *err,
                        size_t errlen);
extern const store_backend store_postgres_backend;

/* ---- shared limits ---------------------------------------------------------------
 * Every store_limit_* call is one operation on one budget's row: the
 * backend, in one transaction, creates the row when missing and locks it,
 * for a window take prunes the calls that left the window and counts the
 * rest, calls store_limit_apply, writes the row back and, when it says
 * so, records the call taken. The arithmetic is here once for both. */

typedef enum {
    LIMIT_TAKE_CALL,
    LIMIT_TAKE_COST,
    LIMIT_OBSERVE,
    LIMIT_REFUND,
    LIMIT_SET_RATE,
    LIMIT_PAUSE,
    LIMIT_GET
} limit_kind;

typedef struct store_limit_op {
    limit_kind kind;
    const char *name;
    int64_t now;        /* takes, observe */
    int limit;          /* take call */
    int64_t window_ms;  /* take call */
    int64_t spacing_ms; /* take call */
    int calls;          /* take call: calls taken together (>= 1) */
    double size, leak;  /* take cost */
    double amount;      /* take cost: the cost; observe: used; refund: cost; set rate: rate */
    int64_t until;      /* pause */
} store_limit_op;

/* Applies op to row (changed in place), given for a window take the
 * calls in its window (n of them, the oldest at oldest). Returns the
 * call's result (takes: 1 or 0 with *wait_ms; others 0) and sets *record
 * to the number of calls taken that the backend must record at op->now
 * (0: none). */
int store_limit_apply(const store_limit_op *op, store_limit *row, int64_t n, int64_t oldest,
                      int64_t *wait_ms, int *record);

#endif
