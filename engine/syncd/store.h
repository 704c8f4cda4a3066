/*
 * syncd's durable store: the event queue with leases, de-duplication keys,
 * the dead-letter queue, idempotency keys, the reservation ledger (units of
 * Shopify orders not yet in Cin7), the outbound-write ledger (intent before
 * a Cin7 write, outcome after), small key/value state (watermarks, last
 * levels written) and the audit trail.
 *
 * This interface is the only place that knows the backend: store.c picks
 * one from the location given to store_open and forwards to it
 * (store_backend.h). SQLite in WAL mode (store_sqlite.c) is the default:
 * one writer thread commits queued writes in groups, so many concurrent
 * intake requests share one fsync. PostgreSQL (store_postgres.c), for
 * several syncd instances on one database, implements the same functions
 * and passes the same conformance suite (tests/unit/test_store_conf.c).
 * Nothing outside the store module speaks SQL.
 *
 * Durability: a call that writes returns only after its transaction has
 * committed (SQLite: synchronous=FULL; PostgreSQL: synchronous_commit
 * on), so an event acknowledged to a sender after store_enqueue returned
 * survives kill -9.
 *
 * Thread-safe: any thread may call any function (store_close last, once no
 * other call is running). Times are simulated ms passed in by the caller.
 * Strings returned are malloc'd copies the caller frees (store_event_free,
 * free).
 */
#ifndef SURGE_STORE_H
#define SURGE_STORE_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

/* Every result of the store matters: a write that did not happen is a
 * ledger that lies (an oversell, a lost order), so callers must look. */
#define STORE_MUST __attribute__((warn_unused_result))

typedef struct store store;

/* The schema version this build migrates every database to. */
#define STORE_SCHEMA_VERSION 10

typedef struct {
    int64_t group_commit_max; /* writes per transaction at most; 0 means 512 */
    /* Tests only: stop migrating at this version (0: STORE_SCHEMA_VERSION),
     * so a test can fill a database at an older schema and reopen it. A
     * store left at an older version fails (-1) the calls whose tables or
     * columns do not exist yet (leases need version 7) and fences nothing.
     * Never migrates downwards. */
    int schema_version;
} store_options;

/* Opens (creating and migrating) the store at path: a SQLite file name
 * (":memory:" is not allowed: durability), or a PostgreSQL location (a
 * postgres:// or postgresql:// URI, or a libpq conninfo string with a
 * host=, hostaddr= or dbname= word). Returns 0, or -1 with a message in
 * err (never quoting a PostgreSQL location: it may hold a password).
 * SQLite: leases left by a previous process are released, their events
 * ready again; that rests on the file having one process as its user.
 * PostgreSQL: no lease is released at open, since other instances may be
 * holding them; a lease left by a crashed instance ends when its time
 * runs out. Instances opening one database at once create or migrate its
 * schema once. */
STORE_MUST int store_open(const char *path, const store_options *opts, store **out, char *err,
               size_t errlen);
void store_close(store *s); /* finishes queued writes; accepts NULL */
/* The schema version the database is at (for tests and /healthz). */
int store_schema_version(store *s);
/* 1 when other processes may use the store at the same time (PostgreSQL:
 * several instances), 0 when this process is its only user (SQLite). What
 * a process keeps in memory of the store's state is only as good as its
 * last read when this is 1. */
int store_is_shared(store *s);
/* Transactions committed since open. On SQLite, under concurrent callers
 * it is lower than the number of write calls: that is the writer thread's
 * group commit at work; on PostgreSQL every write call is a transaction
 * of its own (for tests and /metrics). */
int64_t store_commits(store *s);

/* ---- events ------------------------------------------------------------ */

typedef struct {
    const char *source;   /* "shopify", "cin7", "internal" */
    const char *topic;    /* "orders/paid", "Stock/AvailableStockLevelChanged", ... */
    const char *shop;     /* shop domain or NULL */
    const char *body;     /* the raw body (JSON text) */
    size_t body_len;
    int priority;         /* higher leases first */
    int64_t now;          /* received at */
    /* Up to 4 de-duplication keys (e.g. "wh:<webhook id>" and
     * "ev:<event id>:<topic>"); an event whose any key was seen before is a
     * duplicate and is not stored. NULL entries are skipped. */
    const char *dedup[4];
    /* The Shopify order the event is about, or NULL: the event is then
     * found by store_order_audit (with shop and topic). */
    const char *order_id;
} store_event_in;

typedef struct {
    int64_t id;
    char *source, *topic, *shop, *body;
    size_t body_len;
    int priority;
    int attempts;        /* tries so far, this lease included */
    int64_t epoch;       /* this lease's fencing epoch (see store_lease) */
    int64_t received_at;
    char *last_error;    /* NULL when none */
} store_event;

enum { STORE_NEW = 1, STORE_DUPLICATE = 2 };
/* What a settling call (ack, retry, unlease, dead) answers when the
 * caller's lease is no longer the event's: it was leased again since. */
enum { STORE_FENCED = 3 };

/* Durably stores an event unless a dedup key was seen. Returns STORE_NEW
 * (with *id set), STORE_DUPLICATE (*id = the original's id when known, else
 * 0), or -1 on a storage error. */
STORE_MUST int store_enqueue(store *s, const store_event_in *ev, int64_t *id);
/* Leases up to max ready events (not leased, or lease expired; ready_at <=
 * now), highest priority first, then oldest; each is leased until now +
 * lease_ms and counts a try (attempts+1), so an event whose handler never
 * returns, because it crashed the process, still runs out of tries. Fills
 * out[0..n) (caller frees each with store_event_free). Returns n, or -1.
 *
 * Fencing: each lease gets an epoch (store_event.epoch) that no earlier
 * lease of any event had, in this store, ever, across restarts and trips
 * through the dead-letter queue. The settling calls below carry it, and
 * the store checks it in the transaction that settles: once the lease ran
 * out and the event was leased again, the first holder's ack, retry,
 * unlease or dead is refused with STORE_FENCED and changes nothing. A
 * holder whose lease ran out but whose event nobody took meanwhile still
 * settles it (nobody else did the work). Lease times are the caller's now
 * (syncd's scaled clock), never the database's. */
STORE_MUST int store_lease(store *s, int64_t now, int64_t lease_ms, store_event **out, size_t max);
void store_event_free(store_event *e);
/* store_ack, store_retry, store_unlease and store_dead take the event's id
 * and the epoch of the caller's lease (0 for an event never leased), and
 * return 0, 1 when id is not in the queue (already acked or dead),
 * STORE_FENCED when the event was leased again since that lease, -1 on
 * error. */
/* The event's work is done: it leaves the queue (counted in done). */
STORE_MUST int store_ack(store *s, int64_t id, int64_t epoch);
/* A try failed: last_error kept, lease released, ready again at ready_at
 * (the try was counted by store_lease). */
STORE_MUST int store_retry(store *s, int64_t id, int64_t epoch, int64_t ready_at, const char *error);
/* A leased event that was not tried after all (shutdown came first): lease
 * released and its try given back. */
STORE_MUST int store_unlease(store *s, int64_t id, int64_t epoch);
/* Gives up: the event moves to the dead-letter queue with its reason and
 * its tries. */
STORE_MUST int store_dead(store *s, int64_t id, int64_t epoch, int64_t now, const char *reason);
/* Makes the writes this thread sends to s from now on writes for the lease
 * (id, epoch), until called with id 0: each is fenced like a settling
 * call, in its own transaction, and fails (-1, logged) without changing
 * anything when the event was leased again since (or has left the queue).
 * The ledgers, idempotency keys, key/value state and audit rows a handler
 * writes for its event are thus refused once its lease was taken over.
 * Enqueue, lease, the settling calls (they carry their epoch) and reads
 * are not affected. A worker sets it around one event's handler. */
void store_act_for(store *s, int64_t id, int64_t epoch);
/* Stores an event that is dead on arrival (malformed but correctly signed):
 * straight into the dead-letter queue, deduplicated like store_enqueue. */
STORE_MUST int store_dead_on_arrival(store *s, const store_event_in *ev, const char *reason, int64_t *id);

typedef struct {
    int64_t ready;   /* waiting, not leased (includes retries due later) */
    int64_t leased;
    int64_t dead;    /* in the dead-letter queue */
    int64_t done;    /* acked since the database was created */
    int64_t duplicates; /* enqueue calls refused as duplicates, since open */
    int64_t oldest_at;  /* received_at of the oldest queued event; -1 when none */
} store_counts;
STORE_MUST int store_count(store *s, int64_t now, store_counts *out);

/* The dead-letter queue as a JSON array of {id, source, topic, shop, reason,
 * attempts, received_at, dead_at, body} (body as text), newest first, at
 * most limit. Caller frees. */
STORE_MUST cJSON *store_dlq_list(store *s, size_t limit);
/* Moves a dead event back to the queue under its own id (attempts reset,
 * last_error cleared), ready at now. Returns 0, 1 when no such dead event,
 * -1 on error. */
STORE_MUST int store_dlq_requeue(store *s, int64_t id, int64_t now);

/* ---- idempotency keys ---------------------------------------------------- */

/* Claims key: returns 1 when newly claimed (value stored), 0 when it
 * existed (*existing, if given, gets its value, malloc'd), -1 on error. */
STORE_MUST int store_idem_claim(store *s, const char *key, const char *value, char **existing);
/* Replaces the value of a claimed key (claims it when it was not). */
STORE_MUST int store_idem_set(store *s, const char *key, const char *value);
/* The value of a claimed key (malloc'd), or NULL when unclaimed or when
 * the store cannot say. */
STORE_MUST char *store_idem_get(store *s, const char *key);
/* The same telling the two apart: 1 when key is claimed (*value gets its
 * value, malloc'd, or NULL when it has none), 0 when not, -1 when the
 * store cannot say. For decisions that must not take an error for "no". */
STORE_MUST int store_idem_read(store *s, const char *key, char **value);

/* ---- sales history (demand velocity) ---------------------------------------- */

/* Records a paid order line (idempotent per shop, order and SKU). History is
 * apart from the reservation ledger: backfilled old orders never count as
 * known or pending. */
STORE_MUST int store_history_add(store *s, const char *shop, const char *order_id, const char *sku,
                      int64_t qty, int64_t placed_at);
/* The order was cancelled: its lines leave the velocity. */
STORE_MUST int store_history_cancel(store *s, const char *shop, const char *order_id);
/* Paid units of sku placed in [from, to), all shops, cancelled ones left out. */
STORE_MUST int64_t store_history_units(store *s, const char *sku, int64_t from, int64_t to);

/* ---- reservation ledger ---------------------------------------------------- */

/* Records that order_id of shop holds qty units of sku (Cin7 SKU) at Shopify
 * since placed_at (Shopify's created_at, sim ms). Idempotent per
 * (shop, order_id, sku). */
STORE_MUST int store_reserve(store *s, const char *shop, const char *order_id, const char *sku, int64_t qty,
                  int64_t placed_at);
/* The order's Cin7 sale is on its way (sent_at, the first try's moment):
 * a read started from then until it is pushed may show it or not. */
STORE_MUST int store_reservation_sent(store *s, const char *shop, const char *order_id, int64_t sent_at);
/* The order's Cin7 sale now exists (pushed_at) or the order was cancelled
 * (released_at): its units stop counting once a Cin7 read started after
 * that moment has been used. */
STORE_MUST int store_reservation_pushed(store *s, const char *shop, const char *order_id, int64_t pushed_at);
STORE_MUST int store_reservation_released(store *s, const char *shop, const char *order_id, int64_t at);
/* 1 when the ledger holds a line of the order (pruned rows are gone),
 * 0 when not, -1 on a storage error. */
STORE_MUST int store_reservation_exists(store *s, const char *shop, const char *order_id);
/* The four sums below return -1 on a storage error. */
/* Units of sku that a Cin7 snapshot read starting at read_started does not
 * reflect: reservations neither pushed nor released before read_started,
 * and backorder holds not settled before it (below). */
STORE_MUST int64_t store_pending_units(store *s, const char *sku, int64_t read_started);
/* Of those, the units whose sale was sent at or before read_started: the
 * read may reflect them after all. */
STORE_MUST int64_t store_in_flight_units(store *s, const char *sku, int64_t read_started);
/* Units of sku in every order of shop syncd has learned of, cancelled
 * (released) ones left out: the "known" total the unknown-units arithmetic
 * compares between syncs. Pruning the ledger lowers it; do not prune rows a
 * sync baseline may still count. */
STORE_MUST int64_t store_units_known(store *s, const char *shop, const char *sku);
/* Paid units of sku placed in [from, to) over all shops (velocity),
 * cancelled orders left out. */
STORE_MUST int64_t store_units_placed_between(store *s, const char *sku, int64_t from, int64_t to);
/* Backorders. Units Cin7 backordered as it took a sale's lines are sold
 * but held nowhere: Cin7's Available does not drop for them (it drops when
 * stock arriving fills the backorder, or when a move authorises the sale
 * where the units are). Until then they count as pending. Holds qty units
 * of sku for sale_id (of order_id of shop) from at: a hold already open
 * keeps the larger figure (a move raises it to the whole line before the
 * void lets the allocated units go); a settled one stays settled. */
STORE_MUST int store_backorder_hold(store *s, const char *shop, const char *order_id,
                                    const char *sale_id, const char *sku, int64_t qty, int64_t at);
/* The holds end at t: a Cin7 read started from t on shows the units (the
 * backorder filled, the sale moved or voided). With sale_id, that sale's;
 * with sale_id NULL, every sale's of order_id of shop (cancelled). */
STORE_MUST int store_backorder_settle(store *s, const char *shop, const char *order_id,
                                      const char *sale_id, int64_t t);
/* Open holds of sku never looked at or last looked at before
 * checked_before, oldest first, at most max: a cJSON array of sale ids (the
 * caller frees it), or NULL on a storage error. Marking a sale looked at
 * (store_backorder_checked) keeps one sale from being read on every pass. */
STORE_MUST cJSON *store_backorders_due(store *s, const char *sku, int64_t checked_before,
                                       size_t max);
STORE_MUST int store_backorder_checked(store *s, const char *sale_id, int64_t t);
/* Drops ledger rows pushed or released before t, and backorder holds
 * settled before t (housekeeping). */
STORE_MUST int store_ledger_prune(store *s, int64_t before);

/* ---- de-duplication keys ---------------------------------------------------- */

/* Forgets dedup keys of events received before t (Shopify retries a webhook
 * for 48 hours, so keys older than a few days only cost space). Returns the
 * number of keys removed, or -1. */
STORE_MUST int64_t store_dedup_prune(store *s, int64_t before);

/* ---- housekeeping ------------------------------------------------------------ */

/* What housekeeping may remove, each older than its own time (INT64_MIN:
 * none of it): dedup keys received before `dedup`, sales history placed
 * before `history`, audit rows written before `audit` (with them the
 * order_events rows of events older than every audit row left), and the
 * request bodies of exactly-once writes settled (done or failed) before
 * `bodies`: their keys, states and remote ids stay, which is what keeps
 * them exactly once. The reservation ledger, backorder holds,
 * idempotency keys and dead letters are not touched (store_ledger_prune
 * and the dead-letter API say why and how). */
typedef struct {
    int64_t dedup, history, audit, bodies;
} store_cutoffs;
typedef struct {
    int64_t dedup, history, audit, order_events, bodies;
} store_pruned;
/* One round: at most batch rows of each kind, in one transaction, so a
 * large backlog of old rows never holds the store for long; *out counts
 * what went (call again while any count reached batch). 0, or -1. */
STORE_MUST int store_housekeep(store *s, const store_cutoffs *before, int64_t batch,
                               store_pruned *out);

/* ---- outbound-write ledger ------------------------------------------------- */

enum { WRITE_INTENT = 0, WRITE_DONE = 1, WRITE_FAILED = 2, WRITE_UNKNOWN = 3 };
/* Records the intent of an outbound write keyed by key (e.g.
 * "sale:<shop>:<order>:<location>"), with its request body. Returns 1 when
 * newly recorded, 0 when the key exists (*state and *remote_id, if given,
 * get its state and the remote id, malloc'd or NULL), -1 on error. */
STORE_MUST int store_write_intent(store *s, const char *key, const char *kind, const char *body, int64_t now,
                       int *state, char **remote_id);
/* Records the outcome: state and the remote id (may be NULL). Returns 0, 1
 * when key has no intent, -1 on error. */
STORE_MUST int store_write_outcome(store *s, const char *key, int state, const char *remote_id, int64_t now);

/* ---- key/value ------------------------------------------------------------- */

/* Returns the malloc'd value or NULL (absent, or the store cannot say). */
STORE_MUST char *store_kv_get(store *s, const char *key);
/* 1 when key is kept (*value gets it, malloc'd), 0 when not, -1 when the
 * store cannot say. */
STORE_MUST int store_kv_read(store *s, const char *key, char **value);
/* value NULL removes the key. */
STORE_MUST int store_kv_set(store *s, const char *key, const char *value);
/* The same without waiting on SQLite: the write joins the next group
 * commit (for state the caller also keeps in memory and only needs after
 * a restart); on PostgreSQL it commits before returning. */
void store_kv_set_async(store *s, const char *key, const char *value);

/* ---- audit trail ------------------------------------------------------------ */

/* Appends (event id may be 0). Not waited on with SQLite: the audit write
 * joins the next group commit; on PostgreSQL it commits before returning. */
void store_audit(store *s, int64_t event_id, int64_t now, const char *what, const char *detail);
/* The audit rows of one event, oldest first: [{t, what, detail}]. */
STORE_MUST cJSON *store_audit_of(store *s, int64_t event_id);
/* The audit trail of a Shopify order: the rows of every event stored with
 * this order_id, by event then in order, as [{event, shop, topic, t, what,
 * detail}], at most limit rows; an event without audit rows yet is one
 * row whose t, what and detail are null. NULL on error. Caller frees. */
STORE_MUST cJSON *store_order_audit(store *s, const char *order_id, size_t limit);

/* ---- claims: named leases on work one instance does at a time -------------- */

/*
 * A claim is a named lease (a row of the claims table) that at most one
 * holder has at a time: registering the webhooks ("webhooks"), the
 * scheduled reconciliation ("reconcile"), one supplier's draft purchase
 * ("podraft:<supplier id>"), one SKU's stock write in a coalescing window
 * ("stock:<sku>"). holder names an instance (syncd's "instance" setting).
 * Times are the caller's scaled clock (never the server's); a claim ends
 * at its until, when anyone may take it over.
 *
 * Each taking draws a new epoch from the counter the event leases use, so
 * a claim's epochs only grow, across holders and restarts: a holder that
 * compares the epoch of its renewal with the one it took learns whether
 * somebody else held the claim in between. Renewing (the same holder
 * claiming again before until) keeps the epoch and moves until.
 *
 * SQLite: the file has one process as its user, so claims left by a
 * previous process end at open (as its leases do); every claim of the
 * one process succeeds unless it names two holders. PostgreSQL: claims
 * are taken and renewed in one statement each, atomic against other
 * instances; a claim of a crashed instance ends at its until.
 */

/* What a claim is after a store_claim_each: held by the caller or not,
 * its epoch (the holder's, whoever that is) and when it ends. */
typedef struct {
    int held;      /* 1: the caller holds it now */
    int64_t epoch; /* the claim's current epoch; 0 when nobody held it (a race lost to a release) */
    int64_t until; /* when it ends: now + ttl_ms when held */
} store_claim_state;

/* Takes or renews the claim name for holder until now + ttl_ms (ttl_ms >
 * 0, the sum within int64_t): 1 when the caller holds it afterwards (*epoch, if given, set: new
 * when newly taken, the same when renewed), 0 when another holder has it
 * until after now (*epoch untouched), -1 on error. */
STORE_MUST int store_claim(store *s, const char *name, const char *holder, int64_t now,
                           int64_t ttl_ms, int64_t *epoch);
/* The same for n names in one transaction (one round trip on
 * PostgreSQL): out[i] says what names[i] is afterwards. Returns how many
 * entries the caller holds, or -1 on error (out then undefined). A name
 * given twice gets the same state in both entries. */
STORE_MUST int store_claim_each(store *s, const char *const *names, size_t n, const char *holder,
                                int64_t now, int64_t ttl_ms, store_claim_state *out);
/* Gives the claim up when holder has it: 0, 1 when holder does not hold it
 * (expired claims included: they may have been taken over), -1 on error.
 * The next taker gets a new epoch. */
STORE_MUST int store_release(store *s, const char *name, const char *holder);
/* Who holds name at now: 1 with *holder (malloc'd; caller frees), *until
 * and *epoch set (each if given), 0 when nobody does, -1 on error. */
STORE_MUST int store_claim_holder(store *s, const char *name, int64_t now, char **holder,
                                  int64_t *until, int64_t *epoch);

/* ---- shared limits ------------------------------------------------------------
 * API budgets that several syncd instances on one database draw from, so
 * that together they stay under a limit each would otherwise spend alone:
 * Cin7's calls per rolling minute of one API application, a shop's
 * GraphQL cost bucket. A budget is a name ("cin7", "shopify:<shop>"): one
 * row of limits (the learned rate, a leaky bucket's level at a moment, a
 * shared pause) and, for a window budget, one row of limit_calls per call
 * taken, pruned once it has left the window. Each call below is one
 * transaction that locks the budget's row (PostgreSQL: the upsert that
 * reads it; SQLite: its one writer), so instances racing for the last
 * call of a window get it once between them. Times are the callers'
 * scaled clocks: instances sharing a budget must run on one clock (the
 * same clock_origin and time_scale). A name used for the first time is an
 * empty budget: no rate stored, level 0, not paused. Calls a crashed
 * instance took stay counted until they leave the window.
 */

typedef struct {
    double rate;          /* the shared learned rate (calls per window); 0: none stored */
    double level;         /* leaky budgets: the level at at, before leaking since */
    int64_t at;           /* when level was last set (sim ms) */
    int64_t paused_until; /* nobody takes before this (sim ms); 0: never paused */
} store_limit;

/* Whether instances may share this store's budgets (PostgreSQL: 1; a
 * SQLite file has one process as its user: 0). */
int store_limits_shared(store *s);
/* A window budget: takes one call of name when, at now, the budget is not
 * paused, fewer than limit (>= 1) calls were taken in (now - window_ms,
 * now] by all instances, and the last call was taken at least spacing_ms
 * (>= 0) before now: returns 1 (at becomes now). Otherwise returns 0 and
 * sets *wait_ms (> 0) to the time until the oldest of those calls leaves
 * the window, the spacing is over, or the pause ends. Spacing spreads a
 * backlog's calls evenly over the window instead of a burst each time old
 * calls leave it, so a server counting arrivals a little later than they
 * were taken (the trip there) does not see the bursts overlap. Calls that
 * left the window are pruned. st (may be NULL) gets the budget's row as
 * it is after the call, so a caller learns the shared rate and pause with
 * every take. -1 on error. */
STORE_MUST int store_limit_take_call(store *s, const char *name, int limit, int64_t window_ms,
                                     int64_t spacing_ms, int64_t now, int64_t *wait_ms,
                                     store_limit *st);
/* The same for calls (>= 1) calls taken together, all at now: when at
 * most limit - calls were taken in the window (and the spacing and pause
 * allow). The next take then waits calls spacings after now. More calls
 * than limit never fit: 0 with *wait_ms -1. */
STORE_MUST int store_limit_take_calls(store *s, const char *name, int calls, int limit,
                                      int64_t window_ms, int64_t spacing_ms, int64_t now,
                                      int64_t *wait_ms, store_limit *st);
/* A leaky budget of size (> 0) draining leak_per_s (>= 0): the level at
 * now is the stored level less what leaked since at (not below 0); when
 * the budget is not paused and level + cost <= size, the level becomes
 * level + cost at now and 1 is returned. Otherwise 0 with *wait_ms the ms
 * (rounded up, > 0) until cost fits or the pause ends, or -1 when it never
 * will (cost > size, or nothing leaks). st as for store_limit_take_call.
 * -1 on error (cost < 0 included). */
STORE_MUST int store_limit_take_cost(store *s, const char *name, double size, double leak_per_s,
                                     double cost, int64_t now, int64_t *wait_ms, store_limit *st);
/* Adopts the server's view of a leaky budget: its level is used (>= 0;
 * Shopify's maximumAvailable - currentlyAvailable) at now. 0 or -1. */
STORE_MUST int store_limit_observe(store *s, const char *name, double used, int64_t now);
/* Gives back cost (>= 0) a take reserved but the call did not use; the
 * level does not go below 0 once leaked. 0 or -1. */
STORE_MUST int store_limit_refund(store *s, const char *name, double cost);
/* Stores the budget's learned rate (> 0), for the other instances to
 * adopt. 0 or -1. */
STORE_MUST int store_limit_set_rate(store *s, const char *name, double rate);
/* Nobody takes from the budget before until (a 429 or 503 asked to wait);
 * a later pause already set is kept. 0 or -1. */
STORE_MUST int store_limit_pause(store *s, const char *name, int64_t until);
/* The budget's row into *out (an empty budget when none). 0 or -1. */
STORE_MUST int store_limit_get(store *s, const char *name, store_limit *out);

#endif
