/*
 * The harness's own HTTP calls to the mocks and the engine under test:
 * control endpoints, state reads and health checks, JSON in and out.
 */
#ifndef SURGE_HCALL_H
#define SURGE_HCALL_H

#include "proc.h"

#include <cjson/cJSON.h>
#include <signal.h>
#include <stddef.h>

/* GET url (with a bearer token when auth is given); returns the status (0
 * on a transport error) and, when body is given, the parsed JSON (NULL
 * when not JSON). */
int hcall_get_json(const char *url, const char *auth, cJSON **body);
/* Sends v as JSON with method; returns the status (0 on a transport error)
 * with the answer's first 300 bytes (or the transport error) in answer. */
int hcall_send_json(const char *method, const char *url, const cJSON *v, char *answer, size_t n);
/* Waits up to timeout_ms (real) until url answers 200. Returns 0; -1 on
 * timeout, when *interrupted is set, or when p (if given) has exited. */
int hcall_wait_healthy(const char *url, int timeout_ms, proc *p, const volatile sig_atomic_t *interrupted);

#endif
