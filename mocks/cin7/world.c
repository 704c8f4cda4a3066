/*
 * The world's lock, its thread and timetable, building it from a config or
 * a seed, admission (authentication and rate limits), the catalog's
 * queries and the helpers the other parts share; see world.h and
 * world_int.h. Stock lives in stock.c, sales in sales.c, purchases in
 * purchases.c, answer shapes in render.c, webhooks in hooks.c.
 */
#include "world_int.h"

#include "clock.h"
#include "httpc.h"
#include "log.h"
#include "mem.h"

#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const c7_task_names[] = {"NOT AVAILABLE", "DRAFT", "AUTHORISED", "VOIDED", "PAID"};

/* ---- small helpers ---------------------------------------------------------- */

int64_t c7w_now(const c7world *w)
{
    return clock_now_ms(w->clk);
}

void c7w_epoch_date(int64_t epoch_ms, char *buf, size_t n)
{
    clock_format_iso(epoch_ms, 1, buf, n);
    size_t len = strlen(buf);
    if (len && buf[len - 1] == 'Z')
        buf[len - 1] = '\0'; /* Cin7 writes yyyy-MM-ddTHH:mm:ss.fff, UTC implied */
}

void c7w_date(const c7world *w, int64_t sim_ms, char *buf, size_t n)
{
    c7w_epoch_date(clock_epoch_ms(w->clk, sim_ms), buf, n);
}

void c7w_guid(c7world *w, char out[C7_ID_LEN])
{
    uint64_t a = rng_next(&w->ids), b = rng_next(&w->ids);
    a = (a & ~UINT64_C(0xF000)) | UINT64_C(0x4000); /* version 4 */
    b = (b & UINT64_C(0x3FFFFFFFFFFFFFFF)) | UINT64_C(0x8000000000000000); /* variant 1 */
    snprintf(out, C7_ID_LEN, "%08" PRIx32 "-%04" PRIx32 "-%04" PRIx32 "-%04" PRIx32 "-%012" PRIx64,
             (uint32_t)(a >> 32), (uint32_t)((a >> 16) & 0xFFFF), (uint32_t)(a & 0xFFFF),
             (uint32_t)(b >> 48), b & UINT64_C(0xFFFFFFFFFFFF));
}

void c7w_set_id(c7world *w, char out[C7_ID_LEN], const char *given)
{
    if (given)
        snprintf(out, C7_ID_LEN, "%s", given);
    else
        c7w_guid(w, out);
}

char *c7w_dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

void c7w_set_str(char **dst, const char *s)
{
    free(*dst);
    *dst = c7w_dup_or_null(s);
}

void c7w_fail(c7result *r, int status, const char *fmt, ...)
{
    r->status = status;
    r->body = NULL;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->error, sizeof r->error, fmt, ap);
    va_end(ap);
}

void c7w_reply(c7result *r, cJSON *v)
{
    r->status = 200;
    r->body = json_print(v);
    r->error[0] = '\0';
    cJSON_Delete(v);
}

void c7w_journal(c7world *w, const char *kind, cJSON *fields)
{
    journal_add(w->jr, kind, fields);
}

/* ---- the timetable and the world's thread ---------------------------------- */

void c7w_schedule(c7world *w, c7ev_kind kind, int64_t due, long ref, int arg)
{
    evheap_ev ev = {.due_ms = due, .kind = kind, .ref = ref, .arg = arg};
    evheap_push(&w->sched, ev);
    pthread_cond_signal(&w->cv);
}

static void fire(c7world *w, const evheap_ev *ev)
{
    switch (ev->kind) {
    case C7EV_PURCHASE_STEP:
        c7purchase_step(w, ev->ref, ev->arg);
        break;
    case C7EV_SALE_STEP:
        if ((size_t)ev->ref < w->n_sales)
            c7sale_step(w, ev->ref, ev->arg);
        break;
    case C7EV_FLUSH_STOCK:
        w->flush_pending = 0;
        c7hooks_flush_stock(w);
        break;
    }
}

static void *world_main(void *arg)
{
    c7world *w = arg;
    pthread_mutex_lock(&w->lock);
    while (!w->stopping) {
        const evheap_ev *top = evheap_peek(&w->sched);
        if (!top) {
            pthread_cond_wait(&w->cv, &w->lock);
            continue;
        }
        int64_t now = c7w_now(w);
        if (top->due_ms > now) {
            struct timespec ts;
            clock_deadline(w->clk, top->due_ms - now, &ts);
            pthread_cond_timedwait(&w->cv, &w->lock, &ts);
            continue;
        }
        evheap_ev ev = evheap_pop(&w->sched);
        fire(w, &ev);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

/* ---- building the world from a config or a seed ------------------------------ */

static long add_location(c7world *w, const char *name, const char *id)
{
    XGROW(w->locs, w->n_locs, w->cap_locs, 16);
    long l = (long)w->n_locs++;
    c7loc *loc = &w->locs[l];
    loc->name = xstrdup(name);
    c7w_set_id(w, loc->id, id);
    strmap_put(w->loc_by_name, loc->name, l);
    strmap_put(w->loc_by_id, loc->id, l);
    for (size_t p = 0; p < w->n_prods; p++) {
        w->prods[p].cells = xrealloc(w->prods[p].cells, w->n_locs * sizeof(c7cell));
        memset(&w->prods[p].cells[l], 0, sizeof(c7cell));
    }
    return l;
}

long c7w_location(const c7world *w, const char *s)
{
    long l = strmap_get(w->loc_by_name, s);
    return l >= 0 ? l : strmap_get(w->loc_by_id, s);
}

long c7w_product(const c7world *w, const char *sku, const char *id)
{
    return id ? strmap_get(w->prod_by_id, id) : strmap_get(w->prod_by_sku, sku);
}

const c7tax *c7w_tax(const c7world *w, const char *name)
{
    for (size_t i = 0; name && i < w->n_taxes; i++)
        if (strcasecmp(w->taxes[i].name, name) == 0)
            return &w->taxes[i];
    return NULL;
}

/* Takes a document's own id, if it gives one, for the seed being checked:
 * fails when the world (taken) or an earlier document of the seed (ids)
 * holds it already. */
static int claim_id(strmap *ids, const char *id, int taken, const char *path, json_err *e)
{
    if (!id)
        return 0;
    if (taken || strmap_get(ids, id) >= 0)
        return json_fail(e, path, "id %s is already in use", id);
    strmap_put(ids, id, 0);
    return 0;
}

/* Checks a document's references against the world and the document itself
 * before anything is added, so a seed is all or nothing. */
static int check_world_doc(c7world *w, const c7cfg *c, json_err *e)
{
    int rc = -1;
    char p[256];
    strmap *locs = strmap_new(1), *sups = strmap_new(1), *skus = strmap_new(1), *ids = strmap_new(1);
    strmap *custs = strmap_new(1);
    for (size_t i = 0; i < c->n_apps; i++)
        for (size_t j = 0; j < w->n_apps; j++)
            if (strcmp(w->apps[j]->key, c->apps[i].key) == 0) {
                snprintf(p, sizeof p, "$.applications[%zu].key", i);
                json_fail(e, p, "application key already exists");
                goto out;
            }
    for (size_t i = 0; i < c->n_locations; i++) {
        const c7cfg_location *l = &c->locations[i];
        snprintf(p, sizeof p, "$.locations[%zu]", i);
        if (c7w_location(w, l->name) >= 0) {
            json_fail(e, p, "location \"%s\" already exists", l->name);
            goto out;
        }
        if (claim_id(ids, l->id, l->id && c7w_location(w, l->id) >= 0, p, e))
            goto out;
        strmap_put(locs, l->name, (long)i);
    }
    for (size_t i = 0; i < c->n_suppliers; i++) {
        const c7cfg_supplier *s = &c->suppliers[i];
        snprintf(p, sizeof p, "$.suppliers[%zu]", i);
        if (strmap_get(w->sup_by_name, s->name) >= 0) {
            json_fail(e, p, "supplier \"%s\" already exists", s->name);
            goto out;
        }
        if (claim_id(ids, s->id, s->id && strmap_get(w->sup_by_id, s->id) >= 0, p, e))
            goto out;
        for (size_t k = 0; k < s->n_locations; k++)
            if (c7w_location(w, s->locations[k]) < 0 && strmap_get(locs, s->locations[k]) < 0) {
                snprintf(p, sizeof p, "$.suppliers[%zu].locations[%zu]", i, k);
                json_fail(e, p, "unknown location \"%s\"", s->locations[k]);
                goto out;
            }
        strmap_put(sups, s->name, (long)i);
    }
    for (size_t i = 0; i < c->n_products; i++) {
        const c7cfg_product *pr = &c->products[i];
        snprintf(p, sizeof p, "$.products[%zu]", i);
        if (strmap_get(w->prod_by_sku, pr->sku) >= 0 || strmap_get(skus, pr->sku) >= 0) {
            json_fail(e, p, "SKU \"%s\" already exists", pr->sku);
            goto out;
        }
        if (claim_id(ids, pr->id, pr->id && strmap_get(w->prod_by_id, pr->id) >= 0, p, e))
            goto out;
        if (pr->supplier && strmap_get(w->sup_by_name, pr->supplier) < 0 &&
            strmap_get(sups, pr->supplier) < 0) {
            snprintf(p, sizeof p, "$.products[%zu].supplier", i);
            json_fail(e, p, "unknown supplier \"%s\"", pr->supplier);
            goto out;
        }
        strmap_put(skus, pr->sku, (long)i);
    }
    /* Components: products of the world or of this config, themselves
     * made of nothing (the mock models one level of assembly). */
    for (size_t i = 0; i < c->n_products; i++)
        for (size_t k = 0; k < c->products[i].n_bom; k++) {
            const char *sku = c->products[i].bom[k].sku;
            long wp = strmap_get(w->prod_by_sku, sku), cp = strmap_get(skus, sku);
            snprintf(p, sizeof p, "$.products[%zu].bom[%zu].sku", i, k);
            if (wp < 0 && cp < 0) {
                json_fail(e, p, "unknown SKU \"%s\"", sku);
                goto out;
            }
            if ((wp >= 0 && w->prods[wp].n_bom) || (cp >= 0 && c->products[cp].n_bom)) {
                json_fail(e, p, "\"%s\" is assembled from components itself: the mock models "
                                "one level of assembly", sku);
                goto out;
            }
        }
    if (w->n_locs + c->n_locations == 0 && c->n_stock > 0) {
        json_fail(e, "$.stock", "there is no location to hold stock");
        goto out;
    }
    for (size_t i = 0; i < c->n_stock; i++) {
        const c7cfg_stock *s = &c->stock[i];
        if (strmap_get(w->prod_by_sku, s->sku) < 0 && strmap_get(skus, s->sku) < 0) {
            snprintf(p, sizeof p, "$.stock[%zu].sku", i);
            json_fail(e, p, "unknown SKU \"%s\"", s->sku);
            goto out;
        }
        if (c7w_location(w, s->location) < 0 && strmap_get(locs, s->location) < 0) {
            snprintf(p, sizeof p, "$.stock[%zu].location", i);
            json_fail(e, p, "unknown location \"%s\"", s->location);
            goto out;
        }
    }
    for (size_t i = 0; i < c->n_customers; i++) {
        const c7cfg_customer *cu = &c->customers[i];
        snprintf(p, sizeof p, "$.customers[%zu]", i);
        if (strmap_get(w->cust_by_name, cu->name) >= 0 || strmap_get(custs, cu->name) >= 0) {
            json_fail(e, p, "customer \"%s\" already exists", cu->name);
            goto out;
        }
        if (claim_id(ids, cu->id, cu->id && strmap_get(w->cust_by_id, cu->id) >= 0, p, e))
            goto out;
        strmap_put(custs, cu->name, (long)i);
    }
    for (size_t i = 0; i < c->n_subs; i++) {
        const c7cfg_sub *s = &c->subs[i];
        snprintf(p, sizeof p, "$.subscriptions[%zu]", i);
        if (claim_id(ids, s->id, s->id && strmap_get(w->sub_by_id, s->id) >= 0, p, e))
            goto out;
        int64_t same = c7hooks_of_type(w, s->type, -1);
        for (size_t k = 0; k < i; k++)
            same += strcmp(c->subs[k].type, s->type) == 0;
        if (same >= w->cfg->hooks_per_type) {
            json_fail(e, p, "there is a limit of %lld webhooks of the same type",
                      (long long)w->cfg->hooks_per_type);
            goto out;
        }
        if (strcmp(s->auth, "basicauth") == 0 && (!s->username || !s->password)) {
            json_fail(e, p, "basicauth needs username and password");
            goto out;
        }
        if (strcmp(s->auth, "bearerauth") == 0 && !s->token) {
            json_fail(e, p, "bearerauth needs token");
            goto out;
        }
    }
    rc = 0;
out:
    strmap_free(locs);
    strmap_free(sups);
    strmap_free(skus);
    strmap_free(ids);
    strmap_free(custs);
    return rc;
}

static void add_world_doc(c7world *w, const c7cfg *c)
{
    int64_t now = c7w_now(w);
    for (size_t i = 0; i < c->n_apps; i++) {
        c7app *a = xcalloc(1, sizeof *a);
        a->name = xstrdup(c->apps[i].name);
        a->key = xstrdup(c->apps[i].key);
        a->cpm = c->apps[i].calls_per_minute;
        w->apps = xrealloc(w->apps, (w->n_apps + 1) * sizeof *w->apps);
        w->apps[w->n_apps++] = a;
    }
    for (size_t i = 0; i < c->n_locations; i++)
        add_location(w, c->locations[i].name, c->locations[i].id);
    for (size_t i = 0; i < c->n_suppliers; i++) {
        const c7cfg_supplier *cs = &c->suppliers[i];
        XGROW(w->sups, w->n_sups, w->cap_sups, 16);
        long si = (long)w->n_sups++;
        c7sup *s = &w->sups[si];
        memset(s, 0, sizeof *s);
        c7w_set_id(w, s->id, cs->id);
        s->name = xstrdup(cs->name);
        s->currency = xstrdup(cs->currency);
        s->payment_term = xstrdup(cs->payment_term);
        s->lead_ms = cs->lead_ms;
        s->moq = cs->minimum_order;
        s->modified_ms = now;
        s->locs = xcalloc(cs->n_locations ? cs->n_locations : 1, sizeof *s->locs);
        for (size_t k = 0; k < cs->n_locations; k++)
            s->locs[s->n_locs++] = c7w_location(w, cs->locations[k]);
        strmap_put(w->sup_by_name, s->name, si);
        strmap_put(w->sup_by_id, s->id, si);
    }
    for (size_t i = 0; i < c->n_products; i++) {
        const c7cfg_product *cp = &c->products[i];
        XGROW(w->prods, w->n_prods, w->cap_prods, 16);
        long pi = (long)w->n_prods++;
        c7prod *p = &w->prods[pi];
        memset(p, 0, sizeof *p);
        c7w_set_id(w, p->id, cp->id);
        p->sku = xstrdup(cp->sku);
        p->name = xstrdup(cp->name);
        p->status = xstrdup(cp->status);
        p->supplier = cp->supplier ? strmap_get(w->sup_by_name, cp->supplier) : -1;
        /* Cin7 keeps money to 4 decimal places. */
        p->cost = (qty4)llround(cp->cost * (double)QTY4_ONE);
        p->supplier_cost = p->cost;
        p->tiers[0] = (qty4)llround(cp->price * (double)QTY4_ONE);
        p->barcode = c7w_dup_or_null(cp->barcode);
        p->weight = (qty4)llround(cp->weight * (double)QTY4_ONE);
        p->weight_units = xstrdup(cp->weight_units ? cp->weight_units : "kg");
        p->min_before_reorder = cp->minimum_before_reorder;
        p->reorder_qty = cp->reorder_quantity;
        p->modified_ms = now;
        p->cells = xcalloc(w->n_locs ? w->n_locs : 1, sizeof(c7cell));
        strmap_put(w->prod_by_sku, p->sku, pi);
        strmap_put(w->prod_by_id, p->id, pi);
    }
    /* Bills of materials once every product of the config exists. */
    for (size_t i = 0; i < c->n_products; i++) {
        const c7cfg_product *cp = &c->products[i];
        if (!cp->n_bom)
            continue;
        c7prod *p = &w->prods[strmap_get(w->prod_by_sku, cp->sku)];
        p->bom = xcalloc(cp->n_bom, sizeof *p->bom);
        p->bom_qty = xcalloc(cp->n_bom, sizeof *p->bom_qty);
        for (size_t k = 0; k < cp->n_bom; k++) {
            p->bom[k] = strmap_get(w->prod_by_sku, cp->bom[k].sku);
            p->bom_qty[k] = cp->bom[k].qty;
        }
        p->n_bom = cp->n_bom;
        p->auto_assembly = cp->auto_assembly;
    }
    for (size_t i = 0; i < c->n_customers; i++) {
        XGROW(w->custs, w->n_custs, w->cap_custs, 16);
        long ci = (long)w->n_custs++;
        c7cust *cu = &w->custs[ci];
        c7w_set_id(w, cu->id, c->customers[i].id);
        cu->name = xstrdup(c->customers[i].name);
        cu->modified_ms = now;
        strmap_put(w->cust_by_name, cu->name, ci);
        strmap_put(w->cust_by_id, cu->id, ci);
    }
    for (size_t i = 0; i < c->n_stock; i++) {
        const c7cfg_stock *cs = &c->stock[i];
        long p = strmap_get(w->prod_by_sku, cs->sku), l = c7w_location(w, cs->location);
        c7cell *cell = &w->prods[p].cells[l];
        c7before before = c7stock_before(cell);
        /* The index first: making the lot may move the array. */
        size_t k = c7stock_lot(w, cell, cs->bin, cs->batch, cs->expiry_ms);
        c7lot *lot = &cell->lots[k];
        cell->initial += cs->on_hand - lot->on_hand;
        lot->on_hand = cs->on_hand;
        if (cs->has_in_transit)
            cell->in_transit = cs->in_transit;
        c7stock_note(w, p, l, &before, "seed", NULL);
    }
    for (size_t i = 0; i < c->n_subs; i++) {
        const c7cfg_sub *cs = &c->subs[i];
        c7hook_in in = {
            .id = cs->id, .type = cs->type, .url = cs->url, .auth = cs->auth,
            .username = cs->username, .password = cs->password, .token = cs->token,
            .header_keys = (const char *const *)cs->header_keys,
            .header_values = (const char *const *)cs->header_values,
            .n_headers = cs->n_headers, .active = cs->active, .client = "seed",
        };
        c7hooks_add(w, &in);
    }
    journal_addf(w->jr, "seed",
                 "\"applications\":%zu,\"locations\":%zu,\"suppliers\":%zu,\"products\":%zu,"
                 "\"stock\":%zu,\"subscriptions\":%zu,\"customers\":%zu",
                 c->n_apps, c->n_locations, c->n_suppliers, c->n_products, c->n_stock, c->n_subs,
                 c->n_customers);
}

/* The world's lookups by name and id, made, emptied and freed together. */
enum { N_INDEXES = 11 };

static void world_indexes(c7world *w, strmap **out[N_INDEXES])
{
    strmap **all[N_INDEXES] = {
        &w->loc_by_name, &w->loc_by_id, &w->sup_by_name, &w->sup_by_id,  &w->prod_by_sku,
        &w->prod_by_id,  &w->sale_by_id, &w->pur_by_id, &w->sub_by_id, &w->cust_by_name,
        &w->cust_by_id,
    };
    memcpy(out, all, sizeof all);
}

static c7cfg *copy_settings(const c7cfg *c)
{
    c7cfg *s = xmalloc(sizeof *s);
    *s = *c; /* numbers */
    s->account = xstrdup(c->account);
    s->apps = NULL;
    s->n_apps = 0;
    s->locations = NULL;
    s->n_locations = 0;
    s->suppliers = NULL;
    s->n_suppliers = 0;
    s->products = NULL;
    s->n_products = 0;
    s->stock = NULL;
    s->n_stock = 0;
    s->subs = NULL;
    s->n_subs = 0;
    s->customers = NULL;
    s->n_customers = 0;
    s->taxes = NULL; /* the world keeps its own, with their GUIDs */
    s->n_taxes = 0;
    return s;
}

/* The account's tax rules, from the settings. */
static void add_taxes(c7world *w, const c7cfg *c)
{
    w->taxes = xcalloc(c->n_taxes + 1, sizeof *w->taxes);
    for (size_t i = 0; i < c->n_taxes; i++) {
        const c7cfg_tax *t = &c->taxes[i];
        c7tax *x = &w->taxes[w->n_taxes++];
        c7w_set_id(w, x->id, t->id);
        x->name = xstrdup(t->name);
        x->percent = t->percent;
        x->for_sale = t->for_sale;
        x->for_purchase = t->for_purchase;
        x->active = t->active;
    }
}

c7world *c7world_new(mockd *m, const c7cfg *cfg, json_err *e)
{
    c7world *w = xcalloc(1, sizeof *w);
    w->m = m;
    w->clk = mockd_clock(m);
    w->jr = mockd_journal(m);
    w->ctr = mockd_counters(m);
    w->cfg = copy_settings(cfg);
    pthread_mutex_init(&w->lock, NULL);
    clock_cond_init(&w->cv);
    rng_derive(&w->ids, mockd_seed(m), 0x1d5);
    strmap **idx[N_INDEXES];
    world_indexes(w, idx);
    for (size_t i = 0; i < N_INDEXES; i++)
        *idx[i] = strmap_new(1);
    w->next_sub_num = 1;
    c7w_guid(w, w->tenant);
    add_taxes(w, cfg);
    if (check_world_doc(w, cfg, e) != 0) {
        c7world_free(w);
        return NULL;
    }
    c7hooks_start(w);
    pthread_mutex_lock(&w->lock);
    add_world_doc(w, cfg);
    pthread_mutex_unlock(&w->lock);
    if (pthread_create(&w->thread, NULL, world_main, w) != 0) {
        fprintf(stderr, "fatal: cannot start the world's thread\n");
        abort();
    }
    w->started = 1;
    return w;
}

/* Empties the documents (not the account, its applications or settings). */
static void clear_world(c7world *w)
{
    for (size_t i = 0; i < w->n_sups; i++) {
        c7sup *s = &w->sups[i];
        free(s->name);
        free(s->currency);
        free(s->payment_term);
        free(s->locs);
    }
    w->n_sups = 0;
    for (size_t i = 0; i < w->n_prods; i++) {
        c7prod *p = &w->prods[i];
        free(p->sku);
        free(p->name);
        free(p->status);
        free(p->barcode);
        free(p->weight_units);
        for (size_t l = 0; l < w->n_locs; l++)
            c7stock_free_cell(&p->cells[l]);
        free(p->cells);
        free(p->bom);
        free(p->bom_qty);
    }
    w->n_prods = 0;
    for (size_t i = 0; i < w->n_custs; i++)
        free(w->custs[i].name);
    w->n_custs = 0;
    for (size_t i = 0; i < w->n_sales; i++)
        c7sale_free(&w->sales[i]);
    w->n_sales = 0;
    w->n_backordered = 0;
    for (size_t i = 0; i < w->n_purs; i++)
        c7purchase_free(&w->purs[i]);
    w->n_purs = 0;
    for (size_t i = 0; i < w->n_subs; i++)
        c7hooks_free_sub(&w->subs[i]);
    w->n_subs = 0;
    for (size_t i = 0; i < w->n_chs; i++)
        free(w->chs[i].channel);
    w->n_chs = 0;
    for (size_t i = 0; i < w->n_locs; i++)
        free(w->locs[i].name);
    w->n_locs = 0;
    strmap **idx[N_INDEXES];
    world_indexes(w, idx);
    for (size_t i = 0; i < N_INDEXES; i++)
        strmap_clear(*idx[i]);
    evheap_clear(&w->sched);
    w->flush_pending = 0;
}

void c7world_free(c7world *w)
{
    if (!w)
        return;
    if (w->started) {
        pthread_mutex_lock(&w->lock);
        w->stopping = 1;
        pthread_cond_broadcast(&w->cv);
        pthread_mutex_unlock(&w->lock);
        pthread_join(w->thread, NULL);
    }
    /* The senders may be waiting for the lock in their callback; they must
     * finish before the world goes. */
    c7hooks_stop(w);
    clear_world(w);
    for (size_t i = 0; i < w->n_apps; i++) {
        free(w->apps[i]->name);
        free(w->apps[i]->key);
        window_free(w->apps[i]->lim);
        free(w->apps[i]);
    }
    free(w->apps);
    for (size_t i = 0; i < w->n_taxes; i++)
        free(w->taxes[i].name);
    free(w->taxes);
    free(w->custs);
    free(w->locs);
    free(w->sups);
    free(w->prods);
    free(w->sales);
    free(w->backordered);
    free(w->purs);
    free(w->subs);
    free(w->chs);
    strmap **idx[N_INDEXES];
    world_indexes(w, idx);
    for (size_t i = 0; i < N_INDEXES; i++)
        strmap_free(*idx[i]);
    evheap_free(&w->sched);
    c7config_free(w->cfg);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cv);
    free(w);
}

void c7world_reset(c7world *w)
{
    pthread_mutex_lock(&w->lock);
    deliverer_cancel(w->dl, -1);
    clear_world(w);
    for (size_t i = 0; i < w->n_apps; i++) {
        window_free(w->apps[i]->lim); /* a fresh minute for everyone */
        w->apps[i]->lim = NULL;
    }
    rng_derive(&w->ids, mockd_seed(w->m), 0x1d5);
    pthread_mutex_unlock(&w->lock);
}

int c7world_seed(c7world *w, const c7cfg *seed, json_err *e)
{
    pthread_mutex_lock(&w->lock);
    int rc = check_world_doc(w, seed, e);
    if (rc == 0)
        add_world_doc(w, seed);
    pthread_mutex_unlock(&w->lock);
    return rc;
}

long c7world_pending(c7world *w)
{
    /* What will reach a subscriber soon: deliveries, and a stock-change
     * window still open. Scheduled physics (receipts days away, shipping)
     * is not "pending" for a harness waiting for the engine to go quiet. */
    pthread_mutex_lock(&w->lock);
    long n = w->flush_pending ? 1 : 0;
    pthread_mutex_unlock(&w->lock);
    return n + (long)deliverer_pending(w->dl);
}

void c7world_stats(c7world *w, cJSON *out)
{
    pthread_mutex_lock(&w->lock);
    cJSON *o = cJSON_AddObjectToObject(out, "world");
    cJSON_AddNumberToObject(o, "products", (double)w->n_prods);
    cJSON_AddNumberToObject(o, "locations", (double)w->n_locs);
    cJSON_AddNumberToObject(o, "sales", (double)w->n_sales);
    cJSON_AddNumberToObject(o, "sales_backordered", (double)w->n_backordered);
    cJSON_AddNumberToObject(o, "purchases", (double)w->n_purs);
    cJSON_AddNumberToObject(o, "channel_sales", (double)w->n_chs);
    size_t active = 0;
    for (size_t i = 0; i < w->n_subs; i++)
        active += w->subs[i].active && !w->subs[i].deleted;
    cJSON_AddNumberToObject(o, "subscriptions_active", (double)active);
    cJSON_AddNumberToObject(o, "scheduled_events", (double)w->sched.n);
    cJSON *apps = cJSON_AddObjectToObject(o, "calls_in_window");
    int64_t now = c7w_now(w);
    for (size_t i = 0; i < w->n_apps; i++)
        cJSON_AddNumberToObject(apps, w->apps[i]->name,
                                w->apps[i]->lim ? window_used(w->apps[i]->lim, now) : 0);
    pthread_mutex_unlock(&w->lock);
    cJSON_AddNumberToObject(o, "deliveries_pending", (double)deliverer_pending(w->dl));
}

cJSON *c7world_state(c7world *w)
{
    pthread_mutex_lock(&w->lock);
    cJSON *v = c7render_state(w);
    pthread_mutex_unlock(&w->lock);
    return v;
}

/* ---- admission ---------------------------------------------------------------- */

int c7world_admit(c7world *w, const char *account, const char *key, int throttle, char *client,
                  size_t client_len, char *msg, size_t msg_len)
{
    pthread_mutex_lock(&w->lock);
    c7app *a = NULL;
    if (account && key && strcmp(account, w->cfg->account) == 0)
        for (size_t i = 0; i < w->n_apps && !a; i++)
            if (strcmp(w->apps[i]->key, key) == 0)
                a = w->apps[i];
    if (!a) {
        pthread_mutex_unlock(&w->lock);
        snprintf(msg, msg_len, "%s",
                 !account || !key
                     ? "Authentication failed: the api-auth-accountid and api-auth-applicationkey headers are required"
                     : "Authentication failed: incorrect api-auth-accountid or api-auth-applicationkey");
        return 403;
    }
    snprintf(client, client_len, "%s", a->name);
    int64_t limit = a->cpm ? a->cpm : w->cfg->calls_per_minute;
    if (throttle >= 0 && (limit == C7_UNLIMITED || throttle < limit))
        limit = throttle;
    int status = 0;
    if (limit != C7_UNLIMITED) {
        if (!a->lim) {
            a->lim = window_new((int)limit, w->cfg->window_ms);
            a->lim_limit = (int)limit;
        } else if (a->lim_limit != (int)limit) {
            window_set_limit(a->lim, (int)limit);
            a->lim_limit = (int)limit;
        }
        if (!window_take(a->lim, c7w_now(w), NULL)) {
            status = w->cfg->over_limit_status;
            snprintf(msg, msg_len, "You reached %lld calls per minute API limit", (long long)limit);
            counters_addf(w->ctr, 1, "rate_limited %s", a->name);
        }
    }
    pthread_mutex_unlock(&w->lock);
    return status;
}

void c7world_me(c7world *w, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "Company", w->cfg->account);
    cJSON_AddStringToObject(o, "Currency", "USD");
    cJSON_AddStringToObject(o, "DefaultWeightUnits", "g");
    cJSON_AddStringToObject(o, "DefaultDimensionsUnits", "cm");
    cJSON_AddNullToObject(o, "LockDate");
    /* The mock keeps quantities to Cin7's 4 decimal places. */
    cJSON_AddStringToObject(o, "MaximumDecimalPlacesInQuantity", "N4");
    c7w_reply(out, o);
    pthread_mutex_unlock(&w->lock);
}

/* ---- lists and lines shared by the documents --------------------------------------- */

int c7w_contains(const char *hay, const char *needle)
{
    return hay && strcasestr(hay, needle) != NULL;
}

cJSON *c7w_list_start(cJSON **root, const char *name, const c7query *q)
{
    *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(*root, "Total", 0);
    cJSON_AddNumberToObject(*root, "Page", (double)q->page);
    return cJSON_AddArrayToObject(*root, name);
}

int c7w_on_page(const c7query *q, int64_t *total)
{
    int64_t i = (*total)++;
    return i >= (q->page - 1) * q->limit && i < q->page * q->limit;
}

void c7w_list_end(cJSON *root, int64_t total, c7result *out)
{
    cJSON_SetNumberValue(cJSON_GetObjectItemCaseSensitive(root, "Total"), (double)total);
    c7w_reply(out, root);
}

int c7w_resolve_lines(const c7world *w, const c7order_in *o, int sale, long **prods, c7result *r)
{
    *prods = xcalloc(o->n_lines + 1, sizeof **prods);
    for (size_t i = 0; i < o->n_lines; i++) {
        const c7line_in *ln = &o->lines[i];
        long p = c7w_product(w, ln->sku, ln->product_id);
        if (p < 0) {
            if (ln->product_id)
                c7w_fail(r, 400, "%s.ProductID: product %s not found", ln->path, ln->product_id);
            else
                c7w_fail(r, 400, "%s.SKU: product with SKU '%s' not found", ln->path, ln->sku);
            goto fail;
        }
        if (ln->product_id && ln->sku && strcasecmp(w->prods[p].sku, ln->sku) != 0) {
            c7w_fail(r, 400, "%s.SKU: '%s' is not the SKU of product %s", ln->path, ln->sku,
                     ln->product_id);
            goto fail;
        }
        const c7tax *t = c7w_tax(w, ln->tax_rule);
        if (!t || !t->active) {
            c7w_fail(r, 400, "%s.TaxRule: tax rule '%s' not found (GET ref/tax lists them)",
                     ln->path, ln->tax_rule);
            goto fail;
        }
        if (sale ? !t->for_sale : !t->for_purchase) {
            c7w_fail(r, 400, "%s.TaxRule: tax rule '%s' is not for %s", ln->path, t->name,
                     sale ? "sales" : "purchases");
            goto fail;
        }
        (*prods)[i] = p;
    }
    return 0;
fail:
    free(*prods);
    *prods = NULL;
    return -1;
}

void c7w_set_section(const c7world *w, c7section *sec, const c7order_in *o, const long *prods)
{
    c7section_free(sec);
    sec->lines = xcalloc(o->n_lines + 1, sizeof *sec->lines);
    sec->n = o->n_lines;
    sec->memo = xstrdup(o->memo);
    for (size_t i = 0; i < o->n_lines; i++) {
        const c7line_in *in = &o->lines[i];
        c7line *ln = &sec->lines[i];
        ln->product = prods[i];
        ln->name = xstrdup(in->name);
        ln->tax_rule = xstrdup(c7w_tax(w, in->tax_rule)->name);
        ln->comment = c7w_dup_or_null(in->comment);
        ln->qty = in->quantity;
        ln->price = in->price;
        ln->discount = in->discount;
        ln->tax = in->tax;
        ln->total = in->total;
    }
}

/* ---- catalog queries --------------------------------------------------------------- */

void c7world_products(c7world *w, const c7query *q, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    cJSON *root, *arr = c7w_list_start(&root, "Products", q);
    int64_t total = 0;
    for (size_t i = 0; i < w->n_prods; i++) {
        const c7prod *p = &w->prods[i];
        if (q->id && strcasecmp(q->id, p->id) != 0)
            continue;
        if (q->sku && !c7w_contains(p->sku, q->sku))
            continue;
        if (q->name && !c7w_contains(p->name, q->name))
            continue;
        if (!q->include_deprecated && strcmp(p->status, "Deprecated") == 0)
            continue;
        if (q->updated_since_ms != INT64_MIN &&
            clock_epoch_ms(w->clk, p->modified_ms) < q->updated_since_ms)
            continue;
        if (c7w_on_page(q, &total))
            cJSON_AddItemToArray(arr, c7render_product(w, (long)i, q->include_suppliers,
                                                       q->include_reorder_levels,
                                                       q->include_bom));
    }
    c7w_list_end(root, total, out);
    pthread_mutex_unlock(&w->lock);
}

void c7world_suppliers(c7world *w, const c7query *q, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    cJSON *root, *arr = c7w_list_start(&root, "SupplierList", q);
    int64_t total = 0;
    for (size_t i = 0; i < w->n_sups; i++) {
        const c7sup *s = &w->sups[i];
        if (q->id && strcasecmp(q->id, s->id) != 0)
            continue;
        if (q->name && !c7w_contains(s->name, q->name))
            continue;
        if (q->updated_since_ms != INT64_MIN &&
            clock_epoch_ms(w->clk, s->modified_ms) < q->updated_since_ms)
            continue;
        if (c7w_on_page(q, &total))
            cJSON_AddItemToArray(arr, c7render_supplier(w, (long)i));
    }
    c7w_list_end(root, total, out);
    pthread_mutex_unlock(&w->lock);
}

void c7world_locations(c7world *w, const c7query *q, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    cJSON *root, *arr = c7w_list_start(&root, "LocationList", q);
    int64_t total = 0;
    for (size_t i = 0; i < w->n_locs; i++) {
        if (q->id && strcasecmp(q->id, w->locs[i].id) != 0)
            continue;
        if (q->name && !c7w_contains(w->locs[i].name, q->name))
            continue;
        if (c7w_on_page(q, &total))
            cJSON_AddItemToArray(arr, c7render_location(w, (long)i, i == 0));
    }
    c7w_list_end(root, total, out);
    pthread_mutex_unlock(&w->lock);
}

void c7world_customers(c7world *w, const c7query *q, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    cJSON *root, *arr = c7w_list_start(&root, "CustomerList", q);
    int64_t total = 0;
    for (size_t i = 0; i < w->n_custs; i++) {
        if (q->id && strcasecmp(q->id, w->custs[i].id) != 0)
            continue;
        if (q->name && !c7w_contains(w->custs[i].name, q->name))
            continue;
        if (q->updated_since_ms != INT64_MIN &&
            clock_epoch_ms(w->clk, w->custs[i].modified_ms) < q->updated_since_ms)
            continue;
        if (c7w_on_page(q, &total))
            cJSON_AddItemToArray(arr, c7render_customer(w, (long)i));
    }
    c7w_list_end(root, total, out);
    pthread_mutex_unlock(&w->lock);
}

void c7world_taxes(c7world *w, const c7query *q, c7result *out)
{
    pthread_mutex_lock(&w->lock);
    cJSON *root, *arr = c7w_list_start(&root, "TaxRuleList", q);
    int64_t total = 0;
    for (size_t i = 0; i < w->n_taxes; i++) {
        if (q->id && strcasecmp(q->id, w->taxes[i].id) != 0)
            continue;
        if (q->name && !c7w_contains(w->taxes[i].name, q->name))
            continue;
        if (c7w_on_page(q, &total))
            cJSON_AddItemToArray(arr, c7render_tax(&w->taxes[i]));
    }
    c7w_list_end(root, total, out);
    pthread_mutex_unlock(&w->lock);
}
