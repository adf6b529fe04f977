// Outbound NAT (firewall_nat_out.inc saveNAToutMode()/saveoutNATrule()): mode hybrid + one manual rule per inside
// subnet translating to the WAN CARP VIP. Target schema per version: 2.7.0 writes <target>IP</target>
// only; 2.7.1+ (upgrade_229_to_230) adds <target_subnet></target_subnet>. Identity: the descr marker.
import type { PfConfigDoc, PfElement } from "../codec";
import { child, childrenByTag, ensurePath, flag, getPath, insertChild, leaf, removeChild, section, textIn } from "../codec-tree";
import type { PfSchema } from "../version";
import { ChangeLog, ElementInputError, checkIfName, checkIpv4, checkText, type EditResult } from "./common";
import { checkKey, markedDescr, markerKey, unmarkedDescr } from "./marker";

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
}

export function validateOutboundNat(spec: OutboundNatSpec): void {
  checkKey("key", spec.key);
  if (!/^\d+\.\d+\.\d+\.\d+\/\d{1,2}$/.test(spec.sourceNetwork)) throw new ElementInputError("sourceNetwork", spec.sourceNetwork, "use the inside subnet as CIDR, e.g. 192.168.1.0/24");
  checkIfName("interface", spec.interface);
  checkIpv4("targetVip", spec.targetVip);
  checkText("descr", spec.descr, 120);
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

const same = (a: PfElement, b: PfElement): boolean => JSON.stringify(a) === JSON.stringify(b);

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
    insertChild(o, want);
    log.note("created");
  } else if (!same(existing, want)) {
    existing.children = want.children;
    log.note("fields updated");
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
  return { key, sourceNetwork: textIn(doc, getPath(r, "source/network")) ?? "", interface: v("interface"), targetVip: v("target"), descr: unmarkedDescr(v("descr")) };
}
