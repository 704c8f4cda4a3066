/*
 * A reader of comma-separated files as RFC 4180 writes them and as shops
 * and spreadsheets export them: fields in double quotes may hold commas,
 * line breaks and doubled quotes (""), records end with LF, CRLF or CR,
 * a UTF-8 byte order mark before the first record is skipped, empty lines
 * are skipped. Records and fields may be of any length (the bounds are the
 * total size the caller allows and CSV_MAX_FIELDS fields per record, which
 * keeps a file of commas from costing sixteen times its size). Each record carries the line it
 * starts on, so that callers can name the line and column of a bad value.
 */
#ifndef SURGE_CSV_H
#define SURGE_CSV_H

#include <stddef.h>
#include <stdio.h>

#define CSV_MAX_FIELDS 1000000

typedef struct csv_reader csv_reader;

typedef struct {
    const char *const *field; /* n NUL-terminated fields, borrowed until the next csv_next */
    size_t n;
    size_t line;              /* the line the record starts on, from 1 */
} csv_record;

/* A reader of f (borrowed, left open) that refuses to read more than
 * max_bytes. Free with csv_free. */
csv_reader *csv_new(FILE *f, size_t max_bytes);
void csv_free(csv_reader *c); /* accepts NULL */
/* Reads the next record: 1 with *out, 0 at the end of the file, -1 on a
 * malformed file (an unterminated quoted field, text after a closing quote,
 * a NUL byte, more than max_bytes or CSV_MAX_FIELDS, a read error), then csv_error says what
 * and csv_error_line where. */
int csv_next(csv_reader *c, csv_record *out) __attribute__((warn_unused_result));
const char *csv_error(const csv_reader *c);
size_t csv_error_line(const csv_reader *c);

#endif
