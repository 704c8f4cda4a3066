#!/bin/sh
# `make run`: runs the default scenario (scenarios/flash-sale.json: an hour of
# simulated trade at time scale 60, about two minutes of wall time) and
# prints where its report is. The exit code is surge's (DESIGN §6).
set -u
cd "$(dirname "$0")/.."
bin/surge run scenarios/flash-sale.json "$@"
rc=$?
latest=$(ls -dt results/flash-sale-* 2>/dev/null | head -n 1)
if [ -n "$latest" ] && [ -f "$latest/report.html" ]; then
    echo "report: $(pwd)/$latest/report.html"
fi
exit $rc
