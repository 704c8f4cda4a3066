/* The fulfillment-order plan (foplan.h). */
#include "foplan.h"

#include "mem.h"

#include <stdlib.h>
#include <string.h>

static int64_t sat_add(int64_t a, int64_t b)
{
    return a > INT64_MAX - b ? INT64_MAX : a + b;
}

static int releasable(const char *reason)
{
    return reason && strcmp(reason, "INVENTORY_OUT_OF_STOCK") == 0;
}

/* 1 when fo has remaining units of a line item still wanted. */
static int holds_shipped(const foplan_fo *fo, const int64_t *ids, const int64_t *want, size_t n)
{
    for (size_t k = 0; k < fo->n_lines; k++)
        for (size_t i = 0; i < n; i++)
            if (ids[i] == fo->lines[k].line_item && want[i] > 0 && fo->lines[k].remaining > 0)
                return 1;
    return 0;
}

/* Decides the holds: *out's release list, or held. usable[f] is set for
 * each fulfillment order that may take units. */
static void plan_holds(const int64_t *ids, const int64_t *want, size_t n, const foplan_fo *fos,
                       size_t n_fos, int *usable, foplan *out)
{
    for (size_t f = 0; f < n_fos; f++) {
        usable[f] = fos[f].status == FOPLAN_OPEN;
        if (fos[f].status != FOPLAN_ON_HOLD || !holds_shipped(&fos[f], ids, want, n))
            continue;
        int mine = 1;
        for (size_t h = 0; h < fos[f].n_holds; h++)
            if (!releasable(fos[f].hold_reasons[h])) {
                mine = 0;
                out->held = 1;
                out->held_reason = fos[f].hold_reasons[h] ? fos[f].hold_reasons[h] : "unknown";
            }
        if (mine) {
            out->release[out->n_release++] = f;
            usable[f] = 1;
        }
    }
    if (out->held)
        out->n_release = 0; /* the merchant decides first: nothing is touched */
}

/* The shipping location, then every other in the fulfillment orders' order. */
static size_t plan_locations(const foplan_fo *fos, size_t n_fos, int64_t location, int64_t *locs)
{
    size_t n = 0;
    if (location)
        locs[n++] = location;
    for (size_t f = 0; f < n_fos; f++) {
        size_t k = 0;
        while (k < n && locs[k] != fos[f].location)
            k++;
        if (k == n && n < FOPLAN_MAX_LOCATIONS && fos[f].location)
            locs[n++] = fos[f].location;
    }
    return n;
}

/* The items of one fulfillmentCreate at location, taken from want. */
static void plan_at(const int64_t *ids, int64_t *want, size_t n, const foplan_fo *fos,
                    size_t n_fos, const int *usable, int64_t location, foplan *out)
{
    foplan_create c = {location, out->n_items, 0, 0};
    for (size_t f = 0; f < n_fos; f++) {
        if (!usable[f] || fos[f].location != location)
            continue;
        for (size_t k = 0; k < fos[f].n_lines; k++) {
            int64_t rem = fos[f].lines[k].remaining;
            for (size_t i = 0; i < n && rem > 0; i++) {
                if (ids[i] != fos[f].lines[k].line_item || want[i] <= 0)
                    continue;
                int64_t q = want[i] < rem ? want[i] : rem;
                want[i] -= q;
                rem -= q;
                out->items[out->n_items++] = (foplan_item){f, k, q};
                c.n++;
                c.units = sat_add(c.units, q);
            }
        }
    }
    if (c.n) {
        out->creates[out->n_creates++] = c;
        out->units = sat_add(out->units, c.units);
    }
}

void foplan_make(const int64_t *ids, const int64_t *qty, size_t n, const foplan_fo *fos,
                 size_t n_fos, int64_t location, foplan *out)
{
    memset(out, 0, sizeof *out);
    int64_t *want = xcalloc(n + 1, sizeof *want);
    int64_t wanted = 0;
    size_t max_items = 0;
    for (size_t i = 0; i < n; i++) {
        want[i] = qty[i] > 0 ? qty[i] : 0;
        wanted = sat_add(wanted, want[i]);
    }
    for (size_t f = 0; f < n_fos; f++)
        max_items += fos[f].n_lines * (n ? n : 1);
    int *usable = xcalloc(n_fos + 1, sizeof *usable);
    out->release = xcalloc(n_fos + 1, sizeof *out->release);
    out->creates = xcalloc(FOPLAN_MAX_LOCATIONS, sizeof *out->creates);
    out->items = xcalloc(max_items + 1, sizeof *out->items);
    plan_holds(ids, want, n, fos, n_fos, usable, out);
    if (!out->held) {
        int64_t locs[FOPLAN_MAX_LOCATIONS];
        size_t n_locs = plan_locations(fos, n_fos, location, locs);
        for (size_t k = 0; k < n_locs && out->units < wanted; k++)
            plan_at(ids, want, n, fos, n_fos, usable, locs[k], out);
    }
    out->unplaced = out->held ? 0 : wanted - out->units;
    free(usable);
    free(want);
}

void foplan_free(foplan *p)
{
    if (!p)
        return;
    free(p->release);
    free(p->creates);
    free(p->items);
    memset(p, 0, sizeof *p);
}

size_t foplan_backorder_holds(const foplan_fo *fos, size_t n_fos, const int64_t *items, size_t n,
                              size_t *out)
{
    size_t k = 0;
    for (size_t f = 0; f < n_fos; f++) {
        if (fos[f].status != FOPLAN_OPEN)
            continue;
        int takes = 0;
        for (size_t l = 0; l < fos[f].n_lines && !takes; l++)
            for (size_t i = 0; i < n && !takes; i++)
                takes = fos[f].lines[l].line_item == items[i] && fos[f].lines[l].remaining > 0;
        if (takes)
            out[k++] = f;
    }
    return k;
}
