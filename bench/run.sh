#!/usr/bin/env bash
# Measures how fast lib/httpd answers next to bare libmicrohttpd, and, when
# they are installed (bench/tools.sh, `make bench-tools`), next to nginx and
# WireMock. Every server answers GET /bench with the same 1 KiB of
# bench/payload.json on 127.0.0.1; wrk drives each in turn with 2 threads
# and 64 connections and the script prints requests per second, the 99th
# percentile latency and the ratios the project aims for: surge httpd at
# least 0.90 of bare libmicrohttpd and at least 5 times WireMock. The figures
# are printed, never asserted: they depend on the machine, and wrk shares its
# cores with the server.
#
#   BUILD=build bench/run.sh        (what `make bench` runs)
#   BENCH_DURATION=3s               wrk's -d for each server (default 10s)
#   BENCH_WARMUP=2s                 a first wrk run whose figures are thrown
#                                   away, for the JVM's JIT above all; 0 skips it
#   BENCH_JVM_WARMUP=20s            the same for WireMock, whose JIT needs longer
#   BENCH_ROUNDS=3                  wrk runs per C server, alternating between
#                                   the two; the table shows the medians
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in
/*) ;;
*) BUILD=$ROOT/$BUILD ;;
esac
BIN=$BUILD/rel/bench
PAYLOAD=$ROOT/bench/payload.json
DURATION=${BENCH_DURATION:-10s}
WARMUP=${BENCH_WARMUP:-2s}
ROUNDS=${BENCH_ROUNDS:-3}
JVM_WARMUP=${BENCH_JVM_WARMUP:-20s}
THREADS=2
CONNECTIONS=64

die() {
    echo "bench: $*" >&2
    exit 1
}

command -v wrk >/dev/null 2>&1 || die "wrk is not installed (apt-get install wrk, or make deps)"
for b in bench-httpd bench-bare; do
    [ -x "$BIN/$b" ] || die "$BIN/$b is missing; run \`make bench\` (it builds it first)"
done
[ -r "$PAYLOAD" ] || die "$PAYLOAD is missing"
case $ROUNDS in
'' | *[!0-9]* | 0) die "BENCH_ROUNDS: expected a positive whole number, got \"$ROUNDS\"" ;;
esac

BARE="bare libmicrohttpd"
OURS="surge httpd"

# Everything started from here on is in pids and dies with the script,
# whether it ends normally, on an error or on Ctrl-C.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/surge-bench.XXXXXX")
pids=()

# Asks pid to stop with SIGTERM, then kills it after 10 s; returns its exit
# status (143 and such when it died of a signal).
stop_pid() {
    local pid=$1 i rc=0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || rc=$?
    return "$rc"
}

cleanup() {
    local pid
    # A second Ctrl-C must not cut the cleaning short.
    trap '' INT TERM
    for pid in ${pids[@]+"${pids[@]}"}; do
        stop_pid "$pid" || true
    done
    pids=()
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'echo "bench: interrupted" >&2; exit 130' INT
trap 'echo "bench: terminated" >&2; exit 143' TERM

forget_pid() {
    local keep=() p
    for p in ${pids[@]+"${pids[@]}"}; do
        [ "$p" = "$1" ] || keep+=("$p")
    done
    pids=(${keep[@]+"${keep[@]}"})
}

# Fetches http://127.0.0.1:PORT/PATH into FILE (status line, headers, body)
# with bash's /dev/tcp, so no HTTP client has to be installed; each HEADER
# ("Name: value") goes with the request. HTTP/1.0 makes the server close
# the connection after the answer.
fetch() {
    local port=$1 path=$2 out=$3 h req
    shift 3
    req="GET $path HTTP/1.0"$'\r\n'"Host: 127.0.0.1"$'\r\n'
    for h in "$@"; do
        req+="$h"$'\r\n'
    done
    req+=$'\r\n'
    # shellcheck disable=SC2016 # $1 and $2 are the inner shell's arguments
    timeout 5 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf "%s" "$2" >&3 && cat <&3' \
        _ "$port" "$req" >"$out" 2>/dev/null
}

# Waits up to SECONDS for pid to answer 200 on PORT; fails at once when the
# process has died.
wait_ready() {
    local pid=$1 port=$2 end=$((SECONDS + $3))
    while ((SECONDS < end)); do
        kill -0 "$pid" 2>/dev/null || return 1
        if fetch "$port" /bench "$tmp/probe" && head -n 1 "$tmp/probe" | grep -q '^HTTP/1\.[01] 200'; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# The answer's body must be byte for byte the payload, or the servers are
# not doing the same work.
check_body() {
    local name=$1 port=$2
    fetch "$port" /bench "$tmp/answer" || true
    sed '1,/^\r$/d' "$tmp/answer" >"$tmp/answer.body"
    if ! cmp -s "$tmp/answer.body" "$PAYLOAD"; then
        note[$name]="body differs from payload.json"
    fi
}

# A port free on 127.0.0.1 for servers that cannot be told to pick one. The
# port is released before the server binds it, so a start can lose a race;
# the callers retry on that.
free_port() {
    "$BIN/bench-httpd" --print-free-port
}

declare -A rps p99 note status all_rps all_p99
order=()

# wrk's latency ("850.00us", "4.52ms", "1.20s") in milliseconds.
to_ms() {
    awk -v t="$1" 'BEGIN {
        v = t + 0
        if (t ~ /us$/) v /= 1000; else if (t ~ /ms$/) ; else if (t ~ /m$/) v *= 60000; else if (t ~ /s$/) v *= 1000
        printf "%.3f", v }'
}

# The median of the numbers given as arguments.
median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
        if (NR % 2) printf "%.2f", v[(NR + 1) / 2]; else printf "%.2f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Runs wrk in the background and waits for it. Bash defers a trap until a
# foreground command ends, and since wrk catches SIGINT itself and exits 0,
# bash would then take a Ctrl-C as handled and go on to the next server;
# the wait builtin instead returns at once and the trap runs.
run_wrk() {
    local p
    wrk "$@" &
    p=$!
    pids+=("$p")
    wait "$p" || true
    forget_pid "$p"
}

# A wrk run against URL whose figures are thrown away, for DURATION (0
# skips it); each HEADER goes with every request.
warm_up() {
    local d=$1 url=$2 h hs=()
    shift 2
    for h in "$@"; do
        hs+=(-H "$h")
    done
    if [ "$d" != 0 ] && [ "$d" != 0s ]; then
        run_wrk -t"$THREADS" -c"$CONNECTIONS" -d"$d" ${hs[@]+"${hs[@]}"} "$url" >/dev/null 2>&1
    fi
}

# One wrk run against URL as NAME, its output kept in OUT; each HEADER goes
# with every request. Adds the run's figures to NAME's lists.
measure_once() {
    local name=$1 out=$2 url=$3 h hs=() r p errs
    shift 3
    for h in "$@"; do
        hs+=(-H "$h")
    done
    run_wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency ${hs[@]+"${hs[@]}"} "$url" \
        >"$out" 2>&1
    r=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
    p=$(awk '$1 == "99%" { print $2; exit }' "$out")
    errs=$(awk '/Non-2xx or 3xx responses:/ { printf "%s non-2xx ", $NF }
                /Socket errors:/ { sub(/.*Socket errors: */, ""); printf "socket errors: %s", $0 }' "$out")
    if [ -n "$errs" ]; then
        note[$name]="${note[$name]:+${note[$name]}; }$errs"
    fi
    if [ -z "$r" ] || [ -z "$p" ]; then
        status[$name]="failed: wrk printed no Requests/sec or no 99%"
        sed 's/^/    /' "$out" >&2
        return
    fi
    all_rps[$name]="${all_rps[$name]:-} $r"
    all_p99[$name]="${all_p99[$name]:-} $(to_ms "$p")"
}

# The medians of NAME's runs, unless a run failed.
summarize() {
    local name=$1
    [ -n "${status[$name]:-}" ] && return
    # shellcheck disable=SC2086
    rps[$name]=$(median ${all_rps[$name]})
    # shellcheck disable=SC2086
    p99[$name]="$(median ${all_p99[$name]})ms"
    status[$name]=ok
}

# /bench of the server on PORT.
bench_url() {
    echo "http://127.0.0.1:$1/bench"
}

# One wrk run of /bench on PORT as NAME.
measure_bench() {
    measure_once "$1" "$tmp/$1.wrk" "$(bench_url "$2")"
}

# Measures one server once after a warm-up of WARMUP.
measure() {
    local name=$1 port=$2 warmup=$3
    check_body "$name" "$port"
    warm_up "$warmup" "$(bench_url "$port")"
    measure_bench "$name" "$port"
    summarize "$name"
}

# Starts a server on PORT by running CMD... in the background, its output
# in STEM.out and STEM.err: the server picks a free port itself and prints
# "listening on 127.0.0.1:PORT" first. Sets started_pid and started_port;
# returns 1 (with NAME's status set) when it does not come up.
start_listener() {
    local name=$1 stem=$2 pid port="" i
    shift 2
    "$@" >"$stem.out" 2>"$stem.err" &
    pid=$!
    pids+=("$pid")
    for ((i = 0; i < 100; i++)); do
        port=$(sed -n '1s/^listening on 127\.0\.0\.1:\([0-9][0-9]*\)$/\1/p' "$stem.out")
        [ -n "$port" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if [ -z "$port" ]; then
        status[$name]="failed: no \"listening on\" line; stderr: $(head -c 300 "$stem.err")"
        stop_pid "$pid" || true
        forget_pid "$pid"
        return 1
    fi
    started_pid=$pid
    started_port=$port
}

stop_server() {
    local name=$1 pid=$2 rc=0
    stop_pid "$pid" || rc=$?
    forget_pid "$pid"
    if [ "$rc" -ne 0 ]; then
        note[$name]="${note[$name]:+${note[$name]}; }did not stop cleanly on SIGTERM (exit $rc)"
    fi
}

# Runs a server that cannot pick its own port: START PORT (a function that
# starts it in the background and adds its pid to pids) on a free port,
# then, once it answers within SECS seconds, measures it once after WARMUP.
# When it does not come up and LOST (a function) says it lost the port to
# a race, tries again, three times at most. Returns 1 when it never came up.
run_on_free_port() {
    local name=$1 secs=$2 warmup=$3 start=$4 lost=$5 port pid
    for _ in 1 2 3; do
        port=$(free_port)
        "$start" "$port"
        pid=${pids[${#pids[@]} - 1]}
        if wait_ready "$pid" "$port" "$secs"; then
            measure "$name" "$port" "$warmup"
            stop_pid "$pid" || true
            forget_pid "$pid"
            return 0
        fi
        stop_pid "$pid" || true
        forget_pid "$pid"
        "$lost" || break
    done
    return 1
}

# a / b to two decimals, or "-" when either is missing.
ratio() {
    if [ -n "$1" ] && [ -n "$2" ]; then
        awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'
    else
        printf -- "-"
    fi
}

# Prints the table of NAMEs: req/s, p99, req/s as a ratio of BASE's in a
# column headed VS, WIDTH wide, and the note; or the status of a server
# with no figures. The first column is headed FIRST.
print_table() {
    local first=$1 vs=$2 width=$3 base=$4 name
    shift 4
    printf "%-22s %12s %12s %${width}s  %s\n" "$first" "req/s" "p99" "$vs" "note"
    for name in "$@"; do
        if [ "${status[$name]:-}" = ok ]; then
            printf "%-22s %12s %12s %${width}s  %s\n" "$name" "${rps[$name]}" "${p99[$name]}" \
                "$(ratio "${rps[$name]}" "${rps[$base]:-}")" "${note[$name]:-}"
        else
            printf "%-22s %s\n" "$name" "${status[$name]:-not run}"
        fi
    done
}

# --- the two C servers, which pick their own port --------------------------

# Starts bench server BIN (bench-bare, bench-httpd) as NAME.
start_c_server() {
    start_listener "$1" "$tmp/$2" "$BIN/$2" --port 0 --body "$PAYLOAD"
}

# Both C servers run side by side and wrk alternates between them, so a
# burst of other work on the machine lands on both rather than on one.
run_c_servers() {
    local bare_pid ours_pid bare_port ours_port i
    order+=("$BARE" "$OURS")
    if ! start_c_server "$BARE" bench-bare; then
        status[$OURS]="not run: the baseline did not start"
        return 0
    fi
    bare_pid=$started_pid bare_port=$started_port
    if ! start_c_server "$OURS" bench-httpd; then
        stop_server "$BARE" "$bare_pid"
        return 0
    fi
    ours_pid=$started_pid ours_port=$started_port
    check_body "$BARE" "$bare_port"
    check_body "$OURS" "$ours_port"
    warm_up "$WARMUP" "$(bench_url "$bare_port")"
    warm_up "$WARMUP" "$(bench_url "$ours_port")"
    for ((i = 0; i < ROUNDS; i++)); do
        measure_bench "$BARE" "$bare_port"
        measure_bench "$OURS" "$ours_port"
    done
    summarize "$BARE"
    summarize "$OURS"
    stop_server "$BARE" "$bare_pid"
    stop_server "$OURS" "$ours_pid"
}

# --- nginx -------------------------------------------------------------------

# run_on_free_port's START and LOST for nginx; they see run_nginx's locals
# (nginx, dir) through bash's dynamic scoping.
nginx_start() {
    local port=$1
    cat >"$dir/nginx.conf" <<EOF
worker_processes 2;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $dir/client_body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    # nginx closes a keep-alive connection after 1000 requests by default;
    # MHD does not, so lift the limit and let wrk keep its 64 connections.
    keepalive_requests 100000000;
    server {
        listen 127.0.0.1:$port;
        location = /bench {
            default_type application/json;
            alias $dir/payload.json;
        }
    }
}
EOF
    : >"$dir/error.log"
    "$nginx" -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf" >"$dir/stdout" 2>&1 &
    pids+=("$!")
}

nginx_lost() {
    grep -q "Address already in use" "$dir/error.log" "$dir/stdout"
}

run_nginx() {
    local name="nginx (reference)" nginx dir
    order+=("$name")
    nginx=$(command -v nginx 2>/dev/null || true)
    [ -z "$nginx" ] && [ -x /usr/sbin/nginx ] && nginx=/usr/sbin/nginx
    if [ -z "$nginx" ]; then
        status[$name]="skipped (not installed: make bench-tools, or apt-get install nginx-light)"
        return
    fi
    dir=$tmp/nginx
    mkdir -p "$dir"
    cp "$PAYLOAD" "$dir/payload.json"
    # Run as root, nginx's workers switch to an unprivileged user, which must
    # be able to read the payload in our private temporary directory.
    chmod 755 "$tmp" "$dir"
    chmod 644 "$dir/payload.json"
    run_on_free_port "$name" 10 "$WARMUP" nginx_start nginx_lost ||
        status[$name]="failed to start: $(tail -n 3 "$dir/error.log" "$dir/stdout" 2>/dev/null | tr '\n' ' ' | head -c 300)"
}

# --- WireMock ------------------------------------------------------------------

# run_on_free_port's START and LOST for WireMock; they see run_wiremock's
# locals (jar, dir).
wiremock_start() {
    # WireMock gets the settings its docs give for load: no request
    # journal (it otherwise keeps every request for verification and
    # slows as the run goes on) and more Jetty threads than the default
    # (with 64 connections that more than doubles its rate here).
    java -jar "$jar" --port "$1" --bind-address 127.0.0.1 --disable-banner \
        --root-dir "$dir" --no-request-journal --container-threads 100 >"$dir/log" 2>&1 &
    pids+=("$!")
}

wiremock_lost() {
    grep -qi "address already in use" "$dir/log"
}

run_wiremock() {
    local name="WireMock" jar dir
    order+=("$name")
    jar=$(find "$BUILD/bench-tools/node_modules/wiremock" -name 'wiremock*.jar' 2>/dev/null | sort | tail -n 1 || true)
    if [ -z "$jar" ]; then
        status[$name]="skipped (not installed: make bench-tools, or npm install --prefix $BUILD/bench-tools wiremock)"
        return
    fi
    if ! command -v java >/dev/null 2>&1; then
        status[$name]="skipped (not installed: java; apt-get install default-jre-headless)"
        return
    fi
    dir=$tmp/wiremock
    mkdir -p "$dir/mappings" "$dir/__files"
    cp "$PAYLOAD" "$dir/__files/payload.json"
    cat >"$dir/mappings/bench.json" <<'EOF'
{
  "request": { "method": "GET", "url": "/bench" },
  "response": {
    "status": 200,
    "headers": { "Content-Type": "application/json" },
    "bodyFileName": "payload.json"
  }
}
EOF
    run_on_free_port "$name" 60 "$JVM_WARMUP" wiremock_start wiremock_lost ||
        status[$name]="failed to start: $(tail -n 3 "$dir/log" | tr '\n' ' ' | head -c 300)"
}

echo "bench: wrk -t$THREADS -c$CONNECTIONS -d$DURATION after a $WARMUP warm-up ($JVM_WARMUP for WireMock)," \
    "$ROUNDS rounds for the C servers and 1 for the others; $(nproc) CPUs shared by wrk and the server;" \
    "load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
run_c_servers
run_nginx
run_wiremock

echo
print_table server "vs bare MHD" 12 "$BARE" "${order[@]}"

# The spread between rounds says how far to trust the medians.
for name in "$BARE" "$OURS"; do
    if [ "${status[$name]:-}" = ok ] && [ "$ROUNDS" -gt 1 ]; then
        # shellcheck disable=SC2086
        printf "  %s, each round:%s req/s\n" "$name" "$(printf ' %.0f' ${all_rps[$name]})"
    fi
done

# Prints "label = ratio (target ...: met|missed)" for ours over another.
verdict() {
    local label=$1 other=$2 min=$3 unit=$4 r
    if [ "${status[$OURS]:-}" != ok ] || [ "${status[$other]:-}" != ok ]; then
        printf "%-36s -  (no figure for %s)\n" "$label" \
            "$([ "${status[$OURS]:-}" != ok ] && echo "$OURS" || echo "$other")"
        return
    fi
    r=$(ratio "${rps[$OURS]}" "${rps[$other]}")
    if [ -z "$min" ]; then
        printf "%-36s %s%s (for reference)\n" "$label" "$r" "$unit"
    elif awk -v r="$r" -v m="$min" 'BEGIN { exit !(r >= m) }'; then
        printf "%-36s %s%s (target >= %s%s: met)\n" "$label" "$r" "$unit" "$min" "$unit"
    else
        printf "%-36s %s%s (target >= %s%s: MISSED)\n" "$label" "$r" "$unit" "$min" "$unit"
    fi
}

echo
verdict "surge httpd / bare libmicrohttpd" "$BARE" 0.90 ""
verdict "surge httpd / WireMock" "WireMock" 5 "x"
verdict "surge httpd / nginx" "nginx (reference)" "" ""

# --- mock-cin7: the batched availability read ---------------------------------
#
# bin/mock-cin7 (built by `make bench` through `make all`) with 1,000 SKUs at
# 3 locations and no rate limit, the world bench/cin7-world.sh writes. wrk
# reads ref/productavailability two ways, with Cin7's credential headers:
# one SKU (an engine checking a SKU) and a page of 1,000 rows (the batched
# read that keeps a sync under 60 calls a minute). Printed beside surge
# httpd's figure above, which answers 1 KiB without a route's work.

CIN7=${CIN7_BIN:-$ROOT/bin/mock-cin7} # CIN7_BIN: another build of it
CIN7_HEADERS=("api-auth-accountid: bench" "api-auth-applicationkey: bench-key")

run_cin7() {
    local one="mock-cin7 one SKU" page="mock-cin7 1,000 rows" pid port q url
    local -A path=([$one]="/ExternalApi/v2/ref/productavailability?Sku=BENCH-0500"
                   [$page]="/ExternalApi/v2/ref/productavailability?Page=1&Limit=1000")
    cin7_order=("$one" "$page")
    if [ ! -x "$CIN7" ]; then
        status[$one]="skipped: $CIN7 is missing (make all builds it)"
        status[$page]=${status[$one]}
        return
    fi
    "$ROOT/bench/cin7-world.sh" >"$tmp/cin7.json"
    if ! start_listener "$one" "$tmp/cin7" "$CIN7" --port 0 --config "$tmp/cin7.json" \
        --journal-keep 1000; then
        status[$page]=${status[$one]}
        return 0
    fi
    pid=$started_pid port=$started_port
    # Each answer must be a real one: 200, and the rows the world holds.
    fetch "$port" "${path[$one]}" "$tmp/cin7.one" "${CIN7_HEADERS[@]}" || true
    grep -q '"Total":3,' "$tmp/cin7.one" || note[$one]="unexpected answer: $(head -c 200 "$tmp/cin7.one")"
    fetch "$port" "${path[$page]}" "$tmp/cin7.page" "${CIN7_HEADERS[@]}" || true
    grep -q '"Total":3000,' "$tmp/cin7.page" || note[$page]="unexpected answer: $(head -c 200 "$tmp/cin7.page")"
    for q in "$one" "$page"; do
        url="http://127.0.0.1:$port${path[$q]}"
        warm_up "$WARMUP" "$url" "${CIN7_HEADERS[@]}"
        measure_once "$q" "$tmp/cin7-$(echo "$q" | tr -c 'a-zA-Z0-9' _).wrk" "$url" "${CIN7_HEADERS[@]}"
        summarize "$q"
    done
    stop_server "$one" "$pid"
}

run_cin7
echo
echo "mock-cin7, GET /ExternalApi/v2/ref/productavailability, 1,000 SKUs x 3 locations, no rate limit:"
print_table query "vs surge httpd" 14 "$OURS" "${cin7_order[@]}"
printf "%-22s %12s  (surge httpd, 1 KiB from a route, above)\n" "foundation server" "${rps[$OURS]:--}"

# --- mock-shopify: the inventory levels read ---------------------------------
#
# bin/mock-shopify (built by `make bench` through `make all`) with a shop on
# the plus plan whose REST call limit the config raises out of the way, and
# 1,000 SKUs at 3 locations. wrk reads inventory_levels.json for 50 items at
# every location (150 levels, what a sync asks per call) with the shop's
# access token, as an engine or a polling connector does.

SHOPIFY=${SHOPIFY_BIN:-$ROOT/bin/mock-shopify} # SHOPIFY_BIN: another build of it
SHOPIFY_HEADERS=("X-Shopify-Access-Token: shpat_bench")
SHOPIFY_ITEMS=$(seq -s, 47000000000001 47000000000050)
SHOPIFY_PATH="/admin/api/2026-10/inventory_levels.json?inventory_item_ids=$SHOPIFY_ITEMS&limit=250"

run_shopify() {
    local name="mock-shopify levels" pid port url
    shopify_order=("$name")
    if [ ! -x "$SHOPIFY" ]; then
        status[$name]="skipped: $SHOPIFY is missing (make all builds it)"
        return
    fi
    cat >"$tmp/shopify.json" <<'JSON'
{"shops":[{"domain":"bench.myshopify.com","plan":"plus","access_token":"shpat_bench",
  "app_secret":"bench-secret",
  "limits":{"rest_bucket":1000000000,"rest_leak_per_s":1000000000},
  "locations":[{"name":"Main Warehouse"},{"name":"East"},{"name":"West"}],
  "catalog":{"sku_prefix":"BENCH-","count":1000,"available":100}}]}
JSON
    start_listener "$name" "$tmp/shopify" "$SHOPIFY" --port 0 --config "$tmp/shopify.json" \
        --journal-keep 1000 || return 0
    pid=$started_pid port=$started_port
    # The answer must be a real one: 150 levels, no call limit in the way.
    fetch "$port" "$SHOPIFY_PATH" "$tmp/shopify.answer" "${SHOPIFY_HEADERS[@]}" || true
    if [ "$(grep -o '"inventory_item_id"' "$tmp/shopify.answer" | wc -l)" -ne 150 ]; then
        note[$name]="unexpected answer: $(head -c 200 "$tmp/shopify.answer")"
    fi
    url="http://127.0.0.1:$port$SHOPIFY_PATH"
    warm_up "$WARMUP" "$url" "${SHOPIFY_HEADERS[@]}"
    measure_once "$name" "$tmp/shopify.wrk" "$url" "${SHOPIFY_HEADERS[@]}"
    summarize "$name"
    stop_server "$name" "$pid"
}

run_shopify
echo
echo "mock-shopify, GET inventory_levels.json (50 items x 3 locations), plus plan, call limit raised:"
print_table query "vs surge httpd" 14 "$OURS" "${shopify_order[@]}"

# --- syncd: webhook intake ---------------------------------------------------
#
# bin/syncd (release, built by `make bench` through `make all`) with a fresh
# store and its Cin7 and Shopify URLs on a port where nothing listens: it
# never becomes ready, but intake works before that, and intake is what this
# measures. bench-syncd-intake signs realistic orders/paid webhooks (distinct
# order, Webhook- and Event-Ids, HMAC-SHA256), then (a) sends 40,000 over 64
# keep-alive connections as fast as the acknowledgements come back, and (b)
# sends 1,000 per second for 5 s on a schedule, timing each from its
# intended send time. Every answer is a 200 only after the event is
# committed (synchronous=FULL), so the figure includes the fsyncs. Targets:
# >= 10,000/s, and p99 < 10 ms at 1,000/s. The driver shares the two cores
# with syncd; rerun when another job is busy. --postgres runs the same
# requests again on a throwaway PostgreSQL cluster with 1, 2 and 3 instances
# behind HAProxy (a fresh database each) and prints them beside SQLite.

SYNCD=${SYNCD_BIN:-$ROOT/bin/syncd} # SYNCD_BIN: another build of it

run_syncd_intake() {
    if [ ! -x "$SYNCD" ]; then
        echo "skipped: $SYNCD is missing (make all builds it)"
        return
    fi
    if [ ! -x "$BIN/bench-syncd-intake" ]; then
        echo "skipped: $BIN/bench-syncd-intake is missing; run \`make bench\`"
        return
    fi
    "$BIN/bench-syncd-intake" --syncd "$SYNCD" --dir "$tmp" --postgres 2>&1 | sed 's/^/    /' ||
        echo "    (the run reported a problem above)"
}

echo
echo "syncd, POST /webhooks/shopify (signed orders/paid, durably queued before the 200):"
run_syncd_intake

# The C servers failing is a broken build or harness; the optional ones are not.
[ "${status[$BARE]:-}" = ok ] && [ "${status[$OURS]:-}" = ok ]
