#!/bin/sh
# `make chaos`: runs every scenario of scenarios/chaos/ (or those CHAOS
# names, e.g. CHAOS="kill9 network"), once per seed of SEEDS (e.g.
# SEEDS="1 2 3"; by default each scenario's own seed), one after the other,
# and prints one line per run with its verdict and every failing gate's
# value. Each run's results folder is results/chaos/<name>-seed<S>/, with
# surge's own output beside it in <name>-seed<S>.log. Exits 1 when any run
# did not pass (a gate failed, or the run broke or was invalid), 2 when a
# named scenario does not exist.
set -u
cd "$(dirname "$0")/.."
SURGE=${SURGE:-bin/surge}
OUT=${CHAOS_OUT:-results/chaos}
SEEDS=${SEEDS:-}
CHAOS=${CHAOS:-}

files=""
for f in scenarios/chaos/*.json; do
    name=$(basename "$f" .json)
    if [ -n "$CHAOS" ]; then
        case " $CHAOS " in
        *" $name "*) ;;
        *) continue ;;
        esac
    fi
    files="$files $f"
done
for want in $CHAOS; do
    [ -f "scenarios/chaos/$want.json" ] || { echo "chaos: no scenario scenarios/chaos/$want.json" >&2; exit 2; }
done

# The failing gates of a summary: "metric=value (<= limit)" each.
failing_gates() {
    i=0
    out=""
    while metric=$("$SURGE" get "$1" "gates.$i.metric" 2>/dev/null); do
        if [ "$("$SURGE" get "$1" "gates.$i.pass")" != "true" ]; then
            value=$("$SURGE" get "$1" "gates.$i.value")
            out="$out $metric=$value ($("$SURGE" get "$1" "gates.$i.op") $("$SURGE" get "$1" "gates.$i.limit"))"
        fi
        i=$((i + 1))
    done
    echo "${out# }"
}

mkdir -p "$OUT"
# Every line printed also goes to $OUT/summary.txt (make reliability reads it).
log=$OUT/summary.txt
: > "$log"
say() {
    printf "$@" | tee -a "$log"
}
started=$(date +%s)
runs=0
failed=0
say '%-22s %-6s %-8s %6s  %s\n' scenario seed verdict "wall" "failing gates (value, limit) / held back"
for f in $files; do
    name=$(basename "$f" .json)
    for seed in ${SEEDS:-$("$SURGE" get "$f" seed)}; do
        dir="$OUT/$name-seed$seed"
        rm -rf "$dir"
        t=$(date +%s)
        "$SURGE" run "$f" --seed "$seed" --out "$dir" --quiet >"$dir.log" 2>&1
        rc=$?
        t=$(($(date +%s) - t))
        case $rc in
        0) verdict=pass ;;
        1) verdict=FAIL ;;
        2) verdict=BAD ;;
        3) verdict=BROKE ;;
        4) verdict=INVALID ;;
        *) verdict="exit $rc" ;;
        esac
        detail=""
        if [ -f "$dir/summary.json" ]; then
            detail=$(failing_gates "$dir/summary.json")
            held=$("$SURGE" get "$dir/summary.json" metrics.held_back_units 2>/dev/null)
            detail="${detail:+$detail; }held back ${held:-?}"
            [ $rc -eq 4 ] && detail="$detail; $("$SURGE" get "$dir/summary.json" invalid_reason)"
        else
            detail="no summary: see $dir.log"
        fi
        say '%-22s %-6s %-8s %5ss  %s\n' "$name" "$seed" "$verdict" "$t" "$detail"
        runs=$((runs + 1))
        [ $rc -eq 0 ] || failed=$((failed + 1))
    done
done
say '%s\n' "chaos: $runs runs, $((runs - failed)) passed, $failed failed in $(($(date +%s) - started)) s (results in $OUT/)"
[ $failed -eq 0 ]
