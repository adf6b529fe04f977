#!/usr/bin/env bash
# The test command: installs what is missing, type-checks, lints, brings the lab up, runs every jest test
# (unit + integration against the lab), and always brings the lab down again.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$PFHA_ROOT"
bash scripts/install.sh
echo "== typecheck"; tsc --noEmit -p .
echo "== lint"; eslint .
echo "== lab up"; bash lab/lab.sh up
trap 'echo "== lab down"; bash lab/lab.sh down' EXIT
echo "== jest"; jest --ci "$@"
