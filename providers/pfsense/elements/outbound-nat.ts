// Outbound NAT (firewall_nat_out.inc saveNAToutMode()/saveoutNATrule()): mode hybrid + one manual rule per inside
// subnet translating to the WAN CARP VIP. Target schema per version: 2.7.0 writes <target>IP</target>
// only; 2.7.1+ (upgrade_229_to_230) adds <target_subnet></target_subnet>. Identity: the descr marker.
import { stampedChildren, withoutStamps } from "./revision-entry";
import type { PfConfigDoc, PfElement } from "../codec";
import { child, childrenByTag, ensurePath, flag, getPath, insertChild, kids, leaf, removeChild, sameElement, section, textIn } from "../codec-tree";
import type { PfSchema } from "../version";
import { ChangeLog, ElementInputError, checkPfIfName, checkIpv4, checkText, type EditResult } from "./common";
import { checkKey, markedDescr, markerKey, unmarkedDescr } from "./marker";
import type { ElementDescriptor } from "./descriptor";

export interface OutboundNatSpec {
  /** Stable identity, e.g. "lan". */
  key: string;
  /** Inside subnet (CIDR) to translate. */
  sourceNetwork: string;
  /** Outside interface, usually wan. */
  interface: string;
  /** The WAN CARP VIP address (its <subnet>). */
  targetVip: string;
  descr: string;
  /**
   * "top" (default): ours come before every manual rule a human wrote (pf takes the first matching NAT rule, so a
   * broader rule above ours would win and the VIP would never be used); "bottom": appended after them.
   */
  position?: "top" | "bottom";
}

export function validateOutboundNat(spec: OutboundNatSpec): void {
  checkKey("key", spec.key);
  if (!/^\d+\.\d+\.\d+\.\d+\/\d{1,2}$/.test(spec.sourceNetwork)) throw new ElementInputError("sourceNetwork", spec.sourceNetwork, "use the inside subnet as CIDR, e.g. 192.168.1.0/24");
  checkPfIfName("interface", spec.interface);
  checkIpv4("targetVip", spec.targetVip);
  checkText("descr", spec.descr, 120);
  if (spec.position !== undefined && spec.position !== "top" && spec.position !== "bottom") {
    throw new ElementInputError("position", spec.position, "use top (before the manual rules a human wrote) or bottom");
  }
}

/** Where our rule belongs: first among the manual rules (after our other rules), or last. */
function natTargetIndex(doc: PfConfigDoc, o: PfElement, spec: OutboundNatSpec, self: PfElement | undefined): number {
  const list = (o.children ?? []).filter((e) => e !== self);
  if (spec.position === "bottom") return list.length;
  const firstHuman = list.findIndex((e) => e.tag === "rule" && markerKey(textIn(doc, child(e, "descr"))) === undefined);
  if (firstHuman !== -1) return firstHuman;
  const lastRule = list.map((e) => e.tag).lastIndexOf("rule");
  return lastRule === -1 ? list.length : lastRule + 1;
}

function outbound(doc: PfConfigDoc): PfElement | undefined {
  return getPath(doc.root, "nat/outbound");
}

function findOurs(doc: PfConfigDoc, key: string): PfElement | undefined {
  const o = outbound(doc);
  return o ? childrenByTag(o, "rule").find((r) => markerKey(textIn(doc, child(r, "descr"))) === key) : undefined;
}

function build(doc: PfConfigDoc, spec: OutboundNatSpec, schema: PfSchema): PfElement {
  const v = (k: string, s: string): PfElement => leaf(doc, k, s);
  const els = [section("source", [v("network", spec.sourceNetwork)]), v("sourceport", ""), v("descr", markedDescr(spec.key, spec.descr)), v("target", spec.targetVip)];
  if (schema.natTarget === "split") els.push(v("target_subnet", ""));
  els.push(v("interface", spec.interface), v("poolopts", ""), v("source_hash_key", ""), v("ipprotocol", "inet"), section("destination", [flag("any")]));
  return section("rule", els);
}

export function upsertOutboundNat(doc: PfConfigDoc, spec: OutboundNatSpec, schema: PfSchema): EditResult {
  validateOutboundNat(spec);
  const log = new ChangeLog(doc, `outbound-nat ${spec.key}`);
  const o = ensurePath(doc.root, "nat/outbound");
  const mode = textIn(doc, child(o, "mode")) ?? "automatic";
  if (mode === "disabled") throw new Error(`nat/outbound/mode is "disabled" on this firewall; set Outbound NAT to hybrid (or automatic) first`);
  // automatic ignores manual rules; hybrid keeps pfSense's automatic rules after ours (filter.inc). advanced stays.
  if (mode === "automatic") log.value(o, "mode", "hybrid", { index: 0 });
  const want = build(doc, spec, schema);
  const existing = findOurs(doc, spec.key);
  if (existing === undefined) {
    want.children = stampedChildren(doc, kids(want), undefined);
    insertChild(o, want, natTargetIndex(doc, o, spec, undefined));
    log.note("created");
    return log.result();
  }
  // created/updated are the save's stamps, not the rule: compared without them, a changed rule keeps `created`.
  if (!sameElement({ ...existing, children: withoutStamps(existing) }, want)) {
    existing.children = stampedChildren(doc, kids(want), existing);
    log.note("fields updated");
  }
  // Kept before the manual rules: a rule a human inserted above ours later is moved below it again.
  const list = kids(o);
  const at = list.indexOf(existing);
  const target = natTargetIndex(doc, o, spec, existing);
  if (spec.position !== "bottom" ? at > target : false) {
    list.splice(at, 1);
    list.splice(target, 0, existing);
    log.note("moved before the manual rules");
  }
  return log.result();
}

/** Removes our rule; when no manual rule is left and the mode is hybrid, automatic is restored. */
export function removeOutboundNat(doc: PfConfigDoc, key: string): boolean {
  const o = outbound(doc);
  const r = findOurs(doc, key);
  if (o === undefined || r === undefined) return false;
  removeChild(o, r);
  if (childrenByTag(o, "rule").length === 0 && textIn(doc, child(o, "mode")) === "hybrid") {
    const m = child(o, "mode") as PfElement;
    m.raw = "automatic";
  }
  return true;
}

export function readOutboundNat(doc: PfConfigDoc, key: string): OutboundNatSpec | undefined {
  const r = findOurs(doc, key);
  if (r === undefined) return undefined;
  const v = (k: string): string => textIn(doc, child(r, k)) ?? "";
  const o = outbound(doc) as PfElement;
  const before = kids(o).slice(0, kids(o).indexOf(r));
  const out: OutboundNatSpec = { key, sourceNetwork: textIn(doc, getPath(r, "source/network")) ?? "", interface: v("interface"), targetVip: v("target"), descr: unmarkedDescr(v("descr")) };
  // A manual rule above ours reads as position "bottom": drift from the default "top".
  if (before.some((e) => e.tag === "rule" && markerKey(textIn(doc, child(e, "descr"))) === undefined)) out.position = "bottom";
  return out;
}

/** OutboundNatRule: hybrid outbound NAT + one manual rule, identified by the descr marker key; the target schema follows the box's config version. Synced verbatim. */
export const outboundNatElement: ElementDescriptor<OutboundNatSpec> = {
  resource: "OutboundNatRule",
  provider: "outboundNat",
  component: { name: "OutboundNatRule", previous: ["pfsense-ha:pfsense:OutboundNatRuleComponent"] },
  section: "filter",
  secretSpec: false,
  normalize: (_old, spec) => spec,
  identity: (s) => s.key,
  validate: (s) => validateOutboundNat(s),
  upsert: (doc, s, schema) => upsertOutboundNat(doc, s, schema),
  remove: (doc, s) => void removeOutboundNat(doc, s.key),
  read: (doc, s) => {
    const found = readOutboundNat(doc, s.key);
    // "bottom" holds wherever the rule is (it was appended); "top" is checked by the read (a manual rule above).
    if (found && s.position !== undefined) found.position = s.position === "bottom" ? "bottom" : found.position ?? "top";
    return found;
  },
  secrets: () => [],
};
