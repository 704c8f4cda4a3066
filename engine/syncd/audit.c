/* The SKU audit command; see audit.h. */
#include "audit.h"

#include "cin7.h"
#include "mem.h"
#include "metrics.h"
#include "sbuf.h"
#include "shopify.h"
#include "skumatch.h"

#include <stdlib.h>
#include <string.h>

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts and drops repeats (two variants with one SKU are one SKU here). */
static size_t sort_unique(char **v, size_t n)
{
    if (n > 1)
        qsort(v, n, sizeof *v, cmp_str);
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (w && strcmp(v[w - 1], v[i]) == 0) {
            free(v[i]);
            continue;
        }
        v[w++] = v[i];
    }
    return w;
}

/* A SKU as a JSON string, so surrounding whitespace shows. */
static void put_sku(FILE *out, const char *sku)
{
    sbuf b = SBUF_INIT;
    sbuf_json_str(&b, sku);
    fputs(sbuf_str(&b), out);
    sbuf_free(&b);
}

enum { C7_MATCHED = 1, C7_NEAR = 2 };

/* The clients the audit reads with (clk is the address they keep). */
typedef struct {
    sclock clk;
    metrics *m;
    policy pol;
    cin7 *c7;
} audit_clients;

/* What the audit read and what the comparison found. */
typedef struct {
    char **cin7;           /* Cin7's SKUs, sorted, distinct */
    size_t n_cin7;
    int *c7_state;         /* per Cin7 SKU: C7_MATCHED, C7_NEAR */
    char ***shop;          /* per shop: its SKUs, sorted, distinct */
    size_t *n_shop;
    skumatch_result *res;  /* per shop read */
    size_t shops_read;
} audit_data;

/* What the report counts. */
typedef struct {
    size_t matched, shop_only, near, cin7_only;
} audit_counts;

static void clients_open(audit_clients *cl, const syncd_config *cfg)
{
    clock_init(&cl->clk, cfg->time_scale, cfg->clock_origin);
    cl->m = metrics_new();
    cl->pol = (policy){cfg->max_attempts, cfg->retry_base_ms, cfg->retry_cap_ms};
    cl->c7 = cin7_new(cfg->cin7_url, cfg->cin7_account, cfg->cin7_key, &cfg->cin7_pace,
                      cfg->cin7_page_limit, cfg->http_timeout_ms, &cl->pol, cl->m, &cl->clk);
}

static void clients_close(audit_clients *cl)
{
    cin7_free(cl->c7);
    metrics_free(cl->m);
}

/* Cin7's product SKUs into d. Returns AUDIT_MATCH or AUDIT_UNREADABLE. */
static int read_cin7(audit_clients *cl, audit_data *d, FILE *err)
{
    outcome o;
    cin7_product_skus(cl->c7, &d->cin7, &d->n_cin7, &o);
    int ok = o.action == POLICY_DONE;
    if (!ok)
        fprintf(err, "syncd audit-skus: cannot read Cin7's products: %s\n", o.error);
    outbound_done(&o);
    if (!ok)
        return AUDIT_UNREADABLE;
    d->n_cin7 = sort_unique(d->cin7, d->n_cin7);
    d->c7_state = xcalloc(d->n_cin7 + 1, sizeof *d->c7_state);
    return AUDIT_MATCH;
}

/* Shop s's variant SKUs into d, compared with Cin7's (skumatch_run).
 * Returns AUDIT_MATCH or AUDIT_UNREADABLE. */
static int read_shop(audit_clients *cl, const syncd_config *cfg, size_t s, audit_data *d, FILE *err)
{
    shopify *sh = shopify_new(&cfg->shops[s], &cl->pol, cl->m, &cl->clk, cfg->shopify_http_timeout_ms);
    shopify_variant *vars = NULL;
    size_t n_vars = 0;
    outcome o;
    shopify_variants(sh, &vars, &n_vars, &o);
    int ok = o.action == POLICY_DONE;
    if (!ok)
        fprintf(err, "syncd audit-skus: cannot read the variants of %s: %s\n", cfg->shops[s].domain,
                o.error);
    outbound_done(&o);
    shopify_free(sh);
    if (!ok) {
        shopify_variants_free(vars, n_vars);
        return AUDIT_UNREADABLE;
    }
    d->shop[s] = xcalloc(n_vars + 1, sizeof **d->shop);
    for (size_t v = 0; v < n_vars; v++)
        d->shop[s][v] = xstrdup(vars[v].sku);
    shopify_variants_free(vars, n_vars);
    d->n_shop[s] = sort_unique(d->shop[s], n_vars);
    skumatch_run((const char *const *)d->shop[s], d->n_shop[s], (const char *const *)d->cin7,
                 d->n_cin7, (const char *const *)cfg->map_shopify,
                 (const char *const *)cfg->map_cin7, cfg->n_map, cfg->map_identity, &d->res[s]);
    d->shops_read++;
    return AUDIT_MATCH;
}

/* Every shop first (an unreadable one fails the audit before any report). */
static int read_shops(audit_clients *cl, const syncd_config *cfg, audit_data *d, FILE *err)
{
    d->shop = xcalloc(cfg->n_shops + 1, sizeof *d->shop);
    d->n_shop = xcalloc(cfg->n_shops + 1, sizeof *d->n_shop);
    d->res = xcalloc(cfg->n_shops + 1, sizeof *d->res);
    for (size_t s = 0; s < cfg->n_shops; s++)
        if (read_shop(cl, cfg, s, d, err) != AUDIT_MATCH)
            return AUDIT_UNREADABLE;
    return AUDIT_MATCH;
}

static void data_free(const syncd_config *cfg, audit_data *d)
{
    for (size_t s = 0; d->shop && s < cfg->n_shops; s++) {
        for (size_t i = 0; d->shop[s] && i < d->n_shop[s]; i++)
            free(d->shop[s][i]);
        free(d->shop[s]);
        if (s < d->shops_read)
            skumatch_result_free(&d->res[s]);
    }
    free(d->shop);
    free(d->n_shop);
    free(d->res);
    for (size_t i = 0; i < d->n_cin7; i++)
        free(d->cin7[i]);
    free(d->cin7);
    free(d->c7_state);
}

/* Whether unmatched shop SKU i of r has a near miss. */
static int has_near(const skumatch_result *r, size_t i)
{
    for (size_t k = 0; k < r->n_near; k++)
        if (r->near[k].shop_sku == i)
            return 1;
    return 0;
}

/* Whether shop SKU i of r is only in Shopify: unmatched, and no near miss. */
static int shopify_only(const skumatch_result *r, size_t i)
{
    return r->match[i] < 0 && !has_near(r, i);
}

/* Each Cin7 SKU: matched by some shop, a near miss of one, or neither. */
static void mark_cin7(const syncd_config *cfg, audit_data *d)
{
    for (size_t s = 0; s < cfg->n_shops; s++) {
        const skumatch_result *r = &d->res[s];
        for (size_t i = 0; i < d->n_shop[s]; i++)
            if (r->match[i] >= 0)
                d->c7_state[r->match[i]] |= C7_MATCHED;
        for (size_t k = 0; k < r->n_near; k++)
            d->c7_state[r->near[k].cin7_sku] |= C7_NEAR;
    }
}

/* The count lines: one per shop, then Cin7's. */
static audit_counts print_counts(const syncd_config *cfg, const audit_data *d, FILE *out)
{
    audit_counts k = {0, 0, 0, 0};
    for (size_t s = 0; s < cfg->n_shops; s++) {
        const skumatch_result *r = &d->res[s];
        size_t sm = 0, so = 0;
        for (size_t i = 0; i < d->n_shop[s]; i++) {
            sm += r->match[i] >= 0;
            so += shopify_only(r, i);
        }
        fprintf(out, "shop %s: %zu SKUs, %zu matched, %zu Shopify-only, %zu near misses\n",
                cfg->shops[s].domain, d->n_shop[s], sm, so, r->n_near);
        k.matched += sm;
        k.shop_only += so;
        k.near += r->n_near;
    }
    size_t c7_matched = 0;
    for (size_t c = 0; c < d->n_cin7; c++) {
        c7_matched += (d->c7_state[c] & C7_MATCHED) != 0;
        k.cin7_only += d->c7_state[c] == 0;
    }
    fprintf(out, "cin7: %zu products, %zu matched, %zu Cin7-only\n", d->n_cin7, c7_matched,
            k.cin7_only);
    return k;
}

/* The lists: one line each, SKUs as JSON strings. */
static void print_lists(const syncd_config *cfg, const audit_data *d, FILE *out)
{
    for (size_t s = 0; s < cfg->n_shops; s++)
        for (size_t i = 0; i < d->n_shop[s]; i++) {
            if (!shopify_only(&d->res[s], i))
                continue;
            fprintf(out, "shopify-only %s ", cfg->shops[s].domain);
            put_sku(out, d->shop[s][i]);
            fputc('\n', out);
        }
    for (size_t c = 0; c < d->n_cin7; c++)
        if (d->c7_state[c] == 0) {
            fputs("cin7-only ", out);
            put_sku(out, d->cin7[c]);
            fputc('\n', out);
        }
    for (size_t s = 0; s < cfg->n_shops; s++)
        for (size_t k = 0; k < d->res[s].n_near; k++) {
            const skumatch_pair *p = &d->res[s].near[k];
            char kinds[64];
            skumatch_kind_name(p->kinds, kinds, sizeof kinds);
            fprintf(out, "near-miss %s ", cfg->shops[s].domain);
            put_sku(out, d->shop[s][p->shop_sku]);
            fputs(" ~ ", out);
            put_sku(out, d->cin7[p->cin7_sku]);
            fprintf(out, " (%s)\n", kinds);
        }
}

/* The report on out. Returns AUDIT_MATCH or AUDIT_MISMATCH. */
static int report(const syncd_config *cfg, audit_data *d, FILE *out)
{
    mark_cin7(cfg, d);
    fprintf(out, "SKU audit: %zu shop%s, %zu Cin7 products\n", cfg->n_shops,
            cfg->n_shops == 1 ? "" : "s", d->n_cin7);
    audit_counts k = print_counts(cfg, d, out);
    print_lists(cfg, d, out);
    if (!(k.shop_only || k.cin7_only || k.near)) {
        fprintf(out, "result: all %zu SKUs match\n", k.matched);
        return AUDIT_MATCH;
    }
    fprintf(out, "result: mismatch (%zu matched, %zu Shopify-only, %zu Cin7-only, %zu near misses)\n",
            k.matched, k.shop_only, k.cin7_only, k.near);
    return AUDIT_MISMATCH;
}

int audit_skus(const syncd_config *cfg, FILE *out, FILE *err)
{
    audit_clients cl;
    clients_open(&cl, cfg);
    audit_data d = {0};
    int rc = read_cin7(&cl, &d, err);
    if (rc == AUDIT_MATCH)
        rc = read_shops(&cl, cfg, &d, err);
    if (rc == AUDIT_MATCH)
        rc = report(cfg, &d, out);
    data_free(cfg, &d);
    clients_close(&cl);
    return rc;
}
