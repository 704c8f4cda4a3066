/* syncd's intake against clients that hold resources without being
 * authentic: a body that trickles in is cut off at the request deadline, a
 * webhook that cannot be authentic is answered before its body is read,
 * and one address cannot hold more connections than its share. Raw
 * sockets, so the test decides exactly what bytes go out and when. */
#include "test_syncd.h"

#include "hmac.h"
#include "mem.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

/* A connected socket to syncd whose reads give up after wait_ms. */
static int dial(const sdt_world *w, int wait_ms)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        test_fail(__FILE__, __LINE__, "socket failed");
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(w->syncd.port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
        test_fail(__FILE__, __LINE__, "connect to syncd failed");
    struct timeval tv = {wait_ms / 1000, (wait_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return fd;
}

static void put(int fd, const char *s)
{
    size_t n = strlen(s);
    if (send(fd, s, n, MSG_NOSIGNAL) != (ssize_t)n)
        test_fail(__FILE__, __LINE__, "send failed");
}

/* What the server sent until it closed or the read timed out. Returns 1
 * when the server closed the connection. */
static int answer(int fd, char *buf, size_t cap)
{
    size_t got = 0;
    for (int i = 0; i < 64 && got + 1 < cap; i++) {
        ssize_t n = recv(fd, buf + got, cap - 1 - got, 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
            buf[got] = '\0';
            return 1;
        }
        if (n < 0)
            break;
        got += (size_t)n;
    }
    buf[got] = '\0';
    return 0;
}

/* The headers of a signed orders/paid delivery of content_length bytes
 * (the signature is of body, which may be longer than what is sent). */
static char *webhook_headers(const char *body, size_t content_length, int with_hmac)
{
    char sig[HMAC_SHA256_B64_SIZE];
    hmac_sha256_base64(SDT_SECRET, body, strlen(body), sig);
    return xasprintf("POST /webhooks/shopify HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Content-Type: application/json\r\nX-Shopify-Shop-Domain: " SDT_SHOP "\r\n"
                     "X-Shopify-Topic: orders/paid\r\nX-Shopify-Webhook-Id: slow-1\r\n"
                     "%s%s%sContent-Length: %zu\r\n\r\n",
                     with_hmac ? "X-Shopify-Hmac-Sha256: " : "", with_hmac ? sig : "",
                     with_hmac ? "\r\n" : "", content_length);
}

TEST_T(intake_limits, a_trickling_body_is_cut_off_at_the_deadline, 90)
{
    sdt_world w;
    sdt_start_basic(&w, "", "{\"intake\":{\"request_deadline_real_ms\":600}}");
    const char *body = "{\"id\":9301,\"financial_status\":\"paid\",\"line_items\":"
                       "[{\"sku\":\"A-1\",\"quantity\":1,\"price\":\"10.00\"}]}";
    int fd = dial(&w, 300);
    char *h = webhook_headers(body, strlen(body), 1);
    put(fd, h);
    free(h);
    /* A byte at a time, each followed by a 300 ms wait for an answer:
     * past the 600 ms deadline the next byte makes syncd close the
     * connection, long before the whole body is in (bounded by its
     * length). */
    char buf[2048] = "";
    size_t sent = 0, len = strlen(body);
    int closed = 0;
    while (sent < len && !closed) {
        if (send(fd, body + sent, 1, MSG_NOSIGNAL) != 1) {
            closed = 1;
            break;
        }
        sent++;
        closed = answer(fd, buf, sizeof buf);
    }
    close(fd);
    EXPECT_TRUE(closed);
    EXPECT_LT_INT(sent, len / 2);
    test_count("bad inputs tried", 1);
    EXPECT_EQ_STR(buf, "");
    /* Nothing of it was kept. */
    sdt_wait_quiet(&w, 10000);
    EXPECT_EQ_INT(sdt_metric(&w, "syncd_webhooks_total{source=\"shopify\",result=\"queued\"}"), -1);
    EXPECT_EQ_INT(sdt_sales_now(&w, 9301), 0);
    /* A prompt delivery still goes through. */
    EXPECT_EQ_INT(sdt_send_webhook(&w, "orders/paid", body, SDT_SECRET, "prompt-1", "prompt-1"), 200);
    int64_t id = 9301;
    EXPECT_EQ_INT(sdt_wait_sales(&w, &id, 1, 30000), 1);
    sdt_stop(&w);
}

TEST_T(intake_limits, a_webhook_that_cannot_be_authentic_is_answered_before_its_body, 60)
{
    /* Headers promising a megabyte, without a signature (then: an unknown
     * shop, wrong Cin7 credentials, no admin token): the answer comes
     * without a byte of body sent. */
    sdt_world w;
    sdt_start_basic(&w, "", NULL);
    static const struct {
        const char *head, *status;
    } cases[] = {
        {NULL, "HTTP/1.1 401"},
        {"POST /webhooks/shopify HTTP/1.1\r\nHost: x\r\nX-Shopify-Shop-Domain: other.myshopify.com\r\n"
         "X-Shopify-Topic: orders/paid\r\nX-Shopify-Hmac-Sha256: AAAA\r\nContent-Length: 1000000\r\n\r\n",
         "HTTP/1.1 401"},
        {"POST /webhooks/shopify HTTP/1.1\r\nHost: x\r\nX-Shopify-Shop-Domain: " SDT_SHOP "\r\n"
         "X-Shopify-Hmac-Sha256: AAAA\r\nContent-Length: 1000000\r\n\r\n",
         "HTTP/1.1 400"},
        {"POST /webhooks/cin7?type=Stock/AvailableStockLevelChanged HTTP/1.1\r\nHost: x\r\n"
         "Authorization: Bearer wrong\r\nContent-Length: 1000000\r\n\r\n",
         "HTTP/1.1 401"},
        {"POST /admin/reconcile HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n",
         "HTTP/1.1 401"},
    };
    test_count("bad inputs tried", (long)(sizeof cases / sizeof cases[0]));
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int fd = dial(&w, 5000);
        char *h = cases[i].head ? xstrdup(cases[i].head) : webhook_headers("{}", 1000000, 0);
        put(fd, h);
        char buf[2048];
        answer(fd, buf, sizeof buf);
        close(fd);
        if (!strstr(buf, cases[i].status))
            test_fail(__FILE__, __LINE__, "case %zu: wanted %s before any body, got \"%.200s\"", i,
                      cases[i].status, buf);
        free(h);
    }
    EXPECT_EQ_INT(sdt_metric(&w, "syncd_queue_depth"), 0);
    sdt_stop(&w);
}

TEST_T(intake_limits, one_address_holds_at_most_its_share_of_connections, 60)
{
    /* With intake.per_ip_connections 3, a fourth open connection from the
     * same address is closed at once; once one of the three goes, a new
     * request is served. */
    sdt_world w;
    sdt_start_basic(&w, "", "{\"intake\":{\"per_ip_connections\":3}}");
    int held[3];
    for (int i = 0; i < 3; i++) {
        held[i] = dial(&w, 2000);
        put(held[i], "GET /healthz HTTP/1.1\r\nHost: x\r\n"); /* headers not finished */
    }
    int extra = dial(&w, 5000);
    char buf[512];
    int closed = answer(extra, buf, sizeof buf);
    close(extra);
    EXPECT_TRUE(closed); /* at once, without an answer */
    test_count("bad inputs tried", 1);
    EXPECT_EQ_STR(buf, "");
    close(held[0]);
    /* The server notices the close on its next pass: bounded retries. */
    int served = 0;
    for (int tries = 0; tries < 50 && !served; tries++) {
        int fd = dial(&w, 2000);
        put(fd, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        answer(fd, buf, sizeof buf);
        close(fd);
        served = strstr(buf, "HTTP/1.1 200") != NULL;
        if (!served)
            sdt_sleep_ms(50);
    }
    EXPECT_TRUE(served);
    close(held[1]);
    close(held[2]);
    sdt_stop(&w);
}
