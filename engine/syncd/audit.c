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

int audit_skus(const syncd_config *cfg, FILE *out, FILE *err)
{
    sclock clk;
    clock_init(&clk, cfg->time_scale, cfg->clock_origin);
    metrics *m = metrics_new();
    policy pol = {cfg->max_attempts, cfg->retry_base_ms, cfg->retry_cap_ms};
    cin7 *c7 = cin7_new(cfg->cin7_url, cfg->cin7_account, cfg->cin7_key, &cfg->cin7_pace,
                        cfg->cin7_page_limit, cfg->http_timeout_ms, &pol, m, &clk);
    int rc = AUDIT_MATCH;
    char **cin7_skus = NULL;
    size_t n_cin7 = 0;
    int *c7_state = NULL;
    outcome o;
    cin7_product_skus(c7, &cin7_skus, &n_cin7, &o);
    if (o.action != POLICY_DONE) {
        fprintf(err, "syncd audit-skus: cannot read Cin7's products: %s\n", o.error);
        outbound_done(&o);
        rc = AUDIT_UNREADABLE;
        goto out;
    }
    outbound_done(&o);
    n_cin7 = sort_unique(cin7_skus, n_cin7);
    c7_state = xcalloc(n_cin7 + 1, sizeof *c7_state);

    /* Every shop first (an unreadable one fails the audit before any
     * report), then the report. */
    char ***shop_skus = xcalloc(cfg->n_shops + 1, sizeof *shop_skus);
    size_t *n_shop = xcalloc(cfg->n_shops + 1, sizeof *n_shop);
    skumatch_result *res = xcalloc(cfg->n_shops + 1, sizeof *res);
    size_t shops_read = 0;
    for (size_t s = 0; s < cfg->n_shops; s++) {
        shopify *sh = shopify_new(&cfg->shops[s], &pol, m, &clk, cfg->http_timeout_ms);
        shopify_variant *vars = NULL;
        size_t n_vars = 0;
        shopify_variants(sh, &vars, &n_vars, &o);
        int ok = o.action == POLICY_DONE;
        if (!ok)
            fprintf(err, "syncd audit-skus: cannot read the variants of %s: %s\n",
                    cfg->shops[s].domain, o.error);
        outbound_done(&o);
        shopify_free(sh);
        if (!ok) {
            shopify_variants_free(vars, n_vars);
            rc = AUDIT_UNREADABLE;
            break;
        }
        shop_skus[s] = xcalloc(n_vars + 1, sizeof **shop_skus);
        for (size_t v = 0; v < n_vars; v++)
            shop_skus[s][v] = xstrdup(vars[v].sku);
        shopify_variants_free(vars, n_vars);
        n_shop[s] = sort_unique(shop_skus[s], n_vars);
        skumatch_run((const char *const *)shop_skus[s], n_shop[s], (const char *const *)cin7_skus,
                     n_cin7, (const char *const *)cfg->map_shopify,
                     (const char *const *)cfg->map_cin7, cfg->n_map, cfg->map_identity, &res[s]);
        shops_read++;
    }
    if (rc == AUDIT_MATCH) {
        size_t matched = 0, shop_only = 0, near = 0, cin7_only = 0;
        for (size_t s = 0; s < cfg->n_shops; s++) {
            for (size_t i = 0; i < n_shop[s]; i++)
                if (res[s].match[i] >= 0)
                    c7_state[res[s].match[i]] |= C7_MATCHED;
            for (size_t k = 0; k < res[s].n_near; k++)
                c7_state[res[s].near[k].cin7_sku] |= C7_NEAR;
        }
        fprintf(out, "SKU audit: %zu shop%s, %zu Cin7 products\n", cfg->n_shops,
                cfg->n_shops == 1 ? "" : "s", n_cin7);
        for (size_t s = 0; s < cfg->n_shops; s++) {
            size_t sm = 0, so = 0;
            for (size_t i = 0; i < n_shop[s]; i++) {
                if (res[s].match[i] >= 0) {
                    sm++;
                    continue;
                }
                int has_near = 0;
                for (size_t k = 0; k < res[s].n_near; k++)
                    has_near |= res[s].near[k].shop_sku == i;
                so += !has_near;
            }
            fprintf(out, "shop %s: %zu SKUs, %zu matched, %zu Shopify-only, %zu near misses\n",
                    cfg->shops[s].domain, n_shop[s], sm, so, res[s].n_near);
            matched += sm;
            shop_only += so;
            near += res[s].n_near;
        }
        size_t c7_matched = 0;
        for (size_t c = 0; c < n_cin7; c++) {
            c7_matched += (c7_state[c] & C7_MATCHED) != 0;
            cin7_only += c7_state[c] == 0;
        }
        fprintf(out, "cin7: %zu products, %zu matched, %zu Cin7-only\n", n_cin7, c7_matched,
                cin7_only);
        /* The lists: one line each, SKUs as JSON strings. */
        for (size_t s = 0; s < cfg->n_shops; s++)
            for (size_t i = 0; i < n_shop[s]; i++) {
                if (res[s].match[i] >= 0)
                    continue;
                int has_near = 0;
                for (size_t k = 0; k < res[s].n_near; k++)
                    has_near |= res[s].near[k].shop_sku == i;
                if (has_near)
                    continue;
                fprintf(out, "shopify-only %s ", cfg->shops[s].domain);
                put_sku(out, shop_skus[s][i]);
                fputc('\n', out);
            }
        for (size_t c = 0; c < n_cin7; c++)
            if (c7_state[c] == 0) {
                fputs("cin7-only ", out);
                put_sku(out, cin7_skus[c]);
                fputc('\n', out);
            }
        for (size_t s = 0; s < cfg->n_shops; s++)
            for (size_t k = 0; k < res[s].n_near; k++) {
                char kinds[64];
                skumatch_kind_name(res[s].near[k].kinds, kinds, sizeof kinds);
                fprintf(out, "near-miss %s ", cfg->shops[s].domain);
                put_sku(out, shop_skus[s][res[s].near[k].shop_sku]);
                fputs(" ~ ", out);
                put_sku(out, cin7_skus[res[s].near[k].cin7_sku]);
                fprintf(out, " (%s)\n", kinds);
            }
        if (shop_only || cin7_only || near) {
            fprintf(out, "result: mismatch (%zu matched, %zu Shopify-only, %zu Cin7-only, %zu near misses)\n",
                    matched, shop_only, cin7_only, near);
            rc = AUDIT_MISMATCH;
        } else {
            fprintf(out, "result: all %zu SKUs match\n", matched);
        }
    }
    for (size_t s = 0; s < cfg->n_shops; s++) {
        for (size_t i = 0; shop_skus[s] && i < n_shop[s]; i++)
            free(shop_skus[s][i]);
        free(shop_skus[s]);
        if (s < shops_read)
            skumatch_result_free(&res[s]);
    }
    free(shop_skus);
    free(n_shop);
    free(res);
out:
    for (size_t i = 0; i < n_cin7; i++)
        free(cin7_skus[i]);
    free(cin7_skus);
    free(c7_state);
    cin7_free(c7);
    metrics_free(m);
    return rc;
}
