#!/usr/bin/env bash
# The SQLite end-to-end tests run at another date: builds the test binary as usual (real time),
# then runs that binary alone under faketime, the clock starting at DATE and running on. The
# test servers start at their pinned instant whatever the date, so every test passes on any day.
# Only the test binary runs under faketime: never cargo, apt, git or the test script.
#
#   scripts/at-date.sh 2031-01-01 [TEST-NAME-FILTER]
set -euo pipefail
cd "$(dirname "$0")/.."
date="${1:?usage: scripts/at-date.sh YYYY-MM-DD [FILTER]}"
shift
if ! command -v faketime >/dev/null; then
    echo "at-date.sh: faketime is missing (Debian: apt-get install faketime)" >&2
    exit 2
fi
bin="$(cargo test -p pledge-e2e --test api --no-run --message-format=json 2>/dev/null \
    | python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "api" and m.get("executable"):
        print(m["executable"])')"
[ -x "$bin" ] || { echo "at-date.sh: the end-to-end test binary did not build" >&2; exit 1; }
echo "at-date.sh: $bin at $date 12:00:00 UTC"
exec faketime "$date 12:00:00" "$bin" "$@"
