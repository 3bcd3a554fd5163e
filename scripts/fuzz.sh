#!/usr/bin/env bash
# Fuzzes the ledger readers and the identifier parsers for a bounded time each:
#   scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 60)
# Needs the nightly toolchain and cargo-fuzz (cargo install cargo-fuzz). New inputs go to a
# scratch corpus; the seeds in fuzz/seeds stay as committed. A crash leaves its input in
# fuzz/artifacts/TARGET/ and fails the script.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
secs="${1:-60}"
for target in ledger_xlsx ledger_csv identifiers; do
    scratch="$(mktemp -d)"
    echo "== $target ($secs s)"
    cargo +nightly fuzz run "$target" "$scratch" "seeds/$target" -- \
        -max_total_time="$secs" -rss_limit_mb=1024 -max_len=1048576
    rm -rf "$scratch"
done
