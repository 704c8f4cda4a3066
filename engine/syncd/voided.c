/*
 * Cin7 Sale/Voided: a sale voided in Cin7 and what it asks of its Shopify
 * order (engine/core/status.h, status_void). The notification only names
 * the sale, so the sale is read back; syncd's own voids (a move's, a
 * cancellation Shopify sent) ask nothing. A user's void of an order's only
 * sale cancels the order at Shopify (orderCancel: restocked, refunded,
 * the customer told); Shopify then sends orders/cancelled, which finds no
 * sale standing in Cin7 and voids nothing a second time. A void while
 * another sale of the order stands is reported for a person: Shopify
 * cannot cancel part of an order.
 */
#include "fulfil.h"
#include "handlers.h"

#include "c7event.h"
#include "log.h"
#include "mem.h"
#include "status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Counts in *(size_t *)ud the sale of ext when it stands in Cin7. */
static handled count_live(syncd *sd, const char *ext, void *ud)
{
    char *sale = NULL, *ostatus = NULL;
    outcome oc;
    cin7_sale_find(sd->c7, ext, PRIO_NORMAL, &sale, &ostatus, &oc);
    handled h = oc.action == POLICY_DONE ? handled_done() : handled_from_outcome(&oc);
    if (oc.action == POLICY_DONE && sale)
        (*(size_t *)ud)++;
    outbound_done(&oc);
    free(sale);
    free(ostatus);
    return h;
}

/* Reports a void the order cannot follow: logged, alerted, counted. */
static void report(syncd *sd, const store_event *ev, const char *evid, const char *sale,
                   const char *order, const char *why)
{
    log_event(LOG_WARN, evid, "sale %s (order %s): %s", sale, order, why);
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "reason", why);
    cJSON_AddStringToObject(a, "sale", sale);
    cJSON_AddStringToObject(a, "order", order);
    syncd_alert(sd, ev->id, a);
    metrics_inc(sd->m, "syncd_voids_reported_total", 1);
}

/* Cancels the order at Shopify unless it is cancelled already (a retry
 * after a lost answer finds it so). */
static handled cancel_order(syncd *sd, const store_event *ev, const char *evid, size_t shop,
                            const fulfil_sale_info *s, const char *order)
{
    int cancelled = 0;
    outcome o;
    shopify_order_cancelled(sd->shops[shop], order, PRIO_URGENT, &cancelled, &o);
    if (o.action != POLICY_DONE) {
        handled h = handled_from_outcome(&o);
        outbound_done(&o);
        return h;
    }
    outbound_done(&o);
    if (cancelled)
        return handled_done();
    char note[160];
    snprintf(note, sizeof note, "Cin7 sale %s was voided in Cin7", s->number ? s->number : s->id);
    shopify_order_cancel(sd->shops[shop], order, note, PRIO_URGENT, &o);
    handled h = handled_done();
    if (o.action == POLICY_PERMANENT) {
        char why[400];
        snprintf(why, sizeof why, "voided in Cin7; Shopify refused to cancel the order: %s",
                 o.error);
        report(sd, ev, evid, s->id, order, why);
    } else if (o.action != POLICY_DONE) {
        h = handled_from_outcome(&o);
    } else {
        log_event(LOG_INFO, evid, "sale %s voided in Cin7: order %s cancelled at Shopify", s->id,
                  order);
        metrics_inc(sd->m, "syncd_orders_cancelled_for_voids_total", 1);
        store_audit(sd->st, ev->id, clock_now_ms(&sd->clk), "order_cancelled", order);
    }
    outbound_done(&o);
    return h;
}

handled sale_voided(syncd *sd, const store_event *ev)
{
    int64_t now = clock_now_ms(&sd->clk);
    char evid[32];
    snprintf(evid, sizeof evid, "ev-%lld", (long long)ev->id);
    char id[C7EVENT_ID_LEN], order[64];
    handled h;
    if (fulfil_event_sale(sd, ev, id, &h) != 0)
        return h;
    fulfil_sale_info s;
    long shop;
    int rc = fulfil_order_sale(sd, ev, id, &s, order, sizeof order, &shop, &h);
    if (rc < 0)
        return h;
    if (rc > 0)
        goto out;
    if (!s.status || strcasecmp(s.status, "VOIDED") != 0) {
        store_audit(sd->st, ev->id, now, "skipped", "the sale is not voided now");
        goto out;
    }
    const char *domain = sd->cfg.shops[shop].domain;
    /* A move decides ("move:<sale>") before it voids; a cancellation
     * marks the order ("cancelled:<shop>:<order>") before it does. */
    char key[200], *mark = NULL;
    snprintf(key, sizeof key, "cancelled:%s:%s", domain, order);
    int cancelled = store_kv_read(sd->st, key, &mark);
    free(mark);
    int moved = cancelled == 1 ? 0 : orders_idem_has(sd, "move:", id);
    /* A store that cannot say whose void it was is asked again later:
     * taken for a user's, syncd's own void could cancel the order. */
    if (cancelled < 0 || moved < 0) {
        h = handled_retry(5000, "store: cannot tell whether sale %s was voided by syncd", id);
        goto out;
    }
    int own = cancelled == 1 || moved == 1;
    size_t live = 0, groups = 0;
    if (!own) {
        h = orders_each_ext(sd, domain, order, &groups, count_live, &live);
        if (h.kind != H_DONE)
            goto out;
    }
    void_action a = status_void(own, 0, groups > 0, live);
    if (a.kind == VOID_CANCEL_ORDER)
        h = cancel_order(sd, ev, evid, (size_t)shop, &s, order);
    else if (a.kind == VOID_REPORT)
        report(sd, ev, evid, id, order, a.note);
    else
        store_audit(sd->st, ev->id, now, "skipped", a.note);
out:
    fulfil_sale_info_free(&s);
    return h;
}
