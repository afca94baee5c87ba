# Shared by the portal and staff benchmark scripts (sourced, not run):
# the server's lifetime, a free port, the release build and a note of the
# machine, and one backend's fresh database with its administrator and
# server. Expects PG, SERVER_DB and OUT to be set by the sourcing script
# (and EXTRA_DBS, more databases to drop at the end, if it makes any).

SERVER_PID=""
stop_server() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}
cleanup() {
    stop_server
    if [ -z "${BENCH_KEEP:-}" ]; then
        local db
        # shellcheck disable=SC2086 # EXTRA_DBS is a list of names
        for db in "$SERVER_DB" ${EXTRA_DBS:-}; do
            psql "${PG}/postgres" -qc "DROP DATABASE IF EXISTS ${db} WITH (FORCE)" >/dev/null 2>&1 || true
        done
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -z "${BENCH_NO_BUILD:-}" ]; then
    echo "building (release) ..." >&2
    cargo build --release --locked --quiet -p grantledger-server -p grantledger-load
fi
# BENCH_BIN times another server binary (e.g. a copy of an earlier
# build) with the same load generator, for a before and after.
SERVER_BIN="${BENCH_BIN:-target/release/grantledger}"
LOAD_BIN=target/release/grantledger-load

free_port() {
    local port
    while :; do
        port=$(( 20000 + RANDOM % 40000 ))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/${port}") 2>/dev/null; then
            echo "$port"
            return
        fi
    done
}

# The machine, into $OUT/machine.txt and on stderr.
{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "cpu: $(nproc) × $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
    echo "memory: $(free -g | awk '/^Mem:/ {print $2}') GiB"
    echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "postgresql: $(psql "${PG}/postgres" -Atc 'SHOW server_version' 2>/dev/null || echo unreachable), shared_buffers $(psql "${PG}/postgres" -Atc 'SHOW shared_buffers' 2>/dev/null), synchronous_commit $(psql "${PG}/postgres" -Atc 'SHOW synchronous_commit' 2>/dev/null)"
    echo "grantledger: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
} | tee "$OUT/machine.txt" >&2

# A throwaway secret for the server's tokens, and a key for bank details
# at rest (the server will not start without one).
SECRET=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
export GRANTLEDGER_BANK_KEY="${GRANTLEDGER_BANK_KEY:-$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')}"

# The administrator the load generator signs in as. Staff sign in with a
# code as well; the load generator holds the secret.
ADMIN_EMAIL="bench-admin@example.org"
ADMIN_PASSWORD="bench-password-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
ADMIN_TWO_FACTOR_SECRET=BENCHMARKADMINTWOFACTORSECRETKEY

# start_backend BACKEND FILE: a fresh database on BACKEND (postgresql, or
# sqlite in $OUT/FILE), the administrator with two-factor on, and the
# server on a free port, logging to $OUT/server-BACKEND.log. Sets URL,
# PORT and SERVER_PID.
start_backend() {
    local backend=$1 file=$2
    case "$backend" in
        postgresql)
            psql "${PG}/postgres" -qc "DROP DATABASE IF EXISTS ${SERVER_DB} WITH (FORCE)" -c "CREATE DATABASE ${SERVER_DB}" >/dev/null
            URL="${PG}/${SERVER_DB}"
            ;;
        sqlite)
            URL="$OUT/$file"
            rm -f "$URL" "$URL-wal" "$URL-shm"
            ;;
        *) echo "unknown backend $backend" >&2; exit 1 ;;
    esac
    DATABASE_URL="$URL" GRANTLEDGER_NEW_PASSWORD="$ADMIN_PASSWORD" RUST_LOG=warn \
        "$SERVER_BIN" user create --email "$ADMIN_EMAIL" --role admin >/dev/null
    DATABASE_URL="$URL" GRANTLEDGER_TWO_FACTOR_SECRET="$ADMIN_TWO_FACTOR_SECRET" RUST_LOG=warn \
        "$SERVER_BIN" user two-factor "$ADMIN_EMAIL" >/dev/null
    PORT=$(free_port)
    DATABASE_URL="$URL" GRANTLEDGER_JWT_SECRET="$SECRET" GRANTLEDGER_MAX_CONNECTIONS_PER_CLIENT=0 RUST_LOG="${RUST_LOG:-warn}" \
        "$SERVER_BIN" serve --bind "127.0.0.1:${PORT}" >"$OUT/server-${backend}.log" 2>&1 &
    SERVER_PID=$!
}
