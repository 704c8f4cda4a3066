/*
 * The benchmark's baseline: the same fixed answer as bench/httpd_server.c
 * served by libmicrohttpd alone, with the daemon flags and options lib/httpd.c
 * starts MHD with (auto internal threading, which is epoll on Linux, a pool
 * of two threads, suspend/resume allowed, 60 s idle timeout), so the ratio
 * between the two is what the wrapper costs. One response object is built at
 * start and queued for every request.
 */
#include "bench.h"

#include <microhttpd.h>

static struct MHD_Response *response;

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version,
                                 const char *upload_data, size_t *upload_size, void **con_cls)
{
    (void)cls;
    (void)url;
    (void)version;
    (void)upload_data;
    /* MHD calls once with the headers and again when the (empty) body is in;
     * answering on the second call is how any MHD server that reads bodies
     * works, lib/httpd.c included, so the baseline does the same. The marker
     * only has to be non-NULL. */
    static int seen;
    if (*con_cls == NULL) {
        *con_cls = &seen;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0;
        return MHD_YES;
    }
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0)
        return MHD_NO;
    return MHD_queue_response(conn, MHD_HTTP_OK, response);
}

int main(int argc, char **argv)
{
    bench_opts o;
    bench_parse(argc, argv, "Serves a fixed body at every path with bare libmicrohttpd.", &o);
    if (o.print_free_port)
        return bench_print_free_port();

    char err[256];
    char *body = NULL;
    size_t len = 0;
    if (bench_read_body(o.body_path, &body, &len, err, sizeof err) != 0) {
        fprintf(stderr, "bench-bare: --body: %s\n", err);
        return 1;
    }
    /* PERSISTENT: MHD neither copies nor frees body; it outlives the daemon. */
    response = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_PERSISTENT);
    if (!response ||
        MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json") !=
            MHD_YES) {
        fprintf(stderr, "bench-bare: cannot build the response\n");
        return 1;
    }

    sigset_t stop;
    bench_block_stop_signals(&stop);

    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)o.port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    /* Keep these in step with httpd_start in lib/httpd.c. */
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_access, NULL,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_THREAD_POOL_SIZE, 2u,
        MHD_OPTION_CONNECTION_TIMEOUT, 60u,
        MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "bench-bare: cannot listen on 127.0.0.1:%u\n", o.port);
        MHD_destroy_response(response);
        free(body);
        return 1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    bench_announce(info ? info->port : o.port);

    bench_wait_for_stop(&stop);
    MHD_stop_daemon(d);
    MHD_destroy_response(response);
    free(body);
    return 0;
}
