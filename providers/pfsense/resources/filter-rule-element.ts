// A filter rule element (research §1.4), identified by its tracker. Interim until elements/ lands.
// Position is explicit: "top" = before every other rule of the interface, "bottom" = after them.
import type { PfConfigDoc, PfElement } from "../codec";
import { child, childrenByTag, ensurePath, getPath, kids, leaf, removeChild, section, valueOf } from "../codec-tree";

export interface FilterRuleFields {
  tracker: number;
  type: "pass" | "block" | "reject";
  interface: string;
  ipprotocol: "inet" | "inet6" | "inet46";
  /** Omitted = any. */
  protocol?: string;
  /** "any", a special net ("(self)", "opt1", "opt1ip", …), or an address/alias. */
  source: string;
  destination: string;
  destinationPort?: string;
  description: string;
  position: "top" | "bottom";
}

const SPECIAL_NET = /^(\(self\)|wan|lan|opt[0-9]+|(wan|lan|opt[0-9]+)ip)$/;

function endpoint(doc: PfConfigDoc, tag: string, where: string, port?: string): PfElement {
  const kidsOf: PfElement[] = [];
  if (where === "any") kidsOf.push(leaf(doc, "any", ""));
  else kidsOf.push(leaf(doc, SPECIAL_NET.test(where) ? "network" : "address", where));
  if (port) kidsOf.push(leaf(doc, "port", port));
  return section(tag, kidsOf);
}

function endpointText(doc: PfConfigDoc, el: PfElement | undefined): string {
  if (!el) return "";
  if (child(el, "any")) return "any";
  return valueOf(doc, el, "network") ?? valueOf(doc, el, "address") ?? "";
}

function rulesOf(doc: PfConfigDoc): PfElement[] {
  const f = getPath(doc.root, "filter");
  return f ? childrenByTag(f, "rule") : [];
}

export function findRule(doc: PfConfigDoc, tracker: number): PfElement | undefined {
  return rulesOf(doc).find((r) => valueOf(doc, r, "tracker") === String(tracker));
}

function build(doc: PfConfigDoc, f: FilterRuleFields): PfElement {
  const c: PfElement[] = [
    leaf(doc, "id", ""),
    leaf(doc, "tracker", String(f.tracker)),
    leaf(doc, "type", f.type),
    leaf(doc, "interface", f.interface),
    leaf(doc, "ipprotocol", f.ipprotocol),
  ];
  if (f.protocol) c.push(leaf(doc, "protocol", f.protocol));
  c.push(endpoint(doc, "source", f.source), endpoint(doc, "destination", f.destination, f.destinationPort));
  c.push(leaf(doc, "descr", f.description));
  return section("rule", c);
}

/** Insert or replace our rule (by tracker); a tracker used by a rule we do not manage is a clash. */
export function upsertFilterRule(doc: PfConfigDoc, f: FilterRuleFields): void {
  const filter = ensurePath(doc.root, "filter");
  const fresh = build(doc, f);
  const existing = findRule(doc, f.tracker);
  if (existing) {
    if (JSON.stringify(existing) === JSON.stringify(fresh)) return; // unchanged: keep bytes and position
    removeChild(filter, existing);
  }
  const list = kids(filter);
  if (f.position === "top") {
    const first = list.findIndex((r) => r.tag === "rule" && valueOf(doc, r, "interface") === f.interface);
    if (first !== -1) {
      list.splice(first, 0, fresh);
      return;
    }
  }
  // bottom (or first rule of the interface): after the last rule, before non-rule children such as separators
  let last = -1;
  list.forEach((r, i) => (r.tag === "rule" ? (last = i) : undefined));
  list.splice(last + 1, 0, fresh);
}

export function removeFilterRule(doc: PfConfigDoc, tracker: number): void {
  const r = findRule(doc, tracker);
  const f = getPath(doc.root, "filter");
  if (r && f) removeChild(f, r);
}

export function readFilterRule(doc: PfConfigDoc, tracker: number): Omit<FilterRuleFields, "tracker" | "position"> | undefined {
  const r = findRule(doc, tracker);
  if (!r) return undefined;
  const dst = child(r, "destination");
  const out: Omit<FilterRuleFields, "tracker" | "position"> = {
    type: (valueOf(doc, r, "type") ?? "pass") as FilterRuleFields["type"],
    interface: valueOf(doc, r, "interface") ?? "",
    ipprotocol: (valueOf(doc, r, "ipprotocol") ?? "inet") as FilterRuleFields["ipprotocol"],
    source: endpointText(doc, child(r, "source")),
    destination: endpointText(doc, dst),
    description: valueOf(doc, r, "descr") ?? "",
  };
  const proto = valueOf(doc, r, "protocol");
  if (proto !== undefined) out.protocol = proto;
  const port = dst ? valueOf(doc, dst, "port") : undefined;
  if (port !== undefined) out.destinationPort = port;
  return out;
}
