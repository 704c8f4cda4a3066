/* Command lines of the bench programs; see benchopt.h. */
#include "benchopt.h"

#include <stdlib.h>
#include <string.h>

/* The row every program has, after its own. */
static const benchopt help_row = {{"help", no_argument, NULL, 'h'}, NULL, "this text"};

static void usage_line(FILE *out, const benchopt *row, int width)
{
    char left[64];
    snprintf(left, sizeof left, "--%s%s%s", row->opt.name, row->arg ? " " : "",
             row->arg ? row->arg : "");
    fprintf(out, "  %-*s %s\n", width, left, row->help);
}

void benchopt_usage(FILE *out, const char *prog, const benchopt_cli *cli)
{
    fprintf(out, "usage: %s [options]\n%s\n\n", prog, cli->what);
    for (size_t i = 0; i < cli->n; i++)
        usage_line(out, &cli->options[i], cli->width);
    usage_line(out, &help_row, cli->width);
}

void benchopt_parse(int argc, char **argv, const benchopt_cli *cli,
                    void (*set)(void *ud, int val, const char *arg, const char *prog), void *ud)
{
    /* The program's options, --help, and the zeroed end getopt_long wants. */
    struct option *longs = calloc(cli->n + 2, sizeof *longs);
    if (!longs) {
        fprintf(stderr, "%s: out of memory\n", argv[0]);
        exit(1);
    }
    for (size_t i = 0; i < cli->n; i++)
        longs[i] = cli->options[i].opt;
    longs[cli->n] = help_row.opt;
    int c;
    while ((c = getopt_long(argc, argv, "", longs, NULL)) != -1) {
        if (c == 'h') {
            benchopt_usage(stdout, argv[0], cli);
            exit(0);
        }
        if (c == '?') { /* getopt_long has said what was wrong */
            benchopt_usage(stderr, argv[0], cli);
            exit(2);
        }
        set(ud, c, optarg, argv[0]);
    }
    free(longs);
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument \"%s\"\n", argv[0], argv[optind]);
        benchopt_usage(stderr, argv[0], cli);
        exit(2);
    }
}

long benchopt_positive(const char *prog, const char *flag, const char *v, long max)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (*end || n <= 0 || n > max) {
        fprintf(stderr, "%s: --%s wants a positive number, not \"%s\"\n", prog, flag, v);
        exit(2);
    }
    return n;
}
