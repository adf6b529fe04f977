// The registry of pfSense element kinds (providers/pfsense/elements/kinds.ts) is the one list everything else
// iterates: every kind's file ends in a descriptor that is registered, every registered descriptor has every hook
// the generic provider, resource, component, plan and render call, and the names its resources and components are
// registered under (in every URN and `__provider`) are the ones written here as data.
import * as fs from "fs";
import * as path from "path";
import { ELEMENT_KINDS, ELEMENT_KIND_NAMES, type AnyElementDescriptor } from "../../providers/pfsense/elements";
import { APPLY_SECTIONS } from "../../providers/pfsense/remote/types";
import { PROVIDERS } from "../../providers/registry";
import { ElementProvider } from "../../providers/pfsense/resources/element-provider";
import { providerOf, resourceModuleOf } from "../../providers/pfsense/resources/dynamic";
import { COMPONENT_TOKENS } from "../../components/tokens";
import { PLAN_KIND_ORDER } from "../../components/plan";
import { STAGE_OF_KIND, STAGES } from "../../components/PfSenseHaCluster";

const ELEMENTS_DIR = path.join(__dirname, "..", "..", "providers", "pfsense", "elements");
const kinds = Object.entries(ELEMENT_KINDS) as [string, AnyElementDescriptor][];

test("the kinds, in apply order, with their provider, resource type, component type and apply section", () => {
  expect(kinds.map(([k, d]) => [k, d.provider, `pulumi-nodejs:dynamic/${resourceModuleOf(d)}:Resource`, COMPONENT_TOKENS[d.component.name].type, d.section])).toEqual([
    ["interface", "interface", "pulumi-nodejs:dynamic/pfsense-ha:pfsense:PfSenseInterface:Resource", "pfsense-ha:pfsense:PfSenseInterface", "interfaces"],
    ["gateway", "gateway", "pulumi-nodejs:dynamic/pfsense-ha:pfsense:Gateway:Resource", "pfsense-ha:pfsense:Gateway", "routing"],
    ["offloading", "offloading", "pulumi-nodejs:dynamic/pfsense-ha:pfsense:Offloading:Resource", "pfsense-ha:pfsense:Offloading", "system"],
    ["carpVip", "carpVip", "pulumi-nodejs:dynamic/pfsense-ha:pfsense:CarpVip:Resource", "pfsense-ha:pfsense:FirewallCarpVip", "vip"],
    ["haSync", "haSync", "pulumi-nodejs:dynamic/pfsense-ha:pfsense:HaSyncConfig:Resource", "pfsense-ha:pfsense:HaSyncConfig", "hasync"],
    ["alias", "alias", "pulumi-nodejs:dynamic/pfsense-ha:pfsense:Alias:Resource", "pfsense-ha:pfsense:Alias", "filter"],
    ["filterRule", "firewallRule", "pulumi-nodejs:dynamic/pfsense-ha:pfsense:FirewallRule:Resource", "pfsense-ha:pfsense:FirewallRule", "filter"],
    ["outboundNat", "outboundNat", "pulumi-nodejs:dynamic/pfsense-ha:pfsense:OutboundNatRule:Resource", "pfsense-ha:pfsense:OutboundNatRule", "filter"],
    ["portForward", "portForward", "pulumi-nodejs:dynamic/pfsense-ha:pfsense:PortForward:Resource", "pfsense-ha:pfsense:PortForward", "filter"],
    ["oneToOne", "oneToOne", "pulumi-nodejs:dynamic/pfsense-ha:pfsense:OneToOneNat:Resource", "pfsense-ha:pfsense:OneToOneNat", "filter"],
    ["vpnBinding", "vpnBinding", "pulumi-nodejs:dynamic/pfsense-ha:pfsense:VpnBinding:Resource", "pfsense-ha:pfsense:VpnBinding", "vpn"],
    ["dhcpFailover", "dhcpFailover", "pulumi-nodejs:dynamic/pfsense-ha:pfsense:DhcpFailover:Resource", "pfsense-ha:pfsense:DhcpFailover", "dhcp"],
  ]);
});

test("every descriptor exported by a file of elements/ is registered, once", () => {
  const found: [string, AnyElementDescriptor][] = [];
  for (const f of fs.readdirSync(ELEMENTS_DIR).filter((f) => f.endsWith(".ts") && f !== "index.ts")) {
    const mod = require(path.join(ELEMENTS_DIR, f)) as Record<string, unknown>;
    for (const [name, v] of Object.entries(mod)) {
      if (typeof v === "object" && v !== null && typeof (v as AnyElementDescriptor).resource === "string" && typeof (v as AnyElementDescriptor).upsert === "function") {
        if (f !== "kinds.ts") found.push([`${f}:${name}`, v as AnyElementDescriptor]);
      }
    }
  }
  const registered = Object.values(ELEMENT_KINDS) as AnyElementDescriptor[];
  const unregistered = found.filter(([, d]) => !registered.includes(d)).map(([where]) => where);
  expect(unregistered).toEqual([]);
  expect(found.length).toBe(registered.length);
  expect(new Set(registered).size).toBe(registered.length);
});

test.each(kinds)("%s: every hook the provider, resource, component, plan and render call", (kind, d) => {
  for (const hook of ["normalize", "identity", "validate", "upsert", "remove", "read", "secrets"] as const) {
    expect([hook, typeof d[hook]]).toEqual([hook, "function"]);
  }
  for (const hook of ["partial", "keptOnDelete", "mirror"] as const) {
    expect([hook, ["undefined", "function"].includes(typeof d[hook])]).toEqual([hook, true]);
  }
  expect(d.resource).toMatch(/^[A-Z][A-Za-z0-9]*$/);
  expect(d.component.name).toMatch(/^[A-Z][A-Za-z0-9]*$/);
  expect(APPLY_SECTIONS).toContain(d.section);
  expect(typeof d.secretSpec).toBe("boolean");
  // what iterates the registry has the kind
  expect(PROVIDERS[d.provider]).toBeInstanceOf(ElementProvider);
  expect(providerOf(kind as never)).toBe(PROVIDERS[d.provider]);
  expect(COMPONENT_TOKENS[d.component.name]).toEqual({ type: `pfsense-ha:pfsense:${d.component.name}`, previous: d.component.previous });
  expect(STAGES).toContain(STAGE_OF_KIND[kind as keyof typeof STAGE_OF_KIND]);
  expect(PLAN_KIND_ORDER).toContain(kind);
});

test("no two kinds share a provider, resource or component name; the providers are the kinds' and the two OVS ones", () => {
  for (const names of [kinds.map(([, d]) => d.provider), kinds.map(([, d]) => d.resource), kinds.map(([, d]) => d.component.name)]) {
    expect(new Set(names).size).toBe(kinds.length);
  }
  expect(Object.keys(PROVIDERS).sort()).toEqual(["ovsBridge", "vxlanNode", ...kinds.map(([, d]) => d.provider)].sort());
  expect(PLAN_KIND_ORDER).toEqual(ELEMENT_KIND_NAMES);
});
