#!/bin/sh
# Stoplight Prism in proxy validation mode between an engine and mock-cin7:
# every request is checked against our copy of Cin7 Core's reference
# (tests/reference/cin7-core-openapi.normalized.yaml) before it is
# forwarded, every answer after. A request the reference does not have (path,
# method, parameter or body shape) is answered 422/404/405 by Prism and never
# reaches the mock; what Prism found is in its log, one line per finding
# (`Violation:` or `Request terminated with error`). Installed by
# `scripts/deps.sh --test` (tests/tools). Made for `surge run --cin7-proxy`:
#
#   bin/surge run scenarios/ci-smoke.json --cin7-proxy 'scripts/prism-cin7.sh {upstream} {port}'
#
# usage: scripts/prism-cin7.sh UPSTREAM PORT
set -eu
if [ $# -ne 2 ]; then
    echo "usage: scripts/prism-cin7.sh UPSTREAM PORT (e.g. http://127.0.0.1:8082/ExternalApi/v2 4010)" >&2
    exit 2
fi
root=$(cd "$(dirname "$0")/.." && pwd)
prism="$root/tests/tools/node_modules/.bin/prism"
if [ ! -x "$prism" ]; then
    echo "prism-cin7: $prism is missing; run scripts/deps.sh --test" >&2
    exit 1
fi
# No colours in the log: it is read by programs.
export FORCE_COLOR=0 NO_COLOR=1
exec "$prism" proxy "$root/tests/reference/cin7-core-openapi.normalized.yaml" "$1" \
    --host 127.0.0.1 --port "$2"
