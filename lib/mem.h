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

#endif
