// The CARP VIP element (research §1.1), identified by its uniqid. Key order as pfSense's saveVIP() writes it.
// Interim: to be replaced by the codec engineer's elements/ module once it lands (same semantics).
import type { PfConfigDoc, PfElement } from "../codec";
import { childrenByTag, ensurePath, getPath, kids, leaf, removeChild, section, setValue, valueOf } from "../codec-tree";

export interface CarpVipFields {
  interface: string;
  address: string;
  subnetBits: number;
  vhid: number;
  advbase: number;
  advskew: number;
  password: string;
  description: string;
  uniqid: string;
}

function vipsOf(doc: PfConfigDoc): PfElement[] {
  const parent = getPath(doc.root, "virtualip");
  return parent ? childrenByTag(parent, "vip") : [];
}

export function findVip(doc: PfConfigDoc, uniqid: string): PfElement | undefined {
  return vipsOf(doc).find((v) => valueOf(doc, v, "uniqid") === uniqid);
}

function values(f: CarpVipFields): [string, string][] {
  return [
    ["mode", "carp"],
    ["interface", f.interface],
    ["vhid", String(f.vhid)],
    ["advskew", String(f.advskew)],
    ["advbase", String(f.advbase)],
    ["password", f.password],
    ["uniqid", f.uniqid],
    ["descr", f.description],
    ["type", "single"],
    ["subnet_bits", String(f.subnetBits)],
    ["subnet", f.address],
  ];
}

/** Insert or update our VIP; refuses a VHID or address already used by a VIP we do not manage. */
export function upsertCarpVip(doc: PfConfigDoc, f: CarpVipFields): void {
  for (const v of vipsOf(doc)) {
    if (valueOf(doc, v, "uniqid") === f.uniqid) continue;
    if (valueOf(doc, v, "interface") === f.interface && valueOf(doc, v, "vhid") === String(f.vhid)) {
      throw new Error(`vhid: ${f.vhid} is already used on ${f.interface} by another VIP (${valueOf(doc, v, "subnet")}): pick a free VHID`);
    }
    if (valueOf(doc, v, "subnet") === f.address) {
      throw new Error(`address: ${f.address} is already a VIP (uniqid ${valueOf(doc, v, "uniqid")}): pick another address`);
    }
  }
  const existing = findVip(doc, f.uniqid);
  if (existing) {
    for (const [tag, value] of values(f)) setValue(doc, existing, tag, value);
    return;
  }
  kids(ensurePath(doc.root, "virtualip")).push(section("vip", values(f).map(([t, v]) => leaf(doc, t, v))));
}

export function removeCarpVip(doc: PfConfigDoc, uniqid: string): void {
  const v = findVip(doc, uniqid);
  const parent = getPath(doc.root, "virtualip");
  if (v && parent) removeChild(parent, v);
}

export function readCarpVip(doc: PfConfigDoc, uniqid: string): Omit<CarpVipFields, "uniqid"> | undefined {
  const v = findVip(doc, uniqid);
  if (!v) return undefined;
  const s = (t: string): string => valueOf(doc, v, t) ?? "";
  return {
    interface: s("interface"),
    address: s("subnet"),
    subnetBits: Number(s("subnet_bits")),
    vhid: Number(s("vhid")),
    advbase: Number(s("advbase")),
    advskew: Number(s("advskew")),
    password: s("password"),
    description: s("descr"),
  };
}
