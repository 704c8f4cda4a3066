/*
 * Helpers of the tests that run the store on PostgreSQL (the conformance
 * suite's postgres backend, tests/e2e/test_store_postgres.c): one
 * throwaway server (lib/pgcluster) that the runner starts for a suite
 * (test_register_fixture) and each test's fork inherits, and databases of
 * their own on it. static inline so each test file keeps its own server
 * for its own suite.
 */
#ifndef SURGE_TESTS_PGTEST_H
#define SURGE_TESTS_PGTEST_H

#include "../runner.h"

#include "pgcluster.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <string.h>

static pgcluster *pgtest_server;

/* The fixture's two halves (see test_register_fixture). */
static inline int pgtest_setup(char *err, size_t errlen)
{
    return pgcluster_start(NULL, &pgtest_server, err, errlen);
}

static inline void pgtest_teardown(void)
{
    char err[512];
    if (pgcluster_stop(pgtest_server, 10000, err, sizeof err) != 0)
        fprintf(stderr, "stopping the suite's PostgreSQL server: %s\n", err);
}

/* The location of database db on the suite's server: the server's
 * conninfo with dbname=db added (a keyword given twice in a conninfo
 * string takes its last value). */
static inline void pgtest_where(const char *db, char *where, size_t n)
{
    if (!pgtest_server)
        test_fail(__FILE__, __LINE__, "no PostgreSQL server: run this suite through the runner");
    snprintf(where, n, "%s dbname=%s", pgcluster_conninfo(pgtest_server), db);
}

/* Creates database db ([a-z0-9_]) on the suite's server; fails the test
 * when it cannot. */
static inline void pgtest_create_db(const char *db)
{
    if (!pgtest_server)
        test_fail(__FILE__, __LINE__, "no PostgreSQL server: run this suite through the runner");
    PGconn *c = PQconnectdb(pgcluster_conninfo(pgtest_server));
    if (PQstatus(c) != CONNECTION_OK)
        test_fail(__FILE__, __LINE__, "connecting: %s", PQerrorMessage(c));
    /* CREATE DATABASE takes no parameters: the name is quoted instead. */
    char *ident = PQescapeIdentifier(c, db, strlen(db));
    char sql[160];
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", ident ? ident : "");
    PQfreemem(ident);
    PGresult *r = PQexecParams(c, sql, 0, NULL, NULL, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        test_fail(__FILE__, __LINE__, "%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
}

#endif
