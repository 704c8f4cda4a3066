/*
 * Who takes the next permit of a rate gate when callers of several
 * priorities wait for it. Strict priority starved the lower ones: while
 * order pushes (urgent) backed up behind a Cin7 limit, the stock read that
 * every Shopify level write waits for (normal) never got a call, and the
 * levels shops sell from froze until the backlog was gone. Instead each
 * priority class that has a caller waiting gets a share of the permits in
 * proportion to its weight (urgent 6, normal 3, bulk 1: with all three
 * waiting, 60%, 30% and 10% of the calls; with two, in the ratio of their
 * weights; alone, every call), so urgent work still goes first most of the
 * time and no class waits more than a bounded number of permits. A fourth
 * class, critical (weight 24), is for the rare work that must not wait
 * behind a backlog of urgent calls: moving a backordered sale while the
 * other warehouse still has the units (with urgent calls also waiting it
 * takes 80% of the permits; it is idle nearly always).
 *
 * The rule is smooth weighted round-robin (nginx's upstream balancing):
 * every class waiting at a grant earns its weight in credit, the class
 * with the most credit takes the permit and pays the sum of the waiting
 * weights. Over any run of grants with the same classes waiting, each gets
 * its weight's share, spread out rather than in runs (6:3:1 gives
 * U N U U N U B U N U). A class with nobody waiting keeps no credit, so one
 * that was idle cannot burst ahead when it returns. Pure functions over a
 * plain struct; the gate serialises calls.
 */
#ifndef SURGE_SHARE_H
#define SURGE_SHARE_H

#include <stdint.h>

/* The classes, gate.h's priorities. */
enum { SHARE_BULK, SHARE_NORMAL, SHARE_URGENT, SHARE_CRITICAL, SHARE_CLASSES };

typedef struct {
    int weight[SHARE_CLASSES];     /* > 0 */
    int64_t credit[SHARE_CLASSES];
} share;

/* The default weights, 1 (bulk), 3 (normal), 6 (urgent), 24 (critical);
 * no credit. */
void share_init(share *s);
/* The class that takes the next permit among those with waiting[c] != 0
 * (the most credit after this grant's earnings; ties to the higher
 * class), or -1 when none waits. Does not change s: the choice is made
 * again until a permit is really taken, so a caller that arrives while
 * the chosen one waits for its permit is counted in. */
int share_next(const share *s, const int waiting[SHARE_CLASSES]);
/* Records that class c took a permit while the classes in waiting waited
 * (c among them). */
void share_took(share *s, int c, const int waiting[SHARE_CLASSES]);

#endif
