/*
 * The benchmark's server on lib/httpd: answers every GET, whatever the path,
 * with the fixed body of bench/payload.json, so wrk measures what the
 * wrapper adds (routing, the request object, copying the answer) over bare
 * libmicrohttpd, which bench/bare_server.c serves the same way. The httpd
 * configuration is the default one every surge server runs with (two pool
 * threads). See bench/run.sh.
 */
#include "bench.h"
#include "httpd.h"

static const char *payload;
static size_t payload_len;

static void on_bench(httpd_req *req, void *ud)
{
    (void)ud;
    /* httpd_reply copies the body, as every real handler's answer is copied;
     * that copy is part of what the benchmark measures. */
    httpd_reply(req, 200, "application/json", payload, payload_len);
}

int main(int argc, char **argv)
{
    bench_opts o;
    bench_parse(argc, argv, "Serves a fixed body at every path through lib/httpd.", &o);
    if (o.print_free_port)
        return bench_print_free_port();

    char err[256];
    char *body = NULL;
    if (bench_read_body(o.body_path, &body, &payload_len, err, sizeof err) != 0) {
        fprintf(stderr, "bench-httpd: --body: %s\n", err);
        return 1;
    }
    payload = body;

    sigset_t stop;
    bench_block_stop_signals(&stop);

    httpd *s = httpd_new();
    /* wrk asks for /bench, a literal route like most of the mocks' routes;
     * "*" answers any other path the same way (and costs a capture). */
    httpd_route(s, "GET", "/bench", on_bench, NULL);
    httpd_route(s, "GET", "*", on_bench, NULL);
    httpd_config cfg = {.port = (uint16_t)o.port};
    if (httpd_start(s, &cfg, err, sizeof err) != 0) {
        fprintf(stderr, "bench-httpd: %s\n", err);
        httpd_free(s);
        free(body);
        return 1;
    }
    bench_announce(httpd_port(s));

    bench_wait_for_stop(&stop);
    httpd_stop(s);
    httpd_free(s);
    free(body);
    return 0;
}
