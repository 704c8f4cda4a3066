#!/usr/bin/env bash
# Writes the mock-cin7 world of the benchmark to stdout: account "bench",
# application key "bench-key" with no rate limit, 3 locations, one supplier
# and SKUs BENCH-0001 ... BENCH-1000 with stock at every location (so
# ref/productavailability has 3,000 rows). `bench/run.sh` starts
# bin/mock-cin7 --config on it; to look at it by hand:
#
#   bench/cin7-world.sh > /tmp/cin7.json && bin/mock-cin7 --config /tmp/cin7.json
set -euo pipefail
SKUS=${1:-1000}
awk -v n="$SKUS" 'BEGIN {
    printf "{\"account\":\"bench\",\"applications\":[{\"name\":\"bench\",\"key\":\"bench-key\"}],\n"
    printf " \"rate_limit\":{\"preset\":\"unlimited\"},\n"
    printf " \"locations\":[{\"name\":\"Main Warehouse\"},{\"name\":\"East\"},{\"name\":\"West\"}],\n"
    printf " \"suppliers\":[{\"name\":\"Bench Supplier\",\"lead_time\":\"7d\",\"minimum_order\":50}],\n"
    printf " \"products\":[\n"
    for (i = 1; i <= n; i++)
        printf "  {\"sku\":\"BENCH-%04d\",\"name\":\"Bench product %d\",\"supplier\":\"Bench Supplier\",\"cost\":5,\"price\":12.5}%s\n", i, i, i < n ? "," : ""
    printf " ],\n \"stock\":[\n"
    split("Main Warehouse,East,West", loc, ",")
    for (i = 1; i <= n; i++)
        for (l = 1; l <= 3; l++)
            printf "  {\"sku\":\"BENCH-%04d\",\"location\":\"%s\",\"on_hand\":%d}%s\n", i, loc[l], (i * 7 + l * 13) % 200, (i < n || l < 3) ? "," : ""
    printf " ]}\n"
}'
