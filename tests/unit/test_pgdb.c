/* lib/pgdb.h's connection strings: the run's database in place of the
 * server's, the password out of what is written down, and no quoting of
 * the input in a message (it may carry a password). */
#include "../runner.h"

#include "pgdb.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

/* The value of keyword in conninfo as libpq reads it (malloc'd), or NULL. */
static char *value_of(const char *conninfo, const char *keyword)
{
    char *why = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &why);
    if (!opts)
        test_fail(__FILE__, __LINE__, "libpq cannot read \"%s\": %s", conninfo, why);
    char *v = NULL;
    for (PQconninfoOption *o = opts; o->keyword; o++)
        if (o->val && strcmp(o->keyword, keyword) == 0)
            v = strdup(o->val);
    PQconninfoFree(opts);
    return v;
}

TEST(pgdb, conninfo_takes_the_database_given_and_leaves_the_password_out)
{
    char err[200];
    /* A keyword=value string with a quoted value holding a quote and a
     * backslash, and a URI: libpq reads back what was given. */
    const char *inputs[] = {"host=db.internal port=5433 user=ops password='s3 cr\\'et\\\\' "
                            "dbname=postgres sslmode=disable",
                            "postgresql://ops:s3%20cr'et%5C@db.internal:5433/postgres?sslmode=disable"};
    for (size_t i = 0; i < 2; i++) {
        char *c = pgdb_conninfo(inputs[i], "surge_1_2", 0, err, sizeof err);
        if (!c)
            test_fail(__FILE__, __LINE__, "refused %s: %s", inputs[i], err);
        EXPECT_TRUE(strstr(c, "s3") == NULL);
        const char *keys[] = {"dbname", "host", "port", "user", "sslmode", "password"};
        const char *want[] = {"surge_1_2", "db.internal", "5433", "ops", "disable", NULL};
        for (size_t k = 0; k < 6; k++) {
            char *v = value_of(c, keys[k]);
            if (want[k])
                EXPECT_EQ_STR(v ? v : "(none)", want[k]);
            else
                EXPECT_TRUE(v == NULL);
            free(v);
        }
        free(c);
        c = pgdb_conninfo(inputs[i], "surge", 1, err, sizeof err);
        char *pw = value_of(c, "password"), *pw2 = pgdb_password(inputs[i]);
        EXPECT_EQ_STR(pw ? pw : "(none)", "s3 cr'et\\");
        EXPECT_EQ_STR(pw2 ? pw2 : "(none)", "s3 cr'et\\");
        free(pw);
        free(pw2);
        free(c);
    }
    EXPECT_TRUE(pgdb_password("host=x") == NULL);
}

TEST(pgdb, a_bad_conninfo_is_refused_without_quoting_it)
{
    char err[200];
    const char *bad[] = {"host=x password=hunter2 oops", "colour=blue password=hunter2",
                         "postgresql://u:hunter2@h/db?colour=blue"};
    for (size_t i = 0; i < 3; i++) {
        char *c = pgdb_conninfo(bad[i], "surge", 0, err, sizeof err);
        if (c)
            test_fail(__FILE__, __LINE__, "accepted \"%s\" as \"%s\"", bad[i], c);
        EXPECT_CONTAINS(err, "not a libpq connection string or postgres:// URI");
        EXPECT_TRUE(strstr(err, "hunter2") == NULL);
    }
}

TEST(pgdb, names_surge_does_not_make_are_refused_before_any_connection)
{
    char err[200];
    EXPECT_FALSE(pgdb_name_ok("Surge"));
    EXPECT_FALSE(pgdb_name_ok("1abc"));
    EXPECT_FALSE(pgdb_name_ok("a\"; DROP"));
    EXPECT_TRUE(pgdb_name_ok("surge_123_456"));
    /* Refused by name, so the unreachable server is never tried. */
    EXPECT_EQ_INT(pgdb_create("host=127.0.0.1 port=1", "Bad-Name", err, sizeof err), -1);
    EXPECT_CONTAINS(err, "database name 'Bad-Name'");
    EXPECT_EQ_INT(pgdb_drop("host=127.0.0.1 port=1", "x;y", err, sizeof err), -1);
    EXPECT_CONTAINS(err, "is not one surge makes");
    /* A server that is not there: libpq's reason. */
    EXPECT_EQ_INT(pgdb_create("host=127.0.0.1 port=1 connect_timeout=5", "ok", err, sizeof err),
                  -1);
    EXPECT_CONTAINS(err, "cannot connect to the PostgreSQL server");
}

/* What logs and /admin/config show of a store: a location with a password
 * rebuilt without it (its database kept), one without a password and a
 * file name as they are. */
TEST(pgdb, shown_leaves_the_password_out_and_the_rest_as_it_is)
{
    char *s = pgdb_shown("host=db.internal port=5433 user=syncd password=s3cret dbname=brand");
    EXPECT_TRUE(strstr(s, "password") == NULL && strstr(s, "s3cret") == NULL);
    EXPECT_CONTAINS(s, "dbname='brand'");
    EXPECT_CONTAINS(s, "host='db.internal'");
    free(s);
    s = pgdb_shown("postgresql://syncd:s3cret@db.internal/brand");
    EXPECT_TRUE(strstr(s, "s3cret") == NULL);
    EXPECT_CONTAINS(s, "dbname='brand'");
    free(s);
    s = pgdb_shown("host=db.internal dbname=brand");
    EXPECT_EQ_STR(s, "host=db.internal dbname=brand");
    free(s);
    s = pgdb_shown("/var/lib/syncd/syncd.db");
    EXPECT_EQ_STR(s, "/var/lib/syncd/syncd.db");
    free(s);
}
