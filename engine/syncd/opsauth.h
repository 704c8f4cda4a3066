/*
 * Who may use syncd's admin routes and the ops page: the admin token, sent
 * as a bearer credential by scripts or typed once into the page's login
 * form, which opens a session. A session is a random id (the browser holds
 * it in an HttpOnly cookie) and its own random CSRF token (the page puts it
 * in every form that changes something). Sessions end at logout, after an
 * idle time, and after a longest life, whichever comes first; the table
 * holds a bounded number, the least recently used giving way to a new one.
 *
 * Times are real ms passed in by the caller (a person's session does not
 * follow the simulated clock). Thread-safe: one lock over the table.
 */
#ifndef SURGE_SYNCD_OPSAUTH_H
#define SURGE_SYNCD_OPSAUTH_H

#include <stddef.h>
#include <stdint.h>

/* Hex characters of a session id or a CSRF token: 32 random bytes each. */
#define OPSAUTH_TOKEN_LEN 64

typedef struct opsauth opsauth;

/* A table of at most max_sessions (at least 1) sessions, each ending idle_ms
 * after its last use or max_age_ms after login. */
opsauth *opsauth_new(size_t max_sessions, int64_t idle_ms, int64_t max_age_ms);
void opsauth_free(opsauth *a); /* accepts NULL */

/* Opens a session at now: its id and CSRF token (each OPSAUTH_TOKEN_LEN
 * hex characters and a NUL) are written to sid and csrf. Returns 0, or -1
 * when the random generator failed (no session is opened then). */
__attribute__((warn_unused_result)) int opsauth_login(opsauth *a, int64_t now, char *sid,
                                                      char *csrf);
/* Whether sid (NULL allowed) names a live session at now: 1, its CSRF token
 * copied to csrf (OPSAUTH_TOKEN_LEN + 1 bytes) and its idle time restarted;
 * else 0. Every slot is compared whole, in constant time. */
int opsauth_session(opsauth *a, const char *sid, int64_t now, char *csrf);
/* Ends the session sid names, if any. */
void opsauth_logout(opsauth *a, const char *sid);
/* Sessions live at now (for tests and the page). */
size_t opsauth_count(opsauth *a, int64_t now);

/* Whether got (NULL allowed) is exactly want, in time that does not depend
 * on where they differ (CRYPTO_memcmp). */
int opsauth_same(const char *got, const char *want);
/* Whether got is scheme (e.g. "Bearer ", any case) followed by secret, the
 * secret compared as opsauth_same does. */
int opsauth_credential(const char *got, const char *scheme, const char *secret);

#endif
