/*
 * The mocks' journal: every request and side effect, in order, as JSON
 * objects {"seq":N,"t":SIM_MS,"kind":"...",...fields}. The newest entries
 * stay in memory (a ring of fixed size, for GET /_mock/journal); every entry
 * also goes to an optional file as one JSON line, so memory stays bounded on
 * long runs and the harness can read the whole history after the run.
 *
 * Thread-safe: one lock orders entries, so seq order is the order in which
 * side effects happened.
 */
#ifndef SURGE_JOURNAL_H
#define SURGE_JOURNAL_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "clock.h"

typedef struct journal journal;

/* keep: entries held in memory (0 means 100000). path: NULL, or a file
 * created (truncated) now and appended to. clk is borrowed. Returns 0, or -1
 * with a message in err. */
int journal_open(const char *path, size_t keep, const sclock *clk, journal **out, char *err,
                 size_t errlen);
void journal_close(journal *j); /* flushes; accepts NULL */

/* Appends an entry of this kind at the current simulated time. fields (may
 * be NULL) is an object whose members follow kind; it is consumed. Returns
 * the entry's seq (from 1). */
uint64_t journal_add(journal *j, const char *kind, cJSON *fields);
/* The same with the fields written as JSON member text by a printf format,
 * e.g. journal_addf(j, "stock", "\"sku\":%s,\"on_hand\":%d", quoted, n).
 * Cheaper on hot paths; the caller must produce valid JSON members. */
uint64_t journal_addf(journal *j, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* {"entries":[...],"next":SEQ,"oldest":SEQ,"truncated":BOOL} with the
 * entries whose seq > since, at most limit (capped at 10000). next is the
 * since to ask with next time; truncated says entries after since were
 * already dropped from memory (read the file). Caller frees the text. */
char *journal_query(journal *j, uint64_t since, size_t limit);
uint64_t journal_last_seq(journal *j);
/* Empties memory and the file; seq starts again at 1. */
void journal_reset(journal *j);

#endif
