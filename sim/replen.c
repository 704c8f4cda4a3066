/*
 * The model of syncd's replenishment (replen.c): marks and sweeps, the
 * decision from engine/core's supply.h, one draft per supplier.
 */
#include "simint.h"

#include "mem.h"
#include "supply.h"

#include <stdlib.h>
#include <string.h>

static void replen_next_group(world *w);

/* ---- the engine: replenishment ------------------------------------------------------------ */

/* Wakes the replenishment thread at `at`, unless it already wakes sooner. */
void sw_replen_wake(world *w, int64_t at)
{
    if (!w->replen || w->replen_busy || (w->replen_wake && w->replen_wake_at <= at))
        return;
    w->replen_wake = 1;
    w->replen_wake_at = at;
    sw_schedule(w, EV_REPLEN, at, 0, 0);
}

/* A paid order checks its SKUs (replen_mark), coalesced. */
void sw_replen_mark(world *w, const lines *l)
{
    if (!w->replen)
        return;
    for (int i = 0; i < l->n; i++)
        coalesce_mark(w->rmarks, sw_sku_name(w, l->sku[i]), w->now);
    sw_replen_wake(w, w->now);
}

static int supplier_of(const world *w, int k)
{
    const char *name = w->sc->skus[k].supplier;
    for (size_t i = 0; name && i < w->sc->n_suppliers; i++)
        if (strcmp(w->sc->suppliers[i].name, name) == 0)
            return (int)i;
    return -1;
}

static int64_t pack_of(const world *w, int sup)
{
    for (size_t i = 0; i < w->cfg->n_pack; i++)
        if (strcmp(w->cfg->pack_supplier[i], w->sc->suppliers[sup].name) == 0)
            return w->cfg->pack_size[i];
    return 1;
}

/* What syncd's read_sku gathers for supply_decide: paid units over the
 * velocity window, the position from the cached figures, the units the
 * figures cannot show and those in flight when they were read. */
static supply_sku replen_read(world *w, int k, int sup)
{
    const sc_supplier *sp = &w->sc->suppliers[sup];
    supply_sku in = {.has_supplier = 1, .window_ms = w->cfg->replen_window_ms,
                     .cover_days = w->cfg->replen_cover_days,
                     .target_days = w->cfg->replen_target_days, .moq = sp->moq,
                     .pack = pack_of(w, sup), .lead_days = (double)sp->lead_ms / DAY_MS};
    int64_t from = w->now - w->cfg->replen_window_ms, as_of = w->full_read_at;
    for (size_t i = 0; i < w->n_orders; i++) {
        const order *o = &w->orders[i];
        int64_t units = 0;
        for (int j = 0; j < o->l.n; j++)
            units += o->l.sku[j] == k ? o->l.qty[j] : 0;
        if (!o->reserved || !units)
            continue;
        if (o->placed >= from && o->placed <= w->now)
            in.sold += units;
        int pending = o->pushed < 0 || o->pushed >= as_of;
        if (pending && o->sent >= 0 && o->sent <= as_of)
            in.in_flight += units;
    }
    if (as_of >= 0) {
        int64_t pos = 0;
        for (size_t l = 0; l < w->n_wh; l++)
            pos += w->fig[(size_t)k * w->n_wh + l];
        in.pos = (supply_pos){pos, w->n_wh, as_of};
        in.pending = sw_pending_units(w, k, as_of);
    } else {
        in.pos = (supply_pos){0, 0, INT64_MAX};
        in.pending = -1;
    }
    int64_t since = w->waiting_since[k];
    in.may_wait = since < 0 || w->now - since < SETTLE_MAX_MS;
    return in;
}


/* The batch's decisions: the wanted lines, grouped by supplier in the
 * order of each supplier's first SKU (supply_group's order). */
static void replen_decide(world *w, const int *skus, size_t n)
{
    w->n_want = w->want_at = 0;
    for (size_t i = 0; i < n; i++) {
        int k = skus[i], sup = supplier_of(w, k);
        if (sup < 0)
            continue; /* cannot reorder: dead-lettered by syncd, nothing in Cin7 */
        supply_sku in = replen_read(w, k, sup);
        supply_decision d = supply_decide(&in);
        if (d.verdict == SUPPLY_WAIT) {
            if (w->waiting_since[k] < 0)
                w->waiting_since[k] = w->now;
            coalesce_mark(w->rsettle, sw_sku_name(w, k), w->now);
            continue;
        }
        w->waiting_since[k] = -1;
        if (d.verdict != SUPPLY_ORDER)
            continue;
        w->want_sup[w->n_want] = sup;
        w->want_sku[w->n_want] = k;
        w->want_qty[w->n_want++] = d.reorder.quantity;
    }
    /* Stable grouping by supplier. */
    for (size_t i = 1; i < w->n_want; i++)
        for (size_t j = i; j > 0; j--) {
            int first_j = -1, first_p = -1;
            for (size_t q = 0; q < w->n_want; q++) {
                if (first_j < 0 && w->want_sup[q] == w->want_sup[j])
                    first_j = (int)q;
                if (first_p < 0 && w->want_sup[q] == w->want_sup[j - 1])
                    first_p = (int)q;
            }
            if (first_p <= first_j)
                break;
            int ts = w->want_sup[j], tk = w->want_sku[j];
            int64_t tq = w->want_qty[j];
            w->want_sup[j] = w->want_sup[j - 1];
            w->want_sku[j] = w->want_sku[j - 1];
            w->want_qty[j] = w->want_qty[j - 1];
            w->want_sup[j - 1] = ts;
            w->want_sku[j - 1] = tk;
            w->want_qty[j - 1] = tq;
        }
    replen_next_group(w);
}

/* The lines of the supplier group being written: [want_at, end). */
static size_t group_end(const world *w)
{
    size_t e = w->want_at;
    while (e < w->n_want && w->want_sup[e] == w->want_sup[w->want_at])
        e++;
    return e;
}

static void replen_next_group(world *w)
{
    if (w->want_at >= w->n_want) {
        w->replen_busy = 0;
        sw_replen_wake(w, w->now);
        return;
    }
    int sup = w->want_sup[w->want_at];
    if (!w->has_draft[sup])
        sw_new_call(w, CALL_PO_LIST, SYS_CIN7, SHARE_NORMAL, sup, 0);
    else
        sw_new_call(w, CALL_PO_READ, SYS_CIN7, SHARE_NORMAL, sup, 0);
}

/* The supplier's draft as Cin7 holds it now, into the record. */
static void record_purchase(world *w, int sup, model_po_kind kind, int with_lines)
{
    char id[32];
    snprintf(id, sizeof id, "po-%d", w->has_draft[sup]);
    model_line *ml = xcalloc(w->n_skus + 1, sizeof *ml);
    size_t n = 0;
    for (size_t k = 0; with_lines && k < w->n_skus; k++) {
        int64_t q = w->draft_qty[(size_t)sup * w->n_skus + k];
        if (q > 0)
            ml[n++] = (model_line){(int)k, q};
    }
    model_add_purchase(w->m, w->now, kind, id, w->sc->suppliers[sup].name, 1, ml, n);
    free(ml);
}

/* A replenishment call reached Cin7 (answered 200). */
void sw_replen_arrive(world *w, const call *c)
{
    int sup = (int)c->owner;
    if (c->kind == CALL_PO_HEADER) {
        w->has_draft[sup] = (int)++w->n_drafts;
        record_purchase(w, sup, MODEL_PO_CREATED, 0);
    } else if (c->kind == CALL_PO_LINES) {
        for (size_t i = w->want_at, e = group_end(w); i < e; i++)
            w->draft_qty[(size_t)sup * w->n_skus + (size_t)w->want_sku[i]] = w->want_qty[i];
        record_purchase(w, sup, MODEL_PO_UPDATED, 1);
    }
}

void sw_replen_call_done(world *w, long ci)
{
    call c = w->calls[ci];
    int sup = (int)c.owner;
    switch (c.kind) {
    case CALL_PRODUCTS:
        replen_decide(w, w->pass_sku + LEVEL_BATCH, (size_t)c.group);
        break;
    case CALL_PO_LIST: /* no open draft of the supplier in Cin7 */
        sw_new_call(w, CALL_PO_HEADER, SYS_CIN7, SHARE_NORMAL, sup, 0);
        break;
    case CALL_PO_HEADER:
        sw_new_call(w, CALL_PO_LINES, SYS_CIN7, SHARE_NORMAL, sup, 0);
        break;
    case CALL_PO_READ: {
        /* supply_merge: nothing is posted when nothing changes. */
        int changed = 0;
        for (size_t i = w->want_at, e = group_end(w); i < e; i++)
            changed |= w->draft_qty[(size_t)sup * w->n_skus + (size_t)w->want_sku[i]] !=
                        w->want_qty[i];
        if (changed) {
            sw_new_call(w, CALL_PO_LINES, SYS_CIN7, SHARE_NORMAL, sup, 0);
            break;
        }
        w->want_at = group_end(w);
        replen_next_group(w);
        break;
    }
    case CALL_PO_LINES:
        w->want_at = group_end(w);
        replen_next_group(w);
        break;
    default:
        break;
    }
}

/* A replenishment call failed for good: the supplier's lines wait for
 * the SKUs' next check (supplier records are read again first). */
void sw_replen_call_failed(world *w, const call *c)
{
    if (c->kind == CALL_PRODUCTS) {
        w->supply_loaded = 0;
        w->replen_busy = 0;
        sw_replen_wake(w, w->now);
        return;
    }
    for (size_t i = w->want_at, e = group_end(w); i < e; i++)
        coalesce_mark(w->rmarks, sw_sku_name(w, w->want_sku[i]), w->now);
    w->want_at = group_end(w);
    replen_next_group(w);
}

/* EV_REPLEN: the schedule's sweep, then the marked SKUs, then the ones put
 * off by a sale in flight (replen_main's order). */
void sw_replen_start(world *w)
{
    if (w->replen_wake && w->now < w->replen_wake_at)
        return; /* a wake superseded by a sooner one */
    w->replen_wake = 0;
    if (w->replen_busy)
        return;
    if (w->now >= w->next_sweep) {
        for (size_t k = 0; k < w->n_skus; k++)
            coalesce_mark(w->rmarks, sw_sku_name(w, (int)k), w->now);
        w->next_sweep = w->now + w->cfg->replen_interval_ms;
    }
    size_t n = coalesce_take(w->rmarks, w->now, w->batch, LEVEL_BATCH);
    if (!n)
        n = coalesce_take(w->rsettle, w->now, w->batch, LEVEL_BATCH);
    if (!n) {
        int64_t at = w->next_sweep, d1 = coalesce_next_due(w->rmarks),
                d2 = coalesce_next_due(w->rsettle);
        if (d1 >= 0 && d1 < at)
            at = d1;
        if (d2 >= 0 && d2 < at)
            at = d2;
        sw_replen_wake(w, at);
        return;
    }
    w->replen_busy = 1;
    int *skus = w->pass_sku + LEVEL_BATCH; /* the replenishment half */
    for (size_t i = 0; i < n; i++) {
        skus[i] = (int)strmap_get(w->sku_index, w->batch[i]);
        free(w->batch[i]);
    }
    if (!w->supply_loaded) {
        w->supply_loaded = 1;
        sw_new_call(w, CALL_PRODUCTS, SYS_CIN7, SHARE_NORMAL, -1, (int)n);
        return;
    }
    replen_decide(w, skus, n);
}

