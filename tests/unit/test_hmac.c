/* HMAC-SHA256, strict base64, constant-time compare and Shopify signatures. */
#include "../runner.h"

#include "hmac.h"
#include "rng.h"

#include <stdio.h>
#include <stdlib.h>

static void to_hex(const unsigned char *p, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

/* The MAC of (key, msg) as lower-case hex, in a static buffer. */
static const char *mac_hex(const void *key, size_t key_len, const void *msg, size_t msg_len)
{
    static char hex[65];
    unsigned char mac[32];
    hmac_sha256(key, key_len, msg, msg_len, mac);
    to_hex(mac, sizeof mac, hex);
    return hex;
}

TEST(hmac, rfc4231_vectors)
{
    unsigned char key[131], data[50];

    /* Test case 1 */
    memset(key, 0x0b, 20);
    EXPECT_EQ_STR(mac_hex(key, 20, "Hi There", 8),
                  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    /* 2: a key shorter than the hash */
    EXPECT_EQ_STR(mac_hex("Jefe", 4, "what do ya want for nothing?", 28),
                  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    /* 3 */
    memset(key, 0xaa, 20);
    memset(data, 0xdd, 50);
    EXPECT_EQ_STR(mac_hex(key, 20, data, 50),
                  "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
    /* 4 */
    for (int i = 0; i < 25; i++)
        key[i] = (unsigned char)(i + 1);
    memset(data, 0xcd, 50);
    EXPECT_EQ_STR(mac_hex(key, 25, data, 50),
                  "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
    /* 6: a key longer than the block is hashed first */
    memset(key, 0xaa, 131);
    const char *m6 = "Test Using Larger Than Block-Size Key - Hash Key First";
    EXPECT_EQ_STR(mac_hex(key, 131, m6, strlen(m6)),
                  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    /* 7 */
    const char *m7 = "This is a test using a larger than block-size key and a larger "
                     "than block-size data. The key needs to be hashed before being "
                     "used by the HMAC algorithm.";
    EXPECT_EQ_STR(mac_hex(key, 131, m7, strlen(m7)),
                  "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

TEST(hmac, empty_key_and_message)
{
    /* A mock configured with an empty secret must still sign, not abort. */
    const char *want = "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad";
    EXPECT_EQ_STR(mac_hex("", 0, "", 0), want);
    EXPECT_EQ_STR(mac_hex(NULL, 0, NULL, 0), want);
}

static const char *const rfc4648_plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
static const char *const rfc4648_b64[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
                                          "Zm9vYmFy"};

TEST(hmac, base64_rfc4648_encode)
{
    for (size_t i = 0; i < 7; i++) {
        char out[16];
        memset(out, 'x', sizeof out);
        size_t n = base64_encode(rfc4648_plain[i], strlen(rfc4648_plain[i]), out, sizeof out);
        EXPECT_EQ_STR(out, rfc4648_b64[i]);
        EXPECT_EQ_INT(n, strlen(rfc4648_b64[i]));
        EXPECT_EQ_INT(base64_encoded_len(strlen(rfc4648_plain[i])), n);
    }
}

TEST(hmac, base64_rfc4648_decode)
{
    for (size_t i = 0; i < 7; i++) {
        unsigned char out[16];
        size_t n = 99;
        EXPECT_EQ_INT(base64_decode(rfc4648_b64[i], strlen(rfc4648_b64[i]), out, sizeof out, &n), 0);
        out[n < sizeof out ? n : sizeof out - 1] = '\0';
        EXPECT_EQ_INT(n, strlen(rfc4648_plain[i]));
        EXPECT_EQ_STR((char *)out, rfc4648_plain[i]);
    }
    /* in_len bounds the input: no NUL is needed after it. */
    unsigned char out[8];
    size_t n = 0;
    EXPECT_EQ_INT(base64_decode("Zm9vjunk", 4, out, sizeof out, &n), 0);
    EXPECT_EQ_INT(n, 3);
    EXPECT_TRUE(memcmp(out, "foo", 3) == 0);
}

TEST(hmac, base64_decode_rejects)
{
    const char *bad[] = {
        "Zg=",      /* length not a multiple of 4 */
        "Zg",       "Z", "Zm9vY",
        "Zg=a",     /* '=' before the end */
        "Z===",     /* three '=' */
        "====",     "=Zm9",
        "Zg==Zg==", /* padding in the middle */
        "Zm9v\nYmFy", "Zm 9v", " Zm9", /* whitespace */
        "Zm-_",     /* URL-safe alphabet */
        "Zm9*",     "Zm9\x80",
        "Zh==",     /* non-zero bits after the last byte ("f" is Zg==) */
        "Zm9=",     /* "fo" is Zm8= */
        NULL,
    };
    for (int i = 0; bad[i]; i++) {
        unsigned char out[16];
        memset(out, 0x5a, sizeof out);
        size_t n = 77;
        int rc = base64_decode(bad[i], strlen(bad[i]), out, sizeof out, &n);
        if (rc != -1)
            test_fail(__FILE__, __LINE__, "\"%s\" accepted (rc %d, %zu bytes)", bad[i], rc, n);
        EXPECT_EQ_INT(n, 0);
        for (size_t k = 0; k < sizeof out; k++)
            EXPECT_EQ_INT(out[k], 0x5a); /* nothing written on failure */
    }
    /* A NUL inside in_len is a bad character, not an end. */
    unsigned char out[8];
    size_t n;
    EXPECT_EQ_INT(base64_decode("Zm\0v", 4, out, sizeof out, &n), -1);
}

TEST(hmac, base64_small_buffers)
{
    unsigned char out[8];
    size_t n = 77;
    /* "foobar" needs 6 bytes. */
    EXPECT_EQ_INT(base64_decode("Zm9vYmFy", 8, out, 5, &n), -1);
    EXPECT_EQ_INT(n, 0);
    EXPECT_EQ_INT(base64_decode("Zm9vYmFy", 8, out, 6, &n), 0);
    EXPECT_EQ_INT(n, 6);
    /* Padding counts: "f" fits in one byte. */
    EXPECT_EQ_INT(base64_decode("Zg==", 4, out, 1, &n), 0);
    EXPECT_EQ_INT(n, 1);
    EXPECT_EQ_INT(base64_decode("Zg==", 4, out, 0, &n), -1);

    /* Encoding needs room for the NUL as well. */
    char enc[9];
    memset(enc, 'x', sizeof enc);
    EXPECT_EQ_INT(base64_encode("foobar", 6, enc, 8), 0);
    EXPECT_EQ_STR(enc, "");
    EXPECT_EQ_INT(base64_encode("foobar", 6, enc, 9), 8);
    EXPECT_EQ_STR(enc, "Zm9vYmFy");
    EXPECT_EQ_INT(base64_encode("", 0, enc, 1), 0);
    EXPECT_EQ_STR(enc, "");
    EXPECT_EQ_INT(base64_encode("f", 1, NULL, 0), 0); /* no room at all: nothing written */
    EXPECT_EQ_U64(base64_encoded_len(SIZE_MAX), SIZE_MAX);
}

TEST(hmac, base64_round_trip_every_length)
{
    rng r;
    rng_seed(&r, 4231);
    for (size_t len = 0; len <= 200; len++) {
        unsigned char in[200], back[200];
        char enc[300];
        for (size_t i = 0; i < len; i++)
            in[i] = (unsigned char)rng_next(&r);
        size_t n = base64_encode(in, len, enc, base64_encoded_len(len) + 1);
        EXPECT_EQ_INT(n, base64_encoded_len(len));
        EXPECT_EQ_INT(strlen(enc), n);
        size_t m = 0;
        EXPECT_EQ_INT(base64_decode(enc, n, back, len, &m), 0);
        EXPECT_EQ_INT(m, len);
        if (len && memcmp(in, back, len) != 0)
            test_fail(__FILE__, __LINE__, "length %zu: round trip changed the bytes (%s)", len, enc);
    }
}

TEST(hmac, ct_equal)
{
    unsigned char a[64], b[64];
    for (int i = 0; i < 64; i++)
        a[i] = b[i] = (unsigned char)(i * 7);
    EXPECT_EQ_INT(ct_equal(a, b, 64), 1);
    EXPECT_EQ_INT(ct_equal(a, b, 0), 1);
    for (int i = 0; i < 64; i++) {
        for (int bit = 0; bit < 8; bit++) {
            b[i] ^= (unsigned char)(1 << bit);
            EXPECT_EQ_INT(ct_equal(a, b, 64), 0);
            b[i] ^= (unsigned char)(1 << bit);
        }
    }
    b[63] ^= 1;
    EXPECT_EQ_INT(ct_equal(a, b, 63), 1); /* only n bytes count */
}

static const char secret[] = "hush";
static const char body[] = "{\"id\":820982911946154508,\"email\":\"jon@example.com\"}";
/* openssl dgst -sha256 -hmac hush -binary | base64, run once by hand. */
static const char body_sig[] = "D0UMXmhjwBRi4y66TmhJrDlhQABD7zI2fm3p6/QLMo8=";

TEST(hmac, shopify_signature_known_answer)
{
    char sig[HMAC_SHA256_B64_SIZE];
    hmac_sha256_base64(secret, body, strlen(body), sig);
    EXPECT_EQ_STR(sig, body_sig);
    EXPECT_EQ_INT(hmac_verify_base64(secret, body, strlen(body), body_sig), 1);
    /* An empty body is signed too (Shopify never sends one, the mock might). */
    hmac_sha256_base64(secret, NULL, 0, sig);
    EXPECT_EQ_INT(hmac_verify_base64(secret, "", 0, sig), 1);
}

TEST(hmac, shopify_one_bit_changes_fail)
{
    size_t len = strlen(body);
    char changed[sizeof body];
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(changed, body, sizeof body);
            changed[i] = (char)(changed[i] ^ (1 << bit));
            if (hmac_verify_base64(secret, changed, len, body_sig))
                test_fail(__FILE__, __LINE__, "body byte %zu bit %d flipped still verifies", i, bit);
        }
    }
    /* Every bit of the MAC itself, re-encoded so the header is valid base64. */
    unsigned char mac[32];
    size_t n;
    EXPECT_EQ_INT(base64_decode(body_sig, strlen(body_sig), mac, sizeof mac, &n), 0);
    for (size_t i = 0; i < 32; i++) {
        for (int bit = 0; bit < 8; bit++) {
            char sig[HMAC_SHA256_B64_SIZE];
            mac[i] ^= (unsigned char)(1 << bit);
            base64_encode(mac, sizeof mac, sig, sizeof sig);
            mac[i] ^= (unsigned char)(1 << bit);
            if (hmac_verify_base64(secret, body, len, sig))
                test_fail(__FILE__, __LINE__, "MAC byte %zu bit %d flipped still verifies: %s", i, bit, sig);
        }
    }
    /* And every bit of the header text. */
    for (size_t i = 0; i < strlen(body_sig); i++) {
        for (int bit = 0; bit < 8; bit++) {
            char sig[sizeof body_sig];
            memcpy(sig, body_sig, sizeof sig);
            sig[i] = (char)(sig[i] ^ (1 << bit));
            if (sig[i] == '\0')
                continue;
            if (hmac_verify_base64(secret, body, len, sig))
                test_fail(__FILE__, __LINE__, "header char %zu bit %d flipped still verifies: %s", i, bit, sig);
        }
    }
    EXPECT_EQ_INT(hmac_verify_base64("hush!", body, len, body_sig), 0);
}

TEST(hmac, shopify_bad_headers_fail)
{
    size_t len = strlen(body);
    EXPECT_EQ_INT(hmac_verify_base64(secret, body, len, NULL), 0);
    EXPECT_EQ_INT(hmac_verify_base64(secret, body, len, ""), 0);
    /* Every truncation, including ones that are valid base64 of fewer bytes. */
    for (size_t cut = 0; cut < strlen(body_sig); cut++) {
        char sig[sizeof body_sig];
        memcpy(sig, body_sig, cut);
        sig[cut] = '\0';
        if (hmac_verify_base64(secret, body, len, sig))
            test_fail(__FILE__, __LINE__, "truncated to %zu verifies: %s", cut, sig);
    }
    char longer[128];
    snprintf(longer, sizeof longer, "%s\n", body_sig);
    EXPECT_EQ_INT(hmac_verify_base64(secret, body, len, longer), 0);
    snprintf(longer, sizeof longer, " %s", body_sig);
    EXPECT_EQ_INT(hmac_verify_base64(secret, body, len, longer), 0);
    snprintf(longer, sizeof longer, "%sAAAA", body_sig);
    EXPECT_EQ_INT(hmac_verify_base64(secret, body, len, longer), 0);
    /* The hex spelling of the same MAC is not base64 of it. */
    EXPECT_EQ_INT(hmac_verify_base64(secret, body, len,
                                     "0f450c5e6863c01462e32eba4e6849ac3961400043ef32367e6de9ebf40b328f"),
                  0);
    /* "8=" ends the right header; "9=" spells the same bytes non-canonically. */
    char alt[sizeof body_sig];
    memcpy(alt, body_sig, sizeof alt);
    alt[42] = '9';
    EXPECT_EQ_INT(hmac_verify_base64(secret, body, len, alt), 0);
}

TEST(hmac, matches_openssl_cli)
{
    /* A second opinion from another implementation, when the openssl tool is
     * installed (it is not part of the build's packages, so its absence is
     * not a failure). */
    if (system("command -v openssl >/dev/null 2>&1 && command -v base64 >/dev/null 2>&1") != 0) {
        printf("openssl or base64 not installed; cross-check skipped\n");
        return;
    }
    rng r;
    rng_seed(&r, 2024);
    char path[512];
    snprintf(path, sizeof path, "%s/body.bin", test_tmp_dir());
    unsigned char buf[1000];
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (unsigned char)rng_next(&r);
    FILE *f = fopen(path, "wb");
    EXPECT_TRUE(f != NULL);
    EXPECT_EQ_INT(fwrite(buf, 1, sizeof buf, f), sizeof buf);
    EXPECT_EQ_INT(fclose(f), 0);

    const char *key = "shpss_0123456789abcdef";
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "openssl dgst -sha256 -hmac '%s' -binary '%s' | base64", key, path);
    FILE *p = popen(cmd, "r");
    EXPECT_TRUE(p != NULL);
    char line[128] = "";
    if (!fgets(line, sizeof line, p))
        line[0] = '\0';
    EXPECT_EQ_INT(pclose(p), 0);
    line[strcspn(line, "\n")] = '\0';

    char sig[HMAC_SHA256_B64_SIZE];
    hmac_sha256_base64(key, buf, sizeof buf, sig);
    EXPECT_EQ_STR(sig, line);
    EXPECT_EQ_INT(hmac_verify_base64(key, buf, sizeof buf, line), 1);
}
