/*
 * TCP ports of 127.0.0.1 for children that cannot take --port 0 (a proxy
 * started by a shell command, say): find a free one to hand them, then
 * wait until they accept connections on it.
 */
#ifndef SURGE_PORT_H
#define SURGE_PORT_H

#include <stddef.h>
#include <stdint.h>

/* A port of 127.0.0.1 that was free a moment ago (the kernel's choice for
 * port 0), or 0 when none could be had. Another process may take it before
 * the child binds it; callers start the child at once. */
uint16_t port_free(void);
/* The same, but none of the n ports of avoid (handed to children that have
 * not bound them yet, so the kernel may offer them again); 0 when none
 * could be had in a hundred picks. */
uint16_t port_free_except(const uint16_t *avoid, size_t n);
/* 1 when something accepts TCP connections on 127.0.0.1:port, else 0. It
 * sends no request, so a proxy that logs requests logs none. */
int port_open(uint16_t port);

#endif
