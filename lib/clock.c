/* Scaled and virtual clocks, durations and ISO dates; see clock.h. */
#include "clock.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int64_t read_us(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t clock_mono_us(void)
{
    return read_us(CLOCK_MONOTONIC);
}

int64_t clock_wall_ms(void)
{
    return read_us(CLOCK_REALTIME) / 1000;
}

void clock_init(sclock *c, double scale, int64_t origin_ms)
{
    memset(c, 0, sizeof *c);
    c->scale = scale > 0 ? scale : 1.0;
    c->base_mono_us = read_us(CLOCK_MONOTONIC);
    c->base_real_us = read_us(CLOCK_REALTIME);
    c->origin_ms = origin_ms >= 0 ? origin_ms : c->base_real_us / 1000;
}

void clock_init_virtual(sclock *c, int64_t origin_ms)
{
    memset(c, 0, sizeof *c);
    c->scale = 1.0;
    c->is_virtual = 1;
    c->origin_ms = origin_ms >= 0 ? origin_ms : clock_wall_ms();
}

void clock_set_virtual_us(sclock *c, int64_t t_us)
{
    if (c->is_virtual && t_us > c->virt_now_us)
        c->virt_now_us = t_us;
}

int64_t clock_now_us(const sclock *c)
{
    if (c->is_virtual)
        return c->virt_now_us;
    int64_t real_us = c->base_real_us + (read_us(CLOCK_MONOTONIC) - c->base_mono_us);
    double sim = (double)(real_us - c->origin_ms * 1000) * c->scale;
    return (int64_t)llround(sim);
}

int64_t clock_now_ms(const sclock *c)
{
    int64_t us = clock_now_us(c);
    /* Floor, so that ms boundaries are the same for negative times. */
    return us >= 0 ? us / 1000 : -((-us + 999) / 1000);
}

int64_t clock_epoch_ms(const sclock *c, int64_t sim_ms)
{
    return c->origin_ms + sim_ms;
}

double clock_real_ms(const sclock *c, int64_t sim_ms)
{
    return (double)sim_ms / c->scale;
}

void clock_sleep_ms(sclock *c, int64_t sim_ms)
{
    if (sim_ms <= 0)
        return;
    if (c->is_virtual) {
        c->virt_now_us += sim_ms * 1000;
        return;
    }
    double real_ns = (double)sim_ms * 1e6 / c->scale;
    struct timespec ts;
    ts.tv_sec = (time_t)(real_ns / 1e9);
    ts.tv_nsec = (long)(real_ns - (double)ts.tv_sec * 1e9);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

void clock_deadline(const sclock *c, int64_t sim_ms, struct timespec *abs)
{
    double real_ns = sim_ms > 0 ? (double)sim_ms * 1e6 / c->scale : 0;
    if (real_ns > 1e9 * 86400.0 * 365)
        real_ns = 1e9 * 86400.0 * 365;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    int64_t ns = (int64_t)now.tv_nsec + (int64_t)real_ns;
    abs->tv_sec = now.tv_sec + (time_t)(ns / 1000000000);
    abs->tv_nsec = (long)(ns % 1000000000);
}

int clock_cond_init(pthread_cond_t *cv)
{
    pthread_condattr_t attr;
    if (pthread_condattr_init(&attr) != 0)
        return -1;
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(cv, &attr);
    pthread_condattr_destroy(&attr);
    return rc == 0 ? 0 : -1;
}

static const struct {
    const char *name;
    int64_t ms;
} units[] = {
    {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000},
};

int clock_parse_duration(const char *s, int64_t *out_ms, char *err, size_t errlen)
{
    const char *p = s;
    double total = 0;
    int parts = 0;
    if (!s || !*s) {
        snprintf(err, errlen, "empty duration (expected e.g. 250ms, 30s, 5m, 2h)");
        return -1;
    }
    while (*p) {
        if (!isdigit((unsigned char)*p) && *p != '.') {
            snprintf(err, errlen,
                     "bad duration \"%s\": expected a number at \"%s\" (e.g. 250ms, 30s, 5m, 2h)",
                     s, p);
            return -1;
        }
        char *end;
        errno = 0;
        double v = strtod(p, &end);
        if (end == p || errno || !isfinite(v)) {
            snprintf(err, errlen, "bad duration \"%s\": bad number at \"%s\"", s, p);
            return -1;
        }
        p = end;
        size_t ulen = 0;
        while (isalpha((unsigned char)p[ulen]))
            ulen++;
        if (ulen == 0) {
            if (parts > 0 || *p) {
                snprintf(err, errlen,
                         "bad duration \"%s\": a unit (ms, s, m, h, d) must follow \"%.*s\"",
                         s, (int)(p - s), s);
                return -1;
            }
            total = v; /* a bare number is milliseconds */
            parts++;
            break;
        }
        int64_t mult = 0;
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
            if (strlen(units[i].name) == ulen && strncmp(units[i].name, p, ulen) == 0)
                mult = units[i].ms;
        if (!mult) {
            snprintf(err, errlen, "bad duration \"%s\": unknown unit \"%.*s\" (use ms, s, m, h or d)",
                     s, (int)ulen, p);
            return -1;
        }
        total += v * (double)mult;
        p += ulen;
        parts++;
    }
    if (total > 9.2e15) {
        snprintf(err, errlen, "bad duration \"%s\": too large", s);
        return -1;
    }
    *out_ms = (int64_t)llround(total);
    return 0;
}

void clock_format_duration(int64_t ms, char *buf, size_t n)
{
    if (n == 0)
        return;
    buf[0] = '\0';
    if (ms <= 0) {
        snprintf(buf, n, "%lldms", (long long)ms);
        return;
    }
    size_t used = 0;
    for (int i = (int)(sizeof units / sizeof units[0]) - 1; i >= 0 && ms > 0; i--) {
        /* Below a second, finish in ms rather than mixing "1s5ms"-style parts. */
        if (units[i].ms == 1 || (ms % 1000 != 0 && units[i].ms == 1000)) {
            snprintf(buf + used, n - used, "%lldms", (long long)ms);
            return;
        }
        if (ms >= units[i].ms) {
            int w = snprintf(buf + used, n - used, "%lld%s", (long long)(ms / units[i].ms),
                             units[i].name);
            if (w < 0 || (size_t)w >= n - used)
                return;
            used += (size_t)w;
            ms %= units[i].ms;
        }
    }
}

/* Days since 1970-01-01 of a civil date (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void clock_format_iso(int64_t epoch_ms, int millis, char *buf, size_t n)
{
    int64_t secs = epoch_ms >= 0 ? epoch_ms / 1000 : -((-epoch_ms + 999) / 1000);
    int ms = (int)(epoch_ms - secs * 1000);
    time_t t = (time_t)secs;
    struct tm tm;
    gmtime_r(&t, &tm);
    if (millis)
        snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
    else
        snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

int clock_parse_iso(const char *s, int64_t *epoch_ms)
{
    const char *p = s;
    int y, mo, d, h = 0, mi = 0, se = 0, ms = 0;
    if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
        digits(&p, 2, &d))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31)
        return -1;
    int64_t offset_min = 0;
    if (*p == 'T' || *p == ' ') {
        p++;
        if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
            return -1;
        if (*p == ':') {
            p++;
            if (digits(&p, 2, &se))
                return -1;
        }
        if (*p == '.') {
            p++;
            int scale = 100, nd = 0;
            while (isdigit((unsigned char)*p)) {
                if (nd < 3)
                    ms += (*p - '0') * scale;
                scale /= 10;
                nd++;
                p++;
            }
            if (nd == 0)
                return -1;
        }
        if (h > 23 || mi > 59 || se > 60)
            return -1;
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1, oh, om;
            if (digits(&p, 2, &oh))
                return -1;
            if (*p == ':')
                p++;
            if (digits(&p, 2, &om))
                return -1;
            offset_min = sign * (oh * 60 + om);
        }
    }
    if (*p)
        return -1;
    int64_t days = days_from_civil(y, mo, d);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - offset_min * 60;
    *epoch_ms = secs * 1000 + ms;
    return 0;
}
