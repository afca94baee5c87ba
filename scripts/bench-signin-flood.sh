#!/usr/bin/env bash
# Sign-in flood: the server's resident memory and read latency before,
# during and after a flood of sign-ins from many client addresses
# (issue 24, Medium 4 and 5). Figures are in docs/SECURITY.md.
#
#   scripts/bench-signin-flood.sh            # release build, SQLite
#   FLOOD=600 ROUNDS=3 scripts/bench-signin-flood.sh
#
# Environment:
#   SERVER_BIN   the grantledger binary (default: target/release/grantledger,
#                built first unless BENCH_NO_BUILD is set)
#   FLOOD        sign-ins per round, each from its own 127.0.x.y address (600)
#   ROUNDS       flood rounds (2)
#   SLOW         slow-body connections opened after the floods (300)
#
# Needs python3 (standard library only) and Linux (/proc, 127.0.0.0/8).
set -euo pipefail
cd "$(dirname "$0")/.."

FLOOD="${FLOOD:-600}"
ROUNDS="${ROUNDS:-2}"
SLOW="${SLOW:-300}"
SERVER_BIN="${SERVER_BIN:-target/release/grantledger}"
if [ -z "${BENCH_NO_BUILD:-}" ] && [ "$SERVER_BIN" = "target/release/grantledger" ]; then
    cargo build --release --locked --quiet -p grantledger-server
fi

WORK=$(mktemp -d)
SERVER_PID=""
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export DATABASE_URL="$WORK/flood.sqlite3"
export GRANTLEDGER_JWT_SECRET
GRANTLEDGER_JWT_SECRET=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
PASSWORD="flood benchmark password"
GRANTLEDGER_NEW_PASSWORD="$PASSWORD" RUST_LOG=warn \
    "$SERVER_BIN" user create --email flood@example.org --role admin >/dev/null
# Staff sign in with a code as well: a known secret, its code printed by
# `grantledger user code` at the moment of signing in.
TWO_FACTOR_SECRET=FLOODBENCHMARKTWOFACTORSECRETKEY
GRANTLEDGER_TWO_FACTOR_SECRET="$TWO_FACTOR_SECRET" RUST_LOG=warn \
    "$SERVER_BIN" user two-factor flood@example.org >/dev/null
RUST_LOG=warn "$SERVER_BIN" serve --bind "127.0.0.1:${PORT}" 2>"$WORK/server.log" &
SERVER_PID=$!

python3 - "$PORT" "$SERVER_PID" "$FLOOD" "$ROUNDS" "$SLOW" "$PASSWORD" "$SERVER_BIN" "$TWO_FACTOR_SECRET" <<'EOF'
import http.client, json, socket, statistics, subprocess, sys, threading, time

port, pid, flood, rounds, slow, password, server_bin, secret = (
    int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6],
    sys.argv[7], sys.argv[8])

def rss_mib():
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return (int(fields["VmRSS"].split()[0]) // 1024, int(fields["VmHWM"].split()[0]) // 1024,
            int(fields["Threads"]))

def request(method, path, body=None, token=None, source=None, timeout=120):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout,
                                      source_address=(source, 0) if source else None)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, data

for _ in range(600):
    try:
        if request("GET", "/readyz")[0] == 200:
            break
    except OSError:
        pass
    time.sleep(0.1)

code = subprocess.run([server_bin, "user", "code", secret], capture_output=True, text=True,
                      check=True).stdout.strip()
status, data = request("POST", "/v1/auth/token",
                       {"email": "flood@example.org", "password": password, "code": code})
token = json.loads(data)["access_token"]

def read_latencies(n):
    out = []
    for _ in range(n):
        started = time.perf_counter()
        request("GET", "/v1/funds", token=token)
        out.append((time.perf_counter() - started) * 1000)
    return out

def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p))]

def show(label, values):
    print(f"  {label}: p50 {pct(values, 0.5):.1f} ms, p95 {pct(values, 0.95):.1f} ms, n={len(values)}")

print(f"flood: {flood} sign-ins per round from {flood} addresses, {rounds} rounds; then {slow} slow bodies")
rss, hwm, threads = rss_mib()
print(f"RSS before: {rss} MiB (threads {threads})")
show("GET /v1/funds, quiet", read_latencies(200))

for round_number in range(rounds):
    statuses = {}
    lock = threading.Lock()
    during = []
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            during.extend(read_latencies(1))

    def sign_in(i):
        source = f"127.{10 + round_number}.{i // 250}.{1 + i % 250}"
        try:
            status, _ = request("POST", "/v1/auth/token",
                                {"email": "flood@example.org", "password": "wrong password here"},
                                source=source)
        except OSError as error:
            status = type(error).__name__
        with lock:
            statuses[status] = statuses.get(status, 0) + 1

    reading = threading.Thread(target=reader)
    reading.start()
    started = time.perf_counter()
    threads_ = [threading.Thread(target=sign_in, args=(i,)) for i in range(flood)]
    for t in threads_:
        t.start()
    for t in threads_:
        t.join()
    elapsed = time.perf_counter() - started
    stop.set()
    reading.join()
    rss, hwm, threads = rss_mib()
    print(f"round {round_number + 1}: {flood} sign-ins in {elapsed:.1f} s; statuses {statuses}; "
          f"RSS {rss} MiB, peak {hwm} MiB, threads {threads}")
    show("GET /v1/funds during the flood", during)

# Slow bodies: connections that declare 1 MB and send a byte a second.
sockets = []
for i in range(slow):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"POST /v1/auth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 1000000\r\n\r\n{")
        sockets.append(s)
    except OSError:
        pass
refused = 0
for _ in range(5):
    time.sleep(1)
    for s in sockets:
        try:
            s.sendall(b" ")
        except OSError:
            pass
for s in sockets:
    s.setblocking(False)
    try:
        if s.recv(64).startswith(b"HTTP/1.1 429"):
            refused += 1
    except OSError:
        pass
rss, hwm, threads = rss_mib()
print(f"slow bodies: {len(sockets)} opened, {refused} refused at once (429); RSS {rss} MiB, peak {hwm} MiB")
for s in sockets:
    s.close()

time.sleep(5)
rss, hwm, threads = rss_mib()
print(f"RSS after (5 s settle): {rss} MiB, peak {hwm} MiB, threads {threads}")
show("GET /v1/funds, after", read_latencies(200))
EOF
