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

echo "deps: installing$missing"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "deps: missing packages:$missing; run as root or install them with apt-get" >&2
        exit 1
    fi
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have no package lists yet; update once, then install.
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
