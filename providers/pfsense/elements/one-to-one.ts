// 1:1 NAT (Firewall > NAT > 1:1, `<nat><onetoone>`) with the external address = a WAN CARP VIP, as
// firewall_nat_1to1.inc save1to1NATrule() writes a new mapping: nobinat and disabled are PHP `false` (dumped as
// nothing), then external, descr, interface, ipprotocol, source (the inside address: pconfig_to_address() with mask
// 32 stores it bare), destination any; appended to the list (`$a_1to1[] = $natent`; 24.x add_binat_rules()).
// The save writes no created/updated stamps and no filter rule: traffic to the inside host still needs a pass rule
// (pfSense filters after the translation, on the inside address). Identity: the descr marker.
import type { PfConfigDoc, PfElement } from "../codec";
import { child, childrenByTag, ensurePath, flag, getPath, insertChild, kids, leaf, removeChild, sameElements, section, textIn } from "../codec-tree";
import { ChangeLog, checkPfIfName, checkIpv4, checkText, type EditResult } from "./common";
import { checkKey, markedDescr, markerKey, unmarkedDescr } from "./marker";
import type { ElementDescriptor } from "./descriptor";

export interface OneToOneSpec {
  /** Marker key (identity), 1-40 of [A-Za-z0-9_.-]. */
  key: string;
  /** Outside interface (wan). */
  interface: string;
  /** The WAN CARP VIP the inside host is seen as. */
  external: string;
  /** The inside host's address. */
  internal: string;
  descr: string;
}

export function validateOneToOne(spec: OneToOneSpec): void {
  checkKey("key", spec.key);
  checkPfIfName("interface", spec.interface);
  checkIpv4("external", spec.external);
  checkIpv4("internal", spec.internal);
  checkText("descr", spec.descr, 120);
}

function findOurs(doc: PfConfigDoc, key: string): PfElement | undefined {
  const nat = getPath(doc.root, "nat");
  return nat ? childrenByTag(nat, "onetoone").find((e) => markerKey(textIn(doc, child(e, "descr"))) === key) : undefined;
}

function build(doc: PfConfigDoc, spec: OneToOneSpec): PfElement {
  const v = (k: string, s: string): PfElement => leaf(doc, k, s);
  return section("onetoone", [
    v("external", spec.external), v("descr", markedDescr(spec.key, spec.descr)), v("interface", spec.interface), v("ipprotocol", "inet"),
    section("source", [v("address", spec.internal)]), section("destination", [flag("any")]),
  ]);
}

export function upsertOneToOne(doc: PfConfigDoc, spec: OneToOneSpec): EditResult {
  validateOneToOne(spec);
  const log = new ChangeLog(doc, `one-to-one ${spec.key}`);
  const want = build(doc, spec);
  const existing = findOurs(doc, spec.key);
  if (existing === undefined) {
    const nat = ensurePath(doc.root, "nat");
    const last = kids(nat).map((e) => e.tag).lastIndexOf("onetoone");
    insertChild(nat, want, last === -1 ? kids(nat).length : last + 1);
    log.note("created");
  } else if (!sameElements(kids(existing), kids(want))) {
    existing.children = kids(want);
    log.note("fields updated");
  }
  return log.result();
}

/** Removes our mapping only (1:1 entries have no separators). */
export function removeOneToOne(doc: PfConfigDoc, key: string): boolean {
  const e = findOurs(doc, key);
  return e !== undefined && removeChild(getPath(doc.root, "nat") as PfElement, e);
}

export function readOneToOne(doc: PfConfigDoc, key: string): OneToOneSpec | undefined {
  const e = findOurs(doc, key);
  if (e === undefined) return undefined;
  const v = (k: string): string => textIn(doc, child(e, k)) ?? "";
  return { key, interface: v("interface"), external: v("external"), internal: textIn(doc, getPath(e, "source/address")) ?? "", descr: unmarkedDescr(v("descr")) };
}

/** OneToOneNat: a 1:1 mapping, identified by the descr marker key. <nat><onetoone> is synced verbatim with the nat section (same external VIP). */
export const oneToOneElement: ElementDescriptor<OneToOneSpec> = {
  resource: "OneToOneNat",
  provider: "oneToOne",
  component: { name: "OneToOneNat", previous: [] },
  section: "filter",
  secretSpec: false,
  normalize: (_old, spec) => spec,
  identity: (s) => s.key,
  validate: (s) => validateOneToOne(s),
  upsert: (doc, s) => upsertOneToOne(doc, s),
  remove: (doc, s) => void removeOneToOne(doc, s.key),
  read: (doc, s) => readOneToOne(doc, s.key),
  secrets: () => [],
};
