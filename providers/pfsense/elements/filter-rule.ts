// Filter rule in <filter><rule> (firewall_rules_edit.php save block). Identity: tracker, and the descr marker so a
// human rule that happens to share a tracker is refused rather than taken over. Position is explicit.
// The marker is short ("[pfha] "): pf's rule label is "USER_RULE: " + descr, cut at 63 characters (filter.inc
// fix_rule_label()), so the description must fit in what is left. The first marker, "[pfsense-ha]<tracker> ", is
// still recognised and rewritten on the next update.
// Rule separators (<filter><separator><if><sepN><row>frN) move with the rules as firewall_rules_edit.php moves them
// (filter.inc shift_separators()) when a rule is inserted or removed.
import { stampedChildren, withoutStamps } from "./revision-entry";
import type { PfConfigDoc, PfElement } from "../codec";
import { child, ensurePath, getPath, insertChild, kids, leaf, flag, removeChild, sameElement, section, textIn } from "../codec-tree";
import type { PfSchema } from "../version";
import { ChangeLog, ElementInputError, checkPfIfName, checkText, type EditResult } from "./common";
import { markerKey, unmarkedDescr } from "./marker";
import type { ElementDescriptor } from "./descriptor";
import { newTracker } from "./identity";

/** The filter-rule marker at the start of descr. */
export const RULE_MARKER = "[pfha] ";
/** filter.inc: PFLABEL_MAXLEN and USER_LABEL_INTRO. */
const PF_LABEL_MAX = 63;
const USER_LABEL_INTRO = "USER_RULE: ";
/** The longest description pf's label keeps whole. */
export const MAX_RULE_DESCR = PF_LABEL_MAX - USER_LABEL_INTRO.length - RULE_MARKER.length;

function isOurDescr(descr: string | undefined, tracker: string): boolean {
  return descr !== undefined && (descr.startsWith(RULE_MARKER) || markerKey(descr) === tracker);
}

function ruleDescrOf(descr: string): string {
  return descr.startsWith(RULE_MARKER) ? descr.slice(RULE_MARKER.length) : unmarkedDescr(descr);
}

/** pconfig_to_address(): `any`, a special net (`(self)`, `opt1`, `opt1ip`) as <network>, or an address/alias as <address>. */
export type RuleAddress = { any: true } | { network: string } | { address: string };

export interface FilterRuleSpec {
  /** Unique tracker (an integer, pfSense uses (int)microtime(true)); generated once by the caller. */
  tracker: string;
  type: "pass" | "block" | "reject";
  interface: string;
  ipprotocol: "inet" | "inet6" | "inet46";
  /** Omitted = any (get_ipprotocols()): tcp, udp, tcp/udp, icmp, carp, pfsync… */
  protocol?: string;
  source: RuleAddress;
  destination: RuleAddress & { port?: string };
  descr: string;
  position: { top: true } | { afterTracker: string };
}

// An array, not a Set: Sets do not survive Pulumi's closure serialization.
const PROTOCOLS: readonly string[] = ["tcp", "udp", "tcp/udp", "icmp", "esp", "ah", "gre", "ipv6", "igmp", "pim", "ospf", "sctp", "carp", "pfsync"];

export function validateFilterRule(spec: FilterRuleSpec): void {
  if (!/^[1-9][0-9]{0,9}$/.test(spec.tracker)) throw new ElementInputError("tracker", spec.tracker, "use a positive integer of up to 10 digits, unique on the firewall");
  if (!["pass", "block", "reject"].includes(spec.type)) throw new ElementInputError("type", spec.type, "use pass, block or reject");
  checkPfIfName("interface", spec.interface);
  if (!["inet", "inet6", "inet46"].includes(spec.ipprotocol)) throw new ElementInputError("ipprotocol", spec.ipprotocol, "use inet, inet6 or inet46");
  if (spec.protocol !== undefined && !PROTOCOLS.includes(spec.protocol)) throw new ElementInputError("protocol", spec.protocol, `use one of ${PROTOCOLS.join(", ")} or omit it for any`);
  for (const [field, a] of [["source", spec.source], ["destination", spec.destination]] as const) {
    const v = "network" in a ? a.network : "address" in a ? a.address : "any";
    if (!/^[A-Za-z0-9_.:/()-]{1,64}$/.test(v)) throw new ElementInputError(field, v, "use any, a special net like (self)/opt1/opt1ip, an address or an alias name");
  }
  const port = spec.destination.port;
  if (port !== undefined && !/^([0-9]{1,5}(-[0-9]{1,5})?|[A-Za-z_][A-Za-z0-9_]{0,31})$/.test(port)) {
    throw new ElementInputError("destination.port", port, "use a port, a range like 80-443 or a port alias");
  }
  checkText("descr", spec.descr, 120);
  if (spec.descr.length > MAX_RULE_DESCR) {
    throw new ElementInputError("descr", spec.descr, `it is ${spec.descr.length} characters; pf's rule label ("${USER_LABEL_INTRO}${RULE_MARKER}" + descr) is cut at ${PF_LABEL_MAX}, so use at most ${MAX_RULE_DESCR}`);
  }
  if ("afterTracker" in spec.position && !/^[0-9]{1,10}$/.test(spec.position.afterTracker)) {
    throw new ElementInputError("position.afterTracker", spec.position.afterTracker, "use the tracker of an existing rule");
  }
}

function addressEl(doc: PfConfigDoc, tag: string, a: RuleAddress & { port?: string }): PfElement {
  const inner: PfElement[] = ["any" in a ? flag("any") : "network" in a ? leaf(doc, "network", a.network) : leaf(doc, "address", a.address)];
  if (a.port !== undefined) inner.push(leaf(doc, "port", a.port));
  return section(tag, inner);
}

function build(doc: PfConfigDoc, spec: FilterRuleSpec, schema: PfSchema): PfElement {
  const v = (k: string, s: string): PfElement => leaf(doc, k, s);
  const els: PfElement[] = [
    v("id", ""), v("tracker", spec.tracker), v("type", spec.type), v("interface", spec.interface), v("ipprotocol", spec.ipprotocol),
    v("tag", ""), v("tagged", ""), v("max", ""), v("max-src-nodes", ""), v("max-src-conn", ""), v("max-src-states", ""),
    v("statetimeout", ""), v("statetype", "keep state"), v("os", ""),
  ];
  if (schema.statePolicy) els.push(v("statepolicy", ""));
  if (spec.protocol !== undefined) els.push(v("protocol", spec.protocol));
  els.push(addressEl(doc, "source", spec.source), addressEl(doc, "destination", spec.destination), v("descr", RULE_MARKER + spec.descr));
  return section("rule", els);
}

// Trackers are digits and interface names [a-z0-9]: their raw text is their value, so compare raw (no decoding:
// a 10,000-rule config is scanned per edit).
function rawOf(el: PfElement, tag: string): string | undefined {
  const list = el.children;
  if (list === null) return undefined;
  for (let i = 0; i < list.length; i++) if (list[i].tag === tag) return list[i].raw;
  return undefined;
}

function findByTracker(doc: PfConfigDoc, tracker: string): PfElement | undefined {
  const list = getPath(doc.root, "filter")?.children ?? [];
  for (let i = 0; i < list.length; i++) {
    if (list[i].tag !== "rule") continue;
    const raw = rawOf(list[i], "tracker");
    // length first: raw values are slices of the whole file, comparing lengths avoids touching their bytes
    if (raw !== undefined && raw.length === tracker.length && raw === tracker) return list[i];
  }
  return undefined;
}

function findOurs(doc: PfConfigDoc, tracker: string): PfElement | undefined {
  const r = findByTracker(doc, tracker);
  if (r === undefined) return undefined;
  if (!isOurDescr(textIn(doc, child(r, "descr")), tracker)) {
    throw new Error(`tracker: ${tracker} is already used by a rule not managed by pfsense-ha (${JSON.stringify(textIn(doc, child(r, "descr")) ?? "")}); use another tracker`);
  }
  return r;
}

/** Index in <filter> where the rule belongs. */
function targetIndex(filter: PfElement, spec: FilterRuleSpec, self: PfElement | undefined): number {
  const list = kids(filter).filter((e) => e !== self);
  if ("afterTracker" in spec.position) {
    const after = spec.position.afterTracker;
    const i = list.findIndex((e) => e.tag === "rule" && rawOf(e, "tracker") === after);
    if (i === -1) throw new Error(`position.afterTracker: no rule with tracker ${after} exists; create that rule first or use position top`);
    return i + 1;
  }
  const i = list.findIndex((e) => e.tag === "rule" && rawOf(e, "interface") === spec.interface);
  return i === -1 ? list.length : i;
}

/** The rule's index among the rules of its interface (what separators count), -1 when it is first. */
function interfaceIndexBefore(filter: PfElement, at: number, iface: string): number {
  return kids(filter).slice(0, at).filter((e) => e.tag === "rule" && rawOf(e, "interface") === iface).length - 1;
}

/**
 * filter.inc shift_separators() for one interface: a rule added at interface index `index + 1` (index -1 = the top)
 * moves every separator below it down one row; a rule removed from `index` moves those below it up one row.
 */
function shiftSeparators(doc: PfConfigDoc, iface: string, index: number, up: boolean, log: ChangeLog): void {
  const seps = getPath(doc.root, `filter/separator/${iface}`);
  for (const sep of seps?.children ?? []) {
    const rowText = textIn(doc, child(sep, "row"));
    if (rowText === undefined || !/^fr\d+$/.test(rowText)) continue;
    const row = Number(rowText.slice(2));
    let shift = up ? -1 : 1;
    if (index !== -1 && (row === 0 || row <= index)) shift = 0;
    if (shift === 0) continue;
    log.value(sep, "row", `fr${row + shift}`);
  }
}

export function upsertFilterRule(doc: PfConfigDoc, spec: FilterRuleSpec, schema: PfSchema): EditResult {
  validateFilterRule(spec);
  const log = new ChangeLog(doc, `rule ${spec.tracker}`);
  const existing = findOurs(doc, spec.tracker);
  const filter = ensurePath(doc.root, "filter");
  const want = build(doc, spec, schema);
  if (existing === undefined) {
    const at = targetIndex(filter, spec, undefined);
    // firewall_rules_edit.php: shift_separators(-1) for the top, else the index of the rule it follows
    shiftSeparators(doc, spec.interface, "top" in spec.position ? -1 : interfaceIndexBefore(filter, at, spec.interface), false, log);
    want.children = stampedChildren(doc, kids(want), undefined);
    insertChild(filter, want, at);
    log.note("created");
    return log.result();
  }
  // created/updated are the save's stamps, not the rule: compared without them, a changed rule keeps `created`.
  if (!sameElement({ ...existing, children: withoutStamps(existing) }, want)) {
    existing.children = stampedChildren(doc, kids(want), existing);
    log.note("fields updated");
  }
  const list = kids(filter);
  const at = list.indexOf(existing);
  const target = targetIndex(filter, spec, existing);
  if (target !== at) {
    list.splice(at, 1);
    list.splice(target, 0, existing);
    log.note("moved");
  }
  return log.result();
}

export function removeFilterRule(doc: PfConfigDoc, tracker: string): boolean {
  const r = findOurs(doc, tracker);
  return r !== undefined && removeFilterRuleElement(doc, r);
}

/** Removes one <filter><rule> element (already known to be ours) and moves its interface's separators up. */
export function removeFilterRuleElement(doc: PfConfigDoc, r: PfElement): boolean {
  const filter = getPath(doc.root, "filter");
  if (filter === undefined || !kids(filter).includes(r)) return false;
  const iface = rawOf(r, "interface") ?? "";
  // firewall_rules.php delete and itemid.inc delete_id(): shift_separators(index of the removed rule, shift up)
  const index = interfaceIndexBefore(filter, kids(filter).indexOf(r) + 1, iface);
  shiftSeparators(doc, iface, index, true, new ChangeLog(doc, `rule ${rawOf(r, "tracker") ?? ""}`));
  return removeChild(filter, r);
}

function readAddress(doc: PfConfigDoc, el: PfElement | undefined): RuleAddress & { port?: string } {
  const out: RuleAddress & { port?: string } = el === undefined || child(el, "any") ? { any: true } : child(el, "network") ? { network: textIn(doc, child(el, "network")) ?? "" } : { address: textIn(doc, child(el, "address")) ?? "" };
  const port = el ? textIn(doc, child(el, "port")) : undefined;
  if (port !== undefined) out.port = port;
  return out;
}

export function readFilterRule(doc: PfConfigDoc, tracker: string): FilterRuleSpec | undefined {
  const r = findOurs(doc, tracker);
  if (r === undefined) return undefined;
  const v = (k: string): string => textIn(doc, child(r, k)) ?? "";
  const filter = getPath(doc.root, "filter") as PfElement;
  const list = kids(filter);
  const i = list.indexOf(r);
  const prev = list.slice(0, i).reverse().find((e) => e.tag === "rule" && textIn(doc, child(e, "interface")) === v("interface"));
  const spec: FilterRuleSpec = {
    tracker, type: v("type") as FilterRuleSpec["type"], interface: v("interface"), ipprotocol: v("ipprotocol") as FilterRuleSpec["ipprotocol"],
    source: readAddress(doc, child(r, "source")), destination: readAddress(doc, child(r, "destination")), descr: ruleDescrOf(v("descr")),
    position: prev === undefined ? { top: true } : { afterTracker: textIn(doc, child(prev, "tracker")) ?? "" },
  };
  if (child(r, "protocol")) spec.protocol = v("protocol");
  return spec;
}

/** A filter rule spec as a resource takes it: without a tracker one is generated once (by check) and kept. */
export type FilterRuleInputSpec = Omit<FilterRuleSpec, "tracker"> & { tracker?: string };

/**
 * FirewallRule: one filter rule, identified by its tracker (generated once when not given) and the descr marker;
 * its position relative to the user's rules is part of the spec. Synced verbatim (same tracker, same descr).
 */
export const filterRuleElement: ElementDescriptor<FilterRuleSpec> = {
  resource: "FirewallRule",
  provider: "firewallRule",
  component: { name: "FirewallRule", previous: ["pfsense-ha:pfsense:FirewallRuleComponent"] },
  section: "filter",
  secretSpec: false,
  waitsInStage: true,
  awaitedInStage: true,
  normalize: (old, spec) => ({ ...spec, tracker: spec.tracker || old?.tracker || newTracker() }),
  identity: (s) => s.tracker,
  validate: (s) => validateFilterRule(s),
  upsert: (doc, s, schema) => upsertFilterRule(doc, s, schema),
  remove: (doc, s) => void removeFilterRule(doc, s.tracker),
  read: (doc, s) => readFilterRule(doc, s.tracker),
  secrets: () => [],
};
