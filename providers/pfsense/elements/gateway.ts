// Static IPv4 gateway in <gateways><gateway_item>, keys in save_gateway()'s order (system_gateways_edit.php,
// gwlb.inc on 2.7: interface, gateway, name, weight, ipprotocol, descr), plus what makes it the upstream:
// <gateways><defaultgw4>NAME (System > Routing > Default gateway, 2.5+) and the interface's <gateway>NAME
// (interfaces.php). Identity: name + the descr marker, so a human's gateway of the same name is refused.
// Apply (system_gateways.php "apply"): system_routing_configure(), system_resolvconf_generate(), filter_configure(),
// setup_gateways_monitor() — the write protocol's "routing" section (remote/sections.ts).
import type { PfConfigDoc, PfElement } from "../codec";
import { child, childrenByTag, ensurePath, getPath, insertChild, leaf, removeChild, section, setValue, textIn } from "../codec-tree";
import { ChangeLog, ElementInputError, checkPfIfName, checkInt, checkIpv4, checkText, type EditResult } from "./common";
import { markedDescr, markerKey, unmarkedDescr } from "./marker";
import type { ElementDescriptor } from "./descriptor";

export interface GatewaySpec {
  /** gateway_item name, e.g. PFHA_WANGW: [A-Za-z0-9_], at most 31 (is_validaliasname). */
  name: string;
  /** The interface it is reached on: wan, lan or optN. */
  interface: string;
  /** The upstream router's IPv4 address. */
  gateway: string;
  /** Gateway-group weight, 1-30 (the GUI's select). */
  weight: number;
  descr: string;
  /** Also the IPv4 default gateway (<defaultgw4>). */
  defaultGateway: boolean;
}

export function validateGateway(spec: GatewaySpec): void {
  if (typeof spec.name !== "string" || !/^[A-Za-z0-9_]{1,31}$/.test(spec.name) || /^[0-9]+$/.test(spec.name)) {
    throw new ElementInputError("name", spec.name, "use 1-31 characters from [A-Za-z0-9_], not only digits (pfSense gateway names)");
  }
  checkPfIfName("interface", spec.interface);
  checkIpv4("gateway", spec.gateway);
  checkInt("weight", spec.weight, 1, 30);
  checkText("descr", spec.descr, 120);
  if (typeof spec.defaultGateway !== "boolean") throw new ElementInputError("defaultGateway", spec.defaultGateway, "use true or false");
}

function findByName(doc: PfConfigDoc, name: string): PfElement | undefined {
  const g = getPath(doc.root, "gateways");
  return g ? childrenByTag(g, "gateway_item").find((e) => textIn(doc, child(e, "name")) === name) : undefined;
}

function findOurs(doc: PfConfigDoc, name: string): PfElement | undefined {
  const e = findByName(doc, name);
  if (e !== undefined && markerKey(textIn(doc, child(e, "descr"))) !== name) {
    throw new Error(`name: gateway ${JSON.stringify(name)} already exists and is not managed by pfsense-ha; rename or delete that gateway (System > Routing > Gateways)`);
  }
  return e;
}

// save_gateway() always writes gw_down_kill_states (after descr; "" = the global default), so ours has it too.
const ORDER = ["interface", "gateway", "name", "weight", "ipprotocol", "descr", "gw_down_kill_states"];

export function upsertGateway(doc: PfConfigDoc, spec: GatewaySpec): EditResult {
  validateGateway(spec);
  const iface = getPath(doc.root, `interfaces/${spec.interface}`);
  if (iface === undefined || iface.children === null) {
    throw new Error(`interface: ${JSON.stringify(spec.interface)} is not assigned on this firewall; assign it first (the PfSenseInterface resource)`);
  }
  const want: Record<string, string> = {
    interface: spec.interface, gateway: spec.gateway, name: spec.name, weight: String(spec.weight),
    ipprotocol: "inet", descr: markedDescr(spec.name, spec.descr), gw_down_kill_states: "",
  };
  const log = new ChangeLog(doc, `gateway ${spec.name}`);
  const existing = findOurs(doc, spec.name);
  if (existing === undefined) {
    const gws = ensurePath(doc.root, "gateways");
    // gateway_item before defaultgw4, as pfSense writes the section
    const at = (gws.children ?? []).findIndex((e) => e.tag !== "gateway_item");
    insertChild(gws, section("gateway_item", ORDER.map((k) => leaf(doc, k, want[k]))), at === -1 ? undefined : at);
    log.note("created");
  } else ORDER.forEach((k, i) => log.value(existing, k, want[k], { index: i }));
  // The interface's upstream: interfaces.php stores the gateway's name
  const linkedTo = textIn(doc, child(iface, "gateway"));
  if (setValue(doc, iface, "gateway", spec.name)) log.note(`interfaces/${spec.interface}/gateway: ${linkedTo === undefined ? "(absent)" : JSON.stringify(linkedTo)} -> ${JSON.stringify(spec.name)}`);
  const gws = getPath(doc.root, "gateways") as PfElement;
  const dflt = textIn(doc, child(gws, "defaultgw4"));
  if (spec.defaultGateway) log.value(gws, "defaultgw4", spec.name);
  else if (dflt === spec.name) log.value(gws, "defaultgw4", ""); // "" = automatic
  return log.result();
}

/** Removes our gateway_item and every reference to it (defaultgw4, the interface's gateway). */
export function removeGateway(doc: PfConfigDoc, name: string): boolean {
  const e = findOurs(doc, name);
  if (e === undefined) return false;
  const gws = getPath(doc.root, "gateways") as PfElement;
  const iface = textIn(doc, child(e, "interface"));
  removeChild(gws, e);
  if (textIn(doc, child(gws, "defaultgw4")) === name) setValue(doc, gws, "defaultgw4", "");
  const i = iface !== undefined ? getPath(doc.root, `interfaces/${iface}`) : undefined;
  if (i !== undefined && textIn(doc, child(i, "gateway")) === name) setValue(doc, i, "gateway", "");
  return true;
}

/**
 * Our gateway as found: defaultGateway = defaultgw4 names it. When its interface no longer points at it,
 * `interface` reads as "" so the link's drift shows as a diff.
 */
export function readGateway(doc: PfConfigDoc, name: string): GatewaySpec | undefined {
  const e = findOurs(doc, name);
  if (e === undefined) return undefined;
  const v = (k: string): string => textIn(doc, child(e, k)) ?? "";
  const linked = textIn(doc, getPath(doc.root, `interfaces/${v("interface")}/gateway`)) === name;
  return {
    name, interface: linked ? v("interface") : "", gateway: v("gateway"), weight: Number(v("weight")), descr: unmarkedDescr(v("descr")),
    defaultGateway: textIn(doc, getPath(doc.root, "gateways/defaultgw4")) === name,
  };
}

/**
 * Gateway: one static IPv4 gateway, the interface's upstream and optionally the default, identified by its name and
 * the descr marker. With synchronizestaticroutes rc.filter_synchronize sends the whole <gateways> section
 * (gateway_item, defaultgw4), so the secondary gets the primary's gateway verbatim; <interfaces> is never synced:
 * each node's interface <gateway> link is its own (written by both items).
 */
export const gatewayElement: ElementDescriptor<GatewaySpec> = {
  resource: "Gateway",
  provider: "gateway",
  component: { name: "Gateway", previous: ["pfsense-ha:pfsense:GatewayComponent"] },
  section: "routing",
  secretSpec: false,
  waitsInStage: true,
  normalize: (_old, spec) => spec,
  identity: (s) => s.name,
  validate: (s) => validateGateway(s),
  upsert: (doc, s) => upsertGateway(doc, s),
  remove: (doc, s) => void removeGateway(doc, s.name),
  read: (doc, s) => readGateway(doc, s.name),
  secrets: () => [],
};
