// The plan: everything pfSense-side the stack writes on one firewall, in apply order, from the validated config.
// Pure (no pulumi, no I/O), so the cluster, `render` and `verify` all see the same specs.
//   interfaces (+ upstream gateways) -> CARP VIPs -> HA sync -> sync alias + sync rules -> outbound NAT
//   -> port forwards and 1:1 NAT on the WAN VIP -> VPNs on VIPs -> DHCP servers
// The secondary's items are what the primary's XMLRPC sync would write there (elements/mirror.ts forNode), so
// writing both nodes never fights the sync. Identities (CARP uniqid, rule tracker, NAT/alias marker keys) are
// hashes of stable names (cluster name, network role, vhid, rule purpose): both nodes get the same identity,
// `render` shows the exact XML offline, and nothing has to be generated once and remembered.
// Secrets never enter the plan: their fields hold secretRef(name); substituteSecrets() puts values in.
import { sha256 } from "../providers/digest";
import type { ClusterConfig, FirewallRole, NetworkConfig } from "../config/types";
import { dhcpNetworksOf, networkByRole, staticIpv6Of } from "../config/types";
import { forNode } from "../providers/pfsense/elements/mirror";
import { ELEMENT_KIND_NAMES, type ElementItem, type ElementKindName } from "../providers/pfsense/elements/kinds";
import { isVirtioDevice } from "../providers/pfsense/elements/offloading";

export type SecretName = "carpPassword" | "xmlrpcPassword";

/** One element to write. `key` is the stable, human-readable identity of the item (same on both nodes). */
export type PlanItem = ElementItem & { key: string };

export type PlanItemKind = ElementKindName;

/** Apply order of the kinds (the cluster's stages follow it): the registry's order. */
export const PLAN_KIND_ORDER: readonly PlanItemKind[] = ELEMENT_KIND_NAMES;

const SECRET_PREFIX = "<secret:";

/** The placeholder a secret field holds inside the plan. */
export function secretRef(name: SecretName): string {
  return `${SECRET_PREFIX}${name}>`;
}

function secretNameOf(v: string): SecretName | undefined {
  if (v === secretRef("carpPassword")) return "carpPassword";
  if (v === secretRef("xmlrpcPassword")) return "xmlrpcPassword";
  return undefined;
}

function mapStrings(v: unknown, f: (s: string) => string): unknown {
  if (typeof v === "string") return f(v);
  if (Array.isArray(v)) return v.map((x) => mapStrings(x, f));
  if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mapStrings(x, f)]));
  return v;
}

/** The secrets an item's spec refers to. */
export function secretsUsedBy(item: PlanItem): SecretName[] {
  const used: SecretName[] = [];
  mapStrings(item, (s) => {
    const n = secretNameOf(s);
    if (n !== undefined && !used.includes(n)) used.push(n);
    return s;
  });
  return used;
}

/** The item with every secret reference replaced by `values[name]` (a real value, or a mask for display). */
export function substituteSecrets(item: PlanItem, values: Partial<Record<SecretName, string>>): PlanItem {
  return mapStrings(item, (s) => {
    const n = secretNameOf(s);
    if (n === undefined) return s;
    const v = values[n];
    if (v === undefined) throw new Error(`plan item ${item.key}: the secret pfsense-ha:${n} is needed but not set; set it with \`pulumi config set --secret pfsense-ha:${n} <value>\``);
    return v;
  }) as PlanItem;
}

/** Stable resource-name suffix of an item (never derived from a description or an address). */
export function planKeyOf(item: PlanItem): string {
  return item.key;
}

function sha256Of(parts: readonly (string | number)[]): string {
  return sha256(parts.join("\u0000"));
}

/** CARP VIP uniqid: 13 lowercase hex characters, like PHP uniqid(). */
export function vipUniqidOf(clusterName: string, network: string, vhid: number): string {
  return sha256Of(["carpVip", clusterName, network, vhid]).slice(0, 13);
}

// Trackers pfSense generates are (int)microtime(): ~1.7e9 today. Ours live in 4.0e9..4.29e9 (below pf's uint32
// ridentifier limit), a range microtime reaches only in 2096, so they never collide with a human's rule.
const TRACKER_BASE = 4_000_000_000;
const TRACKER_SPAN = 290_000_000;

/** Filter rule tracker for a rule purpose (e.g. "sync-pfsync"). */
export function ruleTrackerOf(clusterName: string, purpose: string): string {
  return String(TRACKER_BASE + (parseInt(sha256Of(["filterRule", clusterName, purpose]).slice(0, 12), 16) % TRACKER_SPAN));
}

/** Marker key of an outbound NAT rule for a source as written ("lan", "10.9.0.0/16"): 1-40 of [A-Za-z0-9_.-]. */
export function natKeyOf(clusterName: string, source: string): string {
  return `pfha-nat-${sha256Of(["outboundNat", clusterName, source]).slice(0, 12)}`;
}

/** Marker key of a port forward (portForwards[].name). */
export function portForwardKeyOf(clusterName: string, name: string): string {
  return `pfha-pf-${sha256Of(["portForward", clusterName, name]).slice(0, 12)}`;
}

/** A port forward's associated-rule-id, in get_unique_id()'s shape (uniqid("nat_", true): 14 hex, ".", 8 digits). */
export function associatedRuleIdOf(clusterName: string, name: string): string {
  const h = sha256Of(["portForwardRule", clusterName, name]);
  return `nat_${h.slice(0, 14)}.${String(parseInt(h.slice(14, 22), 16) % 100_000_000).padStart(8, "0")}`;
}

/** Marker key of a 1:1 NAT mapping (oneToOne[].name). */
export function oneToOneKeyOf(clusterName: string, name: string): string {
  return `pfha-1to1-${sha256Of(["oneToOne", clusterName, name]).slice(0, 12)}`;
}

/** Alias name holding both firewalls' sync addresses: [A-Za-z_][A-Za-z0-9_]{0,30}. */
export function syncAliasNameOf(clusterName: string): string {
  const slug = clusterName.replace(/[^A-Za-z0-9_]/g, "_");
  const name = `pfha_${slug}_sync`;
  return name.length <= 31 ? name : `pfha_${sha256Of(["alias", clusterName]).slice(0, 12)}_sync`;
}

/** pfSense gateway name of a network's upstream gateway: [A-Za-z0-9_], at most 31 (PFHA_WANGW). */
export function gatewayNameOf(network: string): string {
  return `PFHA_${network.toUpperCase().replace(/[^A-Z0-9_]/g, "_")}GW`.slice(0, 31);
}

/** pfSense interface descr: up to 22 of [A-Za-z0-9_], not numeric (interfaces.php); the role's when unusable. */
export function interfaceDescrOf(n: NetworkConfig): string {
  const d = n.description.replace(/[^A-Za-z0-9_]/g, "_").slice(0, 22);
  return /^[A-Za-z_]/.test(d) && !/^pkg_/.test(d) ? d : n.role.toUpperCase().replace(/[^A-Z0-9_]/g, "_").slice(0, 22);
}

function must<T>(v: T | undefined, what: string): T {
  if (v === undefined) throw new Error(`plan: ${what} is missing from the validated config; run \`npx pfsense-ha validate\``);
  return v;
}

/** The primary's items (forNode turns them into the secondary's). */
function primaryPlanOf(c: ClusterConfig, clusterName: string): PlanItem[] {
  const items: PlanItem[] = [];
  const fw = c.firewalls.primary;
  const sync = must(networkByRole(c, c.hasync.syncNetwork), `networks.${c.hasync.syncNetwork} (hasync.syncNetwork)`);
  const dedicatedSync = sync.role !== "lan";

  for (const n of c.networks) {
    items.push({
      key: `if-${n.role}`,
      kind: "interface",
      spec: {
        name: n.pfsenseInterface,
        device: must(fw.interfaces[n.role], `firewalls.primary.interfaces.${n.role}`),
        descr: interfaceDescrOf(n),
        enable: true,
        ipaddr: n.addresses.primary,
        subnetBits: n.prefix,
        // the interface's upstream (interfaces.php stores the gateway's name); the gateway item writes it too
        ...(n.gateway !== undefined ? { gateway: gatewayNameOf(n.role) } : {}),
        sync: dedicatedSync && n === sync,
        // the network's MTU (a VXLAN network: underlay - 50), like the VM's NIC; 1500 is pfSense's default
        ...(n.mtu !== 1500 ? { mtu: n.mtu } : {}),
        // per-node, non-CARP IPv6 (factory dhcp6/track6) removed as the GUI's IPv6 type None does; or Static IPv6
        ...(n.ipv6 === "none" ? { ipv6: "none" as const } : {}),
        ...(typeof n.ipv6 === "object" ? { ipv6: { address: n.ipv6.addresses.primary, prefix: n.ipv6.prefix } } : {}),
      },
    });
  }

  // Upstream gateways (networks[].gateway): without one a static WAN has no default route. The WAN's is the default.
  for (const n of c.networks) {
    if (n.gateway === undefined) continue;
    items.push({
      key: `gw-${n.role}`,
      kind: "gateway",
      spec: {
        name: gatewayNameOf(n.role),
        interface: n.pfsenseInterface,
        gateway: n.gateway,
        weight: 1,
        descr: `pfsense-ha: upstream gateway of ${n.role}`,
        defaultGateway: n.role === "wan",
      },
    });
  }

  // VirtIO NICs need hardware checksum offloading disabled (System > Advanced > Networking); per node: see firewallPlanOf.
  items.push({ key: "offloading", kind: "offloading", spec: { disableChecksumOffloading: true } });

  for (const n of c.networks) {
    for (const v of n.vips) {
      items.push({
        key: `vip-${n.role}-${v.vhid}`,
        kind: "carpVip",
        spec: {
          uniqid: vipUniqidOf(clusterName, n.role, v.vhid),
          interface: n.pfsenseInterface,
          vhid: v.vhid,
          advskew: c.carp.advskewPrimary,
          advbase: v.advbase,
          password: secretRef("carpPassword"),
          descr: v.description,
          subnet: v.address,
          subnetBits: n.prefix,
        },
      });
    }
    // the IPv6 CARP VIP: an ordinary CARP VIP with an IPv6 address and its own VHID on the interface
    const v6 = staticIpv6Of(n);
    if (v6 !== undefined) {
      items.push({
        key: `vip-${n.role}-${v6.vip.vhid}`,
        kind: "carpVip",
        spec: {
          uniqid: vipUniqidOf(clusterName, n.role, v6.vip.vhid),
          interface: n.pfsenseInterface,
          vhid: v6.vip.vhid,
          advskew: c.carp.advskewPrimary,
          advbase: v6.vip.advbase,
          password: secretRef("carpPassword"),
          descr: v6.vip.description,
          subnet: v6.vip.address,
          subnetBits: v6.prefix,
        },
      });
    }
  }

  items.push({
    key: "hasync",
    kind: "haSync",
    spec: {
      pfsyncInterface: sync.pfsenseInterface,
      pfsyncPeerIp: sync.addresses.secondary,
      xmlrpc: {
        synchronizeToIp: sync.addresses.secondary,
        username: c.hasync.username,
        password: secretRef("xmlrpcPassword"),
        disabledOptions: Object.keys(c.hasync.options).filter((o) => !c.hasync.options[o]),
        webguiPort: c.hasync.webguiPort,
      },
    },
    primarySyncIp: sync.addresses.primary,
  });

  // pfsync and XMLRPC (the primary's webGUI port: xmlrpc_client.inc connects to it; the hasync item checks it against
  // the primary's config) from either firewall's sync address to the firewall itself, first on the sync interface:
  // they must pass whatever the user's own rules there say.
  const alias = syncAliasNameOf(clusterName);
  items.push({
    key: "alias-sync",
    kind: "alias",
    spec: { name: alias, type: "host", addresses: [sync.addresses.primary, sync.addresses.secondary], descr: "pfsense-ha: both firewalls' sync addresses" },
  });
  const pfsyncTracker = ruleTrackerOf(clusterName, "sync-pfsync");
  items.push({
    key: "rule-sync-pfsync",
    kind: "filterRule",
    spec: {
      tracker: pfsyncTracker,
      type: "pass",
      interface: sync.pfsenseInterface,
      ipprotocol: "inet",
      protocol: "pfsync",
      source: { address: alias },
      destination: { network: "(self)" },
      descr: "pfsync state sync between the HA peers",
      position: { top: true },
    },
  });
  items.push({
    key: "rule-sync-xmlrpc",
    kind: "filterRule",
    spec: {
      tracker: ruleTrackerOf(clusterName, "sync-xmlrpc"),
      type: "pass",
      interface: sync.pfsenseInterface,
      ipprotocol: "inet",
      protocol: "tcp",
      source: { address: alias },
      destination: { network: "(self)", port: String(c.hasync.webguiPort) },
      descr: "XMLRPC config sync between the HA peers",
      position: { afterTracker: pfsyncTracker },
    },
  });

  const wan = must(networkByRole(c, "wan"), "networks.wan");
  for (const s of c.nat.sources) {
    const wanVip = must(wan.vips[0], "networks.wan.vip (outbound NAT translates to it)");
    items.push({
      key: `nat-${s.source.replace(/[^A-Za-z0-9_.-]/g, "_")}`,
      kind: "outboundNat",
      spec: {
        key: natKeyOf(clusterName, s.source),
        sourceNetwork: s.cidr,
        interface: wan.pfsenseInterface,
        targetVip: wanVip.address,
        descr: `pfsense-ha: ${s.source} to the WAN CARP VIP`,
        // pf takes the first matching NAT rule: ours go before a human's broader rule unless nat.position says bottom
        ...(c.nat.position === "bottom" ? { position: "bottom" as const } : {}),
      },
    });
  }

  // Services on the WAN VIP: each forward's NAT rule and linked filter rule, and 1:1 mappings, all copied verbatim
  // to the secondary by the XMLRPC sync (nat + filter sections).
  for (const p of c.portForwards ?? []) {
    items.push({
      key: `pf-${p.name}`,
      kind: "portForward",
      spec: {
        key: portForwardKeyOf(clusterName, p.name),
        associatedRuleId: associatedRuleIdOf(clusterName, p.name),
        tracker: ruleTrackerOf(clusterName, `port-forward-${p.name}`),
        interface: wan.pfsenseInterface,
        protocol: p.protocol,
        destination: p.vip,
        externalPort: p.port[0] === p.port[1] ? String(p.port[0]) : `${p.port[0]}-${p.port[1]}`,
        target: p.target,
        localPort: String(p.targetPort),
        descr: p.description,
      },
    });
  }
  for (const m of c.oneToOne ?? []) {
    items.push({
      key: `1to1-${m.name}`,
      kind: "oneToOne",
      spec: { key: oneToOneKeyOf(clusterName, m.name), interface: wan.pfsenseInterface, external: m.external, internal: m.internal, descr: m.description },
    });
  }

  // Existing VPN instances on a network's VIP (interface _vip<uniqid>, as the GUI writes it), so they follow the MASTER.
  for (const vpn of ["openvpn", "ipsec"] as const) {
    for (const b of c.vpn?.[vpn] ?? []) {
      const n = must(networkByRole(c, b.network), `networks.${b.network} (vpn.${vpn})`);
      const vip = must(n.vips.find((v) => v.vhid === b.vhid), `networks.${n.role}.vip with vhid ${b.vhid} (vpn.${vpn})`);
      items.push({
        key: `vpn-${vpn}-${b.id}`,
        kind: "vpnBinding",
        spec: { vpn, id: b.id, vipUniqid: vipUniqidOf(clusterName, n.role, vip.vhid), vipAddress: vip.address },
      });
    }
  }

  // One DHCP server per network with `dhcp` (item key dhcp-<role>, as before the per-network setting): switched on,
  // gateway and DNS = the network's VIP, the failover peer only with failover.
  for (const n of dhcpNetworksOf(c)) {
    const vip = must(n.vips[0], `networks.${n.role}.vip (the DHCP server hands it out as gateway and DNS)`);
    items.push({
      key: `dhcp-${n.role}`,
      kind: "dhcpFailover",
      spec: {
        interface: n.pfsenseInterface,
        rangeFrom: n.dhcp.rangeFrom,
        rangeTo: n.dhcp.rangeTo,
        gateway: vip.address,
        dnsServers: [vip.address],
        ...(n.dhcp.failover ? { failoverPeerIp: n.addresses.secondary } : {}),
        role: "primary",
        advskew: c.carp.advskewPrimary,
      },
      primaryIp: n.addresses.primary,
    });
  }
  return items;
}

/** The interface item for `role`: the node's own device and address (not synced by XMLRPC). */
function interfaceForRole(c: ClusterConfig, item: PlanItem & { kind: "interface" }, role: FirewallRole): PlanItem {
  const n = c.networks.find((x) => x.pfsenseInterface === item.spec.name) as NetworkConfig;
  const device = must(c.firewalls[role].interfaces[n.role], `firewalls.${role}.interfaces.${n.role}`);
  const v6 = staticIpv6Of(n);
  return { ...item, spec: { ...item.spec, device, ipaddr: n.addresses[role], ...(v6 !== undefined ? { ipv6: { address: v6.addresses[role], prefix: v6.prefix } } : {}) } };
}

/** Everything pfSense-side the stack writes on the `role` firewall, in apply order. */
export function firewallPlanOf(config: ClusterConfig, clusterName: string, role: FirewallRole): PlanItem[] {
  const virtio = Object.values(config.firewalls[role].interfaces).some(isVirtioDevice);
  return primaryPlanOf(config, clusterName).filter((item) => item.kind !== "offloading" || virtio).map((item) => {
    if (item.kind === "interface") return interfaceForRole(config, item, role);
    return forNode(role, item);
  });
}
