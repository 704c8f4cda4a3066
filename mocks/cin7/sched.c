/* The min-heap of due events; see sched.h. */
#include "sched.h"

#include "mem.h"

#include <stdlib.h>

static int before(const c7ev *a, const c7ev *b)
{
    return a->due_ms < b->due_ms || (a->due_ms == b->due_ms && a->order < b->order);
}

void c7sched_push(c7sched *s, c7ev ev)
{
    XGROW(s->heap, s->n, s->cap, 64);
    ev.order = s->next_order++;
    size_t i = s->n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!before(&ev, &s->heap[p]))
            break;
        s->heap[i] = s->heap[p];
        i = p;
    }
    s->heap[i] = ev;
}

const c7ev *c7sched_peek(const c7sched *s)
{
    return s->n ? &s->heap[0] : NULL;
}

c7ev c7sched_pop(c7sched *s)
{
    c7ev top = s->heap[0];
    c7ev last = s->heap[--s->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= s->n)
            break;
        if (c + 1 < s->n && before(&s->heap[c + 1], &s->heap[c]))
            c++;
        if (!before(&s->heap[c], &last))
            break;
        s->heap[i] = s->heap[c];
        i = c;
    }
    if (s->n)
        s->heap[i] = last;
    return top;
}

void c7sched_clear(c7sched *s)
{
    s->n = 0;
}

void c7sched_free(c7sched *s)
{
    free(s->heap);
    s->heap = NULL;
    s->n = s->cap = 0;
}
