/*
 * HMAC-SHA256, base64 and constant-time comparison for webhook signatures;
 * see hmac.h. The codec is our own rather than EVP_EncodeBlock /
 * EVP_DecodeBlock because OpenSSL's decoder skips whitespace and reports
 * padding as zero bytes, and a signature check wants one accepted spelling.
 */
#include "hmac.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                 unsigned char out[32])
{
    /* In libcrypto a NULL key means "no key given" (HMAC_Init_ex keeps the
     * previous one), not the empty key; an empty secret must mean the empty
     * key, so hand it a real pointer. */
    static const unsigned char empty[1];
    unsigned int n = 0;
    if (!key || key_len == 0)
        key = empty;
    if (!msg)
        msg = empty;
    /* HMAC() takes an int key length. */
    if (key_len > INT32_MAX ||
        !HMAC(EVP_sha256(), key, (int)key_len, msg, msg_len, out, &n) ||
        n != HMAC_SHA256_LEN) {
        fprintf(stderr, "fatal: HMAC-SHA256 failed in libcrypto\n");
        abort();
    }
}

size_t base64_encoded_len(size_t len)
{
    size_t groups = len / 3 + (len % 3 != 0);
    if (groups > SIZE_MAX / 4)
        return SIZE_MAX;
    return groups * 4;
}

size_t base64_encode(const void *in, size_t len, char *out, size_t out_cap)
{
    const unsigned char *p = in;
    size_t need = base64_encoded_len(len);
    if (need == SIZE_MAX || out_cap < need + 1) {
        if (out_cap > 0)
            out[0] = '\0';
        return 0;
    }
    char *o = out;
    size_t i = 0;
    for (; len - i >= 3; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        *o++ = b64_alphabet[v >> 18];
        *o++ = b64_alphabet[(v >> 12) & 63];
        *o++ = b64_alphabet[(v >> 6) & 63];
        *o++ = b64_alphabet[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        *o++ = b64_alphabet[v >> 18];
        *o++ = b64_alphabet[(v >> 12) & 63];
        *o++ = '=';
        *o++ = '=';
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        *o++ = b64_alphabet[v >> 18];
        *o++ = b64_alphabet[(v >> 12) & 63];
        *o++ = b64_alphabet[(v >> 6) & 63];
        *o++ = '=';
    }
    *o = '\0';
    return need;
}

/* The 6-bit value of an alphabet character, or -1. */
static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

int base64_decode(const char *in, size_t in_len, unsigned char *out, size_t out_cap,
                  size_t *out_len)
{
    *out_len = 0;
    if (in_len % 4 != 0)
        return -1;
    if (in_len == 0)
        return 0;
    size_t pad = 0;
    if (in[in_len - 1] == '=')
        pad = in[in_len - 2] == '=' ? 2 : 1;
    size_t n = in_len / 4 * 3 - pad;
    if (n > out_cap)
        return -1;

    /* Validate everything before writing, so a rejected input leaves out as
     * it was. */
    size_t body = in_len - pad;
    for (size_t i = 0; i < body; i++)
        if (b64_value((unsigned char)in[i]) < 0)
            return -1;
    /* The bits after the last whole byte must be zero: "Zh==" and "Zg=="
     * would otherwise both mean "f". */
    if (pad == 2 && (b64_value((unsigned char)in[in_len - 3]) & 15) != 0)
        return -1;
    if (pad == 1 && (b64_value((unsigned char)in[in_len - 2]) & 3) != 0)
        return -1;

    unsigned char *o = out;
    for (size_t i = 0; i < in_len; i += 4) {
        int last = i + 4 == in_len;
        uint32_t v = 0;
        for (size_t k = 0; k < 4; k++) {
            int d = last && k >= 4 - pad ? 0 : b64_value((unsigned char)in[i + k]);
            v = v << 6 | (uint32_t)d;
        }
        *o++ = (unsigned char)(v >> 16);
        if (!last || pad < 2)
            *o++ = (unsigned char)(v >> 8);
        if (!last || pad < 1)
            *o++ = (unsigned char)v;
    }
    *out_len = n;
    return 0;
}

int ct_equal(const void *a, const void *b, size_t n)
{
    return CRYPTO_memcmp(a, b, n) == 0;
}

void hmac_sha256_base64(const char *secret, const void *body, size_t len,
                        char out[45])
{
    unsigned char mac[HMAC_SHA256_LEN];
    hmac_sha256(secret, strlen(secret), body, len, mac);
    base64_encode(mac, sizeof mac, out, HMAC_SHA256_B64_SIZE);
}

int hmac_verify_base64(const char *secret, const void *body, size_t len,
                       const char *header_b64)
{
    if (!header_b64)
        return 0;
    /* A right header is always 44 characters; the length is public, so
     * rejecting on it early leaks nothing, and it bounds the work an
     * attacker's header can cause. */
    size_t hlen = strnlen(header_b64, HMAC_SHA256_B64_SIZE);
    if (hlen != HMAC_SHA256_B64_SIZE - 1)
        return 0;
    unsigned char got[HMAC_SHA256_LEN + 2];
    size_t got_len = 0;
    if (base64_decode(header_b64, hlen, got, sizeof got, &got_len) != 0 ||
        got_len != HMAC_SHA256_LEN)
        return 0;
    unsigned char want[HMAC_SHA256_LEN];
    hmac_sha256(secret, strlen(secret), body, len, want);
    return ct_equal(got, want, HMAC_SHA256_LEN);
}
