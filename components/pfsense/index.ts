// The pfSense HA components: PfSenseElement writes one element of any kind on one firewall; the named ones are it
// for their kind (CarpVip: a VIP on both firewalls of an existing pair).
export { PfSenseElement, type ElementArgsOf } from "./element-component";
export { PfSenseInterface, type PfSenseInterfaceArgs } from "./PfSenseInterface";
export { CarpVip, FirewallCarpVip, carpVipSpecOf, carpVipUniqidOf, type CarpVipArgs, type FirewallCarpVipArgs } from "./CarpVip";
export { HaSyncConfig, type HaSyncConfigArgs } from "./HaSyncConfig";
export { FirewallRule, type FirewallRuleArgs } from "./FirewallRule";
export { Alias, type AliasArgs } from "./Alias";
export { OutboundNatRule, type OutboundNatRuleArgs } from "./OutboundNatRule";
export { DhcpFailover, type DhcpFailoverArgs } from "./DhcpFailover";
export { Gateway, type GatewayArgs } from "./Gateway";
export { Offloading, type OffloadingArgs } from "./Offloading";
export { VpnBinding, type VpnBindingArgs } from "./VpnBinding";
export { PortForward, type PortForwardArgs } from "./PortForward";
export { OneToOneNat, type OneToOneNatArgs } from "./OneToOneNat";
