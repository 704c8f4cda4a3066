/* A throwaway PostgreSQL cluster; see pgcluster.h. */
#include "pgcluster.h"

#include "mem.h"
#include "pgdb.h"
#include "port.h"
#include "proc.h"

#include <libpq-fe.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PG_ROOT_DEFAULT "/usr/lib/postgresql"
#define PG_SUPERUSER "surge"
#define PORT_TRIES 4

struct pgcluster {
    char dir[128];      /* /tmp/surge-pg-XXXXXX: data/, logs, the socket */
    char bindir[256];
    char conninfo[256];
    char password[33];
    uint16_t port;
    uid_t uid;          /* the server's user when we are root, else 0 */
    gid_t gid;
    proc *server;
};

/* The messages of initdb and the server in English, whatever our locale:
 * a lost port race is told by its text. */
static char env_c_locale[] = "LC_ALL=C";
static char *child_env[] = {env_c_locale, NULL};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void nap_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* "15" or "9.6" as a number that sorts versions; -1 when name is not one. */
static long version_rank(const char *name)
{
    char *end;
    long major = strtol(name, &end, 10);
    long minor = 0;
    if (end == name || major < 0)
        return -1;
    if (*end == '.') {
        const char *m = end + 1;
        minor = strtol(m, &end, 10);
        if (end == m)
            return -1;
    }
    return *end ? -1 : major * 1000 + minor;
}

/* The bin folder of the highest version under root that has a postgres. */
static int find_bindir(const char *root, char *out, size_t n, char *err, size_t errlen)
{
    long best = -1;
    DIR *d = opendir(root);
    for (struct dirent *e; d && (e = readdir(d));) {
        long rank = version_rank(e->d_name);
        char cand[256];
        int w = snprintf(cand, sizeof cand, "%s/%s/bin", root, e->d_name);
        char prog[300];
        snprintf(prog, sizeof prog, "%s/postgres", cand);
        if (rank > best && w > 0 && (size_t)w < n && access(prog, X_OK) == 0) {
            best = rank;
            snprintf(out, n, "%s", cand);
        }
    }
    if (d)
        closedir(d);
    if (best < 0) {
        snprintf(err, errlen,
                 "no PostgreSQL server found (looked for %s/<version>/bin/postgres): "
                 "install Debian's postgresql package (scripts/deps.sh --test does)",
                 root);
        return -1;
    }
    return 0;
}

/* The user the server runs as: postgres when we are root. */
static int pick_user(pgcluster *c, char *err, size_t errlen)
{
    if (geteuid() != 0)
        return 0;
    struct passwd pwbuf, *pw = NULL;
    char strings[1024];
    if (getpwnam_r("postgres", &pwbuf, strings, sizeof strings, &pw) != 0 || !pw) {
        snprintf(err, errlen,
                 "running as root, and PostgreSQL refuses root, but there is no user "
                 "'postgres' to run it as (Debian's postgresql package creates it)");
        return -1;
    }
    c->uid = pw->pw_uid;
    c->gid = pw->pw_gid;
    return 0;
}

static int make_folder(pgcluster *c, char *err, size_t errlen)
{
    snprintf(c->dir, sizeof c->dir, "/tmp/surge-pg-XXXXXX");
    if (!mkdtemp(c->dir)) {
        snprintf(err, errlen, "mkdtemp /tmp/surge-pg-XXXXXX: %s", strerror(errno));
        c->dir[0] = '\0';
        return -1;
    }
    if (c->uid && chown(c->dir, c->uid, c->gid) != 0) {
        snprintf(err, errlen, "chown %s to postgres: %s", c->dir, strerror(errno));
        return -1;
    }
    return 0;
}

/* The superuser's password for initdb --pwfile: random hex, in a file only
 * the server's user reads. */
static int write_pwfile(pgcluster *c, const char *path, char *err, size_t errlen)
{
    unsigned char raw[16];
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) {
        snprintf(err, errlen, "getrandom: %s", strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(c->password + 2 * i, 3, "%02x", raw[i]);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    int ok = fd >= 0 && (!c->uid || fchown(fd, c->uid, c->gid) == 0) &&
             dprintf(fd, "%s\n", c->password) > 0;
    if (fd >= 0 && close(fd) != 0)
        ok = 0;
    if (!ok) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int spawn(pgcluster *c, const char *const argv[], const char *log, proc **out,
                 char *err, size_t errlen)
{
    proc_opts o = {.cwd = c->dir, .env = child_env, .uid = c->uid, .gid = c->gid};
    /* execv's argv is char *const[] but is not written to. */
    return proc_spawn((char *const *)argv, log, &o, out, err, errlen);
}

/* initdb without its final flush to disk: the cluster dies with the
 * machine anyway, and the server itself runs with fsync on. */
static int run_initdb(pgcluster *c, int timeout_ms, char *err, size_t errlen)
{
    char prog[300], data[160], pw[160], pwopt[170], log[160];
    snprintf(prog, sizeof prog, "%s/initdb", c->bindir);
    snprintf(data, sizeof data, "%s/data", c->dir);
    snprintf(pw, sizeof pw, "%s/pwfile", c->dir);
    snprintf(pwopt, sizeof pwopt, "--pwfile=%s", pw);
    snprintf(log, sizeof log, "%s/initdb.log", c->dir);
    if (write_pwfile(c, pw, err, errlen) != 0)
        return -1;
    const char *argv[] = {prog, "-D", data, "-U", PG_SUPERUSER, pwopt, "--auth-local=trust",
                    "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync",
                    NULL};
    proc *p = NULL;
    int st = 0;
    if (spawn(c, argv, log, &p, err, errlen) != 0)
        return -1;
    int done = proc_wait(p, timeout_ms, &st);
    proc_stop(p, 0);
    unlink(pw);
    if (done && WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return 0;
    char tail[400];
    proc_log_tail(log, tail, sizeof tail);
    if (!done)
        snprintf(err, errlen, "%s did not finish within %d ms: %s", prog, timeout_ms, tail);
    else
        snprintf(err, errlen, "%s failed (status %d): %s", prog,
                 WIFEXITED(st) ? WEXITSTATUS(st) : -1, tail);
    return -1;
}

/* Whether the server's log, from offset on, says the port was taken. */
static int lost_port_race(const char *log, off_t from)
{
    FILE *f = fopen(log, "r");
    if (!f)
        return 0;
    fseek(f, (long)from, SEEK_SET);
    char line[512];
    int lost = 0;
    while (!lost && fgets(line, sizeof line, f))
        lost = strstr(line, "Address already in use") != NULL;
    fclose(f);
    return lost;
}

static int spawn_server(pgcluster *c, const char *log, char *err, size_t errlen)
{
    char prog[300], data[160], port[8];
    snprintf(prog, sizeof prog, "%s/postgres", c->bindir);
    snprintf(data, sizeof data, "%s/data", c->dir);
    snprintf(port, sizeof port, "%u", (unsigned)c->port);
    /* Tuned for tests: little memory, few sessions, loopback only; fsync
     * stays on because the promises under test are about durability. */
    const char *argv[] = {prog, "-D", data, "-p", port, "-k", c->dir,
                    "-c", "listen_addresses=127.0.0.1", "-c", "max_connections=50",
                    "-c", "shared_buffers=16MB", "-c", "fsync=on",
                    "-c", "unix_socket_permissions=0700", NULL};
    return spawn(c, argv, log, &c->server, err, errlen);
}

/* Waits until the server answers on 127.0.0.1: 0; 1 when it exited having
 * lost the race for its port; -1 on any other failure (err says which). */
static int await_server(pgcluster *c, const char *log, off_t from, int timeout_ms, char *err,
                        size_t errlen)
{
    char ping[96];
    snprintf(ping, sizeof ping, "host=127.0.0.1 port=%u dbname=postgres connect_timeout=2",
             (unsigned)c->port);
    long long deadline = now_ms() + timeout_ms;
    int st = 0;
    while (!proc_wait(c->server, 0, &st)) {
        if (PQping(ping) == PQPING_OK)
            return 0;
        if (now_ms() > deadline) {
            char tail[400];
            proc_log_tail(log, tail, sizeof tail);
            snprintf(err, errlen, "the PostgreSQL server did not accept connections on "
                     "127.0.0.1:%u within %d ms: %s", (unsigned)c->port, timeout_ms, tail);
            return -1;
        }
        nap_ms(10);
    }
    if (lost_port_race(log, from))
        return 1;
    char tail[400];
    proc_log_tail(log, tail, sizeof tail);
    snprintf(err, errlen, "the PostgreSQL server exited (status %d) before accepting "
             "connections: %s", WIFEXITED(st) ? WEXITSTATUS(st) : -1, tail);
    return -1;
}

/* Starts the server on a free port, again with another one when a
 * process took that port between port_free and the server's bind. */
static int start_server(pgcluster *c, int timeout_ms, char *err, size_t errlen)
{
    char log[160];
    snprintf(log, sizeof log, "%s/postgres.log", c->dir);
    for (int try = 0; try < PORT_TRIES; try++) {
        struct stat st;
        off_t from = stat(log, &st) == 0 ? st.st_size : 0;
        c->port = port_free();
        if (c->port == 0) {
            snprintf(err, errlen, "no free TCP port on 127.0.0.1");
            return -1;
        }
        if (spawn_server(c, log, err, errlen) != 0)
            return -1;
        int rc = await_server(c, log, from, timeout_ms, err, errlen);
        if (rc <= 0)
            return rc;
        proc_stop(c->server, 0);
        c->server = NULL;
    }
    snprintf(err, errlen, "the PostgreSQL server lost the race for a free port %d times",
             PORT_TRIES);
    return -1;
}

/* Creates database dbname (checked by pgdb_name_ok) on c's server and writes
 * its conninfo into where. */
static int create_db(pgcluster *c, const char *dbname, char *where, size_t n, char *err,
                     size_t errlen)
{
    char admin[200];
    snprintf(admin, sizeof admin,
             "host=127.0.0.1 port=%u user=" PG_SUPERUSER " password=%s dbname=postgres",
             (unsigned)c->port, c->password);
    if (pgdb_create(admin, dbname, err, errlen) != 0)
        return -1;
    snprintf(where, n, "host=127.0.0.1 port=%u user=" PG_SUPERUSER " password=%s dbname=%s",
             (unsigned)c->port, c->password, dbname);
    return 0;
}

int pgcluster_add_db(pgcluster *c, const char *dbname, char *where, size_t n, char *err,
                     size_t errlen)
{
    if (!pgdb_name_ok(dbname)) {
        snprintf(err, errlen, "database name '%s': use a-z, 0-9 and _, not starting with a "
                 "digit, up to 63 characters", dbname);
        return -1;
    }
    return create_db(c, dbname, where, n, err, errlen);
}

int pgcluster_start(const pgcluster_opts *o, pgcluster **out, char *err, size_t errlen)
{
    pgcluster_opts none = {0};
    if (!o)
        o = &none;
    const char *dbname = o->dbname ? o->dbname : "surge";
    int timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 60000;
    *out = NULL;
    if (!pgdb_name_ok(dbname)) {
        snprintf(err, errlen, "database name '%s': use a-z, 0-9 and _, not starting with a "
                 "digit, up to 63 characters", dbname);
        return -1;
    }
    pgcluster *c = xcalloc(1, sizeof *c);
    char ignored[8];
    if (find_bindir(o->pg_root ? o->pg_root : PG_ROOT_DEFAULT, c->bindir, sizeof c->bindir,
                    err, errlen) != 0 ||
        pick_user(c, err, errlen) != 0 || make_folder(c, err, errlen) != 0 ||
        run_initdb(c, timeout_ms, err, errlen) != 0 ||
        start_server(c, timeout_ms, err, errlen) != 0 ||
        create_db(c, dbname, c->conninfo, sizeof c->conninfo, err, errlen) != 0) {
        pgcluster_stop(c, 0, ignored, sizeof ignored);
        return -1;
    }
    *out = c;
    return 0;
}

const char *pgcluster_conninfo(const pgcluster *c)
{
    return c->conninfo;
}

uint16_t pgcluster_port(const pgcluster *c)
{
    return c->port;
}

const char *pgcluster_dir(const pgcluster *c)
{
    return c->dir;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    return (flag == FTW_DP ? rmdir(path) : unlink(path)) != 0 ? -1 : 0;
}

/* Fast shutdown, then SIGKILL after grace_ms: 0, or -1 when killed. */
static int stop_server(proc *server, int grace_ms)
{
    int st = 0;
    int clean = proc_kill(server, SIGINT) == 0 && proc_wait(server, grace_ms, &st);
    if (!clean) {
        proc_kill(server, SIGKILL);
        proc_wait(server, 10000, NULL);
    }
    proc_stop(server, 0); /* reaped by now: frees it */
    return clean ? 0 : -1;
}

int pgcluster_stop(pgcluster *c, int grace_ms, char *err, size_t errlen)
{
    if (!c)
        return 0;
    int rc = 0;
    if (c->server && stop_server(c->server, grace_ms) != 0) {
        snprintf(err, errlen, "the PostgreSQL server on port %u did not stop within %d ms "
                 "of a fast shutdown and was killed", (unsigned)c->port, grace_ms);
        rc = -1;
    }
    if (c->dir[0] && nftw(c->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0 && rc == 0) {
        snprintf(err, errlen, "removing %s: %s", c->dir, strerror(errno));
        rc = -1;
    }
    free(c);
    return rc;
}
