/* Reconciliation and poll mode; see reconcile.h. */
#include "reconcile.h"

#include "mem.h"

#include <stdlib.h>

struct reconciler {
    syncd *sd;
};

reconciler *reconcile_start(syncd *sd)
{
    reconciler *r = xcalloc(1, sizeof *r);
    r->sd = sd;
    return r;
}

void reconcile_stop(reconciler *r)
{
    free(r);
}
