/* The CSV reader (lib/csv) and replayed orders (harness/replay): quoting,
 * long rows, Shopify's order export (continuation rows, filters, zips,
 * newest first), the generic column map, the window and speed, and every
 * refusal with its file, line and column. */
#include "../runner.h"

#include "csv.h"
#include "demand.h"
#include "mem.h"
#include "replay.h"
#include "sbuf.h"
#include "scenario.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the CSV reader ------------------------------------------------------------ */

/* All records of text as "line:field|field|...;", then the error as
 * "ERR line: message" if there is one. */
static char *csv_dump(const char *text, size_t len, size_t max_bytes)
{
    FILE *f = fmemopen((void *)text, len, "r");
    if (!f)
        test_fail(__FILE__, __LINE__, "fmemopen");
    csv_reader *c = csv_new(f, max_bytes);
    sbuf b = SBUF_INIT;
    csv_record r;
    int got;
    while ((got = csv_next(c, &r)) == 1) {
        sbuf_printf(&b, "%zu:", r.line);
        for (size_t i = 0; i < r.n; i++)
            sbuf_printf(&b, "%s%s", i ? "|" : "", r.field[i]);
        sbuf_putc(&b, ';');
    }
    if (got < 0)
        sbuf_printf(&b, "ERR %zu: %s", csv_error_line(c), csv_error(c));
    csv_free(c);
    fclose(f);
    sbuf_puts(&b, "");
    return sbuf_take(&b);
}

/* A text (NULs included) and what csv_dump makes of it. */
typedef struct {
    const char *text;
    size_t len;
    const char *want;
} csv_case;
#define CSV_CASE(text, want) {text, sizeof text - 1, want}

static void expect_csv(const csv_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *got = csv_dump(cases[i].text, cases[i].len, 1 << 20);
        if (strcmp(got, cases[i].want) != 0)
            test_fail(__FILE__, __LINE__, "case %zu: got \"%s\", expected \"%s\"", i, got, cases[i].want);
        free(got);
    }
}

TEST(csv, quoting_line_breaks_and_line_numbers)
{
    static const csv_case cases[] = {
        CSV_CASE("a,b,c\n1,,3\n", "1:a|b|c;2:1||3;"),
        /* Commas, doubled quotes and line breaks inside quotes; the record
         * after a two-line field starts on line 4. */
        CSV_CASE("name,note\n\"Tee, black\",\"say \"\"hi\"\"\nand bye\"\n\"\",x\n",
                 "1:name|note;2:Tee, black|say \"hi\"\nand bye;4:|x;"),
        /* CRLF, a lone CR, blank lines, no newline at the end, a BOM. */
        CSV_CASE("\xEF\xBB\xBFh1,h2\r\n\r\n1,2\r3,4\n\n\n5,\"6\r\n7\"", "1:h1|h2;3:1|2;4:3|4;7:5|6\r\n7;"),
        /* A quote inside an unquoted field is text. */
        CSV_CASE("size\n5\" screen\n", "1:size;2:5\" screen;"),
    };
    expect_csv(cases, sizeof cases / sizeof cases[0]);
}

TEST(csv, refusals_say_what_and_where)
{
    static const csv_case cases[] = {
        CSV_CASE("a,b\n1,2\n3,\"never\nends\n",
                 "1:a|b;2:1|2;ERR 3: column 2: the quoted field opened on line 3 never ends"),
        CSV_CASE("a,b\n\"x\"y,2\n", "1:a|b;ERR 2: column 1: text after the closing quote"),
        CSV_CASE("a\nx\0y\n", "1:a;ERR 2: a NUL byte (byte 4 of the file): not text"),
        CSV_CASE("\xEF\xBB" "a\n", "ERR 1: starts with byte 0xEF but not with a UTF-8 byte order mark"),
    };
    expect_csv(cases, sizeof cases / sizeof cases[0]);
    char *big = csv_dump("a,b\n1,2\n", 8, 6);
    EXPECT_EQ_STR(big, "1:a|b;ERR 2: larger than 6 bytes");
    free(big);
}

TEST(csv, rows_longer_than_64k_and_many_columns)
{
    sbuf b = SBUF_INIT;
    for (int i = 0; i < 5000; i++)
        sbuf_printf(&b, "%sc%d", i ? "," : "", i);
    sbuf_putc(&b, '\n');
    size_t long_at = b.len + 2;
    sbuf_puts(&b, "x,\"");
    for (int i = 0; i < 100000; i++)
        sbuf_putc(&b, (char)(i % 1000 == 999 ? '\n' : 'a' + i % 26));
    sbuf_puts(&b, "\",z\nlast\n");
    FILE *f = fmemopen(b.data, b.len, "r");
    csv_reader *c = csv_new(f, 1 << 20);
    csv_record r;
    EXPECT_EQ_INT(csv_next(c, &r), 1);
    EXPECT_EQ_INT(r.n, 5000);
    EXPECT_EQ_STR(r.field[4999], "c4999");
    EXPECT_EQ_INT(csv_next(c, &r), 1);
    EXPECT_EQ_INT(r.n, 3);
    EXPECT_EQ_INT(strlen(r.field[1]), 100000);
    EXPECT_TRUE(memcmp(r.field[1], b.data + long_at + 1, 100000) == 0);
    EXPECT_EQ_STR(r.field[2], "z");
    EXPECT_EQ_INT(csv_next(c, &r), 1);
    EXPECT_EQ_INT(r.line, 103); /* 100 line breaks inside the long field */
    EXPECT_EQ_STR(r.field[0], "last");
    EXPECT_EQ_INT(csv_next(c, &r), 0);
    csv_free(c);
    fclose(f);
    /* A record of commas stops at CSV_MAX_FIELDS fields. */
    sbuf_reset(&b);
    sbuf_puts(&b, "a\n");
    for (int i = 0; i < CSV_MAX_FIELDS; i++)
        sbuf_putc(&b, ',');
    char *got = csv_dump(b.data, b.len, 4 << 20);
    EXPECT_EQ_STR(got, "1:a;ERR 2: more than 1000000 fields in one record");
    free(got);
    sbuf_free(&b);
}

/* ---- orders from text ---------------------------------------------------------- */

/* Reads text as o says, into st; returns replay_read's result. */
static int read_text(const char *text, const replay_opts *o, sc_stream *st, json_err *e)
{
    memset(st, 0, sizeof *st);
    st->channel = (char *)"shopify";
    FILE *f = fmemopen((void *)text, strlen(text), "r");
    if (!f)
        test_fail(__FILE__, __LINE__, "fmemopen");
    int rc = replay_read(f, "orders.csv", "$.demand[0].replay.file", o, NULL, st, e);
    fclose(f);
    return rc;
}

static int read_shopify(const char *text, sc_stream *st, json_err *e)
{
    replay_opts o;
    replay_opts_default(REPLAY_SHOPIFY, &o);
    return read_text(text, &o, st, e);
}

/* The columns read, in another order than Shopify's and among others. */
#define SHOPIFY_HEAD                                                                          \
    "Name,Email,Financial Status,Paid at,Created at,Lineitem quantity,Lineitem name,"         \
    "Lineitem sku,Notes,Shipping Zip,Shipping Country,Cancelled at\n"

/* "SKU:qty;..." of an order. */
static const char *lines_of(const sc_replay_order *o, char *buf, size_t n)
{
    size_t at = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < o->n_lines && at < n; i++)
        at += (size_t)snprintf(buf + at, n - at, "%s%s:%lld", i ? ";" : "", o->lines[i].sku,
                               (long long)o->lines[i].qty);
    return buf;
}

TEST(replay, shopify_export_groups_rows_filters_and_sorts)
{
    /* Newest first, as the admin exports: #1005 (pending), #1004
     * (cancelled), #1003 (refunded: sold), #1002 (two rows; the second
     * leaves the order's columns blank), #1001 (three rows, one SKU twice,
     * partially refunded, no Paid at: Created at stands). */
    static const char text[] =
        SHOPIFY_HEAD
        "#1005,e@x.com,pending,,2026-03-14 10:20:00 +1100,1,Mug,MUG,,'2000,AU,\n"
        "#1004,d@x.com,paid,2026-03-14 10:15:05 +1100,2026-03-14 10:15:00 +1100,1,Mug,MUG,,'3000,AU,"
        "2026-03-14 11:00:00 +1100\n"
        "#1003,c@x.com,refunded,2026-03-14 10:10:02 +1100,2026-03-14 10:10:00 +1100,1,Cap,CAP,,'0800,AU,\n"
        "#1002,b@x.com,paid,2026-03-14 10:05:01 +1100,2026-03-14 10:05:00 +1100,1,\"Tee, black / S\",TEE-S,"
        "\"Leave it at the door,\nplease\",'02134,US,\n"
        "#1002,,,,,3,\"Tote, \"\"natural\"\"\",TOTE,,,,\n"
        "#1001,a@x.com,partially_refunded,,2026-03-14 10:00:00 +1100,2,Tee,TEE-S,,'2000,AU,\n"
        "#1001,,,,,1,Cap,CAP,,,,\n"
        "#1001,,,,,1,Tip,,,,,\n"
        "#1001,,,,,1,Tee,TEE-S,,,,\n";
    sc_stream st;
    json_err e;
    if (read_shopify(text, &st, &e))
        test_fail(__FILE__, __LINE__, "%s", e.msg);
    char b[128];
    EXPECT_EQ_INT(st.n_replay, 3);
    EXPECT_EQ_INT(st.replay[0].t, 0);
    EXPECT_EQ_STR(lines_of(&st.replay[0], b, sizeof b), "TEE-S:3;CAP:1");
    EXPECT_EQ_STR(st.replay[0].postcode, "2000");
    EXPECT_EQ_STR(st.replay[0].country, "AU");
    EXPECT_EQ_INT(st.replay[1].t, 301000); /* Paid at 10:05:01 */
    EXPECT_EQ_STR(lines_of(&st.replay[1], b, sizeof b), "TEE-S:1;TOTE:3");
    EXPECT_EQ_STR(st.replay[1].postcode, "02134"); /* Shopify's leading ' dropped */
    EXPECT_EQ_STR(st.replay[1].country, "US");
    EXPECT_EQ_INT(st.replay[2].t, 602000);
    EXPECT_EQ_STR(lines_of(&st.replay[2], b, sizeof b), "CAP:1");
    EXPECT_EQ_STR(st.replay[2].postcode, "0800");
    EXPECT_TRUE(st.replay[0].shop == NULL);
    /* The tip (no SKU) is left out, and said so with the rest. */
    EXPECT_EQ_STR(st.replay_note, "orders.csv: 5 orders read, 3 replayed; left out: 1 cancelled, 1 unpaid, "
                                  "0 without units, 0 outside from/to, 1 line items without a SKU "
                                  "(custom items, tips)");
    scenario_replay_free(&st);
}

TEST(replay, every_financial_status_and_ties_in_file_order)
{
    static const char *const sold[] = {"paid", "partially_paid", "partially_refunded", "refunded", "PAID"};
    static const char *const unpaid[] = {"pending", "authorized", "voided", "expired"};
    sbuf b = SBUF_INIT;
    sbuf_puts(&b, SHOPIFY_HEAD);
    int n = 0;
    for (size_t i = 0; i < 5; i++)
        sbuf_printf(&b, "#%d,,%s,2026-03-14 10:00:00 +1100,2026-03-14 09:00:00 +1100,1,,S%zu,,,,\n", n++,
                    sold[i], i);
    for (size_t i = 0; i < 4; i++)
        sbuf_printf(&b, "#%d,,%s,,2026-03-14 09:00:00 +1100,1,,U%zu,,,,\n", n++, unpaid[i], i);
    sc_stream st;
    json_err e;
    if (read_shopify(b.data, &st, &e))
        test_fail(__FILE__, __LINE__, "%s", e.msg);
    EXPECT_EQ_INT(st.n_replay, 5);
    for (size_t i = 0; i < st.n_replay; i++) {
        char want[24];
        snprintf(want, sizeof want, "S%zu", i); /* same time: the file's order */
        EXPECT_EQ_STR(st.replay[i].lines[0].sku, want);
        EXPECT_EQ_INT(st.replay[i].t, 0);
    }
    scenario_replay_free(&st);
    /* Nothing but unpaid and cancelled orders: nothing to replay, said. */
    sbuf_reset(&b);
    sbuf_puts(&b, SHOPIFY_HEAD);
    sbuf_puts(&b, "#1,,pending,,2026-03-14 09:00:00 +1100,1,,A,,,,\n"
                  "#2,,paid,2026-03-14 09:00:00 +1100,2026-03-14 09:00:00 +1100,1,,A,,,,2026-03-14 10:00:00 +1100\n"
                  "#3,,paid,2026-03-14 09:00:00 +1100,2026-03-14 09:00:00 +1100,0,,A,,,,\n");
    EXPECT_EQ_INT(read_shopify(b.data, &st, &e), -1);
    EXPECT_EQ_STR(e.msg, "$.demand[0].replay.file: orders.csv: no orders left: 3 read, 1 cancelled, "
                         "1 unpaid, 1 without units, 0 outside from/to");
    scenario_replay_free(&st);
    sbuf_free(&b);
}

TEST(replay, a_row_longer_than_64k)
{
    sbuf b = SBUF_INIT;
    sbuf_puts(&b, SHOPIFY_HEAD "#1,,paid,,2026-03-14 09:00:00 +1100,2,\"");
    for (int i = 0; i < 70000; i++)
        sbuf_putc(&b, i % 500 == 0 ? ',' : 'n');
    sbuf_puts(&b, "\",LONG,\"");
    for (int i = 0; i < 70000; i++)
        sbuf_putc(&b, i % 700 == 0 ? '\n' : 'x');
    sbuf_puts(&b, "\",'2000,AU,\n#1,,,,,abc,,LONG,,,,\n");
    sc_stream st;
    json_err e;
    /* The second row's line counts the 100 line breaks of the first. */
    EXPECT_EQ_INT(read_shopify(b.data, &st, &e), -1);
    EXPECT_EQ_STR(e.msg, "$.demand[0].replay.file: orders.csv:103: column 6 (\"Lineitem quantity\"): "
                         "\"abc\" is not a whole number");
    scenario_replay_free(&st);
    memcpy(strstr(b.data + b.len - 30, "abc"), "1  ", 3); /* blanks around a value are dropped */
    if (read_shopify(b.data, &st, &e))
        test_fail(__FILE__, __LINE__, "%s", e.msg);
    EXPECT_EQ_INT(st.n_replay, 1);
    EXPECT_EQ_INT(st.replay[0].lines[0].qty, 3);
    EXPECT_EQ_STR(st.replay[0].postcode, "2000");
    scenario_replay_free(&st);
    sbuf_free(&b);
}

/* One refusal: the text, the format, the message expected. */
typedef struct {
    replay_format format;
    const char *text;
    const char *msg;
} refusal;

TEST(replay, refusals_name_the_file_line_and_column)
{
    static const refusal cases[] = {
        {REPLAY_SHOPIFY, "", "orders.csv: empty file (no header line)"},
        {REPLAY_SHOPIFY, "\n\n", "orders.csv: empty file (no header line)"},
        {REPLAY_SHOPIFY, SHOPIFY_HEAD, "orders.csv: no orders: the file has a header and no rows"},
        {REPLAY_SHOPIFY, "Name,Financial Status,Paid at,Created at,Lineitem quantity,Cancelled at\n#1,paid,,x,1,\n",
         "orders.csv:1: no column named \"Lineitem sku\" in the header"},
        {REPLAY_SHOPIFY, "Name,Financial Status,Paid at,Created at,Lineitem quantity,Lineitem sku,Cancelled at,Name\n",
         "orders.csv:1: columns 1 and 8 are both named \"Name\""},
        {REPLAY_SHOPIFY, SHOPIFY_HEAD "#1,,paid,,2026-03-14 09:00:00 +1100,abc,,A,,,,\n",
         "orders.csv:2: column 6 (\"Lineitem quantity\"): \"abc\" is not a whole number"},
        {REPLAY_SHOPIFY, SHOPIFY_HEAD "#1,,paid,,2026-03-14 09:00:00 +1100,-2,,A,,,,\n",
         "orders.csv:2: column 6 (\"Lineitem quantity\"): \"-2\" is not a whole number"},
        {REPLAY_SHOPIFY, SHOPIFY_HEAD "#1,,paid,,2026-03-14 09:00:00 +1100,2000000,,A,,,,\n",
         "orders.csv:2: column 6 (\"Lineitem quantity\"): \"2000000\" is more than 1000000 units"},
        {REPLAY_SHOPIFY, SHOPIFY_HEAD "#1,,paid,,2026-03-14T09:00:00+11:00,1,,A,,,,\n",
         "orders.csv:2: column 5 (\"Created at\"): \"2026-03-14T09:00:00+11:00\" is not a time "
         "(expected 2026-03-14 10:19:59 +1100, within 2^53 ms of 1970)"},
        {REPLAY_SHOPIFY, SHOPIFY_HEAD "#1,,paid,yesterday,2026-03-14 09:00:00 +1100,1,,A,,,,\n",
         "orders.csv:2: column 4 (\"Paid at\"): \"yesterday\" is not a time"},
        {REPLAY_SHOPIFY, SHOPIFY_HEAD "#1,,settled,,2026-03-14 09:00:00 +1100,1,,A,,,,\n",
         "orders.csv:2: column 3 (\"Financial Status\"): unknown financial status \"settled\" (known: paid,"},
        {REPLAY_SHOPIFY, SHOPIFY_HEAD ",,paid,,2026-03-14 09:00:00 +1100,1,,A,,,,\n",
         "orders.csv:2: column 1 (\"Name\"): empty: every row names its order"},
        {REPLAY_SHOPIFY, SHOPIFY_HEAD "#1,,paid,,2026-03-14 09:00:00 +1100,1,,,,,,\n",
         "orders.csv: no orders left: 1 read, 0 cancelled, 0 unpaid, 1 without units, 0 outside from/to"},
        {REPLAY_SHOPIFY, SHOPIFY_HEAD "#1,,,,,1,,A,,,,\n",
         "orders.csv:2: column 5 (\"Created at\"): empty on every row of order \"#1\""},
        {REPLAY_SHOPIFY, SHOPIFY_HEAD "#1,,,,2026-03-14 09:00:00 +1100,1,,A,,,,\n",
         "orders.csv:2: column 3 (\"Financial Status\"): empty on every row of order \"#1\""},
        {REPLAY_SHOPIFY,
         SHOPIFY_HEAD "#1,,paid,,2026-03-14 09:00:00 +1100,1,,A,,,,\n#1,,paid,,2026-03-14 09:30:00 +1100,1,,B,,,,\n",
         "orders.csv:3: column 5 (\"Created at\"): \"2026-03-14 09:30:00 +1100\" differs from "
         "\"2026-03-14 09:00:00 +1100\" on line 2, in order \"#1\""},
        {REPLAY_SHOPIFY, SHOPIFY_HEAD "#1,,paid,,2026-03-14 09:00:00 +1100,1,\"Tee,A,,,,\n",
         "orders.csv:2: column 7: the quoted field opened on line 2 never ends"},
        {REPLAY_SHOPIFY, SHOPIFY_HEAD "#1,,paid,,2026-03-14 09:00:00 +1100,1,,A,,,,,,surplus\n",
         "orders.csv:2: column 14 has a value, but the header names 12 columns"},
        {REPLAY_SHOPIFY,
         SHOPIFY_HEAD "#1,,paid,,2026-03-14 09:00:00 +1100,1,,A,,,,\n#1,,,,,1,,B,,,,\n#1,,,,,1,,C,,,,\n"
                      "#1,,,,,1,,D,,,,\n#1,,,,,1,,E,,,,\n#1,,,,,1,,F,,,,\n#1,,,,,1,,G,,,,\n#1,,,,,1,,H,,,,\n"
                      "#1,,,,,1,,I,,,,\n",
         "orders.csv:2: column 8 (\"Lineitem sku\"): order \"#1\" has 9 different SKUs; a checkout carries at most 8"},
        {REPLAY_SURGE, "timestamp,sku,qty\n2026-03-14T09:00:00Z,A,x\n",
         "orders.csv:2: column 3 (\"qty\"): \"x\" is not a whole number"},
        {REPLAY_SURGE, "when,sku\n0,A\n", "orders.csv:1: no column named \"timestamp\" in the header"},
        {REPLAY_SURGE, "timestamp,sku\n,A\n",
         "orders.csv:2: column 1 (\"timestamp\"): empty on every row of the order of line 2"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        replay_opts o;
        replay_opts_default(cases[i].format, &o);
        sc_stream st;
        json_err e;
        int rc = read_text(cases[i].text, &o, &st, &e);
        if (rc != -1)
            test_fail(__FILE__, __LINE__, "case %zu: accepted, expected %s", i, cases[i].msg);
        if (strncmp(e.msg, "$.demand[0].replay.file: ", 25) != 0 || !strstr(e.msg, cases[i].msg))
            test_fail(__FILE__, __LINE__, "case %zu: got %s, expected %s", i, e.msg, cases[i].msg);
        scenario_replay_free(&st);
    }
}

/* ---- in a scenario ---------------------------------------------------------------- */

/* Loads a scenario whose only stream replays csv (written to a file) with
 * the given replay object members (after "file"). */
static int load_replay(const char *csv_text, const char *members, const char *channel, scenario *s,
                       json_err *e)
{
    char *csv = xasprintf("%s/orders.csv", test_tmp_dir());
    test_write_file(csv, csv_text);
    char *json = xasprintf(
        "{\"name\":\"r\",\"duration\":\"1h\","
        "\"catalog\":{\"skus\":[{\"sku\":\"A-1\",\"shopify_sku\":\"a-web\"},{\"sku\":\"B-2\"}]},"
        "\"warehouses\":[{\"name\":\"W\"}],\"shops\":[{\"domain\":\"a.myshopify.com\"}],"
        "\"demand\":[{\"shape\":\"replay\",\"channel\":\"%s\",\"window\":{\"at\":\"1s\"},"
        "\"replay\":{\"file\":\"%s\"%s},"
        "\"regions\":[{\"country\":\"AU\",\"postcode\":\"2\"},{\"country\":\"AU\",\"postcode\":\"3\"}]}]}",
        channel, csv, members);
    int rc = scenario_load_text(json, strlen(json), "r.json", NULL, NULL, 0, s, e);
    free(json);
    free(csv);
    return rc;
}

/* "t:lines" of every arrival of s, joined by ' '. */
static char *arrivals(const scenario *s)
{
    demand *d = demand_new(s, 1);
    demand_arrival a;
    sbuf b = SBUF_INIT;
    while (demand_next(d, &a)) {
        sbuf_printf(&b, "%s%lld:", b.len ? " " : "", (long long)a.t);
        for (int i = 0; i < a.n_lines; i++)
            sbuf_printf(&b, "%s%s*%lld", i ? "+" : "", s->skus[a.lines[i].sku].sku, (long long)a.lines[i].qty);
        if (a.region >= 0)
            sbuf_printf(&b, "@%d", a.region);
    }
    demand_free(d);
    sbuf_puts(&b, "");
    return sbuf_take(&b);
}

/* Loads csv_text replayed with members on a checkout stream and expects
 * its arrivals to be want (as arrivals() writes them). */
static void expect_arrivals(const char *csv_text, const char *members, const char *want)
{
    scenario s;
    json_err e;
    if (load_replay(csv_text, members, "shopify", &s, &e))
        test_fail(__FILE__, __LINE__, "%s", e.msg);
    char *got = arrivals(&s);
    EXPECT_EQ_STR(got, want);
    free(got);
    scenario_free(&s);
}

/* Eight orders an hour apart from 08:00 (+11:00), oldest last. */
static const char *hourly(void)
{
    static char text[2048];
    size_t at = (size_t)snprintf(text, sizeof text, SHOPIFY_HEAD);
    for (int h = 15; h >= 8; h--)
        at += (size_t)snprintf(text + at, sizeof text - at,
                               "#%d,,paid,,2026-03-14 %02d:00:00 +1100,%d,,a-web,,'%d000,AU,\n"
                               "#%d,,,,,1,,B-2,,,,\n",
                               h, h, h - 7, h % 2 ? 3 : 2, h);
    return text;
}

TEST(replay, window_and_speed_shift_the_orders_to_the_stream_start)
{
    scenario s;
    json_err e;
    /* 10:00 to 12:00 (absolute, Shopify's form and ISO 8601), ten times
     * faster: 10:00 arrives at window.at (1 s), 11:00 6 minutes later;
     * 12:00 is outside (the end is open). */
    expect_arrivals(hourly(),
                    ",\"format\":\"shopify-orders-export\",\"speed\":10,"
                    "\"from\":\"2026-03-14 10:00:00 +1100\",\"to\":\"2026-03-14T01:00:00Z\"",
                    "1000:A-1*3+B-2*1@0 361000:A-1*4+B-2*1@1");
    /* Offsets from the first order (08:00): from 2 h 30 m, to 5 h 30 m; a
     * window that starts between orders starts the replay all the same. */
    expect_arrivals(hourly(), ",\"format\":\"shopify-orders-export\",\"speed\":60,\"from\":\"2h30m\",\"to\":\"5h30m\"",
                    "31000:A-1*4+B-2*1@1 91000:A-1*5+B-2*1@0 151000:A-1*6+B-2*1@1");
    /* A window holding no order. */
    EXPECT_EQ_INT(load_replay(hourly(),
                              ",\"format\":\"shopify-orders-export\",\"from\":\"2026-03-15 10:00:00 +1100\"",
                              "shopify", &s, &e),
                  -1);
    EXPECT_CONTAINS(e.msg, "orders.csv: no orders left: 8 read, 0 cancelled, 0 unpaid, 0 without units, "
                           "8 outside from/to");
}

TEST(replay, a_generic_csv_by_its_column_names)
{
    scenario s;
    json_err e;
    /* Epoch seconds, orders keyed by "ref", rows out of order, extra
     * columns, a quoted SKU. */
    static const char text[] = "ref,item,when,units,note\n"
                               "r2,B-2,1773443000.5,2,\"late, but fine\"\n"
                               "r1,\"a-web\",1773442990,1,\n"
                               "r1,B-2,1773442990,4,\n";
    expect_arrivals(text,
                    ",\"format\":\"csv\",\"time_format\":\"epoch\",\"speed\":2,"
                    "\"columns\":{\"time\":\"when\",\"order\":\"ref\",\"sku\":\"item\",\"quantity\":\"units\"}",
                    "1000:A-1*1+B-2*4 6250:B-2*2");
    /* The same order at two times is refused. */
    static const char twice[] = "ref,item,when\nr1,B-2,1773442990\nr1,A-1,1773442999\n";
    EXPECT_EQ_INT(load_replay(twice,
                              ",\"format\":\"csv\",\"time_format\":\"epoch\","
                              "\"columns\":{\"time\":\"when\",\"order\":\"ref\",\"sku\":\"item\"}",
                              "shopify", &s, &e),
                  -1);
    EXPECT_CONTAINS(e.msg, "orders.csv:3: column 3 (\"when\"): \"1773442999\" differs from \"1773442990\" on line 2, "
                           "in order \"r1\"");
    /* ISO 8601 with offsets (the default time format); every mapped
     * column must be in the header. */
    static const char iso[] = "t,sku\n2026-03-14T10:00:00+11:00,A-1\n2026-03-13T23:00:01Z,B-2\n";
    expect_arrivals(iso, ",\"format\":\"csv\",\"columns\":{\"time\":\"t\",\"sku\":\"sku\"}",
                    "1000:A-1*1 2000:B-2*1");
    EXPECT_EQ_INT(load_replay(iso, ",\"format\":\"csv\",\"columns\":{\"time\":\"t\",\"sku\":\"sku\",\"quantity\":\"n\"}",
                              "shopify", &s, &e),
                  -1);
    EXPECT_CONTAINS(e.msg, "orders.csv:1: no column named \"n\" in the header");
}

TEST(replay, scenario_checks_of_the_replay_object)
{
    static const struct {
        const char *members, *channel, *msg;
    } cases[] = {
        {",\"format\":\"woocommerce\"", "shopify",
         "$.demand[0].replay.format: unknown format \"woocommerce\" (known: surge, shopify-orders-export, csv)"},
        {",\"format\":\"csv\"", "shopify", "$.demand[0].replay.format: format \"csv\" needs columns"},
        {",\"format\":\"csv\",\"columns\":{\"sku\":\"s\"}", "shopify",
         "$.demand[0].replay.columns.time: required field is missing"},
        {",\"format\":\"csv\",\"columns\":{\"time\":\"t\",\"sku\":\"s\",\"price\":\"p\"}", "shopify",
         "$.demand[0].replay.columns"},
        {",\"format\":\"csv\",\"columns\":{\"time\":\"\",\"sku\":\"s\"}", "shopify",
         "$.demand[0].replay.columns.time: an empty column name"},
        {",\"format\":\"shopify-orders-export\",\"columns\":{\"time\":\"t\",\"sku\":\"s\"}", "shopify",
         "$.demand[0].replay.columns: only for format \"csv\""},
        {",\"format\":\"csv\",\"columns\":{\"time\":\"t\",\"sku\":\"s\"},\"time_format\":\"excel\"", "shopify",
         "$.demand[0].replay.time_format: unknown time format \"excel\" (known: iso8601, shopify, epoch)"},
        {",\"from\":\"noon\"", "shopify", "$.demand[0].replay.from: neither a time"},
        {",\"from\":\"2h\",\"to\":\"1h\"", "shopify", "$.demand[0].replay.to: not after from"},
        {",\"speed\":0", "shopify", "$.demand[0].replay.speed"},
        /* Catalog and channel, with the file's line and column. */
        {",\"format\":\"shopify-orders-export\"", "shopify", NULL},
        {",\"format\":\"shopify-orders-export\"", "wholesale",
         "orders.csv:2: column 8 (\"Lineitem sku\"): order \"#1\" has 2 different SKUs; a wholesale sale carries one"},
    };
    static const char two_lines[] = SHOPIFY_HEAD "#1,,paid,,2026-03-14 09:00:00 +1100,1,,a-web,,,,\n"
                                                 "#1,,,,,1,,B-2,,,,\n";
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        scenario s;
        json_err e;
        int rc = load_replay(two_lines, cases[i].members, cases[i].channel, &s, &e);
        if (!cases[i].msg) {
            if (rc != 0)
                test_fail(__FILE__, __LINE__, "case %zu: %s", i, e.msg);
            scenario_free(&s);
            continue;
        }
        if (rc != -1 || !strstr(e.msg, cases[i].msg))
            test_fail(__FILE__, __LINE__, "case %zu: rc %d, got %s, expected %s", i, rc,
                      rc ? e.msg : "", cases[i].msg);
    }
    static const char unknown[] = SHOPIFY_HEAD "#1,,paid,,2026-03-14 09:00:00 +1100,1,,a-web,,,,\n"
                                               "#1,,,,,1,,Z-9,,,,\n";
    scenario s;
    json_err e;
    EXPECT_EQ_INT(load_replay(unknown, ",\"format\":\"shopify-orders-export\"", "shopify", &s, &e), -1);
    EXPECT_CONTAINS(e.msg, "$.demand[0].replay.file: ");
    EXPECT_CONTAINS(e.msg, "orders.csv:3: column 8 (\"Lineitem sku\"): SKU \"Z-9\" is not in the catalog");
    static const char shop[] = "timestamp,sku,shop\n0,A-1,b.myshopify.com\n";
    EXPECT_EQ_INT(load_replay(shop, "", "shopify", &s, &e), -1);
    EXPECT_CONTAINS(e.msg, "orders.csv:2: column 3 (\"shop\"): shop \"b.myshopify.com\" is not in $.shops");
}

TEST(replay, the_sample_export_replays_its_kept_orders)
{
    /* scenarios/replay-shopify-export.csv: 30 orders, newest first; 3
     * before the window, one cancelled, one pending. */
    scenario s;
    json_err e;
    if (scenario_load("scenarios/replay-shopify-export.json", NULL, 0, &s, &e))
        test_fail(__FILE__, __LINE__, "%s", e.msg);
    EXPECT_EQ_INT(s.n_streams, 1);
    const sc_stream *st = &s.streams[0];
    EXPECT_EQ_INT(st->n_replay, 25);
    size_t multi = 0, lines = 0;
    for (size_t i = 0; i < st->n_replay; i++) {
        multi += st->replay[i].n_lines > 1;
        lines += st->replay[i].n_lines;
        EXPECT_TRUE(i == 0 || st->replay[i].t >= st->replay[i - 1].t);
        EXPECT_EQ_STR(st->replay[i].country, "AU");
        EXPECT_TRUE(st->replay[i].postcode && st->replay[i].postcode[0] != '\'');
    }
    EXPECT_EQ_INT(multi, 5);
    EXPECT_EQ_INT(lines, 33);
    /* The first kept order was paid 30 s after 10:00. */
    EXPECT_EQ_INT(st->replay[0].t, 30000);
    scenario_free(&s);
}
