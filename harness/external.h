/*
 * A foreign engine (engine.external) in a run: surge starts its command
 * once the mocks are up, hands it everything it needs through SURGE_*
 * environment variables and a generated engine.json (the contract is in
 * docs/DESIGN.md, "A foreign engine's contract"), subscribes its webhook
 * URLs at the mocks, waits for its health URL and, after the drain, stops
 * it with SIGTERM. An engine without a command is started by hand and only
 * subscribed and waited for.
 */
#ifndef SURGE_EXTERNAL_H
#define SURGE_EXTERNAL_H

#include "scenario.h"

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

typedef struct external external;

/* Where the engine runs and what it talks to. */
typedef struct {
    const scenario *sc;
    const char *dir;         /* the results folder: engine.json and engine.log go there */
    double time_scale;       /* the run's K */
    int64_t origin;          /* the run's clock origin, unix epoch ms */
    int64_t t0;              /* the scenario's t = 0, simulated ms since origin; -1 for a
                              * hand-started engine (fixed once it is ready) */
    const char *cin7_api;    /* the Cin7 API base the engine is given (".../ExternalApi/v2/") */
    const char *cin7_url;    /* mock-cin7's root (for its control endpoints) */
    const char *shopify_url; /* mock-shopify's root */
} external_env;

/* The port a fixed-port mock of a hand-started engine wants is busy: a
 * message naming the scenario field, else 0. */
int external_ports_free(const sc_external *x, char *err, size_t errlen);

/* Writes engine.json, subscribes the engine's webhook URLs at the mocks
 * and starts its command (when it has one). Returns the engine, or NULL
 * with a message in err. */
external *external_start(const external_env *env, char *err, size_t errlen);
/* Waits (real time) until the engine's health URL answers 200 or, without
 * one, until the scenario's t0 for a started engine. Returns 0 when ready;
 * -1 when it was not ready in time (err says what to change), -2 when its
 * process exited (err quotes engine.log). */
int external_wait_ready(external *e, const volatile sig_atomic_t *interrupted, char *err,
                        size_t errlen);
/* 1 while a started engine's process runs (and always for a hand-started
 * one); 0 with a message in err once it has exited. */
int external_alive(external *e, char *err, size_t errlen);
/* The engine's metrics URL ({port} filled in), or NULL. */
const char *external_metrics_url(const external *e);
/* SIGTERM to a started engine (its process group), then SIGKILL after
 * grace; frees e. Accepts NULL. */
void external_stop(external *e);

#endif
