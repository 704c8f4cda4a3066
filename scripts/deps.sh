#!/bin/sh
# Installs the Debian packages surge builds and runs with, and does nothing
# when every one of them is already present. `make deps`, `make run`,
# `make test` and `.ci/run` all call it first, so a fresh machine needs no
# other step.
set -eu

PACKAGES="build-essential pkg-config libmicrohttpd-dev libcurl4-openssl-dev \
libcjson-dev libsqlite3-dev libssl-dev gnuplot-nox wrk libxml2-utils"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    exit 0
fi

# shellcheck source=scripts/apt.sh
. "$(dirname "$0")/apt.sh"
# shellcheck disable=SC2086 # one word per package
apt_install deps "deps: missing packages:$missing; run as root or install them with apt-get" $missing
