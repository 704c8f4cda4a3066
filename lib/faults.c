/* Fault plans: parsing, per-request and per-delivery decisions; see faults.h. */
#include "faults.h"

#include "mem.h"
#include "rng.h"

#include <ctype.h>
#include <fnmatch.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kind {
    K_STATUS,
    K_LATENCY,
    K_TIMEOUT,
    K_RESET,
    K_MALFORMED,
    K_OUTAGE,
    K_THROTTLE,
    K_DUPLICATE,
    K_DELAY,
    K_REORDER,
    K_DROP,
    K_COUNT
};

enum dist { D_FIXED, D_UNIFORM, D_LOGNORMAL };

#define COMMON_KEYS "kind", "target", "at", "for", "probability", "name"
#define DIST_KEYS "ms", "min", "max", "median", "p99"

static const char *const keys_status[] = {COMMON_KEYS, "status", "body", NULL};
static const char *const keys_dist[] = {COMMON_KEYS, DIST_KEYS, NULL};
static const char *const keys_timeout[] = {COMMON_KEYS, "hold", "applied", NULL};
static const char *const keys_reset[] = {COMMON_KEYS, "applied", NULL};
static const char *const keys_plain[] = {COMMON_KEYS, NULL};
static const char *const keys_malformed[] = {COMMON_KEYS, "mode", NULL};
static const char *const keys_throttle[] = {COMMON_KEYS, "limit", NULL};
static const char *const keys_duplicate[] = {COMMON_KEYS, "copies", NULL};
static const char *const keys_reorder[] = {COMMON_KEYS, "window", NULL};

static const struct {
    const char *name;
    int delivery; /* applies to webhook deliveries, not requests */
    const char *const *keys;
} kinds[K_COUNT] = {
    [K_STATUS] = {"status", 0, keys_status},
    [K_LATENCY] = {"latency", 0, keys_dist},
    [K_TIMEOUT] = {"timeout", 0, keys_timeout},
    [K_RESET] = {"reset", 0, keys_reset},
    [K_MALFORMED] = {"malformed", 0, keys_malformed},
    [K_OUTAGE] = {"outage", 0, keys_status},
    [K_THROTTLE] = {"throttle", 0, keys_throttle},
    [K_DUPLICATE] = {"duplicate", 1, keys_duplicate},
    [K_DELAY] = {"delay", 1, keys_dist},
    [K_REORDER] = {"reorder", 1, keys_reorder},
    [K_DROP] = {"drop", 1, keys_plain},
};

typedef struct {
    enum kind kind;
    char *name;   /* NULL when not given */
    char *method; /* request faults: NULL matches any method */
    char *glob;   /* path glob or topic glob */
    int64_t at;
    int64_t len; /* window length; -1 is forever */
    double probability;
    uint64_t seed; /* this rule's stream, from the plan seed and the index */

    int status;      /* STATUS, OUTAGE */
    char *body;      /* STATUS, OUTAGE: the given or the default body */
    int body_given;  /* to_json writes body only when it was given */
    enum dist dist;  /* LATENCY, DELAY */
    int64_t d1, d2;  /* ms | min, max | median, p99 */
    int64_t hold;    /* TIMEOUT */
    int applied;     /* TIMEOUT, RESET: the request takes effect first */
    int invalid;     /* MALFORMED: 1 for mode "invalid" */
    int limit;       /* THROTTLE */
    int copies;      /* DUPLICATE */
    int64_t window;  /* REORDER */

    /* seq numbers the matches so that draw n is the same whoever makes it;
     * fired counts those that took effect. Atomics rather than a lock: the
     * request path of every mock thread goes through here. */
    _Atomic uint64_t seq;
    _Atomic uint64_t fired;
} rule;

struct fault_plan {
    rule *rules;
    size_t n;
};

/* ---- parsing ------------------------------------------------------------ */

static int find_kind(const char *s)
{
    for (int k = 0; k < K_COUNT; k++)
        if (strcmp(kinds[k].name, s) == 0)
            return k;
    return -1;
}

static int parse_kind(const cJSON *entry, const char *path, enum kind *out, json_err *e)
{
    const char *s = NULL;
    if (json_get_str(entry, path, "kind", JSON_REQUIRED, &s, e))
        return -1;
    int k = find_kind(s);
    if (k >= 0) {
        *out = (enum kind)k;
        return 0;
    }
    char list[256] = "";
    size_t used = 0;
    for (int i = 0; i < K_COUNT; i++) {
        int w = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", kinds[i].name);
        if (w < 0 || (size_t)w >= sizeof list - used)
            break;
        used += (size_t)w;
    }
    char p[256];
    json_path_key(p, sizeof p, path, "kind");
    return json_fail(e, p, "unknown fault kind \"%.64s\" (known: %s)", s, list);
}

/* Request targets: "*", "/path-glob", "*glob" or "METHOD glob". The method is
 * kept upper case so that "post /x" in a hand-written plan still matches. */
static int parse_request_target(rule *r, const char *t, const char *p, json_err *e)
{
    const char *glob = t;
    const char *sp = strchr(t, ' ');
    if (sp) {
        if (sp == t)
            return json_fail(e, p, "expected [METHOD ]path-glob, got \"%.64s\"", t);
        for (const char *c = t; c < sp; c++)
            if (!isalpha((unsigned char)*c))
                return json_fail(e, p, "\"%.*s\" is not an HTTP method", (int)(sp - t), t);
        r->method = xstrndup(t, (size_t)(sp - t));
        for (char *c = r->method; *c; c++)
            *c = (char)toupper((unsigned char)*c);
        glob = sp + 1;
    }
    if (glob[0] != '/' && glob[0] != '*')
        return json_fail(e, p,
                         "expected \"*\", a path glob starting with '/' or a method then a "
                         "path glob (\"POST /ExternalApi/v2/sale*\"), got \"%.64s\"",
                         t);
    if (strchr(glob, '?'))
        return json_fail(e, p, "'?' is not allowed: the query string is never matched (use '*' "
                               "for any characters), got \"%.64s\"",
                         t);
    r->glob = xstrdup(glob);
    return 0;
}

static int parse_topic_target(rule *r, const char *t, const char *p, json_err *e)
{
    if (!*t)
        return json_fail(e, p, "expected a webhook topic glob such as \"orders/*\"");
    for (const char *c = t; *c; c++)
        if (isspace((unsigned char)*c))
            return json_fail(e, p,
                             "expected a webhook topic glob such as \"orders/*\" "
                             "(delivery faults match topics, not routes), got \"%.64s\"",
                             t);
    r->glob = xstrdup(t);
    return 0;
}

/* A duration bounded by FAULTS_MAX_MS; positive when must_be_positive. */
static int get_bounded_ms(const cJSON *entry, const char *path, const char *key, int64_t *out,
                          int must_be_positive, json_err *e)
{
    int64_t v = *out;
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(entry, key);
    if (json_get_duration(entry, path, key, JSON_OPTIONAL, &v, e))
        return -1;
    if (!item || cJSON_IsNull(item))
        return 0;
    char p[256];
    json_path_key(p, sizeof p, path, key);
    if (v > FAULTS_MAX_MS)
        return json_fail(e, p, "%lld ms is longer than the 30-day limit", (long long)v);
    if (must_be_positive && v <= 0)
        return json_fail(e, p, "expected a positive duration");
    *out = v;
    return 0;
}

static int has(const cJSON *entry, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(entry, key);
    return v && !cJSON_IsNull(v);
}

/* latency and delay: exactly one of ms, min+max, median+p99. */
static int parse_dist(rule *r, const cJSON *entry, const char *path, json_err *e)
{
    int fixed = has(entry, "ms");
    int uni = has(entry, "min") || has(entry, "max");
    int logn = has(entry, "median") || has(entry, "p99");
    const char *kn = kinds[r->kind].name;
    if (fixed + uni + logn == 0)
        return json_fail(e, path, "%s needs one of ms, min+max (uniform) or median+p99 (lognormal)",
                         kn);
    if (fixed + uni + logn > 1) {
        const char *forms[3];
        int n = 0;
        if (fixed)
            forms[n++] = "ms";
        if (uni)
            forms[n++] = "min/max";
        if (logn)
            forms[n++] = "median/p99";
        return json_fail(e, path, "%s takes exactly one of ms, min+max or median+p99, got %s and %s%s%s",
                         kn, forms[0], forms[1], n > 2 ? " and " : "", n > 2 ? forms[2] : "");
    }
    char p[256];
    if (fixed) {
        r->dist = D_FIXED;
        return get_bounded_ms(entry, path, "ms", &r->d1, 0, e);
    }
    const char *k1 = uni ? "min" : "median", *k2 = uni ? "max" : "p99";
    r->dist = uni ? D_UNIFORM : D_LOGNORMAL;
    const char *missing = !has(entry, k1) ? k1 : !has(entry, k2) ? k2 : NULL;
    if (missing) {
        json_path_key(p, sizeof p, path, missing);
        return json_fail(e, p, "required with %s", missing == k1 ? k2 : k1);
    }
    if (get_bounded_ms(entry, path, k1, &r->d1, !uni, e) ||
        get_bounded_ms(entry, path, k2, &r->d2, 0, e))
        return -1;
    if (r->d2 < r->d1) {
        json_path_key(p, sizeof p, path, k2);
        return json_fail(e, p, "%lld ms is below %s (%lld ms)", (long long)r->d2, k1,
                         (long long)r->d1);
    }
    return 0;
}

static int parse_status_fields(rule *r, const cJSON *entry, const char *path, json_err *e)
{
    int64_t status = r->kind == K_OUTAGE ? 503 : 500;
    if (json_get_int(entry, path, "status", JSON_OPTIONAL, 100, 599, &status, e))
        return -1;
    r->status = (int)status;
    const char *body = NULL;
    if (json_get_str(entry, path, "body", JSON_OPTIONAL, &body, e))
        return -1;
    r->body_given = body != NULL;
    r->body = body ? xstrdup(body)
                   : xasprintf("{\"error\":\"injected %s\",\"status\":%d}",
                               r->kind == K_OUTAGE ? "outage" : "fault", r->status);
    return 0;
}

static int parse_kind_fields(rule *r, const cJSON *entry, const char *path, json_err *e)
{
    int64_t v;
    switch (r->kind) {
    case K_STATUS:
    case K_OUTAGE:
        return parse_status_fields(r, entry, path, e);
    case K_LATENCY:
    case K_DELAY:
        return parse_dist(r, entry, path, e);
    case K_TIMEOUT:
        r->hold = 60000;
        return get_bounded_ms(entry, path, "hold", &r->hold, 1, e) ||
                       json_get_bool(entry, path, "applied", JSON_OPTIONAL, &r->applied, e)
                   ? -1
                   : 0;
    case K_MALFORMED: {
        const char *mode = "truncated";
        if (json_get_str(entry, path, "mode", JSON_OPTIONAL, &mode, e))
            return -1;
        if (strcmp(mode, "truncated") && strcmp(mode, "invalid")) {
            char p[256];
            json_path_key(p, sizeof p, path, "mode");
            return json_fail(e, p, "expected \"truncated\" or \"invalid\", got \"%.64s\"", mode);
        }
        r->invalid = strcmp(mode, "invalid") == 0;
        return 0;
    }
    case K_THROTTLE:
        if (json_get_int(entry, path, "limit", JSON_REQUIRED, 1, 1000000000, &v, e))
            return -1;
        r->limit = (int)v;
        return 0;
    case K_DUPLICATE:
        v = 1;
        if (json_get_int(entry, path, "copies", JSON_OPTIONAL, 1, 100, &v, e))
            return -1;
        r->copies = (int)v;
        return 0;
    case K_REORDER: {
        char p[256];
        if (!has(entry, "window")) {
            json_path_key(p, sizeof p, path, "window");
            return json_fail(e, p, "required field is missing");
        }
        return get_bounded_ms(entry, path, "window", &r->window, 1, e);
    }
    case K_RESET:
        return json_get_bool(entry, path, "applied", JSON_OPTIONAL, &r->applied, e);
    case K_DROP:
    case K_COUNT:
        break;
    }
    return 0;
}

static int parse_rule(rule *r, const cJSON *entry, const char *path, json_err *e)
{
    if (!cJSON_IsObject(entry))
        return json_fail(e, path, "expected a fault object, got %s", json_type_name(entry));
    if (parse_kind(entry, path, &r->kind, e))
        return -1;
    /* Fields are checked against the kind, so a field of another kind
     * ("ms" on a status fault) is an error rather than silently unused. */
    if (json_only_keys(entry, path, kinds[r->kind].keys, e))
        return -1;

    char p[256];
    const char *target = "*";
    if (json_get_str(entry, path, "target", JSON_OPTIONAL, &target, e))
        return -1;
    json_path_key(p, sizeof p, path, "target");
    if (kinds[r->kind].delivery ? parse_topic_target(r, target, p, e)
                                : parse_request_target(r, target, p, e))
        return -1;

    r->at = 0;
    r->len = -1;
    if (json_get_duration(entry, path, "at", JSON_OPTIONAL, &r->at, e))
        return -1;
    if (has(entry, "for")) {
        if (json_get_duration(entry, path, "for", JSON_OPTIONAL, &r->len, e))
            return -1;
        if (r->len == 0) {
            json_path_key(p, sizeof p, path, "for");
            return json_fail(e, p, "an empty window never fires; omit \"for\" for no end");
        }
    }

    r->probability = 1.0;
    if (json_get_num(entry, path, "probability", JSON_OPTIONAL, 0.0, 1.0, &r->probability, e))
        return -1;
    /* An outage fails every request and a throttle is a limit for the whole
     * window; a probability would make them something else, so say so. */
    if ((r->kind == K_OUTAGE || r->kind == K_THROTTLE) && r->probability != 1.0) {
        json_path_key(p, sizeof p, path, "probability");
        return json_fail(e, p, "%s applies to every request in its window; probability must be "
                               "1 (or omitted), got %g",
                         kinds[r->kind].name, r->probability);
    }

    const char *name = NULL;
    if (json_get_str(entry, path, "name", JSON_OPTIONAL, &name, e))
        return -1;
    if (name)
        r->name = xstrdup(name);

    return parse_kind_fields(r, entry, path, e);
}

int faults_parse(const cJSON *plan, uint64_t seed, fault_plan **out, json_err *e)
{
    *out = NULL;
    if (!cJSON_IsArray(plan))
        return json_fail(e, "$", "expected an array of faults, got %s", json_type_name(plan));
    size_t n = (size_t)cJSON_GetArraySize(plan);
    if (n > FAULTS_MAX_RULES)
        return json_fail(e, "$", "%zu faults is more than the limit of %d", n, FAULTS_MAX_RULES);
    fault_plan *p = xcalloc(1, sizeof *p);
    p->rules = xcalloc(n, sizeof *p->rules);
    p->n = n;
    for (size_t i = 0; i < n; i++) {
        atomic_init(&p->rules[i].seq, 0);
        atomic_init(&p->rules[i].fired, 0);
    }
    int rc = 0;
    size_t i = 0;
    const cJSON *entry;
    cJSON_ArrayForEach(entry, plan)
    {
        char path[64];
        json_path_index(path, sizeof path, "$", i);
        rule *r = &p->rules[i];
        r->seed = rng_mix64(rng_mix64(seed) + (uint64_t)i);
        if (parse_rule(r, entry, path, e)) {
            rc = -1;
            goto out;
        }
        i++;
    }
out:
    if (rc) {
        faults_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

int faults_parse_text(const char *text, size_t len, uint64_t seed, fault_plan **out,
                      json_err *e)
{
    *out = NULL;
    cJSON *root = json_parse(text, len, e);
    if (!root)
        return -1;
    int rc = faults_parse(root, seed, out, e);
    cJSON_Delete(root);
    return rc;
}

void faults_free(fault_plan *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++) {
        free(p->rules[i].name);
        free(p->rules[i].method);
        free(p->rules[i].glob);
        free(p->rules[i].body);
    }
    free(p->rules);
    free(p);
}

size_t faults_count(const fault_plan *p)
{
    return p ? p->n : 0;
}

/* ---- canonical form ----------------------------------------------------- */

static void add_ms(cJSON *o, const char *key, int64_t ms)
{
    cJSON_AddNumberToObject(o, key, (double)ms);
}

cJSON *faults_to_json(const fault_plan *p)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < faults_count(p); i++) {
        const rule *r = &p->rules[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "kind", kinds[r->kind].name);
        if (r->name)
            cJSON_AddStringToObject(o, "name", r->name);
        char *target = r->method ? xasprintf("%s %s", r->method, r->glob) : xstrdup(r->glob);
        cJSON_AddStringToObject(o, "target", target);
        free(target);
        add_ms(o, "at", r->at);
        if (r->len >= 0)
            add_ms(o, "for", r->len);
        cJSON_AddNumberToObject(o, "probability", r->probability);
        switch (r->kind) {
        case K_STATUS:
        case K_OUTAGE:
            cJSON_AddNumberToObject(o, "status", r->status);
            if (r->body_given)
                cJSON_AddStringToObject(o, "body", r->body);
            break;
        case K_LATENCY:
        case K_DELAY:
            if (r->dist == D_FIXED) {
                add_ms(o, "ms", r->d1);
            } else {
                add_ms(o, r->dist == D_UNIFORM ? "min" : "median", r->d1);
                add_ms(o, r->dist == D_UNIFORM ? "max" : "p99", r->d2);
            }
            break;
        case K_TIMEOUT:
            add_ms(o, "hold", r->hold);
            cJSON_AddBoolToObject(o, "applied", r->applied);
            break;
        case K_MALFORMED:
            cJSON_AddStringToObject(o, "mode", r->invalid ? "invalid" : "truncated");
            break;
        case K_THROTTLE:
            cJSON_AddNumberToObject(o, "limit", r->limit);
            break;
        case K_DUPLICATE:
            cJSON_AddNumberToObject(o, "copies", r->copies);
            break;
        case K_REORDER:
            add_ms(o, "window", r->window);
            break;
        case K_RESET:
            cJSON_AddBoolToObject(o, "applied", r->applied);
            break;
        case K_DROP:
        case K_COUNT:
            break;
        }
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

/* ---- decisions ---------------------------------------------------------- */

static int active(const rule *r, int64_t now_ms)
{
    if (now_ms < r->at)
        return 0;
    return r->len < 0 || now_ms - r->at < r->len;
}

static int request_match(const rule *r, const char *method, const char *path)
{
    if (r->method && (!method || strcmp(r->method, method) != 0))
        return 0;
    return fnmatch(r->glob, path, 0) == 0;
}

/* The path without its query string, in buf when it had one. Long paths
 * are cut at the buffer; they cannot match any sensible glob anyway. */
static const char *path_only(const char *path, char *buf, size_t n)
{
    if (!path)
        return "";
    const char *q = strchr(path, '?');
    if (!q)
        return path;
    size_t len = (size_t)(q - path);
    if (len >= n)
        len = n - 1;
    memcpy(buf, path, len);
    buf[len] = '\0';
    return buf;
}

/* Claims the rule's next sequence number and positions g on the draws for
 * it; returns 1 when the rule fires for this match. */
static int roll(rule *r, rng *g)
{
    uint64_t n = atomic_fetch_add_explicit(&r->seq, 1, memory_order_relaxed);
    rng_derive(g, r->seed, n);
    /* Drawn even at probability 1 so that a latency draw that follows
     * always sits at the same place in the stream. */
    return rng_uniform(g) < r->probability;
}

static int64_t draw_ms(const rule *r, rng *g)
{
    switch (r->dist) {
    case D_FIXED:
        return r->d1;
    case D_UNIFORM:
        return r->d1 + (int64_t)rng_below(g, (uint64_t)(r->d2 - r->d1) + 1);
    case D_LOGNORMAL: {
        double x = rng_lognormal(g, (double)r->d1, (double)r->d2);
        /* The tail is unbounded; cap it so the sum of delays stays finite. */
        if (!(x < (double)FAULTS_MAX_MS))
            return FAULTS_MAX_MS;
        return (int64_t)llround(x);
    }
    }
    return 0;
}

static void count_fired(rule *r)
{
    atomic_fetch_add_explicit(&r->fired, 1, memory_order_relaxed);
}

void faults_decide(fault_plan *p, const char *method, const char *path, int64_t now_ms,
                   fault_decision *out)
{
    memset(out, 0, sizeof *out);
    out->action = FAULT_NONE;
    out->rule = -1;
    if (!p)
        return;
    char buf[2048];
    const char *pth = path_only(path, buf, sizeof buf);
    for (size_t i = 0; i < p->n; i++) {
        rule *r = &p->rules[i];
        if (kinds[r->kind].delivery || !active(r, now_ms) || !request_match(r, method, pth))
            continue;
        if (r->kind == K_THROTTLE) {
            /* faults_throttle applies it; here it only counts. */
            count_fired(r);
            continue;
        }
        rng g;
        if (!roll(r, &g))
            continue;
        if (r->kind == K_LATENCY) {
            out->delay_ms += draw_ms(r, &g);
            count_fired(r);
            continue;
        }
        if (out->action != FAULT_NONE)
            continue; /* an earlier terminal fault already ends the request */
        count_fired(r);
        out->rule = (int)i;
        switch (r->kind) {
        case K_STATUS:
        case K_OUTAGE:
            out->action = r->kind == K_STATUS ? FAULT_STATUS : FAULT_OUTAGE;
            out->status = r->status;
            out->body = r->body;
            out->body_given = r->body_given;
            break;
        case K_TIMEOUT:
            out->action = FAULT_TIMEOUT;
            out->hold_ms = r->hold;
            out->applied = r->applied;
            break;
        case K_RESET:
            out->action = FAULT_RESET;
            out->applied = r->applied;
            break;
        case K_MALFORMED:
            out->action = FAULT_MALFORMED;
            out->malformed_invalid = r->invalid;
            break;
        default:
            break;
        }
    }
}

int faults_throttle(const fault_plan *p, const char *method, const char *path, int64_t now_ms)
{
    if (!p)
        return -1;
    char buf[2048];
    const char *pth = path_only(path, buf, sizeof buf);
    int lowest = -1;
    for (size_t i = 0; i < p->n; i++) {
        const rule *r = &p->rules[i];
        if (r->kind != K_THROTTLE || !active(r, now_ms) || !request_match(r, method, pth))
            continue;
        if (lowest < 0 || r->limit < lowest)
            lowest = r->limit;
    }
    return lowest;
}

void faults_decide_delivery(fault_plan *p, const char *topic, int64_t now_ms,
                            fault_delivery *out)
{
    memset(out, 0, sizeof *out);
    if (!p)
        return;
    if (!topic)
        topic = "";
    for (size_t i = 0; i < p->n; i++) {
        rule *r = &p->rules[i];
        if (!kinds[r->kind].delivery || !active(r, now_ms) || fnmatch(r->glob, topic, 0) != 0)
            continue;
        rng g;
        if (!roll(r, &g))
            continue;
        count_fired(r);
        switch (r->kind) {
        case K_DUPLICATE:
            out->copies += r->copies;
            break;
        case K_DELAY:
            out->delay_ms += draw_ms(r, &g);
            break;
        case K_REORDER:
            if (r->window > out->reorder_window_ms)
                out->reorder_window_ms = r->window;
            break;
        case K_DROP:
            out->drop = 1;
            break;
        default:
            break;
        }
    }
}

uint64_t faults_fired(const fault_plan *p, size_t i)
{
    if (!p || i >= p->n)
        return 0;
    return atomic_load_explicit(&p->rules[i].fired, memory_order_relaxed);
}

cJSON *faults_stats_json(const fault_plan *p)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; i < faults_count(p); i++) {
        const rule *r = &p->rules[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "rule", (double)i);
        if (r->name)
            cJSON_AddStringToObject(o, "name", r->name);
        cJSON_AddStringToObject(o, "kind", kinds[r->kind].name);
        cJSON_AddNumberToObject(o, "fired", (double)faults_fired(p, i));
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}
