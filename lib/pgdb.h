/*
 * A database of its own on a PostgreSQL server someone else runs (`surge
 * run --pg CONNINFO`) or on a throwaway cluster (pgcluster.h): created
 * fresh for a run, reached with the server's connection settings and
 * another database name, dropped afterwards. Messages never quote a
 * connection string, which may carry a password.
 */
#ifndef SURGE_PGDB_H
#define SURGE_PGDB_H

#include <stddef.h>

/* 1 when s can be a database name here: [a-z_][a-z0-9_]*, up to 63
 * characters (so it never needs quoting beyond double quotes). */
int pgdb_name_ok(const char *s);

/* CREATE DATABASE dbname on the server conninfo (a libpq conninfo string
 * or postgres:// URI) reaches, connected to the database conninfo names. Returns 0, or -1 with a message in err
 * (libpq's reason; an existing database is an error). */
int pgdb_create(const char *conninfo, const char *dbname, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* DROP DATABASE dbname, if it exists, ending sessions still connected to
 * it (PostgreSQL 13 or later), connected as pgdb_create is. Returns
 * 0, or -1 with a message in err. */
int pgdb_drop(const char *conninfo, const char *dbname, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* conninfo with its database replaced by dbname (NULL: kept), and its
 * password left out unless with_password, as a key='value' conninfo string (malloc'd;
 * caller frees), or NULL with a message in err when conninfo does not
 * parse. */
char *pgdb_conninfo(const char *conninfo, const char *dbname, int with_password, char *err,
                    size_t errlen) __attribute__((warn_unused_result));
/* The password conninfo carries (malloc'd; caller frees), or NULL. */
char *pgdb_password(const char *conninfo);
/* s as logs and pages may show it: a conninfo string or URI that carries
 * a password rebuilt without it, anything else (a file name) as it is.
 * Malloc'd; the caller frees. */
char *pgdb_shown(const char *s);

#endif
