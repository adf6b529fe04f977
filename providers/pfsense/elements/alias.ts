// Host/network alias in <aliases><alias> (firewall_aliases_edit.php). Identity: name + the descr marker, so a human's
// alias of the same name is refused, never rewritten.
import type { PfConfigDoc, PfElement } from "../codec";
import { child, childrenByTag, ensurePath, getPath, insertChild, leaf, removeChild, section, textIn } from "../codec-tree";
import { ChangeLog, ElementInputError, checkIpv4, checkText, type EditResult } from "./common";
import { markedDescr, markerKey, unmarkedDescr } from "./marker";
import type { ElementDescriptor } from "./descriptor";

export interface AliasSpec {
  name: string;
  type: "host" | "network";
  /** IPv4 addresses (host) or CIDRs (network). */
  addresses: string[];
  descr: string;
}

export function validateAlias(spec: AliasSpec): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,30}$/.test(spec.name)) throw new ElementInputError("name", spec.name, "use 1-31 characters from [A-Za-z0-9_], not starting with a digit");
  if (spec.type !== "host" && spec.type !== "network") throw new ElementInputError("type", spec.type, "use host or network");
  if (spec.addresses.length === 0) throw new ElementInputError("addresses", spec.addresses, "give at least one address");
  spec.addresses.forEach((a, i) => {
    if (spec.type === "host") checkIpv4(`addresses[${i}]`, a);
    else if (!/^\d+\.\d+\.\d+\.\d+\/\d{1,2}$/.test(a)) throw new ElementInputError(`addresses[${i}]`, a, "use a CIDR such as 172.16.1.0/24");
  });
  checkText("descr", spec.descr, 120);
}

function findByName(doc: PfConfigDoc, name: string): PfElement | undefined {
  const a = getPath(doc.root, "aliases");
  return a ? childrenByTag(a, "alias").find((e) => textIn(doc, child(e, "name")) === name) : undefined;
}

function findOurs(doc: PfConfigDoc, name: string): PfElement | undefined {
  const e = findByName(doc, name);
  if (e !== undefined && markerKey(textIn(doc, child(e, "descr"))) !== name) {
    throw new Error(`name: alias ${JSON.stringify(name)} already exists and is not managed by pfsense-ha; choose another alias name`);
  }
  return e;
}

const ORDER = ["name", "type", "address", "descr", "detail"];

export function upsertAlias(doc: PfConfigDoc, spec: AliasSpec): EditResult {
  validateAlias(spec);
  const want: Record<string, string> = {
    name: spec.name, type: spec.type, address: spec.addresses.join(" "),
    descr: markedDescr(spec.name, spec.descr), detail: spec.addresses.map(() => "").join("||"),
  };
  const log = new ChangeLog(doc, `alias ${spec.name}`);
  const existing = findOurs(doc, spec.name);
  if (existing === undefined) {
    insertChild(ensurePath(doc.root, "aliases"), section("alias", ORDER.map((k) => leaf(doc, k, want[k]))));
    log.note("created");
  } else ORDER.forEach((k, i) => log.value(existing, k, want[k], { index: i }));
  return log.result();
}

export function removeAlias(doc: PfConfigDoc, name: string): boolean {
  const e = findOurs(doc, name);
  return e !== undefined && removeChild(getPath(doc.root, "aliases") as PfElement, e);
}

export function readAlias(doc: PfConfigDoc, name: string): AliasSpec | undefined {
  const e = findOurs(doc, name);
  if (e === undefined) return undefined;
  const v = (k: string): string => textIn(doc, child(e, k)) ?? "";
  return { name, type: v("type") as AliasSpec["type"], addresses: v("address").split(" ").filter(Boolean), descr: unmarkedDescr(v("descr")) };
}

/** Alias: one host/network alias, identified by its name and the descr marker. Synced verbatim (restore_config_section). */
export const aliasElement: ElementDescriptor<AliasSpec> = {
  resource: "Alias",
  provider: "alias",
  component: { name: "Alias", previous: ["pfsense-ha:pfsense:AliasComponent"] },
  section: "filter",
  secretSpec: false,
  waitsInStage: true,
  awaitedInStage: true,
  normalize: (_old, spec) => spec,
  identity: (s) => s.name,
  validate: (s) => validateAlias(s),
  upsert: (doc, s) => upsertAlias(doc, s),
  remove: (doc, s) => void removeAlias(doc, s.name),
  read: (doc, s) => readAlias(doc, s.name),
  secrets: () => [],
};
