/* HAProxy in front of engine instances; see lb.h. */
#include "lb.h"

#include "mem.h"
#include "port.h"
#include "proc.h"
#include "sbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Real ms haproxy has to listen, and tries when another process takes the
 * free port first. */
#define LB_START_MS 15000
#define LB_TRIES 4

struct lb {
    proc *p;
    uint16_t port;
};

static void nap_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* haproxy.cfg: HTTP mode, round robin, each server checked with GET
 * check_path (two failures take it out, one success puts it back). The
 * timeouts are real time, well above a webhook's handling. */
static char *config_text(uint16_t port, const uint16_t *ports, size_t n, int check_ms,
                         const char *check_path)
{
    sbuf b = SBUF_INIT;
    sbuf_printf(&b,
                "# written by surge: engine instances behind one address\n"
                "global\n"
                "    log stdout format raw local0\n"
                "    maxconn 2000\n"
                "defaults\n"
                "    mode http\n"
                "    log global\n"
                "    option httplog\n"
                "    option redispatch\n"
                "    retries 2\n"
                "    timeout connect 2s\n"
                "    timeout client 60s\n"
                "    timeout server 60s\n"
                "frontend engine\n"
                "    bind 127.0.0.1:%u\n"
                "    default_backend instances\n"
                "backend instances\n"
                "    balance roundrobin\n"
                "    option httpchk GET %s\n"
                "    http-check expect status 200\n"
                "    default-server check inter %dms fall 2 rise 1\n",
                (unsigned)port, check_path, check_ms);
    for (size_t i = 0; i < n; i++)
        sbuf_printf(&b, "    server instance%zu 127.0.0.1:%u\n", i + 1, (unsigned)ports[i]);
    return sbuf_take(&b);
}

/* One try on one port: 0 when haproxy listens, 1 when it exited (the port
 * may have been taken), -1 on another failure; err says why. */
static int try_start(lb *b, const char *bin, const char *dir, const uint16_t *ports, size_t n,
                     int check_ms, const char *check_path, char *err, size_t errlen)
{
    char *cfg = xasprintf("%s/haproxy.cfg", dir);
    char *log_path = xasprintf("%s/haproxy.log", dir);
    char *text = config_text(b->port, ports, n, check_ms, check_path);
    int rc = -1;
    FILE *f = fopen(cfg, "w");
    if (!f || fputs(text, f) == EOF || fclose(f) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", cfg, strerror(errno));
        goto out;
    }
    /* -db: in the foreground, so it is our child and stops with us. */
    char *argv[] = {(char *)bin, (char *)"-db", (char *)"-f", cfg, NULL};
    proc_opts o = {.group = 1};
    if (proc_spawn(argv, log_path, &o, &b->p, err, errlen) != 0)
        goto out;
    for (int waited = 0; waited < LB_START_MS; waited += 20) {
        if (port_open(b->port)) {
            rc = 0;
            goto out;
        }
        if (proc_wait(b->p, 0, NULL)) {
            char tail[300];
            proc_log_tail(log_path, tail, sizeof tail);
            snprintf(err, errlen, "haproxy exited before it listened on port %u: %s",
                     (unsigned)b->port, tail);
            proc_stop(b->p, 0);
            b->p = NULL;
            rc = 1;
            goto out;
        }
        nap_ms(20);
    }
    snprintf(err, errlen, "haproxy did not listen on port %u within %d s (log: %s)",
             (unsigned)b->port, LB_START_MS / 1000, log_path);
    proc_stop(b->p, 1000);
    b->p = NULL;
out:
    free(text);
    free(cfg);
    free(log_path);
    return rc;
}

lb *lb_start(const char *dir, const uint16_t *ports, size_t n, int check_ms, char *err,
             size_t errlen)
{
    return lb_start_checked(dir, ports, n, check_ms, "/healthz", err, errlen);
}

lb *lb_start_checked(const char *dir, const uint16_t *ports, size_t n, int check_ms,
                     const char *check_path, char *err, size_t errlen)
{
    if (n == 0) {
        snprintf(err, errlen, "no instances to balance");
        return NULL;
    }
    /* Debian puts it in /usr/sbin, which a user's PATH may leave out. */
    char *bin = proc_find_program("haproxy", "/usr/sbin");
    if (!bin) {
        snprintf(err, errlen, "haproxy is not installed (Debian package haproxy; "
                              "scripts/deps.sh installs it)");
        return NULL;
    }
    lb *b = xcalloc(1, sizeof *b);
    int rc = 1;
    for (int t = 0; t < LB_TRIES && rc == 1; t++) {
        /* Not one of the instances' ports: they are chosen before their
         * programs bind them, so the kernel may hand one out again. */
        b->port = port_free_except(ports, n);
        if (!b->port) {
            snprintf(err, errlen, "no free port on 127.0.0.1 for haproxy");
            rc = -1;
            break;
        }
        rc = try_start(b, bin, dir, ports, n, check_ms > 0 ? check_ms : 500, check_path, err,
                       errlen);
    }
    free(bin);
    if (rc != 0) {
        free(b);
        return NULL;
    }
    return b;
}

uint16_t lb_port(const lb *b)
{
    return b->port;
}

int lb_alive(lb *b)
{
    return b->p && !proc_wait(b->p, 0, NULL);
}

void lb_stop(lb *b)
{
    if (!b)
        return;
    proc_stop(b->p, 5000);
    free(b);
}
