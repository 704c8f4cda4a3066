/* syncd's start; see boot.h. */
#include "boot.h"

#include "handlers.h"
#include "log.h"
#include "roles.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The store's keys for what a start may go on (store_kv). */
#define CATALOG_KEY "boot:catalog"
#define HOOKS_KEY "boot:hooks"

/* Waits between tries: 1 s doubling up to 30 s. */
static void backoff(syncd *sd, int64_t *wait)
{
    syncd_nap(sd, &sd->work_lock, &sd->work_cv, *wait);
    *wait = *wait < 30000 ? *wait * 2 : 30000;
}

/* ---- webhook subscriptions ------------------------------------------------ */

/* Whether a shop's webhook list has topic delivered to address. */
static int shop_has_hook(const cJSON *list, const char *topic, const char *address)
{
    const cJSON *w;
    cJSON_ArrayForEach(w, list)
    {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(w, "topic");
        const cJSON *addr = cJSON_GetObjectItemCaseSensitive(w, "address");
        if (cJSON_IsString(t) && cJSON_IsString(addr) && shopify_topic_is(t->valuestring, topic) &&
            strcmp(addr->valuestring, address) == 0)
            return 1;
    }
    return 0;
}

/* Shop s's subscriptions to orders/paid and orders/cancelled at url, and
 * to products/update on the first shop when product fields are owned
 * (ownsync.h), made when missing. Returns 0, or -1 to try again later. */
static int shop_hooks(syncd *sd, size_t s, const char *url)
{
    static const char *const topics[] = {"orders/paid", "orders/cancelled", "products/update"};
    size_t n_topics = sd->cfg.ownership && s == 0 ? 3 : 2;
    const char *domain = sd->cfg.shops[s].domain;
    cJSON *list = NULL;
    outcome o;
    shopify_webhooks(sd->shops[s], &list, &o);
    int ok = o.action == POLICY_DONE;
    if (!ok)
        log_warn("shop %s: cannot list webhooks: %s", domain, o.error);
    outbound_done(&o);
    for (size_t t = 0; ok && t < n_topics; t++) {
        if (shop_has_hook(list, topics[t], url))
            continue;
        shopify_webhook_create(sd->shops[s], topics[t], url, &o);
        ok = o.action == POLICY_DONE;
        if (ok)
            log_info("shop %s: subscribed %s to %s", domain, topics[t], url);
        else
            log_warn("shop %s: cannot subscribe %s: %s", domain, topics[t], o.error);
        outbound_done(&o);
    }
    cJSON_Delete(list);
    return ok ? 0 : -1;
}

/* The Cin7 webhook types syncd needs, into types (room for 4): stock
 * changes; shipments and voids when sale states are sent back to Shopify;
 * backorders then or when backordered sales are moved. Returns how many. */
static size_t cin7_hook_types(const syncd_config *cfg, const char **types)
{
    size_t n = 0;
    types[n++] = "Stock/AvailableStockLevelChanged";
    if (cfg->fulfillments) {
        types[n++] = "Sale/ShipmentAuthorised";
        types[n++] = "Sale/Voided";
    }
    if (cfg->fulfillments || cfg->move_backorders)
        types[n++] = "Sale/Backordered";
    return n;
}

/* Whether Cin7's webhook list has an active type delivered to url. */
static int cin7_has_hook(const cJSON *list, const char *type, const char *url)
{
    const cJSON *w;
    cJSON_ArrayForEach(w, list)
    {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(w, "Type");
        const cJSON *u = cJSON_GetObjectItemCaseSensitive(w, "ExternalURL");
        const cJSON *active = cJSON_GetObjectItemCaseSensitive(w, "IsActive");
        if (cJSON_IsString(t) && cJSON_IsString(u) && strcmp(t->valuestring, type) == 0 &&
            strcmp(u->valuestring, url) == 0 && !cJSON_IsFalse(active))
            return 1;
    }
    return 0;
}

/* Cin7's subscriptions (cin7_hook_types), made when missing. Returns 0,
 * or -1 to try again later. */
static int cin7_hooks(syncd *sd)
{
    const char *types[4];
    size_t n = cin7_hook_types(&sd->cfg, types);
    cJSON *list = NULL;
    outcome o;
    cin7_webhooks(sd->c7, &list, &o);
    int ok = o.action == POLICY_DONE;
    if (!ok)
        log_warn("cin7: cannot list webhooks: %s", o.error);
    outbound_done(&o);
    for (size_t t = 0; ok && t < n; t++) {
        char *url = xasprintf("%s/webhooks/cin7?type=%s", sd->cfg.public_url, types[t]);
        if (!cin7_has_hook(list, types[t], url)) {
            cin7_webhook_create(sd->c7, types[t], url, sd->cfg.cin7_hook_auth,
                                sd->cfg.cin7_hook_secret, sd->cfg.cin7_hook_header, &o);
            ok = o.action == POLICY_DONE;
            if (ok)
                log_info("cin7: subscribed %s to %s", types[t], url);
            else
                log_warn("cin7: cannot subscribe %s: %s", types[t], o.error);
            outbound_done(&o);
        }
        free(url);
    }
    cJSON_Delete(list);
    return ok ? 0 : -1;
}

/* Every shop's subscriptions, then Cin7's. Returns 0, or -1 to try again
 * later. */
static int register_webhooks(syncd *sd)
{
    char *shop_url = xasprintf("%s/webhooks/shopify", sd->cfg.public_url);
    int ok = 1;
    for (size_t s = 0; s < sd->cfg.n_shops && ok; s++)
        ok = shop_hooks(sd, s, shop_url) == 0;
    free(shop_url);
    return ok ? cin7_hooks(sd) : -1;
}


/* What a successful registration covered: the address, the shops and
 * Cin7's types. A restart goes on the subscriptions an earlier start made
 * only when they cover the very same (malloc'd). */
static char *hooks_signature(const syncd *sd)
{
    const char *types[4];
    size_t n = cin7_hook_types(&sd->cfg, types);
    char *sig = xasprintf("%s%s", sd->cfg.public_url, sd->cfg.ownership ? " products" : "");
    for (size_t s = 0; s < sd->cfg.n_shops; s++) {
        char *next = xasprintf("%s shop:%s", sig, sd->cfg.shops[s].domain);
        free(sig);
        sig = next;
    }
    for (size_t t = 0; t < n; t++) {
        char *next = xasprintf("%s cin7:%s", sig, types[t]);
        free(sig);
        sig = next;
    }
    return sig;
}

/* Subscriptions made when missing, and remembered for later starts.
 * Returns 0, or -1 to try again later. */
static int register_hooks_kept(syncd *sd)
{
    if (register_webhooks(sd) != 0)
        return -1;
    char *sig = hooks_signature(sd);
    if (store_kv_set(sd->st, HOOKS_KEY, sig) != 0)
        metrics_inc(sd->m, "syncd_store_errors_total", 1);
    free(sig);
    return 0;
}

static int hooks_wanted(const syncd *sd)
{
    return sd->cfg.register_webhooks && strcmp(sd->cfg.mode, "event") == 0;
}

/* ---- catalog ---------------------------------------------------------------- */

/* Puts c in place; a catalog built from kept sources that c replaces is
 * kept until syncd_free (a worker may still be reading it). A process
 * replaces its catalog once at most: kept, then live. */
static void set_catalog(syncd *sd, catalog *c)
{
    catalog_log(c, &sd->cfg);
    pthread_mutex_lock(&sd->cat_lock);
    if (sd->cat)
        sd->cat_stored = sd->cat;
    sd->cat = c;
    pthread_mutex_unlock(&sd->cat_lock);
}

/* The catalog from the APIs, its sources kept for a later start. NULL
 * when an API did not answer (logged). */
static catalog *live_catalog(syncd *sd)
{
    outcome o;
    catalog *c = catalog_load(&sd->cfg, sd->c7, sd->shops, &o);
    if (!c) {
        log_warn("cannot load the catalogs (%s)", o.error);
        outbound_done(&o);
        return NULL;
    }
    if (store_kv_set(sd->st, CATALOG_KEY, catalog_sources(c)) != 0) {
        log_warn("store: cannot keep the catalog's sources for a later start");
        metrics_inc(sd->m, "syncd_store_errors_total", 1);
    }
    return c;
}

/* The catalog built from the sources an earlier start kept, or NULL. */
static catalog *kept_catalog(syncd *sd)
{
    char *text = store_kv_get(sd->st, CATALOG_KEY);
    if (!text)
        return NULL;
    char why[400];
    catalog *c = catalog_from_sources(&sd->cfg, text, why, sizeof why);
    if (!c)
        log_warn("the catalog kept by an earlier start cannot be used: %s", why);
    free(text);
    return c;
}

/* ---- the start -------------------------------------------------------------- */

/* A restart goes on what it kept at once and brings it up to date in the
 * background (go_live): every second spent before ready is a second in
 * which no shop's level moves, and the APIs may be the very reason syncd
 * was restarted. A first start has nothing kept and waits for the APIs. */

/* The catalog: the kept one, else live. Returns 1 live, 0 kept, -1 when
 * stopping first. */
static int start_catalog(syncd *sd)
{
    catalog *c = kept_catalog(sd);
    if (c) {
        set_catalog(sd, c);
        metrics_inc(sd->m, "syncd_boot_kept_total{what=\"catalog\"}", 1);
        return 0;
    }
    int64_t wait = 1000;
    while (!sd->stopping) {
        if ((c = live_catalog(sd))) {
            set_catalog(sd, c);
            return 1;
        }
        backoff(sd, &wait);
    }
    return -1;
}

/* The subscriptions: those an earlier start made for the same address,
 * shops and types, else made now, by the instance holding the "webhooks"
 * role (roles.h) only: with several instances behind one address, the
 * others leave them to it (*checked: the role's epoch they were checked
 * under). Returns 1 registered, 0 kept, 2 left to another instance, -1
 * when stopping first. */
static int start_hooks(syncd *sd, int64_t *checked)
{
    if (!hooks_wanted(sd))
        return 1;
    if (!roles_held(sd->roles, ROLE_WEBHOOKS, checked)) {
        log_info("webhook subscriptions: left to the instance holding claim \"webhooks\"");
        return 2;
    }
    char *sig = hooks_signature(sd), *kept = store_kv_get(sd->st, HOOKS_KEY);
    int same = kept && strcmp(kept, sig) == 0;
    free(kept);
    free(sig);
    if (same) {
        metrics_inc(sd->m, "syncd_boot_kept_total{what=\"webhooks\"}", 1);
        return 0;
    }
    int64_t wait = 1000;
    while (!sd->stopping) {
        if (!roles_held(sd->roles, ROLE_WEBHOOKS, NULL))
            return 2; /* lost meanwhile: its new holder registers */
        if (register_hooks_kept(sd) == 0)
            return 1;
        backoff(sd, &wait);
    }
    return -1;
}

/* From ready on: whenever this instance takes the "webhooks" role (its
 * holder stopped renewing it), it checks the subscriptions and makes the
 * missing ones; those at the same address are kept, so the ones the
 * previous holder made are not made twice. */
static void hooks_watch(syncd *sd, int64_t checked)
{
    if (!hooks_wanted(sd))
        return;
    int64_t wait = 1000;
    while (!sd->stopping) {
        int64_t epoch = 0;
        int held = roles_held(sd->roles, ROLE_WEBHOOKS, &epoch);
        if (held && epoch != checked) {
            if (register_hooks_kept(sd) == 0) {
                checked = epoch;
                wait = 1000;
                log_info("webhook subscriptions checked (claim \"webhooks\", epoch %lld)",
                         (long long)epoch);
            } else {
                backoff(sd, &wait);
                continue;
            }
        }
        roles_wait(sd->roles, ROLE_WEBHOOKS, held ? epoch : 0, sd->cfg.claim_ttl_ms);
    }
}

/* Routing needs Cin7's stock: an order taken before the first figures (a
 * backlog queued while syncd was down or not ready) would be routed as if
 * every warehouse were empty, all of it to the nearest one, to be
 * backordered there. So: the figures an earlier start kept (the inventory
 * thread reads afresh at once), else a read. Returns 1 read, 0 kept, -1
 * when stopping first. */
static int start_stock(syncd *sd)
{
    char why[400];
    int rc = inventory_restore(sd, why, sizeof why);
    if (rc == 0) {
        sd->stock_changed = 1;
        metrics_inc(sd->m, "syncd_boot_kept_total{what=\"stock\"}", 1);
        return 0;
    }
    if (rc < 0)
        log_warn("the Cin7 figures kept by an earlier start cannot be used: %s", why);
    int64_t wait = 1000;
    while (!sd->stopping) {
        handled h = inventory_refresh(sd);
        if (h.kind == H_DONE)
            return 1;
        log_warn("cannot read Cin7 stock yet (%s); again in %lld ms", h.reason, (long long)wait);
        backoff(sd, &wait);
    }
    return -1;
}

/* After ready: what started on kept copies is made live once the APIs
 * answer (kept stock figures need nothing here: the inventory sync reads
 * afresh as soon as Cin7 answers). */
static void go_live(syncd *sd, int catalog_live, int hooks_live, int64_t *checked)
{
    int64_t wait = 1000;
    while (!sd->stopping && !(catalog_live && hooks_live)) {
        backoff(sd, &wait);
        if (!catalog_live) {
            catalog *c = live_catalog(sd);
            if (c) {
                set_catalog(sd, c);
                catalog_live = 1;
                size_t n;
                const char *const *skus = catalog_skus(c, &n);
                syncd_mark_dirty(sd, skus, n);
                log_info("the live catalog replaces the kept one: %zu SKUs mapped", n);
            }
        }
        if (!hooks_live && !roles_held(sd->roles, ROLE_WEBHOOKS, checked)) {
            hooks_live = 1; /* left to the role's new holder */
        } else if (!hooks_live && register_hooks_kept(sd) == 0) {
            hooks_live = 1;
            log_info("webhook subscriptions checked");
        }
    }
}

void *boot_main(void *arg)
{
    syncd *sd = arg;
    int64_t checked = 0;
    int catalog_live = start_catalog(sd);
    int hooks_live = catalog_live >= 0 ? start_hooks(sd, &checked) : -1;
    int stock_live = hooks_live >= 0 ? start_stock(sd) : -1;
    if (stock_live < 0)
        return NULL;
    /* Whatever happened while we were down: sync every level once. */
    size_t n;
    const char *const *skus = catalog_skus(syncd_catalog(sd), &n);
    syncd_mark_dirty(sd, skus, n);
    sd->ready = 1;
    log_info("ready: %zu SKUs mapped, mode %s; catalog %s, webhooks %s, stock figures %s", n,
             sd->cfg.mode, catalog_live ? "loaded" : "kept",
             hooks_live == 2 ? "left to another instance" : hooks_live ? "registered" : "kept",
             stock_live ? "read" : "kept");
    syncd_wake_workers(sd);
    go_live(sd, catalog_live, hooks_live, &checked);
    hooks_watch(sd, checked);
    return NULL;
}
