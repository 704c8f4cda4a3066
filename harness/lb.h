/*
 * A real load balancer in front of several engine instances (issue 15's
 * `engine.instances`): HAProxy (Debian `haproxy`) on a free port of
 * 127.0.0.1, round robin over the instances, each health-checked with
 * GET /healthz, so the webhooks the mocks send to the one address reach
 * whichever instances are up. The generated haproxy.cfg and haproxy's log
 * stay in the folder given.
 */
#ifndef SURGE_LB_H
#define SURGE_LB_H

#include <stddef.h>
#include <stdint.h>

typedef struct lb lb;

/* Starts haproxy in dir for the backends' ports (127.0.0.1), health checked
 * every check_ms (real; 0: 500), and waits until it listens. Returns the
 * balancer, or NULL with a message in err (a missing haproxy names the
 * Debian package; a config haproxy refuses quotes its log). */
lb *lb_start(const char *dir, const uint16_t *ports, size_t n, int check_ms, char *err,
             size_t errlen);
/* The same with another path for the health check (a path of the
 * backends that answers 200, such as "/metrics" for instances that are
 * not ready but take webhooks, as the intake benchmark needs). */
lb *lb_start_checked(const char *dir, const uint16_t *ports, size_t n, int check_ms,
                     const char *check_path, char *err, size_t errlen);
/* The port it listens on. */
uint16_t lb_port(const lb *b);
/* 1 while haproxy runs; 0 once it has exited. */
int lb_alive(lb *b);
/* Stops haproxy (SIGTERM, then SIGKILL) and frees b; accepts NULL. */
void lb_stop(lb *b);

#endif
