#!/usr/bin/env bash
# The whole test suite, on SQLite and the local PostgreSQL, browser journeys included: starts
# PostgreSQL if it is down, installs Chromium, chromedriver, the CJK fonts, haproxy and faketime
# (for scripts/at-date.sh) if they are missing, then runs `cargo test -- --include-ignored`.
#
#   scripts/test.sh                                  every test of the workspace
#   scripts/test.sh -p pledge-e2e --test api whitelist   one binary, tests whose name has "whitelist"
#
# Arguments go to `cargo test` before its `--` (without `-p`/`--package`/`--workspace` among
# them, `--workspace` is added). PLEDGE_TEST_POSTGRES_URL names another PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."

PG_URL="${PLEDGE_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
missing=()

# --- PostgreSQL ---------------------------------------------------------------------------
pg_host_port() {
    # host and port of the URL (default 127.0.0.1:5432)
    local rest="${PG_URL#*://}"
    rest="${rest#*@}"
    rest="${rest%%/*}"
    rest="${rest%%\?*}"
    local host port="5432"
    if [[ "$rest" == \[* ]]; then
        host="${rest%%]*}]"
        [[ "$rest" == *]:* ]] && port="${rest##*]:}"
    else
        host="${rest%%:*}"
        [[ "$rest" == *:* ]] && port="${rest##*:}"
    fi
    echo "${host:-127.0.0.1} $port"
}
read -r PG_HOST PG_PORT < <(pg_host_port)
pg_up() {
    if command -v pg_isready >/dev/null; then
        pg_isready -h "${PG_HOST//[\[\]]/}" -p "$PG_PORT" -q 2>/dev/null
    else
        (exec 3<>"/dev/tcp/${PG_HOST//[\[\]]/}/$PG_PORT") 2>/dev/null
    fi
}
if ! pg_up; then
    # A local cluster listening on the URL's port is started (Debian's pg_ctlcluster); a remote
    # server or a port no cluster owns is named as missing.
    case "$PG_HOST" in
        127.0.0.1 | localhost | ::1 | "[::1]") local_pg=1 ;;
        *) local_pg=0 ;;
    esac
    if [ "$local_pg" = 1 ] && command -v pg_lsclusters >/dev/null; then
        while read -r version cluster port _; do
            [ "$port" = "$PG_PORT" ] || continue
            echo "test.sh: starting PostgreSQL $version/$cluster on port $port"
            pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" start || true
        done < <(pg_lsclusters -h 2>/dev/null)
        for _ in $(seq 1 30); do pg_up && break; sleep 1; done
    fi
    pg_up || missing+=("PostgreSQL answering on $PG_HOST:$PG_PORT (install it, start it, or set PLEDGE_TEST_POSTGRES_URL)")
fi

# --- Packages: the browser journeys, the several-servers test, the run at another date -----
have_browser() {
    command -v chromedriver >/dev/null && command -v chromium >/dev/null \
        && [ -d /usr/share/fonts/opentype/noto ]
}
apt_install() {
    if ! command -v apt-get >/dev/null; then
        return 1
    fi
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo -n)
    echo "test.sh: installing $*"
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get install -y -q "$@" >/dev/null 2>&1 \
        || { "${sudo[@]}" apt-get update -q >/dev/null && "${sudo[@]}" apt-get install -y -q "$@" >/dev/null; }
}
if ! command -v faketime >/dev/null; then
    apt_install faketime || missing+=("faketime (Debian: apt-get install faketime)")
fi
if ! command -v haproxy >/dev/null; then
    apt_install haproxy || missing+=("haproxy (Debian: apt-get install haproxy)")
fi
if ! have_browser; then
    apt_install chromium chromium-driver fonts-noto-cjk \
        || missing+=("chromium, chromedriver and the Noto CJK fonts (Debian: apt-get install chromium chromium-driver fonts-noto-cjk)")
fi

if [ "${#missing[@]}" -gt 0 ]; then
    echo "test.sh: cannot run the whole suite; missing:" >&2
    for m in "${missing[@]}"; do echo "  - $m" >&2; done
    exit 2
fi

# --- The tests ------------------------------------------------------------------------------
scope=(--workspace)
for a in "$@"; do
    case "$a" in
        -p | --package | --package=* | --workspace) scope=() ;;
    esac
done
export PLEDGE_TEST_POSTGRES_URL="$PG_URL"
exec cargo test "${scope[@]}" "$@" -- --include-ignored
