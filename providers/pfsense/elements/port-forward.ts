// Port forward (Firewall > NAT > Port Forward, `<nat><rule>`) to a WAN CARP VIP, with its linked filter rule, as
// firewall_nat.inc saveNATrule() writes a new rule with "Filter rule association: Add associated filter rule":
// - the NAT rule: source any, destination = the VIP address (a VIP picked in the destination list is stored as
//   <address>, pconfig_to_address() without SPECIALNET_VIPS) and the external port (range), ipprotocol, protocol,
//   target, local-port, interface, descr, associated-rule-id, then the save's `updated` and `created` stamps;
//   appended to the port forwards (`$a_nat[] = $natent`);
// - the linked filter rule, appended to <filter> (`$config['filter']['rule'][] = $filterent`; 24.x
//   add_filter_rules() at -2): source any, interface, ipprotocol, protocol, destination = target address and the
//   local port (range), descr = substr("NAT " . descr, 0, 62), associated-rule-id, tracker, and only a `created`
//   stamp whose username is "NAT Port Forward" (make_config_revision_entry(null, gettext("NAT Port Forward")): that
//   string is the override_user argument).
// The association id has uniqid("nat_", true)'s shape (get_unique_id()); it is an input (a hash of stable names in
// the plan), so both firewalls hold the same one, as the XMLRPC sync would copy it. Identity: the descr marker on
// the NAT rule; the filter rule is the one carrying its associated-rule-id. Delete removes both, as the GUI's
// delete does (delete_id()), and moves the separators below them up (shift_separators()).
import { revisionEntry, stampedChildren, withoutStamps } from "./revision-entry";
import type { PfConfigDoc, PfElement } from "../codec";
import { child, childrenByTag, ensurePath, flag, getPath, insertChild, kids, leaf, removeChild, sameElements, section, textIn } from "../codec-tree";
import type { PfSchema } from "../version";
import { ChangeLog, ElementInputError, checkPfIfName, checkIpv4, checkText, type EditResult } from "./common";
import { removeFilterRuleElement } from "./filter-rule";
import { checkKey, markedDescr, markerKey, unmarkedDescr } from "./marker";
import type { ElementDescriptor } from "./descriptor";

/** The username make_config_revision_entry() stamps on the filter rule a port forward adds. */
export const PORT_FORWARD_RULE_USER = "NAT Port Forward";

export type PortForwardProtocol = "tcp" | "udp" | "tcp/udp";

export interface PortForwardSpec {
  /** Marker key (identity), 1-40 of [A-Za-z0-9_.-]. */
  key: string;
  /** associated-rule-id linking the NAT rule and its filter rule: "nat_" + 14 hex + "." + 8 digits. */
  associatedRuleId: string;
  /** The linked filter rule's tracker. */
  tracker: string;
  /** Outside interface (wan). */
  interface: string;
  protocol: PortForwardProtocol;
  /** The WAN CARP VIP the forward listens on. */
  destination: string;
  /** External port or range "from-to". */
  externalPort: string;
  /** Inside address the traffic is redirected to. */
  target: string;
  /** Target port (the start of the range when externalPort is a range). */
  localPort: string;
  descr: string;
}

const PROTOCOLS: readonly string[] = ["tcp", "udp", "tcp/udp"];

/** A port 1-65535 or a range "a-b" with a <= b; [from, to]. */
export function parsePortRange(v: string): [number, number] | undefined {
  const m = /^([0-9]{1,5})(?:-([0-9]{1,5}))?$/.exec(v);
  if (!m) return undefined;
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  return from >= 1 && to <= 65535 && from <= to ? [from, to] : undefined;
}

export function validatePortForward(spec: PortForwardSpec): void {
  checkKey("key", spec.key);
  if (!/^nat_[0-9a-f]{14}\.[0-9]{8}$/.test(spec.associatedRuleId)) {
    throw new ElementInputError("associatedRuleId", spec.associatedRuleId, `use uniqid("nat_", true)'s shape: nat_ + 14 hex digits + "." + 8 digits`);
  }
  if (!/^[1-9][0-9]{0,9}$/.test(spec.tracker)) throw new ElementInputError("tracker", spec.tracker, "use a positive integer of up to 10 digits, unique on the firewall");
  checkPfIfName("interface", spec.interface);
  if (!PROTOCOLS.includes(spec.protocol)) throw new ElementInputError("protocol", spec.protocol, "use tcp, udp or tcp/udp");
  checkIpv4("destination", spec.destination);
  const ext = parsePortRange(spec.externalPort);
  if (ext === undefined) throw new ElementInputError("externalPort", spec.externalPort, "use a port 1-65535 or a range like 8000-8010");
  checkIpv4("target", spec.target);
  const local = parsePortRange(spec.localPort);
  if (local === undefined || local[0] !== local[1]) throw new ElementInputError("localPort", spec.localPort, "use one port 1-65535 (the start of the target range)");
  if (local[0] + ext[1] - ext[0] > 65535) {
    throw new ElementInputError("localPort", spec.localPort, `the target range ${local[0]}-${local[0] + ext[1] - ext[0]} passes 65535; lower localPort or narrow externalPort`);
  }
  checkText("descr", spec.descr, 120);
}

/** The filter rule's destination port: the local port, or the range it maps to (saveNATrule's $dstpfrom-$dstpto). */
export function linkedRulePort(spec: PortForwardSpec): string {
  const [from, to] = parsePortRange(spec.externalPort) as [number, number];
  const local = Number(spec.localPort);
  return from === to ? String(local) : `${local}-${local + to - from}`;
}

/** saveNATrule(): substr("NAT " . $post['descr'], 0, 62). */
export function linkedRuleDescr(natDescr: string): string {
  return `NAT ${natDescr}`.slice(0, 62);
}

function natRules(doc: PfConfigDoc): PfElement[] {
  const nat = getPath(doc.root, "nat");
  return nat ? childrenByTag(nat, "rule") : [];
}

function findOurs(doc: PfConfigDoc, key: string): PfElement | undefined {
  return natRules(doc).find((r) => markerKey(textIn(doc, child(r, "descr"))) === key);
}

function findLinked(doc: PfConfigDoc, id: string): PfElement | undefined {
  const filter = getPath(doc.root, "filter");
  return filter ? childrenByTag(filter, "rule").find((r) => textIn(doc, child(r, "associated-rule-id")) === id) : undefined;
}

function buildNat(doc: PfConfigDoc, spec: PortForwardSpec): PfElement {
  const v = (k: string, s: string): PfElement => leaf(doc, k, s);
  return section("rule", [
    section("source", [flag("any")]),
    section("destination", [v("address", spec.destination), v("port", spec.externalPort)]),
    v("ipprotocol", "inet"), v("protocol", spec.protocol), v("target", spec.target), v("local-port", spec.localPort),
    v("interface", spec.interface), v("descr", markedDescr(spec.key, spec.descr)), v("associated-rule-id", spec.associatedRuleId),
  ]);
}

function buildLinked(doc: PfConfigDoc, spec: PortForwardSpec): PfElement {
  const v = (k: string, s: string): PfElement => leaf(doc, k, s);
  return section("rule", [
    section("source", [flag("any")]),
    v("interface", spec.interface), v("ipprotocol", "inet"), v("protocol", spec.protocol),
    section("destination", [v("address", spec.target), v("port", linkedRulePort(spec))]),
    v("descr", linkedRuleDescr(markedDescr(spec.key, spec.descr))), v("associated-rule-id", spec.associatedRuleId), v("tracker", spec.tracker),
  ]);
}

/** The filter rule's stamp: make_config_revision_entry(null, "NAT Port Forward"). */
function linkedCreated(doc: PfConfigDoc): PfElement {
  const e = revisionEntry(doc, "created");
  (e.children as PfElement[])[1] = leaf(doc, "username", PORT_FORWARD_RULE_USER);
  return e;
}

/** Index after the last <tag> child of `parent` (where PHP's `$list[] = $x` puts it in the dump), else the end. */
function appendIndex(parent: PfElement, tag: string): number {
  const last = kids(parent).map((e) => e.tag).lastIndexOf(tag);
  return last === -1 ? kids(parent).length : last + 1;
}

export function upsertPortForward(doc: PfConfigDoc, spec: PortForwardSpec, schema: Pick<PfSchema, "natSeparatorInit">): EditResult {
  validatePortForward(spec);
  const log = new ChangeLog(doc, `port-forward ${spec.key}`);
  const nat = ensurePath(doc.root, "nat");
  const want = buildNat(doc, spec);
  const existing = findOurs(doc, spec.key);
  // A forward whose association id changed: its old linked rule goes (saveNATrule: delete_id() of the previous id).
  const oldId = existing ? textIn(doc, child(existing, "associated-rule-id")) : undefined;
  if (oldId !== undefined && oldId !== spec.associatedRuleId) {
    const old = findLinked(doc, oldId);
    if (old !== undefined && removeFilterRuleElement(doc, old)) log.note(`linked filter rule ${oldId} removed`);
  }
  if (existing === undefined) {
    // 2.7 tree saveNATrule(): init_config_arr(['nat', 'separator']) then ['nat', 'rule']: an empty <separator> first
    if (schema.natSeparatorInit === true && child(nat, "separator") === undefined) {
      const firstRule = kids(nat).findIndex((e) => e.tag === "rule");
      insertChild(nat, leaf(doc, "separator", ""), firstRule === -1 ? kids(nat).length : firstRule);
    }
    want.children = stampedChildren(doc, kids(want), undefined);
    insertChild(nat, want, appendIndex(nat, "rule"));
    log.note("created");
  } else if (!sameElements(withoutStamps(existing), kids(want))) {
    existing.children = stampedChildren(doc, kids(want), existing);
    log.note("fields updated");
  }
  const wantRule = buildLinked(doc, spec);
  const linked = findLinked(doc, spec.associatedRuleId);
  if (linked === undefined) {
    wantRule.children = [...kids(wantRule), linkedCreated(doc)];
    const filter = ensurePath(doc.root, "filter");
    insertChild(filter, wantRule, appendIndex(filter, "rule"));
    log.note("linked filter rule created");
  } else if (!sameElements(withoutStamps(linked), kids(wantRule))) {
    // the GUI edits the linked rule in place and stamps nothing on it
    linked.children = [...kids(wantRule), ...kids(linked).filter((c) => c.tag === "created" || c.tag === "updated")];
    log.note("linked filter rule updated");
  }
  return log.result();
}

/** filter.inc shift_separators($a_separators, $index, true) on <nat><separator>: rows below the removed rule move up. */
function shiftNatSeparatorsUp(doc: PfConfigDoc, index: number): void {
  const seps = getPath(doc.root, "nat/separator");
  const log = new ChangeLog(doc, "nat separator");
  for (const sep of seps?.children ?? []) {
    const rowText = textIn(doc, child(sep, "row"));
    if (rowText === undefined || !/^fr\d+$/.test(rowText)) continue;
    const row = Number(rowText.slice(2));
    if (index !== -1 && (row === 0 || row <= index)) continue;
    log.value(sep, "row", `fr${row - 1}`);
  }
}

/** Removes our NAT rule and its linked filter rule (never a human's: both are found through our marker). */
export function removePortForward(doc: PfConfigDoc, key: string): boolean {
  const r = findOurs(doc, key);
  if (r === undefined) return false;
  const id = textIn(doc, child(r, "associated-rule-id"));
  shiftNatSeparatorsUp(doc, natRules(doc).indexOf(r));
  removeChild(getPath(doc.root, "nat") as PfElement, r);
  const linked = id ? findLinked(doc, id) : undefined;
  if (linked !== undefined) removeFilterRuleElement(doc, linked);
  return true;
}

export function readPortForward(doc: PfConfigDoc, key: string): PortForwardSpec | undefined {
  const r = findOurs(doc, key);
  if (r === undefined) return undefined;
  const v = (k: string): string => textIn(doc, child(r, k)) ?? "";
  const id = v("associated-rule-id");
  const spec: PortForwardSpec = {
    key, associatedRuleId: id, tracker: "", interface: v("interface"), protocol: v("protocol") as PortForwardProtocol,
    destination: textIn(doc, getPath(r, "destination/address")) ?? "", externalPort: textIn(doc, getPath(r, "destination/port")) ?? "",
    target: v("target"), localPort: v("local-port"), descr: unmarkedDescr(v("descr")),
  };
  // The linked rule is part of the forward: missing or changed, it reads as a tracker drift the next update repairs.
  const linked = id ? findLinked(doc, id) : undefined;
  if (linked !== undefined) {
    const tracker = textIn(doc, child(linked, "tracker")) ?? "";
    const asBuilt = tracker !== "" && validatedOrUndefined({ ...spec, tracker }) !== undefined && sameElements(withoutStamps(linked), kids(buildLinked(doc, { ...spec, tracker })));
    spec.tracker = asBuilt ? tracker : `${tracker} (changed)`;
  }
  return spec;
}

function validatedOrUndefined(spec: PortForwardSpec): PortForwardSpec | undefined {
  try {
    validatePortForward(spec);
    return spec;
  } catch {
    return undefined;
  }
}

/**
 * PortForward: a port forward with its linked filter rule, identified by the descr marker key; delete removes the
 * NAT rule and the filter rule it added. Both are synced verbatim (synchronizenat, synchronizerules), keeping their
 * associated-rule-id.
 */
export const portForwardElement: ElementDescriptor<PortForwardSpec> = {
  resource: "PortForward",
  provider: "portForward",
  component: { name: "PortForward", previous: [] },
  section: "filter",
  secretSpec: false,
  normalize: (_old, spec) => spec,
  identity: (s) => s.key,
  validate: (s) => validatePortForward(s),
  upsert: (doc, s, schema) => upsertPortForward(doc, s, schema),
  remove: (doc, s) => void removePortForward(doc, s.key),
  read: (doc, s) => readPortForward(doc, s.key),
  secrets: () => [],
};
