/*
 * The front of syncd's durable store (store.h): it picks the backend from
 * the location store_open is given and forwards every call to it through
 * the backend's table (store_backend.h). A plain file path is SQLite
 * (store_sqlite.c), the default; a PostgreSQL location (a postgres:// or
 * postgresql:// URI, or a libpq conninfo string such as "host=... dbname=...")
 * is PostgreSQL (store_postgres.c), for several instances on one database.
 * The front holds no state of its own and speaks no SQL.
 */
#include "store_backend.h"


#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether where names a PostgreSQL database: a URI of either scheme
 * libpq accepts, or a conninfo string, i.e. key=value words of which one
 * is host= or dbname= (a file name cannot be told apart otherwise, and
 * one that starts with such a word would be an odd name to give). */
static int is_postgres(const char *where)
{
    if (strncmp(where, "postgres://", 11) == 0 || strncmp(where, "postgresql://", 13) == 0)
        return 1;
    static const char *const keys[] = {"host=", "hostaddr=", "dbname="};
    for (const char *p = where; *p;) {
        while (isspace((unsigned char)*p))
            p++;
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
            if (strncmp(p, keys[k], strlen(keys[k])) == 0)
                return 1;
        while (*p && !isspace((unsigned char)*p))
            p++;
    }
    return 0;
}

int store_open(const char *path, const store_options *opts, store **out, char *err, size_t errlen)
{
    *out = NULL;
    if (path && is_postgres(path))
        return store_postgres_open(path, opts, out, err, errlen);
    return store_sqlite_open(path, opts, out, err, errlen);
}

void store_close(store *s)
{
    if (s)
        s->be->close(s);
}

/* The lease this thread writes for (store_act_for). Per thread, because
 * each worker runs one event's handler at a time; the store is named so a
 * thread's fence never leaks to another store it also writes to. */
static _Thread_local struct {
    store *s;
    int64_t id, epoch;
} acting;

void store_act_for(store *s, int64_t id, int64_t epoch)
{
    acting.s = id ? s : NULL;
    acting.id = id;
    acting.epoch = epoch;
}

int store_acting_for(store *s, int64_t *id, int64_t *epoch)
{
    if (!s || acting.s != s)
        return 0;
    *id = acting.id;
    *epoch = acting.epoch;
    return 1;
}

void store_event_free(store_event *e)
{
    if (!e)
        return;
    free(e->source);
    free(e->topic);
    free(e->shop);
    free(e->body);
    free(e->last_error);
    free(e);
}

/* ---- forwarded to the backend ------------------------------------------------
 * Arguments store.h requires are checked here, once for every backend, and
 * out-parameters cleared, so a backend gets only calls it can carry out. */

/* An event's required fields are there; its body fits what any backend
 * binds in one piece. */
static int event_in_ok(const store_event_in *ev)
{
    return ev && ev->source && ev->topic && (ev->body || ev->body_len == 0) &&
           ev->body_len <= INT_MAX;
}

int store_schema_version(store *s)
{
    return s->be->schema_version(s);
}

int store_is_shared(store *s)
{
    return s->be == &store_postgres_backend;
}

int64_t store_commits(store *s)
{
    return s->be->commits(s);
}

int store_enqueue(store *s, const store_event_in *ev, int64_t *id)
{
    if (id)
        *id = 0;
    return event_in_ok(ev) ? s->be->enqueue(s, ev, id) : -1;
}

int store_lease(store *s, int64_t now, int64_t lease_ms, store_event **out, size_t max)
{
    if (max == 0)
        return 0;
    if (!out || lease_ms < 0)
        return -1;
    return s->be->lease(s, now, lease_ms, out, max);
}

int store_ack(store *s, int64_t id, int64_t epoch)
{
    return s->be->ack(s, id, epoch);
}

int store_retry(store *s, int64_t id, int64_t epoch, int64_t ready_at, const char *error)
{
    return s->be->retry(s, id, epoch, ready_at, error);
}

int store_unlease(store *s, int64_t id, int64_t epoch)
{
    return s->be->unlease(s, id, epoch);
}

int store_dead(store *s, int64_t id, int64_t epoch, int64_t now, const char *reason)
{
    return s->be->dead(s, id, epoch, now, reason);
}

int store_dead_on_arrival(store *s, const store_event_in *ev, const char *reason, int64_t *id)
{
    if (id)
        *id = 0;
    return event_in_ok(ev) ? s->be->dead_on_arrival(s, ev, reason, id) : -1;
}

int store_count(store *s, int64_t now, store_counts *out)
{
    return s->be->count(s, now, out);
}

cJSON *store_dlq_list(store *s, size_t limit)
{
    return s->be->dlq_list(s, limit);
}

int store_dlq_requeue(store *s, int64_t id, int64_t now)
{
    return s->be->dlq_requeue(s, id, now);
}

int store_idem_claim(store *s, const char *key, const char *value, char **existing)
{
    if (existing)
        *existing = NULL;
    return key ? s->be->idem_claim(s, key, value, existing) : -1;
}

int store_idem_set(store *s, const char *key, const char *value)
{
    return key ? s->be->idem_set(s, key, value) : -1;
}

int store_idem_read(store *s, const char *key, char **value)
{
    *value = NULL;
    return key ? s->be->idem_get(s, key, value) : -1;
}

char *store_idem_get(store *s, const char *key)
{
    char *v = NULL;
    if (store_idem_read(s, key, &v) != 1) {
        free(v);
        return NULL;
    }
    return v;
}

int store_history_add(store *s, const char *shop, const char *order_id, const char *sku,
                      int64_t qty, int64_t placed_at)
{
    if (!shop || !order_id || !sku)
        return -1;
    return s->be->history_add(s, shop, order_id, sku, qty, placed_at);
}

int store_history_cancel(store *s, const char *shop, const char *order_id)
{
    return shop && order_id ? s->be->history_cancel(s, shop, order_id) : -1;
}

int64_t store_history_units(store *s, const char *sku, int64_t from, int64_t to)
{
    return sku ? s->be->history_units(s, sku, from, to) : -1;
}

int store_reserve(store *s, const char *shop, const char *order_id, const char *sku, int64_t qty,
                  int64_t placed_at)
{
    return shop && order_id && sku ? s->be->reserve(s, shop, order_id, sku, qty, placed_at) : -1;
}

int store_reservation_sent(store *s, const char *shop, const char *order_id, int64_t sent_at)
{
    return shop && order_id ? s->be->reservation_sent(s, shop, order_id, sent_at) : -1;
}

int store_reservation_pushed(store *s, const char *shop, const char *order_id, int64_t pushed_at)
{
    return shop && order_id ? s->be->reservation_pushed(s, shop, order_id, pushed_at) : -1;
}

int store_reservation_released(store *s, const char *shop, const char *order_id, int64_t at)
{
    return shop && order_id ? s->be->reservation_released(s, shop, order_id, at) : -1;
}

int store_reservation_exists(store *s, const char *shop, const char *order_id)
{
    return shop && order_id ? s->be->reservation_exists(s, shop, order_id) : -1;
}

int64_t store_pending_units(store *s, const char *sku, int64_t read_started)
{
    return sku ? s->be->pending_units(s, sku, read_started) : -1;
}

int64_t store_in_flight_units(store *s, const char *sku, int64_t read_started)
{
    return sku ? s->be->in_flight_units(s, sku, read_started) : -1;
}

int64_t store_units_known(store *s, const char *shop, const char *sku)
{
    return shop && sku ? s->be->units_known(s, shop, sku) : -1;
}

int64_t store_units_placed_between(store *s, const char *sku, int64_t from, int64_t to)
{
    return sku ? s->be->units_placed_between(s, sku, from, to) : -1;
}

int store_backorder_hold(store *s, const char *shop, const char *order_id, const char *sale_id,
                         const char *sku, int64_t qty, int64_t at)
{
    return shop && order_id && sale_id && sku && qty > 0
               ? s->be->backorder_hold(s, shop, order_id, sale_id, sku, qty, at)
               : -1;
}

int store_backorder_settle(store *s, const char *shop, const char *order_id, const char *sale_id,
                           int64_t t)
{
    return sale_id || (shop && order_id) ? s->be->backorder_settle(s, shop, order_id, sale_id, t)
                                         : -1;
}

cJSON *store_backorders_due(store *s, const char *sku, int64_t checked_before, size_t max)
{
    return sku ? s->be->backorders_due(s, sku, checked_before, max) : NULL;
}

int store_backorder_checked(store *s, const char *sale_id, int64_t t)
{
    return sale_id ? s->be->backorder_checked(s, sale_id, t) : -1;
}

int store_ledger_prune(store *s, int64_t before)
{
    return s->be->ledger_prune(s, before);
}

int64_t store_dedup_prune(store *s, int64_t before)
{
    return s->be->dedup_prune(s, before);
}

int store_housekeep(store *s, const store_cutoffs *before, int64_t batch, store_pruned *out)
{
    *out = (store_pruned){0};
    if (batch <= 0)
        return -1;
    return s->be->housekeep(s, before, batch, out);
}

int store_write_intent(store *s, const char *key, const char *kind, const char *body, int64_t now,
                       int *state, char **remote_id)
{
    if (remote_id)
        *remote_id = NULL;
    return key && kind ? s->be->write_intent(s, key, kind, body, now, state, remote_id) : -1;
}

int store_write_outcome(store *s, const char *key, int state, const char *remote_id, int64_t now)
{
    if (!key || state < WRITE_INTENT || state > WRITE_UNKNOWN)
        return -1;
    return s->be->write_outcome(s, key, state, remote_id, now);
}

int store_kv_read(store *s, const char *key, char **value)
{
    *value = NULL;
    return key ? s->be->kv_get(s, key, value) : -1;
}

char *store_kv_get(store *s, const char *key)
{
    char *v = NULL;
    if (store_kv_read(s, key, &v) != 1) {
        free(v);
        return NULL;
    }
    return v;
}

int store_kv_set(store *s, const char *key, const char *value)
{
    return key ? s->be->kv_set(s, key, value) : -1;
}

void store_kv_set_async(store *s, const char *key, const char *value)
{
    if (key)
        s->be->kv_set_async(s, key, value);
}

void store_audit(store *s, int64_t event_id, int64_t now, const char *what, const char *detail)
{
    if (what)
        s->be->audit(s, event_id, now, what, detail);
}

cJSON *store_audit_of(store *s, int64_t event_id)
{
    return s->be->audit_of(s, event_id);
}

cJSON *store_order_audit(store *s, const char *order_id, size_t limit)
{
    return order_id ? s->be->order_audit(s, order_id, limit) : NULL;
}

/* ---- claims ----------------------------------------------------------------- */

int store_claim_each(store *s, const char *const *names, size_t n, const char *holder,
                     int64_t now, int64_t ttl_ms, store_claim_state *out)
{
    if (!holder || !*holder || ttl_ms <= 0 || (n && (!names || !out)) || n > INT_MAX)
        return -1;
    if (now > INT64_MAX - ttl_ms) /* the end would not fit */
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!names[i])
            return -1;
        out[i] = (store_claim_state){0, 0, 0};
    }
    return n ? s->be->claim_each(s, names, n, holder, now, ttl_ms, out) : 0;
}

int store_claim(store *s, const char *name, const char *holder, int64_t now, int64_t ttl_ms,
                int64_t *epoch)
{
    store_claim_state st;
    int rc = store_claim_each(s, &name, 1, holder, now, ttl_ms, &st);
    if (rc == 1 && epoch)
        *epoch = st.epoch;
    return rc;
}

int store_release(store *s, const char *name, const char *holder)
{
    return name && holder ? s->be->release(s, name, holder) : -1;
}

int store_claim_holder(store *s, const char *name, int64_t now, char **holder, int64_t *until,
                       int64_t *epoch)
{
    if (holder)
        *holder = NULL;
    return name ? s->be->claim_holder(s, name, now, holder, until, epoch) : -1;
}

/* ---- shared limits ------------------------------------------------------------- */

int store_limits_shared(store *s)
{
    return s->be->shared;
}

/* Waits until the pause ends, when there is one at now. */
static int paused(const store_limit *row, int64_t now, int64_t *wait_ms)
{
    if (row->paused_until <= now)
        return 0;
    *wait_ms = row->paused_until - now;
    return 1;
}

static int take_call(const store_limit_op *op, store_limit *row, int64_t n, int64_t oldest,
                     int64_t *wait_ms, int *record)
{
    if (paused(row, op->now, wait_ms))
        return 0;
    if (op->spacing_ms > 0 && row->at + op->spacing_ms > op->now) {
        *wait_ms = row->at + op->spacing_ms - op->now;
        return 0;
    }
    int calls = op->calls > 0 ? op->calls : 1;
    if (calls > op->limit) {
        *wait_ms = -1;
        return 0;
    }
    if (n + calls <= op->limit) {
        if (op->now > row->at)
            row->at = op->now;
        /* Calls taken together leave the spacing of as many calls after
         * them, so the backlog's pace over the window stays the same. */
        row->at += (int64_t)(calls - 1) * op->spacing_ms;
        *record = calls;
        return 1;
    }
    /* A call stamped later than now by an instance whose clock runs ahead
     * still counts; the wait is then longer than a window. With several
     * calls to take, the oldest leaving may not be enough: the take is
     * simply tried again then. */
    int64_t w = oldest + op->window_ms - op->now;
    *wait_ms = w > 0 ? w : 1;
    return 0;
}

static int take_cost(const store_limit_op *op, store_limit *row, int64_t *wait_ms)
{
    int64_t dt = op->now > row->at ? op->now - row->at : 0;
    double level = row->level - op->leak * (double)dt / 1000.0;
    if (level < 0)
        level = 0;
    if (paused(row, op->now, wait_ms))
        return 0;
    if (level + op->amount <= op->size) {
        row->level = level + op->amount;
        if (op->now > row->at)
            row->at = op->now;
        return 1;
    }
    if (op->amount > op->size || !(op->leak > 0)) {
        *wait_ms = -1;
        return 0;
    }
    double ms = (level + op->amount - op->size) / op->leak * 1000.0;
    int64_t w = (int64_t)ms;
    *wait_ms = (double)w < ms ? w + 1 : w;
    if (*wait_ms < 1)
        *wait_ms = 1;
    return 0;
}

int store_limit_apply(const store_limit_op *op, store_limit *row, int64_t n, int64_t oldest,
                      int64_t *wait_ms, int *record)
{
    *record = 0;
    *wait_ms = 0;
    switch (op->kind) {
    case LIMIT_TAKE_CALL: return take_call(op, row, n, oldest, wait_ms, record);
    case LIMIT_TAKE_COST: return take_cost(op, row, wait_ms);
    case LIMIT_OBSERVE:
        row->level = op->amount;
        row->at = op->now;
        return 0;
    case LIMIT_REFUND:
        /* Lowering the stored level is the same as lowering the leaked
         * one: max(0, max(0, l - d) - c) = max(0, l - d - c). */
        row->level -= op->amount;
        return 0;
    case LIMIT_SET_RATE: row->rate = op->amount; return 0;
    case LIMIT_PAUSE:
        if (op->until > row->paused_until)
            row->paused_until = op->until;
        return 0;
    case LIMIT_GET: return 0;
    }
    return -1;
}

/* Runs op through the backend with out-parameters cleared. */
static int limit_op(store *s, const store_limit_op *op, int64_t *wait_ms, store_limit *st)
{
    store_limit row = {0};
    int64_t w = 0;
    int rc = op->name ? s->be->limit(s, op, &w, &row) : -1;
    if (wait_ms)
        *wait_ms = rc == 0 ? w : 0;
    if (st)
        *st = rc >= 0 ? row : (store_limit){0};
    return rc;
}

int store_limit_take_calls(store *s, const char *name, int calls, int limit, int64_t window_ms,
                           int64_t spacing_ms, int64_t now, int64_t *wait_ms, store_limit *st)
{
    if (calls < 1 || limit < 1 || window_ms < 1 || spacing_ms < 0)
        return -1;
    store_limit_op op = {.kind = LIMIT_TAKE_CALL, .name = name, .now = now, .limit = limit,
                         .window_ms = window_ms, .spacing_ms = spacing_ms, .calls = calls};
    return limit_op(s, &op, wait_ms, st);
}

int store_limit_take_call(store *s, const char *name, int limit, int64_t window_ms,
                          int64_t spacing_ms, int64_t now, int64_t *wait_ms, store_limit *st)
{
    return store_limit_take_calls(s, name, 1, limit, window_ms, spacing_ms, now, wait_ms, st);
}

int store_limit_take_cost(store *s, const char *name, double size, double leak_per_s, double cost,
                          int64_t now, int64_t *wait_ms, store_limit *st)
{
    if (!(size > 0) || !(leak_per_s >= 0) || !(cost >= 0))
        return -1;
    store_limit_op op = {.kind = LIMIT_TAKE_COST, .name = name, .now = now, .size = size,
                         .leak = leak_per_s, .amount = cost};
    return limit_op(s, &op, wait_ms, st);
}

int store_limit_observe(store *s, const char *name, double used, int64_t now)
{
    store_limit_op op = {.kind = LIMIT_OBSERVE, .name = name, .now = now, .amount = used};
    return used >= 0 ? limit_op(s, &op, NULL, NULL) : -1;
}

int store_limit_refund(store *s, const char *name, double cost)
{
    store_limit_op op = {.kind = LIMIT_REFUND, .name = name, .amount = cost};
    return cost >= 0 ? limit_op(s, &op, NULL, NULL) : -1;
}

int store_limit_set_rate(store *s, const char *name, double rate)
{
    store_limit_op op = {.kind = LIMIT_SET_RATE, .name = name, .amount = rate};
    return rate > 0 ? limit_op(s, &op, NULL, NULL) : -1;
}

int store_limit_pause(store *s, const char *name, int64_t until)
{
    store_limit_op op = {.kind = LIMIT_PAUSE, .name = name, .until = until};
    return limit_op(s, &op, NULL, NULL);
}

int store_limit_get(store *s, const char *name, store_limit *out)
{
    store_limit_op op = {.kind = LIMIT_GET, .name = name};
    return limit_op(s, &op, NULL, out);
}
