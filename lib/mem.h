/*
 * Allocation that never returns NULL: running out of memory aborts with a
 * message, by policy (STYLE.md), so callers do not carry a branch for it.
 */
#ifndef SURGE_MEM_H
#define SURGE_MEM_H

#include <stddef.h>

/* All return malloc'd memory the caller frees with free(). */
void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Room for arr[n] in a growable array of capacity cap: when it is full,
 * cap doubles (from first) and arr is reallocated. */
#define XGROW(arr, n, cap, first)                                                                 \
    do {                                                                                          \
        if ((n) == (cap)) {                                                                       \
            (cap) = (cap) ? (cap) * 2 : (first);                                                  \
            (arr) = xrealloc((arr), (size_t)(cap) * sizeof *(arr));                               \
        }                                                                                         \
    } while (0)

#endif
