#!/usr/bin/env bash
# The API contract: schemathesis against /openapi.json as the office, a park official and a
# bank officer, on a server with the demo data (a scratch SQLite file). Every check runs.
# scripts/schemathesis.toml names the few operations that may also answer 422 to a request
# the document calls valid, each with the rule the document cannot state.
#   scripts/contract.sh [MAX_EXAMPLES]   (default 30; needs a built target/debug/pledge)
set -euo pipefail
cd "$(dirname "$0")/.."
examples="${1:-30}"
venv="${PLEDGE_CONTRACT_VENV:-target/contract-venv}"
if [ ! -x "$venv/bin/st" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q schemathesis
fi
bin=target/debug/pledge
[ -x "$bin" ] || cargo build -q -p pledge
dir="$(mktemp -d)"
port=18090
# Nothing is delivered (the run subscribes receivers it makes up, public addresses among them),
# and receivers' names resolve from a fixed loopback table only: no name server is asked.
PLEDGE_DATABASE_URL="sqlite://$dir/contract.db" PLEDGE_TOKEN_KEY=contract PLEDGE_WEBHOOKS_OFF=true \
    PLEDGE_WEBHOOKS_RESOLVE=receiver.test=127.0.0.1 RUST_LOG=warn "$bin" serve --demo --bind "127.0.0.1:$port" 2>"$dir/serve.log" &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$dir"' EXIT
base="http://127.0.0.1:$port"
for _ in $(seq 1 120); do
    curl -sf "$base/readyz" >/dev/null && grep -q "demo admin token" "$dir/serve.log" && break
    sleep 0.5
done
admin="$(grep "demo admin token" "$dir/serve.log" | awk '{print $4}')"
token() {
    curl -sf -H "Authorization: Bearer $admin" -H 'content-type: application/json' \
        -d "$1" "$base/api/v1/tokens" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}
park="$(token '{"role":"park","park":"cyqz","name":"contract park"}')"
bank="$(token '{"role":"bank","bank":"boc-xinxiang","name":"contract bank"}')"
status=0
for role in admin park bank; do
    echo "== schemathesis as $role"
    # The office's run leaves its own token and person alone, so that it keeps testing. One
    # worker: Python 3.11's parser is not safe across the threads a second worker adds.
    "$venv/bin/st" --config-file scripts/schemathesis.toml run "$base/openapi.json" --checks all \
        --exclude-path-regex '^/api/v1/(tokens/\{id\}|people/\{login\}/disable)$' \
        -H "Authorization: Bearer ${!role}" --max-examples "$examples" --workers 1 \
        --no-color || status=1
done
if grep -q panicked "$dir/serve.log"; then
    grep -A5 panicked "$dir/serve.log"
    status=1
fi
exit $status
