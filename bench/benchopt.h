/*
 * The command line of every bench program: one table of options drives
 * getopt_long and --help (which every program has, so tables leave it
 * out), stray arguments are refused alike, and counts given on it are
 * checked alike. Each program keeps its table, its defaults and what an
 * option sets.
 */
#ifndef SURGE_BENCH_OPT_H
#define SURGE_BENCH_OPT_H

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

/* One row of a program's option table. */
typedef struct {
    struct option opt;
    const char *arg;  /* the value's name in --help; NULL for a flag */
    const char *help;
} benchopt;

typedef struct {
    const char *what;        /* what the program does: --help's second line */
    const benchopt *options; /* borrowed; without --help (its val is 'h') */
    size_t n;
    int width;               /* of --help's option column */
} benchopt_cli;

/* Prints "usage: PROG [options]", the line what, and one line per option
 * (--help last): "--name VALUE" in a column width wide, then its help. */
void benchopt_usage(FILE *out, const char *prog, const benchopt_cli *cli);

/* Parses argv by the table: each option found goes to set(ud, its val, its
 * argument or NULL, prog). --help prints the usage and exits 0; an
 * unknown option or an argument left over prints why and the usage to
 * stderr and exits 2. */
void benchopt_parse(int argc, char **argv, const benchopt_cli *cli,
                    void (*set)(void *ud, int val, const char *arg, const char *prog), void *ud);

/* The value v of --flag as a count from 1 to max; otherwise prints why,
 * naming the flag, and exits 2. */
long benchopt_positive(const char *prog, const char *flag, const char *v, long max);

#endif
