/*
 * Webhook intake of a release bin/syncd: how many signed orders/paid
 * webhooks per second it accepts and durably queues, and how long a sender
 * waits for the acknowledgement at a steady 1,000 per second. The project's
 * targets: at least 10,000 per second, and p99 under 10 ms at 1,000 per
 * second, on two cores.
 *
 * syncd runs with a fresh store in a scratch directory and Cin7 and Shopify
 * URLs pointing at a port where nothing listens: it never becomes ready
 * (/healthz 503, catalogs cannot load), but intake works before that, and
 * that is the part measured. Each request is a realistic Shopify order
 * (about 1.3 KB) with its own order id, Webhook-Id and Event-Id, signed
 * with HMAC-SHA256 like Shopify signs it; requests are built before the
 * clock starts. The client is a minimal HTTP/1.1 one over keep-alive
 * sockets (blocking, one thread per connection), so its own cost stays
 * small next to the server's.
 *
 *   (a) throughput: --connections connections send --events webhooks as
 *       fast as acknowledgements come back (a closed model);
 *   (b) latency: --rate webhooks per second for --seconds, an open model:
 *       each request has an intended send time, and its latency counts
 *       from then, however late the connection got to send it (no
 *       coordinated omission).
 *
 * Afterwards syncd's /metrics must show every webhook queued. Figures are
 * printed, never asserted.
 *
 *   bench-syncd-intake [--syncd PATH] [--events N] [--connections N]
 *                      [--rate R] [--seconds S] [--dir DIR]
 */
#include "benchopt.h"
#include "clock.h"
#include "lb.h"
#include "pgcluster.h"
#include "hist.h"
#include "hmac.h"
#include "mem.h"
#include "proc.h"

#include <cJSON.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SHOP "bench.myshopify.com"
#define SECRET "bench-secret"
#define TARGET_RPS 10000.0
#define TARGET_P99_MS 10.0

/* Instances on PostgreSQL at most (--instances). */
#define MAX_INSTANCES 3

typedef struct {
    const char *syncd;
    long events, connections, rate, seconds;
    const char *dir; /* NULL: a fresh one under /tmp */
    int postgres;    /* also PostgreSQL with 1..instances instances */
    long instances;
} opts;

static const benchopt options[] = {
    {{"syncd", required_argument, NULL, 'S'}, "PATH", "the syncd binary (default bin/syncd)"},
    {{"events", required_argument, NULL, 'e'}, "N", "webhooks in the throughput run (default 40000)"},
    {{"connections", required_argument, NULL, 'c'}, "N", "keep-alive connections there (default 64)"},
    {{"rate", required_argument, NULL, 'r'}, "R", "webhooks per second in the latency run (default 1000)"},
    {{"seconds", required_argument, NULL, 's'}, "S", "length of the latency run (default 5)"},
    {{"dir", required_argument, NULL, 'd'}, "DIR", "scratch directory (default: mkdtemp in /tmp)"},
    {{"postgres", no_argument, NULL, 'P'}, NULL,
     "also on a throwaway PostgreSQL cluster, 1 to --instances instances behind HAProxy"},
    {{"instances", required_argument, NULL, 'i'}, "N", "instances at most with --postgres (1-3, default 3)"},
};
static const benchopt_cli cli = {"syncd webhook intake: throughput and acknowledgement latency",
                                 options, sizeof options / sizeof options[0], 18};
/* The largest count a flag takes. */
#define MAX_COUNT 10000000

static void set(void *ud, int val, const char *arg, const char *prog)
{
    opts *o = ud;
    switch (val) {
    case 'S': o->syncd = arg; break;
    case 'e': o->events = benchopt_positive(prog, "events", arg, MAX_COUNT); break;
    case 'c': o->connections = benchopt_positive(prog, "connections", arg, MAX_COUNT); break;
    case 'r': o->rate = benchopt_positive(prog, "rate", arg, MAX_COUNT); break;
    case 's': o->seconds = benchopt_positive(prog, "seconds", arg, MAX_COUNT); break;
    case 'd': o->dir = arg; break;
    case 'P': o->postgres = 1; break;
    case 'i': o->instances = benchopt_positive(prog, "instances", arg, MAX_INSTANCES); break;
    }
}

static void parse(int argc, char **argv, opts *o)
{
    *o = (opts){"bin/syncd", 40000, 64, 1000, 5, NULL, 0, MAX_INSTANCES};
    benchopt_parse(argc, argv, &cli, set, o);
    if (o->connections > 1024) {
        fprintf(stderr, "%s: --connections: at most 1024\n", argv[0]);
        benchopt_usage(stderr, argv[0], &cli);
        exit(2);
    }
}

/* ---- requests ---------------------------------------------------------------- */

typedef struct {
    char *text;
    size_t len;
} request;

/* A signed orders/paid delivery of order number n, as Shopify sends it. */
static request make_request(long run, long n)
{
    char body[2048];
    int blen = snprintf(
        body, sizeof body,
        "{\"id\":%ld,\"admin_graphql_api_id\":\"gid://shopify/Order/%ld\",\"name\":\"#%ld\","
        "\"order_number\":%ld,\"email\":\"shopper%ld@example.com\",\"created_at\":"
        "\"2026-11-23T10:00:00Z\",\"updated_at\":\"2026-11-23T10:00:00Z\",\"currency\":\"USD\","
        "\"financial_status\":\"paid\",\"fulfillment_status\":null,\"total_price\":\"59.90\","
        "\"subtotal_price\":\"59.90\",\"total_tax\":\"0.00\",\"test\":false,"
        "\"line_items\":[{\"id\":%ld1,\"variant_id\":45000000000001,\"product_id\":44000000000001,"
        "\"sku\":\"SKU-%04ld\",\"title\":\"Bench product\",\"quantity\":2,\"current_quantity\":2,"
        "\"price\":\"19.95\",\"fulfillable_quantity\":2,\"requires_shipping\":true,\"grams\":500},"
        "{\"id\":%ld2,\"variant_id\":45000000000002,\"product_id\":44000000000002,"
        "\"sku\":\"SKU-%04ld\",\"title\":\"Bench product 2\",\"quantity\":1,\"current_quantity\":1,"
        "\"price\":\"20.00\",\"fulfillable_quantity\":1,\"requires_shipping\":true,\"grams\":300}],"
        "\"shipping_address\":{\"first_name\":\"Ada\",\"last_name\":\"Shopper\",\"address1\":"
        "\"1 Bench St\",\"city\":\"Sydney\",\"province_code\":\"NSW\",\"zip\":\"2000\","
        "\"country_code\":\"AU\",\"latitude\":-33.87,\"longitude\":151.21},"
        "\"billing_address\":{\"first_name\":\"Ada\",\"last_name\":\"Shopper\",\"address1\":"
        "\"1 Bench St\",\"city\":\"Sydney\",\"zip\":\"2000\",\"country_code\":\"AU\"},"
        "\"customer\":{\"id\":%ld,\"email\":\"shopper%ld@example.com\",\"first_name\":\"Ada\"}}",
        5800000000000 + n, 5800000000000 + n, 1000 + n, 1000 + n, n, n, n % 1000, n,
        (n + 7) % 1000, 7000000000 + n, n);
    char sig[HMAC_SHA256_B64_SIZE];
    hmac_sha256_base64(SECRET, body, (size_t)blen, sig);
    request r;
    r.text = xasprintf(
                       "POST /webhooks/shopify HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                       "Content-Type: application/json\r\nUser-Agent: Shopify-Captain-Hook\r\n"
                       "X-Shopify-Topic: orders/paid\r\nX-Shopify-Shop-Domain: " SHOP "\r\n"
                       "X-Shopify-API-Version: 2026-10\r\nX-Shopify-Hmac-Sha256: %s\r\n"
                       "X-Shopify-Webhook-Id: bench-%ld-w%ld\r\nX-Shopify-Event-Id: bench-%ld-e%ld\r\n"
                       "X-Shopify-Triggered-At: 2026-11-23T10:00:00Z\r\n"
                       "Content-Length: %d\r\n\r\n%s",
                       sig, run, n, run, n, blen, body);
    r.len = strlen(r.text);
    return r;
}

/* ---- a minimal keep-alive HTTP/1.1 client -------------------------------------- */

typedef struct {
    int fd;
    uint16_t port;
    char buf[4096];
} conn;

static int conn_open(conn *c, uint16_t port)
{
    c->port = port;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return -1;
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    return 0;
}

static void conn_close(conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

/* Sends one request and reads its answer; returns the status, or -1 when
 * the connection failed (it is reopened for the next request). */
static int conn_do(conn *c, const request *r)
{
    if (c->fd < 0 && conn_open(c, c->port) != 0)
        return -1;
    for (size_t off = 0; off < r->len;) {
        ssize_t n = send(c->fd, r->text + off, r->len - off, MSG_NOSIGNAL);
        if (n <= 0) {
            conn_close(c);
            return -1;
        }
        off += (size_t)n;
    }
    size_t have = 0;
    char *end = NULL;
    while (!end) {
        if (have == sizeof c->buf - 1) {
            conn_close(c);
            return -1;
        }
        ssize_t n = recv(c->fd, c->buf + have, sizeof c->buf - 1 - have, 0);
        if (n <= 0) {
            conn_close(c);
            return -1;
        }
        have += (size_t)n;
        c->buf[have] = '\0';
        end = strstr(c->buf, "\r\n\r\n");
    }
    int status = 0;
    if (sscanf(c->buf, "HTTP/1.%*d %d", &status) != 1) {
        conn_close(c);
        return -1;
    }
    const char *cl = strcasestr(c->buf, "\r\nContent-Length:");
    size_t want = cl ? strtoul(cl + 17, NULL, 10) : 0;
    size_t got = have - (size_t)(end + 4 - c->buf);
    while (got < want) {
        ssize_t n = recv(c->fd, c->buf, sizeof c->buf - 1, 0);
        if (n <= 0) {
            conn_close(c);
            return -1;
        }
        got += (size_t)n;
    }
    return status;
}

/* ---- (a) the closed model: many connections, one thread, epoll --------------------- */

typedef struct {
    int fd;
    long req;        /* request in flight, -1 when idle */
    size_t sent;
    int64_t start_us;
    char buf[2048];
    size_t have;
} slot;

/* Starts request i on s (connect first when needed). Returns 0 or -1. */
static int slot_send(slot *s, int ep, uint16_t port, const request *r, long i)
{
    if (s->fd < 0) {
        conn c;
        if (conn_open(&c, port) != 0)
            return -1;
        s->fd = c.fd;
        int fl = fcntl(s->fd, F_GETFL);
        fcntl(s->fd, F_SETFL, fl | O_NONBLOCK);
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = s};
        epoll_ctl(ep, EPOLL_CTL_ADD, s->fd, &ev);
    }
    s->req = i;
    s->sent = 0;
    s->have = 0;
    s->start_us = clock_mono_us();
    while (s->sent < r->len) {
        ssize_t n = send(s->fd, r->text + s->sent, r->len - s->sent, MSG_NOSIGNAL);
        if (n > 0) {
            s->sent += (size_t)n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = s};
            epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &ev);
            return 0;
        }
        return -1;
    }
    return 0;
}

/* Reads what arrived; returns the status once the answer is complete, 0
 * while it is not, -1 on a broken connection. */
static int slot_recv(slot *s)
{
    for (;;) {
        if (s->have == sizeof s->buf - 1)
            return -1;
        ssize_t n = recv(s->fd, s->buf + s->have, sizeof s->buf - 1 - s->have, 0);
        if (n == 0)
            return -1;
        if (n < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1;
        s->have += (size_t)n;
        s->buf[s->have] = '\0';
        char *end = strstr(s->buf, "\r\n\r\n");
        if (!end)
            continue;
        const char *cl = strcasestr(s->buf, "\r\nContent-Length:");
        size_t want = cl ? strtoul(cl + 17, NULL, 10) : 0;
        if (s->have - (size_t)(end + 4 - s->buf) < want)
            continue;
        int status = 0;
        if (sscanf(s->buf, "HTTP/1.%*d %d", &status) != 1)
            return -1;
        return status;
    }
}

/* Sends requests [0, count) over n connections, each starting the next
 * request when its answer is in. Returns the wall time in seconds. */
static double run_closed(uint16_t port, const request *reqs, long count, long n, hist *h, long *ok,
                         long *failed)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    slot *slots = calloc((size_t)n, sizeof *slots);
    if (ep < 0 || !slots) {
        fprintf(stderr, "bench-syncd-intake: epoll or memory\n");
        exit(1);
    }
    *ok = *failed = 0;
    long next = 0, done = 0;
    int64_t t0 = clock_mono_us();
    for (long i = 0; i < n; i++) {
        slots[i].fd = -1;
        slots[i].req = -1;
        if (next < count && slot_send(&slots[i], ep, port, &reqs[next], next) == 0)
            next++;
    }
    struct epoll_event evs[256];
    while (done < next) {
        int k = epoll_wait(ep, evs, 256, 10000);
        if (k <= 0) {
            fprintf(stderr, "bench-syncd-intake: no answer for 10 s\n");
            break;
        }
        for (int e = 0; e < k; e++) {
            slot *s = evs[e].data.ptr;
            if (s->req < 0)
                continue;
            if ((evs[e].events & EPOLLOUT) && s->sent < reqs[s->req].len) {
                const request *r = &reqs[s->req];
                ssize_t m = send(s->fd, r->text + s->sent, r->len - s->sent, MSG_NOSIGNAL);
                if (m > 0)
                    s->sent += (size_t)m;
                if (s->sent == r->len) {
                    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = s};
                    epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &ev);
                }
                continue;
            }
            int st = slot_recv(s);
            if (st == 0)
                continue;
            hist_record(h, clock_mono_us() - s->start_us);
            done++;
            if (st == 200)
                (*ok)++;
            else
                (*failed)++;
            s->req = -1;
            if (st < 0) {
                epoll_ctl(ep, EPOLL_CTL_DEL, s->fd, NULL);
                close(s->fd);
                s->fd = -1;
            }
            if (next < count && slot_send(s, ep, port, &reqs[next], next) == 0)
                next++;
        }
    }
    double secs = (double)(clock_mono_us() - t0) / 1e6;
    for (long i = 0; i < n; i++)
        if (slots[i].fd >= 0)
            close(slots[i].fd);
    free(slots);
    close(ep);
    return secs;
}

/* ---- (b) the open model: one thread per connection, each on its schedule ----------- */

typedef struct {
    uint16_t port;
    const request *reqs;
    long from, to;     /* requests [from, to) ... */
    long step;         /* ... every step-th (clients interleave) */
    int64_t t0_us;     /* request i is due at t0 + i * gap */
    double gap_us;
    hist *h;
    long ok, failed;
} client;

static void *client_main(void *arg)
{
    client *c = arg;
    conn k = {.fd = -1, .port = c->port};
    for (long i = c->from; i < c->to; i += c->step) {
        int64_t due = c->t0_us + (int64_t)((double)i * c->gap_us);
        int64_t now = clock_mono_us();
        if (due > now) {
            struct timespec ts = {(due - now) / 1000000, (long)((due - now) % 1000000) * 1000};
            nanosleep(&ts, NULL);
        }
        int st = conn_do(&k, &c->reqs[i]);
        hist_record(c->h, clock_mono_us() - due);
        if (st == 200)
            c->ok++;
        else
            c->failed++;
    }
    conn_close(&k);
    return NULL;
}

/* Runs n clients over requests [from, from + count), request i due at
 * i * gap_us from the start; fills *merged, *ok and *failed. */
static void run_open(uint16_t port, const request *reqs, long from, long count, long n,
                     double gap_us, hist *merged, long *ok, long *failed)
{
    client *cs = calloc((size_t)n, sizeof *cs);
    pthread_t *th = calloc((size_t)n, sizeof *th);
    if (!cs || !th) {
        fprintf(stderr, "bench-syncd-intake: out of memory\n");
        exit(1);
    }
    int64_t t0 = clock_mono_us() + 20000; /* everyone connected first */
    for (long i = 0; i < n; i++) {
        cs[i] = (client){port, reqs + from, i, count, n, t0, gap_us, hist_new(), 0, 0};
        pthread_create(&th[i], NULL, client_main, &cs[i]);
    }
    *ok = *failed = 0;
    for (long i = 0; i < n; i++) {
        pthread_join(th[i], NULL);
        hist_merge(merged, cs[i].h);
        hist_free(cs[i].h);
        *ok += cs[i].ok;
        *failed += cs[i].failed;
    }
    free(cs);
    free(th);
}

/* ---- syncd ------------------------------------------------------------------------ */

/* A 127.0.0.1 port nothing listens on (bound, then closed). */
static unsigned dead_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &alen) != 0) {
        perror("bench-syncd-intake: bind 127.0.0.1:0");
        exit(1);
    }
    close(fd);
    return ntohs(a.sin_port);
}

/* One GET; the status, the body in buf (truncated to n). */
static int get(uint16_t port, const char *path, char *buf, size_t n)
{
    conn c = {.fd = -1, .port = port};
    char text[256];
    int len = snprintf(text, sizeof text, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                       path);
    if (conn_open(&c, port) != 0)
        return -1;
    send(c.fd, text, (size_t)len, MSG_NOSIGNAL);
    size_t have = 0;
    ssize_t r;
    while (have < n - 1 && (r = recv(c.fd, buf + have, n - 1 - have, 0)) > 0)
        have += (size_t)r;
    buf[have] = '\0';
    conn_close(&c);
    int status = 0;
    sscanf(buf, "HTTP/1.%*d %d", &status);
    return status;
}

static long metric(uint16_t port, const char *name)
{
    static char buf[1 << 16];
    if (get(port, "/metrics", buf, sizeof buf) != 200)
        return -1;
    /* At the start of a line: "# TYPE name ..." lines name it too. */
    char key[256];
    snprintf(key, sizeof key, "\n%s", name);
    const char *p = strstr(buf, key);
    return p ? strtol(p + strlen(key), NULL, 10) : -1;
}

/* ---- one configuration: the store, the instances, the address --------------------- */

/* What one configuration measured. */
typedef struct {
    char name[48];
    double rps, closed_p99, p50, p99;
    long ok, failed;
    int consistent; /* every acknowledged webhook counted queued */
} measured;

/* Writes instance i's config (store: a SQLite path or a conninfo) and
 * starts it. */
static int start_instance(const opts *o, const char *dir, const char *store, int i,
                          unsigned nowhere, proc **p, uint16_t *port)
{
    char path[512], log[512], err[512];
    snprintf(path, sizeof path, "%s/syncd-%d.json", dir, i + 1);
    snprintf(log, sizeof log, "%s/syncd-%d.log", dir, i + 1);
    cJSON *c = cJSON_CreateObject();
    cJSON_AddNumberToObject(c, "port", 0);
    cJSON_AddStringToObject(c, "store", store);
    cJSON_AddStringToObject(c, "log_level", "error");
    cJSON_AddStringToObject(c, "admin_token", "bench");
    char url[128];
    cJSON *c7 = cJSON_AddObjectToObject(c, "cin7");
    snprintf(url, sizeof url, "http://127.0.0.1:%u/ExternalApi/v2/", nowhere);
    cJSON_AddStringToObject(c7, "base_url", url);
    cJSON_AddStringToObject(c7, "account_id", "bench");
    cJSON_AddStringToObject(c7, "application_key", "bench-key");
    cJSON *shop = cJSON_CreateObject();
    snprintf(url, sizeof url, "http://127.0.0.1:%u", nowhere);
    cJSON_AddStringToObject(shop, "domain", SHOP);
    cJSON_AddStringToObject(shop, "base_url", url);
    cJSON_AddStringToObject(shop, "access_token", "shpat_bench");
    cJSON_AddStringToObject(shop, "api_secret", SECRET);
    cJSON_AddItemToArray(cJSON_AddArrayToObject(c, "shops"), shop);
    cJSON *loc = cJSON_CreateObject();
    cJSON_AddStringToObject(loc, "name", "Main");
    cJSON_AddItemToArray(cJSON_AddArrayToObject(c, "locations"), loc);
    char *text = cJSON_Print(c);
    cJSON_Delete(c);
    FILE *f = fopen(path, "w");
    int wrote = f && fputs(text, f) != EOF;
    if (f && fclose(f) != 0)
        wrote = 0;
    free(text);
    if (!wrote) {
        perror(path);
        return -1;
    }
    char flag[] = "--config";
    char *const args[] = {(char *)o->syncd, flag, path, NULL};
    if (proc_start(args, log, 1, 10000, p, port, err, sizeof err) != 0) {
        fprintf(stderr, "bench-syncd-intake: cannot start %s: %s\n", o->syncd, err);
        return -1;
    }
    return 0;
}

/* Runs (a) and (b) against n instances of syncd on store (SQLite when
 * conninfo is NULL: a file in dir, one instance, reached directly; else
 * that PostgreSQL database, the instances behind HAProxy). Requests
 * [0, total) are signed already; the last is the readiness probe. */
static int measure_config(const opts *o, const char *dir, const char *conninfo, int n,
                          const request *reqs, long total, measured *out)
{
    char store[600], err[600], buf[512];
    if (conninfo)
        snprintf(store, sizeof store, "%s", conninfo);
    else
        snprintf(store, sizeof store, "%s/syncd.db", dir);
    snprintf(out->name, sizeof out->name, "%s, %d instance%s", conninfo ? "PostgreSQL" : "SQLite",
             n, n == 1 ? "" : "s");
    unsigned nowhere = dead_port();
    proc *p[MAX_INSTANCES] = {0};
    uint16_t ports[MAX_INSTANCES] = {0};
    lb *b = NULL;
    int rc = -1, started = 0;
    for (; started < n; started++)
        if (start_instance(o, dir, store, started, nowhere, &p[started], &ports[started]) != 0)
            goto out;
    uint16_t port = ports[0];
    if (conninfo) {
        /* Instances that are not ready (nothing answers for Cin7 and
         * Shopify) still take webhooks: the balancer checks /metrics. */
        b = lb_start_checked(dir, ports, (size_t)n, 200, "/metrics", err, sizeof err);
        if (!b) {
            fprintf(stderr, "bench-syncd-intake: %s\n", err);
            goto out;
        }
        port = lb_port(b);
    }
    int health = get(ports[0], "/healthz", buf, sizeof buf);
    conn one = {.fd = -1, .port = port};
    int first = conn_do(&one, &reqs[total - 1]);
    conn_close(&one);
    printf("\n%s: syncd %s, store %s%s\n", out->name, o->syncd,
           conninfo ? "a throwaway PostgreSQL database" : store,
           conninfo ? ", through HAProxy (round robin)" : "");
    printf("before ready: /healthz %d, a signed webhook %d (%s)\n", health, first,
           health == 503 && first == 200 ? "intake works before the catalogs load" : "UNEXPECTED");
    if (first != 200)
        goto out;

    long n_lat = o->rate * o->seconds;
    hist *h = hist_new();
    long ok, failed;
    double secs = run_closed(port, reqs, o->events, o->connections, h, &ok, &failed);
    out->rps = (double)ok / secs;
    out->closed_p99 = (double)hist_percentile(h, 99) / 1000.0;
    printf("(a) throughput: %ld signed orders/paid webhooks over %ld keep-alive connections\n",
           o->events, o->connections);
    printf("    %.0f accepted/s (%ld ok, %ld failed, %.2f s); latency p50 %.2f ms, p99 %.2f ms\n",
           out->rps, ok, failed, secs, (double)hist_percentile(h, 50) / 1000.0, out->closed_p99);
    printf("    target >= %.0f/s: %s\n", TARGET_RPS, out->rps >= TARGET_RPS ? "met" : "MISSED");
    hist_reset(h);

    long ok2, failed2;
    long conns = o->rate / 100 > 4 ? o->rate / 100 : 4;
    run_open(port, reqs, o->events, n_lat, conns > 64 ? 64 : conns, 1e6 / (double)o->rate, h,
             &ok2, &failed2);
    out->p50 = (double)hist_percentile(h, 50) / 1000.0;
    out->p99 = (double)hist_percentile(h, 99) / 1000.0;
    printf("(b) latency: %ld/s for %ld s, open model (from each request's intended send time)\n",
           o->rate, o->seconds);
    printf("    ack p50 %.2f ms, p99 %.2f ms, max %.2f ms (%ld ok, %ld failed)\n", out->p50,
           out->p99, (double)hist_max(h) / 1000.0, ok2, failed2);
    printf("    target p99 < %.0f ms: %s\n", TARGET_P99_MS, out->p99 < TARGET_P99_MS ? "met" : "MISSED");
    hist_free(h);

    /* Every acknowledged webhook is in the queue (nothing takes them: no
     * instance is ready, so no worker leases). Each instance counts what
     * it took; the queue is one for all. */
    long queued = 0;
    for (int i = 0; i < n; i++)
        queued += metric(ports[i], "syncd_webhooks_total{source=\"shopify\",result=\"queued\"} ");
    long depth = metric(ports[0], "syncd_queue_depth ");
    long want = ok + ok2 + 1;
    out->ok = ok + ok2;
    out->failed = failed + failed2;
    out->consistent = queued == want && depth == want;
    printf("syncd counted %ld queued, queue depth %ld, acknowledged %ld: %s\n", queued, depth, want,
           out->consistent ? "every acknowledged webhook is queued" : "MISMATCH");
    rc = out->consistent && !failed && !failed2 ? 0 : -1;
out:
    lb_stop(b);
    for (int i = 0; i < started; i++) {
        int st = proc_stop(p[i], 10000);
        if (st != 0) {
            fprintf(stderr, "bench-syncd-intake: syncd %d did not stop cleanly (status %d), "
                            "log %s/syncd-%d.log\n", i + 1, st, dir, i + 1);
            rc = -1;
        }
    }
    return rc;
}

/* Removes what a configuration left in dir (configs, logs, the SQLite
 * files, HAProxy's). */
static void clean_dir(const char *dir)
{
    static const char *const files[] = {"syncd.db", "syncd.db-wal", "syncd.db-shm",
                                        "haproxy.cfg", "haproxy.log"};
    char path[600];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    for (int i = 1; i <= MAX_INSTANCES; i++) {
        snprintf(path, sizeof path, "%s/syncd-%d.json", dir, i);
        unlink(path);
        snprintf(path, sizeof path, "%s/syncd-%d.log", dir, i);
        unlink(path);
    }
}

int main(int argc, char **argv)
{
    opts o;
    parse(argc, argv, &o);
    signal(SIGPIPE, SIG_IGN);
    char dir[256], err[600];
    if (o.dir) {
        snprintf(dir, sizeof dir, "%s", o.dir);
    } else {
        snprintf(dir, sizeof dir, "/tmp/surge-intake-bench-XXXXXX");
        if (!mkdtemp(dir)) {
            perror("mkdtemp");
            return 1;
        }
    }

    /* Requests for both runs, signed before any clock starts; every
     * configuration gets the same ones on a fresh store. */
    long n_lat = o.rate * o.seconds;
    long total = o.events + n_lat + 1;
    request *reqs = calloc((size_t)total, sizeof *reqs);
    if (!reqs) {
        fprintf(stderr, "%s: out of memory\n", argv[0]);
        return 1;
    }
    long run = (long)getpid();
    for (long i = 0; i < total; i++)
        reqs[i] = make_request(run, i);

    /* The configurations: SQLite alone, or beside PostgreSQL with 1..N
     * instances (a fresh database each) on one throwaway cluster. */
    int n_cfg = 1 + (o.postgres ? (int)o.instances : 0);
    measured res[1 + MAX_INSTANCES];
    memset(res, 0, sizeof res);
    int rc = 0;
    pgcluster *pg = NULL;
    if (o.postgres) {
        pgcluster_opts po = {.dbname = "bench_1"};
        if (pgcluster_start(&po, &pg, err, sizeof err) != 0) {
            fprintf(stderr, "%s: cannot start PostgreSQL: %s\n", argv[0], err);
            return 1;
        }
    }
    for (int c = 0; c < n_cfg; c++) {
        char conninfo[600];
        if (c > 0) {
            char db[32];
            snprintf(db, sizeof db, "bench_%d", c);
            if (c == 1)
                snprintf(conninfo, sizeof conninfo, "%s", pgcluster_conninfo(pg));
            else if (pgcluster_add_db(pg, db, conninfo, sizeof conninfo, err, sizeof err) != 0) {
                fprintf(stderr, "%s: %s\n", argv[0], err);
                rc = 1;
                break;
            }
        }
        if (measure_config(&o, dir, c ? conninfo : NULL, c ? c : 1, reqs, total, &res[c]) != 0)
            rc = 1;
        if (!o.dir)
            clean_dir(dir);
    }
    if (n_cfg > 1) {
        printf("\nintake by store and instances (same requests, same run; ratios against "
               "SQLite, 1 instance):\n");
        printf("  %-26s %12s %8s %14s %8s\n", "", "accepted/s", "ratio", "ack p99 (b)", "ratio");
        for (int c = 0; c < n_cfg; c++)
            printf("  %-26s %12.0f %7.2fx %11.2f ms %7.2fx\n", res[c].name, res[c].rps,
                   res[0].rps > 0 ? res[c].rps / res[0].rps : 0, res[c].p99,
                   res[0].p99 > 0 ? res[c].p99 / res[0].p99 : 0);
        printf("  (PostgreSQL commits each webhook in a transaction of its own; the instances "
               "share the two cores with the server, HAProxy and this driver)\n");
    }
    if (pg && pgcluster_stop(pg, 10000, err, sizeof err) != 0)
        fprintf(stderr, "%s: %s\n", argv[0], err);
    for (long i = 0; i < total; i++)
        free(reqs[i].text);
    free(reqs);
    if (!o.dir && rc == 0)
        rmdir(dir);
    else if (!o.dir)
        fprintf(stderr, "%s: kept %s (syncd's stores and logs)\n", argv[0], dir);
    return rc;
}
