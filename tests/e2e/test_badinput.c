/*
 * The end-to-end bad-input matrix (docs/bad-input.md): every case of
 * tests/badinput/<server>.json sent to a real server, the answer checked,
 * and then what must hold afterwards: for a mock, its state and journal
 * unchanged (but for the request's own journal line); for syncd, its
 * store (event counts, dead-letter list) and both mocks' state unchanged,
 * or exactly the one dead letter the case names. Every case runs whatever
 * the others did; each failure prints one line with the case's name,
 * what was expected and what came, and the test fails at the end.
 * badinput.routes lists each program's router table (--routes) and fails
 * when a route has no case, or a case names a route that does not exist.
 */
#include "test_badinput.h"
#include "test_syncd.h"

#include "hmac.h"
#include "json.h"
#include "mem.h"
#include "sbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Real ms a case may wait for syncd to settle or a dead letter to show. */
#define BI_SETTLE_MS 8000
/* Where the order of a "paid_order" setup goes in a case's body. */
#define BI_ORDER_MARK "@@ORDER@@"

typedef struct {
    int failed, passed;
} tally;

/* Prints one failing case's line; returns 1 so callers can `return fail(...)`. */
__attribute__((format(printf, 3, 4))) static int fail(tally *t, const bi_case *c,
                                                       const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sbuf b = SBUF_INIT;
    sbuf_vprintf(&b, fmt, ap);
    va_end(ap);
    fprintf(stderr, "FAIL [%s] %s %.120s: %s\n", c->name, c->method, c->path, sbuf_str(&b));
    sbuf_free(&b);
    t->failed++;
    return 1;
}

static void load(const char *server, bi_file *f)
{
    char err[1024];
    if (bi_load(bi_dir(), server, f, err, sizeof err) != 0)
        test_fail(__FILE__, __LINE__, "%s", err);
}

/* ---- probes that never end the test (a crashed server is a case's failure) */

/* GET path's body as JSON, or NULL. */
static cJSON *get_json(const e2e_server *s, const char *path, const char *const *hdrs)
{
    httpc_resp r = e2e_call(s, "GET", path, hdrs, NULL);
    cJSON *v = r.result == HTTPC_OK && r.status == 200 ? json_parse(r.body, r.body_len, NULL)
                                                       : NULL;
    httpc_resp_free(&r);
    return v;
}

/* A mock's state as text, its clock ("t") left out; NULL when unreadable. */
static char *mock_state(const e2e_server *s)
{
    cJSON *v = get_json(s, "/_mock/state", NULL);
    if (!v)
        return NULL;
    cJSON_DeleteItemFromObjectCaseSensitive(v, "t");
    char *text = json_print(v);
    cJSON_Delete(v);
    return text;
}

static double num_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static long long journal_seq(const e2e_server *s)
{
    cJSON *v = get_json(s, "/_mock/health", NULL);
    long long seq = v ? (long long)num_of(v, "journal_seq") : -1;
    cJSON_Delete(v);
    return seq;
}

/* Kinds of the journal entries after seq other than "request" (every API
 * request is journaled, the bad one too), comma-separated into out. */
static void journal_news(const e2e_server *s, long long seq, sbuf *out)
{
    char path[96];
    snprintf(path, sizeof path, "/_mock/journal?since=%lld&limit=1000", seq);
    cJSON *v = get_json(s, path, NULL);
    if (!v) {
        sbuf_puts(out, "(journal unreadable)");
        return;
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(v, "entries"))
    {
        const cJSON *kind = cJSON_GetObjectItemCaseSensitive(e, "kind");
        if (cJSON_IsString(kind) && strcmp(kind->valuestring, "request") != 0)
            sbuf_printf(out, "%s%s", out->len ? ", " : "", kind->valuestring);
    }
    cJSON_Delete(v);
}

/* ---- checking one answer ----------------------------------------------------- */

static int check_answer(tally *t, const bi_case *c, const bi_answer *a)
{
    if (c->expect_cut) {
        if (!a->cut)
            return fail(t, c,
                        "expected the slow body cut short within %d ms, the server was still "
                        "reading it after %d ms (status %d)",
                        c->slow_max_ms, a->sent_ms, a->status);
        if (a->status && (c->status ? a->status != c->status : a->status != 408))
            return fail(t, c, "expected %d or a close after the cut, got %d: %.200s",
                        c->status ? c->status : 408, a->status, a->body);
        return 0;
    }
    if (a->status != c->status)
        return fail(t, c, "expected status %d, got %d%s%s: %.200s", c->status, a->status,
                    a->err[0] ? " " : "", a->err, a->body);
    for (size_t i = 0; i < c->n_contains; i++)
        if (!strstr(a->body, c->contains[i]))
            return fail(t, c, "expected the answer to contain \"%s\", got: %.300s",
                        c->contains[i], a->body);
    return 0;
}

/* The case's body with a setup's order in place of ${order}. */
static bi_case with_order(const bi_case *c, const char *order, char **owned)
{
    bi_case copy = *c;
    *owned = NULL;
    const char *at = c->body && order ? strstr(c->body, BI_ORDER_MARK) : NULL;
    if (at) {
        *owned = xasprintf("%.*s%s%s", (int)(at - c->body), c->body, order,
                           at + strlen(BI_ORDER_MARK));
        copy.body = *owned;
        copy.body_len = strlen(*owned);
    }
    return copy;
}

/* Sends c, signing its body when it asks. */
static void send_case(uint16_t port, const bi_case *c, bi_answer *a)
{
    char sig[HMAC_SHA256_B64_SIZE], hdr[HMAC_SHA256_B64_SIZE + 40];
    const char *extra[2] = {NULL, NULL};
    if (c->hmac != BI_HMAC_NONE) {
        if (c->hmac == BI_HMAC_VALID)
            hmac_sha256_base64(SDT_SECRET, c->body ? c->body : "", c->body_len, sig);
        else /* well-formed, of other bytes */
            hmac_sha256_base64(SDT_SECRET, "forged", 6, sig);
        snprintf(hdr, sizeof hdr, "X-Shopify-Hmac-Sha256: %s", sig);
        extra[0] = hdr;
    }
    bi_send(port, c, extra, a);
}

/* ---- the mocks ---------------------------------------------------------------- */

static int run_mock_case(tally *t, const e2e_server *s, const bi_case *c)
{
    char *before = mock_state(s);
    long long seq = journal_seq(s);
    if (!before || seq < 0) {
        free(before);
        return fail(t, c, "the server's state could not be read before the case");
    }
    bi_answer a;
    send_case(s->port, c, &a);
    int bad = check_answer(t, c, &a);
    bi_answer_free(&a);
    char *after = bad ? NULL : mock_state(s);
    sbuf news = SBUF_INIT;
    if (!bad && !after)
        bad = fail(t, c, "the server's state could not be read after the case (did it crash?)");
    else if (!bad && strcmp(before, after) != 0)
        bad = fail(t, c, "expected the state unchanged, it changed");
    if (!bad) {
        journal_news(s, seq, &news);
        if (news.len)
            bad = fail(t, c, "expected nothing journaled but the request, got: %s",
                       sbuf_str(&news));
    }
    sbuf_free(&news);
    free(before);
    free(after);
    return bad;
}

static void run_mock(const char *server, const char *config)
{
    bi_file f;
    load(server, &f);
    e2e_server s;
    e2e_start_config(&s, server, config, NULL);
    tally t = {0, 0};
    for (size_t i = 0; i < f.n_cases; i++)
        if (!run_mock_case(&t, &s, &f.cases[i]))
            t.passed++;
    printf("badinput %s: %zu cases, %d passed, %d failed\n", server, f.n_cases, t.passed,
           t.failed);
    bi_file_free(&f);
    if (t.failed)
        test_fail(__FILE__, __LINE__, "%s: %d of %d bad-input cases failed (lines FAIL above)",
                  server, t.failed, t.failed + t.passed);
    e2e_stop(&s);
}

static char *basic_cin7_config(void)
{
    return sdt_cin7_config("[{\"name\":\"Main\"}]",
                           "[{\"sku\":\"A-1\",\"price\":10},{\"sku\":\"A-2\",\"price\":20}]",
                           "[{\"sku\":\"A-1\",\"location\":\"Main\",\"on_hand\":100},"
                           "{\"sku\":\"A-2\",\"location\":\"Main\",\"on_hand\":100}]");
}

TEST_T(badinput, mock_cin7, 240)
{
    char *config = basic_cin7_config();
    run_mock("mock-cin7", config);
    free(config);
}

TEST_T(badinput, mock_shopify, 240)
{
    char *config = sdt_shop_config("[{\"title\":\"A\",\"variants\":["
                                   "{\"sku\":\"A-1\",\"price\":\"10.00\",\"available\":100},"
                                   "{\"sku\":\"A-2\",\"price\":\"20.00\",\"available\":100}]}]",
                                   NULL);
    run_mock("mock-shopify", config);
    free(config);
}

/* ---- syncd ----------------------------------------------------------------------- */

typedef struct {
    char *cin7, *shop; /* the mocks' states */
    cJSON *dlq;        /* ids of the dead letters */
    long long events;  /* events in syncd's store, whatever their state */
} syncd_snap;

/* A sample of /metrics text by exact name, or -1. */
static long long metric(const char *text, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
        if (strncmp(p, name, n) == 0 && p[n] == ' ')
            return atoll(p + n + 1);
    return -1;
}

static long long syncd_metric(const sdt_world *w, const char *name)
{
    httpc_resp r = e2e_call(&w->syncd, "GET", "/metrics", NULL, NULL);
    long long v = r.result == HTTPC_OK && r.status == 200 ? metric(r.body, name) : -1;
    httpc_resp_free(&r);
    return v;
}

static long long syncd_events(const sdt_world *w)
{
    static const char *const states[] = {"ready", "leased", "dead", "done"};
    long long sum = 0;
    for (size_t i = 0; i < 4; i++) {
        char name[64];
        snprintf(name, sizeof name, "syncd_events{state=\"%s\"}", states[i]);
        long long v = syncd_metric(w, name);
        if (v < 0)
            return -1;
        sum += v;
    }
    return sum;
}

/* The admin header of the world syncd runs in: the file's overrides may
 * give it another (a long) token. */
static char admin_header[1024] = SDT_ADMIN;

static void admin_from_overrides(const char *overrides)
{
    cJSON *o = overrides ? json_parse(overrides, strlen(overrides), NULL) : NULL;
    const cJSON *tok = cJSON_GetObjectItemCaseSensitive(o, "admin_token");
    if (cJSON_IsString(tok))
        snprintf(admin_header, sizeof admin_header, "Authorization: Bearer %s", tok->valuestring);
    cJSON_Delete(o);
}

static cJSON *dlq_list(const sdt_world *w)
{
    const char *const h[] = {admin_header, NULL};
    cJSON *v = get_json(&w->syncd, "/admin/dlq?limit=10000", h);
    cJSON *list = v ? cJSON_DetachItemFromObjectCaseSensitive(v, "dead_letters") : NULL;
    cJSON_Delete(v);
    return list;
}

static int snap_take(const sdt_world *w, syncd_snap *s)
{
    s->cin7 = mock_state(&w->cin7);
    s->shop = mock_state(&w->shop);
    s->dlq = dlq_list(w);
    s->events = syncd_events(w);
    return s->cin7 && s->shop && s->dlq && s->events >= 0 ? 0 : -1;
}

static void snap_free(syncd_snap *s)
{
    free(s->cin7);
    free(s->shop);
    cJSON_Delete(s->dlq);
}

static long long pending_of(const e2e_server *s)
{
    cJSON *v = get_json(s, "/_mock/health", NULL);
    long long p = v ? (long long)num_of(v, "pending") : -1;
    cJSON_Delete(v);
    return p;
}

static int quiet(void *ud)
{
    const sdt_world *w = ud;
    return syncd_metric(w, "syncd_queue_depth") == 0 && pending_of(&w->shop) == 0 &&
           pending_of(&w->cin7) == 0;
}

/* Quiet twice, apart: a stock webhook may open just as the first look ends
 * (Cin7 coalesces them for a while after a sale). */
static void settle(const sdt_world *w)
{
    for (int i = 0; i < 2; i++) {
        e2e_wait(quiet, (void *)w, BI_SETTLE_MS);
        e2e_sleep_ms(300);
    }
}

/* Dead letters of after whose id before does not hold. */
static cJSON *dlq_new(const cJSON *before, const cJSON *after)
{
    cJSON *news = cJSON_CreateArray();
    const cJSON *a, *b;
    cJSON_ArrayForEach(a, after)
    {
        int seen = 0;
        cJSON_ArrayForEach(b, before)
        {
            seen |= num_of(a, "id") == num_of(b, "id");
        }
        if (!seen)
            cJSON_AddItemToArray(news, cJSON_Duplicate(a, 1));
    }
    return news;
}

typedef struct {
    const sdt_world *w;
    const cJSON *before;
} dl_wait;

static int dead_letter_came(void *ud)
{
    dl_wait *d = ud;
    cJSON *now = dlq_list(d->w);
    cJSON *news = dlq_new(d->before, now);
    int n = cJSON_GetArraySize(news);
    cJSON_Delete(news);
    cJSON_Delete(now);
    return n > 0;
}

static const char *str_of(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : "(none)";
}

/* What must hold after a syncd case, against the snapshot before it. */
static int check_syncd_after(tally *t, const sdt_world *w, const bi_case *c,
                             const syncd_snap *before)
{
    if (c->dead_topic) {
        dl_wait d = {w, before->dlq};
        e2e_wait(dead_letter_came, &d, BI_SETTLE_MS);
    }
    settle(w);
    syncd_snap after = {0};
    if (snap_take(w, &after) != 0) {
        snap_free(&after);
        return fail(t, c, "syncd or a mock could not be read after the case (did it crash? log %s)",
                    w->syncd.log);
    }
    cJSON *news = dlq_new(before->dlq, after.dlq);
    int n_new = cJSON_GetArraySize(news);
    const cJSON *dl = cJSON_GetArrayItem(news, 0);
    long long added = after.events - before->events;
    int bad = 0;
    if (c->dead_topic && n_new != 1)
        bad = fail(t, c, "expected one dead letter of %s naming \"%s\", got %d new (%lld events added)",
                   c->dead_topic, c->dead_reason, n_new, added);
    else if (c->dead_topic && (strcmp(str_of(dl, "topic"), c->dead_topic) != 0 ||
                               !strstr(str_of(dl, "reason"), c->dead_reason)))
        bad = fail(t, c, "expected a dead letter of %s naming \"%s\", got one of %s: \"%s\"",
                   c->dead_topic, c->dead_reason, str_of(dl, "topic"), str_of(dl, "reason"));
    else if (!c->dead_topic && !c->events_added && n_new)
        bad = fail(t, c, "expected no dead letter, got %d: %s \"%s\"", n_new, str_of(dl, "topic"),
                   str_of(dl, "reason"));
    else if (strcmp(before->cin7, after.cin7) != 0)
        bad = fail(t, c, "expected Cin7 unchanged (sales, stock), it changed");
    else if (strcmp(before->shop, after.shop) != 0)
        bad = fail(t, c, "expected Shopify unchanged (levels, orders), it changed");
    else if (added != (c->dead_topic ? 1 : c->events_added))
        bad = fail(t, c, "expected %d events stored, got %lld", c->dead_topic ? 1 : c->events_added,
                   added);
    cJSON_Delete(news);
    snap_free(&after);
    return bad;
}

/* A real paid order of one A-1 with its Cin7 sale made: its REST JSON,
 * which is the orders/paid webhook's body (malloc'd). */
static char *paid_order(sdt_world *w)
{
    int64_t id = sdt_checkout(w, "A-1", 1, NULL);
    if (sdt_wait_sales(w, &id, 1, BI_SETTLE_MS) != 1)
        test_fail(__FILE__, __LINE__, "setup: order %lld got no Cin7 sale", (long long)id);
    settle(w);
    return sdt_order_json(w, id);
}

static int run_syncd_case(tally *t, sdt_world *w, const bi_case *c)
{
    char *order = c->setup ? paid_order(w) : NULL;
    char *body = NULL;
    bi_case sent = with_order(c, order, &body);
    syncd_snap before = {0};
    int bad = 0;
    if (snap_take(w, &before) != 0)
        bad = fail(t, c, "syncd or a mock could not be read before the case (log %s)",
                   w->syncd.log);
    bi_answer a = {0};
    if (!bad) {
        send_case(w->syncd.port, &sent, &a);
        bad = check_answer(t, c, &a);
    }
    if (!bad)
        bad = check_syncd_after(t, w, c, &before);
    bi_answer_free(&a);
    snap_free(&before);
    free(body);
    free(order);
    return bad;
}

TEST_T(badinput, syncd, 600)
{
    bi_file f;
    load("syncd", &f);
    admin_from_overrides(f.overrides);
    sdt_world w;
    sdt_start_basic(&w, NULL, f.overrides);
    sdt_wait_quiet(&w, 20000);
    tally t = {0, 0};
    for (size_t i = 0; i < f.n_cases; i++)
        if (!run_syncd_case(&t, &w, &f.cases[i]))
            t.passed++;
    printf("badinput syncd: %zu cases, %d passed, %d failed\n", f.n_cases, t.passed, t.failed);
    bi_file_free(&f);
    if (t.failed)
        test_fail(__FILE__, __LINE__, "syncd: %d of %d bad-input cases failed (lines FAIL above)",
                  t.failed, t.failed + t.passed);
    sdt_stop(&w);
}

/* ---- coverage ------------------------------------------------------------------- */

/* Every route the program lists has a case, and every case names a
 * listed route. Returns the number of gaps (each printed). */
static int route_gaps(const char *server)
{
    bi_file f;
    load(server, &f);
    char err[512];
    cJSON *routes = bi_program_routes(server, err, sizeof err);
    if (!routes)
        test_fail(__FILE__, __LINE__, "%s", err);
    int gaps = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, routes)
    {
        size_t n = 0;
        for (size_t i = 0; i < f.n_cases; i++)
            n += strcmp(f.cases[i].route, r->valuestring) == 0;
        if (!n) {
            fprintf(stderr, "%s: route \"%s\" has no bad-input case in %s/%s.json\n", server,
                    r->valuestring, bi_dir(), server);
            gaps++;
        }
    }
    for (size_t i = 0; i < f.n_cases; i++) {
        int known = 0;
        cJSON_ArrayForEach(r, routes)
        {
            known |= strcmp(f.cases[i].route, r->valuestring) == 0;
        }
        if (!known) {
            fprintf(stderr, "%s: case \"%s\" names route \"%s\", which %s --routes does not list\n",
                    server, f.cases[i].name, f.cases[i].route, server);
            gaps++;
        }
    }
    printf("badinput %s: %d routes, %zu cases\n", server, cJSON_GetArraySize(routes), f.n_cases);
    cJSON_Delete(routes);
    bi_file_free(&f);
    return gaps;
}

TEST(badinput, routes)
{
    int gaps = route_gaps("syncd") + route_gaps("mock-cin7") + route_gaps("mock-shopify");
    EXPECT_EQ_INT(gaps, 0);
}

/* The route table httpd hands out is the one it routes by. */
static void nop(httpd_req *r, void *ud)
{
    (void)ud;
    httpd_reply_json_text(r, 200, "{}");
}

TEST(badinput, httpd_route_table)
{
    httpd *s = httpd_new();
    EXPECT_EQ_INT(httpd_route_count(s), 0);
    httpd_route(s, "GET", "/a/{id}", nop, NULL);
    httpd_route(s, "*", "/b", nop, NULL);
    EXPECT_EQ_INT(httpd_route_count(s), 2);
    const char *m = NULL, *p = NULL;
    EXPECT_EQ_INT(httpd_route_get(s, 1, &m, &p), 0);
    EXPECT_EQ_STR(m, "*");
    EXPECT_EQ_STR(p, "/b");
    EXPECT_EQ_INT(httpd_route_get(s, 0, &m, &p), 0);
    EXPECT_EQ_STR(p, "/a/{id}");
    EXPECT_EQ_INT(httpd_route_get(s, 2, &m, &p), -1);
    httpd_free(s);
}
