/*
 * Cin7 stock reads off the inventory thread. A level sync needs figures
 * from Cin7, but a read can take long: behind a backlog of order pushes
 * at Cin7's limit, or while Cin7 is down and each try waits to fail. The
 * inventory thread used to wait for it, and while it waited no shop's
 * level moved, not even for what syncd itself knew had sold. Now the read
 * runs on its own thread: the inventory thread asks for one and waits a
 * little; when the read is not back by then it syncs on the figures it
 * has (less the units the ledger knows were sold since: still right for
 * everything syncd knows), and the read, when it lands, marks every SKU
 * for another sync. A read that fails while syncs are owed one is tried
 * again every 30 simulated seconds until one succeeds.
 */
#ifndef SURGE_SYNCD_STOCKREAD_H
#define SURGE_SYNCD_STOCKREAD_H

#include <stdint.h>

#include "handled.h"
#include "syncd.h"

typedef struct stockread stockread;

stockread *stockread_start(syncd *sd);
/* Stops and joins the thread (a read on the wire finishes first: callers
 * stop the Cin7 client before); accepts NULL. */
void stockread_stop(stockread *r);

typedef enum {
    STOCKREAD_FRESH,   /* the cached figures are as fresh as syncd wants */
    STOCKREAD_FAILED,  /* the read failed: *h says why and when to try again */
    STOCKREAD_PENDING, /* still reading after wait_ms; it marks what moved */
} stockread_result;

/* Asks for a read when the cached figures are older than syncd wants
 * (inventory_refresh decides), unless one is running, and waits up to
 * wait_ms (simulated) for it. */
stockread_result stockread_fresh(stockread *r, int64_t wait_ms, handled *h);
/* A sync went on the cached figures without asking (a read failed a
 * moment ago): a read is tried in retry_in_ms (sim) unless one is due
 * sooner, and the first that succeeds marks every SKU for another sync. */
void stockread_owe(stockread *r, int64_t retry_in_ms);
/* 1 while syncs are owed a read (work not done yet, as /metrics says),
 * else 0; accepts NULL. */
int stockread_owed(stockread *r);

#endif
