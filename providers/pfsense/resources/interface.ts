// PfSenseInterface: assignment and static IPv4 of wan/lan/optN (elements/interface.ts), identified by its name.
// A sync interface must have blockpriv/blockbogons off; a human turning them back on reads as drift.
import { child, getPath } from "../codec-tree";
import { readInterface, readIpv6Spec, removeInterface, upsertInterface, validateInterface, type InterfaceSpec } from "../elements/interface";
import type { ElementInputs, ElementKind } from "./element-provider";

export type InterfaceInputs = ElementInputs<InterfaceSpec>;

export const interfaceKind: ElementKind<InterfaceSpec, InterfaceInputs> = {
  kind: "PfSenseInterface",
  normalize: (_olds, news) => news,
  identity: (i) => i.spec.name,
  validate: (i) => validateInterface(i.spec),
  upsert: (doc, i) => void upsertInterface(doc, i.spec),
  remove: (doc, i) => void removeInterface(doc, i.spec.name),
  keptOnDelete: (i) => !/^opt[0-9]+$/.test(i.spec.name),
  read: (doc, i) => {
    const found = readInterface(doc, i.spec.name);
    if (found === undefined) return undefined;
    const el = getPath(doc.root, `interfaces/${i.spec.name}`);
    const blocks = el !== undefined && (child(el, "blockpriv") !== undefined || child(el, "blockbogons") !== undefined);
    // sync = what we enforce: off when a block flag is set on a sync interface; a non-sync one is never touched
    const { mtu, ...rest } = found;
    // An MTU we do not set (a 1500 network) is the human's: never drift.
    const out: InterfaceSpec = { ...rest, ...(i.spec.mtu !== undefined ? { mtu } : {}), sync: i.spec.sync && !blocks };
    // IPv6 "none" or static: any other IPv6 configuration found (a human set dhcp6/track6 again) reads as drift
    if (i.spec.ipv6 !== undefined) out.ipv6 = readIpv6Spec(doc, i.spec.name) as InterfaceSpec["ipv6"];
    return out;
  },
  secrets: () => [],
};
