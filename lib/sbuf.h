/*
 * A growable byte buffer that always keeps a terminating NUL, for building
 * response bodies, log lines, CSV and JSON text.
 */
#ifndef SURGE_SBUF_H
#define SURGE_SBUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

typedef struct {
    char *data; /* malloc'd, NUL-terminated; NULL until the first append */
    size_t len;
    size_t cap;
} sbuf;

#define SBUF_INIT {NULL, 0, 0}

void sbuf_append(sbuf *b, const void *data, size_t n);
void sbuf_puts(sbuf *b, const char *s);
void sbuf_putc(sbuf *b, char c);
void sbuf_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_vprintf(sbuf *b, const char *fmt, va_list ap);
/* Appends s as a JSON string literal, quotes included. */
void sbuf_json_str(sbuf *b, const char *s);
/* Appends s percent-encoded for a URL query value (RFC 3986 unreserved
 * characters stay as they are). */
void sbuf_urlenc(sbuf *b, const char *s);
/* Appends everything f has left, refusing to grow past max bytes in all.
 * Returns 0, SBUF_READ_ERROR (errno says why) or SBUF_TOO_LARGE; b keeps
 * what was read so far, and f stays open. */
enum { SBUF_READ_ERROR = -1, SBUF_TOO_LARGE = -2 };
int sbuf_read_stream(sbuf *b, FILE *f, size_t max);
void sbuf_reset(sbuf *b);
/* The text so far; "" for an empty buffer. Borrowed until the next append. */
const char *sbuf_str(const sbuf *b);
/* Hands the malloc'd text to the caller (never NULL) and empties b. */
char *sbuf_take(sbuf *b);
void sbuf_free(sbuf *b);

#endif
