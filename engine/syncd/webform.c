/* Cookie and form readers; see webform.h. */
#include "webform.h"

#include <string.h>

int webform_cookie(const char *header, const char *name, char *buf, size_t n)
{
    if (n)
        buf[0] = '\0';
    if (!header || !n)
        return -1;
    size_t nl = strlen(name);
    const char *p = header;
    while (*p) {
        while (*p == ' ' || *p == '\t')
            p++;
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > nl && strncmp(p, name, nl) == 0 && p[nl] == '=') {
            size_t vl = len - nl - 1;
            /* Trailing blanks belong to the separator, not the value. */
            while (vl && (p[nl + 1 + vl - 1] == ' ' || p[nl + 1 + vl - 1] == '\t'))
                vl--;
            if (vl >= n)
                return -1;
            memcpy(buf, p + nl + 1, vl);
            buf[vl] = '\0';
            return 0;
        }
        if (!end)
            break;
        p = end + 1;
    }
    return -1;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes s[0..len) into out (cap bytes, NUL added). Returns the decoded
 * length, or -1 when it does not fit, an escape is malformed or a NUL
 * would come out. */
static long decode(const char *s, size_t len, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            int hi = i + 1 < len ? hexval(s[i + 1]) : -1;
            int lo = i + 2 < len ? hexval(s[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return -1;
            c = (char)(hi * 16 + lo);
            i += 2;
        }
        if (c == '\0' || o + 1 >= cap)
            return -1;
        out[o++] = c;
    }
    out[o] = '\0';
    return (long)o;
}

int webform_field(const char *body, size_t len, const char *name, char *buf, size_t n)
{
    if (n)
        buf[0] = '\0';
    if (!n || (!body && len))
        return -1;
    size_t i = 0;
    char key[64];
    while (i < len) {
        const char *pair = body + i;
        const char *amp = memchr(pair, '&', len - i);
        size_t plen = amp ? (size_t)(amp - pair) : len - i;
        const char *eq = memchr(pair, '=', plen);
        size_t klen = eq ? (size_t)(eq - pair) : plen;
        if (decode(pair, klen, key, sizeof key) >= 0 && strcmp(key, name) == 0) {
            if (!eq)
                return 0; /* "name" alone: an empty value */
            if (decode(eq + 1, plen - klen - 1, buf, n) < 0) {
                buf[0] = '\0';
                return -1;
            }
            return 0;
        }
        i += plen + 1;
    }
    return -1;
}
