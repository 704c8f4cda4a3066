/*
 * A throwaway PostgreSQL server for tests and runs that need one: a fresh
 * cluster (initdb) in a folder of its own under /tmp, one postmaster on
 * 127.0.0.1 at a free port with its unix socket in that folder, one
 * database, and a libpq conninfo string to reach it; stopping it removes
 * everything. The server programs come from Debian's postgresql package
 * (/usr/lib/postgresql/<version>/bin, the highest version present).
 *
 * PostgreSQL refuses to run as root, so a root caller runs initdb and the
 * server as the `postgres` user that Debian's package creates, in a folder
 * that user owns; anyone else runs them as themselves. Local (socket)
 * connections are trusted, since the socket's folder admits only its owner;
 * TCP connections need the superuser's password, generated per cluster and
 * carried in the conninfo, so other users of a shared machine cannot use
 * the server through 127.0.0.1. docs/postgres.md has the details.
 */
#ifndef SURGE_PGCLUSTER_H
#define SURGE_PGCLUSTER_H

#include <stddef.h>
#include <stdint.h>

typedef struct pgcluster pgcluster;

typedef struct {
    const char *dbname;  /* database to create: [a-z_][a-z0-9_]*, up to 63; NULL: "surge" */
    const char *pg_root; /* where <version>/bin folders are; NULL: /usr/lib/postgresql */
    int timeout_ms;      /* real time for initdb and for the server to accept
                          * connections, each; 0: 60000 */
} pgcluster_opts;

/* Creates and starts a cluster as o says (o may be NULL: all defaults).
 * The server is killed if the calling thread ends (see proc.h), so start
 * it from a thread that outlives it. Returns 0 with the cluster in *out,
 * or -1 with a message in err (quoting the end of initdb's or the
 * server's log) and nothing left behind. */
int pgcluster_start(const pgcluster_opts *o, pgcluster **out, char *err, size_t errlen)
    __attribute__((warn_unused_result));

/* "host=127.0.0.1 port=N user=surge password=... dbname=NAME": borrowed
 * until pgcluster_stop. */
const char *pgcluster_conninfo(const pgcluster *c);
uint16_t pgcluster_port(const pgcluster *c);
/* The cluster's folder (data/, the server's log, its unix socket):
 * borrowed until pgcluster_stop. */
const char *pgcluster_dir(const pgcluster *c);

/* Creates another database, dbname (named as pgcluster_opts.dbname), on
 * the cluster and writes its conninfo into where (n bytes: 256 are
 * enough). Returns 0, or -1 with a message in err. */
int pgcluster_add_db(pgcluster *c, const char *dbname, char *where, size_t n, char *err,
                     size_t errlen) __attribute__((warn_unused_result));

/* Fast shutdown (SIGINT: open sessions are ended, committed work is kept),
 * SIGKILL when the server has not exited within grace_ms, then the folder
 * is removed and c freed. Returns 0, or -1 with a message in err when
 * SIGKILL was needed or the folder could not be removed entirely (c is
 * freed all the same). Accepts NULL. */
int pgcluster_stop(pgcluster *c, int grace_ms, char *err, size_t errlen);

#endif
