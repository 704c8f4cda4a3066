/*
 * What a handler tells the queue about its event: done (ack), retry after a
 * wait, or dead (the reason goes to the dead-letter queue with an alert).
 * Built in one place so that every handler words a retry, a dead letter
 * and a failed outbound call the same way.
 */
#ifndef SURGE_SYNCD_HANDLED_H
#define SURGE_SYNCD_HANDLED_H

#include <stdint.h>

#include "outbound.h"

enum { H_DONE, H_RETRY, H_DEAD };

typedef struct {
    int kind;
    int64_t wait_ms;    /* H_RETRY */
    char reason[320];   /* H_RETRY, H_DEAD */
} handled;

/* Done; retry after wait_ms or dead, the reason formatted (and cut to fit);
 * and the answer an outbound call's failure calls for: dead when it is
 * permanent, else a retry after the wait it asks for (1 s when it asks
 * none). */
handled handled_done(void);
handled handled_retry(int64_t wait_ms, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
handled handled_dead(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
handled handled_from_outcome(const outcome *o);

#endif
