#!/usr/bin/env bash
# Writes docs/RELIABILITY.md (`make reliability`): what is tested for
# reliability and security, how to run each part, and the latest figures,
# all computed here, none typed:
#   - tests per suite, counted in the sources (tests/);
#   - fuzz executions and coverage per target, read from the last
#     `make fuzz-all` ($BUILD/fuzz/summary.tsv);
#   - kill -9 restarts survived: the end-to-end tests that kill syncd with
#     SIGKILL (found in tests/e2e by their calls of sdt_kill_syncd and the
#     scenario crashes they plan) are run here KILL9_ROUNDS times (default
#     1) and each restart of a test that passed counts; RUN_KILL9=0 reuses
#     the last run's log ($BUILD/reliability/);
#   - the cases of the bad-input matrix (tests/badinput/), when it exists.
# Each figure says the date and commit it comes from.
set -eu
cd "$(dirname "$0")/.."

BUILD=${BUILD:-build}
KILL9_ROUNDS=${KILL9_ROUNDS:-1}
RUN_KILL9=${RUN_KILL9:-1}
out=docs/RELIABILITY.md
rdir=$BUILD/reliability
fuzz_tsv=$BUILD/fuzz/summary.tsv
mkdir -p "$rdir"

if ! [[ $KILL9_ROUNDS =~ ^[1-9][0-9]*$ ]]; then
    echo "reliability: KILL9_ROUNDS must be a whole number above 0, got '$KILL9_ROUNDS'" >&2
    exit 2
fi

now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
# The document itself does not count as a change.
if git status --porcelain --untracked-files=no -- . ":!$out" 2>/dev/null | grep -q .; then
    commit="$commit (with uncommitted changes)"
fi

# ---- tests in the sources ---------------------------------------------------------

# "suite.name" of every test, one a line.
test_names() {
    grep -ho '^TEST\(_T\)\?([a-z0-9_]*, [a-z0-9_]*' tests/unit/*.c tests/e2e/*.c tests/fuzz/*.c 2>/dev/null |
        sed 's/^TEST\(_T\)\?(\([a-z0-9_]*\), \([a-z0-9_]*\)/\2.\3/'
    # Fuzz targets are tests named fuzz.NAME (tests/fuzz/fuzz.h).
    grep -ho '^FUZZ_TARGET([a-z0-9_]*)' tests/fuzz/*.c | sed 's/FUZZ_TARGET(\(.*\))/fuzz.\1/'
}

# "suite.name<TAB>restarts" of each test that kills syncd with SIGKILL.
kill9_tests() {
    awk '
        /^TEST(_T)?\(/ { line = $0; sub(/^TEST(_T)?\(/, "", line); split(line, p, /[ ,]+/); cur = p[1] "." p[2] }
        /^}/ { cur = "" }
        cur != "" && /sdt_kill_syncd\(/ { k[cur]++ }
        cur != "" && /restart_after/ { k[cur] += gsub(/restart_after/, "&") }
        END { for (t in k) print t "\t" k[t] }
    ' tests/e2e/*.c | sort
}

# ---- the bad-input matrix ---------------------------------------------------------

# Cases in tests/badinput/: each element of a JSON array (top level, or the
# "cases" array of an object) in a .json file, each non-blank line that is
# not a comment (#) in any other file.
badinput_cases() {
    local n=0 f c
    while IFS= read -r f; do
        case $f in
        *.json)
            if command -v jq >/dev/null; then
                c=$(jq 'if type == "array" then length elif (type == "object" and (.cases | type) == "array") then (.cases | length) else 1 end' "$f" 2>/dev/null || echo 1)
            else
                c=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d) if isinstance(d,list) else len(d["cases"]) if isinstance(d,dict) and isinstance(d.get("cases"),list) else 1)' "$f" 2>/dev/null || echo 1)
            fi
            ;;
        *) c=$(grep -cv '^[[:space:]]*\(#.*\)\?$' "$f" || true) ;;
        esac
        n=$((n + c))
    done < <(find tests/badinput -type f ! -name '*.md' | sort)
    echo "$n"
}

# ---- kill -9: run the tests --------------------------------------------------------

mapfile -t k9 < <(kill9_tests)
k9_names=()
for row in "${k9[@]}"; do k9_names+=("${row%%$'\t'*}"); done
if [ "$RUN_KILL9" != 0 ] && [ "${#k9_names[@]}" -gt 0 ]; then
    : >"$rdir/kill9.log"
    for ((round = 1; round <= KILL9_ROUNDS; round++)); do
        echo "reliability: kill -9 tests, round $round of $KILL9_ROUNDS: ${k9_names[*]}" >&2
        make --no-print-directory BUILD="$BUILD" test T="${k9_names[*]}" >>"$rdir/kill9.log" 2>&1 || true
    done
    printf 'date\t%s\ncommit\t%s\nrounds\t%s\n' "$now" "$commit" "$KILL9_ROUNDS" >"$rdir/kill9.meta"
fi

# Passes of a test in the last kill -9 log.
passes() {
    if [ -f "$rdir/kill9.log" ]; then
        grep -c "^ok   $1 " "$rdir/kill9.log" || true
    else
        echo 0
    fi
}
# A field of a tab-separated meta file (name<TAB>value lines).
meta() {
    if [ -f "$2" ]; then
        sed -n "s/^$1\t//p" "$2" | head -1
    fi
}

# ---- the document -------------------------------------------------------------------

suites_table() {
    test_names | cut -d. -f1 | sort | uniq -c | awk '{ printf "| `%s` | %d |\n", $2, $1 }'
}

{
    echo "# Reliability and security: what is tested, how to run it, the latest figures"
    echo
    echo "Written by \`scripts/reliability.sh\` (\`make reliability\`) on $now at commit $commit;"
    echo "do not edit it by hand: run the script again. Each figure below says the run it comes from."
    echo
    echo "## The parts and how to run them"
    echo
    n_tests=$(test_names | wc -l)
    n_suites=$(test_names | cut -d. -f1 | sort -u | wc -l)
    n_targets=$(ls tests/fuzz/corpus | wc -l)
    n_seeds=$(find tests/fuzz/corpus -type f | wc -l)
    n_mut=$(sed -n 's/.*fuzz_replay(#name, fuzz_##name, \([0-9]*\)).*/\1/p' tests/fuzz/fuzz.h)
    echo "| part | what it guards | how to run it | figure |"
    echo "| --- | --- | --- | --- |"
    echo "| unit and end-to-end tests | every module, and the programs through real servers on 127.0.0.1 (port 0), built with address and undefined-behaviour sanitizers; a test fails on any sanitizer report | \`make test\` (one part: \`make test T=prefix\`) | $n_tests tests in $n_suites suites (counted in tests/) |"
    echo "| fuzz corpus replay | every parser of outside input, on every \`make test\` and in CI: each seed of \`tests/fuzz/corpus/NAME/\`, then $n_mut seeded mutations of them | \`make test T=fuzz\` | $n_targets targets, $n_seeds seeds |"
    if [ -f "$fuzz_tsv" ]; then
        total=$(awk -F'\t' '$1 == "target" && $3 != "-" { s += $3 } END { printf "%d", s }' "$fuzz_tsv")
        crashed=$(awk -F'\t' '$1 == "target" && $7 == "yes"' "$fuzz_tsv" | wc -l)
        ran=$(awk -F'\t' '$1 == "target"' "$fuzz_tsv" | wc -l)
        echo "| fuzzing (libFuzzer, clang) | the same targets, open-ended, with address and undefined-behaviour sanitizers; a crashing input is kept under \`$BUILD/fuzz/crashes/NAME/\` to become a seed | \`make fuzz-all FUZZ_SECONDS=60\` (one: \`make fuzz FUZZ=NAME\`) | $total executions over $ran targets, $(meta seconds "$fuzz_tsv") s each, $crashed crashed (run of $(meta finished "$fuzz_tsv"), commit $(meta commit "$fuzz_tsv")) |"
    else
        echo "| fuzzing (libFuzzer, clang) | the same targets, open-ended | \`make fuzz-all FUZZ_SECONDS=60\` | not run yet on this machine (no \`$fuzz_tsv\`) |"
    fi
    survived=0
    for row in "${k9[@]}"; do
        survived=$((survived + $(passes "${row%%$'\t'*}") * ${row##*$'\t'}))
    done
    if [ -f "$rdir/kill9.meta" ]; then
        k9_fig="$survived restarts survived over $(meta rounds "$rdir/kill9.meta") round(s) (run of $(meta date "$rdir/kill9.meta"), commit $(meta commit "$rdir/kill9.meta"))"
    else
        k9_fig="not run yet on this machine"
    fi
    echo "| kill -9 | syncd killed with SIGKILL mid-work and started again on the same store: no acknowledged webhook lost, no order pushed twice, no purchase drafted twice | \`make reliability\` runs them (\`KILL9_ROUNDS=N\` repeats them); each alone: \`make test T=NAME\` | $k9_fig |"
    if [ -d tests/badinput ]; then
        bi_suite=$(test_names | grep -E 'badinput|bad_input|matrix' | cut -d. -f1 | sort -u | head -1)
        echo "| bad-input matrix | every route of syncd and both mocks against the bad requests that apply to it, each case stating the answer and that nothing changed | \`make test${bi_suite:+ T=$bi_suite}\` | $(badinput_cases) cases in \`tests/badinput/\` |"
    else
        echo "| bad-input matrix | every route of syncd and both mocks against the bad requests that apply to it | (not there yet) | the matrix is not there yet: no \`tests/badinput/\` |"
    fi
    echo "| valgrind | the release programs (valgrind cannot run sanitizer builds) | \`make test T=valgrind\` | $(test_names | grep -c '^valgrind\.') tests |"
    echo
    echo "Tests whose names speak of security (signatures, tokens, secrets, credentials, limits, sizes):"
    echo
    test_names | grep -E 'hmac|signature|signed|token|secret|_auth(_|$)|authenticat|credential|unauthor|forbid|401|413|431|over_cap|intake|malformed|deep_nest' |
        sort | sed 's/^/- `/; s/$/`/'
    echo
    echo "## Fuzz targets"
    echo
    if [ -f "$fuzz_tsv" ]; then
        echo "From \`make fuzz-all FUZZ_SECONDS=$(meta seconds "$fuzz_tsv")\`, started $(meta started "$fuzz_tsv"), finished $(meta finished "$fuzz_tsv"), commit $(meta commit "$fuzz_tsv")$([ "$(meta dirty "$fuzz_tsv")" = true ] && echo ' (with uncommitted changes)'). Executions are inputs run; cov and ft are libFuzzer's final coverage (edges, and features: edges with hit counts and compared values); corpus is the inputs it kept. The machine was shared, so executions vary from run to run."
        echo
        echo "| target | seeds | executions | cov | ft | corpus | crashed |"
        echo "| --- | ---: | ---: | ---: | ---: | ---: | --- |"
        awk -F'\t' '$1 == "target" { print $2 "\t" $3 "\t" $4 "\t" $5 "\t" $6 "\t" $7 }' "$fuzz_tsv" |
            while IFS=$'\t' read -r name execs cov ft corp crashed; do
                seeds=$(find "tests/fuzz/corpus/$name" -type f 2>/dev/null | wc -l)
                echo "| \`$name\` | $seeds | $execs | $cov | $ft | $corp | $crashed |"
            done
        missing=$(comm -23 <(ls tests/fuzz/corpus | sort) <(awk -F'\t' '$1 == "target" { print $2 }' "$fuzz_tsv" | sort) | tr '\n' ' ')
        if [ -n "$missing" ]; then
            echo
            echo "Targets not in that run (added since): $missing"
        fi
    else
        echo "No \`make fuzz-all\` run on this machine yet. Targets (seeds): $(for t in $(ls tests/fuzz/corpus); do printf '`%s` (%s) ' "$t" "$(ls "tests/fuzz/corpus/$t" | wc -l)"; done)"
    fi
    echo
    echo "What each target reads is said at the top of its file in \`tests/fuzz/\`."
    echo
    echo "## kill -9"
    echo
    if [ "${#k9[@]}" -eq 0 ]; then
        echo "No test kills syncd."
    else
        echo "| test | kill -9 restarts in one run | passes in the last run |"
        echo "| --- | ---: | ---: |"
        for row in "${k9[@]}"; do
            echo "| \`${row%%$'\t'*}\` | ${row##*$'\t'} | $(passes "${row%%$'\t'*}") |"
        done
        if [ -f "$rdir/kill9.log" ]; then
            echo
            echo "The runner's last line of each round: $(grep -E '^[0-9]+ passed, [0-9]+ failed' "$rdir/kill9.log" | sed 's/$/;/' | tr '\n' ' ')log: \`$rdir/kill9.log\`."
        fi
    fi
    echo
    echo "## Tests per suite"
    echo
    echo "| suite | tests |"
    echo "| --- | ---: |"
    suites_table
} >"$out.tmp"
mv "$out.tmp" "$out"
echo "reliability: wrote $out" >&2
