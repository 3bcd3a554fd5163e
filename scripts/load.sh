#!/usr/bin/env bash
# HTTP under load, side by side in one run: `/healthz` (the baseline), one selective product's
# matches page (product 1, a 知惠贷, pages of 50) and a bank's ten products in rotation (pages
# of 50), against a server holding generated enterprises. wrk 2 threads / 16 connections; the
# server's resident memory is sampled. Needs wrk (Debian package `wrk`).
#
# Usage: scripts/load.sh [enterprises] [seconds per workload]
# PLEDGE_LOAD_DATABASE_URL=postgres://… uses that (already generated) database instead.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
SECONDS_=${2:-30}
BIN=target/release/pledge
cargo build --release -q -p pledge
DIR=$(mktemp -d)
export PLEDGE_TOKEN_KEY=load-test-key RUST_LOG=warn
if [ -n "${PLEDGE_LOAD_DATABASE_URL:-}" ]; then
  export PLEDGE_DATABASE_URL=$PLEDGE_LOAD_DATABASE_URL
else
  export PLEDGE_DATABASE_URL="sqlite://$DIR/load.db"
  "$BIN" gen --enterprises "$N" --products 100 --out "$DIR/load.db"
fi
PLEDGE_LOAD_TOKEN=$("$BIN" token create --role bank --bank bank001 --name load | tail -1)
export PLEDGE_LOAD_TOKEN
"$BIN" serve --bind 127.0.0.1:8099 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$DIR"' EXIT
until curl -sf http://127.0.0.1:8099/readyz >/dev/null; do sleep 1; done
URL=http://127.0.0.1:8099
run() { # name, script
  wrk -t2 -c16 -d5s -s "$2" "$URL" >/dev/null
  local out
  out=$(wrk -t2 -c16 -d"${SECONDS_}s" --latency -s "$2" "$URL")
  local rps
  rps=$(echo "$out" | awk '/Requests\/sec/ { print $2 }')
  echo "$1 $rps $(echo "$out" | grep -E '^p50')" | tee -a "$DIR/results"
  echo "$out" | grep -E 'errors|Non-2xx' || true
}
run healthz scripts/load-healthz.lua
run selective scripts/load-selective.lua
run rotation scripts/load.lua
echo "rss $(ps -o rss= -p $SERVER | tr -d ' ') KiB"
awk 'NR == 1 { base = $2 } { line = ""; for (i = 3; i <= NF; i++) line = line " " $i; printf "%-10s %10.0f req/s  %6.1f%% of healthz %s\n", $1, $2, 100 * $2 / base, line }' "$DIR/results"
