#!/bin/sh
# Runs every libFuzzer target for SECONDS seconds each, one after another,
# and prints per target the executions, libFuzzer's coverage figures (cov:
# edges, ft: features) and whether it crashed. A summary goes to
# BUILD/fuzz/summary.tsv for scripts/reliability.sh. A crash keeps its input
# (BUILD/fuzz/crash-NAME-*) and makes the script exit 1: fix the bug, then
# add the input to tests/fuzz/corpus/NAME/ so `make test` replays it.
#
#   scripts/fuzz-all.sh SECONDS BUILD   (make fuzz-all FUZZ_SECONDS=N)
set -u
seconds=${1:-60}
build=${2:-build}
case $seconds in '' | *[!0-9]*) echo "fuzz-all: FUZZ_SECONDS must be a whole number of seconds, got '$seconds'" >&2; exit 2 ;; esac
command -v clang >/dev/null 2>&1 || { echo "fuzz-all: clang is needed (apt-get install clang)" >&2; exit 2; }
targets=$(ls tests/fuzz/corpus)
mkdir -p "$build/fuzz"
summary=$build/fuzz/summary.tsv
tmp=$summary.part
printf 'target\tseconds\texecutions\tcov\tft\tcorpus\tresult\n' > "$tmp"
failed=0
for t in $targets; do
    if ! make --no-print-directory "$build/fuzz/fuzz-$t" FUZZ="$t" > "$build/fuzz/build-$t.log" 2>&1; then
        echo "fuzz-all: $t does not build, see $build/fuzz/build-$t.log" >&2
        printf '%s\t%s\t0\t0\t0\t0\tbuild failed\n' "$t" "$seconds" >> "$tmp"
        failed=1
        continue
    fi
    mkdir -p "$build/fuzz/corpus-$t"
    log=$build/fuzz/run-$t.log
    "$build/fuzz/fuzz-$t" -max_total_time="$seconds" -print_final_stats=1 \
        -artifact_prefix="$build/fuzz/crash-$t-" \
        "$build/fuzz/corpus-$t" "tests/fuzz/corpus/$t" > "$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    # The last status line carries the coverage reached: "#N ... cov: C ft: F corp: K/..."
    last=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -1)
    cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
    ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
    corp=$(echo "$last" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
    result=ok
    if [ "$rc" -ne 0 ]; then
        result="crashed (exit $rc, see $log)"
        failed=1
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$seconds" "${execs:-0}" "${cov:-0}" "${ft:-0}" \
        "${corp:-0}" "$result" >> "$tmp"
    printf '%-22s %10s runs  cov %-5s ft %-6s corpus %-5s %s\n' "$t" "${execs:-0}" "${cov:-0}" \
        "${ft:-0}" "${corp:-0}" "$result"
done
mv "$tmp" "$summary"
echo "summary: $summary"
exit $failed
