/*
 * Webhook signatures: HMAC-SHA256 through OpenSSL's libcrypto, a strict
 * base64 codec of our own, and a constant-time comparison. Shopify signs each
 * webhook with X-Shopify-Hmac-Sha256 = base64(HMAC-SHA256(key = app secret,
 * message = raw body)); the Shopify mock signs with hmac_sha256_base64 and
 * syncd checks with hmac_verify_base64.
 *
 * Three prefixes live here (hmac_, base64_, ct_) against the one-prefix habit
 * because they only ever serve signing and checking, and splitting a 30-line
 * codec into its own pair would buy nothing.
 *
 * Nothing here allocates or keeps state; every function is safe from any
 * thread. Pointers with a length may be NULL when the length is 0.
 */
#ifndef SURGE_HMAC_H
#define SURGE_HMAC_H

#include <stddef.h>

#define HMAC_SHA256_LEN 32
/* 44 base64 characters for 32 bytes, plus the NUL. */
#define HMAC_SHA256_B64_SIZE 45

/* out receives the 32-byte MAC. A failure inside libcrypto (no provider for
 * SHA-256) cannot be answered by a caller, so it aborts with a message. */
void hmac_sha256(const void *key, size_t key_len, const void *msg, size_t msg_len,
                 unsigned char out[32]);

/* The characters base64 makes of len bytes, without the NUL: 4 * ceil(len/3).
 * SIZE_MAX when that does not fit in a size_t. */
size_t base64_encoded_len(size_t len);

/* Standard alphabet (RFC 4648 section 4) with '=' padding, NUL-terminated.
 * Returns the characters written, not counting the NUL. When out_cap is below
 * base64_encoded_len(len) + 1 it writes nothing but an empty string (when
 * out_cap > 0) and returns 0; since an empty input also returns 0, size out
 * with base64_encoded_len(len) + 1 rather than testing the result. */
size_t base64_encode(const void *in, size_t len, char *out, size_t out_cap);

/* Strict decoding of in[0..in_len) (no NUL needed): the length must be a
 * multiple of 4, only the alphabet is allowed (no whitespace, no URL-safe
 * "-_"), '=' only as one or two final characters, and the bits padding
 * leaves over must be zero, so each byte string has exactly one accepted
 * encoding. Returns 0 with the byte count in *out_len, or -1 (out untouched,
 * *out_len 0) for bad input or when the result would exceed out_cap. */
int base64_decode(const char *in, size_t in_len, unsigned char *out, size_t out_cap,
                  size_t *out_len);

/* 1 when the n bytes at a and b are equal, else 0, in time that depends only
 * on n (CRYPTO_memcmp), so a forger learns nothing from how long it took. */
int ct_equal(const void *a, const void *b, size_t n);

/* Shopify's signature of a body: base64(HMAC-SHA256(secret, body)), 44
 * characters and a NUL in out. secret is the app's NUL-terminated secret. */
void hmac_sha256_base64(const char *secret, const void *body, size_t len,
                        char out[45]);

/* 1 when header_b64 (the X-Shopify-Hmac-Sha256 value) is the signature of
 * body under secret, else 0. The MACs are compared in constant time; a NULL,
 * empty, truncated, over-long or badly encoded header is a mismatch. */
int hmac_verify_base64(const char *secret, const void *body, size_t len,
                       const char *header_b64);

#endif
