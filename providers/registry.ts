// Every dynamic provider implementation, by name. The serialized `__provider` of each resource is only a reference
// (providers/provider-ref.ts) that loads this module in Pulumi's provider host at call time.
import { OvsBridgeProvider } from "./ovs/bridgeProvider";
import { VxlanNodeProvider } from "./ovs/tunnelProvider";
import { aliasKind } from "./pfsense/resources/alias";
import { carpVipKind } from "./pfsense/resources/carp-vip";
import { dhcpFailoverKind } from "./pfsense/resources/dhcp-failover";
import { ElementProvider } from "./pfsense/resources/element-provider";
import { firewallRuleKind } from "./pfsense/resources/filter-rule";
import { gatewayKind } from "./pfsense/resources/gateway";
import { haSyncKind } from "./pfsense/resources/hasync";
import { interfaceKind } from "./pfsense/resources/interface";
import { offloadingKind } from "./pfsense/resources/offloading";
import { outboundNatKind } from "./pfsense/resources/outbound-nat";
import { vpnBindingKind } from "./pfsense/resources/vpn-binding";
import { portForwardKind } from "./pfsense/resources/port-forward";
import { oneToOneKind } from "./pfsense/resources/one-to-one";

export const PROVIDERS = {
  ovsBridge: new OvsBridgeProvider(),
  vxlanNode: new VxlanNodeProvider(),
  interface: new ElementProvider(interfaceKind),
  carpVip: new ElementProvider(carpVipKind),
  haSync: new ElementProvider(haSyncKind),
  firewallRule: new ElementProvider(firewallRuleKind),
  alias: new ElementProvider(aliasKind),
  outboundNat: new ElementProvider(outboundNatKind),
  dhcpFailover: new ElementProvider(dhcpFailoverKind),
  gateway: new ElementProvider(gatewayKind),
  offloading: new ElementProvider(offloadingKind),
  vpnBinding: new ElementProvider(vpnBindingKind),
  portForward: new ElementProvider(portForwardKind),
  oneToOne: new ElementProvider(oneToOneKind),
};

export type ProviderName = keyof typeof PROVIDERS;
