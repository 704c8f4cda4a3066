/* Replenishment's decisions over a batch of SKUs; see supply.h. */
#include "supply.h"

#include "mem.h"

#include <stdlib.h>
#include <string.h>

/* A lead time beyond this many ms (about 30,000 years) is held at it, so
 * that no figure Cin7 sends overflows the date. */
#define MAX_LEAD_MS 1e15

int supply_reload_due(int loaded, int64_t loaded_at, int64_t now, int some_unknown)
{
    if (!loaded)
        return 1;
    int64_t age = now - loaded_at;
    return age > SUPPLY_REFRESH_MS || (some_unknown && age > SUPPLY_RETRY_MS);
}

int supply_serves(const char *const *served, size_t n_served, const char *location)
{
    if (n_served == 0)
        return 1;
    for (size_t k = 0; k < n_served; k++)
        if (strcmp(served[k], location) == 0)
            return 1;
    return 0;
}

supply_pos supply_position(const supply_stock *stock, size_t n, const char *const *served,
                           size_t n_served)
{
    supply_pos p = {0, 0, INT64_MAX};
    for (size_t i = 0; i < n; i++) {
        const supply_stock *f = &stock[i];
        if (!supply_serves(served, n_served, f->location))
            continue;
        p.position += f->on_hand + f->on_order + f->in_transit - f->allocated;
        p.known++;
        if (f->as_of < p.as_of)
            p.as_of = f->as_of;
    }
    return p;
}

supply_decision supply_decide(const supply_sku *in)
{
    supply_decision d = {SUPPLY_NONE, NULL, 0, 0, {0, 0, 0}};
    if (!in->has_supplier) {
        if (in->sold > 0) { /* only SKUs that sell need a supplier */
            d.verdict = SUPPLY_NO_SUPPLIER;
            d.reason = "no supplier in Cin7's product record";
        }
        return d;
    }
    if (in->sold < 0 || in->pos.known == 0 || in->pending < 0)
        return d;
    d.velocity = reorder_velocity(in->sold, in->window_ms);
    d.position = in->pos.position - in->pending;
    reorder_input r = {d.velocity, d.position, in->cover_days, in->target_days, in->moq, in->pack};
    d.reorder = reorder_decide(&r);
    if (!d.reorder.needed)
        return d;
    if (in->lead_days < 0) {
        d.verdict = SUPPLY_NO_LEAD_TIME;
        d.reason = "no lead time in the supplier's record";
        return d;
    }
    d.verdict = in->in_flight > 0 && in->may_wait ? SUPPLY_WAIT : SUPPLY_ORDER;
    return d;
}

size_t supply_group(const char *const *ids, size_t n, size_t *order, size_t *starts)
{
    char *taken = xcalloc(n + 1, 1);
    size_t groups = 0, w = 0;
    for (size_t i = 0; i < n; i++) {
        if (taken[i])
            continue;
        starts[groups++] = w;
        for (size_t k = i; k < n; k++)
            if (!taken[k] && strcmp(ids[k], ids[i]) == 0) {
                order[w++] = k;
                taken[k] = 1;
            }
    }
    starts[groups] = w;
    free(taken);
    return groups;
}

size_t supply_merge(const supply_line *have, size_t n_have, const supply_line *want,
                    size_t n_want, size_t *slot, int *changed)
{
    /* The lines afterwards: the draft's, then the new ones (borrowed). */
    supply_line *after = xcalloc(n_have + n_want + 1, sizeof *after);
    for (size_t i = 0; i < n_have; i++)
        after[i] = have[i];
    size_t n = n_have;
    *changed = n_have == 0;
    for (size_t i = 0; i < n_want; i++) {
        size_t k = 0;
        while (k < n && strcmp(after[k].sku, want[i].sku) != 0)
            k++;
        if (k == n) {
            after[n++] = want[i];
            *changed = 1;
        } else if (after[k].qty != want[i].qty) {
            after[k].qty = want[i].qty;
            *changed = 1;
        }
        slot[i] = k;
    }
    free(after);
    return n;
}

int supply_draft_open(const char *order_status)
{
    return order_status &&
           (strcmp(order_status, "DRAFT") == 0 || strcmp(order_status, "NOT AVAILABLE") == 0);
}

long supply_find_row(const supply_row *rows, size_t n, const char *supplier_id,
                     const char *order_status)
{
    for (size_t i = 0; i < n; i++) {
        const supply_row *r = &rows[i];
        if (r->id && r->supplier_id && strcmp(r->supplier_id, supplier_id) == 0 &&
            r->order_status && strcmp(r->order_status, order_status) == 0 &&
            !(r->status && strcmp(r->status, "VOIDED") == 0))
            return (long)i;
    }
    return -1;
}

int64_t supply_required_by(int64_t now, double lead_days)
{
    double ms = lead_days * 86400000.0;
    if (!(ms > 0))
        return now;
    return now + (int64_t)(ms < MAX_LEAD_MS ? ms : MAX_LEAD_MS);
}
