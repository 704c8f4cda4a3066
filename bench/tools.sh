#!/bin/sh
# Installs the optional servers bench/run.sh compares against: nginx (the
# Debian package nginx-light) and WireMock (the npm package `wiremock`, which
# ships WireMock's standalone jar, into $BUILD/bench-tools), plus what they
# need to run (a Java runtime, npm). `make bench-tools` runs it; `make bench`
# works without it and reports those servers as skipped. Does nothing for a
# tool already present.
set -eu

BUILD=${BUILD:-build}
TOOLS="$BUILD/bench-tools"

apt_missing=""
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
    # nginx-light is gone after Debian 12; plain nginx is the same server.
    if apt-cache show nginx-light >/dev/null 2>&1; then
        apt_missing="$apt_missing nginx-light"
    else
        apt_missing="$apt_missing nginx"
    fi
fi
command -v java >/dev/null 2>&1 || apt_missing="$apt_missing default-jre-headless"
command -v npm >/dev/null 2>&1 || apt_missing="$apt_missing npm"

if [ -n "$apt_missing" ]; then
    # shellcheck source=scripts/apt.sh
    . "$(dirname "$0")/../scripts/apt.sh"
    # shellcheck disable=SC2086 # one word per package
    apt_install bench-tools "bench-tools: run as root or install with apt-get:$apt_missing" $apt_missing
    # Debian starts the packaged nginx as a service on port 80; the benchmark
    # runs its own, so stop that one where there is a service manager.
    if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet nginx 2>/dev/null; then
        $SUDO systemctl stop nginx || true
    fi
fi

if [ -z "$(find "$TOOLS/node_modules/wiremock" -name '*.jar' 2>/dev/null | head -n 1)" ]; then
    echo "bench-tools: npm install --prefix $TOOLS wiremock"
    mkdir -p "$TOOLS"
    npm install --prefix "$TOOLS" --no-audit --no-fund --loglevel=error wiremock
fi

echo "bench-tools: nginx $(command -v nginx || echo /usr/sbin/nginx)," \
    "WireMock $(find "$TOOLS/node_modules/wiremock" -name '*.jar' | head -n 1)"
