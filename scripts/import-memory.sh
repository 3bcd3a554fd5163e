#!/usr/bin/env bash
# The server's peak memory while it imports files that are small to send and expensive to read
# (every row rejected): a CSV of 199,000 rows, a workbook of 100,000 shared strings in 199,999
# rows of 12 cells, one of 199,999 rows of one cell. Each goes to a fresh `pledge serve` (release
# build, SQLite, under an 8 GiB address-space limit); printed are its size, how long the import
# took and the server's peak resident memory (VmHWM). Takes a few minutes.
#
# Usage: scripts/import-memory.sh [rows]   (default 200000)
set -euo pipefail
cd "$(dirname "$0")/.."
PLEDGE_BENCH_MEMORY_ROWS=${1:-200000} cargo bench -q -p pledge --bench import_memory
