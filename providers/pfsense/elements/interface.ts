// Interface assignment/addressing in <interfaces><wan|lan|optN> (interfaces_assign.php + interfaces.php save block).
// Only the keys we manage are touched; the SYNC interface gets no blockpriv/blockbogons (HA docs).
import type { PfConfigDoc, PfElement } from "../codec";
import { child, ensurePath, getPath, removeChild, textIn } from "../codec-tree";
import { ChangeLog, ElementInputError, checkPfIfName, checkInt, checkIpv4, checkText, type EditResult } from "./common";
import { normalizeIpv6 } from "../../../config/ipv6";
import type { ElementDescriptor } from "./descriptor";

export interface InterfaceSpec {
  /** wan, lan or optN. */
  name: string;
  /** OS NIC name, e.g. vtnet2. */
  device: string;
  descr: string;
  enable: boolean;
  ipaddr: string;
  subnetBits: number;
  /** Gateway name (gateways/gateway_item); omitted = none. */
  gateway?: string;
  /** The SYNC interface: blockpriv/blockbogons cleared. */
  sync: boolean;
  /** <mtu> (interfaces.php: 576-9000); omitted = pfSense's default (1500), an existing value is left alone. */
  mtu?: number;
  /**
   * IPv6 on this interface. "none": every IPv6 key removed, as interfaces.php saves IPv6 Configuration Type "None"
   * (the factory's per-node dhcp6 on WAN and track6 on LAN are not CARP-aware). An address: Static IPv6 as
   * interfaces.php saves it (ipaddrv6, subnetv6; every other IPv6 key removed). Omitted: IPv6 keys not touched.
   */
  ipv6?: "none" | Ipv6Static;
}

/** Static IPv6 of an interface (interfaces.php IPv6 Configuration Type "Static IPv6"). */
export interface Ipv6Static {
  /** RFC 5952 form. */
  address: string;
  /** subnetv6: 1-128. */
  prefix: number;
}

/** The IPv6 keys interfaces.php deletes before it writes the chosen IPv6 type ($wancfg_to_delelete, 2.7.2). */
const IPV6_KEYS: readonly string[] = [
  "ipaddrv6", "subnetv6", "gatewayv6", "dhcp6-duid", "dhcp6-ia-pd-len", "dhcp6-ia-pd-send-hint", "dhcp6prefixonly",
  "dhcp6usev4iface", "slaacusev4iface", "ipv6usev4iface", "track6-interface", "track6-prefix-id", "dhcp6withoutra",
  "dhcp6vlanenable", "dhcp6cvpt", "prefix-6rd", "prefix-6rd-v4plen", "gateway-6rd",
];
const isIpv6Key = (tag: string): boolean => IPV6_KEYS.includes(tag) || tag.startsWith("adv_dhcp6_");

export function validateInterface(spec: InterfaceSpec): void {
  checkPfIfName("name", spec.name);
  if (!/^[a-z][a-z0-9_.]{0,14}$/.test(spec.device)) throw new ElementInputError("device", spec.device, "use the firewall's NIC name, e.g. vtnet2");
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,21}$/.test(spec.descr) || /^pkg_/.test(spec.descr)) {
    throw new ElementInputError("descr", spec.descr, "use up to 22 characters from [A-Za-z0-9_], not numeric, not starting with pkg_ (interfaces.php)");
  }
  checkIpv4("ipaddr", spec.ipaddr);
  checkInt("subnetBits", spec.subnetBits, 1, 32);
  if (spec.gateway !== undefined) checkText("gateway", spec.gateway, 32);
  if (spec.mtu !== undefined) checkInt("mtu", spec.mtu, 576, 9000);
  if (spec.ipv6 !== undefined && spec.ipv6 !== "none") {
    if (typeof spec.ipv6 !== "object" || spec.ipv6 === null) throw new ElementInputError("ipv6", spec.ipv6, `use "none" (IPv6 Configuration Type None), {address, prefix} (Static IPv6) or leave it out`);
    if (normalizeIpv6(spec.ipv6.address) !== spec.ipv6.address) throw new ElementInputError("ipv6.address", spec.ipv6.address, "use an IPv6 address in RFC 5952 form, e.g. 2001:db8:1::2");
    checkInt("ipv6.prefix", spec.ipv6.prefix, 1, 128);
  }
}

export function upsertInterface(doc: PfConfigDoc, spec: InterfaceSpec): EditResult {
  validateInterface(spec);
  const i = ensurePath(doc.root, `interfaces/${spec.name}`);
  const log = new ChangeLog(doc, `interface ${spec.name}`);
  log.flag(i, "enable", spec.enable, 0);
  log.value(i, "if", spec.device);
  log.value(i, "descr", spec.descr);
  log.value(i, "ipaddr", spec.ipaddr);
  log.value(i, "subnet", String(spec.subnetBits));
  // interfaces.php always writes spoofmac ("" = the NIC's own MAC); a MAC a human set is kept
  if (child(i, "spoofmac") === undefined) log.value(i, "spoofmac", "");
  if (spec.gateway !== undefined) log.value(i, "gateway", spec.gateway);
  else if (textIn(doc, child(i, "gateway")) !== undefined && textIn(doc, child(i, "gateway")) !== "") log.value(i, "gateway", "");
  if (spec.mtu !== undefined) log.value(i, "mtu", String(spec.mtu));
  if (spec.sync) {
    log.flag(i, "blockpriv", false);
    log.flag(i, "blockbogons", false);
  }
  if (spec.ipv6 !== undefined) {
    // interfaces.php deletes every IPv6 key, then writes those of the chosen type
    const keep = spec.ipv6 === "none" ? [] : ["ipaddrv6", "subnetv6"];
    const why = spec.ipv6 === "none" ? "IPv6 none" : "static IPv6";
    for (const e of [...(i.children ?? [])]) {
      if (!isIpv6Key(e.tag) || keep.includes(e.tag)) continue;
      log.note(`${e.tag}: ${JSON.stringify(textIn(doc, e) ?? "")} -> (removed: ${why})`);
      removeChild(i, e);
    }
    if (spec.ipv6 !== "none") {
      log.value(i, "ipaddrv6", spec.ipv6.address);
      log.value(i, "subnetv6", String(spec.ipv6.prefix));
    }
  }
  return log.result();
}

export function readInterface(doc: PfConfigDoc, name: string): Omit<InterfaceSpec, "sync"> | undefined {
  const i = getPath(doc.root, `interfaces/${name}`);
  if (i === undefined) return undefined;
  const v = (k: string): string => textIn(doc, child(i, k)) ?? "";
  const out: Omit<InterfaceSpec, "sync"> = { name, device: v("if"), descr: v("descr"), enable: child(i, "enable") !== undefined, ipaddr: v("ipaddr"), subnetBits: Number(v("subnet")) };
  if (v("gateway") !== "") out.gateway = v("gateway");
  if (v("mtu") !== "") out.mtu = Number(v("mtu"));
  return out;
}

/**
 * "none" when the interface has no IPv6 configuration, else its IPv6 type/address (dhcp6, track6, 2001:db8::1 …);
 * see readIpv6Spec for the shape of InterfaceSpec.ipv6.
 */
export function readIpv6(doc: PfConfigDoc, name: string): string {
  const i = getPath(doc.root, `interfaces/${name}`);
  const v6 = i ? textIn(doc, child(i, "ipaddrv6")) : undefined;
  if (v6 !== undefined && v6 !== "") return v6;
  return (i?.children ?? []).some((e) => isIpv6Key(e.tag)) ? "other IPv6 keys" : "none";
}

/** Only optN assignments are removed (wan/lan are never unassigned). */
export function removeInterface(doc: PfConfigDoc, name: string): boolean {
  if (!/^opt[0-9]+$/.test(name)) return false;
  const ifs = getPath(doc.root, "interfaces");
  const i = ifs ? child(ifs, name) : undefined;
  return i !== undefined && removeChild(ifs as PfElement, i);
}

/** The interface's IPv6 in the shape of InterfaceSpec.ipv6: "none", {address, prefix} for exactly Static IPv6, else what readIpv6 says. */
export function readIpv6Spec(doc: PfConfigDoc, name: string): string | Ipv6Static {
  const found = readIpv6(doc, name);
  const i = getPath(doc.root, `interfaces/${name}`);
  const address = normalizeIpv6(found);
  if (i === undefined || address === undefined) return found;
  const others = (i.children ?? []).filter((e) => isIpv6Key(e.tag) && e.tag !== "ipaddrv6" && e.tag !== "subnetv6");
  if (others.length > 0) return `${found} with ${others.map((e) => e.tag).join(", ")}`;
  return { address: found, prefix: Number(textIn(doc, child(i, "subnetv6")) ?? "") };
}

/**
 * PfSenseInterface: assignment and static IPv4 of wan/lan/optN, identified by its name. A sync interface must have
 * blockpriv/blockbogons off; a human turning them back on reads as drift. <interfaces> is never synced: the cluster's
 * plan gives each node its own device and addresses.
 */
export const interfaceElement: ElementDescriptor<InterfaceSpec> = {
  resource: "PfSenseInterface",
  provider: "interface",
  component: { name: "PfSenseInterface", previous: ["pfsense-ha:pfsense:PfSenseInterfaceComponent"] },
  section: "interfaces",
  secretSpec: false,
  awaitedInStage: true,
  normalize: (_old, spec) => spec,
  identity: (s) => s.name,
  validate: (s) => validateInterface(s),
  upsert: (doc, s) => upsertInterface(doc, s),
  remove: (doc, s) => void removeInterface(doc, s.name),
  keptOnDelete: (s) => !/^opt[0-9]+$/.test(s.name),
  read: (doc, s) => {
    const found = readInterface(doc, s.name);
    if (found === undefined) return undefined;
    const el = getPath(doc.root, `interfaces/${s.name}`);
    const blocks = el !== undefined && (child(el, "blockpriv") !== undefined || child(el, "blockbogons") !== undefined);
    // sync = what we enforce: off when a block flag is set on a sync interface; a non-sync one is never touched
    const { mtu, ...rest } = found;
    // An MTU we do not set (a 1500 network) is the human's: never drift.
    const out: InterfaceSpec = { ...rest, ...(s.mtu !== undefined ? { mtu } : {}), sync: s.sync && !blocks };
    // IPv6 "none" or static: any other IPv6 configuration found (a human set dhcp6/track6 again) reads as drift
    if (s.ipv6 !== undefined) out.ipv6 = readIpv6Spec(doc, s.name) as InterfaceSpec["ipv6"];
    return out;
  },
  secrets: () => [],
};
