#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian bookworm machine (root): Debian packages for the lab and tests,
# then the npm dependencies (which include the Node 24 binary). Idempotent and quick when nothing is missing.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$PFHA_ROOT"

# perl and the perl modules Proxmox's own /etc/network/interfaces reader/writer
# (pve-common, loaded from the upstream tree with the stubs in tests/support/pve/) runs in the lab tests;
# golang-go + golang-gopkg-yaml.v3-dev: the tests build a checker that reads the stack files with the CLI's YAML parser.
DEB_PACKAGES=(openvswitch-switch openssh-server openssh-client php-cli ifupdown2 ansible iproute2 util-linux procps iputils-ping
  perl libjson-perl libclone-perl libstring-shellquote-perl libnet-ip-perl libnetaddr-ip-perl golang-go golang-gopkg-yaml.v3-dev)
missing=()
for p in "${DEB_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "install: need root to apt-get install ${missing[*]}" >&2; exit 1; fi
  echo "install: apt-get install ${missing[*]}"
  apt-get update -qq
  # The packages' own services must not start on the host: the lab runs its own daemons inside namespaces.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  rm -f /usr/sbin/policy-rc.d
fi

# npm install (with the lockfile's versions) only when the lockfile changed since the last install. Not `npm ci`:
# the lockfile lists platform bindings of optional dependencies (unrs-resolver's, via jest) for the platform it was
# made on only, and `npm ci` refuses such a lockfile; `npm install --no-save` installs the same locked versions.
stamp=node_modules/.pfha-lock-stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  echo "install: npm install (locked versions)"
  npm install --no-save --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi
node --version | grep -q '^v2[2-9]\|^v[3-9][0-9]' || { echo "install: expected Node >= 22 from node_modules/.bin, got $(node --version)" >&2; exit 1; }
