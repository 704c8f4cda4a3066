/*
 * Replayed demand: the orders of a CSV file (docs/scenarios.md, shape
 * "replay"), read into a stream's orders in time order. Three layouts:
 *
 *   surge                  surge's own: one row per order of one line,
 *                          columns timestamp, sku, qty, shop, country,
 *                          postcode
 *   shopify-orders-export  Shopify admin's "Export orders" file as
 *                          downloaded: one row per line item, an order's
 *                          later rows leaving its order-level columns
 *                          blank; cancelled and unpaid orders left out
 *   csv                    any other source, its columns named by the
 *                          scenario (time, order, sku, quantity, ...)
 *
 * Columns are found by their header name, rows grouped by order key into
 * one order of several lines, orders sorted by time (stable) and cut to a
 * window whose start becomes time 0. Every refusal names the file, the
 * line and, for a bad value, the column by number and header name.
 */
#ifndef SURGE_REPLAY_H
#define SURGE_REPLAY_H

#include <cJSON.h>
#include <stdint.h>
#include <stdio.h>

#include "json.h"
#include "scenario.h"

typedef enum { REPLAY_SURGE, REPLAY_SHOPIFY, REPLAY_CSV } replay_format;

/* How a time column is written. */
typedef enum {
    REPLAY_TIME_ISO_OR_MS, /* surge: ISO 8601, or integer milliseconds */
    REPLAY_TIME_ISO,       /* 2026-03-14T10:19:59+11:00, ...Z, fractions allowed */
    REPLAY_TIME_SHOPIFY,   /* 2026-03-14 10:19:59 +1100 */
    REPLAY_TIME_EPOCH      /* seconds since 1970, fractions allowed */
} replay_time;

/* What a column stands for. Order-level roles may be blank on an order's
 * later rows; sku and quantity are read on every row. */
enum {
    REPLAY_COL_TIME,      /* surge, csv: the order's time; Shopify: Created at */
    REPLAY_COL_ORDER,     /* the key grouping rows into one order */
    REPLAY_COL_SKU,
    REPLAY_COL_QTY,
    REPLAY_COL_SHOP,
    REPLAY_COL_COUNTRY,
    REPLAY_COL_POSTCODE,
    REPLAY_COL_PAID,      /* Shopify: Paid at, the order's time when given */
    REPLAY_COL_STATUS,    /* Shopify: Financial Status */
    REPLAY_COL_CANCELLED, /* Shopify: Cancelled at */
    REPLAY_COL_N
};

typedef struct {
    replay_format format;
    const char *col[REPLAY_COL_N]; /* header names, borrowed; NULL: not read */
    unsigned required;             /* bit per role: the header must name it */
    replay_time time;
    int has_from, has_to;
    int from_offset, to_offset;    /* 1: ms after the first order, 0: epoch ms */
    int64_t from, to;
} replay_opts;

/* The options of a format with nothing else given (its columns, its time
 * format, no window). */
void replay_opts_default(replay_format format, replay_opts *o);

/* Reads the orders of f (named name in messages) into st->replay and
 * n_replay, as o says. s, when not NULL, is the scenario whose catalog and
 * shops the orders' SKUs and shops must be in, and st's channel must take
 * the orders (other channels: one line each). Returns 0, or -1 with e
 * "path: name:line: ...". The orders read are st's either way
 * (scenario_replay_free). */
int replay_read(FILE *f, const char *name, const char *path, const replay_opts *o,
                const scenario *s, sc_stream *st, json_err *e) __attribute__((warn_unused_result));

/* Reads a stream's "replay" object (at JSON path path): file (relative to
 * dir when not absolute), speed, format, columns, time_format, from, to;
 * then the file, into st (replay_speed, replay, n_replay). Returns 0 or -1
 * with e naming the JSON path, or the file and line. */
int replay_load(const cJSON *obj, const char *path, const char *dir, const scenario *s,
                sc_stream *st, json_err *e) __attribute__((warn_unused_result));

#endif
