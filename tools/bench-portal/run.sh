#!/usr/bin/env bash
# The public portal's speed on the national dataset (issue 11), beside nginx in the same run.
#
#   tools/bench-portal/run.sh                 # 100,000 products, 10 s per measurement
#   PRODUCTS=20000 DURATION=5s tools/bench-portal/run.sh
#
# Builds ocop in release, times `ocop demo --products N` into a fresh SQLite file, serves it,
# serves the same certificate JSON as a static file from nginx, and loads both with wrk
# (64 connections, 2 threads). Prints the throughput ratio to nginx, latency percentiles of the
# certificate API, the catalogue search, catalogue pages and the verification page, and the
# server's memory. Needs wrk and nginx (Debian packages; installed here when run as root).
set -euo pipefail
cd "$(dirname "$0")/../.."

PRODUCTS="${PRODUCTS:-100000}"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
OCOP_PORT="${OCOP_PORT:-18080}"
NGINX_PORT="${NGINX_PORT:-18081}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

for tool in wrk nginx curl sqlite3; do
  if ! command -v "$tool" >/dev/null; then
    if [ "$(id -u)" = 0 ]; then
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nginx-light curl sqlite3 >/dev/null
    else
      echo "needs $tool: apt-get install wrk nginx-light curl sqlite3" >&2
      exit 1
    fi
  fi
done

for port in "$OCOP_PORT" "$NGINX_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "port $port is taken: set OCOP_PORT / NGINX_PORT" >&2
    exit 1
  fi
done

cargo build --release --locked -p ocop
OCOP="$CARGO_TARGET_DIR/release/ocop"
WORK="$(mktemp -d /tmp/ocop-bench-portal.XXXXXX)"
chmod 755 "$WORK" # nginx's workers (www-data when started as root) read the static file here
LUA="$PWD/tools/bench-portal"
DB="sqlite:$WORK/portal.db"
SERVER_PID=""
NGINX_PID_FILE="$WORK/nginx.pid"
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  [ -f "$NGINX_PID_FILE" ] && kill "$(cat "$NGINX_PID_FILE")" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "== ocop demo --products $PRODUCTS (release, SQLite, fresh file)"
START=$(date +%s.%N)
"$OCOP" demo --db "$DB" --products "$PRODUCTS" --files "$WORK/files"
END=$(date +%s.%N)
printf 'demo: %.1f s for %s products (target < 60 s)\n' "$(awk "BEGIN {print $END - $START}")" "$PRODUCTS"
"$OCOP" keys generate --db "$DB" >/dev/null

# The requests: certificate numbers of every status, catalogue searches and pages, products.
sqlite3 "$WORK/portal.db" "SELECT number FROM certificates ORDER BY id LIMIT 2000" >"$WORK/numbers.txt"
sqlite3 "$WORK/portal.db" "SELECT DISTINCT p.code FROM products p JOIN certificates c ON c.product_id = p.id ORDER BY p.id LIMIT 2000" >"$WORK/products.txt"
NUMBER="$(sqlite3 "$WORK/portal.db" \
  "SELECT number FROM certificates c WHERE c.expires_on > date('now') \
     AND NOT EXISTS (SELECT 1 FROM certificates n WHERE n.product_id = c.product_id AND n.issued_on > c.issued_on) \
   ORDER BY c.number LIMIT 1")"

echo "== ocop serve ($OCOP_PORT) and nginx ($NGINX_PORT)"
# One address sends the whole load: the per-address limit for the public is off here.
OCOP_LOG=warn "$OCOP" serve --db "$DB" --files "$WORK/files" --addr "127.0.0.1:$OCOP_PORT" \
  --public-rate-limit 0 >"$WORK/serve.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$OCOP_PORT/healthz" >/dev/null && break
  sleep 0.2
done

# The worker's daily sweep writes the day's lifecycle notices first (one audited write each, so
# the records' revision moves while it runs); measure the steady state after it, as a day is.
START=$(date +%s.%N)
for _ in $(seq 1 600); do
  [ "$(sqlite3 "$WORK/portal.db" "SELECT count(*) FROM jobs WHERE kind = 'sweep' AND done_at IS NOT NULL")" -gt 0 ] && break
  sleep 0.5
done
printf "the server's daily sweep: done after %.1f s (%s notices)\n" \
  "$(awk "BEGIN {print $(date +%s.%N) - $START}")" \
  "$(sqlite3 "$WORK/portal.db" "SELECT count(*) FROM notices")"

mkdir -p "$WORK/www"
curl -sf "http://127.0.0.1:$OCOP_PORT/api/v1/certificates/$NUMBER" >"$WORK/www/certificate.json"
cat >"$WORK/nginx.conf" <<EOF
worker_processes auto;
pid $NGINX_PID_FILE;
error_log $WORK/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  types { application/json json; }
  client_body_temp_path $WORK/nginx-tmp;
  proxy_temp_path $WORK/nginx-tmp;
  fastcgi_temp_path $WORK/nginx-tmp;
  uwsgi_temp_path $WORK/nginx-tmp;
  scgi_temp_path $WORK/nginx-tmp;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $WORK/www;
  }
}
EOF
mkdir -p "$WORK/nginx-tmp"
nginx -c "$WORK/nginx.conf" -p "$WORK"
sleep 0.5
cmp <(curl -sf "http://127.0.0.1:$NGINX_PORT/certificate.json") "$WORK/www/certificate.json"
echo "certificate $NUMBER: $(wc -c <"$WORK/www/certificate.json") bytes, the same from both"

# Warm up: the first catalogue request builds the index.
curl -sf "http://127.0.0.1:$OCOP_PORT/catalogue?q=warm" >/dev/null

# run NAME URL [CONNECTIONS] → one line: name, requests/s, p50/p95/p99 in ms.
run() {
  local name="$1" url="$2" connections="${3:-$CONNECTIONS}"
  BENCH_NAME="$name" BENCH_LIST="${BENCH_LIST:-}" \
    wrk -t"$THREADS" -c"$connections" -d"$DURATION" -s "$LUA/report.lua" "$url" | grep '^result' | cut -d' ' -f2-
}

echo
echo "== wrk -t$THREADS -c$CONNECTIONS -d$DURATION (same load tool, same machine, one at a time)"
printf '%-36s|%9s |%10s|%10s|%10s|%7s\n' what 'req/s' p50 p95 p99 errors
NGINX_LINE="$(run "nginx: static certificate.json" "http://127.0.0.1:$NGINX_PORT/certificate.json")"
echo "$NGINX_LINE"
API_LINE="$(run "ocop: GET /api/v1/certificates/{n}" "http://127.0.0.1:$OCOP_PORT/api/v1/certificates/$NUMBER")"
echo "$API_LINE"
BENCH_LIST="$LUA/searches.txt" run "ocop: catalogue search (HTML)" "http://127.0.0.1:$OCOP_PORT"
BENCH_LIST="$LUA/catalogue.txt" run "ocop: catalogue pages (HTML)" "http://127.0.0.1:$OCOP_PORT"
sed 's|^|/catalogue/products/|' "$WORK/products.txt" >"$WORK/product-paths.txt"
BENCH_LIST="$WORK/product-paths.txt" run "ocop: product pages (HTML)" "http://127.0.0.1:$OCOP_PORT"
sed 's|^|/v/|' "$WORK/numbers.txt" >"$WORK/verify-paths.txt"
BENCH_LIST="$WORK/verify-paths.txt" run "ocop: verification page /v/{n}" "http://127.0.0.1:$OCOP_PORT"

# Page latency under a lighter load too: 16 visitors loading pages at the same instant.
echo
echo "== the pages again with 16 connections"
printf '%-36s|%9s |%10s|%10s|%10s|%7s\n' what 'req/s' p50 p95 p99 errors
BENCH_LIST="$LUA/searches.txt" run "ocop: catalogue search (HTML)" "http://127.0.0.1:$OCOP_PORT" 16
BENCH_LIST="$LUA/catalogue.txt" run "ocop: catalogue pages (HTML)" "http://127.0.0.1:$OCOP_PORT" 16
BENCH_LIST="$WORK/verify-paths.txt" run "ocop: verification page /v/{n}" "http://127.0.0.1:$OCOP_PORT" 16
RSS_KB="$(awk '/VmRSS/ {print $2}' "/proc/$SERVER_PID/status")"
HWM_KB="$(awk '/VmHWM/ {print $2}' "/proc/$SERVER_PID/status")"

echo
NGINX_RPS="$(echo "$NGINX_LINE" | awk -F'|' '{print $2}')"
API_RPS="$(echo "$API_LINE" | awk -F'|' '{print $2}')"
printf 'certificate API ÷ nginx: %.2f (target ≥ 0.50)\n' "$(awk "BEGIN {print $API_RPS / $NGINX_RPS}")"
printf 'server memory after the runs: %d MB resident, %d MB at the peak (target < 200 MB)\n' \
  "$((RSS_KB / 1024))" "$((HWM_KB / 1024))"
if grep -qiE 'error|panic' "$WORK/serve.log"; then
  echo "server log:" && cat "$WORK/serve.log"
fi
