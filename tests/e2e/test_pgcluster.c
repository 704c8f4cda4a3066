/*
 * The throwaway PostgreSQL cluster (lib/pgcluster): a real server started
 * from Debian's postgresql package, reached with libpq, two side by side,
 * and everything gone after a stop. Also that FOR UPDATE SKIP LOCKED lets
 * two sessions lease different rows, which syncd's queue on PostgreSQL
 * (issue 15) rests on. They never skip: without the package they fail
 * with pgcluster's error naming it.
 */
#include "../runner.h"

#include "pgcluster.h"
#include "port.h"

#include <libpq-fe.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static pgcluster *start(const char *dbname)
{
    pgcluster_opts o = {.dbname = dbname};
    pgcluster *c = NULL;
    char err[1024];
    long long t0 = now_ms();
    if (pgcluster_start(&o, &c, err, sizeof err) != 0)
        test_fail(__FILE__, __LINE__, "pgcluster_start: %s", err);
    /* A figure for the report, never asserted (the machine is shared). */
    printf("pgcluster start: %lld ms (port %u)\n", now_ms() - t0, (unsigned)pgcluster_port(c));
    return c;
}

/* Stops c and checks that its folder is gone and its port closed. */
static void stop_and_check(pgcluster *c)
{
    char dir[256];
    snprintf(dir, sizeof dir, "%s", pgcluster_dir(c));
    uint16_t port = pgcluster_port(c);
    char err[512] = "";
    long long t0 = now_ms();
    int rc = pgcluster_stop(c, 10000, err, sizeof err);
    printf("pgcluster stop: %lld ms\n", now_ms() - t0);
    EXPECT_EQ_STR(err, "");
    EXPECT_EQ_INT(rc, 0);
    struct stat st;
    EXPECT_EQ_INT(stat(dir, &st), -1);
    EXPECT_EQ_INT(errno, ENOENT);
    EXPECT_FALSE(port_open(port));
}

static PGconn *connect_to(const pgcluster *c)
{
    PGconn *db = PQconnectdb(pgcluster_conninfo(c));
    if (PQstatus(db) != CONNECTION_OK)
        test_fail(__FILE__, __LINE__, "connecting to %s: %s", pgcluster_conninfo(c),
                  PQerrorMessage(db));
    return db;
}

/* Runs sql, which must succeed; returns its result (the caller clears it). */
static PGresult *run(PGconn *db, const char *sql)
{
    PGresult *r = PQexec(db, sql);
    ExecStatusType s = PQresultStatus(r);
    if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
        test_fail(__FILE__, __LINE__, "%s: %s", sql, PQerrorMessage(db));
    return r;
}

static void exec_ok(PGconn *db, const char *sql)
{
    PQclear(run(db, sql));
}

/* The one value sql selects, as a number. */
static long long one_value(PGconn *db, const char *sql)
{
    PGresult *r = run(db, sql);
    if (PQntuples(r) != 1 || PQnfields(r) != 1)
        test_fail(__FILE__, __LINE__, "%s: %d rows of %d columns, expected one value", sql,
                  PQntuples(r), PQnfields(r));
    long long v = atoll(PQgetvalue(r, 0, 0));
    PQclear(r);
    return v;
}

TEST(pgcluster, start_query_stop)
{
    pgcluster *c = start("shop_one");
    EXPECT_CONTAINS(pgcluster_conninfo(c), "dbname=shop_one");
    EXPECT_CONTAINS(pgcluster_conninfo(c), "host=127.0.0.1");
    EXPECT_TRUE(port_open(pgcluster_port(c)));
    struct stat st;
    char data[300];
    snprintf(data, sizeof data, "%s/data/PG_VERSION", pgcluster_dir(c));
    EXPECT_EQ_INT(stat(data, &st), 0);
    /* Under root the files belong to the server's own user. */
    if (geteuid() == 0)
        EXPECT_NE_INT(st.st_uid, 0);

    PGconn *db = connect_to(c);
    exec_ok(db, "CREATE TABLE stock (sku text PRIMARY KEY, qty integer NOT NULL)");
    exec_ok(db, "INSERT INTO stock VALUES ('A-1', 5), ('A-2', 7), ('B-1', 11)");
    EXPECT_EQ_INT(one_value(db, "SELECT count(*) FROM stock"), 3);
    EXPECT_EQ_INT(one_value(db, "SELECT sum(qty) FROM stock WHERE sku LIKE 'A-%'"), 12);
    EXPECT_EQ_INT(one_value(db, "SHOW max_connections"), 50);
    PGresult *r = run(db, "SHOW fsync");
    EXPECT_EQ_STR(PQgetvalue(r, 0, 0), "on");
    PQclear(r);
    PQfinish(db);
    stop_and_check(c);
}

/* Without the password of the conninfo, TCP connections are refused. */
TEST(pgcluster, tcp_needs_the_password)
{
    pgcluster *c = start(NULL);
    char conninfo[200];
    snprintf(conninfo, sizeof conninfo, "host=127.0.0.1 port=%u user=surge dbname=surge "
             "password=wrong", (unsigned)pgcluster_port(c));
    PGconn *db = PQconnectdb(conninfo);
    EXPECT_EQ_INT(PQstatus(db), CONNECTION_BAD);
    EXPECT_CONTAINS(PQerrorMessage(db), "password authentication failed");
    PQfinish(db);
    db = connect_to(c);
    EXPECT_EQ_INT(one_value(db, "SELECT 6 * 7"), 42);
    PQfinish(db);
    stop_and_check(c);
}

TEST(pgcluster, two_side_by_side)
{
    pgcluster *a = start("brand_a");
    pgcluster *b = start("brand_b");
    EXPECT_NE_INT(pgcluster_port(a), pgcluster_port(b));
    EXPECT_TRUE(strcmp(pgcluster_dir(a), pgcluster_dir(b)) != 0);
    PGconn *da = connect_to(a), *dbb = connect_to(b);
    exec_ok(da, "CREATE TABLE t (v integer)");
    exec_ok(da, "INSERT INTO t VALUES (1)");
    /* b is another server: a's table is not there. */
    EXPECT_EQ_INT(one_value(dbb, "SELECT count(*) FROM pg_tables WHERE tablename = 't'"), 0);
    EXPECT_EQ_INT(one_value(da, "SELECT count(*) FROM pg_tables WHERE tablename = 't'"), 1);
    PQfinish(da);
    /* Stopping a leaves b serving. */
    stop_and_check(a);
    EXPECT_EQ_INT(one_value(dbb, "SELECT 1"), 1);
    PQfinish(dbb);
    stop_and_check(b);
}

/* Two sessions each lease the first free row of a queue: with SKIP LOCKED
 * they get different rows and neither waits; a plain FOR UPDATE NOWAIT on
 * a leased row fails, so the locks are real. */
TEST(pgcluster, skip_locked_leases_different_rows)
{
    pgcluster *c = start("queue");
    PGconn *s1 = connect_to(c), *s2 = connect_to(c);
    exec_ok(s1, "CREATE TABLE jobs (id integer PRIMARY KEY, leased_by text)");
    exec_ok(s1, "INSERT INTO jobs SELECT g, NULL FROM generate_series(1, 4) g");
    /* A regression that blocked would end in an error, not a hang. */
    exec_ok(s2, "SET lock_timeout = '5s'");
    const char *lease = "SELECT id FROM jobs WHERE leased_by IS NULL ORDER BY id LIMIT 1 "
                        "FOR UPDATE SKIP LOCKED";
    exec_ok(s1, "BEGIN");
    EXPECT_EQ_INT(one_value(s1, lease), 1);
    exec_ok(s2, "BEGIN");
    EXPECT_EQ_INT(one_value(s2, lease), 2);
    EXPECT_EQ_INT(one_value(s2, "SELECT count(*) FROM (SELECT id FROM jobs ORDER BY id "
                                "FOR UPDATE SKIP LOCKED) t"), 3);

    PGresult *r = PQexec(s2, "SAVEPOINT sp");
    PQclear(r);
    r = PQexec(s2, "SELECT id FROM jobs WHERE id = 1 FOR UPDATE NOWAIT");
    EXPECT_EQ_INT(PQresultStatus(r), PGRES_FATAL_ERROR);
    EXPECT_EQ_STR(PQresultErrorField(r, PG_DIAG_SQLSTATE), "55P03"); /* lock_not_available */
    PQclear(r);
    exec_ok(s2, "ROLLBACK TO SAVEPOINT sp");

    exec_ok(s1, "UPDATE jobs SET leased_by = 's1' WHERE id = 1");
    exec_ok(s2, "UPDATE jobs SET leased_by = 's2' WHERE id = 2");
    exec_ok(s1, "COMMIT");
    exec_ok(s2, "COMMIT");
    EXPECT_EQ_INT(one_value(s1, "SELECT count(*) FROM jobs WHERE leased_by IS NOT NULL"), 2);
    /* Row 1 is leased now: the next free one is 3. */
    exec_ok(s2, "BEGIN");
    EXPECT_EQ_INT(one_value(s2, lease), 3);
    exec_ok(s2, "COMMIT");
    PQfinish(s1);
    PQfinish(s2);
    stop_and_check(c);
}

TEST(pgcluster, missing_server_is_named)
{
    pgcluster_opts o = {.pg_root = test_tmp_dir()};
    pgcluster *c = NULL;
    char err[512];
    EXPECT_EQ_INT(pgcluster_start(&o, &c, err, sizeof err), -1);
    EXPECT_TRUE(c == NULL);
    EXPECT_CONTAINS(err, test_tmp_dir());
    EXPECT_CONTAINS(err, "<version>/bin/postgres");
    EXPECT_CONTAINS(err, "postgresql package");
}

TEST(pgcluster, bad_dbname_is_named)
{
    pgcluster_opts o = {.dbname = "shop; DROP"};
    pgcluster *c = NULL;
    char err[512];
    EXPECT_EQ_INT(pgcluster_start(&o, &c, err, sizeof err), -1);
    EXPECT_TRUE(c == NULL);
    EXPECT_CONTAINS(err, "database name 'shop; DROP'");
}

/* A process that dies without stopping its cluster takes the server with
 * it (the server is killed with its parent, also when it runs as another
 * user); only the folder stays behind, for whoever looks into a crash. */
TEST(pgcluster, server_dies_with_its_parent)
{
    int fds[2];
    EXPECT_EQ_INT(pipe(fds), 0);
    pid_t pid = fork();
    EXPECT_TRUE(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        pgcluster *c = NULL;
        char err[1024];
        if (pgcluster_start(NULL, &c, err, sizeof err) != 0) {
            dprintf(fds[1], "0 %s", err);
            _exit(1);
        }
        dprintf(fds[1], "%u %s", (unsigned)pgcluster_port(c), pgcluster_dir(c));
        _exit(0);
    }
    close(fds[1]);
    char line[1100] = "";
    ssize_t n = read(fds[0], line, sizeof line - 1);
    close(fds[0]);
    EXPECT_TRUE(n > 0);
    line[n] = '\0';
    unsigned port = 0;
    char dir[1024] = "";
    EXPECT_EQ_INT(sscanf(line, "%u %1023[^\n]", &port, dir), 2);
    if (port == 0)
        test_fail(__FILE__, __LINE__, "pgcluster_start in the child: %s", dir);
    int st;
    EXPECT_EQ_INT(waitpid(pid, &st, 0), pid);
    int closed = 0;
    for (int i = 0; i < 2000 && !closed; i++) { /* up to 20 s */
        closed = !port_open((uint16_t)port);
        if (!closed)
            usleep(10000);
    }
    EXPECT_TRUE(closed);
    EXPECT_CONTAINS(dir, "/tmp/surge-pg-");
    char cmd[1100];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    EXPECT_EQ_INT(system(cmd), 0);
}

/* Stand-ins for initdb and postgres (shell scripts in a fake
 * <root>/99/bin that the postgres user can run too) and what the error of
 * the start must then say: the end of the failing program's log. */
static const struct {
    const char *initdb, *postgres, *want1, *want2;
} fake_cases[] = {
    {"echo 'initdb: the disk is on fire' >&2; exit 3", "exit 0", "failed (status 3)",
     "the disk is on fire"},
    {"exit 0", "echo 'FATAL:  bad setting' >&2; exit 1",
     "exited (status 1) before accepting connections", "FATAL:  bad setting"},
    /* Every try loses the port: the start gives up after a bounded number. */
    {"exit 0", "echo 'LOG:  could not bind: Address already in use' >&2; exit 1",
     "lost the race for a free port 4 times", ""},
};

static void write_script(const char *path, const char *body)
{
    char text[512];
    snprintf(text, sizeof text, "#!/bin/sh\n%s\n", body);
    test_write_file(path, text);
    EXPECT_EQ_INT(chmod(path, 0755), 0);
}

TEST(pgcluster, failing_programs_are_quoted)
{
    char root[] = "/tmp/surge-pgfake-XXXXXX";
    EXPECT_TRUE(mkdtemp(root) != NULL);
    EXPECT_EQ_INT(chmod(root, 0755), 0);
    char bin[64], path[96];
    snprintf(bin, sizeof bin, "%s/99", root);
    EXPECT_EQ_INT(mkdir(bin, 0755), 0);
    snprintf(bin, sizeof bin, "%s/99/bin", root);
    EXPECT_EQ_INT(mkdir(bin, 0755), 0);
    for (size_t i = 0; i < sizeof fake_cases / sizeof fake_cases[0]; i++) {
        snprintf(path, sizeof path, "%s/initdb", bin);
        write_script(path, fake_cases[i].initdb);
        snprintf(path, sizeof path, "%s/postgres", bin);
        write_script(path, fake_cases[i].postgres);
        pgcluster_opts o = {.pg_root = root, .timeout_ms = 10000};
        pgcluster *c = NULL;
        char err[1024] = "";
        EXPECT_EQ_INT(pgcluster_start(&o, &c, err, sizeof err), -1);
        EXPECT_TRUE(c == NULL);
        EXPECT_CONTAINS(err, fake_cases[i].want1);
        EXPECT_CONTAINS(err, fake_cases[i].want2);
    }
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    EXPECT_EQ_INT(system(cmd), 0);
}

/* Another database on a running cluster: its own tables, reached by the
 * conninfo pgcluster_add_db writes; a bad name or one that exists is
 * refused with the reason. */
TEST(pgcluster, another_database_on_the_cluster)
{
    pgcluster *c = start("first");
    char where[256], err[300];
    EXPECT_EQ_INT(pgcluster_add_db(c, "second", where, sizeof where, err, sizeof err), 0);
    EXPECT_CONTAINS(where, "dbname=second");
    PGconn *one = connect_to(c), *two = PQconnectdb(where);
    EXPECT_EQ_INT(PQstatus(two), CONNECTION_OK);
    exec_ok(two, "CREATE TABLE t (v integer)");
    EXPECT_EQ_INT(one_value(two, "SELECT count(*) FROM pg_tables WHERE tablename = 't'"), 1);
    EXPECT_EQ_INT(one_value(one, "SELECT count(*) FROM pg_tables WHERE tablename = 't'"), 0);
    PQfinish(one);
    PQfinish(two);
    EXPECT_EQ_INT(pgcluster_add_db(c, "Bad-Name", where, sizeof where, err, sizeof err), -1);
    EXPECT_CONTAINS(err, "database name 'Bad-Name'");
    EXPECT_EQ_INT(pgcluster_add_db(c, "second", where, sizeof where, err, sizeof err), -1);
    EXPECT_CONTAINS(err, "already exists");
    stop_and_check(c);
}
