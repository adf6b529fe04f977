// The ISC DHCP server of one interface, <dhcpd><if> (services_dhcp.php): the server switched on (<enable/>), the pool
// <range><from>/<to> (inside the interface's subnet, or dhcpd refuses to start), gateway and DNS = the network's CARP
// VIP, and, only with failover, failover_peerip = the other node. Only these keys are touched: static maps, options,
// domain and the rest of a server a human set up stay as they are. services.inc picks the failover role from the
// interface's CARP advskew: a node is the DHCP primary only when its skew is below 20
// (`intval($vipent['advskew']) < 20`, 2.7.2 and the 24.1 tree), so with failover the primary's skew must be at most
// 19 and the secondary's at least 20. Kea (2.8 dhcpbackend=kea) has its own HA model and no ISC failover: refused.
import type { PfConfigDoc, PfElement } from "../codec";
import { child, childrenByTag, ensurePath, getPath, hasFlag, insertChild, leaf, removeChild, textIn } from "../codec-tree";
import { ChangeLog, ElementInputError, checkPfIfName, checkInt, checkIpv4, type EditResult } from "./common";
import { ipv4ToInt, isIpv4 } from "../../../config/ipv4";
import { secondarySkew, type ElementDescriptor } from "./descriptor";

export interface DhcpFailoverSpec {
  interface: string;
  /** The address pool, inside the interface's subnet (XMLRPC sync copies it verbatim). */
  rangeFrom: string;
  rangeTo: string;
  gateway: string;
  dnsServers: string[];
  /** The other node's address on the interface; absent = no failover (a plain server on each node). */
  failoverPeerIp?: string;
  role: "primary" | "secondary";
  /** This node's CARP advskew on the interface (decides the failover role; unused without failover). */
  advskew: number;
  /** Only in what `read` found: the server is switched off on the box (drift). Never part of a desired spec. */
  disabled?: true;
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
  if (spec.role !== "primary" && spec.role !== "secondary") throw new ElementInputError("role", spec.role, "use primary or secondary");
  checkInt("advskew", spec.advskew, 0, 254);
  if (spec.disabled !== undefined) throw new ElementInputError("disabled", spec.disabled, "leave it out: the stack always switches the DHCP server on (remove the network's dhcp setting to stop managing it)");
  const taken = [["gateway", spec.gateway], ...(spec.failoverPeerIp === undefined ? [] : [["failoverPeerIp", spec.failoverPeerIp]])];
  for (const [field, ip] of taken) {
    if (isIpv4(ip) && ipv4ToInt(ip) >= ipv4ToInt(spec.rangeFrom) && ipv4ToInt(ip) <= ipv4ToInt(spec.rangeTo)) {
      throw new ElementInputError("rangeFrom", `${spec.rangeFrom}-${spec.rangeTo}`, `it includes the ${field} ${ip}; move the range so it excludes the firewalls' addresses and the VIP`);
    }
  }
  if (spec.failoverPeerIp === undefined) return; // no failover: the skew does not matter
  checkIpv4("failoverPeerIp", spec.failoverPeerIp);
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
  if (ipv4ToInt(ip) >= ipv4ToInt(spec.rangeFrom) && ipv4ToInt(ip) <= ipv4ToInt(spec.rangeTo)) {
    throw new ElementInputError("rangeFrom", `${spec.rangeFrom}-${spec.rangeTo}`, `it includes this firewall's own ${spec.interface} address ${ip}; move the range so it excludes the firewalls' addresses`);
  }
}

export function upsertDhcpFailover(doc: PfConfigDoc, spec: DhcpFailoverSpec): EditResult {
  validateDhcpFailover(doc, spec);
  const log = new ChangeLog(doc, `dhcpd ${spec.interface}`);
  if (getPath(doc.root, `dhcpd/${spec.interface}`) === undefined) log.note("server created");
  const s = ensurePath(doc.root, `dhcpd/${spec.interface}`);
  log.flag(s, "enable", true, 0);
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
  if (spec.failoverPeerIp !== undefined) {
    log.value(s, "failover_peerip", spec.failoverPeerIp);
  } else {
    const peer = child(s, "failover_peerip");
    if (peer !== undefined) {
      removeChild(s, peer);
      log.note(`failover_peerip: ${JSON.stringify(textIn(doc, peer))} -> (absent)`);
    }
  }
  return log.result();
}

/**
 * Clears our keys (gateway, dnsserver, failover_peerip); the rest of the DHCP server, the range and the enable flag
 * too, stays: the server keeps serving (with the node's own address as gateway/DNS) until a human switches it off.
 */
export function removeDhcpFailover(doc: PfConfigDoc, iface: string): boolean {
  const s = getPath(doc.root, `dhcpd/${iface}`);
  if (s === undefined || s.children === null) return false;
  const ours = s.children.filter((e) => e.tag === "gateway" || e.tag === "dnsserver" || e.tag === "failover_peerip");
  ours.forEach((e) => removeChild(s, e));
  return ours.length > 0;
}

/**
 * Our keys as found, or undefined when none of them (gateway, dnsserver, failover_peerip) is there: the server was
 * never ours or a human cleared it. A server switched off reads with `disabled: true`, a removed peer without
 * failoverPeerIp: both are drift the next update repairs.
 */
export function readDhcpFailover(doc: PfConfigDoc, iface: string): Omit<DhcpFailoverSpec, "role" | "advskew"> | undefined {
  const s = getPath(doc.root, `dhcpd/${iface}`);
  if (s === undefined || s.children === null) return undefined;
  const peer = child(s, "failover_peerip");
  if (peer === undefined && child(s, "gateway") === undefined && child(s, "dnsserver") === undefined) return undefined;
  return {
    interface: iface,
    rangeFrom: textIn(doc, getPath(s, "range/from")) ?? "", rangeTo: textIn(doc, getPath(s, "range/to")) ?? "",
    gateway: textIn(doc, child(s, "gateway")) ?? "",
    dnsServers: childrenByTag(s, "dnsserver").map((e) => textIn(doc, e) ?? ""),
    ...(peer === undefined ? {} : { failoverPeerIp: textIn(doc, peer) ?? "" }),
    ...(hasFlag(s, "enable") ? {} : { disabled: true as const }),
  };
}

/**
 * DhcpFailover (name kept for existing stacks): one ISC DHCP server, identified by its interface. Skew rules are
 * checked before any host is touched; the Kea refusal and the range inside the box's own subnet need its config.
 * The secondary's is what rc.filter_synchronize (synchronizedhcpd) sends: the whole dhcpd section as is, except
 * that a server with a failover_peerip gets the primary's own interface address as failover_peerip (`primaryIp`);
 * a server without failover has none on either node.
 */
export const dhcpFailoverElement: ElementDescriptor<DhcpFailoverSpec, { primaryIp: string }> = {
  resource: "DhcpFailover",
  provider: "dhcpFailover",
  component: { name: "DhcpFailover", previous: ["pfsense-ha:pfsense:DhcpFailoverComponent"] },
  section: "dhcp",
  secretSpec: false,
  normalize: (_old, spec) => spec,
  identity: (s) => s.interface,
  validate: (s) => validateDhcpFailoverSpec(s),
  upsert: (doc, s) => upsertDhcpFailover(doc, s),
  remove: (doc, s) => void removeDhcpFailover(doc, s.interface),
  read: (doc, s) => {
    // Found while any of our keys is there: a peer removed by hand or the server switched off is drift, not gone.
    const found = readDhcpFailover(doc, s.interface);
    // role and skew are not stored in dhcpd (services.inc derives the role from the CARP skew): keep ours
    return found === undefined ? undefined : { ...found, role: s.role, advskew: s.advskew };
  },
  secrets: () => [],
  mirror: (item) => ({
    ...item,
    spec: { ...item.spec, ...(item.spec.failoverPeerIp !== undefined ? { failoverPeerIp: item.primaryIp } : {}), role: "secondary", advskew: secondarySkew(item.spec.advskew) },
  }),
};
