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
phase "lab up"; bash lab/lab.sh up
trap 'phase "lab down"; bash lab/lab.sh down' EXIT
# Unit tests in parallel; integration tests one file at a time: they share the lab's hosts (fw1's config.xml,
# pve1's OVS) and each file resets what it uses.
# Two workers on two cores (jest's default is cores - 1: one worker): many unit files wait on child processes.
phase "jest (unit)"; jest --ci --maxWorkers=2 --selectProjects unit "$@"
# The lab's firewalls run pfSense's own code: every integration file on 2.7.2, then the suites that drive pfSense
# (the boundary, the write protocol, the resources, the XMLRPC sync, DHCP, verify, the e2e run) again on the 24.1 tree.
export PFHA_PFSENSE_VERSION=2.7.2
phase "jest (integration, lab $PFHA_LAB_ID, pfSense $PFHA_PFSENSE_VERSION)"; jest --ci --selectProjects integration --runInBand "$@"
export PFHA_PFSENSE_VERSION=24.1
phase "lab up (pfSense $PFHA_PFSENSE_VERSION)"; bash lab/lab.sh up
phase "jest (integration, lab $PFHA_LAB_ID, pfSense $PFHA_PFSENSE_VERSION)"
jest --ci --selectProjects integration --runInBand "$@" tests/integration/pfsense-lab.test.ts tests/integration/pfsense-protocol.test.ts \
  tests/integration/pfsense-resources.test.ts tests/integration/pfsense-sync.test.ts tests/integration/pfsense-dhcp.test.ts \
  tests/integration/pfsense-ipv6.test.ts tests/integration/verify.test.ts tests/integration/engine-e2e.test.ts
export PFHA_PFSENSE_VERSION=2.7.2
# Reduced benchmarks: fail on hard targets (a no-op OVS run changes nothing, one SSH connection per host, 100 batched
# pfSense edits = one install + one apply, codec under 300 MB); wall-time ratios are printed, not enforced (noisy CI).
phase "bench (quick)"; bash bench/run.sh ovs --quick; bash bench/run.sh pfsense --quick
phase "done"
