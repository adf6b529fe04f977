// The type token of every component, and the tokens earlier versions registered them under. A component declares
// its previous tokens as `aliases`, so a stack created by an earlier version keeps its resources (their URNs embed
// the parents' types) and an upgrade changes no resource. Never remove a previous token: a stack not yet upgraded
// may still hold it.
import type * as pulumi from "../providers/pulumi-sdk";

export const COMPONENT_TOKENS = {
  PfSenseHaCluster: { type: "pfsense-ha:index:PfSenseHaCluster", previous: ["pfsense-ha:cluster:PfSenseHaCluster"] },
  PfSenseNode: { type: "pfsense-ha:index:PfSenseNode", previous: ["pfsense-ha:cluster:PfSenseNode"] },
  OvsBridge: { type: "pfsense-ha:ovs:OvsBridge", previous: [] },
  VxlanTunnel: { type: "pfsense-ha:ovs:VxlanTunnel", previous: [] },
  CarpVip: { type: "pfsense-ha:pfsense:CarpVip", previous: [] },
  FirewallCarpVip: { type: "pfsense-ha:pfsense:FirewallCarpVip", previous: ["pfsense-ha:pfsense:CarpVipComponent"] },
  PfSenseInterface: { type: "pfsense-ha:pfsense:PfSenseInterface", previous: ["pfsense-ha:pfsense:PfSenseInterfaceComponent"] },
  Gateway: { type: "pfsense-ha:pfsense:Gateway", previous: ["pfsense-ha:pfsense:GatewayComponent"] },
  Offloading: { type: "pfsense-ha:pfsense:Offloading", previous: ["pfsense-ha:pfsense:OffloadingComponent"] },
  HaSyncConfig: { type: "pfsense-ha:pfsense:HaSyncConfig", previous: ["pfsense-ha:pfsense:HaSyncConfigComponent"] },
  Alias: { type: "pfsense-ha:pfsense:Alias", previous: ["pfsense-ha:pfsense:AliasComponent"] },
  FirewallRule: { type: "pfsense-ha:pfsense:FirewallRule", previous: ["pfsense-ha:pfsense:FirewallRuleComponent"] },
  OutboundNatRule: { type: "pfsense-ha:pfsense:OutboundNatRule", previous: ["pfsense-ha:pfsense:OutboundNatRuleComponent"] },
  DhcpFailover: { type: "pfsense-ha:pfsense:DhcpFailover", previous: ["pfsense-ha:pfsense:DhcpFailoverComponent"] },
  PortForward: { type: "pfsense-ha:pfsense:PortForward", previous: [] },
  OneToOneNat: { type: "pfsense-ha:pfsense:OneToOneNat", previous: [] },
  VpnBinding: { type: "pfsense-ha:pfsense:VpnBinding", previous: [] },
} as const satisfies Record<string, { type: string; previous: readonly string[] }>;

export type ComponentName = keyof typeof COMPONENT_TOKENS;

/** The component's options with its previous tokens added as aliases (the caller's aliases kept). */
export function componentOptions(component: ComponentName, opts: pulumi.ComponentResourceOptions | undefined): pulumi.ComponentResourceOptions {
  const previous = COMPONENT_TOKENS[component].previous;
  if (previous.length === 0) return opts ?? {};
  return { ...opts, aliases: [...previous.map((type) => ({ type })), ...(opts?.aliases ?? [])] };
}
