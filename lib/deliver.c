/* The webhook sender pool; see deliver.h. Queued attempts sit in one
 * min-heap ordered by due time (then by submission, so equal times go out in
 * order); sender threads sleep on a condvar until the earliest is due. */
#include "deliver.h"

#include "mem.h"
#include "rng.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    deliver_msg m;
    char **headers; /* owned copy; m.headers points here */
    int refs;       /* copies and attempts sharing this message */
} shared_msg;

typedef struct {
    int64_t due;    /* sim ms */
    uint64_t order;
    shared_msg *sm;
    int copy;
    int attempt;    /* the attempt this entry will make */
    int drop;
} item;

struct deliverer {
    deliver_config cfg;
    int64_t *waits;
    const sclock *clk;
    deliver_cb cb;
    void *ud;
    pthread_mutex_t lock;
    pthread_cond_t cv;
    item *heap;
    size_t n, cap;
    size_t in_flight;
    uint64_t next_order;
    rng g;
    int stopping;
    pthread_t *threads;
    unsigned n_threads;
};

static shared_msg *msg_copy(const deliver_msg *m)
{
    shared_msg *s = xcalloc(1, sizeof *s);
    size_t nh = 0;
    while (m->headers && m->headers[nh])
        nh++;
    s->headers = xcalloc(nh + 1, sizeof *s->headers);
    for (size_t i = 0; i < nh; i++)
        s->headers[i] = xstrdup(m->headers[i]);
    s->m.id = xstrdup(m->id ? m->id : "");
    s->m.topic = xstrdup(m->topic ? m->topic : "");
    s->m.url = xstrdup(m->url);
    s->m.headers = (const char *const *)s->headers;
    char *body = xmalloc(m->body_len + 1);
    if (m->body_len)
        memcpy(body, m->body, m->body_len);
    body[m->body_len] = '\0';
    s->m.body = body;
    s->m.body_len = m->body_len;
    s->m.sub_id = m->sub_id;
    return s;
}

static void msg_release(shared_msg *s)
{
    if (--s->refs > 0)
        return;
    for (char **h = s->headers; *h; h++)
        free(*h);
    free(s->headers);
    free((char *)s->m.id);
    free((char *)s->m.topic);
    free((char *)s->m.url);
    free((char *)s->m.body);
    free(s);
}

static int before(const item *a, const item *b)
{
    return a->due < b->due || (a->due == b->due && a->order < b->order);
}

/* Inserts it keeping its order stamp (callers stamp new entries). */
static void push(deliverer *d, item it)
{
    XGROW(d->heap, d->n, d->cap, 256);
    size_t i = d->n++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!before(&it, &d->heap[p]))
            break;
        d->heap[i] = d->heap[p];
        i = p;
    }
    d->heap[i] = it;
    pthread_cond_signal(&d->cv);
}

static item pop(deliverer *d)
{
    item top = d->heap[0];
    item last = d->heap[--d->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= d->n)
            break;
        if (c + 1 < d->n && before(&d->heap[c + 1], &d->heap[c]))
            c++;
        if (!before(&d->heap[c], &last))
            break;
        d->heap[i] = d->heap[c];
        i = c;
    }
    if (d->n)
        d->heap[i] = last;
    return top;
}

/* Makes one attempt; fills r. Called without the lock. */
static void attempt(deliverer *d, const item *it, deliver_report *r)
{
    memset(r, 0, sizeof *r);
    r->msg = &it->sm->m;
    r->copy = it->copy;
    r->attempt = it->attempt;
    if (it->drop) {
        r->faulted = 1;
        r->result = HTTPC_ERR_OTHER;
        snprintf(r->error, sizeof r->error, "dropped by a delivery fault");
        return;
    }
    double floor = d->cfg.min_real_timeout_ms;
    double ct = clock_real_ms(d->clk, d->cfg.connect_timeout_ms);
    double tt = clock_real_ms(d->clk, d->cfg.timeout_ms);
    httpc_req req = {
        .method = "POST",
        .url = it->sm->m.url,
        .headers = it->sm->m.headers,
        .body = it->sm->m.body,
        .body_len = it->sm->m.body_len,
        .connect_timeout_ms = (long)(ct > floor ? ct : floor),
        .timeout_ms = (long)(tt > floor ? tt : floor),
        .max_body = 64 * 1024,
        .idempotent = 1, /* deliveries are at least once anyway */
    };
    httpc_resp resp;
    httpc_do(&req, &resp);
    r->result = resp.result;
    r->status = resp.status;
    r->ok = resp.result == HTTPC_OK && resp.status >= 200 && resp.status < 300;
    if (!r->ok) {
        if (resp.result == HTTPC_OK)
            snprintf(r->error, sizeof r->error, "answered %d", resp.status);
        else
            snprintf(r->error, sizeof r->error, "%s", resp.error);
    }
    httpc_resp_free(&resp);
}

static void *sender_main(void *arg)
{
    deliverer *d = arg;
    pthread_mutex_lock(&d->lock);
    while (!d->stopping) {
        if (d->n == 0) {
            pthread_cond_wait(&d->cv, &d->lock);
            continue;
        }
        int64_t now = clock_now_ms(d->clk);
        if (d->heap[0].due > now) {
            struct timespec ts;
            clock_deadline(d->clk, d->heap[0].due - now, &ts);
            pthread_cond_timedwait(&d->cv, &d->lock, &ts);
            continue;
        }
        item it = pop(d);
        d->in_flight++;
        pthread_mutex_unlock(&d->lock);

        deliver_report r;
        attempt(d, &it, &r);
        int retry = !r.ok && (size_t)it.attempt <= d->cfg.n_retries;
        if (retry)
            r.next_in_ms = d->waits[it.attempt - 1];
        else if (!r.ok)
            r.abandoned = 1;
        if (d->cb && d->cb(&r, d->ud) != 0)
            retry = 0; /* the caller gave up on it (subscription gone) */

        pthread_mutex_lock(&d->lock);
        d->in_flight--;
        if (retry && !d->stopping) {
            item next = it;
            next.attempt++;
            next.due = clock_now_ms(d->clk) + r.next_in_ms;
            next.order = d->next_order++;
            push(d, next);
        } else {
            msg_release(it.sm);
        }
    }
    pthread_mutex_unlock(&d->lock);
    httpc_thread_cleanup();
    return NULL;
}

deliverer *deliverer_start(const deliver_config *cfg, const sclock *clk, deliver_cb cb, void *ud)
{
    deliverer *d = xcalloc(1, sizeof *d);
    d->cfg = *cfg;
    d->waits = xcalloc(cfg->n_retries ? cfg->n_retries : 1, sizeof *d->waits);
    if (cfg->n_retries)
        memcpy(d->waits, cfg->retry_waits, cfg->n_retries * sizeof *d->waits);
    d->cfg.retry_waits = d->waits;
    if (!d->cfg.connect_timeout_ms)
        d->cfg.connect_timeout_ms = 1000;
    if (!d->cfg.timeout_ms)
        d->cfg.timeout_ms = 5000;
    if (d->cfg.min_real_timeout_ms <= 0)
        d->cfg.min_real_timeout_ms = 50;
    d->clk = clk;
    d->cb = cb;
    d->ud = ud;
    rng_derive(&d->g, cfg->seed, 0xde11);
    pthread_mutex_init(&d->lock, NULL);
    clock_cond_init(&d->cv);
    d->n_threads = cfg->threads ? cfg->threads : 4;
    d->threads = xcalloc(d->n_threads, sizeof *d->threads);
    for (unsigned i = 0; i < d->n_threads; i++)
        if (pthread_create(&d->threads[i], NULL, sender_main, d) != 0) {
            fprintf(stderr, "fatal: cannot start a webhook sender thread\n");
            abort();
        }
    return d;
}

void deliverer_submit(deliverer *d, const deliver_msg *m, const fault_delivery *fd)
{
    fault_delivery none = {0};
    if (!fd)
        fd = &none;
    shared_msg *sm = msg_copy(m);
    int64_t now = clock_now_ms(d->clk);
    pthread_mutex_lock(&d->lock);
    if (d->stopping) {
        pthread_mutex_unlock(&d->lock);
        sm->refs = 1;
        msg_release(sm);
        return;
    }
    for (int c = 0; c <= fd->copies; c++) {
        item it = {.sm = sm, .copy = c, .attempt = 1, .drop = fd->drop};
        it.order = d->next_order++;
        it.due = now + fd->delay_ms;
        if (fd->reorder_window_ms > 0)
            it.due += (int64_t)rng_below(&d->g, (uint64_t)fd->reorder_window_ms + 1);
        sm->refs++;
        push(d, it);
    }
    pthread_mutex_unlock(&d->lock);
}

size_t deliverer_cancel(deliverer *d, int64_t sub_id)
{
    pthread_mutex_lock(&d->lock);
    size_t kept = 0, dropped = 0;
    item *keep = xmalloc((d->n ? d->n : 1) * sizeof *keep);
    for (size_t i = 0; i < d->n; i++) {
        if (sub_id < 0 || d->heap[i].sm->m.sub_id == sub_id) {
            msg_release(d->heap[i].sm);
            dropped++;
        } else {
            keep[kept++] = d->heap[i];
        }
    }
    d->n = 0;
    for (size_t i = 0; i < kept; i++)
        push(d, keep[i]);
    free(keep);
    pthread_mutex_unlock(&d->lock);
    return dropped;
}

size_t deliverer_pending(deliverer *d)
{
    pthread_mutex_lock(&d->lock);
    size_t n = d->n + d->in_flight;
    pthread_mutex_unlock(&d->lock);
    return n;
}

void deliverer_stop(deliverer *d)
{
    pthread_mutex_lock(&d->lock);
    if (d->stopping) {
        pthread_mutex_unlock(&d->lock);
        return;
    }
    d->stopping = 1;
    pthread_cond_broadcast(&d->cv);
    pthread_mutex_unlock(&d->lock);
    for (unsigned i = 0; i < d->n_threads; i++)
        pthread_join(d->threads[i], NULL);
    deliverer_cancel(d, -1);
}

void deliverer_free(deliverer *d)
{
    if (!d)
        return;
    deliverer_stop(d);
    free(d->heap);
    free(d->threads);
    free(d->waits);
    pthread_mutex_destroy(&d->lock);
    pthread_cond_destroy(&d->cv);
    free(d);
}
