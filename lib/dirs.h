/*
 * Results folders: making a path with its parents, and choosing a fresh
 * "PARENT/NAME-YYYYMMDD-HHMMSS" folder name (local time) for a run or a
 * sweep that was given none.
 */
#ifndef SURGE_DIRS_H
#define SURGE_DIRS_H

#include <stddef.h>

/* mkdir -p: 0, or -1 with errno set. An existing folder is fine. */
int dirs_make(const char *path);
/* Writes "parent/name-STAMP" into out, with "-2", "-3" ... appended while
 * that exists (up to -99). Does not create it. */
void dirs_stamped(char *out, size_t n, const char *parent, const char *name);

#endif
