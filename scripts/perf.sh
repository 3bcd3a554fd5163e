#!/usr/bin/env bash
# The figures of docs/PERFORMANCE.md: data sets of 10,000, 100,000 and 1,000,000 enterprises
# (1,000 products) generated into PostgreSQL, `pledge bench run` on each, and the chart.
# Usage: scripts/perf.sh [SIZES...]   (default: 10000 100000 1000000)
# PLEDGE_PG_ADMIN_URL: where to create the databases (default: the local socket, user postgres);
# a database that already holds the data set is reused.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=${*:-10000 100000 1000000}
ADMIN=${PLEDGE_PG_ADMIN_URL:-postgres://postgres@localhost/postgres?host=/var/run/postgresql}
AS_OF=2026-11-27
OUT=${PLEDGE_PERF_OUT:-target/perf}
mkdir -p "$OUT"
cargo build --release -q -p pledge
BIN=target/release/pledge
RUNS=()
for n in $SIZES; do
  db="pledge_perf_$n"
  url="${ADMIN/\/postgres\?//$db?}"
  url="${url/\/postgres$//$db}"
  if ! psql "$ADMIN" -Atc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
    psql "$ADMIN" -qc "CREATE DATABASE $db"
    PLEDGE_DATABASE_URL="$url" "$BIN" gen --enterprises "$n" --products 1000 --as-of "$AS_OF"
  fi
  PLEDGE_DATABASE_URL="$url" "$BIN" bench run --as-of "$AS_OF" --baseline-samples 3 \
    --json "$OUT/run-$n.json" | tee "$OUT/run-$n.md"
  RUNS+=("$OUT/run-$n.json")
done
"$BIN" bench chart --out docs/performance.svg "${RUNS[@]}"
