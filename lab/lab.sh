#!/usr/bin/env bash
# The local lab: four hosts on this machine, each its own network + mount namespace with an overlayfs root
# (lower = the machine's /) used as chroot. pve1/pve2 = Proxmox node stand-ins (sshd, real OVS userspace datapath,
# ifupdown2); fw1/fw2 = pfSense's own PHP (/etc/inc, /etc/rc.*, /usr/local/www, ... mounted from a pfSense source
# tree) over stand-ins for what cannot run on Linux (the pfSense PHP extension, PEAR classes, FreeBSD commands).
# Usage: PFHA_LAB_ID=N bash lab/lab.sh up|down|status|exec <host> -- <cmd...>|ovs-reset <host>
# Proxmox nodes: PFHA_LAB_NODES (2..10, default 2) for `up`: pve1..pve<k>; `up` adds the missing ones and removes
# the ones above k (the firewalls stay on pve1/pve2 in the stacks that use the lab).
# pfSense version per firewall: PFHA_PFSENSE_VERSION (2.7.2 | 24.1, default 2.7.2), PFHA_PFSENSE_VERSION_FW1/_FW2;
# source tree: PFHA_PFSENSE_SRC, else ../shared/upstream/pfsense-<...>, else .upstream/ (scripts/install.sh).
set -euo pipefail

LAB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(dirname "$LAB_DIR")"
N="${PFHA_LAB_ID:-0}"

die() { echo "lab.sh: $*" >&2; exit 1; }

[[ "$N" =~ ^[0-9]+$ ]] && (( N <= 63 )) || die "PFHA_LAB_ID='$N' is not an integer 0..63; set e.g. PFHA_LAB_ID=0"
N=$((10#$N))
STATE="$LAB_DIR/.state/lab$N"
MAX_NODES=10 # pve<k> is .(10+k) on the mgmt and underlay networks; the firewalls are .21, .22
pve_hosts() { local i; for ((i = 1; i <= $1; i++)); do echo "pve$i"; done; }
# The hosts of the lab as `up` last built it (its recorded node count; 2 before the option existed).
recorded_nodes() { local k; k="$(cat "$STATE/nodes" 2>/dev/null || true)"; [[ "$k" =~ ^[0-9]+$ ]] && echo "$k" || echo 2; }
mapfile -t HOSTS < <(pve_hosts "$(recorded_nodes)"; echo fw1; echo fw2)
wanted_nodes() { # PFHA_LAB_NODES for `up`, checked
  local k="${PFHA_LAB_NODES:-2}"
  [[ "$k" =~ ^[0-9]+$ ]] && ((10#$k >= 2 && 10#$k <= MAX_NODES)) ||
    die "PFHA_LAB_NODES='$k' is not an integer 2..$MAX_NODES (the number of Proxmox nodes): set e.g. PFHA_LAB_NODES=4"
  echo $((10#$k))
}
# Proxmox nodes that exist now (netns or state dir), whatever was recorded.
present_pve_hosts() {
  { ip netns list 2>/dev/null | awk '{print $1}' | sed -n "s/^pfha$N-\(pve[0-9]*\)\$/\1/p"
    ls "$STATE/hosts" 2>/dev/null | grep -E '^pve[0-9]+$'; } | sort -u -V
}
MGMT_NET="10.250.$((2 * N))"
UL_NET="10.250.$((2 * N + 1))"
SW_NS="pfha$N-sw"
OP_IF="pfha$N-op" # the root namespace's veth into the mgmt bridge

ns_of() { echo "pfha$N-$1"; }
# The merged roots are mounted outside the repository: they show the whole machine, and tsc/jest/eslint crawl the repo.
MNT="/run/pfha-lab$N"
root_of() { echo "$MNT/$1/merged"; }
mntns_of() { echo "$STATE/ns/$1"; }
utsns_of() { echo "$STATE/ns/$1.uts"; } # own hostname per host
role_of() { case "$1" in pve*) echo proxmox ;; fw*) echo pfsense ;; *) die "unknown host '$1': use one of ${HOSTS[*]}" ;; esac; }
octet_of() { case "$1" in pve[1-9] | pve10) echo $((10 + ${1#pve})) ;; fw1) echo 21 ;; fw2) echo 22 ;; *) die "unknown host '$1': use one of ${HOSTS[*]}" ;; esac; }
peer_of() { case "$1" in pve1) echo pve2 ;; pve2) echo pve1 ;; fw1) echo fw2 ;; fw2) echo fw1 ;; esac; }

# ---------------------------------------------------------------- pfSense source trees
# version -> "directory-name commit" of the pinned public pfsense/pfsense tree
pf_pin() {
  case "$1" in
    2.7.2) echo "pfsense-2.7.2 ec956d343e6cd2db69caa23ba647a19d18fdbc3a" ;;
    24.1) echo "pfsense-24.1-master-2025-09-26 29cd5f4bfd42a09afeb46b32884a845d7f0ad4ca" ;;
    *) die "pfSense version '$1' is not one the lab runs: use 2.7.2 or 24.1 (PFHA_PFSENSE_VERSION, PFHA_PFSENSE_VERSION_FW1/_FW2)" ;;
  esac
}
pf_version_of() { # fw host -> the pfSense version it runs
  local v="${PFHA_PFSENSE_VERSION:-2.7.2}" o
  case "$1" in fw1) o="${PFHA_PFSENSE_VERSION_FW1:-}" ;; fw2) o="${PFHA_PFSENSE_VERSION_FW2:-}" ;; esac
  v="${o:-$v}"; pf_pin "$v" >/dev/null; echo "$v"
}
# version -> the tree's src/ directory (unmodified): PFHA_PFSENSE_SRC, ../shared/upstream/<dir>, .upstream/<dir>
pf_tree_of() {
  local v="$1" dir commit c
  read -r dir commit <<<"$(pf_pin "$v")"
  for c in ${PFHA_PFSENSE_SRC:+"$PFHA_PFSENSE_SRC"} "$(dirname "$REPO_DIR")/shared/upstream/$dir" "$REPO_DIR/.upstream/$dir"; do
    [[ -f "$c/src/etc/inc/config.inc" ]] && { echo "$c/src"; return; }
    [[ -f "$c/etc/inc/config.inc" ]] && { echo "$c"; return; }
  done
  die "no pfSense $v source tree: set PFHA_PFSENSE_SRC to a checkout of https://github.com/pfsense/pfsense at $commit (its src/ folder is used), or run scripts/install.sh where github.com is reachable (it clones it into .upstream/$dir)"
}
# The tree a firewall mounts: the unmodified tree, except for 24.1 on PHP < 8.3, which gets a private copy with
# the one mechanical rewrite PHP 8.2 needs (`static $x = <non-constant expression>;` is PHP 8.3 syntax) ->
# `static $x = null; $x ??= <expression>;`. Made once per source tree, kept under lab/.state/ (never committed).
pf_mounted_tree() {
  local v="$1" src key out
  src="$(pf_tree_of "$v")"
  if [[ "$v" == 2.7.2 ]] || php -r 'exit(PHP_VERSION_ID >= 80300 ? 0 : 1);'; then echo "$src"; return; fi
  key="$(printf '%s' "$(readlink -f "$src")" | sha256sum | cut -c1-12)"
  out="$LAB_DIR/.state/pfsense-src/$v-php82-$key"
  if [[ ! -f "$out/.done" ]]; then
    rm -rf "$out.tmp"; mkdir -p "$out.tmp"
    cp -a "$src/." "$out.tmp/"
    grep -rlZE --include='*.inc' --include='*.php' --include='rc.*' '^\s*static \$[A-Za-z_][A-Za-z0-9_]* = ' "$out.tmp" |
      xargs -0r perl -pi -e 's/^(\s*)static (\$[A-Za-z_]\w*) = (?!(?:null|true|false|-?\d+|\x27[^\x27]*\x27|"[^"]*"|\[\]|array\(\));\s*$)/$1static $2 = null; $2 ??= /'
    touch "$out.tmp/.done"; rm -rf "$out"; mv "$out.tmp" "$out"
  fi
  echo "$out"
}

require_root() { [[ $EUID -eq 0 ]] || die "must run as root (it creates network namespaces and mounts)"; }
require_tools() {
  local t
  for t in ip nsenter unshare chroot sshd ssh-keygen ovsdb-server ovs-vswitchd ovs-vsctl ovsdb-tool ifup php gcc; do
    command -v "$t" >/dev/null || die "'$t' not found: install the Debian packages with scripts/install.sh"
  done
}

# Run a command inside host $1 (its netns + mount ns, chrooted), with a clean environment.
in_host() {
  local h="$1"; shift
  nsenter --net="/run/netns/$(ns_of "$h")" --mount="$(mntns_of "$h")" --uts="$(utsns_of "$h")" \
    chroot "$(root_of "$h")" /usr/bin/env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/root LANG=C.UTF-8 "$@" 9>&- # the daemons started here must not inherit the lab lock
}

running() { # pid -> 0 when it exists and is not a zombie (orphans may never be reaped in a container)
  local st
  st="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" || return 1
  [[ -n "$st" && "$st" != Z && "$st" != X ]]
}

pid_alive() { # pidfile expected-netns -> 0 when the pid in the file runs inside that netns
  local f="$1" ns="$2" pid
  [[ -s "$f" ]] || return 1
  pid="$(tr -dc 0-9 <"$f")"
  [[ -n "$pid" ]] && running "$pid" && [[ "$(ip netns identify "$pid" 2>/dev/null)" == "$ns" ]]
}

# ---------------------------------------------------------------- up
setup_switch() {
  ip netns list | grep -qx "$SW_NS\( .*\)\?" || ip netns add "$SW_NS"
  ip -n "$SW_NS" link set lo up
  local br
  for br in brm bru brw brl brs; do # mgmt, pve underlay, the firewalls' WAN, LAN and SYNC
    ip -n "$SW_NS" link show "$br" >/dev/null 2>&1 || ip -n "$SW_NS" link add "$br" type bridge
    ip -n "$SW_NS" link set "$br" up
  done
  if ! ip link show "$OP_IF" >/dev/null 2>&1; then
    ip -n "$SW_NS" link del op 2>/dev/null || true
    ip link add "$OP_IF" type veth peer name op netns "$SW_NS"
  fi
  ip -n "$SW_NS" link set op master brm up
  ip addr replace "$MGMT_NET.1/24" dev "$OP_IF"
  ip link set "$OP_IF" up
}

# The MAC of a host's NIC: the same every time the host is created (02:fa:<lab>:<host octet>:<NIC>:00, locally
# administered). A host removed and added again (a lab re-upped to fewer, then more nodes) keeps its MACs, so the
# neighbour entries the others still hold for it (the root namespace's, the other nodes' on the underlay) stay right;
# with a new random MAC they would black-hole its address until they expire (up to a minute).
host_mac() { # host ifname
  local nic
  case "$2" in eth0) nic=0 ;; eth1) nic=1 ;; vtnet*) nic=$((16 + ${2#vtnet})) ;; *) die "host_mac: unknown NIC $2" ;; esac
  printf '02:fa:%02x:%02x:%02x:00' "$N" "$(octet_of "$1")" "$nic"
}

# veth $2 inside host $1 with peer $3 on switch bridge $4
host_link() {
  local h="$1" ifname="$2" peer="$3" br="$4" ns
  ns="$(ns_of "$h")"
  if ! ip -n "$ns" link show "$ifname" >/dev/null 2>&1; then
    ip -n "$SW_NS" link del "$peer" 2>/dev/null || true
    ip link add "$ifname" netns "$ns" address "$(host_mac "$h" "$ifname")" type veth peer name "$peer" netns "$SW_NS"
  fi
  ip -n "$SW_NS" link set "$peer" master "$br" up
  ip -n "$ns" link set "$ifname" up
}

setup_host_fs() {
  local h="$1" d="$STATE/hosts/$1" m ns f u
  m="$(root_of "$h")"; ns="$(ns_of "$h")"; f="$(mntns_of "$h")"; u="$(utsns_of "$h")"
  mkdir -p "$d/upper" "$d/work" "$m" "$d/run" "$d/tmp"
  chmod 1777 "$d/tmp"
  # PHP's compiled scripts (OPcache file cache, see 99-pfha-lab.ini), per host; emptied when the pfSense tree changes
  mkdir -p "$d/tmp/pfha-opcache"
  # A host set up by an older lab.sh (root at $d/merged, or no UTS ns) is rebuilt: same netns, addresses and
  # upper dir, fresh mounts and daemons.
  local want_v="" why="it was set up by an older lab.sh"
  if [[ "$(role_of "$h")" == pfsense ]]; then
    want_v="$(pf_version_of "$h")"
    if mountpoint -q "$f" && [[ "$(cat "$d/pfsense-version" 2>/dev/null)" != "$want_v" ]]; then
      why="it ran pfSense $(cat "$d/pfsense-version" 2>/dev/null || echo '(stand-ins)'), now $want_v: config.xml is seeded afresh"
      rm -f "$m/cf/conf/config.xml" "$d/tmp/config.cache" "$STATE/carp-bus/$h.json"
      rm -rf "$d/tmp/pfha-opcache" && mkdir -p "$d/tmp/pfha-opcache"
    fi
  fi
  if mountpoint -q "$d/merged" || { [[ -n "$want_v" ]] && mountpoint -q "$f" && [[ "$(cat "$d/pfsense-version" 2>/dev/null)" != "$want_v" ]]; } ||
    { mountpoint -q "$f" && { ! mountpoint -q "$u" || ! nsenter --mount="$f" mountpoint -q "$m/proc"; }; }; then
    echo "lab.sh: rebuilding the mounts and daemons of $h ($why)" >&2
    stop_host_daemons "$h"
    ! mountpoint -q "$f" || umount "$f"
    ! mountpoint -q "$u" || umount "$u"
    ! mountpoint -q "$d/merged" || umount "$d/merged" || umount -l "$d/merged"
    ! mountpoint -q "$m" || umount "$m" || umount -l "$m"
    rmdir "$d/merged" 2>/dev/null || true
  fi
  mountpoint -q "$m" || mount -t overlay "pfha$N-$h" -o "lowerdir=/,upperdir=$d/upper,workdir=$d/work" "$m"
  if ! mountpoint -q "$f"; then
    touch "$f" "$u"
    echo "$h" >"$m/etc/hostname"
    mkdir -p "$d/run/sshd" "$d/run/network" "$d/run/openvswitch"
    local tree=""
    if [[ "$(role_of "$h")" == pfsense ]]; then
      mkdir -p "$d/run/pfha-carp"
      tree="$(pf_mounted_tree "$(pf_version_of "$h")")"
      pf_prepare_mountpoints "$m" "$tree"
      pf_version_of "$h" >"$d/pfsense-version"
    fi
    # The mount ns is created inside the host's netns so the fresh sysfs shows that netns's interfaces.
    nsenter --net="/run/netns/$ns" unshare --mount="$f" --uts="$u" --propagation private /bin/sh -euc '
      m="$1"; d="$2"; role="$3"; bus="$4"
      hostname "$5"
      mount -t proc proc "$m/proc"
      mount -t sysfs sysfs "$m/sys"
      mount --rbind /dev "$m/dev"
      mount --bind "$d/run" "$m/run"
      mount --bind "$d/tmp" "$m/tmp"
      if [ "$role" = pfsense ]; then
        mount --bind "$bus" "$m/run/pfha-carp"
        t="$6"; sbin="$7"
        for p in etc/inc etc/phpshellsessions etc/version usr/local/www usr/local/pfSense/include; do
          mount --bind "$t/$p" "$m/$p"
        done
        for f in "$t"/etc/rc.*; do [ -f "$f" ] && mount --bind "$f" "$m/etc/${f##*/}"; done
        # pfSsh.php & co from the tree, with the FreeBSD daemons pfSense starts from there stood in (dhcpd, ...)
        mount -t overlay "pfha-sbin" -o "lowerdir=$sbin:$t/usr/local/sbin" "$m/usr/local/sbin"
      fi
    ' sh "$m" "$d" "$(role_of "$h")" "$STATE/carp-bus" "$h" "$tree" "$LAB_DIR/pfsense-standin/usr-local-sbin"
  fi
}

# The mount points of the tree's folders and rc.* scripts inside a firewall's root (created in the overlay's upper).
pf_prepare_mountpoints() {
  local m="$1" t="$2" p f
  for p in etc/inc etc/phpshellsessions usr/local/www usr/local/pfSense/include usr/local/sbin; do
    [[ -d "$t/$p" ]] || die "the pfSense tree $t has no $p"
    rm -rf "${m:?}/$p"; mkdir -p "$m/$p"
  done
  [[ -f "$m/etc/version" && ! -L "$m/etc/version" ]] || { rm -f "$m/etc/version"; : >"$m/etc/version"; }
  for f in "$t"/etc/rc.*; do [[ ! -f "$f" || -f "$m/etc/${f##*/}" ]] || : >"$m/etc/${f##*/}"; done
}

setup_sshd() {
  local h="$1" m addr ns
  m="$(root_of "$h")"; ns="$(ns_of "$h")"; addr="$MGMT_NET.$(octet_of "$h")"
  [[ -f "$m/etc/ssh/pfha_host_ed25519_key" ]] ||
    ssh-keygen -q -t ed25519 -N '' -C "root@$h.lab$N" -f "$m/etc/ssh/pfha_host_ed25519_key"
  install -m 0600 "$STATE/id_ed25519.pub" "$m/etc/ssh/pfha_authorized_keys"
  # root's dotfiles as on a fresh Debian/Proxmox install, not the machine's (the overlay shows the machine's /root):
  # Debian's bash sources ~/.bashrc for every ssh command, and a developer's .bashrc (pyenv init, ...) would cost
  # each remote command hundreds of milliseconds.
  install -m 0644 /etc/skel/.bashrc "$m/root/.bashrc"
  install -m 0644 /etc/skel/.profile "$m/root/.profile"
  cat >"$m/etc/ssh/pfha_sshd_config" <<EOF
# lab host $h (lab $N)
ListenAddress $addr
Port 22
HostKey /etc/ssh/pfha_host_ed25519_key
PidFile /run/sshd.pid
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AuthorizedKeysFile /etc/ssh/pfha_authorized_keys
UsePAM no
UseDNS no
MaxSessions 64
MaxStartups 64:64:64
Subsystem sftp internal-sftp
EOF
  pid_alive "$STATE/hosts/$h/run/sshd.pid" "$ns" ||
    in_host "$h" /usr/sbin/sshd -f /etc/ssh/pfha_sshd_config -E /var/log/pfha-sshd.log
}

start_ovs() { # start ovsdb-server (creating the DB when absent) and ovs-vswitchd inside pve host $1
  local h="$1" run="$STATE/hosts/$1/run/openvswitch" ns
  ns="$(ns_of "$h")"
  mkdir -p "$run"
  if ! pid_alive "$run/ovsdb-server.pid" "$ns"; then
    in_host "$h" /bin/sh -euc '
      mkdir -p /etc/openvswitch /var/log/openvswitch
      [ -f /etc/openvswitch/conf.db ] || ovsdb-tool create /etc/openvswitch/conf.db /usr/share/openvswitch/vswitch.ovsschema
      ovsdb-server /etc/openvswitch/conf.db --remote=punix:/run/openvswitch/db.sock \
        --remote=db:Open_vSwitch,Open_vSwitch,manager_options --pidfile --detach --no-chdir -vconsole:off \
        --log-file=/var/log/openvswitch/ovsdb-server.log
      ovs-vsctl --no-wait init'
  fi
  if ! pid_alive "$run/ovs-vswitchd.pid" "$ns"; then
    in_host "$h" ovs-vswitchd unix:/run/openvswitch/db.sock --pidfile --detach --no-chdir -vconsole:off \
      --log-file=/var/log/openvswitch/ovs-vswitchd.log
  fi
}

setup_pve() {
  local h="$1" m o
  m="$(root_of "$h")"; o="$(octet_of "$h")"
  if [[ ! -f "$STATE/hosts/$h/.ovsdb-fresh" ]]; then
    rm -f "$m/etc/openvswitch/conf.db" # the machine's own DB shows through the overlay: start empty
    touch "$STATE/hosts/$h/.ovsdb-fresh"
  fi
  start_ovs "$h"
  mkdir -p "$m/etc/network/interfaces.d" "$m/etc/network/ifupdown2"
  [[ -f "$m/etc/network/ifupdown2/ifupdown2.conf" ]] ||
    printf 'use_daemon=no\naddon_scripts_support=1\naddon_python_modules_support=1\n' >"$m/etc/network/ifupdown2/ifupdown2.conf"
  cat >"$m/etc/network/interfaces" <<EOF
# Proxmox-style network configuration of lab host $h (lab $N)
auto lo
iface lo inet loopback

auto eth0
iface eth0 inet static
	address $MGMT_NET.$o/24

auto eth1
iface eth1 inet manual
	ovs_type OVSPort
	ovs_bridge br-underlay

auto br-underlay
iface br-underlay inet static
	address $UL_NET.$o/24
	ovs_type OVSBridge
	ovs_ports eth1
	ovs_options datapath_type=netdev

source /etc/network/interfaces.d/*
EOF
  in_host "$h" ifup -a >"$STATE/hosts/$h/ifup.log" 2>&1 ||
    die "ifup -a failed in $h: see $STATE/hosts/$h/ifup.log"
}

# The firewalls' sleep shim, built once per version of its source (in the lab folder, shared by every lab).
sleep_shim() {
  local src="$LAB_DIR/pfsense-standin/src/pfha-sleep.c" out
  out="$LAB_DIR/.state/pfha-sleep-$(sha256sum "$src" | cut -c1-12).so"
  if [[ ! -f "$out" ]]; then
    gcc -O2 -shared -fPIC -Wall -Wextra -Werror -o "$out.tmp.$$" "$src" || die "cannot build $src with gcc"
    mv "$out.tmp.$$" "$out"
  fi
  echo "$out"
}

setup_fw() {
  local h="$1" m
  m="$(root_of "$h")"
  local standin="$LAB_DIR/pfsense-standin/rootfs"
  # tar keeps the root's directory symlinks (/sbin -> usr/sbin on Debian), where cp -a would fail on them.
  if [[ -d "$standin" ]]; then tar -C "$standin" -cf - . | tar -C "$m" -xf - --keep-directory-symlink --no-same-owner; fi
  mkdir -p "$m/cf/conf" "$m/usr/local/share/pfha-lab"
  [[ -L "$m/conf" ]] || { rm -rf "$m/conf"; ln -s /cf/conf "$m/conf"; }
  install -m 0644 "$REPO_DIR/tests/fixtures/pfsense-factory-config.xml" "$m/usr/local/share/pfha-lab/pfsense-factory-config.xml"
  # pfSense's sleep()/usleep() wait for FreeBSD's kernel and daemons, which the lab stands in and which answer at
  # once: in the firewall's PHP they last PFHA_LAB_SLEEP_SCALE (default 0.05) of the time asked, recorded in
  # /var/log/pfha-lab/sleep.log (lab/pfsense-standin/src/pfha-sleep.c; 1 = real time).
  install -D -m 0755 "$(sleep_shim)" "$m/usr/local/lib/pfha-lab/pfha-sleep.so"
  echo /usr/local/lib/pfha-lab/pfha-sleep.so >"$m/etc/ld.so.preload"
  echo "${PFHA_LAB_SLEEP_SCALE:-0.05}" >"$m/usr/local/share/pfha-lab/sleep-scale"
  if [[ ! -f "$m/cf/conf/config.xml" ]]; then # seed once: a re-run of up keeps what the providers wrote
    if [[ -f "$m/usr/local/share/pfha-lab/seed.php" ]]; then
      in_host "$h" php /usr/local/share/pfha-lab/seed.php "$h" "$(peer_of "$h")" ||
        die "seed.php failed in $h"
    else
      cp "$m/usr/local/share/pfha-lab/pfsense-factory-config.xml" "$m/cf/conf/config.xml"
    fi
  fi
  start_fw_daemons "$h"
}

# What a pfSense box runs from boot that the lab needs: the event daemon (check_reload_status, stood in) and the
# webGUI serving pfSense's own /usr/local/www (xmlrpc.php for the XMLRPC sync) with PHP's built-in server on the
# port config.xml's webGUI settings give (http; 80 unless <port> is set), on every address of the host.
start_fw_daemons() {
  local h="$1" run="$STATE/hosts/$1/run" ns port
  ns="$(ns_of "$h")"
  pid_alive "$run/check_reload_status.pid" "$ns" ||
    in_host "$h" /bin/sh -c 'nohup /usr/local/sbin/check_reload_status >/dev/null 2>&1 &'
  port="$(sed -n '/<webgui>/,/<\/webgui>/s#.*<port>\([0-9]*\)</port>.*#\1#p' "$(root_of "$h")/cf/conf/config.xml" | head -1)"
  if ! pid_alive "$run/pfha-webgui.pid" "$ns"; then
    in_host "$h" /bin/sh -c 'cd /usr/local/www && nohup php -S "0.0.0.0:$1" -t /usr/local/www >/var/log/pfha-lab/webgui.log 2>&1 & echo $! >/run/pfha-webgui.pid' sh "${port:-80}"
  fi
}

write_inventory() {
  local h first=1 fp o out="$STATE/inventory.json" hosts="$STATE/hosts.json"
  # hosts.json: the host inventory a stack names with pfsense-ha:inventory (`ssh: {inventory: NAME}`), in the
  # format any deployment's inventory has; inventory.json: everything the lab's own tools need.
  {
    printf '{"hosts":{'
    for h in "${HOSTS[@]}"; do
      fp="$(ssh-keygen -lf "$(root_of "$h")/etc/ssh/pfha_host_ed25519_key.pub" | awk '{print $2}')"
      ((first)) || printf ','
      first=0
      printf '"%s":{"host":"%s","port":22,"username":"root","hostKeySha256":"%s","privateKeyPath":"%s"' \
        "$h" "$MGMT_NET.$(octet_of "$h")" "$fp" "$STATE/id_ed25519"
      [[ "$(role_of "$h")" == proxmox ]] && printf ',"underlayAddress":"%s"' "$UL_NET.$(octet_of "$h")"
      printf '}'
    done
    printf '}}\n'
  } >"$hosts.tmp"
  mv "$hosts.tmp" "$hosts"
  first=1
  {
    printf '{"id":%d,"stateDir":"%s","clientKeyPath":"%s","operatorAddress":"%s","hosts":{' \
      "$N" "$STATE" "$STATE/id_ed25519" "$MGMT_NET.1"
    for h in "${HOSTS[@]}"; do
      fp="$(ssh-keygen -lf "$(root_of "$h")/etc/ssh/pfha_host_ed25519_key.pub" | awk '{print $2}')"
      o="$(octet_of "$h")"
      ((first)) || printf ','
      first=0
      printf '"%s":{"role":"%s","netns":"%s","address":"%s","port":22,"username":"root","hostKeySha256":"%s",' \
        "$h" "$(role_of "$h")" "$(ns_of "$h")" "$MGMT_NET.$o" "$fp"
      [[ "$(role_of "$h")" == proxmox ]] &&
        printf '"underlayAddress":"%s","underlayBridge":"br-underlay",' "$UL_NET.$o"
      printf '"rootDir":"%s","mountNs":"%s","utsNs":"%s"}' "$(root_of "$h")" "$(mntns_of "$h")" "$(utsns_of "$h")"
    done
    printf '}}\n'
  } >"$out.tmp"
  mv "$out.tmp" "$out"
}

cmd_up() {
  require_root; require_tools
  local k
  k="$(wanted_nodes)"
  [[ -f "$REPO_DIR/tests/fixtures/pfsense-factory-config.xml" ]] || die "missing tests/fixtures/pfsense-factory-config.xml"
  require_owner
  echo "$STATE" >"/run/pfha-lab$N.owner"
  mkdir -p "$STATE/ns" "$STATE/carp-bus"
  # The mount-ns files need a private parent mount (unshare --mount=<file> refuses a shared one).
  mountpoint -q "$STATE/ns" || { mount --bind "$STATE/ns" "$STATE/ns"; mount --make-private "$STATE/ns"; }
  [[ -f "$STATE/id_ed25519" ]] || ssh-keygen -q -t ed25519 -N '' -C "pfha-lab$N-client" -f "$STATE/id_ed25519"
  setup_switch
  local h ns
  # Proxmox nodes above the wanted count (a lab brought up with more) are removed first.
  local extra=()
  for h in $(present_pve_hosts); do (( ${h#pve} <= k )) || extra+=("$h"); done
  if ((${#extra[@]})); then remove_hosts "${extra[@]}"; for h in "${extra[@]}"; do rm -rf "${STATE:?}/hosts/$h"; done; fi
  mapfile -t HOSTS < <(pve_hosts "$k"; echo fw1; echo fw2)
  for h in "${HOSTS[@]}"; do
    ns="$(ns_of "$h")"
    ip netns list | grep -qx "$ns\( .*\)\?" || ip netns add "$ns"
    ip -n "$ns" link set lo up
    host_link "$h" eth0 "$h-m" brm
    ip -n "$ns" addr replace "$MGMT_NET.$(octet_of "$h")/24" dev eth0
    [[ "$(role_of "$h")" == proxmox ]] && host_link "$h" eth1 "$h-u" bru
    if [[ "$(role_of "$h")" == pfsense ]]; then # the NICs pfSense sees as vtnet0-2 (WAN, LAN, SYNC)
      host_link "$h" vtnet0 "$h-w" brw; host_link "$h" vtnet1 "$h-l" brl; host_link "$h" vtnet2 "$h-s" brs
    fi
    setup_host_fs "$h"
    setup_sshd "$h"
    if [[ "$(role_of "$h")" == proxmox ]]; then setup_pve "$h"; else setup_fw "$h"; fi
  done
  write_inventory
  echo "$k" >"$STATE/nodes"
  echo "lab $N up: inventory $STATE/inventory.json"
}

# ---------------------------------------------------------------- down
kill_pidfile() { # pidfile netns: TERM then KILL the process, only if it still runs in that netns
  local f="$1" ns="$2" pid i
  pid_alive "$f" "$ns" || return 0
  pid="$(tr -dc 0-9 <"$f")"
  kill "$pid" 2>/dev/null || true
  for i in $(seq 50); do running "$pid" || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}

stop_host_daemons() {
  local h="$1" f ns
  ns="$(ns_of "$h")"
  for f in "$STATE/hosts/$h/run/openvswitch/ovs-vswitchd.pid" "$STATE/hosts/$h/run/openvswitch/ovsdb-server.pid" \
    "$STATE/hosts/$h/run/sshd.pid" "$STATE/hosts/$h/run/check_reload_status.pid" "$STATE/hosts/$h/run/pfha-webgui.pid"; do
    kill_pidfile "$f" "$ns"
  done
}

# Lab ids are machine-wide (namespace names, addresses): a checkout may only take down the lab it brought up.
require_owner() {
  local owner
  owner="$(cat "/run/pfha-lab$N.owner" 2>/dev/null || true)"
  if [[ -n "$owner" && "$owner" != "$STATE" ]] && ip netns list | grep -q "^pfha$N-"; then
    die "lab $N was brought up from another checkout ($owner): bring it down there, or use another PFHA_LAB_ID"
  fi
}

# Stop, unmount and delete hosts "$@" (their daemons, every process in their netns, mounts, netns; a veth's peer on
# the switch goes with it).
remove_hosts() {
  local h ns pid f
  for h in "$@"; do
    ns="$(ns_of "$h")"
    stop_host_daemons "$h"
    # Processes started later inside the host (ssh sessions, daemons run by tests) live in its netns.
    if [[ -e "/run/netns/$ns" ]]; then
      for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    fi
  done
  sleep 0.2
  for h in "$@"; do
    ns="$(ns_of "$h")"
    f="$(mntns_of "$h")"
    for f in "$f" "$(utsns_of "$h")"; do
      if mountpoint -q "$f" 2>/dev/null; then umount "$f"; fi
    done
    for f in "$(root_of "$h")" "$STATE/hosts/$h/merged"; do # the second: roots mounted by an older lab.sh
      if mountpoint -q "$f" 2>/dev/null; then umount "$f" 2>/dev/null || umount -l "$f"; fi
    done
    if [[ -e "/run/netns/$ns" ]]; then ip netns del "$ns"; fi
    ip neigh del "$MGMT_NET.$(octet_of "$h")" dev "$OP_IF" 2>/dev/null || true # (a lab.sh before fixed MACs)
  done
  for h in "$@"; do rmdir "$(root_of "$h")" "$MNT/$h" 2>/dev/null || true; done
}

cmd_down() {
  require_root
  require_owner
  local h all=()
  # The recorded hosts and any Proxmox node whose netns or state is still there (an interrupted `up`).
  mapfile -t all < <({ printf '%s\n' "${HOSTS[@]}"; present_pve_hosts; } | awk '!seen[$0]++')
  remove_hosts "${all[@]}"
  ip link del "$OP_IF" 2>/dev/null || true
  if [[ -e "/run/netns/$SW_NS" ]]; then ip netns del "$SW_NS"; fi
  if mountpoint -q "$STATE/ns" 2>/dev/null; then umount "$STATE/ns"; fi
  rmdir "$MNT" 2>/dev/null || true
  rm -rf "$STATE"
  echo "lab $N down"
}

# ---------------------------------------------------------------- status / exec / ovs-reset
cmd_status() {
  local h ns bad=0 s line
  [[ -f "$STATE/inventory.json" ]] || { echo "lab $N is not up (no $STATE/inventory.json)"; exit 1; }
  for h in "${HOSTS[@]}"; do
    ns="$(ns_of "$h")"
    s=dead; pid_alive "$STATE/hosts/$h/run/sshd.pid" "$ns" && s=alive
    [[ $s == alive ]] || bad=1
    line="$(printf '%-5s %-8s %-14s sshd=%s' "$h" "$(role_of "$h")" "$MGMT_NET.$(octet_of "$h")" "$s")"
    if [[ "$(role_of "$h")" == proxmox ]]; then
      local d v
      d=dead; pid_alive "$STATE/hosts/$h/run/openvswitch/ovsdb-server.pid" "$ns" && d=alive
      v=dead; pid_alive "$STATE/hosts/$h/run/openvswitch/ovs-vswitchd.pid" "$ns" && v=alive
      [[ $d == alive && $v == alive ]] || bad=1
      line+=" ovsdb=$d vswitchd=$v underlay=$UL_NET.$(octet_of "$h")"
    fi
    echo "$line"
  done
  exit "$bad"
}

host_ready() {
  role_of "$1" >/dev/null
  mountpoint -q "$(mntns_of "$1")" 2>/dev/null || die "lab $N host $1 is not up: run \`PFHA_LAB_ID=$N bash lab/lab.sh up\`"
}

cmd_exec() {
  require_root
  local h="${1:-}"; shift || true
  [[ -n "$h" ]] || die "usage: lab.sh exec <host> -- <cmd...>"
  [[ "${1:-}" == "--" ]] && shift
  [[ $# -gt 0 ]] || die "usage: lab.sh exec <host> -- <cmd...>"
  host_ready "$h"
  in_host "$h" "$@"
}

cmd_ovs_reset() { # a reboot's loss of OVS state; the caller replays `ifup -a` itself
  require_root
  local h="${1:-}" run ns
  [[ "$(role_of "$h")" == proxmox ]] || die "ovs-reset: '$h' is not a Proxmox host ($(pve_hosts "$(recorded_nodes)" | paste -sd' ' | sed 's/ /, /g'))"
  host_ready "$h"
  ns="$(ns_of "$h")"; run="$STATE/hosts/$h/run/openvswitch"
  kill_pidfile "$run/ovs-vswitchd.pid" "$ns"
  kill_pidfile "$run/ovsdb-server.pid" "$ns"
  rm -f "$run/ovs-vswitchd.pid" "$run/ovsdb-server.pid" "$run/db.sock"
  # The userspace datapath's tap devices (ovs-netdev, bridge/internal ports) are persistent; a reboot drops them.
  local tap
  for tap in $(ip -n "$ns" -d -o link show | awk -F': ' '/ tun /{sub(/@.*/, "", $2); print $2}'); do
    ip -n "$ns" link del "$tap"
  done
  rm -f "$(root_of "$h")/etc/openvswitch/conf.db"
  start_ovs "$h"
  echo "ovs on $h reset: empty database, daemons restarted"
}

# up, down and ovs-reset of one lab id run one at a time (parallel jest workers may all call `up`).
with_lock() {
  mkdir -p "$LAB_DIR/.state"
  exec 9>"$LAB_DIR/.state/.lab$N.lock"
  flock -w 120 9 || die "another lab.sh holds $LAB_DIR/.state/.lab$N.lock for over 120 s"
  "$@"
}

case "${1:-}" in
  up) with_lock cmd_up ;;
  down) with_lock cmd_down; rm -f "$LAB_DIR/.state/.lab$N.lock"; [[ "$(cat "/run/pfha-lab$N.owner" 2>/dev/null)" != "$STATE" ]] || rm -f "/run/pfha-lab$N.owner" ;;
  status) cmd_status ;;
  exec) shift; cmd_exec "$@" ;;
  ovs-reset) shift; with_lock cmd_ovs_reset "$@" ;;
  *) die "usage: PFHA_LAB_ID=N bash lab/lab.sh up|down|status|exec <host> -- <cmd...>|ovs-reset <host>" ;;
esac
