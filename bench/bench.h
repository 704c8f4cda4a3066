/*
 * What the two benchmark servers share: the command line, the fixed answer
 * read from a file, the "listening on" line run.sh waits for, and waiting for
 * SIGTERM or SIGINT. The Makefile builds each server from its source file,
 * benchopt.c (the command line of every bench program) and lib/, so these
 * helpers live in a header as static functions rather than in a third .c;
 * keep every one of them used by both servers (-Wunused-function).
 *
 *   bench-X [--port N] [--body FILE]   serve FILE at any path until signalled
 *   bench-X --print-free-port          print a free 127.0.0.1 port and exit
 */
#ifndef SURGE_BENCH_H
#define SURGE_BENCH_H

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "benchopt.h"

#define BENCH_DEFAULT_BODY "bench/payload.json"
/* The payload is 1 KiB; anything this large is a wrong path. */
#define BENCH_BODY_CAP (16u * 1024 * 1024)

typedef struct {
    unsigned port;         /* 0 picks a free one */
    const char *body_path; /* borrowed from argv */
    int print_free_port;
} bench_opts;

static const benchopt bench_options[] = {
    {{"port", required_argument, NULL, 'p'}, "N", "port on 127.0.0.1 (default 0: a free one)"},
    {{"body", required_argument, NULL, 'b'}, "FILE", "the answer's body (default " BENCH_DEFAULT_BODY ")"},
    {{"print-free-port", no_argument, NULL, 'f'}, NULL,
     "print a port free on 127.0.0.1 and exit (run.sh uses it for nginx and WireMock)"},
};

static void bench_set(void *ud, int val, const char *arg, const char *prog)
{
    bench_opts *o = ud;
    switch (val) {
    case 'p': {
        char *end;
        errno = 0;
        unsigned long v = strtoul(arg, &end, 10);
        if (errno || end == arg || *end || v > 65535) {
            fprintf(stderr, "%s: --port: expected 0..65535, got \"%s\"\n", prog, arg);
            exit(2);
        }
        o->port = (unsigned)v;
        break;
    }
    case 'b':
        o->body_path = arg;
        break;
    case 'f':
        o->print_free_port = 1;
        break;
    }
}

/* Fills o from argv; exits 0 after --help and 2 on a bad option. */
static void bench_parse(int argc, char **argv, const char *what, bench_opts *o)
{
    const benchopt_cli cli = {what, bench_options, sizeof bench_options / sizeof bench_options[0], 20};
    o->port = 0;
    o->body_path = BENCH_DEFAULT_BODY;
    o->print_free_port = 0;
    benchopt_parse(argc, argv, &cli, bench_set, o);
}

/* Binds 127.0.0.1:0, prints the port the kernel chose and closes it. Another
 * process may take the port before the caller's server binds it; run.sh
 * retries when that happens rather than this holding the port. Returns the
 * exit status. */
static int bench_print_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        perror("socket");
        return 1;
    }
    struct sockaddr_in a;
    socklen_t alen = sizeof a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &alen) != 0) {
        perror("bind 127.0.0.1:0");
        close(fd);
        return 1;
    }
    close(fd);
    printf("%u\n", (unsigned)ntohs(a.sin_port));
    return 0;
}

/* Reads the whole file at path into a malloc'd buffer the caller frees.
 * Returns 0, or -1 with a message in err. */
static int bench_read_body(const char *path, char **out, size_t *len, char *err, size_t errlen)
{
    int rc = -1;
    char *buf = NULL;
    size_t n = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        goto out;
    }
    buf = malloc(BENCH_BODY_CAP);
    if (!buf) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    n = fread(buf, 1, BENCH_BODY_CAP, f);
    if (ferror(f)) {
        snprintf(err, errlen, "%s: read error", path);
        goto out;
    }
    if (n == BENCH_BODY_CAP) {
        snprintf(err, errlen, "%s: larger than %u bytes", path, BENCH_BODY_CAP);
        goto out;
    }
    *out = buf;
    *len = n;
    buf = NULL;
    rc = 0;
out:
    free(buf);
    if (f)
        fclose(f);
    return rc;
}

/* Blocks SIGINT and SIGTERM in the calling thread and, since threads inherit
 * the mask, in every thread it starts afterwards, so bench_wait_for_stop can
 * take them with sigwait: no handler, no flag to poll, no window where a
 * signal arrives between a check and a sleep. Call before starting MHD. */
static void bench_block_stop_signals(sigset_t *set)
{
    sigemptyset(set);
    sigaddset(set, SIGINT);
    sigaddset(set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, set, NULL);
    /* A client that hangs up mid-answer must not kill the server. */
    signal(SIGPIPE, SIG_IGN);
}

/* Returns the signal that asked to stop. */
static int bench_wait_for_stop(const sigset_t *set)
{
    int sig = 0;
    while (sigwait(set, &sig) != 0)
        ;
    return sig;
}

/* The line run.sh waits for; flushed because stdout is a pipe or file. */
static void bench_announce(unsigned port)
{
    printf("listening on 127.0.0.1:%u\n", port);
    fflush(stdout);
}

#endif
