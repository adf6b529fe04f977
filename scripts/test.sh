#!/usr/bin/env bash
# The test command: installs what is missing, compiles the program (dist/: what Pulumi's runtime and the provider host
# load), type-checks, lints, brings the lab up, runs every jest test
# (unit + integration against the lab), and always brings the lab down again.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$PFHA_ROOT"
SECONDS=0
phase() { echo "== $* (at ${SECONDS} s)"; } # each phase's start, so its duration shows in the log
bash scripts/install.sh
phase "build"; npm run --silent build
phase "typecheck"; tsc --noEmit -p .
tsc -p examples/workload-stack # the example consumer stack (output contract) compiles too
# examples/library-stack (the library used by another program) is type-checked and previewed against the packed
# tarball by tests/unit/example-library-stack.test.ts in the unit tests below.
phase "lint"; eslint .
export PFHA_LAB_ID="${PFHA_LAB_ID:-0}"
# Two more labs run the other lanes of integration files at the same time (their own namespaces and addresses).
export PFHA_LAB_ID2="${PFHA_LAB_ID2:-$(( (PFHA_LAB_ID + 1) % 64 ))}"
export PFHA_LAB_ID3="${PFHA_LAB_ID3:-$(( (PFHA_LAB_ID + 2) % 64 ))}"
LAB_IDS=("$PFHA_LAB_ID" "$PFHA_LAB_ID2" "$PFHA_LAB_ID3")
[[ "$(printf '%s\n' "${LAB_IDS[@]}" | sort -u | wc -l)" == 3 ]] ||
  { echo "PFHA_LAB_ID, PFHA_LAB_ID2 and PFHA_LAB_ID3 must differ (${LAB_IDS[*]})" >&2; exit 2; }
JOBS=() # name:pid of each job started below
cleanup() {
  phase "lab down"
  local j; for j in "${JOBS[@]}"; do kill -- "-${j#*:}" 2>/dev/null || true; done
  local id; for id in "${LAB_IDS[@]}"; do PFHA_LAB_ID="$id" bash lab/lab.sh down || true; done
}
trap cleanup EXIT
phase "lab up (labs ${LAB_IDS[*]})"
PFHA_PFSENSE_VERSION=2.7.2 bash lab/lab.sh up
PFHA_LAB_ID="$PFHA_LAB_ID2" PFHA_PFSENSE_VERSION=24.1 bash lab/lab.sh up
PFHA_LAB_ID="$PFHA_LAB_ID3" PFHA_PFSENSE_VERSION=2.7.2 bash lab/lab.sh up

# Integration tests: one file at a time per lab (the files of a lane share its hosts: fw1's config.xml, pve1's OVS,
# and each file resets what it uses), three labs at once. Files run in path order (tests/support/sequencer.js), so
# every run, here and on CI, runs them in the same order. --forceExit: a failed file's leftover handle (an SSH
# session, a child process) must not hold the run open until CI's limit; the labs are torn down by the trap.
integration() { # <lab id> <pfSense version> [jest args...]
  local id="$1" version="$2"; shift 2
  PFHA_LAB_ID="$id" PFHA_PFSENSE_VERSION="$version" jest --ci --forceExit --selectProjects integration --runInBand "$@"
}
# The lab's firewalls run pfSense's own code. Lane 2: the suites that drive pfSense (the boundary, the write protocol,
# the resources, the XMLRPC sync, DHCP, IPv6, verify, the e2e run through the engine) on the 24.1 tree, then, on 2.7.2,
# the files listed in LANE2_272. Lane 3: the files in LANE3_272 on 2.7.2. Lane 1: every other file on 2.7.2. The
# lists keep the three lanes near the same length (each file's time in the last full run: docs/development.md).
ON_BOTH=(pfsense-lab pfsense-protocol pfsense-resources pfsense-sync pfsense-dhcp pfsense-ipv6 verify engine-e2e)
LANE2_272=(engine-adopt-topology engine-topologies offloading)
LANE3_272=(drill-modes engine-multinode-topologies engine-vm-topology ovs-faults pulumi-engine pve-network secrets-state
  ssh-transport upgrade verify-ha-state vpn-binding)
files() { local f; for f in "$@"; do echo "tests/integration/$f.test.ts"; done; }
lane1() {
  local ignore=() f
  for f in "${LANE2_272[@]}" "${LANE3_272[@]}"; do ignore+=("--testPathIgnorePatterns=/$f\\.test\\.ts\$"); done
  echo "== jest (integration, lab $PFHA_LAB_ID, pfSense 2.7.2) (at ${SECONDS} s)"
  integration "$PFHA_LAB_ID" 2.7.2 "${ignore[@]}" "$@"
}
lane2() {
  set -e
  echo "== jest (integration, lab $PFHA_LAB_ID2, pfSense 24.1) (at ${SECONDS} s)"
  integration "$PFHA_LAB_ID2" 24.1 "$@" $(files "${ON_BOTH[@]}")
  echo "== lab up (lab $PFHA_LAB_ID2, pfSense 2.7.2) (at ${SECONDS} s)"
  PFHA_LAB_ID="$PFHA_LAB_ID2" PFHA_PFSENSE_VERSION=2.7.2 bash lab/lab.sh up
  echo "== jest (integration, lab $PFHA_LAB_ID2, pfSense 2.7.2) (at ${SECONDS} s)"
  integration "$PFHA_LAB_ID2" 2.7.2 "$@" $(files "${LANE2_272[@]}")
}
lane3() {
  echo "== jest (integration, lab $PFHA_LAB_ID3, pfSense 2.7.2) (at ${SECONDS} s)"
  integration "$PFHA_LAB_ID3" 2.7.2 "$@" $(files "${LANE3_272[@]}")
}
# The unit tests run beside the lanes, on one worker: the lanes mostly wait on their labs.
unit() { jest --ci --maxWorkers=1 --selectProjects unit "$@"; }

# Each job's output streams as it comes, each line marked with its job, and is also kept, so a failed run ends with
# the failing files and tests of every job together.
LOGS="$(mktemp -d "${TMPDIR:-/tmp}/pfha-test-logs-XXXXXX")"
start() { # <name> <function> [args...]: the job in its own process group, so the trap can stop all of it
  local name="$1"; shift
  set -m
  ( "$@" ) > >(tee "$LOGS/$name" | sed -u "s/^/[$name] /") 2>&1 &
  JOBS+=("$name:$!")
  set +m
}
phase "jest (unit, and integration in 3 lanes)"
start unit unit "$@"
start "lab $PFHA_LAB_ID" lane1 "$@"
start "lab $PFHA_LAB_ID2" lane2 "$@"
start "lab $PFHA_LAB_ID3" lane3 "$@"
failed=()
for j in "${JOBS[@]}"; do
  rc=0; wait "${j#*:}" || rc=$?
  (( rc == 0 )) || failed+=("${j%%:*} (exit $rc)")
done
JOBS=()
if ((${#failed[@]})); then
  phase "failed: ${failed[*]}; what failed"
  sleep 1 # the logs are written by tees that may still be flushing
  for f in "$LOGS"/*; do # jest's "FAIL <file>" lines, then each failed test ("  ● ...") with the first lines of its error
    { grep -a -E '^(== jest|FAIL |Tests: )' "$f"; grep -a -A8 '^  ● ' "$f" | head -120; } | sed "s/^/[${f##*/}] /" || true
  done
  rm -rf "$LOGS"; exit 1
fi
rm -rf "$LOGS"
phase "tests passed"
export PFHA_LAB_ID PFHA_PFSENSE_VERSION=2.7.2
# Reduced benchmarks: fail on hard targets (a no-op OVS run changes nothing, one SSH connection per host, 100 batched
# pfSense edits = one install + one apply, codec under 300 MB); wall-time ratios are printed, not enforced (noisy CI).
phase "bench (quick)"; bash bench/run.sh ovs --quick; bash bench/run.sh pfsense --quick
phase "done"
