#!/bin/sh
# Installs what surge builds and runs with, and does nothing when all of it
# is already present. `make deps`, `make run` and `make bench` call it
# first; `make test` calls it with --test, which adds what the tests run
# that we did not write: valgrind, Chromium (renders report.html), GNU
# parallel (runs sweep shards side by side, as on several hosts), libfaketime
# and Python (a foreign engine's test runs examples/naive-poller), Node.js,
# and the npm packages pinned in
# tests/tools/package-lock.json (Stoplight Prism, Shopify's own libraries),
# installed with `npm ci` into tests/tools/node_modules. A fresh machine
# needs no other step.
#
# PostgreSQL comes in three parts, all in the base set: libpq-dev because
# every program links libpq (the store of syncd on PostgreSQL, issue 15);
# postgresql, whose server programs lib/pgcluster starts as a throwaway
# cluster, and haproxy, which spreads traffic over several syncd
# instances, because `surge run` will start both for scenarios of syncd on
# PostgreSQL (not built yet), not only the tests. Debian's
# postgresql package may also start a cluster of its own on port 5432; we
# never use it.
#
#   scripts/deps.sh [--test]
set -eu
cd "$(dirname "$0")/.."

tests=0
case "${1:-}" in
    "") ;;
    --test) tests=1 ;;
    *) echo "deps: unknown option '$1' (usage: scripts/deps.sh [--test])" >&2; exit 2 ;;
esac

PACKAGES="build-essential pkg-config libmicrohttpd-dev libcurl4-openssl-dev \
libcjson-dev libsqlite3-dev libssl-dev libpq-dev postgresql haproxy gnuplot-nox wrk \
libxml2-utils"
if [ "$tests" -eq 1 ]; then
    PACKAGES="$PACKAGES valgrind chromium parallel faketime python3"
fi

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done
# Node.js is asked for by command, not by package: the machine may have it
# from another source (NodeSource's nodejs carries npm, and Debian's npm
# package would conflict with it).
if [ "$tests" -eq 1 ]; then
    command -v node >/dev/null 2>&1 || missing="$missing nodejs"
    command -v npm >/dev/null 2>&1 || command -v node >/dev/null 2>&1 || missing="$missing npm"
fi

if [ -n "$missing" ]; then
    # shellcheck source=scripts/apt.sh
    . scripts/apt.sh
    # shellcheck disable=SC2086 # one word per package
    apt_install deps "deps: missing packages:$missing; run as root or install them with apt-get" $missing
fi
if [ "$tests" -eq 1 ] && ! command -v npm >/dev/null 2>&1; then
    . scripts/apt.sh
    apt_install deps "deps: npm is missing; run as root or install it with apt-get" npm
fi

# The npm test tools: installed again only when the lock file changed.
if [ "$tests" -eq 1 ]; then
    stamp=tests/tools/node_modules/.surge-lock
    want=$(cksum < tests/tools/package-lock.json)
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        echo "deps: installing the npm test tools (tests/tools/package-lock.json)"
        if ! npm ci --prefix tests/tools --no-audit --no-fund --loglevel=error; then
            echo "deps: npm ci in tests/tools failed (is the npm registry reachable?)" >&2
            exit 1
        fi
        echo "$want" > "$stamp"
    fi
fi
