/* Admin sessions and credential checks; see opsauth.h. */
#include "opsauth.h"

#include "hmac.h"
#include "mem.h"

#include <openssl/rand.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct {
    char sid[OPSAUTH_TOKEN_LEN + 1];  /* "" when the slot is free */
    char csrf[OPSAUTH_TOKEN_LEN + 1];
    int64_t born, used;
} session;

struct opsauth {
    pthread_mutex_t mu;
    session *s;
    size_t n;
    int64_t idle_ms, max_age_ms;
};

opsauth *opsauth_new(size_t max_sessions, int64_t idle_ms, int64_t max_age_ms)
{
    opsauth *a = xcalloc(1, sizeof *a);
    pthread_mutex_init(&a->mu, NULL);
    a->n = max_sessions ? max_sessions : 1;
    a->s = xcalloc(a->n, sizeof *a->s);
    a->idle_ms = idle_ms;
    a->max_age_ms = max_age_ms;
    return a;
}

void opsauth_free(opsauth *a)
{
    if (!a)
        return;
    /* The ids are credentials: not left behind in freed memory. */
    memset(a->s, 0, a->n * sizeof *a->s);
    free(a->s);
    pthread_mutex_destroy(&a->mu);
    free(a);
}

static int live(const opsauth *a, const session *s, int64_t now)
{
    return s->sid[0] && now - s->used < a->idle_ms && now - s->born < a->max_age_ms;
}

/* 32 random bytes from libcrypto's generator as 64 hex characters. */
static int random_hex(char *out)
{
    unsigned char b[OPSAUTH_TOKEN_LEN / 2];
    if (RAND_bytes(b, (int)sizeof b) != 1)
        return -1;
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof b; i++) {
        out[2 * i] = hex[b[i] >> 4];
        out[2 * i + 1] = hex[b[i] & 15];
    }
    out[OPSAUTH_TOKEN_LEN] = '\0';
    return 0;
}

int opsauth_login(opsauth *a, int64_t now, char *sid, char *csrf)
{
    session fresh = {.born = now, .used = now};
    if (random_hex(fresh.sid) != 0 || random_hex(fresh.csrf) != 0)
        return -1;
    pthread_mutex_lock(&a->mu);
    /* A free or ended slot, else the one used least recently. */
    size_t pick = 0;
    for (size_t i = 0; i < a->n; i++) {
        if (!live(a, &a->s[i], now)) {
            pick = i;
            break;
        }
        if (a->s[i].used < a->s[pick].used)
            pick = i;
    }
    a->s[pick] = fresh;
    pthread_mutex_unlock(&a->mu);
    memcpy(sid, fresh.sid, sizeof fresh.sid);
    memcpy(csrf, fresh.csrf, sizeof fresh.csrf);
    return 0;
}

/* The slot sid names, or -1. Every used slot is compared, each whole, so
 * the time taken says nothing of how near a guess came. */
static long find(opsauth *a, const char *sid)
{
    long at = -1;
    if (!sid || strlen(sid) != OPSAUTH_TOKEN_LEN)
        return -1;
    for (size_t i = 0; i < a->n; i++)
        if (a->s[i].sid[0] && ct_equal(a->s[i].sid, sid, OPSAUTH_TOKEN_LEN))
            at = (long)i;
    return at;
}

int opsauth_session(opsauth *a, const char *sid, int64_t now, char *csrf)
{
    pthread_mutex_lock(&a->mu);
    long i = find(a, sid);
    int ok = i >= 0 && live(a, &a->s[i], now);
    if (ok) {
        a->s[i].used = now;
        memcpy(csrf, a->s[i].csrf, sizeof a->s[i].csrf);
    } else if (i >= 0) {
        memset(&a->s[i], 0, sizeof a->s[i]);
    }
    pthread_mutex_unlock(&a->mu);
    return ok;
}

void opsauth_logout(opsauth *a, const char *sid)
{
    pthread_mutex_lock(&a->mu);
    long i = find(a, sid);
    if (i >= 0)
        memset(&a->s[i], 0, sizeof a->s[i]);
    pthread_mutex_unlock(&a->mu);
}

size_t opsauth_count(opsauth *a, int64_t now)
{
    size_t n = 0;
    pthread_mutex_lock(&a->mu);
    for (size_t i = 0; i < a->n; i++)
        n += live(a, &a->s[i], now) != 0;
    pthread_mutex_unlock(&a->mu);
    return n;
}

int opsauth_same(const char *got, const char *want)
{
    size_t n = strlen(want);
    return got && strlen(got) == n && ct_equal(got, want, n);
}

int opsauth_credential(const char *got, const char *scheme, const char *secret)
{
    size_t n = strlen(scheme);
    return got && strncasecmp(got, scheme, n) == 0 && opsauth_same(got + n, secret);
}
