#!/usr/bin/env bash
# HTTP under load: the bank match endpoint of a server holding 100,000 generated enterprises,
# driven by wrk for two minutes while the server's resident memory is sampled every 10 s.
# Needs wrk (Debian package `wrk`). Usage: scripts/load.sh [enterprises] [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
SECONDS_=${2:-120}
BIN=target/release/pledge
cargo build --release -q -p pledge
DIR=$(mktemp -d)
DB="sqlite://$DIR/load.db"
export PLEDGE_DATABASE_URL=$DB PLEDGE_TOKEN_KEY=load-test-key RUST_LOG=warn
"$BIN" gen --enterprises "$N" --products 100 --out "$DIR/load.db"
PLEDGE_LOAD_TOKEN=$("$BIN" token create --role bank --bank bank001 --name load | tail -1)
export PLEDGE_LOAD_TOKEN
"$BIN" serve --bind 127.0.0.1:8099 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$DIR"' EXIT
until curl -sf http://127.0.0.1:8099/readyz >/dev/null; do sleep 1; done
# Warm up, then sample memory while the load runs.
wrk -t2 -c16 -d5s -s scripts/load.lua http://127.0.0.1:8099 >/dev/null
(for _ in $(seq 0 10 "$SECONDS_"); do
   echo "rss $(ps -o rss= -p $SERVER | tr -d ' ') KiB"
   sleep 10
 done) &
SAMPLER=$!
wrk -t2 -c16 -d"${SECONDS_}s" --latency -s scripts/load.lua http://127.0.0.1:8099
wait $SAMPLER || true
