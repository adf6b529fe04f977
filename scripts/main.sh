#!/usr/bin/env bash
# The main job on the embedded default: the local lab as the `dev` stack.
#   1. install what is missing (Debian packages, npm dependencies incl. Node 24), compile the program into dist/
#   2. bring the lab up (4 hosts in namespaces: 2 Proxmox stand-ins with OVS, 2 pfSense stand-ins)
#   3. validate the dev stack's configuration (no host is touched if it is invalid)
#   4. `pulumi up` on the dev stack with a local file backend and the lab passphrase
# Extra arguments go to `pulumi up` (e.g. --skip-preview).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$PFHA_ROOT"
STACK="${PFHA_STACK:-dev}"

bash scripts/install.sh
npm run --silent build # the program and providers as JavaScript: Pulumi's runtime and provider host start fast
bash lab/lab.sh up

# The lab passphrase protects only lab secrets; real stacks use their own passphrase or a cloud secrets provider.
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE:-pfsense-ha-lab}"
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$PFHA_ROOT/.pulumi-local}"
mkdir -p "$PFHA_ROOT/.pulumi-local"

# The Pulumi CLI: the one on PATH, or one the official installer put in ~/.pulumi/bin, or the official installer now
# (when get.pulumi.com is reachable).
export PATH="$HOME/.pulumi/bin:$PATH"
if ! command -v pulumi >/dev/null 2>&1; then
  installer="$(mktemp)"
  if curl -fsSL --max-time 20 -o "$installer" https://get.pulumi.com 2>/dev/null; then
    echo "main: installing the Pulumi CLI with the official installer (get.pulumi.com)"
    sh "$installer" --silent || echo "main: the Pulumi installer failed" >&2
  else
    echo "main: get.pulumi.com is not reachable from this machine; the Pulumi CLI cannot be installed" >&2
  fi
  rm -f "$installer"
fi

if ! command -v pulumi >/dev/null 2>&1; then
  node bin/pfsense-ha.js validate --stack "$STACK" --allow-missing-secrets || exit 1
  cat >&2 <<'MSG'

The lab is up and the dev stack's configuration is valid, but the Pulumi CLI is not installed (and could not be
installed from here), so `pulumi up` cannot run. Install it with the official installer, then run this command again:

    curl -fsSL https://get.pulumi.com | sh
    export PATH="$HOME/.pulumi/bin:$PATH"

(Other ways: https://www.pulumi.com/docs/iac/download-install/.) The tests run the program and the providers in
Pulumi's own language runtime and provider host without the CLI: `bash scripts/test.sh`.
MSG
  exit 3
fi

pulumi stack select "$STACK" --create --non-interactive >/dev/null
# Lab secrets: generated once per stack and stored encrypted in Pulumi.<stack>.yaml by the CLI.
for key in carpPassword xmlrpcPassword; do
  if ! pulumi config get "pfsense-ha:$key" --stack "$STACK" >/dev/null 2>&1; then
    head -c 18 /dev/urandom | base64 | tr -d '/+=' | pulumi config set --secret "pfsense-ha:$key" --stack "$STACK" >/dev/null
  fi
done
node bin/pfsense-ha.js validate --stack "$STACK"
pulumi up --yes --stack "$STACK" "$@"
