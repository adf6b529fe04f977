// Which apply sections an edit touched: compare the built text of each config subtree before and after.
import type { PfConfigDoc, PfElement } from "../codec";
import { child, cloneElement } from "../codec-tree";
import type { ApplySection, ConfigEdit } from "./types";

/** Config root tags whose change needs each apply section. */
const SECTION_TAGS: Record<ApplySection, string[]> = {
  interfaces: ["interfaces"],
  routing: ["gateways", "staticroutes"],
  vip: ["virtualip"],
  hasync: ["hasync"],
  filter: ["filter", "nat", "aliases"],
  dhcp: ["dhcpd", "dhcpdv6", "kea"],
  // OpenVPN instances and IPsec tunnels (e.g. bound to a CARP VIP): restarted as the GUI's save/apply does
  vpn: ["openvpn", "ipsec"],
  // System > Advanced settings (e.g. disablechecksumoffloading): installed, nothing applied live (see install-script)
  system: ["system"],
};

function text(el: PfElement | undefined): string {
  if (el === undefined) return "";
  if (el.children === null) return `<${el.tag}>${el.cdata ? "C" : ""}${el.raw}`;
  return `<${el.tag}>[${el.children.map(text).join(",")}]`;
}

export interface TouchedSections {
  sections: ApplySection[];
  /** Friendly names (wan, lan, optN) of interfaces whose element changed. */
  interfaces: string[];
}

/** Fingerprints of every root child that matters for applying, taken before the edits. */
export function snapshotSections(doc: PfConfigDoc): Map<string, string> {
  const snap = new Map<string, string>();
  for (const tags of Object.values(SECTION_TAGS)) for (const t of tags) snap.set(t, text(child(doc.root, t)));
  const ifs = child(doc.root, "interfaces");
  for (const i of ifs?.children ?? []) snap.set(`interfaces/${i.tag}`, text(i));
  return snap;
}

export function touchedSections(before: Map<string, string>, after: PfConfigDoc): TouchedSections {
  const now = snapshotSections(after);
  const sections: ApplySection[] = [];
  for (const [section, tags] of Object.entries(SECTION_TAGS) as [ApplySection, string[]][]) {
    if (tags.some((t) => before.get(t) !== now.get(t))) sections.push(section);
  }
  // Keys of both snapshots: an interface removed by the edit must be brought down too.
  const interfaces: string[] = [];
  for (const k of new Set([...before.keys(), ...now.keys()])) {
    if (k.startsWith("interfaces/") && before.get(k) !== now.get(k)) interfaces.push(k.slice("interfaces/".length));
  }
  return { sections, interfaces };
}

/**
 * True when replaying the landed edits on the document read back after an install changes it: the install was
 * reverted (an XMLRPC sync wrote over it). Edits are idempotent, so on a document that kept our install the replay
 * changes nothing; it runs on a copy, so the document read back is left as it was.
 */
export function reverted(after: PfConfigDoc, landed: readonly ConfigEdit[]): boolean {
  const replay: PfConfigDoc = { ...after, root: cloneElement(after.root) };
  const before = snapshotSections(replay);
  try {
    for (const e of landed) e.edit(replay);
  } catch {
    return false; // the edit no longer fits (e.g. a human's clash): verify() reports it
  }
  return touchedSections(before, replay).sections.length > 0;
}
