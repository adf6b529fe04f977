#!/usr/bin/env bash
# The test command: installs what is missing, compiles the program (dist/: what Pulumi's runtime and the provider host
# load) while two labs come up, then runs the lab tests in two lanes with the type check, lint and unit tests beside
# them, and always brings the labs down again. It fails if any of the three failed, and ends with what failed.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$PFHA_ROOT"
SECONDS=0
phase() { echo "== $* (at ${SECONDS} s)"; } # each phase's start, so its duration shows in the log
bash scripts/install.sh
export PFHA_LAB_ID="${PFHA_LAB_ID:-0}"
# A second lab runs the second lane of integration files at the same time (its own namespaces and addresses).
export PFHA_LAB_ID2="${PFHA_LAB_ID2:-$(( (PFHA_LAB_ID + 1) % 64 ))}"
[[ "$PFHA_LAB_ID2" != "$PFHA_LAB_ID" ]] || { echo "PFHA_LAB_ID2 must differ from PFHA_LAB_ID" >&2; exit 2; }
stop_group() { [[ -z "${1:-}" ]] || kill -- "-$1" 2>/dev/null || true; }
cleanup() {
  phase "lab down"
  stop_group "${LABS_PID:-}"; stop_group "${LANE1_PID:-}"; stop_group "${LANE2_PID:-}"; stop_group "${CHECKS_PID:-}"
  PFHA_LAB_ID="$PFHA_LAB_ID" bash lab/lab.sh down || true
  PFHA_LAB_ID="$PFHA_LAB_ID2" bash lab/lab.sh down || true
  [[ -z "${LOGS:-}" ]] || rm -rf "$LOGS"
}
trap cleanup EXIT
# Each background job's output is also kept (removed by the trap), so a failed run ends with what failed in each.
LOGS="$(mktemp -d "${TMPDIR:-/tmp}/pfha-test-logs-XXXXXX")"
# The tests' scratch folders (os.tmpdir()) go under it too: a lane stopped in the middle of a file (a failed check,
# Ctrl-C, CI's time limit) runs no afterAll, and its stack files hold the tests' passwords.
export TMPDIR="$LOGS/tmp"
mkdir -p "$TMPDIR"
set -m # each background job in its own process group, so the trap can stop all of it

# The build (dist/: what Pulumi's runtime and the provider host load in the lab tests) while both labs come up: the
# labs need nothing built.
phase "build, and lab up (labs $PFHA_LAB_ID and $PFHA_LAB_ID2)"
( PFHA_PFSENSE_VERSION=2.7.2 bash lab/lab.sh up && PFHA_LAB_ID="$PFHA_LAB_ID2" PFHA_PFSENSE_VERSION=24.1 bash lab/lab.sh up ) > "$LOGS/labs" 2>&1 &
LABS_PID=$!
npm run --silent build
LABS_OK=0; wait "$LABS_PID" || LABS_OK=$?; LABS_PID=
cat "$LOGS/labs"
(( LABS_OK == 0 )) || { phase "lab up failed (exit $LABS_OK)"; exit 1; }

# The checks that need no lab (type check, lint, unit tests) run beside the lab tests, at a lower CPU priority: the
# lab tests leave about a seventh of the two cores idle (waiting on their hosts), which the checks fill, so they
# finish well before the lab tests without slowing them much. One jest worker for the unit tests, for the same
# reason. Their lines are marked [checks].
# A failed check stops the lab tests at once (their process groups, recorded in $LOGS/*.pgid): the run is red
# anyway, and its answer should not wait for them. Each step returns on failure (errexit does not apply in the
# `||` list that runs this).
checks() {
  renice -n 5 -p "$BASHPID" > /dev/null
  echo "== typecheck (at ${SECONDS} s)"
  tsc --noEmit -p . || return
  tsc -p examples/workload-stack || return # the example consumer stack (output contract) compiles too
  # examples/library-stack (the library used by another program) is type-checked and previewed against the packed
  # tarball by tests/unit/example-library-stack.test.ts in the unit tests below.
  echo "== lint (at ${SECONDS} s)"
  eslint . || return
  echo "== jest (unit) (at ${SECONDS} s)"
  jest --ci --maxWorkers=1 --selectProjects unit "$@" || return
  echo "== checks done (at ${SECONDS} s)"
}
stop_lanes() {
  echo "== the checks failed: stopping the lab tests (at ${SECONDS} s)"
  local f; for f in "$LOGS"/*.pgid; do [[ -f "$f" ]] && stop_group "$(cat "$f")"; done
}

# Integration tests: one file at a time per lab (the files of a lane share its hosts: fw1's config.xml, pve1's OVS,
# and each file resets what it uses), two labs at once. Files run in path order (tests/support/sequencer.js), so
# every run, here and on CI, runs them in the same order. --forceExit: a failed file's leftover handle (an SSH
# session, a child process) must not hold the run open until CI's limit; the labs are torn down by the trap.
integration() { # <lab id> <pfSense version> [jest args...]
  local id="$1" version="$2"; shift 2
  PFHA_LAB_ID="$id" PFHA_PFSENSE_VERSION="$version" jest --ci --forceExit --selectProjects integration --runInBand "$@"
}
# The lab's firewalls run pfSense's own code. Lane 2: the suites that drive pfSense (the boundary, the write protocol,
# the resources, the XMLRPC sync, DHCP, IPv6, verify, the e2e run through the engine) on the 24.1 tree, then, on 2.7.2,
# the files listed in LANE2_272. Lane 1: every other file on 2.7.2.
ON_BOTH=(pfsense-lab pfsense-protocol pfsense-resources pfsense-sync pfsense-dhcp pfsense-ipv6 verify engine-e2e)
LANE2_272=(secrets-state pve-network ssh-transport ovs-faults engine-topologies offloading engine-adopt-topology engine-multinode-topologies)
files() { local f; for f in "$@"; do echo "tests/integration/$f.test.ts"; done; }
lane2() {
  set -e
  echo "== jest (integration, lab $PFHA_LAB_ID2, pfSense 24.1) (at ${SECONDS} s)"
  integration "$PFHA_LAB_ID2" 24.1 "$@" $(files "${ON_BOTH[@]}")
  echo "== lab up (lab $PFHA_LAB_ID2, pfSense 2.7.2) (at ${SECONDS} s)"
  PFHA_LAB_ID="$PFHA_LAB_ID2" PFHA_PFSENSE_VERSION=2.7.2 bash lab/lab.sh up
  echo "== jest (integration, lab $PFHA_LAB_ID2, pfSense 2.7.2) (at ${SECONDS} s)"
  integration "$PFHA_LAB_ID2" 2.7.2 "$@" $(files "${LANE2_272[@]}")
  # Reduced benchmarks, on this lane's lab while lane 1 finishes: they fail on hard targets (a no-op OVS run changes
  # nothing, one SSH connection per host, 100 batched pfSense edits = one install + one apply, codec under 300 MB);
  # wall-time ratios are printed, not enforced (noisy CI, and lane 1 runs beside them).
  echo "== bench (quick, lab $PFHA_LAB_ID2) (at ${SECONDS} s)"
  PFHA_LAB_ID="$PFHA_LAB_ID2" PFHA_PFSENSE_VERSION=2.7.2 bash bench/run.sh ovs --quick
  PFHA_LAB_ID="$PFHA_LAB_ID2" PFHA_PFSENSE_VERSION=2.7.2 bash bench/run.sh pfsense --quick
}
phase "jest (integration, 2 lanes), and the checks beside them"
( lane2 "$@" ) > >(tee "$LOGS/lane2" | sed -u "s/^/[lab $PFHA_LAB_ID2] /") 2>&1 & # its lines stream as they come, marked with its lab
LANE2_PID=$!; echo "$LANE2_PID" > "$LOGS/lane2.pgid"
ignore=(); for f in "${LANE2_272[@]}"; do ignore+=("--testPathIgnorePatterns=/$f\\.test\\.ts\$"); done
lane1() {
  echo "== jest (integration, lab $PFHA_LAB_ID, pfSense 2.7.2) (at ${SECONDS} s)"
  integration "$PFHA_LAB_ID" 2.7.2 "${ignore[@]}" "$@"
}
( lane1 "$@" ) > >(tee "$LOGS/lane1") 2>&1 &
LANE1_PID=$!; echo "$LANE1_PID" > "$LOGS/lane1.pgid"
( checks "$@" || { rc=$?; stop_lanes; exit "$rc"; } ) > >(tee "$LOGS/checks" | sed -u "s/^/[checks] /") 2>&1 &
CHECKS_PID=$!
set +m
LANE1_OK=0; wait "$LANE1_PID" || LANE1_OK=$?; LANE1_PID=
LANE2_OK=0; wait "$LANE2_PID" || LANE2_OK=$?; LANE2_PID=
CHECKS_OK=0; wait "$CHECKS_PID" || CHECKS_OK=$?; CHECKS_PID=
if (( LANE1_OK != 0 || LANE2_OK != 0 || CHECKS_OK != 0 )); then
  phase "failed: lab $PFHA_LAB_ID exit $LANE1_OK, lab $PFHA_LAB_ID2 exit $LANE2_OK, checks exit $CHECKS_OK; what failed"
  sleep 1 # the logs are written by tees that may still be flushing
  for lane in 1 2; do # jest's "FAIL <file>" lines, then each failed test ("  ● ...") with the first lines of its error
    { grep -a -E '^(== jest|FAIL |Tests: )' "$LOGS/lane$lane"; grep -a -A8 '^  ● ' "$LOGS/lane$lane" | head -120; } |
      sed "s/^/[lane $lane] /" || true
  done
  # the checks: a type or lint error is the end of their log; a unit test failure is shown as the lanes' are
  if (( CHECKS_OK != 0 )); then
    if grep -a -q '^== jest (unit)' "$LOGS/checks"; then
      { grep -a -E '^(FAIL |Tests: )' "$LOGS/checks"; grep -a -A8 '^  ● ' "$LOGS/checks" | head -120; } | sed "s/^/[checks] /" || true
    else
      tail -n 40 "$LOGS/checks" | sed "s/^/[checks] /"
    fi
  fi
  exit 1
fi
phase "done"
