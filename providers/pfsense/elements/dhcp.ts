// ISC DHCP server HA keys in <dhcpd><if> (services_dhcp.php): the pool <range><from>/<to> (it must lie inside the
// interface's subnet, or dhcpd refuses to start), gateway and DNS = the LAN CARP VIP, failover_peerip = the other
// node. Only these keys are touched. services.inc picks the failover role from the interface's CARP advskew: a node
// is the DHCP primary only when its skew is below 20 (`intval($vipent['advskew']) < 20`, 2.7.2 and the 24.1 tree),
// so the primary's skew must be at most 19 and the secondary's at least 20. Kea (2.8 dhcpbackend=kea) has its own
// HA model and no ISC failover: refused.
import type { PfConfigDoc, PfElement } from "../codec";
import { child, childrenByTag, ensurePath, getPath, insertChild, leaf, removeChild, textIn } from "../codec-tree";
import { ChangeLog, ElementInputError, checkPfIfName, checkInt, checkIpv4, type EditResult } from "./common";
import { ipv4ToInt, isIpv4 } from "../../../config/ipv4";

export interface DhcpFailoverSpec {
  interface: string;
  /** The address pool, inside the interface's subnet (XMLRPC sync copies it verbatim). */
  rangeFrom: string;
  rangeTo: string;
  gateway: string;
  dnsServers: string[];
  failoverPeerIp: string;
  role: "primary" | "secondary";
  /** This node's CARP advskew on the interface. */
  advskew: number;
}

export function dhcpBackendOf(doc: PfConfigDoc): string {
  return textIn(doc, getPath(doc.root, "dhcpbackend")) ?? textIn(doc, getPath(doc.root, "system/dhcpbackend")) ?? "isc";
}

/** The checks that need no config (run before any host is touched). */
export function validateDhcpFailoverSpec(spec: DhcpFailoverSpec): void {
  checkPfIfName("interface", spec.interface);
  checkIpv4("rangeFrom", spec.rangeFrom);
  checkIpv4("rangeTo", spec.rangeTo);
  if (ipv4ToInt(spec.rangeFrom) > ipv4ToInt(spec.rangeTo)) {
    throw new ElementInputError("rangeTo", spec.rangeTo, `it is below rangeFrom (${spec.rangeFrom}); swap rangeFrom and rangeTo`);
  }
  checkIpv4("gateway", spec.gateway);
  if (spec.dnsServers.length === 0 || spec.dnsServers.length > 4) throw new ElementInputError("dnsServers", spec.dnsServers, "give 1 to 4 DNS servers (normally the LAN CARP VIP)");
  spec.dnsServers.forEach((d, i) => checkIpv4(`dnsServers[${i}]`, d));
  checkIpv4("failoverPeerIp", spec.failoverPeerIp);
  if (spec.role !== "primary" && spec.role !== "secondary") throw new ElementInputError("role", spec.role, "use primary or secondary");
  checkInt("advskew", spec.advskew, 0, 254);
  if (spec.role === "secondary" && spec.advskew < 20) {
    throw new ElementInputError("advskew", spec.advskew, "the secondary's CARP skew must be 20 or more (pfSense makes a node with a skew below 20 the DHCP primary, services.inc); use the primary's skew + 100");
  }
  if (spec.role === "primary" && spec.advskew >= 20) {
    throw new ElementInputError("advskew", spec.advskew, "the primary's CARP skew must be 19 or less: pfSense makes a node the DHCP primary only when its skew is below 20 (services.inc)");
  }
}

export function validateDhcpFailover(doc: PfConfigDoc, spec: DhcpFailoverSpec): void {
  validateDhcpFailoverSpec(spec);
  const backend = dhcpBackendOf(doc);
  if (backend === "kea") {
    throw new Error(`dhcpbackend: "kea" is set on this firewall; DHCP failover here uses ISC dhcpd (Kea has no ISC failover): switch System > Advanced > Networking > DHCP backend to ISC`);
  }
  const section = getPath(doc.root, `dhcpd/${spec.interface}`);
  if (section === undefined || section.children === null) {
    throw new Error(`interface: no DHCP server section dhcpd/${spec.interface} exists; enable the DHCP server on ${spec.interface} first`);
  }
  // services_dhcp.php: the range must be inside the interface's subnet (checked against the box's own address)
  const ip = textIn(doc, getPath(doc.root, `interfaces/${spec.interface}/ipaddr`)) ?? "";
  const bits = Number(textIn(doc, getPath(doc.root, `interfaces/${spec.interface}/subnet`)));
  if (!isIpv4(ip) || !Number.isInteger(bits) || bits < 1 || bits > 32) {
    throw new Error(`interface: ${spec.interface} has no static IPv4 address on this firewall (${JSON.stringify(ip)}); give it one (PfSenseInterface) before the DHCP range`);
  }
  const mask = bits === 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
  const net = (ipv4ToInt(ip) & mask) >>> 0;
  for (const [field, v] of [["rangeFrom", spec.rangeFrom], ["rangeTo", spec.rangeTo]] as const) {
    if (((ipv4ToInt(v) & mask) >>> 0) !== net) {
      throw new ElementInputError(field, v, `it is outside ${spec.interface}'s subnet (${ip}/${bits}); use an address range inside that subnet`);
    }
  }
}

export function upsertDhcpFailover(doc: PfConfigDoc, spec: DhcpFailoverSpec): EditResult {
  validateDhcpFailover(doc, spec);
  const s = getPath(doc.root, `dhcpd/${spec.interface}`) as PfElement;
  const log = new ChangeLog(doc, `dhcpd ${spec.interface}`);
  const range = ensurePath(s, "range");
  log.value(range, "from", spec.rangeFrom, { index: 0 });
  log.value(range, "to", spec.rangeTo, { index: 1 });
  log.value(s, "gateway", spec.gateway);
  const have = childrenByTag(s, "dnsserver");
  const haveText = have.map((e) => textIn(doc, e));
  if (JSON.stringify(haveText) !== JSON.stringify(spec.dnsServers)) {
    // dnsserver is a list tag: one element per server, kept where the first one was
    const at = have.length > 0 ? (s.children as PfElement[]).indexOf(have[0]) : undefined;
    have.forEach((e) => removeChild(s, e));
    spec.dnsServers.forEach((d, i) => insertChild(s, leaf(doc, "dnsserver", d), at === undefined ? undefined : at + i));
    log.note(`dnsserver: ${JSON.stringify(haveText)} -> ${JSON.stringify(spec.dnsServers)}`);
  }
  log.value(s, "failover_peerip", spec.failoverPeerIp);
  return log.result();
}

/** Clears our keys (gateway, dnsserver, failover_peerip); the rest of the DHCP server, the range too, stays. */
export function removeDhcpFailover(doc: PfConfigDoc, iface: string): boolean {
  const s = getPath(doc.root, `dhcpd/${iface}`);
  if (s === undefined || s.children === null) return false;
  const ours = s.children.filter((e) => e.tag === "gateway" || e.tag === "dnsserver" || e.tag === "failover_peerip");
  ours.forEach((e) => removeChild(s, e));
  return ours.length > 0;
}

export function readDhcpFailover(doc: PfConfigDoc, iface: string): Omit<DhcpFailoverSpec, "role" | "advskew"> | undefined {
  const s = getPath(doc.root, `dhcpd/${iface}`);
  if (s === undefined || child(s, "failover_peerip") === undefined) return undefined;
  return {
    interface: iface,
    rangeFrom: textIn(doc, getPath(s, "range/from")) ?? "", rangeTo: textIn(doc, getPath(s, "range/to")) ?? "",
    gateway: textIn(doc, child(s, "gateway")) ?? "",
    dnsServers: childrenByTag(s, "dnsserver").map((e) => textIn(doc, e) ?? ""), failoverPeerIp: textIn(doc, child(s, "failover_peerip")) ?? "",
  };
}
