/* The answers handlers give the queue (handled.h). */
#include "handled.h"

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
