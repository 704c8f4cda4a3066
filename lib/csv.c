/* RFC 4180 records from a stream; see csv.h. */
#include "csv.h"

#include "mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* get()'s answer when the file is bad (csv_error says why). */
#define CSV_BAD (-2)

struct csv_reader {
    FILE *f;
    size_t max_bytes, read;
    size_t line;         /* the line the next byte is on */
    int peek;            /* a byte given back, or -1 */
    char *buf;           /* the record's fields, each NUL-terminated */
    size_t len, cap;
    size_t *off;         /* where each field starts in buf */
    const char **ptr;    /* ... and as pointers, made once the record is whole */
    size_t n, cap_fields;
    int failed;
    char err[160];
    size_t err_line;
};

csv_reader *csv_new(FILE *f, size_t max_bytes)
{
    csv_reader *c = xcalloc(1, sizeof *c);
    c->f = f;
    c->max_bytes = max_bytes;
    c->line = 1;
    c->peek = -1;
    return c;
}

void csv_free(csv_reader *c)
{
    if (!c)
        return;
    free(c->buf);
    free(c->off);
    free(c->ptr);
    free(c);
}

const char *csv_error(const csv_reader *c)
{
    return c->err;
}

size_t csv_error_line(const csv_reader *c)
{
    return c->err_line;
}

static int fail(csv_reader *c, size_t line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(csv_reader *c, size_t line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
    c->err_line = line;
    c->failed = 1;
    return CSV_BAD;
}

/* The next byte, EOF, or CSV_BAD. */
static int get(csv_reader *c)
{
    if (c->peek >= 0) {
        int ch = c->peek;
        c->peek = -1;
        return ch;
    }
    int ch = getc(c->f);
    if (ch == EOF) {
        if (ferror(c->f))
            return fail(c, c->line, "read error after %zu bytes", c->read);
        return EOF;
    }
    if (++c->read > c->max_bytes)
        return fail(c, c->line, "larger than %zu bytes", c->max_bytes);
    if (ch == '\0')
        return fail(c, c->line, "a NUL byte (byte %zu of the file): not text", c->read);
    return ch;
}

static void put(csv_reader *c, char ch)
{
    XGROW(c->buf, c->len, c->cap, 256);
    c->buf[c->len++] = ch;
}

static int start_field(csv_reader *c)
{
    if (c->n == CSV_MAX_FIELDS) {
        fail(c, c->line, "more than %d fields in one record", CSV_MAX_FIELDS);
        return -1;
    }
    if (c->n == c->cap_fields) {
        c->cap_fields = c->cap_fields ? c->cap_fields * 2 : 32;
        c->off = xrealloc(c->off, c->cap_fields * sizeof *c->off);
        c->ptr = xrealloc(c->ptr, c->cap_fields * sizeof *c->ptr);
    }
    c->off[c->n++] = c->len;
    return 0;
}

/* Ends a line at ch ('\n' or '\r', a CR followed by LF being one end). */
static int end_line(csv_reader *c, int ch)
{
    if (ch == '\r') {
        int next = get(c);
        if (next == CSV_BAD)
            return CSV_BAD;
        if (next != '\n' && next != EOF)
            c->peek = next;
    }
    c->line++;
    return 0;
}

/* Reads a quoted field whose opening quote was just read; returns the byte
 * after the closing quote, or CSV_BAD. */
static int quoted(csv_reader *c)
{
    size_t opened = c->line;
    for (;;) {
        int ch = get(c);
        if (ch == CSV_BAD)
            return CSV_BAD;
        if (ch == EOF)
            return fail(c, opened, "column %zu: the quoted field opened on line %zu never ends",
                        c->n, opened);
        if (ch == '"') {
            int next = get(c);
            if (next != '"')
                return next;
        } else if (ch == '\n') {
            c->line++;
        }
        put(c, (char)ch);
    }
}

int csv_next(csv_reader *c, csv_record *out)
{
    if (c->failed)
        return -1;
    int ch;
    /* Empty lines, and a byte order mark before the first record. */
    for (;;) {
        ch = get(c);
        if (ch == CSV_BAD)
            return -1;
        if (c->read == 1 && ch == 0xEF) {
            int b = get(c);
            int d = b == 0xBB ? get(c) : b;
            if (c->failed)
                return -1;
            if (b == 0xBB && d == 0xBF)
                continue;
            fail(c, 1, "starts with byte 0xEF but not with a UTF-8 byte order mark");
            return -1;
        }
        if (ch == EOF)
            return 0;
        if (ch != '\n' && ch != '\r')
            break;
        if (end_line(c, ch))
            return -1;
    }
    size_t start = c->line;
    c->len = 0;
    c->n = 0;
    if (start_field(c))
        return -1;
    for (;;) {
        if (ch == '"' && c->off[c->n - 1] == c->len) {
            ch = quoted(c);
            if (ch != ',' && ch != '\n' && ch != '\r' && ch != EOF && ch != CSV_BAD)
                fail(c, c->line, "column %zu: text after the closing quote", c->n);
            if (c->failed)
                return -1;
            continue;
        }
        if (ch == ',') {
            put(c, '\0');
            if (start_field(c))
                return -1;
        } else if (ch == '\n' || ch == '\r' || ch == EOF) {
            put(c, '\0');
            if (ch != EOF && end_line(c, ch))
                return -1;
            break;
        } else {
            put(c, (char)ch);
        }
        ch = get(c);
        if (ch == CSV_BAD)
            return -1;
    }
    for (size_t i = 0; i < c->n; i++)
        c->ptr[i] = c->buf + c->off[i];
    out->field = c->ptr;
    out->n = c->n;
    out->line = start;
    return 1;
}
