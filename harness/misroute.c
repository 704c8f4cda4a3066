/* Misrouted units; see misroute.h.
 *
 * Per SKU the units that could move form a step function of time. Its
 * level is a pile of stretches: when it rises, a stretch of the new units
 * starts on top of the pile; when it falls, the units leave from the top
 * (the newest first), and each unit that leaves after more than the grace
 * period counts. So a unit counts once per stretch it spent at or under
 * the level, and the oldest units are the ones that stay. */
#include "misroute.h"

#include "mem.h"

#include <stdlib.h>

/* Units that became movable together at start. */
typedef struct {
    int64_t start;
    int64_t units;
} stretch;

typedef struct {
    stretch *pile;   /* oldest first */
    size_t n, cap;
    int64_t level;   /* units movable now: the sum over the pile */
    int64_t counted; /* units counted so far */
} sku_state;

struct misroute {
    size_t n_skus, n_locs;
    int64_t grace_ms;
    int64_t now;         /* the latest time seen */
    int64_t *avail;      /* [sku * n_locs + loc], at least 0 */
    int64_t *back;       /* [sku * n_locs + loc], at least 0 */
    sku_state *skus;
    int finished;
};

misroute *misroute_new(size_t n_skus, size_t n_locs, int64_t grace_ms)
{
    misroute *m = xcalloc(1, sizeof *m);
    m->n_skus = n_skus;
    m->n_locs = n_locs;
    m->grace_ms = grace_ms;
    m->now = INT64_MIN;
    m->avail = xcalloc(n_skus * n_locs + 1, sizeof *m->avail);
    m->back = xcalloc(n_skus * n_locs + 1, sizeof *m->back);
    m->skus = xcalloc(n_skus + 1, sizeof *m->skus);
    return m;
}

void misroute_free(misroute *m)
{
    if (!m)
        return;
    for (size_t k = 0; k < m->n_skus; k++)
        free(m->skus[k].pile);
    free(m->skus);
    free(m->avail);
    free(m->back);
    free(m);
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

/* The most backordered units of sku that Available at other warehouses
 * could cover: a flow from each warehouse's backorders to every other
 * warehouse's Available. By max-flow/min-cut it is the least of: every
 * backorder, every Available, and for each warehouse L the backorders
 * elsewhere plus the Available elsewhere (L's backorders may use anything
 * but L's stock, so cutting them off costs what the others can do). */
static int64_t movable(const misroute *m, size_t sku)
{
    const int64_t *b = m->back + sku * m->n_locs, *a = m->avail + sku * m->n_locs;
    int64_t sb = 0, sa = 0;
    for (size_t l = 0; l < m->n_locs; l++) {
        sb += b[l];
        sa += a[l];
    }
    int64_t best = min64(sb, sa);
    for (size_t l = 0; l < m->n_locs; l++)
        best = min64(best, sb - b[l] + sa - a[l]);
    return best;
}

/* Moves sku's level to what its figures say at time m->now. */
static void settle(misroute *m, size_t sku)
{
    sku_state *s = &m->skus[sku];
    int64_t want = movable(m, sku);
    if (want > s->level) {
        XGROW(s->pile, s->n, s->cap, 16);
        s->pile[s->n++] = (stretch){m->now, want - s->level};
        s->level = want;
        return;
    }
    /* The newest units leave first; each pass empties or trims the top. */
    while (s->level > want && s->n > 0) {
        stretch *top = &s->pile[s->n - 1];
        int64_t leave = min64(top->units, s->level - want);
        if (m->now - top->start > m->grace_ms)
            s->counted += leave;
        top->units -= leave;
        s->level -= leave;
        if (top->units == 0)
            s->n--;
    }
}

static void advance(misroute *m, int64_t t)
{
    if (t > m->now)
        m->now = t;
}

void misroute_available(misroute *m, int64_t t, size_t sku, size_t loc, int64_t avail)
{
    if (m->finished || sku >= m->n_skus || loc >= m->n_locs)
        return;
    advance(m, t);
    m->avail[sku * m->n_locs + loc] = avail > 0 ? avail : 0;
    settle(m, sku);
}

void misroute_backordered(misroute *m, int64_t t, size_t sku, size_t loc, int64_t delta)
{
    if (m->finished || sku >= m->n_skus || loc >= m->n_locs)
        return;
    advance(m, t);
    int64_t *b = &m->back[sku * m->n_locs + loc];
    *b = *b + delta > 0 ? *b + delta : 0;
    settle(m, sku);
}

int64_t misroute_movable(const misroute *m, size_t sku)
{
    return sku < m->n_skus ? m->skus[sku].level : 0;
}

int64_t misroute_finish(misroute *m, int64_t end, int64_t *per_sku)
{
    int64_t total = 0;
    advance(m, end);
    for (size_t k = 0; k < m->n_skus; k++) {
        sku_state *s = &m->skus[k];
        if (!m->finished) {
            /* Whatever could still move at the end leaves now. */
            for (size_t l = 0; l < m->n_locs; l++)
                m->back[k * m->n_locs + l] = 0;
            settle(m, k);
        }
        if (per_sku)
            per_sku[k] = s->counted;
        total += s->counted;
    }
    m->finished = 1;
    return total;
}
