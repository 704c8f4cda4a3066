/* The min-heap of due events; see evheap.h. */
#include "evheap.h"

#include "mem.h"

#include <stdlib.h>

static int before(const evheap_ev *a, const evheap_ev *b)
{
    return a->due_ms < b->due_ms || (a->due_ms == b->due_ms && a->order < b->order);
}

void evheap_push(evheap *h, evheap_ev ev)
{
    XGROW(h->heap, h->n, h->cap, 64);
    ev.order = h->next_order++;
    size_t i = h->n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!before(&ev, &h->heap[p]))
            break;
        h->heap[i] = h->heap[p];
        i = p;
    }
    h->heap[i] = ev;
}

const evheap_ev *evheap_peek(const evheap *h)
{
    return h->n ? &h->heap[0] : NULL;
}

evheap_ev evheap_pop(evheap *h)
{
    evheap_ev top = h->heap[0];
    evheap_ev last = h->heap[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && before(&h->heap[c + 1], &h->heap[c]))
            c++;
        if (!before(&h->heap[c], &last))
            break;
        h->heap[i] = h->heap[c];
        i = c;
    }
    if (h->n)
        h->heap[i] = last;
    return top;
}

void evheap_clear(evheap *h)
{
    h->n = 0;
}

void evheap_free(evheap *h)
{
    free(h->heap);
    h->heap = NULL;
    h->n = h->cap = 0;
}
