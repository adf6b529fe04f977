// Every component's type token, and the tokens stacks created by earlier versions hold, which each component
// declares as aliases (so their resources keep their URNs on upgrade; tests/integration/upgrade.test.ts upgrades a
// real stack). The lists are history: they are written here as data, never derived.
import { COMPONENT_TOKENS, componentOptions } from "../../components/tokens";

test("the standard tokens, and the earlier tokens as aliases", () => {
  expect(Object.fromEntries(Object.entries(COMPONENT_TOKENS).map(([k, v]) => [k, [v.type, ...v.previous]]))).toEqual({
    PfSenseHaCluster: ["pfsense-ha:index:PfSenseHaCluster", "pfsense-ha:cluster:PfSenseHaCluster"],
    PfSenseNode: ["pfsense-ha:index:PfSenseNode", "pfsense-ha:cluster:PfSenseNode"],
    OvsBridge: ["pfsense-ha:ovs:OvsBridge"],
    VxlanTunnel: ["pfsense-ha:ovs:VxlanTunnel"],
    CarpVip: ["pfsense-ha:pfsense:CarpVip"],
    FirewallCarpVip: ["pfsense-ha:pfsense:FirewallCarpVip", "pfsense-ha:pfsense:CarpVipComponent"],
    PfSenseInterface: ["pfsense-ha:pfsense:PfSenseInterface", "pfsense-ha:pfsense:PfSenseInterfaceComponent"],
    Gateway: ["pfsense-ha:pfsense:Gateway", "pfsense-ha:pfsense:GatewayComponent"],
    Offloading: ["pfsense-ha:pfsense:Offloading", "pfsense-ha:pfsense:OffloadingComponent"],
    HaSyncConfig: ["pfsense-ha:pfsense:HaSyncConfig", "pfsense-ha:pfsense:HaSyncConfigComponent"],
    Alias: ["pfsense-ha:pfsense:Alias", "pfsense-ha:pfsense:AliasComponent"],
    FirewallRule: ["pfsense-ha:pfsense:FirewallRule", "pfsense-ha:pfsense:FirewallRuleComponent"],
    OutboundNatRule: ["pfsense-ha:pfsense:OutboundNatRule", "pfsense-ha:pfsense:OutboundNatRuleComponent"],
    DhcpFailover: ["pfsense-ha:pfsense:DhcpFailover", "pfsense-ha:pfsense:DhcpFailoverComponent"],
    // kinds that never had another token
    PortForward: ["pfsense-ha:pfsense:PortForward"],
    OneToOneNat: ["pfsense-ha:pfsense:OneToOneNat"],
    VpnBinding: ["pfsense-ha:pfsense:VpnBinding"],
  });
});

test("the options carry the earlier tokens as type aliases and keep the caller's own aliases and options", () => {
  const own = { name: "old-name" };
  expect(componentOptions("PfSenseHaCluster", { aliases: [own], protect: true })).toEqual({
    aliases: [{ type: "pfsense-ha:cluster:PfSenseHaCluster" }, own],
    protect: true,
  });
  expect(componentOptions("OvsBridge", undefined)).toEqual({});
});
