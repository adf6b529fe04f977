#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian bookworm machine (root): Debian packages for the lab and tests,
# then the npm dependencies (which include the Node 24 binary). Idempotent and quick when nothing is missing.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$PFHA_ROOT"

# php8.2-*: pfSense's own PHP runs in the lab's firewalls (xml: its config parser; mbstring; xmlrpc: the XML-RPC
# encoding of the XMLRPC sync; cgi: pfSense's scripts start with #!/usr/local/bin/php-cgi). git: the pfSense tree below.
# perl and the perl modules Proxmox's own /etc/network/interfaces reader/writer
# (pve-common, loaded from the upstream tree with the stubs in tests/support/pve/) runs in the lab tests;
# golang-go + golang-gopkg-yaml.v3-dev: the tests build a checker that reads the stack files with the CLI's YAML parser.
# isc-dhcp-server: ISC's own dhcpd checks (-t, never serves) the dhcpd.conf pfSense generates in the lab.
# gcc + libc6-dev: the lab builds its firewalls' sleep shim (lab/pfsense-standin/src/pfha-sleep.c).
DEB_PACKAGES=(openvswitch-switch openssh-server openssh-client php-cli php8.2-xml php8.2-mbstring php8.2-xmlrpc php8.2-cgi
  ifupdown2 ansible iproute2 util-linux procps iputils-ping git
  perl libjson-perl libclone-perl libstring-shellquote-perl libnet-ip-perl libnetaddr-ip-perl golang-go golang-gopkg-yaml.v3-dev
  isc-dhcp-server gcc libc6-dev)
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

# pfSense's own source tree for the lab's firewalls (never part of this repository): PFHA_PFSENSE_SRC, else
# ../shared/upstream/<tree>, else a clone of the pinned public commit into .upstream/<tree> when github.com is
# reachable. Without any, `lab.sh up` says exactly what to provide.
pf_tree() { # version dir commit
  local v="$1" dir="$2" commit="$3" parent
  parent="$(dirname "$PFHA_ROOT")"
  [[ -n "${PFHA_PFSENSE_SRC:-}" || -d "$parent/shared/upstream/$dir/src/etc/inc" || -d ".upstream/$dir/src/etc/inc" ]] && return 0
  echo "install: cloning pfSense $v (pfsense/pfsense at $commit) into .upstream/$dir"
  rm -rf ".upstream/$dir.tmp"
  if git init -q ".upstream/$dir.tmp" && git -C ".upstream/$dir.tmp" fetch -q --depth 1 https://github.com/pfsense/pfsense.git "$commit" &&
    git -C ".upstream/$dir.tmp" checkout -q FETCH_HEAD; then
    mv ".upstream/$dir.tmp" ".upstream/$dir"
  else
    rm -rf ".upstream/$dir.tmp"
    echo "install: could not clone pfSense $v (no network?): set PFHA_PFSENSE_SRC to a checkout of pfsense/pfsense at $commit" >&2
  fi
}
pf_tree 2.7.2 pfsense-2.7.2 ec956d343e6cd2db69caa23ba647a19d18fdbc3a
pf_tree 24.1 pfsense-24.1-master-2025-09-26 29cd5f4bfd42a09afeb46b32884a845d7f0ad4ca
