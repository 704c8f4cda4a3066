/*
 * Replenishment; see replen.h. One thread does it all, so decisions about
 * one supplier never race: paid orders mark SKUs (coalesced), a schedule
 * marks every SKU, and the thread checks the marked ones. A SKU below its
 * cover threshold gets a line on its supplier's open DRAFT purchase,
 * created when there is none, as Cin7 takes a purchase: POST
 * advanced-purchase (the header) then POST purchase/order with the lines,
 * DRAFT; a draft's lines are updated by posting purchase/order again (it
 * replaces them). The open draft's id is kept in the store
 * ("podraft:<supplier id>"); "open" is an order still DRAFT or not started
 * (NOT AVAILABLE: a header whose lines are not in yet). A header's creation
 * is recorded as an intent before the POST; after an unknown outcome the
 * supplier's header without lines is looked for and adopted (Cin7's
 * purchases have no ExternalID), so retries, restarts and duplicate
 * webhooks never make a second draft for a (supplier, SKU) while one is
 * open: they update its line.
 */
#include "replen.h"
#include "xwrite.h"

#include "catalog.h"
#include "coalesce.h"
#include "kit.h"
#include "json.h"
#include "log.h"
#include "mem.h"
#include "roles.h"
#include "supply.h"
#include "sbuf.h"
#include "strmap.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH 256
#define CHECK_RETRY_MS (30000LL)
/* A SKU whose figures may show a sale in flight is checked again
 * SETTLE_RETRY_MS later, on a later read, for SETTLE_MAX_MS at most. */
#define SETTLE_RETRY_MS (1000LL)
#define SETTLE_MAX_MS (60000LL)
/* When the next scheduled sweep is due (unix epoch ms), for the
 * instances that do not hold the sweep's role. */
#define SWEEP_KEY "replen:next_sweep"

/* What Cin7's product records say about one SKU's supplier. */
struct replenisher {
    syncd *sd;
    pthread_t thread;
    int running;
    pthread_mutex_t lock;
    pthread_cond_t cv;
    coalescer *marks;
    coalescer *later; /* SKUs whose check failed (Cin7 unreachable): again in a while */
    coalescer *settle; /* SKUs put off by a sale in flight (SUPPLY_WAIT) */
    strmap *waiting;   /* SKU -> since when it has been put off (-1: not) */
    replen_supply *supply;
    size_t n_supply;
    strmap *supply_index;
    int64_t supply_loaded_at; /* sim ms, 0 never */
    int backfilled;
};

/* ---- supplier records ------------------------------------------------------ */

void replen_supply_free(replen_supply *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        replen_supply *s = &list[i];
        free(s->sku);
        free(s->product_id);
        free(s->name);
        free(s->supplier_id);
        free(s->supplier);
        for (size_t k = 0; k < s->n_locations; k++)
            free(s->locations[k]);
        free(s->locations);
    }
    free(list);
}

static void supply_free(replenisher *r)
{
    replen_supply_free(r->supply, r->n_supply);
    r->supply = NULL;
    r->n_supply = 0;
    strmap_free(r->supply_index);
    r->supply_index = NULL;
}

static const char *str(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Reads every product with its suppliers (paged list read). */
static int load_supply(replenisher *r)
{
    syncd *sd = r->sd;
    cJSON *rows = NULL;
    outcome o;
    cin7_list(sd->c7, "product?IncludeSuppliers=true", "Products", PRIO_NORMAL, &rows, &o);
    if (!rows) {
        log_warn("replenishment: cannot read product suppliers: %s", o.error);
        outbound_done(&o);
        return -1;
    }
    outbound_done(&o);
    size_t n;
    replen_supply *list = replen_read_supply(rows, &n);
    cJSON_Delete(rows);
    supply_free(r);
    r->supply = list;
    r->n_supply = n;
    r->supply_index = strmap_new(1);
    for (size_t i = 0; i < n; i++)
        strmap_put(r->supply_index, list[i].sku, (long)i);
    r->supply_loaded_at = clock_now_ms(&sd->clk);
    return 0;
}

replen_supply *replen_read_supply(const cJSON *rows, size_t *n_out)
{
    replen_supply *list = xcalloc((size_t)cJSON_GetArraySize(rows) + 1, sizeof *list);
    size_t n = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, rows)
    {
        const char *sku = str(p, "SKU");
        if (!sku)
            continue;
        replen_supply *s = &list[n++];
        s->sku = xstrdup(sku);
        s->product_id = xstrdup(str(p, "ID") ? str(p, "ID") : "");
        s->name = xstrdup(str(p, "Name") ? str(p, "Name") : sku);
        s->lead_days = -1;
        const cJSON *sup = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(p, "Suppliers"), 0);
        if (!sup)
            continue;
        s->cost = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(sup, "Cost"));
        if (s->cost != s->cost || s->cost < 0) /* NaN when absent */
            s->cost = 0;
        s->supplier_id = str(sup, "SupplierID") ? xstrdup(str(sup, "SupplierID")) : NULL;
        s->supplier = str(sup, "SupplierName") ? xstrdup(str(sup, "SupplierName")) : NULL;
        const cJSON *opts = cJSON_GetObjectItemCaseSensitive(sup, "ProductSupplierOptions");
        s->locations = xcalloc((size_t)cJSON_GetArraySize(opts) + 1, sizeof *s->locations);
        const cJSON *opt;
        cJSON_ArrayForEach(opt, opts)
        {
            const char *loc = str(opt, "LocationName");
            const cJSON *lead = cJSON_GetObjectItemCaseSensitive(opt, "Lead");
            const cJSON *moq = cJSON_GetObjectItemCaseSensitive(opt, "MinimumToReorder");
            if (loc)
                s->locations[s->n_locations++] = xstrdup(loc);
            if (cJSON_IsNumber(lead) && lead->valuedouble > 0 &&
                (s->lead_days < 0 || lead->valuedouble < s->lead_days))
                s->lead_days = lead->valuedouble;
            int64_t m;
            if (json_int53(moq, &m) && m > s->moq)
                s->moq = m;
        }
    }
    *n_out = n;
    return list;
}

static const replen_supply *supply_of(replenisher *r, const char *sku)
{
    long i = r->supply_index ? strmap_get(r->supply_index, sku) : -1;
    return i >= 0 ? &r->supply[i] : NULL;
}

/* SKUs to check again CHECK_RETRY_MS from now: a failed check must not
 * spend Cin7's budget retrying every coalescing window through an outage. */
static void retry_later(replenisher *r, const char *const *skus, size_t n)
{
    int64_t now = clock_now_ms(&r->sd->clk);
    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; i < n; i++)
        coalesce_mark(r->later, skus[i], now);
    pthread_mutex_unlock(&r->lock);
}

static int64_t pack_of(const syncd_config *cfg, const char *supplier)
{
    for (size_t i = 0; supplier && i < cfg->n_pack; i++)
        if (strcmp(cfg->pack_supplier[i], supplier) == 0)
            return cfg->pack_size[i];
    return 1;
}

/* A SKU that cannot be reordered: once, loudly (dead-letter and alert). */
static void cannot_reorder(syncd *sd, const char *sku, const char *reason)
{
    int64_t now = clock_now_ms(&sd->clk);
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "sku", sku);
    cJSON_AddStringToObject(b, "reason", reason);
    char *body = json_print(b);
    cJSON_Delete(b);
    char key[300];
    snprintf(key, sizeof key, "replen:%s:%s", sku, reason);
    store_event_in in = {.source = "internal", .topic = "replenishment", .body = body,
                         .body_len = strlen(body), .now = now, .dedup = {key}};
    int64_t id = 0;
    if (store_dead_on_arrival(sd->st, &in, reason, &id) == STORE_NEW) {
        cJSON *a = cJSON_CreateObject();
        cJSON_AddStringToObject(a, "sku", sku);
        cJSON_AddStringToObject(a, "reason", reason);
        cJSON_AddStringToObject(a, "topic", "replenishment");
        syncd_alert(sd, id, a);
    }
    free(body);
}

/* ---- the draft purchase of a supplier ---------------------------------------- */

/* A line of a draft: ours (from the supplier record) or one already on
 * it (a buyer's, kept as it is). Strings malloc'd. */
typedef struct {
    char *sku, *product_id, *name, *tax_rule, *comment, *supplier_sku;
    double qty, price, discount, tax;
} po_line;

static char *dup_str(const cJSON *o, const char *key)
{
    const char *v = str(o, key);
    return v ? xstrdup(v) : NULL;
}

static double number(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static void line_free(po_line *l)
{
    free(l->sku);
    free(l->product_id);
    free(l->name);
    free(l->tax_rule);
    free(l->comment);
    free(l->supplier_sku);
}

static void lines_free(po_line *l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        line_free(&l[i]);
    free(l);
}

/* GET purchase/order?TaskID: the order's lines and whether it is still
 * open (DRAFT, or NOT AVAILABLE: no lines yet). Returns 1 open, 0 no longer
 * (authorised, voided, gone), -1 could not tell. */
static int read_draft(syncd *sd, const char *id, po_line **lines, size_t *n)
{
    *lines = NULL;
    *n = 0;
    sbuf path = SBUF_INIT;
    sbuf_puts(&path, "purchase/order?TaskID=");
    sbuf_urlenc(&path, id);
    outcome o;
    cJSON *v = NULL;
    cin7_get_json(sd->c7, sbuf_str(&path), PRIO_NORMAL, &v, &o);
    sbuf_free(&path);
    int gone = o.action == POLICY_PERMANENT; /* 400/404: no such purchase */
    outbound_done(&o);
    if (!v)
        return gone ? 0 : -1;
    int open = supply_draft_open(str(v, "Status"));
    const cJSON *l;
    cJSON_ArrayForEach(l, cJSON_GetObjectItemCaseSensitive(v, "Lines"))
    {
        if (!str(l, "SKU"))
            continue;
        *lines = xrealloc(*lines, (*n + 1) * sizeof **lines);
        (*lines)[(*n)++] = (po_line){dup_str(l, "SKU"),      dup_str(l, "ProductID"),
                                     dup_str(l, "Name"),     dup_str(l, "TaxRule"),
                                     dup_str(l, "Comment"),  dup_str(l, "SupplierSKU"),
                                     number(l, "Quantity"),  number(l, "Price"),
                                     number(l, "Discount"),  number(l, "Tax")};
    }
    cJSON_Delete(v);
    return open;
}

/* The purchase/order body: every line, DRAFT. */
static cJSON *order_body(const char *id, const po_line *l, size_t n)
{
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "TaskID", id);
    cJSON_AddStringToObject(b, "Status", "DRAFT");
    cJSON_AddStringToObject(b, "Memo", "Drafted by syncd replenishment: days of cover below threshold");
    cJSON *a = cJSON_AddArrayToObject(b, "Lines");
    for (size_t i = 0; i < n; i++) {
        cin7_line cl = {l[i].product_id, l[i].sku, l[i].name, l[i].tax_rule, l[i].comment,
                        l[i].supplier_sku, l[i].qty, l[i].price, l[i].discount, l[i].tax};
        cJSON_AddItemToArray(a, cin7_line_json(&cl, 1));
    }
    return b;
}

/* Posts the lines of draft id (they replace its lines: safe to repeat).
 * Returns 0, or -1 to try again later. */
static int post_lines(syncd *sd, const replen_supply *sup, const char *id, const po_line *l, size_t n)
{
    cJSON *b = order_body(id, l, n);
    outcome o;
    cin7_post_order(sd->c7, "purchase/order", b, PRIO_NORMAL, &o);
    cJSON_Delete(b);
    int ok = o.action == POLICY_DONE;
    if (ok)
        log_info("replenishment: draft %s of %s now has %zu lines", id, sup->supplier, n);
    else
        log_warn("replenishment: cannot put lines on draft %s: %s", id, o.error);
    outbound_done(&o);
    return ok ? 0 : -1;
}

/* What replenishment keeps between passes (the supplier's open draft, its
 * draft generation). A value that is not kept is found again: the open
 * draft by a search, a used generation by its ledger entry. */
static void remember(syncd *sd, const char *key, const char *value)
{
    if (store_kv_set(sd->st, key, value) != 0)
        log_warn("replenishment: cannot keep %s (it is found again next pass)", key);
}

/* The supplier's first purchase in Cin7 whose order is ostatus ("DRAFT":
 * an open draft, whoever made it, a buyer's own or this engine's after a
 * store that forgot it; "NOT AVAILABLE": a header without lines, left by a
 * POST whose answer was lost). Returns 0 with *id (malloc'd) or NULL when
 * there is none, -1 when Cin7 could not be read. */
static int find_open_draft(syncd *sd, const replen_supply *sup, const char *ostatus, char **id)
{
    *id = NULL;
    sbuf path = SBUF_INIT;
    sbuf_puts(&path, "purchaseList?OrderStatus=");
    sbuf_urlenc(&path, ostatus);
    sbuf_puts(&path, "&Search=");
    sbuf_urlenc(&path, sup->supplier);
    cJSON *rows = NULL;
    outcome o;
    cin7_list(sd->c7, sbuf_str(&path), "PurchaseList", PRIO_NORMAL, &rows, &o);
    sbuf_free(&path);
    outbound_done(&o);
    if (!rows)
        return -1;
    supply_row *v = xcalloc((size_t)cJSON_GetArraySize(rows) + 1, sizeof *v);
    size_t n = 0;
    const cJSON *row;
    cJSON_ArrayForEach(row, rows)
        v[n++] = (supply_row){str(row, "ID"), str(row, "SupplierID"), str(row, "OrderStatus"),
                              str(row, "Status")};
    long k = supply_find_row(v, n, sup->supplier_id, ostatus);
    if (k >= 0)
        *id = xstrdup(v[k].id);
    free(v);
    cJSON_Delete(rows);
    return 0;
}

/* Reads the draft *id; keeps *id and its lines when it is still a DRAFT,
 * else frees *id and sets it NULL. Returns 0, or -1 when Cin7 could not
 * tell (then *id is freed too). */
static int keep_if_draft(syncd *sd, char **id, po_line **have, size_t *n_have)
{
    int draft = read_draft(sd, *id, have, n_have);
    if (draft == 1)
        return 0;
    lines_free(*have, *n_have);
    *have = NULL;
    *n_have = 0;
    free(*id);
    *id = NULL;
    return draft < 0 ? -1 : 0;
}

/* The supplier's open draft (*id, malloc'd, with its lines) or *id NULL
 * when there is none: the one the store remembers while it is still a
 * DRAFT (authorised, voided or gone ones are not ours to touch), else any
 * open draft of the supplier in Cin7, which is then remembered. Returns 0,
 * or -1 when Cin7 could not be read. */
static int open_draft(syncd *sd, const replen_supply *sup, const char *key, char **id,
                      po_line **have, size_t *n_have)
{
    *have = NULL;
    *n_have = 0;
    *id = store_kv_get(sd->st, key);
    if (*id) {
        if (keep_if_draft(sd, id, have, n_have) < 0)
            return -1;
        if (*id)
            return 0;
        remember(sd, key, NULL);
    }
    if (find_open_draft(sd, sup, "DRAFT", id) < 0)
        return -1;
    if (!*id)
        return 0;
    if (keep_if_draft(sd, id, have, n_have) < 0)
        return -1;
    if (*id) {
        log_info("replenishment: %s already has draft %s open; adding to it", sup->supplier, *id);
        remember(sd, key, *id);
    }
    return 0;
}

/* A line of ours, a copy of a wanted one (which names its SKU's product,
 * name and supplier cost). */
static po_line our_line(syncd *sd, const po_line *want)
{
    return (po_line){xstrdup(want->sku), xstrdup(want->product_id), xstrdup(want->name),
                     xstrdup(sd->cfg.cin7_purchase_tax_rule), NULL, NULL, want->qty, want->price, 0,
                     0};
}

/* supply_merge over po_lines: where each wanted line goes on a draft with
 * lines have. */
static size_t merge_lines(const po_line *have, size_t n_have, const po_line *want, size_t n_want,
                          size_t *slot, int *changed)
{
    supply_line *h = xcalloc(n_have + 1, sizeof *h), *w = xcalloc(n_want + 1, sizeof *w);
    for (size_t i = 0; i < n_have; i++)
        h[i] = (supply_line){have[i].sku, have[i].qty};
    for (size_t i = 0; i < n_want; i++)
        w[i] = (supply_line){want[i].sku, want[i].qty};
    size_t n = supply_merge(h, n_have, w, n_want, slot, changed);
    free(h);
    free(w);
    return n;
}

/* The supplier's claim as draft_claimed took it (see there). */
typedef struct {
    char name[300];
    int64_t epoch, ttl_ms;
} draft_claim;

/* Whether this instance still holds c under the epoch it took it with,
 * asked (and renewed) just before each write to Cin7: an instance paused
 * past the claim's end, whose claim another instance took meanwhile (a
 * new epoch), makes no draft and posts no lines over the new holder's;
 * its SKUs are checked again later. Between this answer and the write a
 * pause is not covered: the write ledger and the draft found in Cin7 are
 * (see docs/syncd.md, "Several instances on one store"). */
static int claim_kept(syncd *sd, const draft_claim *c)
{
    int64_t epoch = 0;
    int rc = store_claim(sd->st, c->name, sd->cfg.instance, clock_now_ms(&sd->clk), c->ttl_ms,
                         &epoch);
    if (rc == 1 && epoch == c->epoch)
        return 1;
    if (rc < 0)
        metrics_inc(sd->m, "syncd_store_errors_total", 1);
    else
        metrics_inc(sd->m, "syncd_claims_lost_total{claim=\"podraft\"}", 1);
    log_warn("replenishment: claim %s %s; its draft is not written now", c->name,
             rc < 0 ? "cannot be renewed (store error)" : "was taken over meanwhile");
    return 0;
}

/* Puts the wanted lines on open draft id (which has lines have): the
 * newest quantity wins, other lines (a buyer's own) stay as they are; no
 * call when nothing changes (a draft without lines always gets them).
 * Takes have. Returns 0, or -1 to try later. */
static int update_draft(syncd *sd, const draft_claim *c, const replen_supply *sup, const char *id,
                        po_line *have, size_t n_have, const po_line *want, size_t n_want)
{
    int changed;
    size_t *slot = xcalloc(n_want + 1, sizeof *slot);
    size_t n_after = merge_lines(have, n_have, want, n_want, slot, &changed);
    have = xrealloc(have, (n_after + 1) * sizeof *have);
    for (size_t i = 0; i < n_want; i++) {
        if (slot[i] == n_have)
            have[n_have++] = our_line(sd, &want[i]);
        else
            have[slot[i]].qty = want[i].qty;
    }
    free(slot);
    int rc = 0;
    if (changed) {
        rc = claim_kept(sd, c) ? post_lines(sd, sup, id, have, n_have) : -1;
        if (rc == 0)
            metrics_inc(sd->m, "syncd_po_lines_updated_total", (int64_t)n_want);
    }
    lines_free(have, n_have);
    return rc;
}

/* The header of a new draft under intent (its Note). Caller frees. */
static char *draft_body(syncd *sd, const replen_supply *sup, const char *intent, int64_t now)
{
    char required[40];
    clock_format_iso(clock_epoch_ms(&sd->clk, supply_required_by(now, sup->lead_days)), 1, required,
                     sizeof required);
    cJSON *b = cJSON_CreateObject();
    cJSON_AddStringToObject(b, "SupplierID", sup->supplier_id);
    if (sup->n_locations)
        cJSON_AddStringToObject(b, "Location", sup->locations[0]);
    cJSON_AddStringToObject(b, "RequiredBy", required);
    /* Receive first, then invoice: the usual way for stock bought in. */
    cJSON_AddStringToObject(b, "Approach", "STOCK");
    cJSON_AddStringToObject(b, "Note", intent);
    char *body = json_print(b);
    cJSON_Delete(b);
    return body;
}

/* One draft header as the exactly-once write sees it. */
typedef struct {
    syncd *sd;
    const replen_supply *sup;
    const char *body;
} draft_write;

/* A header an earlier try may have left: the supplier's purchase without
 * lines. */
static int draft_look_up(void *ud, char **remote, handled *h)
{
    draft_write *w = ud;
    if (find_open_draft(w->sd, w->sup, "NOT AVAILABLE", remote) < 0) {
        *h = handled_retry(30000, "cannot read %.200s's purchases from Cin7", w->sup->supplier);
        return -1;
    }
    return *remote != NULL;
}

static int draft_post(void *ud, char **remote, outcome *o, handled *h)
{
    (void)h;
    draft_write *w = ud;
    cin7_call(w->sd->c7, "POST", "advanced-purchase", w->body, PRIO_NORMAL, 0, o);
    cJSON *v = o->action == POLICY_DONE ? json_parse(o->resp.body, o->resp.body_len, NULL) : NULL;
    *remote = v && str(v, "ID") ? xstrdup(str(v, "ID")) : NULL;
    cJSON_Delete(v);
    return *remote ? 1 : -1;
}

/* A new draft header, exactly once (xwrite): POST advanced-purchase, or
 * the header an unfinished earlier try left, adopted. Generation numbers
 * give each draft ever made for the supplier its own intent (and Note); a
 * generation whose draft was made is closed now (open_draft found nothing
 * open), so the next one is used. Returns 0 with *id (malloc'd) and *gen,
 * or -1 to try again later. */
static int draft_header(syncd *sd, const replen_supply *sup, const char *sku, char **id,
                        long long *gen)
{
    int64_t now = clock_now_ms(&sd->clk);
    char gen_key[300], intent[320], next[32];
    snprintf(gen_key, sizeof gen_key, "podraft-gen:%s", sup->supplier_id);
    char *g = store_kv_get(sd->st, gen_key);
    *gen = g ? atoll(g) : 0;
    free(g);
    for (int tries = 0; tries < 2; tries++) {
        snprintf(intent, sizeof intent, "po:%s:%lld", sup->supplier_id, *gen);
        char *body = draft_body(sd, sup, intent, now);
        draft_write w = {sd, sup, body};
        xwrite_op op = {intent, "purchase", body, draft_look_up, draft_post, &w};
        xwrite_how how;
        handled h = xwrite_run(sd->st, &sd->clk, &op, &how, id);
        free(body);
        if (h.kind != H_DONE) {
            log_warn("replenishment: cannot draft a purchase from %s: %s", sup->supplier, h.reason);
            if (h.kind == H_DEAD)
                cannot_reorder(sd, sku, "Cin7 refused the purchase draft");
            return -1;
        }
        if (how == XWRITE_FOUND)
            log_info("replenishment: %s has header %s without lines (an earlier answer was lost); "
                     "adopting it", sup->supplier, *id);
        if (how == XWRITE_WRITTEN)
            metrics_inc(sd->m, "syncd_po_drafts_created_total", 1);
        if (how != XWRITE_ALREADY)
            return 0;
        free(*id);
        *id = NULL;
        snprintf(next, sizeof next, "%lld", ++*gen);
        remember(sd, gen_key, next);
    }
    return -1; /* the store keeps answering "done": try again later */
}

/* A new draft: its header (draft_header), remembered as the supplier's
 * open draft, then its lines (purchase/order). Returns 0, or -1 to try
 * again later. */
static int create_draft(syncd *sd, const draft_claim *c, const replen_supply *sup, const char *key,
                        const po_line *want, size_t n_want)
{
    char gen_key[300], next[32];
    char *id = NULL;
    long long gen = 0;
    if (!claim_kept(sd, c) || draft_header(sd, sup, want[0].sku, &id, &gen) != 0)
        return -1;
    snprintf(gen_key, sizeof gen_key, "podraft-gen:%s", sup->supplier_id);
    remember(sd, key, id);
    snprintf(next, sizeof next, "%lld", gen + 1);
    remember(sd, gen_key, next);
    /* The lines: when this fails the header stays the supplier's open
     * draft (remembered above) and the next pass posts them. */
    po_line *lines = xcalloc(n_want + 1, sizeof *lines);
    for (size_t i = 0; i < n_want; i++)
        lines[i] = our_line(sd, &want[i]);
    int rc = claim_kept(sd, c) ? post_lines(sd, sup, id, lines, n_want) : -1;
    lines_free(lines, n_want);
    if (rc == 0)
        log_info("replenishment: drafted purchase %s from %s with %zu lines", id, sup->supplier,
                 n_want);
    free(id);
    return rc;
}

/* Puts the wanted lines on the supplier's open draft, creating it when
 * there is none. Returns 0, or -1 to try again later. */
static int draft_for(syncd *sd, const draft_claim *c, const replen_supply *sup,
                     const po_line *want, size_t n_want)
{
    char key[300];
    snprintf(key, sizeof key, "podraft:%s", sup->supplier_id);
    char *id = NULL;
    po_line *have = NULL;
    size_t n_have = 0;
    if (open_draft(sd, sup, key, &id, &have, &n_have) < 0)
        return -1;
    if (!id)
        return create_draft(sd, c, sup, key, want, n_want);
    int rc = update_draft(sd, c, sup, id, have, n_have, want, n_want);
    free(id);
    return rc;
}

/* ---- one pass ------------------------------------------------------------------ */

/* Velocity history from Shopify's paid orders of the window, once at start
 * (orders this engine saw are recorded as they come). */
static void backfill(replenisher *r)
{
    syncd *sd = r->sd;
    int64_t now = clock_now_ms(&sd->clk);
    char since[40];
    clock_format_iso(clock_epoch_ms(&sd->clk, now - sd->cfg.replen_window_ms), 0, since, sizeof since);
    size_t added = 0;
    for (size_t s = 0; s < sd->cfg.n_shops && !sd->stopping; s++) {
        char search[120];
        snprintf(search, sizeof search, "financial_status:paid created_at:>='%s'", since);
        cJSON *orders = NULL;
        outcome o;
        shopify_orders(sd->shops[s], search, PRIO_BULK, &orders, &o);
        outbound_done(&o);
        const cJSON *ord;
        cJSON_ArrayForEach(ord, orders)
        {
            char id[32];
            const cJSON *idv = cJSON_GetObjectItemCaseSensitive(ord, "id");
            if (!cJSON_IsNumber(idv) || cJSON_IsString(cJSON_GetObjectItemCaseSensitive(ord, "cancelled_at")))
                continue;
            snprintf(id, sizeof id, "%.0f", idv->valuedouble);
            int64_t placed = syncd_sim_time(sd, str(ord, "created_at"));
            const cJSON *li;
            cJSON_ArrayForEach(li, cJSON_GetObjectItemCaseSensitive(ord, "line_items"))
            {
                const char *sku = str(li, "sku");
                const char *c7 = sku ? catalog_cin7_sku(syncd_catalog(sd), sku) : NULL;
                const cJSON *q = cJSON_GetObjectItemCaseSensitive(li, "quantity");
                if (c7 && cJSON_IsNumber(q) &&
                    store_history_add(sd->st, shopify_domain(sd->shops[s]), id, c7,
                                      (int64_t)q->valuedouble, placed) == 0)
                    added++;
            }
        }
        cJSON_Delete(orders);
    }
    log_info("replenishment: velocity history backfilled with %zu order lines", added);
}

/* Reads the supplier records when they are due (supply_reload_due).
 * Returns 0, or -1 when there are none to go by. */
static int ensure_supply(replenisher *r, char *const *skus, size_t n, int64_t now)
{
    int unknown = 0;
    for (size_t i = 0; i < n && r->supply_index && !unknown; i++)
        unknown = !supply_of(r, skus[i]);
    if (supply_reload_due(r->supply_index != NULL, r->supply_loaded_at, now, unknown) &&
        load_supply(r) != 0 && !r->supply_index)
        return -1;
    return 0;
}

/* The cached figures of sku at every configured location, as the position
 * of the supplier sp (supply_position chooses the locations it serves). */
static supply_pos stock_position(syncd *sd, const char *sku, const replen_supply *sp)
{
    const syncd_config *cfg = &sd->cfg;
    supply_stock *at = xcalloc(cfg->n_locations + 1, sizeof *at);
    size_t n = 0;
    for (size_t l = 0; l < cfg->n_locations; l++) {
        stock_figures f;
        if (stockcache_get(sd->cache, sku, cfg->locations[l].name, &f))
            at[n++] = (supply_stock){cfg->locations[l].name, f.on_hand, f.on_order, f.in_transit,
                                     f.allocated, f.as_of};
    }
    supply_pos p = supply_position(at, n, (const char *const *)sp->locations, sp->n_locations);
    free(at);
    return p;
}

/* Which of the kits' figures a component takes units of (kit_units). */
enum { KIT_SOLD, KIT_PENDING, KIT_IN_FLIGHT };

/* The units of component sku that the kits using it took, by the store's
 * figure `what` of each kit (units sold over [from, to), or pending or in
 * flight as of from), each kit's units times what one takes (kit_charge):
 * Cin7 assembles a kit from its components, so a kit's sales are its
 * components' demand. 0 when no kit uses sku, -1 when the store could not
 * tell. */
static int64_t kit_units(syncd *sd, const char *sku, int what, int64_t from, int64_t to)
{
    const catalog *cat = syncd_catalog(sd);
    size_t nk = 0;
    const kit *kits = cat ? catalog_kits(cat, &nk) : NULL;
    size_t *using = xcalloc(nk + 1, sizeof *using);
    int64_t *units = xcalloc(nk + 1, sizeof *units);
    size_t m = kit_using(kits, nk, sku, using);
    int64_t got = 0;
    for (size_t j = 0; j < m && got >= 0; j++) {
        const char *kit_sku = kits[using[j]].sku;
        int64_t u = what == KIT_SOLD      ? store_history_units(sd->st, kit_sku, from, to)
                    : what == KIT_PENDING ? store_pending_units(sd->st, kit_sku, from)
                                          : store_in_flight_units(sd->st, kit_sku, from);
        if (u < 0)
            got = -1;
        units[using[j]] = u;
    }
    if (got == 0 && m)
        got = kit_charge(kits, nk, sku, units);
    free(units);
    free(using);
    return got;
}

/* a + b, or -1 when either is (a figure the store could not tell). */
static int64_t known_sum(int64_t a, int64_t b)
{
    return a < 0 || b < 0 ? -1 : a + b;
}

/* What the store and the stock cache say of sku, whose supplier record is
 * sp (NULL: none), for supply_decide. The pending units are read as of the
 * oldest figure (the ledger does not know locations, so a supplier serving
 * only some warehouses sees every pending unit: it reorders early, not
 * late). A component's figures include what the kits using it took. */
static supply_sku read_sku(syncd *sd, const char *sku, const replen_supply *sp, int64_t now,
                           int may_wait)
{
    const syncd_config *cfg = &sd->cfg;
    supply_sku in = {.has_supplier = sp && sp->supplier_id, .window_ms = cfg->replen_window_ms,
                     .pending = -1, .cover_days = cfg->replen_cover_days,
                     .target_days = cfg->replen_target_days, .lead_days = -1,
                     .may_wait = may_wait};
    int64_t from = now - cfg->replen_window_ms;
    in.sold = known_sum(store_history_units(sd->st, sku, from, now + 1),
                        kit_units(sd, sku, KIT_SOLD, from, now + 1));
    if (!in.has_supplier || in.sold < 0)
        return in;
    in.moq = sp->moq;
    in.pack = pack_of(cfg, sp->supplier);
    in.lead_days = sp->lead_days;
    in.pos = stock_position(sd, sku, sp);
    if (in.pos.known) {
        int64_t as_of = in.pos.as_of;
        in.pending = known_sum(store_pending_units(sd->st, sku, as_of),
                               kit_units(sd, sku, KIT_PENDING, as_of, 0));
        in.in_flight = known_sum(store_in_flight_units(sd->st, sku, as_of),
                                 kit_units(sd, sku, KIT_IN_FLIGHT, as_of, 0));
        if (in.in_flight < 0)
            in.pending = -1; /* the store could not tell: decide later */
    }
    return in;
}

/* Whether sku is a kit: Cin7 assembles it from its components when sold,
 * so it is never bought; its components are checked in its place. */
static int is_kit(syncd *sd, const char *sku)
{
    const catalog *cat = syncd_catalog(sd);
    return cat && catalog_kit(cat, sku) != NULL;
}

/* Marks sku in c, or for a kit its components. */
static void mark_for_check(syncd *sd, coalescer *c, const char *sku, int64_t now)
{
    const catalog *cat = syncd_catalog(sd);
    const kit *k = cat ? catalog_kit(cat, sku) : NULL;
    if (!k) {
        coalesce_mark(c, sku, now);
        return;
    }
    for (size_t i = 0; i < k->n; i++)
        coalesce_mark(c, k->parts[i].sku, now);
}

/* The batch's wanted lines into want (borrowed from skus and the supplier
 * records) and each one's supplier record into sups; the SKUs that cannot
 * be reordered are reported. Returns how many lines. */
static size_t wanted_lines(replenisher *r, char *const *skus, size_t n, int64_t now, po_line *want,
                           const replen_supply **sups)
{
    syncd *sd = r->sd;
    size_t n_want = 0;
    for (size_t i = 0; i < n; i++) {
        if (is_kit(sd, skus[i]))
            continue;
        const replen_supply *sp = supply_of(r, skus[i]);
        pthread_mutex_lock(&r->lock);
        long since = strmap_get(r->waiting, skus[i]);
        pthread_mutex_unlock(&r->lock);
        supply_sku in = read_sku(sd, skus[i], sp, now, since < 0 || now - since < SETTLE_MAX_MS);
        supply_decision d = supply_decide(&in);
        if (d.reason)
            cannot_reorder(sd, skus[i], d.reason);
        pthread_mutex_lock(&r->lock);
        if (d.verdict == SUPPLY_WAIT) {
            if (since < 0)
                strmap_put(r->waiting, skus[i], (long)now);
            coalesce_mark(r->settle, skus[i], now);
        } else if (since >= 0) {
            strmap_put(r->waiting, skus[i], -1);
        }
        pthread_mutex_unlock(&r->lock);
        if (d.verdict == SUPPLY_WAIT)
            log_debug("replenishment: %s waits for a read after %lld units in flight",
                      skus[i], (long long)in.in_flight);
        if (d.verdict != SUPPLY_ORDER)
            continue;
        log_info("replenishment: %s has %.2f days of cover (position %lld, %.2f a day): %lld from %s",
                 skus[i], d.reorder.days_of_cover, (long long)d.position, d.velocity,
                 (long long)d.reorder.quantity, sp->supplier);
        sups[n_want] = sp;
        /* Borrowed from the supplier record: each SKU its own product. */
        want[n_want++] = (po_line){.sku = skus[i], .product_id = sp->product_id, .name = sp->name,
                                   .qty = (double)d.reorder.quantity, .price = sp->cost};
    }
    return n_want;
}

/* draft_for under the supplier's claim "podraft:<supplier id>" (roles.h):
 * with several instances on one store, paid orders of one supplier's SKUs
 * reach several of them, and two finding no draft at once would each make
 * one. The claim is held around the find, create or update of the draft
 * and released after; it lasts long enough for the few Cin7 calls that
 * takes (each bounded by http_timeout), and a holder that dies holds the
 * supplier's drafts up for that long. The draft's id kept in the store
 * stays the truth about which draft is open. Returns 0, 1 when another
 * instance holds the claim (try again later), -1 to try again later. */
static int draft_claimed(syncd *sd, const replen_supply *sup, const po_line *want, size_t n_want)
{
    draft_claim c;
    snprintf(c.name, sizeof c.name, "podraft:%s", sup->supplier_id);
    const char *names[] = {c.name};
    store_claim_state st;
    c.ttl_ms = 4 * sd->cfg.http_timeout_ms;
    if (c.ttl_ms < sd->cfg.claim_ttl_ms)
        c.ttl_ms = sd->cfg.claim_ttl_ms;
    int held = roles_claim_each(sd, "podraft", names, 1, c.ttl_ms, &st);
    if (held <= 0) {
        if (held == 0)
            log_info("replenishment: %s's draft is being written by another instance; "
                     "its SKUs are checked again later", sup->supplier);
        return held == 0 ? 1 : -1;
    }
    c.epoch = st.epoch;
    int rc = draft_for(sd, &c, sup, want, n_want);
    if (store_release(sd->st, c.name, sd->cfg.instance) < 0)
        log_warn("replenishment: cannot release claim %s (it ends by itself)", c.name);
    return rc;
}

/* One draft per supplier with all its wanted lines (supply_group); the
 * SKUs of a supplier whose draft could not be written (or another
 * instance was writing) are checked again later. */
static void draft_groups(replenisher *r, const replen_supply **sups, const po_line *want,
                         size_t n_want)
{
    const char **ids = xcalloc(n_want + 1, sizeof *ids);
    for (size_t i = 0; i < n_want; i++)
        ids[i] = sups[i]->supplier_id;
    size_t *order = xcalloc(n_want + 1, sizeof *order);
    size_t *starts = xcalloc(n_want + 2, sizeof *starts);
    size_t groups = supply_group(ids, n_want, order, starts);
    po_line *mine = xcalloc(n_want + 1, sizeof *mine);
    const char **again = xcalloc(n_want + 1, sizeof *again);
    for (size_t g = 0; g < groups; g++) {
        size_t n_mine = starts[g + 1] - starts[g];
        for (size_t k = 0; k < n_mine; k++) {
            mine[k] = want[order[starts[g] + k]];
            again[k] = mine[k].sku;
        }
        if (draft_claimed(r->sd, sups[order[starts[g]]], mine, n_mine) != 0)
            retry_later(r, again, n_mine);
    }
    free(again);
    free(mine);
    free(starts);
    free(order);
    free(ids);
}

/* Checks a batch of SKUs: read (supplier records, sales, stock, pending
 * units), decide (engine/core/supply.h), write (drafts, dead letters). */
static void check(replenisher *r, char **skus, size_t n)
{
    int64_t now = clock_now_ms(&r->sd->clk);
    if (ensure_supply(r, skus, n, now) != 0) {
        retry_later(r, (const char *const *)skus, n);
        return;
    }
    const replen_supply **sups = xcalloc(n + 1, sizeof *sups);
    po_line *want = xcalloc(n + 1, sizeof *want);
    size_t n_want = wanted_lines(r, skus, n, now, want, sups);
    draft_groups(r, sups, want, n_want);
    free(sups);
    free(want);
}

/* The schedule: every SKU, whether or not it sold lately, by the
 * instance holding the "replen-sweep" role (roles.h), which keeps the
 * next sweep's time in the store; the others follow that time and take
 * the sweep over when its holder stops renewing the role. Returns when
 * to look again. Called with r->lock held. */
static int64_t sweep(replenisher *r, int64_t now)
{
    syncd *sd = r->sd;
    if (!roles_held(sd->roles, ROLE_REPLEN_SWEEP, NULL)) {
        char *v = store_kv_get(sd->st, SWEEP_KEY);
        int64_t at = v ? strtoll(v, NULL, 10) - sd->clk.origin_ms : 0;
        free(v);
        return at > now ? at : now + (sd->cfg.claim_ttl_ms / 3 > 0 ? sd->cfg.claim_ttl_ms / 3 : 1);
    }
    size_t n;
    const char *const *all = catalog_skus(syncd_catalog(sd), &n);
    for (size_t i = 0; i < n; i++)
        mark_for_check(sd, r->marks, all[i], now);
    int64_t next = now + sd->cfg.replen_interval_ms;
    char at[32];
    snprintf(at, sizeof at, "%lld", (long long)clock_epoch_ms(&sd->clk, next));
    store_kv_set_async(sd->st, SWEEP_KEY, at);
    return next;
}

static void *replen_main(void *arg)
{
    replenisher *r = arg;
    syncd *sd = r->sd;
    int64_t next_sweep = -1;
    char *batch[BATCH];
    pthread_mutex_lock(&r->lock);
    while (!sd->stopping) {
        int64_t now = clock_now_ms(&sd->clk);
        if (!sd->ready) {
            struct timespec ts;
            clock_deadline(&sd->clk, 1000, &ts);
            pthread_cond_timedwait(&r->cv, &r->lock, &ts);
            continue;
        }
        if (!r->backfilled) {
            r->backfilled = 1;
            pthread_mutex_unlock(&r->lock);
            backfill(r);
            pthread_mutex_lock(&r->lock);
            next_sweep = now; /* a first sweep at once: whatever went below
                               * its point while syncd was down, and a draft
                               * a restart interrupted */
            continue;
        }
        if (now >= next_sweep)
            next_sweep = sweep(r, now);
        size_t n = coalesce_take(r->marks, now, batch, BATCH);
        if (!n)
            n = coalesce_take(r->settle, now, batch, BATCH);
        if (!n)
            n = coalesce_take(r->later, now, batch, BATCH);
        if (!n) {
            int64_t wait = next_sweep - now;
            coalescer *queues[] = {r->marks, r->settle, r->later};
            for (size_t q = 0; q < sizeof queues / sizeof queues[0]; q++) {
                int64_t due = coalesce_next_due(queues[q]);
                if (due >= 0 && due - now < wait)
                    wait = due - now;
            }
            struct timespec ts;
            clock_deadline(&sd->clk, wait > 0 ? wait : 1, &ts);
            pthread_cond_timedwait(&r->cv, &r->lock, &ts);
            continue;
        }
        pthread_mutex_unlock(&r->lock);
        check(r, batch, n);
        for (size_t i = 0; i < n; i++)
            free(batch[i]);
        pthread_mutex_lock(&r->lock);
    }
    pthread_mutex_unlock(&r->lock);
    httpc_thread_cleanup();
    return NULL;
}

replenisher *replen_start(syncd *sd)
{
    replenisher *r = xcalloc(1, sizeof *r);
    r->sd = sd;
    pthread_mutex_init(&r->lock, NULL);
    clock_cond_init(&r->cv);
    r->marks = coalesce_new(sd->cfg.coalesce_ms);
    r->later = coalesce_new(CHECK_RETRY_MS);
    r->settle = coalesce_new(SETTLE_RETRY_MS);
    r->waiting = strmap_new(0);
    if (sd->cfg.replen_enabled) {
        if (pthread_create(&r->thread, NULL, replen_main, r) != 0) {
            fprintf(stderr, "fatal: cannot start the replenishment thread\n");
            abort();
        }
        r->running = 1;
    }
    return r;
}

void replen_stop(replenisher *r)
{
    if (!r)
        return;
    if (r->running) {
        pthread_mutex_lock(&r->lock);
        pthread_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->lock);
        pthread_join(r->thread, NULL);
    }
    supply_free(r);
    coalesce_free(r->marks);
    coalesce_free(r->later);
    coalesce_free(r->settle);
    strmap_free(r->waiting);
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->cv);
    free(r);
}

void replen_mark(syncd *sd, const char *const *skus, size_t n)
{
    replenisher *r = sd->replen;
    if (!r || !r->running || !n)
        return;
    int64_t now = clock_now_ms(&sd->clk);
    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; i < n; i++)
        mark_for_check(sd, r->marks, skus[i], now);
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->lock);
}
