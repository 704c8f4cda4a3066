/* The ops page's pure parts: admin sessions (opsauth: ids and CSRF tokens,
 * idle and absolute expiry, logout, the bounded table), the cookie and form
 * readers (webform) and the ring of recent alerts (alertring). */
#include "../runner.h"

#include "../../engine/syncd/alertring.h"
#include "../../engine/syncd/opsauth.h"
#include "../../engine/syncd/webform.h"

#include <stdlib.h>
#include <string.h>

#define IDLE 1000
#define MAX_AGE 5000

static int is_hex64(const char *s)
{
    if (strlen(s) != OPSAUTH_TOKEN_LEN)
        return 0;
    for (; *s; s++)
        if (!strchr("0123456789abcdef", *s))
            return 0;
    return 1;
}

TEST(opsauth, login_opens_a_session_with_its_own_csrf_token)
{
    opsauth *a = opsauth_new(4, IDLE, MAX_AGE);
    char sid[OPSAUTH_TOKEN_LEN + 1], csrf[OPSAUTH_TOKEN_LEN + 1], got[OPSAUTH_TOKEN_LEN + 1];
    EXPECT_EQ_INT(opsauth_login(a, 0, sid, csrf), 0);
    EXPECT_TRUE(is_hex64(sid));
    EXPECT_TRUE(is_hex64(csrf));
    EXPECT_TRUE(strcmp(sid, csrf) != 0);
    EXPECT_EQ_INT(opsauth_session(a, sid, 10, got), 1);
    EXPECT_EQ_STR(got, csrf);
    /* A second login is another session, with another token. */
    char sid2[OPSAUTH_TOKEN_LEN + 1], csrf2[OPSAUTH_TOKEN_LEN + 1];
    EXPECT_EQ_INT(opsauth_login(a, 20, sid2, csrf2), 0);
    EXPECT_TRUE(strcmp(sid, sid2) != 0 && strcmp(csrf, csrf2) != 0);
    EXPECT_EQ_INT(opsauth_count(a, 20), 2);
    /* Not sessions: NULL, empty, one character changed, a prefix, the
     * CSRF token. */
    char near[OPSAUTH_TOKEN_LEN + 1];
    memcpy(near, sid, sizeof near);
    near[17] = near[17] == 'a' ? 'b' : 'a';
    EXPECT_EQ_INT(opsauth_session(a, NULL, 30, got), 0);
    EXPECT_EQ_INT(opsauth_session(a, "", 30, got), 0);
    EXPECT_EQ_INT(opsauth_session(a, near, 30, got), 0);
    sid[63] = '\0';
    EXPECT_EQ_INT(opsauth_session(a, sid, 30, got), 0);
    EXPECT_EQ_INT(opsauth_session(a, csrf, 30, got), 0);
    opsauth_free(a);
}

TEST(opsauth, sessions_end_idle_at_max_age_and_at_logout)
{
    opsauth *a = opsauth_new(4, IDLE, MAX_AGE);
    char sid[OPSAUTH_TOKEN_LEN + 1], csrf[OPSAUTH_TOKEN_LEN + 1], got[OPSAUTH_TOKEN_LEN + 1];
    EXPECT_EQ_INT(opsauth_login(a, 0, sid, csrf), 0);
    /* Used within the idle time, it lives on... */
    for (int64_t t = 900; t < MAX_AGE; t += 900)
        EXPECT_EQ_INT(opsauth_session(a, sid, t, got), 1);
    /* ...but not past its longest life, however busy. */
    EXPECT_EQ_INT(opsauth_session(a, sid, MAX_AGE, got), 0);
    /* Idle too long: gone, and it stays gone. */
    EXPECT_EQ_INT(opsauth_login(a, 10000, sid, csrf), 0);
    EXPECT_EQ_INT(opsauth_session(a, sid, 10000 + IDLE - 1, got), 1);
    EXPECT_EQ_INT(opsauth_session(a, sid, 10000 + 2 * IDLE, got), 0);
    EXPECT_EQ_INT(opsauth_session(a, sid, 10000 + 2 * IDLE + 1, got), 0);
    /* Logout ends it at once; another session stays. */
    char sid2[OPSAUTH_TOKEN_LEN + 1];
    EXPECT_EQ_INT(opsauth_login(a, 20000, sid, csrf), 0);
    EXPECT_EQ_INT(opsauth_login(a, 20000, sid2, csrf), 0);
    opsauth_logout(a, sid);
    opsauth_logout(a, "not a session");
    opsauth_logout(a, NULL);
    EXPECT_EQ_INT(opsauth_session(a, sid, 20001, got), 0);
    EXPECT_EQ_INT(opsauth_session(a, sid2, 20001, got), 1);
    EXPECT_EQ_INT(opsauth_count(a, 20001), 1);
    opsauth_free(a);
}

TEST(opsauth, a_full_table_gives_way_least_recently_used_first)
{
    opsauth *a = opsauth_new(2, IDLE, MAX_AGE);
    char s1[OPSAUTH_TOKEN_LEN + 1], s2[OPSAUTH_TOKEN_LEN + 1], s3[OPSAUTH_TOKEN_LEN + 1];
    char csrf[OPSAUTH_TOKEN_LEN + 1];
    EXPECT_EQ_INT(opsauth_login(a, 0, s1, csrf), 0);
    EXPECT_EQ_INT(opsauth_login(a, 10, s2, csrf), 0);
    EXPECT_EQ_INT(opsauth_session(a, s1, 20, csrf), 1); /* s2 is now the least recent */
    EXPECT_EQ_INT(opsauth_login(a, 30, s3, csrf), 0);
    EXPECT_EQ_INT(opsauth_count(a, 30), 2);
    EXPECT_EQ_INT(opsauth_session(a, s2, 40, csrf), 0);
    EXPECT_EQ_INT(opsauth_session(a, s1, 40, csrf), 1);
    EXPECT_EQ_INT(opsauth_session(a, s3, 40, csrf), 1);
    opsauth_free(a);
    opsauth_free(NULL);
}

TEST(opsauth, credentials_compare_whole)
{
    EXPECT_EQ_INT(opsauth_same("tok", "tok"), 1);
    EXPECT_EQ_INT(opsauth_same("to", "tok"), 0);
    EXPECT_EQ_INT(opsauth_same("tokk", "tok"), 0);
    EXPECT_EQ_INT(opsauth_same(NULL, "tok"), 0);
    EXPECT_EQ_INT(opsauth_credential("Bearer tok", "Bearer ", "tok"), 1);
    EXPECT_EQ_INT(opsauth_credential("bearer tok", "Bearer ", "tok"), 1);
    EXPECT_EQ_INT(opsauth_credential("Bearer  tok", "Bearer ", "tok"), 0);
    EXPECT_EQ_INT(opsauth_credential("Basic tok", "Bearer ", "tok"), 0);
    EXPECT_EQ_INT(opsauth_credential(NULL, "Bearer ", "tok"), 0);
}

TEST(webform, cookie)
{
    char b[16];
    EXPECT_EQ_INT(webform_cookie("syncd_admin=abc", "syncd_admin", b, sizeof b), 0);
    EXPECT_EQ_STR(b, "abc");
    EXPECT_EQ_INT(webform_cookie("a=1; syncd_admin=xyz; b=2", "syncd_admin", b, sizeof b), 0);
    EXPECT_EQ_STR(b, "xyz");
    EXPECT_EQ_INT(webform_cookie("a=1;syncd_admin=q  ", "syncd_admin", b, sizeof b), 0);
    EXPECT_EQ_STR(b, "q");
    /* The first of two wins; a name that only starts the same is another. */
    EXPECT_EQ_INT(webform_cookie("x_syncd_admin=1; syncd_admin=2; syncd_admin=3", "syncd_admin", b,
                                 sizeof b), 0);
    EXPECT_EQ_STR(b, "2");
    EXPECT_EQ_INT(webform_cookie("syncd_admin_x=1", "syncd_admin", b, sizeof b), -1);
    EXPECT_EQ_STR(b, "");
    EXPECT_EQ_INT(webform_cookie("syncd_admin", "syncd_admin", b, sizeof b), -1);
    EXPECT_EQ_INT(webform_cookie(NULL, "syncd_admin", b, sizeof b), -1);
    EXPECT_EQ_INT(webform_cookie("", "syncd_admin", b, sizeof b), -1);
    /* Too long for the buffer: refused, not cut. */
    EXPECT_EQ_INT(webform_cookie("syncd_admin=0123456789abcdef", "syncd_admin", b, sizeof b), -1);
    EXPECT_EQ_STR(b, "");
    EXPECT_EQ_INT(webform_cookie("syncd_admin=", "syncd_admin", b, sizeof b), 0);
    EXPECT_EQ_STR(b, "");
}

TEST(webform, field)
{
    char b[16];
    const char *body = "csrf=ab%2Fc&token=a+b%20c&x";
    EXPECT_EQ_INT(webform_field(body, strlen(body), "token", b, sizeof b), 0);
    EXPECT_EQ_STR(b, "a b c");
    EXPECT_EQ_INT(webform_field(body, strlen(body), "csrf", b, sizeof b), 0);
    EXPECT_EQ_STR(b, "ab/c");
    EXPECT_EQ_INT(webform_field(body, strlen(body), "x", b, sizeof b), 0);
    EXPECT_EQ_STR(b, "");
    EXPECT_EQ_INT(webform_field(body, strlen(body), "to", b, sizeof b), -1);
    /* The name is compared decoded. */
    EXPECT_EQ_INT(webform_field("t%6Fken=1", 9, "token", b, sizeof b), 0);
    EXPECT_EQ_STR(b, "1");
    /* Malformed escapes, a NUL, too long: refused. */
    EXPECT_EQ_INT(webform_field("token=%zz", 9, "token", b, sizeof b), -1);
    EXPECT_EQ_INT(webform_field("token=%4", 8, "token", b, sizeof b), -1);
    EXPECT_EQ_INT(webform_field("token=a%00b", 11, "token", b, sizeof b), -1);
    EXPECT_EQ_STR(b, "");
    EXPECT_EQ_INT(webform_field("token=0123456789abcdef", 22, "token", b, sizeof b), -1);
    /* Only len bytes are read: the rest is not the body. */
    EXPECT_EQ_INT(webform_field("token=12345", 8, "token", b, sizeof b), 0);
    EXPECT_EQ_STR(b, "12");
    EXPECT_EQ_INT(webform_field(NULL, 0, "token", b, sizeof b), -1);
    EXPECT_EQ_INT(webform_field("", 0, "token", b, sizeof b), -1);
}

TEST(alertring, keeps_the_newest_first_and_drops_the_oldest)
{
    alertring *r = alertring_new(3);
    cJSON *l = alertring_list(r);
    EXPECT_EQ_INT(cJSON_GetArraySize(l), 0);
    cJSON_Delete(l);
    const char *texts[] = {"{\"n\":1}", "{\"n\":2}", "{\"n\":3}", "{\"n\":4}", "{\"n\":5}"};
    for (int i = 0; i < 5; i++)
        alertring_push(r, 100 * (i + 1), texts[i]);
    l = alertring_list(r);
    EXPECT_EQ_INT(cJSON_GetArraySize(l), 3);
    for (int i = 0; i < 3; i++) {
        const cJSON *e = cJSON_GetArrayItem(l, i);
        EXPECT_EQ_STR(cJSON_GetStringValue(cJSON_GetObjectItem(e, "alert")), texts[4 - i]);
        EXPECT_EQ_INT((int64_t)cJSON_GetNumberValue(cJSON_GetObjectItem(e, "t")), 100 * (5 - i));
    }
    cJSON_Delete(l);
    alertring_free(r);
    alertring_free(NULL);
}
