// CARP VIP in <virtualip><vip>, keys in saveVIP()'s order (firewall_virtual_ip.inc). Identity: uniqid.
import type { PfConfigDoc, PfElement } from "../codec";
import { child, childrenByTag, ensurePath, getPath, insertChild, leaf, removeChild, section, textIn } from "../codec-tree";
import { ChangeLog, ElementInputError, checkPfIfName, checkInt, checkIpv4, checkSecret, checkText, type EditResult } from "./common";
import { normalizeIpv6 } from "../../../config/ipv6";
import { secondarySkew, type ElementDescriptor } from "./descriptor";
import { newUniqid } from "./identity";

export interface CarpVipSpec {
  /** 13 hex chars (PHP uniqid()), generated once by the caller and kept. */
  uniqid: string;
  interface: string;
  vhid: number;
  advskew: number;
  advbase: number;
  password: string;
  descr: string;
  /** The VIP address: IPv4, or IPv6 in RFC 5952 form (an IPv6 CARP VIP is an ordinary CARP VIP in pfSense). */
  subnet: string;
  /** The interface network's mask bits (not /32): 1-32, 1-128 for IPv6. */
  subnetBits: number;
}

export function validateCarpVip(spec: CarpVipSpec): void {
  if (!/^[0-9a-f]{13}$/.test(spec.uniqid)) throw new ElementInputError("uniqid", spec.uniqid, "use 13 lowercase hex characters (PHP uniqid()), generated once");
  checkPfIfName("interface", spec.interface);
  checkInt("vhid", spec.vhid, 1, 255);
  checkInt("advskew", spec.advskew, 0, 254);
  checkInt("advbase", spec.advbase, 1, 254);
  checkSecret("password", spec.password);
  checkText("descr", spec.descr);
  if (typeof spec.subnet === "string" && spec.subnet.includes(":")) {
    if (normalizeIpv6(spec.subnet) !== spec.subnet) throw new ElementInputError("subnet", spec.subnet, "use an IPv6 address in RFC 5952 form, e.g. 2001:db8:1::1");
    checkInt("subnetBits", spec.subnetBits, 1, 128);
  } else {
    checkIpv4("subnet", spec.subnet);
    checkInt("subnetBits", spec.subnetBits, 1, 32);
  }
}

function findOurs(doc: PfConfigDoc, uniqid: string): PfElement | undefined {
  const vips = getPath(doc.root, "virtualip");
  return vips ? childrenByTag(vips, "vip").find((v) => textIn(doc, child(v, "uniqid")) === uniqid) : undefined;
}

const ORDER = ["mode", "interface", "vhid", "advskew", "advbase", "password", "uniqid", "descr", "type", "subnet_bits", "subnet"];

function values(spec: CarpVipSpec): Record<string, string> {
  return {
    mode: "carp", interface: spec.interface, vhid: String(spec.vhid), advskew: String(spec.advskew),
    advbase: String(spec.advbase), password: spec.password, uniqid: spec.uniqid, descr: spec.descr,
    type: "single", subnet_bits: String(spec.subnetBits), subnet: spec.subnet,
  };
}

export function upsertCarpVip(doc: PfConfigDoc, spec: CarpVipSpec): EditResult {
  validateCarpVip(spec);
  const label = `vip ${spec.uniqid}`;
  const vips = getPath(doc.root, "virtualip");
  // saveVIP(): the VHID must be unique per interface; a human's VIP there is a clash, never ours to take over.
  for (const v of vips ? childrenByTag(vips, "vip") : []) {
    if (textIn(doc, child(v, "uniqid")) === spec.uniqid) continue;
    if (textIn(doc, child(v, "mode")) === "carp" && textIn(doc, child(v, "interface")) === spec.interface && textIn(doc, child(v, "vhid")) === String(spec.vhid)) {
      throw new Error(
        `vhid: ${spec.vhid} is already used on ${spec.interface} by another CARP VIP (uniqid ${textIn(doc, child(v, "uniqid")) ?? "none"}, ` +
          `${JSON.stringify(textIn(doc, child(v, "descr")) ?? "")}); pick a free VHID for ${spec.interface}`,
      );
    }
  }
  const log = new ChangeLog(doc, label);
  const want = values(spec);
  const existing = findOurs(doc, spec.uniqid);
  if (existing === undefined) {
    const el = section("vip", ORDER.map((k) => leaf(doc, k, want[k])));
    insertChild(ensurePath(doc.root, "virtualip"), el);
    log.note("created");
    return log.result();
  }
  ORDER.forEach((k, i) => log.value(existing, k, want[k], { secret: k === "password", index: i }));
  return log.result();
}

export function removeCarpVip(doc: PfConfigDoc, uniqid: string): boolean {
  const el = findOurs(doc, uniqid);
  return el !== undefined && removeChild(getPath(doc.root, "virtualip") as PfElement, el);
}

export function readCarpVip(doc: PfConfigDoc, uniqid: string): CarpVipSpec | undefined {
  const el = findOurs(doc, uniqid);
  if (el === undefined) return undefined;
  const v = (k: string): string => textIn(doc, child(el, k)) ?? "";
  return {
    uniqid, interface: v("interface"), vhid: Number(v("vhid")), advskew: Number(v("advskew")), advbase: Number(v("advbase")),
    password: v("password"), descr: v("descr"), subnet: v("subnet"), subnetBits: Number(v("subnet_bits")),
  };
}

/** A CARP VIP spec as a resource takes it: without a uniqid one is generated once (by check) and kept. */
export type CarpVipInputSpec = Omit<CarpVipSpec, "uniqid"> & { uniqid?: string };

/**
 * CarpVip: one CARP VIP, identified by its uniqid, generated once when not given. The secondary's is what
 * rc.filter_synchronize sends: the VIP section with advskew + 100, capped at 254, uniqid unchanged.
 */
export const carpVipElement: ElementDescriptor<CarpVipSpec> = {
  resource: "CarpVip",
  provider: "carpVip",
  component: { name: "FirewallCarpVip", previous: ["pfsense-ha:pfsense:CarpVipComponent"] },
  section: "vip",
  secretSpec: true,
  normalize: (old, spec) => ({ ...spec, uniqid: spec.uniqid || old?.uniqid || newUniqid() }),
  identity: (s) => s.uniqid,
  validate: (s) => validateCarpVip(s),
  upsert: (doc, s) => upsertCarpVip(doc, s),
  remove: (doc, s) => void removeCarpVip(doc, s.uniqid),
  read: (doc, s) => readCarpVip(doc, s.uniqid),
  secrets: (s) => [s.password],
  mirror: (item) => ({ ...item, spec: { ...item.spec, advskew: secondarySkew(item.spec.advskew) } }),
};
