#!/usr/bin/env bash
# schemathesis (PyPI) against the server's own OpenAPI document: a demo installation on a fresh
# SQLite file, a provincial officer's token, every operation fed examples, boundary values and
# generated input. Fails on any 5xx, any status the document does not list, any answer that breaks
# its documented schema or content type (docs/operations.md).
#
#   tools/schemathesis/run.sh [--max-examples 30]
set -euo pipefail
cd "$(dirname "$0")/../.."

OCOP="${OCOP_BIN:-${CARGO_TARGET_DIR:-target}/debug/ocop}"
test -x "$OCOP" || cargo build --locked -p ocop
python3 -c "import schemathesis" 2>/dev/null ||
  python3 -m pip install -q --root-user-action=ignore "schemathesis==4.32.5"

WORK="$(mktemp -d)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
cleanup() { kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; rm -rf "$WORK"; }
OCOP_LOG=warn "$OCOP" serve --db "sqlite:$WORK/ocop.db" --files "$WORK/files" --addr "127.0.0.1:$PORT" \
  --demo --public-rate-limit 0 >"$WORK/serve.log" 2>&1 &
SERVER=$!
trap cleanup EXIT
for _ in $(seq 1 300); do
  curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break
  sleep 0.2
done
TOKEN="$("$OCOP" token create --db "sqlite:$WORK/ocop.db" --email tinh@demo.ocop.vn --name schemathesis | grep '^ocop_')"
MAX_EXAMPLES=30
if [ "${1:-}" = "--max-examples" ]; then MAX_EXAMPLES="$2"; fi
started=$(date +%s)
python3 -m schemathesis.cli run "http://127.0.0.1:$PORT/api/v1/openapi.json" \
  -H "Authorization: Bearer $TOKEN" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --phases examples,coverage,fuzzing --max-examples "$MAX_EXAMPLES" --workers 1 --seed 2026 \
  --no-color
echo "schemathesis ran $(( $(date +%s) - started )) s"
