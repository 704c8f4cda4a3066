/*
 * The answers handlers give the worker (see handlers.h), built in one place
 * so that every handler words a retry, a dead letter and a failed outbound
 * call the same way.
 */
#include "handlers.h"

#include <stdarg.h>
#include <stdio.h>

handled handled_done(void)
{
    return (handled){H_DONE, 0, ""};
}

handled handled_retry(int64_t wait_ms, const char *fmt, ...)
{
    handled h = {H_RETRY, wait_ms, ""};
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h.reason, sizeof h.reason, fmt, ap);
    va_end(ap);
    return h;
}

handled handled_dead(const char *fmt, ...)
{
    handled h = {H_DEAD, 0, ""};
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h.reason, sizeof h.reason, fmt, ap);
    va_end(ap);
    return h;
}

handled handled_from_outcome(const outcome *o)
{
    handled h = {o->action == POLICY_PERMANENT ? H_DEAD : H_RETRY,
                 o->wait_ms > 0 ? o->wait_ms : 1000, ""};
    snprintf(h.reason, sizeof h.reason, "%s", o->error);
    return h;
}

handled handled_write_failed(syncd *sd, const char *key, const outcome *o, int64_t at)
{
    int lookup = o->action == POLICY_LOOKUP;
    store_write_outcome(sd->st, key, lookup ? WRITE_UNKNOWN : WRITE_FAILED, NULL, at);
    handled h = handled_from_outcome(o);
    if (lookup)
        h.kind = H_RETRY;
    return h;
}
