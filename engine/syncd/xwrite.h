/*
 * Exactly-once outbound writes: the one place that carries out the rule of
 * engine/core/once.h over the store's write ledger, for Cin7 sales and
 * their lines, Shopify fulfillments and Cin7 purchase drafts alike. The
 * intent is recorded before anything is sent; the ledger then says
 * whether to send, to look the write up at the remote end first (an
 * earlier try may have landed without us hearing back), or to do nothing
 * (it landed before); the outcome is recorded after. What a write is, and
 * how to find it, the caller says in two callbacks.
 */
#ifndef SURGE_SYNCD_XWRITE_H
#define SURGE_SYNCD_XWRITE_H

#include "clock.h"
#include "handled.h"
#include "outbound.h"
#include "store.h"

typedef enum {
    XWRITE_ALREADY,   /* the ledger had it done: nothing was called */
    XWRITE_FOUND,     /* a look-up found an earlier try's write */
    XWRITE_WRITTEN,   /* written now */
} xwrite_how;

typedef struct {
    const char *key;    /* ledger key, e.g. "sale:<external id>" */
    const char *kind;   /* "sale", "sale_order", "fulfillment", "purchase" */
    const char *body;   /* what the intent records (may be NULL) */
    /* Looks for the write at the remote end after an intent whose outcome
     * is not known. Returns 1 when found (*remote may get its remote id,
     * malloc'd), 0 when absent, -1 when it cannot tell now (*h says what
     * becomes of the event). */
    int (*look_up)(void *ud, char **remote, handled *h);
    /* Sends the write. Returns 1 when written (*remote: its remote id,
     * malloc'd, or NULL); 0 when nothing was sent and the intent stays
     * open (*h says what becomes of the event); -1 when it failed, *o
     * holding the call's outcome. o is xwrite's to spend afterwards. */
    int (*write)(void *ud, char **remote, outcome *o, handled *h);
    void *ud;
} xwrite_op;

/* Makes xwrite_run keep runners of one key in different processes apart
 * too, for instances sharing one store: each run holds the store claim
 * "xw:<key>" as holder for ttl_ms (a key another instance holds is
 * retried when its claim ends, unsent), renews it right before each
 * request of the write leaves (outbound_guard), and sends nothing once
 * the claim was lost (it ran out and another instance took it): the
 * write's outcome is then not recorded, and the event tries again, to
 * find the other's write done or look it up. Set once at start, before
 * any run (holder is copied); holder NULL turns it off (the default:
 * runners of one process only). */
void xwrite_share(const char *holder, int64_t ttl_ms);

/* Carries out op at most once over its ledger entry (a second runner of
 * the same key in this process waits for the first to finish; in another
 * process sharing the store, see xwrite_share). Returns H_DONE with
 * *how, and *remote (malloc'd or NULL; the caller frees), or what becomes
 * of the event: a retry when the ledger cannot be written or the outcome
 * is unknown (the next try looks it up), dead when the remote end refused
 * for good. */
handled xwrite_run(store *st, const sclock *clk, const xwrite_op *op, xwrite_how *how,
                   char **remote);

#endif
