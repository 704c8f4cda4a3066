/*
 * The HTTP server wrapper over libmicrohttpd; see httpd.h.
 *
 * MHD calls the access handler several times per request: once with the
 * headers, once per chunk of body, once more when the body is complete, and
 * again after a suspended connection is resumed. The request object hung on
 * con_cls carries the state across those calls. Held answers (latency and
 * timeout faults) suspend the connection and sit in a heap that one timer
 * thread drains, so a held request costs no pool thread.
 */
#include "httpd.h"

#include "clock.h"
#include "json.h"
#include "log.h"
#include "mem.h"
#include "sbuf.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define MAX_CAPTURES 8
#define DEFAULT_BODY_CAP (1024 * 1024)
#define DEFAULT_DEADLINE_MS 10000
#define DEFAULT_MAX_CONNECTIONS 256

typedef struct {
    char *method;
    char *pattern;
    httpd_handler fn;
    void *ud;
    httpd_filter gate; /* NULL: none */
    void *gate_ud;
} route;

typedef struct {
    int64_t due_us; /* CLOCK_MONOTONIC */
    httpd_req *req;
} held;

struct httpd {
    route *routes;
    size_t n_routes, cap_routes;
    httpd_filter filter;
    void *filter_ud;
    httpd_handler post;
    void *post_ud;
    httpd_done_fn done;
    void *done_ud;
    httpd_handler not_found;
    void *not_found_ud;
    char *too_large_body;
    size_t body_cap;
    int64_t deadline_us;    /* receiving one request, real time */
    unsigned idle_timeout_s;
    int ignore_case; /* route patterns match whatever the ASCII case */
    struct MHD_Daemon *daemon;
    uint16_t port;

    /* Held (suspended) connections, a min-heap on due_us. */
    pthread_mutex_t lock;
    pthread_cond_t cv;
    held *heap;
    size_t n_held, cap_held;
    size_t n_suspended; /* suspended and not yet back in the handler */
    int timer_running, stopping;
    pthread_t timer;
};

enum { PH_HEADERS, PH_BODY, PH_HELD, PH_RESUMED };

struct httpd_req {
    httpd *srv;
    struct MHD_Connection *conn;
    char *method;
    char *path;
    const route *rt;
    int n_caps;
    char *cap_name[MAX_CAPTURES];
    char *cap_value[MAX_CAPTURES];
    sbuf body;
    int too_large;
    int phase;
    int64_t start_us; /* CLOCK_MONOTONIC when its headers were in */
    /* the answer */
    int status;
    char *ctype;
    char *resp;
    size_t resp_len;
    sbuf headers; /* "name\0value\0" pairs */
    double delay_ms;
    int reset;
    int sent_status;
    void *user;
};

/* ---- setup ---------------------------------------------------------------- */

httpd *httpd_new(void)
{
    httpd *s = xcalloc(1, sizeof *s);
    pthread_mutex_init(&s->lock, NULL);
    clock_cond_init(&s->cv);
    return s;
}

void httpd_route(httpd *s, const char *method, const char *pattern, httpd_handler fn, void *ud)
{
    if (s->n_routes == s->cap_routes) {
        s->cap_routes = s->cap_routes ? s->cap_routes * 2 : 16;
        s->routes = xrealloc(s->routes, s->cap_routes * sizeof *s->routes);
    }
    route *r = &s->routes[s->n_routes++];
    r->method = xstrdup(method);
    r->pattern = xstrdup(pattern);
    r->fn = fn;
    r->ud = ud;
    r->gate = NULL;
    r->gate_ud = NULL;
}

int httpd_route_gate(httpd *s, const char *method, const char *pattern, httpd_filter fn, void *ud)
{
    for (size_t i = 0; i < s->n_routes; i++) {
        route *r = &s->routes[i];
        if (strcmp(r->method, method) == 0 && strcmp(r->pattern, pattern) == 0) {
            r->gate = fn;
            r->gate_ud = ud;
            return 0;
        }
    }
    return -1;
}

void httpd_set_filter(httpd *s, httpd_filter fn, void *ud)
{
    s->filter = fn;
    s->filter_ud = ud;
}

void httpd_set_post(httpd *s, httpd_handler fn, void *ud)
{
    s->post = fn;
    s->post_ud = ud;
}

void httpd_set_done(httpd *s, httpd_done_fn fn, void *ud)
{
    s->done = fn;
    s->done_ud = ud;
}

void httpd_set_not_found(httpd *s, httpd_handler fn, void *ud)
{
    s->not_found = fn;
    s->not_found_ud = ud;
}

void httpd_set_ignore_case(httpd *s, int on)
{
    s->ignore_case = on != 0;
}

void httpd_set_too_large_body(httpd *s, const char *json)
{
    free(s->too_large_body);
    s->too_large_body = json ? xstrdup(json) : NULL;
}

/* ---- route matching ------------------------------------------------------- */

/* Matches path against pattern, filling captures into r when r is given,
 * literal characters compared ignoring ASCII case when ci is set. Returns 1
 * on a match. */
static int match(const char *pat, const char *path, int ci, httpd_req *r)
{
    int n = 0;
    while (*pat) {
        if (pat[0] == '*' && pat[1] == '\0') {
            if (r && n < MAX_CAPTURES) {
                r->cap_name[n] = xstrdup("*");
                r->cap_value[n] = xstrdup(path);
                n++;
            }
            path += strlen(path);
            pat++;
            break;
        }
        if (*pat == '{') {
            const char *close = strchr(pat, '}');
            if (!close)
                return 0;
            char stop = close[1];
            const char *start = path;
            while (*path && *path != '/' && (stop == '\0' || stop == '/' || *path != stop))
                path++;
            if (path == start)
                goto no;
            if (r && n < MAX_CAPTURES) {
                r->cap_name[n] = xstrndup(pat + 1, (size_t)(close - pat - 1));
                r->cap_value[n] = xstrndup(start, (size_t)(path - start));
                n++;
            }
            pat = close + 1;
            continue;
        }
        if (ci ? tolower((unsigned char)*pat) != tolower((unsigned char)*path) : *pat != *path)
            goto no;
        pat++;
        path++;
    }
    if (*path)
        goto no;
    if (r)
        r->n_caps = n;
    return 1;
no:
    if (r)
        for (int i = 0; i < n; i++) {
            free(r->cap_name[i]);
            free(r->cap_value[i]);
            r->cap_name[i] = r->cap_value[i] = NULL;
        }
    return 0;
}

static void default_not_found(httpd_req *r, void *ud)
{
    (void)ud;
    httpd_reply_json_text(r, 404, "{\"error\":\"not found\"}");
}

static void dispatch(httpd *s, httpd_req *r)
{
    if (s->filter && s->filter(r, s->filter_ud))
        return;
    sbuf allow = SBUF_INIT;
    for (size_t i = 0; i < s->n_routes; i++) {
        const route *rt = &s->routes[i];
        int method_ok = strcmp(rt->method, "*") == 0 || strcmp(rt->method, r->method) == 0;
        if (!method_ok) {
            if (match(rt->pattern, r->path, s->ignore_case, NULL)) {
                if (allow.len)
                    sbuf_puts(&allow, ", ");
                sbuf_puts(&allow, rt->method);
            }
            continue;
        }
        if (match(rt->pattern, r->path, s->ignore_case, r)) {
            r->rt = rt;
            sbuf_free(&allow);
            rt->fn(r, rt->ud);
            if (s->post)
                s->post(r, s->post_ud);
            return;
        }
    }
    if (allow.len) {
        httpd_add_header(r, "Allow", sbuf_str(&allow));
        httpd_reply_json_text(r, 405, "{\"error\":\"method not allowed\"}");
    } else if (s->not_found) {
        s->not_found(r, s->not_found_ud);
    } else {
        default_not_found(r, NULL);
    }
    sbuf_free(&allow);
}

/* ---- held connections ----------------------------------------------------- */

static void heap_push(httpd *s, held h)
{
    if (s->n_held == s->cap_held) {
        s->cap_held = s->cap_held ? s->cap_held * 2 : 64;
        s->heap = xrealloc(s->heap, s->cap_held * sizeof *s->heap);
    }
    size_t i = s->n_held++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (s->heap[p].due_us <= h.due_us)
            break;
        s->heap[i] = s->heap[p];
        i = p;
    }
    s->heap[i] = h;
}

static held heap_pop(httpd *s)
{
    held top = s->heap[0];
    held last = s->heap[--s->n_held];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= s->n_held)
            break;
        if (c + 1 < s->n_held && s->heap[c + 1].due_us < s->heap[c].due_us)
            c++;
        if (last.due_us <= s->heap[c].due_us)
            break;
        s->heap[i] = s->heap[c];
        i = c;
    }
    if (s->n_held)
        s->heap[i] = last;
    return top;
}

static void *timer_main(void *arg)
{
    httpd *s = arg;
    pthread_mutex_lock(&s->lock);
    while (!s->stopping) {
        if (s->n_held == 0) {
            pthread_cond_wait(&s->cv, &s->lock);
            continue;
        }
        int64_t now = clock_mono_us();
        if (s->heap[0].due_us > now) {
            int64_t due = s->heap[0].due_us;
            struct timespec ts = {(time_t)(due / 1000000), (long)(due % 1000000) * 1000};
            pthread_cond_timedwait(&s->cv, &s->lock, &ts);
            continue;
        }
        held h = heap_pop(s);
        h.req->phase = PH_RESUMED;
        MHD_resume_connection(h.req->conn);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

static void hold(httpd *s, httpd_req *r)
{
    held h = {clock_mono_us() + (int64_t)(r->delay_ms * 1000.0), r};
    pthread_mutex_lock(&s->lock);
    r->phase = PH_HELD;
    MHD_suspend_connection(r->conn);
    s->n_suspended++;
    heap_push(s, h);
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->lock);
}

/* ---- answering ------------------------------------------------------------ */

static enum MHD_Result send_answer(httpd_req *r)
{
    if (r->reset)
        return MHD_NO; /* MHD closes the connection without an answer */
    /* Back to the keep-alive inactivity timeout the deadline shortened. */
    MHD_set_connection_option(r->conn, MHD_CONNECTION_OPTION_TIMEOUT, r->srv->idle_timeout_s);
    if (r->status == 0) {
        log_error("handler for %s %s gave no answer", r->method, r->path);
        httpd_reply_json_text(r, 500, "{\"error\":\"handler gave no answer\"}");
    }
    struct MHD_Response *resp;
    if (r->resp) {
        resp = MHD_create_response_from_buffer(r->resp_len, r->resp, MHD_RESPMEM_MUST_FREE);
        r->resp = NULL;
    } else {
        resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    }
    if (!resp)
        return MHD_NO;
    if (r->ctype)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->ctype);
    for (size_t off = 0; off < r->headers.len;) {
        const char *name = r->headers.data + off;
        const char *value = name + strlen(name) + 1;
        MHD_add_response_header(resp, name, value);
        off = (size_t)(value + strlen(value) + 1 - r->headers.data);
    }
    enum MHD_Result rc = MHD_queue_response(r->conn, (unsigned)r->status, resp);
    MHD_destroy_response(resp);
    if (rc == MHD_YES)
        r->sent_status = r->status;
    return rc;
}

static void too_large(httpd *s, httpd_req *r)
{
    httpd_reply_json_text(r, 413, s->too_large_body ? s->too_large_body
                                                    : "{\"error\":\"request body too large\"}");
}

/* The route a request will take (first match of method and path), or NULL;
 * captures are left for dispatch to fill. */
static const route *route_of(const httpd *s, const char *method, const char *path)
{
    for (size_t i = 0; i < s->n_routes; i++) {
        const route *rt = &s->routes[i];
        if ((strcmp(rt->method, "*") == 0 || strcmp(rt->method, method) == 0) &&
            match(rt->pattern, path, s->ignore_case, NULL))
            return rt;
    }
    return NULL;
}

static int past_deadline(const httpd *s, const httpd_req *r)
{
    return clock_mono_us() - r->start_us > s->deadline_us;
}

/* Answers 408 for a request still arriving at its deadline. MHD can answer
 * only before the body starts; later, the connection is closed unanswered
 * (MHD_NO), which is what a client that slow gets either way. */
static enum MHD_Result cut_at_deadline(httpd *s, httpd_req *r)
{
    log_warn("%s %s: request not received within %lld ms; cut", r->method, r->path,
             (long long)(s->deadline_us / 1000));
    r->too_large = 1; /* keep no more of the body */
    sbuf_free(&r->body);
    httpd_reply_json_text(r, 408, "{\"error\":\"request not received within the deadline\"}");
    return send_answer(r);
}

/* The first call, headers known and no body read: refuses what it can now
 * (a declared body over the cap, a route's gate), so the body is never
 * read, and arms the deadline. */
static enum MHD_Result on_headers(httpd *s, httpd_req *r)
{
    r->start_us = clock_mono_us();
    const char *cl = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
                                                 MHD_HTTP_HEADER_CONTENT_LENGTH);
    if (cl && strtoull(cl, NULL, 10) > s->body_cap) {
        /* Refuse before reading: MHD then closes the connection after the
         * answer instead of reading a body nobody will use. */
        r->too_large = 1;
        too_large(s, r);
        return send_answer(r);
    }
    const route *rt = route_of(s, r->method, r->path);
    if (rt && rt->gate && rt->gate(r, rt->gate_ud)) {
        r->too_large = 1; /* whatever body follows is not kept */
        return send_answer(r);
    }
    /* A client that goes silent mid-body is dropped by MHD's inactivity
     * timeout: shortened to the deadline until the answer restores it. */
    unsigned secs = (unsigned)((s->deadline_us + 999999) / 1000000);
    if (secs < s->idle_timeout_s)
        MHD_set_connection_option(r->conn, MHD_CONNECTION_OPTION_TIMEOUT, secs);
    return MHD_YES;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version,
                                 const char *upload_data, size_t *upload_size, void **con_cls)
{
    (void)version;
    httpd *s = cls;
    httpd_req *r = *con_cls;
    if (!r) {
        r = xcalloc(1, sizeof *r);
        r->srv = s;
        r->conn = conn;
        r->method = xstrdup(method);
        r->path = xstrdup(url);
        r->phase = PH_HEADERS;
        *con_cls = r;
        return on_headers(s, r);
    }
    if (r->phase == PH_RESUMED) {
        pthread_mutex_lock(&s->lock);
        s->n_suspended--;
        pthread_mutex_unlock(&s->lock);
        r->phase = PH_BODY;
        return send_answer(r);
    }
    if (*upload_size) {
        r->phase = PH_BODY;
        if (!r->sent_status && !r->status && past_deadline(s, r)) {
            *upload_size = 0;
            return cut_at_deadline(s, r);
        }
        if (!r->too_large) {
            if (r->body.len + *upload_size > s->body_cap) {
                r->too_large = 1;
                sbuf_free(&r->body);
            } else {
                sbuf_append(&r->body, upload_data, *upload_size);
            }
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (r->sent_status)
        return MHD_YES; /* answered early (413 on Content-Length, a gate) */
    if (r->too_large) {
        too_large(s, r);
        return send_answer(r);
    }
    dispatch(s, r);
    if (r->delay_ms > 0) {
        if (!r->status)
            r->reset = 1; /* held with no answer: a timeout for the client */
        hold(s, r);
        return MHD_YES;
    }
    return send_answer(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    httpd *s = cls;
    httpd_req *r = *con_cls;
    if (!r)
        return;
    int status = toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? r->sent_status : 0;
    if (s->done)
        s->done(r, status, s->done_ud);
    free(r->method);
    free(r->path);
    for (int i = 0; i < r->n_caps; i++) {
        free(r->cap_name[i]);
        free(r->cap_value[i]);
    }
    sbuf_free(&r->body);
    sbuf_free(&r->headers);
    free(r->ctype);
    free(r->resp);
    free(r);
    *con_cls = NULL;
}

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    sbuf b = SBUF_INIT;
    sbuf_vprintf(&b, fmt, ap);
    /* MHD reports every deliberate reset (httpd_reset) this way. */
    if (strncmp(sbuf_str(&b), "Application reported internal error", 35) == 0) {
        sbuf_free(&b);
        return;
    }
    while (b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r'))
        b.data[--b.len] = '\0';
    log_warn("libmicrohttpd: %s", sbuf_str(&b));
    sbuf_free(&b);
}

/* ---- start and stop ------------------------------------------------------- */

int httpd_start(httpd *s, const httpd_config *cfg, char *err, size_t errlen)
{
    httpd_config c = cfg ? *cfg : (httpd_config){0};
    const char *bind = c.bind ? c.bind : "127.0.0.1";
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons(c.port);
    if (inet_pton(AF_INET, bind, &addr.sin_addr) != 1) {
        snprintf(err, errlen, "bad bind address \"%s\" (expected an IPv4 address such as 127.0.0.1)",
                 bind);
        return -1;
    }
    s->body_cap = c.body_cap ? c.body_cap : DEFAULT_BODY_CAP;
    unsigned threads = c.threads ? c.threads : 2;
    unsigned idle = c.idle_timeout_s ? c.idle_timeout_s : 60;
    s->idle_timeout_s = idle;
    s->deadline_us = (int64_t)(c.request_deadline_ms ? c.request_deadline_ms : DEFAULT_DEADLINE_MS) *
                     1000;
    unsigned max_conn = c.max_connections ? c.max_connections : DEFAULT_MAX_CONNECTIONS;
    /* MHD splits the limit among the pool's threads; each needs one. */
    if (max_conn < threads)
        max_conn = threads;

    s->stopping = 0;
    if (pthread_create(&s->timer, NULL, timer_main, s) != 0) {
        snprintf(err, errlen, "cannot start the timer thread");
        return -1;
    }
    s->timer_running = 1;
    /* MHD_USE_ITC: at the connection limit MHD stops accepting, so more
     * clients wait in the backlog rather than being accepted and closed. */
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ITC;
    /* The port is also MHD's own argument (the socket address wins), so
     * its messages name the port asked for rather than 0. */
    s->daemon = MHD_start_daemon(
        flags, c.port, NULL, NULL, on_access, s,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, NULL, /* first, so it sees every message */
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_THREAD_POOL_SIZE, threads,
        MHD_OPTION_CONNECTION_TIMEOUT, idle,
        MHD_OPTION_CONNECTION_LIMIT, max_conn,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, c.max_connections_per_ip,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
        MHD_OPTION_END);
    if (!s->daemon) {
        snprintf(err, errlen, "cannot listen on %s:%u (address in use or not available?)", bind,
                 (unsigned)c.port);
        httpd_stop(s);
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : c.port;
    return 0;
}

uint16_t httpd_port(const httpd *s)
{
    return s->port;
}

void httpd_stop(httpd *s)
{
    /* Quiescing hands the listening socket back to us: closing it at once
     * makes new clients fail to connect rather than wait in the backlog. */
    if (s->daemon) {
        MHD_socket fd = MHD_quiesce_daemon(s->daemon);
        if (fd != MHD_INVALID_SOCKET)
            close(fd);
    }
    /* MHD refuses to stop with suspended connections: drop every held one
     * and wait (briefly) until MHD has taken them back. */
    pthread_mutex_lock(&s->lock);
    s->stopping = 1;
    while (s->n_held) {
        held h = heap_pop(s);
        h.req->reset = 1;
        h.req->phase = PH_RESUMED;
        MHD_resume_connection(h.req->conn);
    }
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->lock);
    if (s->timer_running) {
        pthread_join(s->timer, NULL);
        s->timer_running = 0;
    }
    for (int i = 0; i < 500; i++) {
        pthread_mutex_lock(&s->lock);
        size_t left = s->n_suspended;
        pthread_mutex_unlock(&s->lock);
        if (!left || !s->daemon)
            break;
        struct timespec nap = {0, 2 * 1000 * 1000};
        nanosleep(&nap, NULL);
    }
    if (s->daemon) {
        MHD_stop_daemon(s->daemon);
        s->daemon = NULL;
    }
}

void httpd_free(httpd *s)
{
    if (!s)
        return;
    httpd_stop(s);
    for (size_t i = 0; i < s->n_routes; i++) {
        free(s->routes[i].method);
        free(s->routes[i].pattern);
    }
    free(s->routes);
    free(s->heap);
    free(s->too_large_body);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cv);
    free(s);
}

/* ---- request accessors ---------------------------------------------------- */

const char *httpd_method(const httpd_req *r)
{
    return r->method;
}

const char *httpd_path(const httpd_req *r)
{
    return r->path;
}

const char *httpd_route_pattern(const httpd_req *r)
{
    return r->rt ? r->rt->pattern : NULL;
}

const char *httpd_capture(const httpd_req *r, const char *name)
{
    for (int i = 0; i < r->n_caps; i++)
        if (strcmp(r->cap_name[i], name) == 0)
            return r->cap_value[i];
    return NULL;
}

const char *httpd_query(const httpd_req *r, const char *key)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

typedef struct {
    const char *key;
    const char *found;
} ci_lookup;

static enum MHD_Result ci_visit(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
    (void)kind;
    ci_lookup *l = cls;
    if (key && strcasecmp(key, l->key) == 0) {
        l->found = value ? value : "";
        return MHD_NO;
    }
    return MHD_YES;
}

const char *httpd_query_ci(const httpd_req *r, const char *key)
{
    ci_lookup l = {key, NULL};
    MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, ci_visit, &l);
    return l.found;
}

const char *httpd_header(const httpd_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *httpd_body(const httpd_req *r, size_t *len)
{
    if (len)
        *len = r->body.len;
    return sbuf_str(&r->body);
}

void httpd_set_user(httpd_req *r, void *p)
{
    r->user = p;
}

void *httpd_user(const httpd_req *r)
{
    return r->user;
}

/* ---- answers -------------------------------------------------------------- */

void httpd_add_header(httpd_req *r, const char *name, const char *value)
{
    sbuf_append(&r->headers, name, strlen(name) + 1);
    sbuf_append(&r->headers, value, strlen(value) + 1);
}

void httpd_reply_take(httpd_req *r, int status, const char *content_type, char *body, size_t len)
{
    free(r->resp);
    free(r->ctype);
    r->status = status;
    r->ctype = content_type ? xstrdup(content_type) : NULL;
    r->resp = body;
    r->resp_len = body ? len : 0;
}

void httpd_reply(httpd_req *r, int status, const char *content_type, const char *body, size_t len)
{
    char *copy = NULL;
    if (body) {
        copy = xmalloc(len + 1);
        memcpy(copy, body, len);
        copy[len] = '\0';
    }
    httpd_reply_take(r, status, content_type, copy, len);
}

void httpd_reply_json_text(httpd_req *r, int status, const char *json)
{
    httpd_reply(r, status, "application/json; charset=utf-8", json, strlen(json));
}

void httpd_reply_json(httpd_req *r, int status, const cJSON *json)
{
    char *text = json_print(json);
    httpd_reply_take(r, status, "application/json; charset=utf-8", text, strlen(text));
}

void httpd_reply_error(httpd_req *r, int status, const char *msg)
{
    sbuf b = SBUF_INIT;
    sbuf_puts(&b, "{\"error\":");
    sbuf_json_str(&b, msg);
    sbuf_putc(&b, '}');
    httpd_reply_json_text(r, status, sbuf_str(&b));
    sbuf_free(&b);
}

int httpd_arg_u64(httpd_req *r, const char *name, const char *s, uint64_t lo, uint64_t hi,
                  uint64_t *out)
{
    size_t n = s ? strlen(s) : 0;
    errno = 0;
    unsigned long long v = n && strspn(s, "0123456789") == n ? strtoull(s, NULL, 10) : 0;
    if (n && strspn(s, "0123456789") == n && errno != ERANGE && v >= lo && v <= hi) {
        *out = v;
        return 0;
    }
    sbuf b = SBUF_INIT;
    sbuf_printf(&b, "%s: expected an integer from %llu to %llu, got \"%.40s%s\"", name,
                (unsigned long long)lo, (unsigned long long)hi, s ? s : "", n > 40 ? "..." : "");
    httpd_reply_error(r, 400, sbuf_str(&b));
    sbuf_free(&b);
    return -1;
}

int httpd_status(const httpd_req *r)
{
    return r->status;
}

const char *httpd_answer(const httpd_req *r, size_t *len)
{
    if (len)
        *len = r->resp ? r->resp_len : 0;
    return r->resp;
}

void httpd_delay(httpd_req *r, double real_ms)
{
    if (real_ms > 0)
        r->delay_ms += real_ms;
}

void httpd_reset(httpd_req *r)
{
    r->reset = 1;
}

/* ---- the route table ------------------------------------------------------ */

size_t httpd_route_count(const httpd *s)
{
    return s->n_routes;
}

int httpd_route_get(const httpd *s, size_t i, const char **method, const char **pattern)
{
    if (i >= s->n_routes)
        return -1;
    *method = s->routes[i].method;
    *pattern = s->routes[i].pattern;
    return 0;
}
