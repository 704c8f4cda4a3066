/*
 * What a browser sends the ops page, read without trusting it: a cookie
 * out of a Cookie header (RFC 6265 section 4.2: name=value pairs separated
 * by "; ") and a field out of an application/x-www-form-urlencoded body
 * (the WHATWG URL standard's form encoding: '&'-separated name=value, '+'
 * for a space, %XX escapes). Pure functions over bytes; fuzzed in
 * tests/fuzz/fuzz_syncd_webform.c.
 */
#ifndef SURGE_SYNCD_WEBFORM_H
#define SURGE_SYNCD_WEBFORM_H

#include <stddef.h>

/* The value of the first cookie called name in header (NULL allowed),
 * copied into buf (n bytes). Returns 0, or -1 when there is none or it
 * does not fit (buf is then ""). */
int webform_cookie(const char *header, const char *name, char *buf, size_t n);
/* The value of the first field called name (compared decoded) in the form
 * body of len bytes (NULL allowed when len is 0), decoded into buf (n
 * bytes). Returns 0, or -1 when there is none, it does not fit, it holds a
 * malformed escape or a NUL (buf is then ""). */
int webform_field(const char *body, size_t len, const char *name, char *buf, size_t n);

#endif
