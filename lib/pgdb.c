/* A database of its own on a PostgreSQL server; see pgdb.h. */
#include "pgdb.h"

#include "mem.h"
#include "sbuf.h"

#include <libpq-fe.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pgdb_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 63 || (s[0] >= '0' && s[0] <= '9'))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
            return 0;
    return 1;
}

/* Runs one statement in the database conninfo names (never one surge
 * creates or drops: a database cannot drop itself). */
static int on_server(const char *conninfo, const char *sql, char *err, size_t errlen)
{
    PGconn *db = PQconnectdb(conninfo);
    int rc = -1;
    if (PQstatus(db) != CONNECTION_OK) {
        snprintf(err, errlen, "cannot connect to the PostgreSQL server: %s", PQerrorMessage(db));
        goto out;
    }
    PGresult *r = PQexec(db, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        snprintf(err, errlen, "%s: %s", sql, PQerrorMessage(db));
    else
        rc = 0;
    PQclear(r);
out:
    PQfinish(db);
    /* libpq's messages end in a newline. */
    size_t n = rc ? strlen(err) : 0;
    if (n && err[n - 1] == '\n')
        err[n - 1] = '\0';
    return rc;
}

int pgdb_create(const char *conninfo, const char *dbname, char *err, size_t errlen)
{
    if (!pgdb_name_ok(dbname)) {
        snprintf(err, errlen, "database name '%s': use a-z, 0-9 and _, not starting with a "
                 "digit, up to 63 characters", dbname);
        return -1;
    }
    char sql[100];
    snprintf(sql, sizeof sql, "CREATE DATABASE \"%s\"", dbname);
    return on_server(conninfo, sql, err, errlen);
}

int pgdb_drop(const char *conninfo, const char *dbname, char *err, size_t errlen)
{
    if (!pgdb_name_ok(dbname)) {
        snprintf(err, errlen, "database name '%s' is not one surge makes", dbname);
        return -1;
    }
    /* WITH (FORCE): PostgreSQL 13 and later end the sessions a killed
     * instance may have left behind. */
    char sql[120];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS \"%s\" WITH (FORCE)", dbname);
    return on_server(conninfo, sql, err, errlen);
}

/* A conninfo value in single quotes, with \ and ' escaped (libpq's
 * conninfo syntax). */
static void put_quoted(sbuf *b, const char *v)
{
    sbuf_putc(b, '\'');
    for (; *v; v++) {
        if (*v == '\'' || *v == '\\')
            sbuf_putc(b, '\\');
        sbuf_putc(b, *v);
    }
    sbuf_putc(b, '\'');
}

/* conninfo's options, or NULL with a message in err. */
static PQconninfoOption *parse(const char *conninfo, char *err, size_t errlen)
{
    char *why = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &why);
    if (!opts)
        /* libpq's reason may quote the string, and so a password. */
        snprintf(err, errlen, "not a libpq connection string or postgres:// URI%s",
                 why ? "" : " (out of memory)");
    PQfreemem(why);
    return opts;
}

char *pgdb_conninfo(const char *conninfo, const char *dbname, int with_password, char *err,
                    size_t errlen)
{
    PQconninfoOption *opts = parse(conninfo, err, errlen);
    if (!opts)
        return NULL;
    sbuf b = SBUF_INIT;
    for (PQconninfoOption *o = opts; o->keyword; o++) {
        if (!o->val || (dbname && strcmp(o->keyword, "dbname") == 0) ||
            (!with_password && strcmp(o->keyword, "password") == 0))
            continue;
        sbuf_puts(&b, o->keyword);
        sbuf_putc(&b, '=');
        put_quoted(&b, o->val);
        sbuf_putc(&b, ' ');
    }
    PQconninfoFree(opts);
    if (dbname) {
        sbuf_puts(&b, "dbname=");
        put_quoted(&b, dbname);
    } else if (b.len) {
        b.len--; /* the last word's space */
        b.data[b.len] = '\0';
    }
    return sbuf_take(&b);
}

char *pgdb_password(const char *conninfo)
{
    char ignored[80];
    PQconninfoOption *opts = parse(conninfo, ignored, sizeof ignored);
    char *pw = NULL;
    for (PQconninfoOption *o = opts; o && o->keyword; o++)
        if (o->val && strcmp(o->keyword, "password") == 0)
            pw = xstrdup(o->val);
    PQconninfoFree(opts);
    return pw;
}

char *pgdb_shown(const char *s)
{
    char *pw = pgdb_password(s);
    if (!pw)
        return xstrdup(s);
    free(pw);
    char err[80];
    char *shown = pgdb_conninfo(s, NULL, 0, err, sizeof err);
    return shown ? shown : xstrdup("(a connection string libpq cannot parse)");
}
