// The checks the HA guides do by hand, pure: DHCP failover state from dhcpd's lease file, pfsync replication (the
// primary's states present on the secondary), config-sync freshness (the secondary's revision follows the
// primary's), and equal VM sizes.
import { dhcpNetworksOf, type ClusterConfig, type FirewallRole } from "../../config/types";
import type { Check } from "./evaluate";
import type { Observations } from "./observations";

/** pfSense's dhcpd lease file (services.inc chroot: /var/dhcpd; system.inc system_get_dhcpleases). */
export const DHCPD_LEASES = "/var/dhcpd/var/db/dhcpd.leases";

export interface DhcpFailoverState {
  peer: string;
  my: string;
  partner: string;
}

/**
 * The last state record per failover peer, parsed with pfSense's own patterns (system.inc system_get_dhcpleases:
 * `failover peer "NAME" state {` then `my|partner state STATE at N YYYY/MM/DD HH:MM:SS;`). dhcpd appends a record on
 * every change, so the last one wins.
 */
export function parseDhcpFailoverStates(leases: string): DhcpFailoverState[] {
  const byPeer = new Map<string, DhcpFailoverState>();
  let cur: DhcpFailoverState | undefined;
  for (const line of leases.split("\n")) {
    const head = /^failover\s+peer\s+"(.+)"\s+state\s+{$/.exec(line);
    if (head) {
      cur = { peer: head[1], my: "unknown", partner: "unknown" };
      continue;
    }
    if (!cur) continue;
    const st = /\s*(my|partner)\s+state\s+(.+)\s+at\s+\d+\s+([\d/]+)\s+([\d:]+);$/.exec(line);
    if (st) cur[st[1] as "my" | "partner"] = st[2];
    else if (/}$/.test(line)) {
      byPeer.set(cur.peer, cur);
      cur = undefined;
    }
  }
  return [...byPeer.values()];
}

/** pfctl -ss lines -> state keys without the state column ("all tcp 10.0.0.5:22 <- 10.0.0.9:50122"). */
export function stateKeys(pfctlSs: string): string[] {
  return pfctlSs.split("\n").map((l) => l.trim().split(/\s+/)).filter((w) => w.length >= 5 && (w[3] === "->" || w[3] === "<-")).map((w) => w.slice(0, 5).join(" "));
}

export interface HaStateExpectations {
  /** pfSense's failover peer names (services.inc: dhcp_<if>), one per network whose DHCP server has failover. */
  dhcpPeers: string[];
  names: Record<FirewallRole, string>;
  /** Each firewall's VM sizing as configured (undefined for vm: none). */
  sizes: Record<FirewallRole, string | undefined>;
}

export function haStateExpectationsOf(c: ClusterConfig): HaStateExpectations {
  const size = (role: FirewallRole) => {
    const vm = c.firewalls[role].vm;
    return vm.mode === "none" ? undefined : `${vm.sizing.cores} cores, ${vm.sizing.memoryMb} MB, ${vm.sizing.diskGb} GB`;
  };
  return {
    dhcpPeers: dhcpNetworksOf(c).filter((n) => n.dhcp.failover).map((n) => `dhcp_${n.pfsenseInterface}`),
    names: { primary: c.firewalls.primary.name, secondary: c.firewalls.secondary.name },
    sizes: { primary: size("primary"), secondary: size("secondary") },
  };
}

/** Revision times more than this apart, with the secondary older, mean XMLRPC sync did not follow a change. */
export const SYNC_LAG_S = 60;

export function haStateChecks(e: HaStateExpectations, o: Observations): Check[] {
  const out: Check[] = [];
  const roles: FirewallRole[] = ["primary", "secondary"];
  const label = (r: FirewallRole) => `${e.names[r]} (${r})`;
  for (const dhcpPeer of e.dhcpPeers) {
    for (const r of roles) {
      const fw = o.firewalls[r];
      if (fw.error || fw.dhcpLeases === undefined) continue;
      const st = fw.dhcpLeases === null ? undefined : parseDhcpFailoverStates(fw.dhcpLeases).find((s) => s.peer === dhcpPeer);
      const base = { check: `dhcp failover ${dhcpPeer}`, node: label(r), expected: "my normal, partner normal" };
      if (!st) {
        out.push({ ...base, found: fw.dhcpLeases === null ? `no ${DHCPD_LEASES}` : "no failover state recorded", status: "warn",
          hint: `dhcpd has not recorded a failover state on ${e.names[r]}: is the DHCP server running (Status > Services)? A new pair records one within a minute` });
        continue;
      }
      const ok = st.my === "normal" && st.partner === "normal";
      out.push({ ...base, found: `my ${st.my}, partner ${st.partner}`, status: ok ? "pass" : "fail",
        ...(ok ? {} : { hint: `the DHCP peers do not see each other as normal: check TCP 519/520 between the firewalls' ${dhcpPeer.slice(5)} addresses (rules, the VIP's network), and that both run the same range; Status > DHCP Leases shows the same` }) });
    }
  }
  const p = o.firewalls.primary;
  const s = o.firewalls.secondary;
  if (!p.error && !s.error && p.states !== undefined && s.states !== undefined) {
    const mine = p.states;
    const theirs = new Set(s.states);
    const found = mine.filter((k) => theirs.has(k)).length;
    if (mine.length === 0) {
      out.push({ check: "pfsync states replicated", node: "cluster", expected: "the primary's states on the secondary", found: "the primary has no states", status: "warn",
        hint: "nothing to compare: open a connection through the firewall (or run `pfsense-ha drill --client …`) and verify again" });
    } else {
      const ok = found >= Math.ceil(mine.length * 0.8);
      out.push({ check: "pfsync states replicated", node: "cluster", expected: "at least 80% of the primary's states", found: `${found} of ${mine.length}`, status: ok ? "pass" : "fail",
        ...(ok ? {} : { hint: "states made on the primary are missing on the secondary: check pfsync (verify's pfsync rows), the pfsync rule on the sync interface and that both firewalls use the same interface names" }) });
    }
  }
  const pt = p.config?.revisionTime;
  const st = s.config?.revisionTime;
  if (pt !== undefined && st !== undefined) {
    const lag = pt - st;
    out.push({ check: "config sync freshness", node: "cluster", expected: `the secondary's revision at or after the primary's (within ${SYNC_LAG_S} s)`,
      found: lag <= 0 ? `secondary ${-lag} s after the primary` : `secondary ${lag} s older than the primary`, status: lag <= SYNC_LAG_S ? "pass" : "warn",
      ...(lag <= SYNC_LAG_S ? {} : { hint: "the primary changed after the secondary's last revision: XMLRPC sync did not run or failed (Status > System Logs on the primary, `Sync` entries); save any setting on the primary and check the secondary's config history" }) });
  }
  if (e.sizes.primary !== undefined && e.sizes.secondary !== undefined) {
    const ok = e.sizes.primary === e.sizes.secondary;
    out.push({ check: "VM sizes equal", node: "cluster", expected: e.sizes.primary, found: e.sizes.secondary, status: ok ? "pass" : "fail",
      ...(ok ? {} : { hint: "give both firewalls the same cores, memory and disk (firewalls.*.vm): the secondary must carry the primary's load and state table" }) });
  }
  return out;
}
