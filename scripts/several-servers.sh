#!/usr/bin/env bash
# Two pledge servers on one PostgreSQL behind haproxy, for trying the deployment by hand:
#   PLEDGE_DATABASE_URL=postgres://postgres@127.0.0.1:5432/pledge PLEDGE_TOKEN_KEY=… scripts/several-servers.sh
# The balancer listens on 127.0.0.1:8080, the servers on 8081 and 8082; Ctrl-C stops all three.
# Needs haproxy (apt-get install haproxy) and a built binary (cargo build --release).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${PLEDGE_DATABASE_URL:?set PLEDGE_DATABASE_URL to a PostgreSQL database}"
: "${PLEDGE_TOKEN_KEY:?set PLEDGE_TOKEN_KEY: every server must hash tokens with the same key}"
bin=target/release/pledge
[ -x "$bin" ] || cargo build --release
dir="$(mktemp -d)"
cat > "$dir/haproxy.cfg" <<CFG
global
  maxconn 4096
defaults
  mode http
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  retries 2
  option redispatch
frontend api
  bind 127.0.0.1:8080
  default_backend pledge
backend pledge
  balance roundrobin
  option httpchk GET /readyz
  http-request set-header X-Forwarded-For %[src]
  server one 127.0.0.1:8081 check inter 1s fall 2 rise 2
  server two 127.0.0.1:8082 check inter 1s fall 2 rise 2
CFG
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$dir"' EXIT
for port in 8081 8082; do
    PLEDGE_TRUST_FORWARDED_FOR=true "$bin" serve --bind "127.0.0.1:$port" &
    pids+=($!)
done
haproxy -db -f "$dir/haproxy.cfg" &
pids+=($!)
wait -n
