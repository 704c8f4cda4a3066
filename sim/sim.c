/*
 * The simulator's run; see sim.h: what it refuses, the settings read by
 * syncd's and the mocks' own readers, the world built and freed, the event
 * loop and the drain, the final states, the measurement and the results.
 */
#include "sim.h"
#include "simint.h"

#include "../mocks/cin7/config.h"
#include "faults.h"
#include "json.h"
#include "mem.h"
#include "results.h"
#include "setup.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A key of mock-cin7's config section in the scenario's mocks.cin7 that is
 * set to something other than off (absent, null, false; and 0 when
 * zero_is_off: a share of nothing, where a delay of 0 is no delay), or
 * NULL. */
static const char *cin7_setting_on(const scenario *sc, const char *section,
                                   const char *const *keys, int zero_is_off)
{
    const cJSON *sec = cJSON_GetObjectItemCaseSensitive(sc->mock_cin7, section);
    for (const char *const *k = keys; *k; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(sec, *k);
        if (v && !cJSON_IsNull(v) && !cJSON_IsFalse(v) &&
            !(zero_is_off && cJSON_IsNumber(v) && v->valuedouble == 0))
            return *k;
    }
    return NULL;
}

const char *sim_unsupported(const scenario *sc, char *why, size_t n)
{
    static const char *const in_parts[] = {"split_share", "ship_allocated", "void_share", NULL};
    static const char *const approve[] = {"auto_approve_after", NULL};
    const char *key;
    if (sc->external)
        snprintf(why, n, "$.engine.external: the simulator models syncd only");
    else if (sc->n_crashes)
        snprintf(why, n, "$.crashes: engine crashes are not modelled");
    else if (sc->instances > 1)
        snprintf(why, n, "$.engine.instances: the simulator models one syncd instance");
    else if (sc->ownership.given)
        snprintf(why, n, "$.ownership: product data (prices, titles, costs, barcodes, weights, "
                         "statuses) and its edits are not modelled");
    else if (sc->fulfilment.given)
        snprintf(why, n, "$.fulfilment: Cin7's shipments, split fulfilments and voids are not "
                         "modelled");
    else if (cin7_setting_on(sc, "purchases", approve, 0))
        snprintf(why, n, "$.mocks.cin7.purchases.auto_approve_after: approved purchases and their "
                         "receipt are not modelled");
    else if ((key = cin7_setting_on(sc, "sales", in_parts, 1)) != NULL)
        snprintf(why, n, "$.mocks.cin7.sales.%s: Cin7's shipments, split fulfilments and voids are "
                         "not modelled", key);
    else {
        for (size_t k = 0; k < sc->n_skus; k++) {
            if (sc->skus[k].n_bom) {
                snprintf(why, n, "$.catalog.skus[%zu].bom: kits (auto-assembly from components) "
                                 "are not modelled yet", k);
                return why;
            }
            if (strcmp(sc->skus[k].sku, sc->skus[k].shopify_sku) != 0) {
                snprintf(why, n, "$.catalog: SKU %s is %s in Shopify (mapping is not modelled)",
                         sc->skus[k].sku, sc->skus[k].shopify_sku);
                return why;
            }
        }
        for (size_t s = 0; s < sc->n_streams; s++)
            if (sc->streams[s].shape == SHAPE_REPLAY) {
                snprintf(why, n, "$.demand[%zu]: replayed orders are not modelled yet", s);
                return why;
            }
        return NULL;
    }
    return why;
}

/* syncd's settings as syncd itself reads them from the config surge
 * generates for a real run. */
static syncd_config *engine_config(const scenario *sc, char *err, size_t n)
{
    cJSON *c = setup_syncd_config(sc, "http://127.0.0.1:1/ExternalApi/v2/", "http://127.0.0.1:1",
                                  ":memory:", sc->time_scale, 0);
    char *text = cJSON_PrintUnformatted(c);
    cJSON_Delete(c);
    syncd_config *cfg = xcalloc(1, sizeof *cfg);
    json_err e;
    int rc = config_load_text(text, strlen(text), "syncd.json", NULL, 0, cfg, &e);
    free(text);
    if (rc != 0) {
        snprintf(err, n, "the engine's config: %s", e.msg);
        config_free(cfg);
        free(cfg);
        return NULL;
    }
    return cfg;
}

/* The mocks' settings as the mocks read them from surge's configs. */
static int mock_settings(world *w, char *err, size_t n)
{
    json_err e;
    cJSON *c = setup_cin7_config(w->sc);
    c7cfg *c7 = NULL;
    int rc = c7config_parse(c, 0, &c7, &e);
    cJSON_Delete(c);
    if (rc != 0) {
        snprintf(err, n, "mock-cin7's config: %s", e.msg);
        c7config_free(c7);
        return -1;
    }
    int limit = c7->calls_per_minute == C7_UNLIMITED ? 1000000 : (int)c7->calls_per_minute;
    w->c7_limit = window_new(limit, c7->window_ms);
    w->c7_calls = limit;
    w->c7_over_status = c7->over_limit_status;
    w->c7_coalesce_ms = c7->coalesce_ms;
    w->c7_first_attempt_ms = c7->first_attempt_ms;
    c7config_free(c7);
    c = setup_shopify_config(w->sc);
    spec_world sw;
    rc = spec_parse_config(c, &sw, &e);
    cJSON_Delete(c);
    if (rc != 0) {
        snprintf(err, n, "mock-shopify's config: %s", e.msg);
        spec_world_free(&sw);
        return -1;
    }
    w->hooks = sw.webhooks;
    w->gql = xcalloc(w->n_shops + 1, sizeof *w->gql);
    w->gql_size = xcalloc(w->n_shops + 1, sizeof *w->gql_size);
    w->gql_leak = xcalloc(w->n_shops + 1, sizeof *w->gql_leak);
    for (size_t s = 0; s < w->n_shops; s++) {
        spec_limits lim;
        if (spec_plan_limits(s < sw.n_shops && sw.shops[s].plan ? sw.shops[s].plan : "plus",
                             &lim) != 0) {
            snprintf(err, n, "mock-shopify's config: shop %zu: unknown plan", s);
            spec_world_free(&sw);
            return -1;
        }
        w->gql[s] = leaky_new(lim.gql_bucket, lim.gql_restore_per_s);
        w->gql_size[s] = lim.gql_bucket;
        w->gql_leak[s] = lim.gql_restore_per_s;
    }
    spec_world_free(&sw);
    /* The scenario's fault plans, parsed as the mocks parse theirs. */
    if (faults_parse(w->sc->faults_cin7, w->sc->seed, &w->fp_cin7, &e) != 0) {
        snprintf(err, n, "$.faults (cin7): %s", e.msg);
        return -1;
    }
    if (faults_parse(w->sc->faults_shopify, w->sc->seed + 1, &w->fp_shop, &e) != 0) {
        snprintf(err, n, "$.faults (shopify): %s", e.msg);
        return -1;
    }
    return w->c7_limit ? 0 : -1;
}

static void world_init(world *w, const scenario *sc, syncd_config *cfg)
{
    memset(w, 0, sizeof *w);
    w->sc = sc;
    w->cfg = cfg;
    w->n_skus = sc->n_skus;
    w->n_wh = sc->n_warehouses;
    w->n_shops = sc->n_shops;
    rng_derive(&w->r_net, sc->seed, 0x51a1);
    rng_derive(&w->r_hook, sc->seed, 0x51a2);
    rng_derive(&w->r_pol, sc->seed, 0x51a3);
    w->pol = (policy){cfg->max_attempts, cfg->retry_base_ms, cfg->retry_cap_ms};
    size_t cells = w->n_skus * w->n_wh + 1;
    w->on_hand = xcalloc(cells, sizeof *w->on_hand);
    w->allocated = xcalloc(cells, sizeof *w->allocated);
    w->dirty_cell = xcalloc(cells, sizeof *w->dirty_cell);
    w->fig = xcalloc(cells, sizeof *w->fig);
    w->fig_new = xcalloc(cells, sizeof *w->fig_new);
    for (size_t k = 0; k < w->n_skus; k++)
        for (size_t l = 0; l < w->n_wh; l++)
            w->on_hand[k * w->n_wh + l] = scenario_on_hand(sc, k, l);
    w->sku_index = strmap_new(0);
    for (size_t k = 0; k < w->n_skus; k++)
        strmap_put(w->sku_index, sc->skus[k].sku, (long)k);
    w->level = xcalloc(w->n_shops * w->n_skus + 1, sizeof *w->level);
    w->base = xcalloc(w->n_shops * w->n_skus + 1, sizeof *w->base);
    w->known = xcalloc(w->n_shops * w->n_skus + 1, sizeof *w->known);
    w->reserved_units = xcalloc(w->n_skus + 1, sizeof *w->reserved_units);
    w->pushed = xcalloc(w->n_skus + 1, sizeof *w->pushed);
    for (size_t s = 0; s < w->n_shops; s++)
        for (size_t k = 0; k < w->n_skus; k++)
            w->level[s * w->n_skus + k] = setup_initial_units(sc, k);
    w->next_order_id = 1001;
    w->gate_at = -1;
    w->full_read_at = -1;
    pace_init(&w->pc, &cfg->cin7_pace, 0);
    share_init(&w->sh);
    w->gate = window_new(pace_calls(&w->pc), cfg->cin7_pace.window_ms);
    w->poll = strcmp(cfg->mode, "poll") == 0;
    w->n_workers = cfg->workers ? cfg->workers : 1;
    w->workers = xcalloc(w->n_workers, sizeof *w->workers);
    w->marks = coalesce_new(cfg->coalesce_ms);
    w->batch = xcalloc(LEVEL_BATCH, sizeof *w->batch);
    w->pass_sku = xcalloc(2 * LEVEL_BATCH, sizeof *w->pass_sku); /* inventory, replenishment */
    w->replen = cfg->replen_enabled;
    w->rmarks = coalesce_new(cfg->coalesce_ms);
    w->rsettle = coalesce_new(SETTLE_RETRY_MS);
    w->waiting_since = xcalloc(w->n_skus + 1, sizeof *w->waiting_since);
    for (size_t k = 0; k < w->n_skus; k++)
        w->waiting_since[k] = -1;
    w->draft_qty = xcalloc(sc->n_suppliers * w->n_skus + 1, sizeof *w->draft_qty);
    w->has_draft = xcalloc(sc->n_suppliers + 1, sizeof *w->has_draft);
    w->want_sup = xcalloc(LEVEL_BATCH, sizeof *w->want_sup);
    w->want_sku = xcalloc(LEVEL_BATCH, sizeof *w->want_sku);
    w->want_qty = xcalloc(LEVEL_BATCH, sizeof *w->want_qty);
    w->read_level = xcalloc(2 * LEVEL_BATCH, sizeof *w->read_level);
    w->locs = xcalloc(w->n_wh + 1, sizeof *w->locs);
    for (size_t l = 0; l < w->n_wh && l < cfg->n_locations; l++) {
        const cfg_location *cl = &cfg->locations[l];
        w->locs[l] = (route_location){cl->name, cl->has_coords, cl->lat, cl->lon, cl->priority,
                                      cl->min_stock};
    }
    w->regions = xcalloc(cfg->n_regions + 1, sizeof *w->regions);
    w->region_locs = xcalloc(cfg->n_regions + 1, sizeof *w->region_locs);
    for (size_t r = 0; r < cfg->n_regions; r++) {
        const cfg_region *cr = &cfg->regions[r];
        w->region_locs[r] = xcalloc(cr->n_locations + 1, sizeof **w->region_locs);
        size_t n = 0;
        for (size_t i = 0; i < cr->n_locations; i++)
            for (size_t l = 0; l < w->n_wh; l++)
                if (strcmp(cr->locations[i], w->locs[l].name) == 0)
                    w->region_locs[r][n++] = (int)l;
        w->regions[r] = (route_region){cr->country, cr->postcode_prefix, w->region_locs[r], n};
    }
}

static void world_free(world *w)
{
    free(w->on_hand);
    free(w->allocated);
    free(w->dirty_cell);
    free(w->fig);
    free(w->fig_new);
    free(w->routes);
    free(w->level);
    free(w->base);
    free(w->known);
    free(w->reserved_units);
    for (size_t k = 0; w->pushed && k < w->n_skus; k++) {
        free(w->pushed[k].t);
        free(w->pushed[k].cum);
    }
    free(w->pushed);
    free(w->orders);
    free(w->calls);
    for (int c = 0; c < SHARE_CLASSES; c++)
        free(w->waiting[c]);
    free(w->queue);
    free(w->workers);
    coalesce_free(w->marks);
    free(w->batch);
    free(w->pass_sku);
    coalesce_free(w->rmarks);
    coalesce_free(w->rsettle);
    free(w->waiting_since);
    free(w->draft_qty);
    free(w->has_draft);
    free(w->want_sup);
    free(w->want_sku);
    free(w->want_qty);
    free(w->read_level);
    free(w->locs);
    for (size_t r = 0; r < w->cfg->n_regions; r++)
        free(w->region_locs[r]);
    free(w->region_locs);
    free(w->regions);
    window_free(w->gate);
    window_free(w->c7_limit);
    for (size_t s = 0; w->gql && s < w->n_shops; s++)
        leaky_free(w->gql[s]);
    free(w->gql);
    free(w->gql_size);
    free(w->gql_leak);
    faults_free(w->fp_cin7);
    faults_free(w->fp_shop);
    free(w->records);
    free(w->samples);
    demand_free(w->dem);
    model_free(w->m);
    strmap_free(w->sku_index);
    evheap_free(&w->h);
}

static void arrival(world *w)
{
    demand_arrival a = w->next;
    XGROW(w->records, w->n_records, w->cap_records, 1024);
    lg_record *rec = &w->records[w->n_records++];
    memset(rec, 0, sizeof *rec);
    rec->a = a;
    rec->status = 200;
    rec->sent = a.t;
    rec->done = a.t + sw_draw(w, &w->r_net, &w->p.checkout);
    if (a.shopify)
        sw_shop_checkout(w, &a, rec);
    else
        sw_c7_channel_sale(w, &a, rec);
    w->have_next = demand_next(w->dem, &w->next);
    if (w->have_next && w->next.t < w->sc->duration_ms)
        sw_schedule(w, EV_ARRIVAL, w->next.t, 0, 0);
}

/* Work the engine or the world still has: queued events, marked SKUs,
 * calls, deliveries and notifications on their way. */
static int64_t backlog(const world *w)
{
    int64_t n = (int64_t)(w->n_queue - w->head_queue) + (int64_t)coalesce_waiting(w->marks);
    for (size_t i = 0; i < w->n_workers; i++)
        n += w->workers[i].busy;
    return n + w->inv_busy + w->replen_busy + (int64_t)coalesce_waiting(w->rmarks) +
           (int64_t)coalesce_waiting(w->rsettle);
}

static void fire(world *w, const evheap_ev *ev)
{
    switch (ev->kind) {
    case EV_ARRIVAL:
        arrival(w);
        break;
    case EV_HOOK: {
        /* syncd answers 200 once the event is in its queue. */
        char id[32];
        sw_order_id(&w->orders[ev->ref], id, sizeof id);
        model_order_acked(w->m, w->now, id, "orders/paid");
        sw_enqueue_order(w, ev->ref);
        break;
    }
    case EV_C7_FLUSH:
        sw_c7_flush(w);
        break;
    case EV_C7_HOOK:
        /* Cin7 notified after its figures changed (stock_mark): a read
         * that started after the notification shows it already. */
        if (w->now >= w->full_read_at)
            w->stock_changed = 1;
        sw_mark_all(w);
        break;
    case EV_CALL_ARRIVE:
        sw_call_arrive(w, ev->ref, ev->arg);
        break;
    case EV_CALL_DONE:
        sw_call_done(w, ev->ref);
        sw_gate_pump(w);
        break;
    case EV_GATE:
        if (w->gate_at == ev->due_ms)
            w->gate_at = -1;
        sw_gate_pump(w);
        break;
    case EV_STEP:
        sw_worker_step(w, (size_t)ev->ref);
        break;
    case EV_INV:
        sw_inv_start(w);
        break;
    case EV_RESEND:
        sw_retry_due(w, ev->ref, (int)ev->arg);
        break;
    case EV_REPLEN:
        sw_replen_start(w);
        break;
    case EV_READ_WAIT:
        sw_read_wait_over(w, (uint64_t)ev->arg);
        break;
    case EV_POLL:
        sw_poll_tick(w);
        break;
    case EV_SAMPLE: {
        XGROW(w->samples, w->n_samples, w->cap_samples, 1024);
        int64_t depth = backlog(w);
        w->samples[w->n_samples++] = (measure_sample){w->now, depth};
        sw_schedule(w, EV_SAMPLE, w->now + SAMPLE_MS, 0, 0);
        break;
    }
    }
}

/* Cin7's and Shopify's state after the drain, and what the run recorded
 * outside the mocks (arrivals, queue samples), into the record. */
static void final_states(world *w)
{
    for (size_t k = 0; k < w->n_skus; k++) {
        model_set_product(w->m, (int)k, setup_initial_units(w->sc, k), 0, 0);
        for (size_t l = 0; l < w->n_wh; l++)
            model_add_final_stock(w->m, (int)k, (int)l, sw_c7_avail(w, (int)k, (int)l));
        for (size_t s = 0; s < w->n_shops; s++)
            model_add_final_level(w->m, (int)s, (int)k, *sw_lvl(w, (int)s, (int)k));
    }
    for (size_t i = 0; i < w->n_records; i++)
        model_add_arrival(w->m, &w->records[i]);
    for (size_t i = 0; i < w->n_samples; i++)
        model_add_sample(w->m, w->samples[i].t, w->samples[i].depth);
}

/* Runs the world from t = 0 to the end of the drain; returns the end. */
static int64_t run_world(world *w)
{
    w->have_next = demand_next(w->dem, &w->next);
    if (w->have_next && w->next.t < w->sc->duration_ms)
        sw_schedule(w, EV_ARRIVAL, w->next.t, 0, 0);
    sw_schedule(w, EV_SAMPLE, 0, 0, 0);
    /* The seeded figures open the record, as the mocks' seeds open their
     * journals. */
    for (size_t k = 0; k < w->n_skus; k++) {
        for (size_t l = 0; l < w->n_wh; l++)
            sw_c7_note(w, (int)k, (int)l, MODEL_CAUSE_NONE, sw_c7_avail(w, (int)k, (int)l));
        for (size_t s = 0; s < w->n_shops; s++)
            model_add_level(w->m, 0, (int)s, (int)k, *sw_lvl(w, (int)s, (int)k), MODEL_BY_SEED);
    }
    /* syncd's first pass writes every level from a full read. */
    for (size_t k = 0; k < w->n_skus; k++)
        coalesce_mark(w->marks, sw_sku_name(w, (int)k), 0);
    w->stock_changed = 1;
    w->inv_wake = 1;
    sw_schedule(w, EV_INV, 0, 0, 0);
    if (w->poll)
        sw_schedule(w, EV_POLL, 0, 0, 0); /* the first poll at once */
    sw_replen_wake(w, 0); /* a first sweep at once (replen_main) */
    const scenario *sc = w->sc;
    int64_t limit = sc->duration_ms + sc->drain_ms;
    int quiet = 0;
    while (evheap_peek(&w->h)) {
        evheap_ev ev = evheap_pop(&w->h);
        w->n_events++;
        if (ev.due_ms > limit)
            break;
        w->now = ev.due_ms;
        if (ev.kind == EV_SAMPLE && w->now >= sc->duration_ms) {
            /* The drain ends once nothing is left, as surge run's does
             * (three quiet samples, after the least drain). */
            int idle = backlog(w) == 0 && w->in_flight == 0 && !w->flush_pending;
            quiet = idle ? quiet + 1 : 0;
            if (quiet >= 3 && w->now - sc->duration_ms >= sc->drain_min_ms)
                break;
        }
        fire(w, &ev);
    }
    return w->now;
}

/* What sim_measure would refuse, found before anything is written: a
 * field it does not model, a bad "sim" object, an engine config syncd
 * would refuse. 0, or -1 with the reason in err. */
static int sim_check(const scenario *sc, char *err, size_t errlen)
{
    sim_params params;
    json_err e;
    if (sim_unsupported(sc, err, errlen))
        return -1;
    if (sim_params_read(sc->sim, &params, &e) != 0) {
        snprintf(err, errlen, "%s", e.msg);
        return -1;
    }
    syncd_config *cfg = engine_config(sc, err, errlen);
    if (!cfg)
        return -1;
    config_free(cfg);
    free(cfg);
    return 0;
}

int sim_measure(const scenario *sc, sim_outcome *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    char why[300];
    syncd_config *cfg = NULL;
    sim_params params;
    json_err e;
    world w;
    int have_world = 0, rc = RUN_BAD_USAGE;
    if (sim_unsupported(sc, why, sizeof why)) {
        snprintf(err, errlen, "%s", why);
        goto out;
    }
    if (sim_params_read(sc->sim, &params, &e) != 0) {
        snprintf(err, errlen, "%s", e.msg);
        goto out;
    }
    if (!(cfg = engine_config(sc, err, errlen)))
        goto out;
    world_init(&w, sc, cfg);
    have_world = 1;
    w.p = params;
    if (mock_settings(&w, err, errlen) != 0)
        goto out;
    w.dem = demand_new(sc, sc->seed);
    bounds_limits lim;
    setup_api_limits(sc, &lim);
    w.m = model_new(sc, sc->duration_ms + sc->drain_ms, &lim);
    struct timespec c0, c1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    out->end = run_world(&w);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    out->cpu_s = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
    out->events = w.n_events;
    w.m->end = out->end;
    final_states(&w);
    int64_t *buffers = setup_shop_buffers(sc);
    measure_params mp = {buffers, setup_low_stock_split(sc), -1}; /* kits: refused above */
    int measured = measure_model(w.m, &mp, &out->mo);
    free(buffers);
    if (measured != 0) {
        snprintf(err, errlen, "measuring failed");
        rc = RUN_BROKE;
        goto out;
    }
    /* The arrivals leave with the outcome (results.h's demand summary). */
    out->records = w.records;
    out->n_records = w.n_records;
    w.records = NULL;
    w.n_records = 0;
    rc = RUN_PASS;
out:
    if (have_world)
        world_free(&w);
    if (cfg) {
        config_free(cfg);
        free(cfg);
    }
    return rc;
}

void sim_outcome_free(sim_outcome *o)
{
    measure_output_free(&o->mo);
    free(o->records);
    memset(o, 0, sizeof *o);
}

int sim_scenario(const run_opts *o)
{
    scenario sc;
    int rc = results_load_scenario(o->scenario_path, o->sets, o->n_sets, o->seed, &sc);
    if (rc != RUN_PASS)
        return rc;
    char why[600], err[600];
    sc_gate *gates = NULL;
    size_t n_gates = 0;
    if (o->time_scale > 0)
        sc.time_scale = o->time_scale;
    /* Refused before a folder is made. */
    if (sim_check(&sc, why, sizeof why) != 0) {
        fprintf(stderr, "surge sim: %s\n", why);
        rc = RUN_BAD_USAGE;
        goto out;
    }
    rc = results_prepare(&sc, o->gates, o->n_gates, o->out_dir, &gates, &n_gates, why, sizeof why);
    if (rc != RUN_PASS)
        goto out;
    char dir[600];
    snprintf(dir, sizeof dir, "%s", why);
    if (!o->quiet)
        fprintf(stderr, "surge sim: %s, seed %llu, in virtual time\n", sc.name,
                (unsigned long long)sc.seed);
    sim_outcome so;
    rc = sim_measure(&sc, &so, err, sizeof err);
    if (rc != RUN_PASS) {
        fprintf(stderr, "surge sim: %s\n", err);
        goto out;
    }
    /* On stderr, never in summary.json, which must not depend on the machine. */
    fprintf(stderr, "surge sim: %llu events in %.3f s of CPU (%.0f events/s)\n",
            (unsigned long long)so.events, so.cpu_s,
            so.cpu_s > 0 ? (double)so.events / so.cpu_s : 0.0);
    results_in ri = {.dir = dir, .sc = &sc, .gates = gates, .n_gates = n_gates, .invalid = "",
                     .time_scale = sc.time_scale, .origin = 0, .end = so.end,
                     .records = so.records, .n_records = so.n_records, .what = "sim",
                     .no_report = o->no_report, .baseline = o->baseline};
    rc = results_write(&ri, &so.mo);
    sim_outcome_free(&so);
out:
    results_gates_free(gates, n_gates);
    scenario_free(&sc);
    return rc;
}
