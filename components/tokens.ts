// The type token of every component, and the tokens earlier versions registered them under. A component declares
// its previous tokens as `aliases`, so a stack created by an earlier version keeps its resources (their URNs embed
// the parents' types) and an upgrade changes no resource. Never remove a previous token: a stack not yet upgraded
// may still hold it. The component of each pfSense element kind takes its name and earlier tokens from the kind's
// descriptor (providers/pfsense/elements/kinds.ts).
import type * as pulumi from "../providers/pulumi-sdk";
import { ELEMENT_KINDS } from "../providers/pfsense/elements/kinds";

export interface ComponentToken {
  type: string;
  previous: readonly string[];
}

const OWN_TOKENS = {
  PfSenseHaCluster: { type: "pfsense-ha:index:PfSenseHaCluster", previous: ["pfsense-ha:cluster:PfSenseHaCluster"] },
  PfSenseNode: { type: "pfsense-ha:index:PfSenseNode", previous: ["pfsense-ha:cluster:PfSenseNode"] },
  OvsBridge: { type: "pfsense-ha:ovs:OvsBridge", previous: [] },
  VxlanTunnel: { type: "pfsense-ha:ovs:VxlanTunnel", previous: [] },
  CarpVip: { type: "pfsense-ha:pfsense:CarpVip", previous: [] },
} as const satisfies Record<string, ComponentToken>;

/** The token of an element kind's component: `pfsense-ha:pfsense:<component>`. */
export function elementComponentToken(d: { component: { name: string; previous: readonly string[] } }): ComponentToken {
  return { type: `pfsense-ha:pfsense:${d.component.name}`, previous: d.component.previous };
}

export const COMPONENT_TOKENS: Record<string, ComponentToken> & typeof OWN_TOKENS = {
  ...OWN_TOKENS,
  ...Object.fromEntries(Object.values(ELEMENT_KINDS).map((d) => [d.component.name, elementComponentToken(d)])),
};

export type ComponentName = string;

/** The component's options with its previous tokens added as aliases (the caller's aliases kept). */
export function componentOptions(component: ComponentName | ComponentToken, opts: pulumi.ComponentResourceOptions | undefined): pulumi.ComponentResourceOptions {
  const token = typeof component === "string" ? COMPONENT_TOKENS[component] : component;
  if (token === undefined) throw new Error(`pfsense-ha: no component token for ${String(component)}`);
  const previous = token.previous;
  if (previous.length === 0) return opts ?? {};
  return { ...opts, aliases: [...previous.map((type) => ({ type })), ...(opts?.aliases ?? [])] };
}
