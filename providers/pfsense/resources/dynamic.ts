// The pfSense dynamic resources, one per element kind. Each provider object is captured by Pulumi's closure
// serializer into `__provider`; inputs are { endpoint, allowUnknownVersion?, spec } (+ peerEndpoint/role for hasync).
import * as pulumi from "../../pulumi-sdk";
import type { AliasSpec } from "../elements/alias";
import type { CarpVipSpec } from "../elements/carp-vip";
import type { DhcpFailoverSpec } from "../elements/dhcp";
import type { FilterRuleSpec } from "../elements/filter-rule";
import type { GatewaySpec } from "../elements/gateway";
import type { HaSyncSpec } from "../elements/hasync";
import type { InterfaceSpec } from "../elements/interface";
import type { OutboundNatSpec } from "../elements/outbound-nat";
import type { OffloadingSpec } from "../elements/offloading";
import type { VpnBindingSpec } from "../elements/vpn-binding";
import type { OneToOneSpec } from "../elements/one-to-one";
import type { PortForwardSpec } from "../elements/port-forward";
import type { SshEndpoint } from "../../ssh/types";
import { ProviderRefResource } from "../../provider-ref";
import { PROVIDERS } from "../../registry";

export const interfaceProvider = PROVIDERS.interface;
export const carpVipProvider = PROVIDERS.carpVip;
export const haSyncProvider = PROVIDERS.haSync;
export const firewallRuleProvider = PROVIDERS.firewallRule;
export const aliasProvider = PROVIDERS.alias;
export const outboundNatProvider = PROVIDERS.outboundNat;
export const dhcpFailoverProvider = PROVIDERS.dhcpFailover;
export const gatewayProvider = PROVIDERS.gateway;
export const offloadingProvider = PROVIDERS.offloading;
export const vpnBindingProvider = PROVIDERS.vpnBinding;
export const portForwardProvider = PROVIDERS.portForward;
export const oneToOneProvider = PROVIDERS.oneToOne;

/** A CARP VIP or XMLRPC spec without its uniqid/tracker: generated once by check. */
export type CarpVipInputSpec = Omit<CarpVipSpec, "uniqid"> & { uniqid?: string };
export type FilterRuleInputSpec = Omit<FilterRuleSpec, "tracker"> & { tracker?: string };

export interface ElementResourceArgs<S> {
  endpoint: pulumi.Input<SshEndpoint>;
  allowUnknownVersion?: pulumi.Input<boolean>;
  spec: pulumi.Input<S>;
}

export interface HaSyncResourceArgs extends ElementResourceArgs<HaSyncSpec> {
  peerEndpoint?: pulumi.Input<SshEndpoint>;
  role?: pulumi.Input<"primary" | "secondary">;
}

/** Secret in state, inputs and outputs alike: endpoints may hold key content or a password, some specs a password. */
function elementProps(args: ElementResourceArgs<unknown>, secretSpec: boolean, extra: pulumi.Inputs = {}): pulumi.Inputs {
  return {
    ...extra,
    endpoint: pulumi.secret(args.endpoint),
    allowUnknownVersion: args.allowUnknownVersion ?? false,
    spec: secretSpec ? pulumi.secret(args.spec) : args.spec,
    identity: undefined,
    configVersion: undefined,
  };
}

function secretOutputs(secretSpec: boolean, extra: string[] = []): string[] {
  return ["endpoint", ...extra, ...(secretSpec ? ["spec"] : [])];
}

/** Base of the element resources: `identity` = uniqid/tracker/name/key, `configVersion` = the box's <version>. */
abstract class ElementResource extends ProviderRefResource {
  declare readonly identity: pulumi.Output<string>;
  declare readonly configVersion: pulumi.Output<string>;
}

export class PfSenseInterfaceResource extends ElementResource {
  constructor(name: string, args: ElementResourceArgs<InterfaceSpec>, opts?: pulumi.CustomResourceOptions) {
    super("interface", name, elementProps(args, false), { ...opts, additionalSecretOutputs: secretOutputs(false) }, "pfsense-ha:pfsense:PfSenseInterface");
  }
}

export class CarpVipResource extends ElementResource {
  constructor(name: string, args: ElementResourceArgs<CarpVipInputSpec>, opts?: pulumi.CustomResourceOptions) {
    super("carpVip", name, elementProps(args, true), { ...opts, additionalSecretOutputs: secretOutputs(true) }, "pfsense-ha:pfsense:CarpVip");
  }
}

export class HaSyncConfigResource extends ElementResource {
  constructor(name: string, args: HaSyncResourceArgs, opts?: pulumi.CustomResourceOptions) {
    const extra: pulumi.Inputs = { role: args.role };
    if (args.peerEndpoint !== undefined) extra.peerEndpoint = pulumi.secret(args.peerEndpoint);
    super("haSync", name, elementProps(args, true, extra), { ...opts, additionalSecretOutputs: secretOutputs(true, ["peerEndpoint"]) }, "pfsense-ha:pfsense:HaSyncConfig");
  }
}

export class FirewallRuleResource extends ElementResource {
  constructor(name: string, args: ElementResourceArgs<FilterRuleInputSpec>, opts?: pulumi.CustomResourceOptions) {
    super("firewallRule", name, elementProps(args, false), { ...opts, additionalSecretOutputs: secretOutputs(false) }, "pfsense-ha:pfsense:FirewallRule");
  }
}

export class AliasResource extends ElementResource {
  constructor(name: string, args: ElementResourceArgs<AliasSpec>, opts?: pulumi.CustomResourceOptions) {
    super("alias", name, elementProps(args, false), { ...opts, additionalSecretOutputs: secretOutputs(false) }, "pfsense-ha:pfsense:Alias");
  }
}

export class OutboundNatRuleResource extends ElementResource {
  constructor(name: string, args: ElementResourceArgs<OutboundNatSpec>, opts?: pulumi.CustomResourceOptions) {
    super("outboundNat", name, elementProps(args, false), { ...opts, additionalSecretOutputs: secretOutputs(false) }, "pfsense-ha:pfsense:OutboundNatRule");
  }
}

export class DhcpFailoverResource extends ElementResource {
  constructor(name: string, args: ElementResourceArgs<DhcpFailoverSpec>, opts?: pulumi.CustomResourceOptions) {
    super("dhcpFailover", name, elementProps(args, false), { ...opts, additionalSecretOutputs: secretOutputs(false) }, "pfsense-ha:pfsense:DhcpFailover");
  }
}

export class GatewayResource extends ElementResource {
  constructor(name: string, args: ElementResourceArgs<GatewaySpec>, opts?: pulumi.CustomResourceOptions) {
    super("gateway", name, elementProps(args, false), { ...opts, additionalSecretOutputs: secretOutputs(false) }, "pfsense-ha:pfsense:Gateway");
  }
}

export class OffloadingResource extends ElementResource {
  constructor(name: string, args: ElementResourceArgs<OffloadingSpec>, opts?: pulumi.CustomResourceOptions) {
    super("offloading", name, elementProps(args, false), { ...opts, additionalSecretOutputs: secretOutputs(false) }, "pfsense-ha:pfsense:Offloading");
  }
}

export class VpnBindingResource extends ElementResource {
  constructor(name: string, args: ElementResourceArgs<VpnBindingSpec>, opts?: pulumi.CustomResourceOptions) {
    super("vpnBinding", name, elementProps(args, false), { ...opts, additionalSecretOutputs: secretOutputs(false) }, "pfsense-ha:pfsense:VpnBinding");
  }
}

export class PortForwardResource extends ElementResource {
  constructor(name: string, args: ElementResourceArgs<PortForwardSpec>, opts?: pulumi.CustomResourceOptions) {
    super("portForward", name, elementProps(args, false), { ...opts, additionalSecretOutputs: secretOutputs(false) }, "pfsense-ha:pfsense:PortForward");
  }
}

export class OneToOneNatResource extends ElementResource {
  constructor(name: string, args: ElementResourceArgs<OneToOneSpec>, opts?: pulumi.CustomResourceOptions) {
    super("oneToOne", name, elementProps(args, false), { ...opts, additionalSecretOutputs: secretOutputs(false) }, "pfsense-ha:pfsense:OneToOneNat");
  }
}
