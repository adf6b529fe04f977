#!/usr/bin/env bash
# `npm run bench -- ovs|pfsense|pfsense-settle|verify-probe|engine|all [--quick]`: run one benchmark case (or all); `ovs --nodes 2,3,4,8` is the
# OVS fabric against the number of Proxmox nodes (bench/ovs-scale.ts). Each prints a table and, last, one
# machine-readable line. Cases: bench/<case>.ts run with ts-node.
set -euo pipefail
source "$(dirname "$0")/../scripts/env.sh"
cd "$(dirname "$0")/.."
what="${1:-all}"; shift || true
run_case() { ts-node -P tsconfig.json --transpile-only "bench/$1.ts" "$@"; }
case "$what" in
  ovs) if [[ " $* " == *" --nodes "* ]]; then run_case ovs-scale "$@"; else run_case ovs "$@"; fi ;;
  pfsense-settle) run_case pfsense-settle "$@" ;;
  verify-probe) run_case verify-probe "$@" ;;
  pfsense) [[ -f bench/pfsense.ts ]] || { echo "bench: no pfsense case yet (bench/pfsense.ts)" >&2; exit 2; }; run_case pfsense "$@" ;;
  engine) npm run --silent build && run_case engine "$@" ;;
  all) npm run --silent build; for c in ovs pfsense engine; do [[ -f "bench/$c.ts" ]] && run_case "$c" "$@"; done ;;
  *) echo "usage: npm run bench -- ovs|pfsense|pfsense-settle|verify-probe|engine|all [--quick]" >&2; exit 2 ;;
esac
