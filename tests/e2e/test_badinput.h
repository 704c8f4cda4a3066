/*
 * The end-to-end bad-input matrix (docs/bad-input.md): cases are data, in
 * tests/badinput/<server>.json, one file per server (syncd, mock-cin7,
 * mock-shopify). A file holds a small table of case kinds (what to send,
 * what must come back) and of routes (which kinds apply, with per-route
 * parameters); the cross product, plus the file's hand-written cases, is
 * the list of cases this header's loader hands to the runner in
 * test_badinput.c. Requests go out over a raw socket (bi_send), so a case
 * can send what an HTTP library would refuse to: bare CR in a header
 * value, a body one byte at a time.
 */
#ifndef SURGE_TESTS_BADINPUT_H
#define SURGE_TESTS_BADINPUT_H

#include <cJSON.h>
#include <stddef.h>
#include <stdint.h>

/* Where the case files live, relative to the tree's root (the tests run
 * from there); BADINPUT_DIR in the environment overrides it. */
#define BI_DIR_DEFAULT "tests/badinput"
/* Sizes from the case files are capped: no body or header over this. */
#define BI_MAX_BODY (64u * 1024 * 1024)

/* What the signature header of a Shopify webhook case carries. */
typedef enum { BI_HMAC_NONE, BI_HMAC_VALID, BI_HMAC_WRONG } bi_hmac;

/* One case, every template already expanded; strings malloc'd. */
typedef struct {
    char *name;     /* "<kind> <METHOD> <pattern>" or the hand-written name */
    char *route;    /* "METHOD PATTERN" of the router table it exercises */
    char *method, *path;
    char **headers; /* "Name: value", n_headers of them */
    size_t n_headers;
    char *body; /* NULL: no body at all (no Content-Length) */
    size_t body_len;
    bi_hmac hmac;        /* X-Shopify-Hmac-Sha256 computed by the runner */
    int slow_interval_ms; /* > 0: the body goes out one byte per interval */
    int slow_max_ms;      /* ... for at most this long */
    char *setup;          /* NULL, or "paid_order": a real order first */
    /* the answer */
    int status;  /* expected status; 0 with expect_cut */
    int expect_cut; /* the server must cut a slow body short (408 or close) */
    char **contains;
    size_t n_contains;
    /* afterwards */
    char *dead_topic, *dead_reason; /* one new dead letter; NULL: none */
    int events_added;               /* syncd's store gains exactly this many */
} bi_case;

typedef struct {
    char *server;   /* "syncd", "mock-cin7" or "mock-shopify" */
    char *overrides; /* syncd: config members merged over the test world's (JSON text) or NULL */
    bi_case *cases;
    size_t n_cases;
} bi_file;

/* Loads and expands dir/<server>.json. Returns 0, or -1 with a message
 * naming the file and the JSON path in err. The caller frees f with
 * bi_file_free (also after a failure). */
int bi_load(const char *dir, const char *server, bi_file *f, char *err, size_t errlen);
void bi_file_free(bi_file *f);
/* The case files' directory (BADINPUT_DIR or BI_DIR_DEFAULT); borrowed. */
const char *bi_dir(void);

/* What came back from one request. */
typedef struct {
    int status;     /* 0 when no answer came */
    char *body;     /* the answer's body (malloc'd, NUL-terminated; "" when none) */
    int cut;        /* the server answered or closed before the whole body went out */
    int sent_ms;    /* real ms spent sending */
    char err[160];  /* why there was no answer, "" otherwise */
} bi_answer;

/* Sends c (with extra headers, NULL-terminated, may be NULL) to
 * 127.0.0.1:port and reads the answer; bounded in time by the case's
 * slow_max_ms plus a few seconds. */
void bi_send(uint16_t port, const bi_case *c, const char *const *extra, bi_answer *a);
void bi_answer_free(bi_answer *a);

/* The routes a program lists with --routes, "METHOD PATTERN" each, as a
 * JSON array of strings (caller frees), or NULL with a message in err. */
cJSON *bi_program_routes(const char *prog, char *err, size_t errlen);

#endif
