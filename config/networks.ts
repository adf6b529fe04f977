// Reads `cluster.networks` (one entry per role) and checks what must hold between networks. Pure.
import { broadcastOf, inSubnet, ipv4ToInt, networkOf, parseCidr, subnetOf, subnetsOverlap, type Ipv4Cidr } from "./ipv4";
import { inSubnet6, lastOf6, networkOf6, normalizeIpv6, parseCidr6, subnetOf6, type Ipv6Cidr } from "./ipv6";
import { Reader, isPlainObject, kindOf } from "./reader";
import {
  checkAdvbase,
  checkCidr,
  checkLinuxIfName,
  checkIpv4,
  checkMtu,
  checkPfsenseInterface,
  checkUdpPort,
  checkUplinkName,
  checkVhid,
  checkVni,
} from "./rules";
import { FIREWALL_ROLES, type NetworkConfig, type VipConfig, type VxlanConfig } from "./types";

export const NETWORK_KEYS = [
  "bridge",
  "uplink",
  "vxlan",
  "mtu",
  "vlanAware",
  "pfsenseInterface",
  "description",
  "subnet",
  "gateway",
  "addresses",
  "vip",
  "nic",
  "ipv6",
  "dhcp", // read by config/validate.ts (it needs the CARP settings)
] as const;
const VXLAN_KEYS = ["key", "dstPort", "bfd"] as const;
const VIP_KEYS = ["address", "vhid", "advbase", "description"] as const;

/**
 * NIC order: wan, lan, sync, then the extra networks by their `nic` index (without one: after those with one, by
 * role name). Never the written key order: the Pulumi CLI hands the config to the program as JSON with sorted keys.
 */
export function nicOrder(roles: readonly string[], nicOf: (role: string) => number | undefined = () => undefined): string[] {
  const fixed = ["wan", "lan", "sync"].filter((r) => roles.includes(r));
  const rank = (r: string) => nicOf(r) ?? Number.MAX_SAFE_INTEGER;
  const extras = roles.filter((r) => !fixed.includes(r)).sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  return [...fixed, ...extras];
}

/** Checks `nic` of the extra networks: required with two or more, a permutation of the NIC indexes after the fixed ones. */
function readNicIndexes(r: Reader, key: string, o: Record<string, unknown>): Map<string, number> {
  const roles = Object.keys(o);
  const first = ["wan", "lan", "sync"].filter((x) => roles.includes(x)).length;
  const extras = roles.filter((x) => !["wan", "lan", "sync"].includes(x)).sort();
  const range = extras.length === 0 ? "" : `${first}..${first + extras.length - 1}`;
  const out = new Map<string, number>();
  for (const role of roles) {
    const raw = isPlainObject(o[role]) ? (o[role] as Record<string, unknown>).nic : undefined;
    const k = `${key}.${role}.nic`;
    if (!extras.includes(role)) {
      if (raw !== undefined) r.add(k, raw, `is fixed for the ${role} network (wan 0, lan 1, sync 2)`, `remove ${k}`);
      continue;
    }
    if (raw === undefined) {
      if (extras.length > 1) {
        r.add(k, undefined, "is required when there are two or more extra networks: their order must be explicit (the Pulumi CLI passes the config with its keys sorted, so the written order is lost)", `set ${k} to the network's VM NIC index, one of ${range} (wan 0, lan 1, sync 2, then the extra networks)`);
      }
      continue;
    }
    if (typeof raw !== "number" || !Number.isInteger(raw) || raw < first || raw > first + extras.length - 1) {
      r.add(k, raw, "is not a free NIC index", `use one of ${range}: the NICs after wan, lan${first > 2 ? ", sync" : ""}, one per extra network`);
      continue;
    }
    const other = [...out.entries()].find(([, n]) => n === raw)?.[0];
    if (other !== undefined) {
      r.add(k, raw, `is also ${key}.${other}.nic`, `give each extra network its own index in ${range}`);
      continue;
    }
    out.set(role, raw);
  }
  return out;
}

export interface NetworkContext {
  /** Smallest underlay MTU of the Proxmox nodes: a VXLAN network's MTU must leave 50 bytes of it (undefined: no node readable, not checked). */
  underlayMtu: number | undefined;
  /** Cluster-wide CARP advbase default. */
  advbase: number;
}

export interface ReadNetworks {
  /** Valid networks in NIC order. */
  networks: NetworkConfig[];
  /** Every role written under `networks`, valid or not: references to an invalid one are not reported again. */
  declared: string[];
}

/** Reads every network; returns them in NIC order (entries with problems are left out). */
export function readNetworks(r: Reader, key: string, raw: unknown, ctx: NetworkContext): ReadNetworks {
  // Keys here are free role names, so there is no unknown-key check at this level.
  if (!isPlainObject(raw)) {
    r.add(key, raw === undefined ? undefined : kindOf(raw), raw === undefined ? "is required" : `must be an object (got ${kindOf(raw)})`, `add ${key} as a mapping of role -> network, e.g. {wan: {...}, lan: {...}}`);
    return { networks: [], declared: [] };
  }
  const o = raw;
  for (const role of ["wan", "lan"]) {
    if (!(role in o)) r.add(`${key}.${role}`, undefined, `the ${role.toUpperCase()} network is required`, `add ${key}.${role} with bridge, subnet and addresses`);
  }
  const nics = readNicIndexes(r, key, o);
  const order = nicOrder(Object.keys(o), (role) => nics.get(role));
  let nextOpt = 1;
  const out: NetworkConfig[] = [];
  for (const role of order) {
    const defaultIf = role === "wan" || role === "lan" ? role : `opt${nextOpt++}`;
    const n = readNetwork(r, `${key}.${role}`, role, o[role], defaultIf, ctx);
    if (n) out.push(n);
  }
  return { networks: out, declared: order };
}

function readNetwork(r: Reader, key: string, role: string, raw: unknown, defaultIf: string, ctx: NetworkContext): NetworkConfig | undefined {
  if (!/^[a-z][a-z0-9_-]{0,30}$/.test(role)) {
    r.add(key, role, "is not a valid network role name", "use lower-case letters, digits, _ and -, starting with a letter (e.g. dmz)");
  }
  const o = r.object(key, raw, NETWORK_KEYS, true, `{bridge: "vmbr1", subnet: "192.0.2.0/24", addresses: {primary: "192.0.2.2", secondary: "192.0.2.3"}}`);
  if (!o) return undefined;
  const bridge = r.checked(`${key}.bridge`, o.bridge, checkLinuxIfName, true, `"vmbr1"`);
  const uplink = r.checked(`${key}.uplink`, o.uplink, (k, v) => [...checkLinuxIfName(k, v), ...checkUplinkName(k, v)], false, `"eno1"`);
  const vxlan = readVxlan(r, `${key}.vxlan`, o.vxlan);
  const maxVxlanMtu = (ctx.underlayMtu ?? 1500) - 50;
  const mtu = r.integer(`${key}.mtu`, o.mtu, checkMtu, vxlan ? maxVxlanMtu : 1500);
  if (vxlan && ctx.underlayMtu !== undefined && mtu !== undefined && o.mtu !== undefined && mtu > maxVxlanMtu) {
    r.add(
      `${key}.mtu`,
      mtu,
      `is too large for a VXLAN-stretched network: VXLAN adds 50 bytes and the underlay MTU is ${ctx.underlayMtu}, so oversized frames would be silently dropped`,
      `set ${key}.mtu to at most ${maxVxlanMtu}, or raise the Proxmox nodes' underlayMtu to at least ${mtu + 50}`,
    );
  }
  if (o.vlanAware !== undefined) {
    // Proxmox has VLAN awareness only for Linux bridges (bridge-vlan-aware); an OVS bridge always carries every VLAN
    // and the tag is set on the VM's network device. The key did nothing and is no longer accepted.
    r.add(
      `${key}.vlanAware`,
      o.vlanAware,
      "is no longer a setting: OVS bridges always carry every VLAN (Proxmox's VLAN-aware option exists only for Linux bridges)",
      `remove ${key}.vlanAware; to use VLANs, set the tag on the VM's network device or add an OVS IntPort with a VLAN tag in Proxmox`,
    );
  }
  const pfsenseInterface = r.checked(`${key}.pfsenseInterface`, o.pfsenseInterface ?? defaultIf, checkPfsenseInterface, true, `"opt1"`);
  if (role === "wan" && pfsenseInterface && pfsenseInterface !== "wan") {
    r.add(`${key}.pfsenseInterface`, pfsenseInterface, `the WAN network must be pfSense's "wan" interface`, `remove ${key}.pfsenseInterface or set it to "wan"`);
  }
  const description = typeof o.description === "string" ? o.description : role.toUpperCase();
  const subnetRaw = r.checked(`${key}.subnet`, o.subnet, checkCidr, true, `"192.0.2.0/24"`);
  const cidr = subnetRaw ? parseCidr(subnetRaw) : undefined;
  if (cidr && cidr.prefix > 30) {
    r.add(`${key}.subnet`, subnetRaw, "leaves no room for two firewall addresses", `use a /30 or larger network (prefix 30 or less)`);
  }
  const usable = cidr && cidr.prefix <= 30 ? cidr : undefined;
  const gateway = r.checked(`${key}.gateway`, o.gateway, checkIpv4, false, `"192.0.2.1"`);
  if (gateway && usable) checkHostInSubnet(r, `${key}.gateway`, gateway, usable);

  const addresses: Partial<Record<(typeof FIREWALL_ROLES)[number], string>> = {};
  const ao = r.object(`${key}.addresses`, o.addresses, FIREWALL_ROLES, true, `{primary: "192.0.2.2", secondary: "192.0.2.3"}`);
  if (ao) {
    for (const fw of FIREWALL_ROLES) {
      const a = r.checked(`${key}.addresses.${fw}`, ao[fw], checkIpv4, true, `"192.0.2.2"`);
      if (a && usable) checkHostInSubnet(r, `${key}.addresses.${fw}`, a, usable);
      if (a) addresses[fw] = a;
    }
    if (addresses.primary && addresses.primary === addresses.secondary) {
      r.add(`${key}.addresses.secondary`, addresses.secondary, "is the same address as the primary's: duplicate node address", "give each firewall its own address in the subnet");
    }
    if (gateway) {
      for (const fw of FIREWALL_ROLES) {
        if (addresses[fw] === gateway) r.add(`${key}.addresses.${fw}`, gateway, "equals the upstream gateway", `give the ${fw} firewall an address other than ${key}.gateway`);
      }
    }
  }

  const vips = readVips(r, `${key}.vip`, o.vip, ctx.advbase, role);
  const ipv6 = readIpv6Choice(r, `${key}.ipv6`, o.ipv6, role, ctx.advbase, vips);
  for (const [i, v] of vips.entries()) {
    const vk = Array.isArray(o.vip) ? `${key}.vip[${i}]` : `${key}.vip`;
    if (usable) checkHostInSubnet(r, `${vk}.address`, v.address, usable, "VIP");
    for (const fw of FIREWALL_ROLES) {
      if (addresses[fw] === v.address) {
        r.add(`${vk}.address`, v.address, `equals the ${fw} firewall's own address: a CARP VIP must be a third address`, `pick an unused address in ${subnetRaw ?? "the subnet"} for the VIP`);
      }
    }
    if (gateway === v.address) r.add(`${vk}.address`, v.address, "equals the upstream gateway", "pick an unused address in the subnet for the VIP");
    for (let j = 0; j < i; j++) {
      if (v.vhid !== 0 && vips[j].vhid === v.vhid) {
        r.add(`${vk}.vhid`, v.vhid, `is used twice on the ${role} interface`, `give each VIP on one interface its own VHID (1-255)`);
      }
      if (vips[j].address === v.address) r.add(`${vk}.address`, v.address, `is listed twice on the ${role} interface`, "remove the duplicate VIP");
    }
  }
  // A network with problems in optional parts is still returned, so the cross-network checks can see it; the
  // cluster as a whole is only returned when there are no problems at all.
  const badOptional = (o.uplink !== undefined && !uplink) || (o.vxlan !== undefined && !vxlan);
  if (!bridge || !pfsenseInterface || !cidr || !addresses.primary || !addresses.secondary || mtu === undefined || badOptional || ipv6 === undefined) {
    return undefined;
  }
  const n: NetworkConfig = {
    role,
    bridge,
    mtu,
    pfsenseInterface,
    description,
    subnet: subnetOf(cidr),
    prefix: cidr.prefix,
    addresses: { primary: addresses.primary, secondary: addresses.secondary },
    vips,
    ipv6,
  };
  if (uplink) n.uplink = uplink;
  if (vxlan) n.vxlan = vxlan;
  if (gateway) n.gateway = gateway;
  return n;
}

function checkHostInSubnet(r: Reader, key: string, ip: string, c: Ipv4Cidr, what = "address"): void {
  const subnet = subnetOf(c);
  if (!inSubnet(ip, c)) {
    r.add(key, ip, `${what} is outside its interface's subnet ${subnet}`, `use an address inside ${subnet}, or correct the subnet`);
  } else if (ip === networkOf(c)) {
    r.add(key, ip, `${what} is the network address of ${subnet}`, `use a host address between ${networkOf(c)} and ${broadcastOf(c)} (exclusive)`);
  } else if (ip === broadcastOf(c)) {
    r.add(key, ip, `${what} is the broadcast address of ${subnet}`, `use a host address between ${networkOf(c)} and ${broadcastOf(c)} (exclusive)`);
  }
}

/**
 * IPv6 is an explicit choice: "none" (default) removes the factory's per-node dhcp6/track6, which are not CARP-aware
 * (the 24.1 tree even adds a WAN_DHCP6 gateway by itself); "unmanaged" leaves a human's IPv6 as it is; an object
 * gives both firewalls a static IPv6 address and the network an IPv6 CARP VIP.
 */
const IPV6_EXAMPLE = `{subnet: "2001:db8:1::/64", addresses: {primary: "2001:db8:1::2", secondary: "2001:db8:1::3"}, vip: {address: "2001:db8:1::1", vhid: 11}}`;
const IPV6_KEYS = ["subnet", "addresses", "vip"] as const;

function readIpv6Choice(r: Reader, key: string, raw: unknown, role: string, advbase: number, v4Vips: readonly VipConfig[]): NetworkConfig["ipv6"] | undefined {
  if (raw === undefined || raw === null || raw === "none") return "none";
  if (raw === "unmanaged") return "unmanaged";
  if (!isPlainObject(raw)) {
    r.add(
      key,
      raw,
      `is not an IPv6 choice: use "none" (default: no IPv6 on this interface, as the GUI's IPv6 type None), "unmanaged" (leave the interface's IPv6 as configured by hand) or static IPv6 with a CARP VIP`,
      `set ${key} to none, unmanaged or ${IPV6_EXAMPLE}`,
    );
    return undefined;
  }
  const o = r.object(key, raw, IPV6_KEYS, true, IPV6_EXAMPLE);
  if (!o) return undefined;
  let cidr: Ipv6Cidr | undefined;
  if (o.subnet === undefined) r.add(`${key}.subnet`, undefined, "is required", `add ${key}.subnet, the network's IPv6 prefix, e.g. "2001:db8:1::/64"`);
  else {
    cidr = parseCidr6(o.subnet);
    if (!cidr) r.add(`${key}.subnet`, o.subnet, "is not an IPv6 prefix", `write the prefix as address/length, e.g. "2001:db8:1::/64"`);
    else if (cidr.prefix < 1 || cidr.prefix > 125) {
      r.add(`${key}.subnet`, o.subnet, cidr.prefix < 1 ? "is the whole address space" : "leaves no room for two firewall addresses and a VIP", "use a prefix length from 1 to 125 (usually /64)");
      cidr = undefined;
    }
  }
  const subnet = cidr ? subnetOf6(cidr) : undefined;
  const address = (k: string, v: unknown, what: string, isVip: boolean): string | undefined => {
    const a = normalizeIpv6(v);
    if (v === undefined) {
      r.add(k, undefined, "is required", `add ${k}, an IPv6 address in ${subnet ?? "the prefix"}`);
      return undefined;
    }
    if (a === undefined) {
      r.add(k, v, "is not an IPv6 address", `write an IPv6 address such as "2001:db8:1::2" (no prefix length, no zone)`);
      return undefined;
    }
    if (cidr && subnet) {
      if (!inSubnet6(a, cidr)) r.add(k, v, `${what} is outside the network's IPv6 prefix ${subnet}`, `use an address inside ${subnet}, or correct ${key}.subnet`);
      else if (a === networkOf6(cidr)) r.add(k, v, `${what} is the network (subnet-router anycast) address of ${subnet}`, `use a host address inside ${subnet} other than ${networkOf6(cidr)}`);
      else if (isVip && a === lastOf6(cidr)) r.add(k, v, `${what} is the last address of ${subnet}, which pfSense refuses for a CARP VIP`, `use another host address inside ${subnet}`);
    }
    return a;
  };
  const addresses: Partial<Record<(typeof FIREWALL_ROLES)[number], string>> = {};
  const ao = r.object(`${key}.addresses`, o.addresses, FIREWALL_ROLES, true, `{primary: "2001:db8:1::2", secondary: "2001:db8:1::3"}`);
  if (ao) {
    for (const fw of FIREWALL_ROLES) {
      const a = address(`${key}.addresses.${fw}`, ao[fw], "address", false);
      if (a) addresses[fw] = a;
    }
    if (addresses.primary && addresses.primary === addresses.secondary) {
      r.add(`${key}.addresses.secondary`, ao.secondary, "is the same address as the primary's: duplicate node address", "give each firewall its own IPv6 address in the prefix");
    }
  }
  let vip: VipConfig | undefined;
  const vo = r.object(`${key}.vip`, o.vip, VIP_KEYS, true, `{address: "2001:db8:1::1", vhid: 11}`);
  if (vo) {
    const a = address(`${key}.vip.address`, vo.address, "VIP", true);
    const vhid = r.integer(`${key}.vip.vhid`, vo.vhid, checkVhid);
    const ab = r.integer(`${key}.vip.advbase`, vo.advbase, checkAdvbase, advbase) ?? advbase;
    const description = typeof vo.description === "string" ? vo.description : `${role.toUpperCase()} IPv6 CARP VIP`;
    for (const fw of FIREWALL_ROLES) {
      if (a !== undefined && addresses[fw] === a) {
        r.add(`${key}.vip.address`, vo.address, `equals the ${fw} firewall's own IPv6 address: a CARP VIP must be a third address`, `pick an unused address in ${subnet ?? "the prefix"} for the VIP`);
      }
    }
    const clash = v4Vips.find((v) => v.vhid === vhid);
    if (vhid !== undefined && clash) {
      // firewall_virtual_ip.inc: "VHID %s is already in use on interface %s" whatever the address family
      r.add(`${key}.vip.vhid`, vhid, `is also the VHID of the ${role} network's IPv4 VIP ${clash.address}: pfSense refuses a VHID used twice on one interface, whatever the address family`, `give the IPv6 VIP its own VHID (1-255) on the ${role} interface`);
    }
    if (a !== undefined && vhid !== undefined) vip = { address: a, vhid, advbase: ab, description };
  }
  if (!subnet || !cidr || !addresses.primary || !addresses.secondary || !vip) return undefined;
  return { subnet, prefix: cidr.prefix, addresses: { primary: addresses.primary, secondary: addresses.secondary }, vip };
}

function readVxlan(r: Reader, key: string, raw: unknown): VxlanConfig | undefined {
  const o = r.object(key, raw, VXLAN_KEYS, false, `{key: 1001}`);
  if (!o) return undefined;
  const vni = r.integer(`${key}.key`, o.key, checkVni);
  const dstPort = r.integer(`${key}.dstPort`, o.dstPort, checkUdpPort, 4789);
  const bfd = r.boolean(`${key}.bfd`, o.bfd, false);
  if (vni === undefined || dstPort === undefined) return undefined;
  return { key: vni, dstPort, bfd };
}

function readVips(r: Reader, key: string, raw: unknown, advbase: number, role: string): VipConfig[] {
  if (raw === undefined || raw === null) return [];
  const list = Array.isArray(raw) ? raw : [raw];
  const out: VipConfig[] = [];
  list.forEach((item, i) => {
    const k = Array.isArray(raw) ? `${key}[${i}]` : key;
    const o = r.object(k, item, VIP_KEYS, true, `{address: "192.0.2.1", vhid: 1}`);
    if (!o) return;
    const address = r.checked(`${k}.address`, o.address, checkIpv4, true, `"192.0.2.1"`);
    // An invalid vhid/advbase is already reported; keep the VIP (vhid 0 = unknown) so address checks still run.
    const vhid = r.integer(`${k}.vhid`, o.vhid, checkVhid) ?? 0;
    const ab = r.integer(`${k}.advbase`, o.advbase, checkAdvbase, advbase) ?? advbase;
    const description = typeof o.description === "string" ? o.description : `${role.toUpperCase()} CARP VIP`;
    if (address) out.push({ address, vhid, advbase: ab, description });
  });
  return out;
}

/** Rules between networks: bridges, uplinks, VNIs, pfSense interfaces and subnets must not collide. */
export function checkNetworksTogether(r: Reader, key: string, nets: readonly NetworkConfig[]): void {
  const seen = (pick: (n: NetworkConfig) => string | undefined, field: string, why: string, fix: string): void => {
    const first = new Map<string, string>();
    for (const n of nets) {
      const v = pick(n);
      if (v === undefined) continue;
      const other = first.get(v);
      if (other) r.add(`${key}.${n.role}.${field}`, v, `is also used by the ${other} network: ${why}`, fix);
      else first.set(v, n.role);
    }
  };
  seen((n) => n.bridge, "bridge", "both networks would share one layer-2 segment (their traffic, CARP and pfsync would mix)", "give every network its own OVS bridge");
  seen((n) => n.uplink, "uplink", "one physical port cannot be in two bridges", "give each network its own uplink, or use VXLAN for one of them");
  seen(
    (n) => (n.vxlan ? `${n.vxlan.key}/${n.vxlan.dstPort}` : undefined),
    "vxlan.key",
    "two tunnels with the same VNI and port between the same nodes collide (OVS refuses the second one)",
    "give every stretched network its own VXLAN key",
  );
  seen((n) => n.pfsenseInterface, "pfsenseInterface", "one pfSense interface cannot carry two networks", "give each network its own pfSense interface (wan, lan, opt1, …)");
  const bridges = new Set(nets.map((n) => n.bridge));
  for (const n of nets) {
    if (n.uplink && bridges.has(n.uplink)) {
      r.add(`${key}.${n.role}.uplink`, n.uplink, "is the name of a bridge", "set uplink to the physical port (e.g. eno1), not a bridge");
    }
  }
  for (let i = 0; i < nets.length; i++) {
    for (let j = 0; j < i; j++) {
      const a = { address: nets[i].subnet.split("/")[0], prefix: nets[i].prefix };
      const b = { address: nets[j].subnet.split("/")[0], prefix: nets[j].prefix };
      if (subnetsOverlap(a, b)) {
        r.add(`${key}.${nets[i].role}.subnet`, nets[i].subnet, `overlaps the ${nets[j].role} network's subnet ${nets[j].subnet}`, "give every network a separate subnet (pfSense refuses overlapping interface subnets)");
      }
    }
  }
}

/** Whether `ip` lies within [from, to]. */
export function inRange(ip: string, from: string, to: string): boolean {
  const v = ipv4ToInt(ip);
  return v >= ipv4ToInt(from) && v <= ipv4ToInt(to);
}

