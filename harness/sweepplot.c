/* The sweep's plots; see sweepplot.h. */
#include "sweepplot.h"

#include "mem.h"
#include "proc.h"
#include "sbuf.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PLOT_TIMEOUT_MS 60000
/* Line plots go over the first few parameters only: a plot per metric and
 * parameter is plenty to read, and more would take longer than the sweep. */
#define PLOT_MAX_AXES 4
/* Exit status of the shell when gnuplot is not in PATH. */
#define NO_GNUPLOT 127

/* A gnuplot string literal: single quotes doubled, control characters
 * dropped. */
static void put_quoted(sbuf *b, const char *s)
{
    sbuf_putc(b, '\'');
    for (; *s; s++) {
        if (*s == '\'')
            sbuf_putc(b, '\'');
        if ((unsigned char)*s >= 0x20 && *s != 0x7F)
            sbuf_putc(b, *s);
    }
    sbuf_putc(b, '\'');
}

/* A file name part from a metric or a parameter path. */
static void put_file_part(sbuf *b, const char *s)
{
    for (; *s; s++)
        sbuf_putc(b, strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-",
                            *s) ? *s : '_');
}

/* The distinct values of one parameter in the table, in the order they
 * first appear (the grid's order, the rows being sorted by index). */
typedef struct {
    const char **v; /* borrowed from the table */
    size_t n;
} axis;

static axis axis_of(const sweep_table *t, size_t param)
{
    axis a = {xcalloc(t->n_rows + 1, sizeof *a.v), 0};
    for (size_t i = 0; i < t->n_rows; i++) {
        const char *v = t->rows[i].values[param];
        size_t k = 0;
        while (k < a.n && strcmp(a.v[k], v) != 0)
            k++;
        if (k == a.n)
            a.v[a.n++] = v;
    }
    return a;
}

static void script_head(sbuf *b, const char *name, const char *title)
{
    sbuf_printf(b,
                "# A plot of surge sweep, its data inline; to draw it again: gnuplot %s.gp\n"
                "set encoding utf8\n"
                "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
                "    set terminal pngcairo size 960,540 noenhanced font 'sans,10'\n"
                "} else {\n"
                "    set terminal png size 960,540 noenhanced\n"
                "}\n"
                "set output '%s.png'\n"
                "set grid\nset key below\nset title ",
                name, name);
    put_quoted(b, title);
    sbuf_putc(b, '\n');
}

/* After the plot command: the same plot again as SVG. */
static void script_tail(sbuf *b, const char *name)
{
    sbuf_printf(b,
                "\nset terminal svg size 960,540 noenhanced font 'sans,10' background '#ffffff'\n"
                "set output '%s.svg'\n"
                "replot\n"
                "unset output\n",
                name);
}

/* "set xtics ('1s' 0, '2s' 1)" for the values of a parameter. */
static void category_tics(sbuf *b, const char *which, const axis *a)
{
    sbuf_printf(b, "set %stics (", which);
    for (size_t i = 0; i < a->n; i++) {
        sbuf_puts(b, i ? ", " : "");
        put_quoted(b, a->v[i]);
        sbuf_printf(b, " %zu", i);
    }
    sbuf_printf(b, ")\nset %srange [-0.5:%zu.5]\n", which, a->n ? a->n - 1 : 0);
}

/* A frame with only a note in it; gnuplot refuses to plot no data, so it
 * plots a constant above the visible range. */
static void empty_frame(sbuf *b, const char *note)
{
    sbuf_puts(b, "unset colorbox\nset xrange [0:1]\nset yrange [0:1]\nset label 1 ");
    put_quoted(b, note);
    sbuf_puts(b, " at graph 0.5, graph 0.5 center\nplot 2 notitle");
}

static int usable(const sweep_row *r, int col)
{
    return col >= 0 && strcmp(r->status, SWEEP_FAILED) != 0 && !isnan(r->mean[col]);
}

/* Mean of metric m over the usable rows whose parameter px has value x and
 * (when py >= 0) parameter py value y; NAN when there are none. */
static double cell_mean(const sweep_table *t, int m, size_t px, const char *x, int py,
                        const char *y)
{
    double sum = 0;
    size_t n = 0;
    for (size_t i = 0; i < t->n_rows; i++) {
        const sweep_row *r = &t->rows[i];
        if (!usable(r, m) || strcmp(r->values[px], x) != 0 ||
            (py >= 0 && strcmp(r->values[py], y) != 0))
            continue;
        sum += r->mean[m];
        n++;
    }
    return n ? sum / (double)n : NAN;
}

/* metric m against parameter px, a line per value of py (-1: one line). */
static char *script_lines(const sweep_table *t, int m, size_t px, int py, const char *name)
{
    sbuf b = SBUF_INIT;
    char title[512];
    snprintf(title, sizeof title, "%s by %s%s%s%s", t->metrics[m], t->params[px],
             py >= 0 ? ", a line per " : "", py >= 0 ? t->params[py] : "",
             t->n_params > (py >= 0 ? 2u : 1u) ? " (mean over the other parameters)" : "");
    script_head(&b, name, title);
    axis ax = axis_of(t, px);
    axis ay = py >= 0 ? axis_of(t, (size_t)py) : (axis){NULL, 1};
    category_tics(&b, "x", &ax);
    sbuf_puts(&b, "set xlabel ");
    put_quoted(&b, t->params[px]);
    sbuf_puts(&b, "\nset ylabel ");
    put_quoted(&b, t->metrics[m]);
    sbuf_puts(&b, "\n");
    for (size_t k = 0; k < ay.n; k++) {
        sbuf_printf(&b, "$line%zu << EOD\n", k);
        for (size_t i = 0; i < ax.n; i++) {
            double v = cell_mean(t, m, px, ax.v[i], py, py >= 0 ? ay.v[k] : NULL);
            if (!isnan(v))
                sbuf_printf(&b, "%zu %.10g\n", i, v);
        }
        sbuf_puts(&b, "EOD\n");
    }
    sbuf_puts(&b, "plot ");
    for (size_t k = 0; k < ay.n; k++) {
        sbuf_printf(&b, "%s$line%zu using 1:2 with linespoints lw 2 pt 7 title ", k ? ", " : "",
                    k);
        if (py >= 0) {
            char *key = xasprintf("%s=%s", t->params[py], ay.v[k]);
            put_quoted(&b, key);
            free(key);
        } else {
            put_quoted(&b, t->metrics[m]);
        }
    }
    script_tail(&b, name);
    free(ax.v);
    free(ay.v);
    return sbuf_take(&b);
}

/* Metric m over the two parameters, a cell per pair with its value. */
static char *script_heat(const sweep_table *t, int m, const char *name)
{
    sbuf b = SBUF_INIT;
    char title[512];
    snprintf(title, sizeof title, "%s by %s and %s", t->metrics[m], t->params[0], t->params[1]);
    script_head(&b, name, title);
    axis ax = axis_of(t, 0), ay = axis_of(t, 1);
    category_tics(&b, "x", &ax);
    category_tics(&b, "y", &ay);
    sbuf_puts(&b, "set xlabel ");
    put_quoted(&b, t->params[0]);
    sbuf_puts(&b, "\nset ylabel ");
    put_quoted(&b, t->params[1]);
    sbuf_puts(&b, "\nset cblabel ");
    put_quoted(&b, t->metrics[m]);
    sbuf_puts(&b, "\nset palette defined (0 '#2c7bb6', 1 '#ffffbf', 2 '#d7191c')\n"
                  "unset key\nset grid noxtics noytics\n$heat << EOD\n");
    size_t shown = 0;
    for (size_t j = 0; j < ay.n; j++)
        for (size_t i = 0; i < ax.n; i++) {
            double v = cell_mean(t, m, 0, ax.v[i], 1, ay.v[j]);
            if (!isnan(v)) {
                sbuf_printf(&b, "%zu %zu %.10g\n", i, j, v);
                shown++;
            }
        }
    sbuf_puts(&b, "EOD\n");
    /* Boxes rather than an image: a cell with no number stays blank. */
    if (shown)
        sbuf_puts(&b, "plot $heat using 1:2:(0.5):(0.5):3 with boxxyerror fill solid "
                      "lc palette, $heat using 1:2:(sprintf('%g', $3)) with labels");
    else
        empty_frame(&b, "no point has a number for this metric");
    script_tail(&b, name);
    free(ax.v);
    free(ay.v);
    return sbuf_take(&b);
}

/* Oversell against p99 push latency: every point with a result in grey,
 * the Pareto front over them coloured by undersell. */
static char *script_pareto(const sweepplot_input *in, const char *name)
{
    const sweep_table *t = in->t;
    sbuf b = SBUF_INIT;
    script_head(&b, name,
                "Pareto front: oversell, undersell and p99 order push latency (lower is better)");
    sbuf_puts(&b, "set xlabel 'order_push_latency_ms.p99'\nset ylabel 'oversell_units'\n"
                  "set cblabel 'undersell_units'\nset palette defined (0 '#1a9641', 1 '#fdae61', "
                  "2 '#d7191c')\n$all << EOD\n");
    size_t n_all = 0, n_front = 0, n_under = 0;
    for (size_t i = 0; i < t->n_rows; i++)
        n_under += usable(&t->rows[i], in->undersell);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < t->n_rows; i++) {
            const sweep_row *r = &t->rows[i];
            if (!usable(r, in->oversell) || !usable(r, in->p99) || (pass && !in->front[i]))
                continue;
            double u = usable(r, in->undersell) ? r->mean[in->undersell] : 0;
            sbuf_printf(&b, "%.10g %.10g %.10g %zu\n", r->mean[in->p99], r->mean[in->oversell],
                        u, r->index);
            *(pass ? &n_front : &n_all) += 1;
        }
        sbuf_puts(&b, pass ? "EOD\n" : "EOD\n$front << EOD\n");
    }
    /* Without undersell figures the front has one colour and no scale. */
    if (n_all)
        sbuf_printf(&b, "set offsets graph 0.05, graph 0.05, graph 0.05, graph 0.05\n%s"
                        "plot $all using 1:2 with points pt 6 ps 1.2 lc rgb '#999999' "
                        "title 'points', $front using 1:2%s with points pt 7 ps 2 %s "
                        "title 'Pareto front%s', $front using 1:2:(sprintf('#%%d', $4)) with "
                        "labels offset 1.5,0.8 notitle",
                    n_under ? "" : "unset colorbox\n", n_under ? ":3" : "",
                    n_under ? "lc palette" : "lc rgb '#d7191c'",
                    n_under ? " (colour: undersell_units)" : " (undersell not measured)");
    else
        empty_frame(&b, "no point has both oversell and p99 push latency");
    script_tail(&b, name);
    return sbuf_take(&b);
}

/* Has gnuplot draw dir/name.gp in dir, through sh, which finds gnuplot in
 * PATH (exit 127 when it is not there). Returns its exit status, or -1
 * when it could not be started or took too long. */
static int run_gnuplot_in(const char *dir, const char *name, const char *log_path)
{
    sbuf cd = SBUF_INIT;
    sbuf_puts(&cd, "cd ");
    put_quoted(&cd, dir);
    char *gp_name = xasprintf("%s.gp", name);
    char *argv[] = {(char *)"/bin/sh", (char *)"-c",
                    (char *)"command -v gnuplot >/dev/null || exit 127; exec gnuplot -e \"$1\" \"$2\"",
                    (char *)"sh", cd.data, gp_name, NULL};
    proc *p = NULL;
    char err[300];
    int status = -1;
    if (proc_start(argv, log_path, 0, 0, &p, NULL, err, sizeof err) != 0)
        fprintf(stderr, "surge: sweep: plot %s: %s\n", name, err);
    else if (!proc_wait(p, PLOT_TIMEOUT_MS, &status))
        fprintf(stderr, "surge: sweep: plot %s: gnuplot took over %d s\n", name,
                PLOT_TIMEOUT_MS / 1000);
    else
        status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    proc_stop(p, 0);
    sbuf_free(&cd);
    free(gp_name);
    return status;
}

static int nonempty(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && st.st_size > 0;
}

/* Writes script (taken) to dir/name.gp and draws it unless gnuplot is
 * known to be missing. Returns 1 when both images exist, else 0 after a
 * warning (one for a missing gnuplot, then *no_gnuplot is set). */
static int draw(const char *dir, const char *name, char *script, int *no_gnuplot)
{
    char *gp = xasprintf("%s/%s.gp", dir, name);
    char *png = xasprintf("%s/%s.png", dir, name);
    char *svg = xasprintf("%s/%s.svg", dir, name);
    char *log_path = xasprintf("%s/gnuplot.log", dir);
    FILE *f = fopen(gp, "wb");
    int written = f && fputs(script, f) >= 0;
    written = f && fclose(f) == 0 && written;
    free(script);
    /* An earlier sweep's image must not pass for this one's. */
    unlink(png);
    unlink(svg);
    int drawn = 0, status = 0;
    if (!written)
        fprintf(stderr, "surge: sweep: cannot write %s\n", gp);
    else if (!*no_gnuplot && (status = run_gnuplot_in(dir, name, log_path)) == NO_GNUPLOT) {
        *no_gnuplot = 1;
        fprintf(stderr, "surge: sweep: no plots: gnuplot is not installed (scripts/deps.sh "
                        "installs gnuplot-nox); the .gp scripts are in %s\n", dir);
    } else if (!*no_gnuplot && status != 0)
        fprintf(stderr, "surge: sweep: plot %s failed (see %s)\n", name, log_path);
    else if (!*no_gnuplot && !(nonempty(png) && nonempty(svg)))
        fprintf(stderr, "surge: sweep: gnuplot drew no %s.png or %s.svg (see %s)\n", name, name,
                log_path);
    else
        drawn = !*no_gnuplot;
    free(gp);
    free(png);
    free(svg);
    free(log_path);
    return drawn;
}

size_t sweepplot_write(const char *dir, const sweepplot_input *in)
{
    const sweep_table *t = in->t;
    size_t drawn = 0;
    int no_gnuplot = 0;
    sbuf name = SBUF_INIT;
    for (size_t k = 0; k < in->n_metrics; k++) {
        int m = in->metrics[k];
        /* A metric no point has a number for (not measured by this surge)
         * has nothing to draw. */
        size_t numbers = 0;
        for (size_t i = 0; i < t->n_rows; i++)
            numbers += usable(&t->rows[i], m);
        if (!numbers)
            continue;
        size_t axes = t->n_params < PLOT_MAX_AXES ? t->n_params : PLOT_MAX_AXES;
        for (size_t px = 0; px < axes; px++) {
            sbuf_reset(&name);
            put_file_part(&name, t->metrics[m]);
            sbuf_puts(&name, "-by-");
            put_file_part(&name, t->params[px]);
            int py = t->n_params > 1 ? (int)((px + 1) % t->n_params) : -1;
            drawn += (size_t)draw(dir, sbuf_str(&name),
                                  script_lines(t, m, px, py, sbuf_str(&name)), &no_gnuplot);
        }
        if (t->n_params == 2) {
            sbuf_reset(&name);
            sbuf_puts(&name, "heatmap-");
            put_file_part(&name, t->metrics[m]);
            drawn += (size_t)draw(dir, sbuf_str(&name), script_heat(t, m, sbuf_str(&name)),
                                  &no_gnuplot);
        }
    }
    drawn += (size_t)draw(dir, "pareto", script_pareto(in, "pareto"), &no_gnuplot);
    sbuf_free(&name);
    /* gnuplot's log only when it said something. */
    char *log_path = xasprintf("%s/gnuplot.log", dir);
    if (!nonempty(log_path))
        unlink(log_path);
    free(log_path);
    return drawn;
}
