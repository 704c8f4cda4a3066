/*
 * Replenishment's decisions over a batch of SKUs, as pure functions: which
 * stock counts towards a SKU's position, what each SKU needs (a line on its
 * supplier's draft, nothing, or a person: it cannot be reordered), which
 * draft each line goes on, and what the lines change on a draft already
 * open. The quantity itself is reorder.h's rule.
 *
 * Position: Cin7 OnHand + OnOrder + InTransit - Allocated, summed over the
 * locations the SKU's supplier serves (a supplier record listing none
 * serves every location) whose figures are known; the oldest of those
 * figures says which paid orders they cannot show yet, and those orders'
 * units come off. A SKU with no figures yet waits for the next sweep,
 * after a stock read. An order whose sale was sent before the figures were
 * read and answered after may be in them or not: a SKU that would be
 * reordered with such units counted waits for a later read when it may
 * (the quantity would be too large by them), and counts them otherwise.
 *
 * A SKU that Cin7 names no supplier for cannot be reordered, which matters
 * only when it sells. One below its cover cannot be reordered either when
 * its supplier gives no lead time: the draft would have no RequiredBy
 * date. Whatever the store could not tell (units sold, units pending)
 * decides nothing: the SKU is checked again later.
 *
 * One draft per supplier: the lines of a batch are grouped by supplier, in
 * the order of each supplier's first SKU, each group's lines in the order
 * of their SKUs. A supplier's open draft is its purchase whose order is
 * DRAFT, or NOT AVAILABLE (a header whose lines are not in yet), and not
 * voided. The wanted lines go onto it: a SKU already on it gets the
 * newest quantity, a new SKU a new line at the end, and every other line
 * (a buyer's own) stays as it is. A draft without lines always gets them;
 * otherwise nothing is posted when nothing changes. With no open draft, a
 * new one is made with the lines.
 *
 * Supplier records are read again when older than SUPPLY_REFRESH_MS, or
 * than SUPPLY_RETRY_MS when a SKU of the batch is not in them (a product
 * added since).
 */
#ifndef SURGE_SUPPLY_H
#define SURGE_SUPPLY_H

#include <stddef.h>
#include <stdint.h>

#include "reorder.h"

#define SUPPLY_REFRESH_MS INT64_C(3600000)
#define SUPPLY_RETRY_MS INT64_C(60000)

/* Whether to read the supplier records now: never read (loaded 0), read
 * at loaded_at, some_unknown: a SKU of the batch is not in them. */
int supply_reload_due(int loaded, int64_t loaded_at, int64_t now, int some_unknown);

/* Whether a supplier serving the n_served locations named in served
 * serves location (n_served 0: every location). */
int supply_serves(const char *const *served, size_t n_served, const char *location);

/* One location's known figures of a SKU (whole units). */
typedef struct {
    const char *location;  /* Cin7 location name */
    int64_t on_hand, on_order, in_transit, allocated;
    int64_t as_of;         /* the figures reflect every change before it (sim ms) */
} supply_stock;

typedef struct {
    int64_t position;  /* over the served locations, before pending units */
    size_t known;      /* served locations with figures: 0, no position yet */
    int64_t as_of;     /* the oldest of their figures; INT64_MAX when none */
} supply_pos;

/* The position over the n figures of stock at the locations the supplier
 * serves (served, n_served as supply_serves takes them). */
supply_pos supply_position(const supply_stock *stock, size_t n, const char *const *served,
                           size_t n_served);

typedef enum {
    SUPPLY_NONE,          /* nothing to do now */
    SUPPLY_ORDER,         /* a line of reorder.quantity on the supplier's draft */
    SUPPLY_NO_SUPPLIER,   /* cannot reorder: it sells, and Cin7 names no supplier */
    SUPPLY_NO_LEAD_TIME,  /* cannot reorder: it needs stock, and the supplier gives no lead time */
    SUPPLY_WAIT,          /* would order, but on figures that may show some pending units
                           * already: decide again on a later read */
} supply_verdict;

/* What is known of one SKU. */
typedef struct {
    int has_supplier;        /* Cin7's product record names a supplier */
    int64_t sold;            /* paid units over the velocity window; < 0 unknown */
    int64_t window_ms;       /* the velocity window */
    supply_pos pos;
    int64_t pending;         /* units of orders the figures cannot show; < 0 unknown */
    int64_t in_flight;       /* of those, units whose sale was on its way to Cin7 when the
                              * figures were read: they may show them already */
    int may_wait;            /* whether in_flight may put the decision off (SUPPLY_WAIT);
                              * when not, they count as pending (an earlier, larger order) */
    double cover_days;       /* below this, order */
    double target_days;      /* order up to this */
    int64_t moq, pack;       /* the supplier's minimum and pack multiple (reorder.h) */
    double lead_days;        /* the supplier's lead time; < 0 not given */
} supply_sku;

typedef struct {
    supply_verdict verdict;
    const char *reason;      /* a sentence for the cannot-reorder verdicts (static), else NULL */
    double velocity;         /* paid units a day */
    int64_t position;        /* net of pending units */
    reorder_decision reorder;
} supply_decision;

supply_decision supply_decide(const supply_sku *in);

/* Groups n lines by supplier (ids[i]: line i's supplier): order gets the
 * line indexes, supplier by supplier, and starts[g] where group g begins in
 * order (starts[groups] == n). order holds n, starts n + 1. Returns the
 * number of groups. */
size_t supply_group(const char *const *ids, size_t n, size_t *order, size_t *starts);

/* A draft line as the merge sees it. */
typedef struct {
    const char *sku;
    double qty;
} supply_line;

/* Puts the want lines (n_want) on an open draft with the have lines
 * (n_have): slot[i] gets the index, among the draft's lines afterwards, of
 * the line want[i] sets: below n_have, a line on the draft whose quantity
 * it replaces; from n_have, a new line, appended in the order of want.
 * Returns how many lines the draft has afterwards; *changed says whether
 * they differ from the draft's (or it had none). */
size_t supply_merge(const supply_line *have, size_t n_have, const supply_line *want,
                    size_t n_want, size_t *slot, int *changed);

/* Whether a purchase order of this status is open (DRAFT, NOT AVAILABLE). */
int supply_draft_open(const char *order_status);

/* A purchaseList row as the search for a supplier's draft sees it. */
typedef struct {
    const char *id, *supplier_id, *order_status, *status;  /* NULL: absent */
} supply_row;

/* The index of the first of n rows that is supplier_id's purchase whose
 * order is order_status and which is not voided; -1 when none is. */
long supply_find_row(const supply_row *rows, size_t n, const char *supplier_id,
                     const char *order_status);

/* When a draft made at now is required by: now plus the lead time (days),
 * held far below overflow. */
int64_t supply_required_by(int64_t now, double lead_days);

#endif
