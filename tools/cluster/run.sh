#!/usr/bin/env bash
# The cluster test (docs/operations.md): three `ocop serve` behind nginx (deploy/nginx/nginx.conf)
# on one PostgreSQL (127.0.0.1:5432, user postgres, trust), files in moto's S3 server, e-mail to
# aiosmtpd; a mixed load with one server SIGKILLed and PostgreSQL restarted; checks and figures.
# Needs root (it restarts PostgreSQL with pg_ctlcluster). Exit 1 when a check fails.
#
#   tools/cluster/run.sh [--seconds 60]   the fault run and its checks (CI)
#   tools/cluster/run.sh --soak 600       memory over time, no faults
#   tools/cluster/run.sh --bench 10       wrk through nginx with 1 and 3 servers
set -euo pipefail
cd "$(dirname "$0")/../.."

OCOP="${OCOP_BIN:-${CARGO_TARGET_DIR:-target}/debug/ocop}"
test -x "$OCOP" || cargo build --locked -p ocop
command -v nginx >/dev/null || {
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null
}
case " $* " in
  *" --bench "*) command -v wrk >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null ;;
esac
python3 -c "import moto.server, aiosmtpd" 2>/dev/null ||
  python3 -m pip install -q --root-user-action=ignore "moto[server]==5.2.1" "aiosmtpd==1.4.6"
exec python3 tools/cluster/cluster.py --ocop "$OCOP" \
  --pg-version "$(ls /etc/postgresql | head -n1)" "$@"
