#!/usr/bin/env bash
# Runs every libFuzzer target for a number of seconds each, one after the
# other (`make fuzz-all FUZZ_SECONDS=N` builds them first and calls this):
#
#   scripts/fuzz-all.sh SECONDS NAME...
#
# Each target starts from its seed corpus (tests/fuzz/corpus/NAME, read
# only) and grows its own under $BUILD/fuzz/corpus-NAME, so the source tree
# stays as it is. Per target it prints the executions, libFuzzer's final
# coverage (cov: edges, ft: features) and whether it crashed; a crashing
# input is kept in $BUILD/fuzz/crashes/NAME/ (make it a corpus entry once
# fixed). The figures go to $BUILD/fuzz/summary.json, and the same as
# tab-separated lines to summary.tsv for scripts/reliability.sh (which needs
# no JSON tool). Exits 1 when any target crashed (or found a leak,
# a timeout or ran out of memory), 2 on bad usage.
set -u

BUILD=${BUILD:-build}
if [ $# -lt 2 ] || ! [[ $1 =~ ^[1-9][0-9]*$ ]]; then
    echo "usage: $0 SECONDS NAME... (SECONDS a whole number above 0)" >&2
    exit 2
fi
seconds=$1
shift

dir=$BUILD/fuzz
mkdir -p "$dir/logs"
summary=$dir/summary.json.tmp
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=$(git status --porcelain --untracked-files=no 2>/dev/null | grep -q . && echo true || echo false)
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
failed=0
rows=()
tsv=()

printf '%-22s %12s %8s %8s %8s  %s\n' target executions cov ft corpus result
for name in "$@"; do
    bin=$dir/fuzz-$name
    seeds=tests/fuzz/corpus/$name
    if [ ! -x "$bin" ] || [ ! -d "$seeds" ]; then
        echo "fuzz-all: no binary $bin or no seed corpus $seeds" >&2
        exit 2
    fi
    mkdir -p "$dir/corpus-$name" "$dir/crashes/$name"
    log=$dir/logs/$name.log
    # -timeout: an input that takes 10 s is a hang, reported as a crash.
    # -close_fd_mask=3: the targets' own logging is muted; libFuzzer's
    # report and the sanitizers' still reach the log.
    "$bin" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -close_fd_mask=3 \
        -artifact_prefix="$dir/crashes/$name/" "$dir/corpus-$name" "$seeds" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    # The last status line ("#N DONE cov: X ft: Y corp: Z/..."), else the
    # last line that has coverage figures.
    last=$(grep -E '^#[0-9]+.*cov: [0-9]+' "$log" | tail -1)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
    crash=$(ls -t "$dir/crashes/$name" 2>/dev/null | head -1)
    if [ "$rc" -eq 0 ]; then
        result=ok
        crash=
    else
        result="CRASHED (exit $rc)"
        failed=1
        [ -n "$crash" ] && result="$result, input kept: $dir/crashes/$name/$crash"
    fi
    printf '%-22s %12s %8s %8s %8s  %s\n' "$name" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$result"
    [ "$rc" -eq 0 ] || { echo "  log: $log"; grep -m3 -E 'ERROR: |SUMMARY: |runtime error' "$log" | sed 's/^/  /'; }
    rows+=("$(printf '{"name":"%s","executions":%s,"cov":%s,"ft":%s,"corpus":%s,"crashed":%s,"crash_input":"%s"}' \
        "$name" "${execs:-null}" "${cov:-null}" "${ft:-null}" "${corp:-null}" \
        "$([ "$rc" -eq 0 ] && echo false || echo true)" \
        "${crash:+$dir/crashes/$name/$crash}")")
    tsv+=("$(printf '%s\t%s\t%s\t%s\t%s\t%s' "$name" "${execs:--}" "${cov:--}" "${ft:--}" "${corp:--}" \
        "$([ "$rc" -eq 0 ] && echo no || echo yes)")")
done

finished=$(date -u +%Y-%m-%dT%H:%M:%SZ)
{
    printf '{"started":"%s","finished":"%s","commit":"%s","dirty":%s,"seconds_per_target":%s,"targets":[' \
        "$started" "$finished" "$commit" "$dirty" "$seconds"
    sep=
    for r in "${rows[@]}"; do
        printf '%s\n  %s' "$sep" "$r"
        sep=,
    done
    printf '\n]}\n'
} >"$summary"
mv "$summary" "$dir/summary.json"
{
    printf 'started\t%s\nfinished\t%s\ncommit\t%s\ndirty\t%s\nseconds\t%s\n' "$started" \
        "$finished" "$commit" "$dirty" "$seconds"
    printf 'target\t%s\n' "${tsv[@]}"
} >"$dir/summary.tsv"
echo "fuzz-all: summary in $dir/summary.json"
if [ "$failed" -ne 0 ]; then
    echo "fuzz-all: a target crashed; fix it and add its input to tests/fuzz/corpus/NAME/" >&2
    exit 1
fi
