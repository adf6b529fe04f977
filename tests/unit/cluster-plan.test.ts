// components/plan.ts for every seed topology and both roles: apply order, what each element says, the secondary's
// mirror of the primary (skews, swapped peers, no XMLRPC), shared identities, and that secrets never enter the plan.
import type { ClusterConfig, FirewallRole, NetworkConfig } from "../../config/types";
import {
  PLAN_KIND_ORDER, firewallPlanOf, gatewayNameOf, interfaceDescrOf, natKeyOf, planKeyOf, ruleTrackerOf, secretRef, secretsUsedBy,
  substituteSecrets, syncAliasNameOf, vipUniqidOf, type PlanItem,
} from "../../components/plan";
import {
  ELEMENT_KINDS, validateAlias, validateCarpVip, validateDhcpFailoverSpec, validateFilterRule, validateGateway, validateHaSync,
  validateInterface, validateOutboundNat, type AnyElementDescriptor,
} from "../../providers/pfsense/elements";
import { schemaForVersion } from "../../providers/pfsense/version";
import { loadTopology, topologyNames } from "../support/engine-fixtures";
import * as path from "path";
import { validateStackFile } from "../../config/load";
import { validateStack } from "../../config/validate";
import { summarizeCluster } from "../../config/summary";
import { haStateExpectationsOf } from "../../providers/verify/ha-state";
import { setIn as setValueIn, topologyValues as topologyValuesOf } from "../fixtures/topologies";

const ROLES: FirewallRole[] = ["primary", "secondary"];
const other = (r: FirewallRole): FirewallRole => (r === "primary" ? "secondary" : "primary");
type Of<K extends PlanItem["kind"]> = Extract<PlanItem, { kind: K }>;
const ofKind = <K extends PlanItem["kind"]>(items: PlanItem[], kind: K): Of<K>[] => items.filter((i): i is Of<K> => i.kind === kind);
const net = (c: ClusterConfig, role: string): NetworkConfig => c.networks.find((n) => n.role === role) as NetworkConfig;

test("a VXLAN network gets its MTU (underlay - 50) as <mtu> on both firewalls; a 1500 network none (wan-lan-sync: underlay 9000)", () => {
  const { config: c } = loadTopology("wan-lan-sync");
  for (const role of ROLES) {
    const ifs = Object.fromEntries(ofKind(firewallPlanOf(c, c.name, role), "interface").map((i) => [i.key, i.spec.mtu]));
    expect(ifs).toEqual({ "if-wan": undefined, "if-lan": undefined, "if-sync": 8950 });
  }
});

describe.each(topologyNames())("plan for topology %s", (name) => {
  const { config: c } = loadTopology(name);
  const cname = c.name;
  const plan = { primary: firewallPlanOf(c, cname, "primary"), secondary: firewallPlanOf(c, cname, "secondary") };
  const sync = net(c, c.hasync.syncNetwork);
  const wan = net(c, "wan");

  test.each(ROLES)("%s: items in apply order, unique stable keys, the same keys on both nodes", (role) => {
    const kinds = plan[role].map((i) => PLAN_KIND_ORDER.indexOf(i.kind));
    expect(kinds.every((k) => k >= 0)).toBe(true);
    expect(kinds).toEqual([...kinds].sort((a, b) => a - b));
    const keys = plan[role].map(planKeyOf);
    expect(new Set(keys).size).toBe(keys.length);
    for (const k of keys) expect(k).toMatch(/^[a-z0-9_.-]+$/);
    expect(keys).toEqual(plan[other(role)].map(planKeyOf));
  });

  test.each(ROLES)("%s: one interface per network with this node's device and address", (role) => {
    const ifs = ofKind(plan[role], "interface");
    expect(ifs.map((i) => i.spec.name)).toEqual(c.networks.map((n) => n.pfsenseInterface));
    for (const n of c.networks) {
      const i = ifs.find((x) => x.spec.name === n.pfsenseInterface) as Of<"interface">;
      expect(i.spec).toMatchObject({ device: c.firewalls[role].interfaces[n.role], ipaddr: n.addresses[role], subnetBits: n.prefix, enable: true });
      expect(i.spec.sync).toBe(n.role === c.hasync.syncNetwork && n.role !== "lan");
      expect(i.spec.gateway).toBe(n.gateway === undefined ? undefined : gatewayNameOf(n.role));
      expect(() => validateInterface(i.spec)).not.toThrow();
    }
  });

  test.each(ROLES)("%s: a CARP VIP per configured VIP, the primary's identity, the role's skew", (role) => {
    const vips = ofKind(plan[role], "carpVip");
    const want = c.networks.flatMap((n) => n.vips.map((v) => ({ n, v })));
    expect(vips).toHaveLength(want.length);
    const skew = { primary: 0, secondary: 100 }[role]; // the topology's advskewPrimary 0; the secondary +100
    for (const { n, v } of want) {
      const item = vips.find((x) => x.spec.interface === n.pfsenseInterface && x.spec.vhid === v.vhid) as Of<"carpVip">;
      expect(item.spec).toMatchObject({ subnet: v.address, subnetBits: n.prefix, advbase: v.advbase, advskew: skew, descr: v.description });
      expect(item.spec.uniqid).toMatch(/^[0-9a-f]{13}$/);
      expect(item.spec.uniqid).toBe(vipUniqidOf(cname, n.role, v.vhid));
      expect(item.spec.password).toBe(secretRef("carpPassword"));
      expect(() => validateCarpVip(substituteSecrets(item, { carpPassword: "x" }).spec as Of<"carpVip">["spec"])).not.toThrow();
    }
  });

  test("HA sync: pfsync peers swapped; XMLRPC only on the primary, towards the secondary's sync address", () => {
    const [p] = ofKind(plan.primary, "haSync");
    const [s] = ofKind(plan.secondary, "haSync");
    expect(p.spec.pfsyncInterface).toBe(sync.pfsenseInterface);
    expect(p.spec.pfsyncPeerIp).toBe(sync.addresses.secondary);
    expect(p.spec.xmlrpc).toEqual({
      synchronizeToIp: sync.addresses.secondary,
      username: c.hasync.username,
      password: secretRef("xmlrpcPassword"),
      disabledOptions: Object.keys(c.hasync.options).filter((o) => !c.hasync.options[o]),
      webguiPort: 443,
    });
    expect(s.spec).toEqual({ pfsyncInterface: sync.pfsenseInterface, pfsyncPeerIp: sync.addresses.primary });
    const schema = schemaForVersion("23.3");
    expect(() => validateHaSync(substituteSecrets(p, { xmlrpcPassword: "x" }).spec as Of<"haSync">["spec"], schema)).not.toThrow();
    expect(() => validateHaSync(s.spec, schema)).not.toThrow();
  });

  test.each(ROLES)("%s: sync alias of both sync addresses; pfsync and TCP 443 to this firewall first on the sync interface", (role) => {
    const [alias] = ofKind(plan[role], "alias");
    expect(alias.spec).toMatchObject({ name: syncAliasNameOf(cname), type: "host", addresses: [sync.addresses.primary, sync.addresses.secondary] });
    expect(() => validateAlias(alias.spec)).not.toThrow();
    const [pfsync, xmlrpc, ...rest] = ofKind(plan[role], "filterRule");
    expect(rest).toEqual([]);
    for (const r of [pfsync, xmlrpc]) {
      expect(r.spec).toMatchObject({ type: "pass", interface: sync.pfsenseInterface, ipprotocol: "inet", source: { address: alias.spec.name } });
      expect(() => validateFilterRule(r.spec)).not.toThrow();
    }
    expect(pfsync.spec).toMatchObject({ protocol: "pfsync", destination: { network: "(self)" }, position: { top: true } });
    expect(xmlrpc.spec).toMatchObject({ protocol: "tcp", destination: { network: "(self)", port: "443" }, position: { afterTracker: pfsync.spec.tracker } });
    expect(pfsync.spec.tracker).toBe(ruleTrackerOf(cname, "sync-pfsync"));
    expect(pfsync.spec.tracker).not.toBe(xmlrpc.spec.tracker);
  });

  test.each(ROLES)("%s: one outbound NAT rule per inside source, translated to the WAN VIP", (role) => {
    const nat = ofKind(plan[role], "outboundNat");
    expect(nat.map((r) => r.spec.sourceNetwork)).toEqual(c.nat.sources.map((s) => s.cidr));
    for (const [i, r] of nat.entries()) {
      expect(r.spec).toMatchObject({ interface: wan.pfsenseInterface, targetVip: wan.vips[0].address, key: natKeyOf(cname, c.nat.sources[i].source) });
      expect(() => validateOutboundNat(r.spec)).not.toThrow();
    }
  });

  test.each(ROLES)("%s: a gateway per network with an upstream gateway, after the interfaces; the WAN's is the default", (role) => {
    const gws = ofKind(plan[role], "gateway");
    const withGw = c.networks.filter((n) => n.gateway !== undefined);
    expect(withGw.map((n) => n.role)).toContain("wan");
    expect(gws.map((g) => g.key)).toEqual(withGw.map((n) => `gw-${n.role}`));
    for (const n of withGw) {
      const g = gws.find((x) => x.key === `gw-${n.role}`) as Of<"gateway">;
      expect(g.spec).toEqual({
        name: gatewayNameOf(n.role), interface: n.pfsenseInterface, gateway: n.gateway, weight: 1,
        descr: `pfsense-ha: upstream gateway of ${n.role}`, defaultGateway: n.role === "wan",
      });
      expect(() => validateGateway(g.spec)).not.toThrow();
    }
    const keys = plan[role].map(planKeyOf);
    expect(keys.indexOf("gw-wan")).toBeGreaterThan(keys.indexOf("if-wan"));
    expect(keys.indexOf("gw-wan")).toBeLessThan(keys.findIndex((k) => !k.startsWith("if-") && !k.startsWith("gw-")));
  });

  test.each(ROLES)("%s: DHCP failover hands out the VIP as gateway and DNS, names the other node as peer", (role) => {
    const dhcp = ofKind(plan[role], "dhcpFailover");
    const n = c.networks.find((x) => x.dhcp?.failover);
    if (!n?.dhcp) {
      expect(dhcp).toEqual([]);
      return;
    }
    expect(dhcp).toHaveLength(1);
    expect(dhcp[0].spec).toEqual({
      interface: n.pfsenseInterface,
      rangeFrom: n.dhcp.rangeFrom,
      rangeTo: n.dhcp.rangeTo,
      gateway: n.vips[0].address,
      dnsServers: [n.vips[0].address],
      failoverPeerIp: n.addresses[other(role)],
      role,
      advskew: { primary: 0, secondary: 100 }[role],
    });
    expect(() => validateDhcpFailoverSpec(dhcp[0].spec)).not.toThrow();
  });

  test("only rules, aliases, NAT and gateways are identical on both nodes (XMLRPC copies them verbatim)", () => {
    for (const kind of ["alias", "filterRule", "outboundNat", "gateway"] as const) expect(ofKind(plan.secondary, kind)).toEqual(ofKind(plan.primary, kind));
  });
});

describe("plan details", () => {
  const base = loadTopology("wan-lan-sync").config;

  test("secondary skew is primary + 100, capped at 254", () => {
    const c = structuredClone(base);
    c.carp.advskewPrimary = 180;
    c.carp.advskewSecondary = 254;
    const skews = ofKind(firewallPlanOf(c, "edge", "secondary"), "carpVip").map((v) => v.spec.advskew);
    expect(skews.length).toBeGreaterThan(0);
    expect(new Set(skews)).toEqual(new Set([254]));
  });

  test("identities do not depend on descriptions or addresses; they do on the cluster name", () => {
    const c = structuredClone(base);
    c.networks.forEach((n) => {
      n.description = "Renamed";
      n.vips.forEach((v) => (v.description = "renamed VIP"));
    });
    const lan = net(c, "lan");
    lan.subnet = "172.16.20.0/24";
    const ids = (items: PlanItem[]) =>
      items.map((i) => [planKeyOf(i), i.kind === "carpVip" ? i.spec.uniqid : i.kind === "filterRule" ? i.spec.tracker : i.kind === "outboundNat" ? i.spec.key : i.kind === "alias" ? i.spec.name : ""]);
    expect(ids(firewallPlanOf(c, "edge", "primary"))).toEqual(ids(firewallPlanOf(base, "edge", "primary")));
    const renamed = ids(firewallPlanOf(base, "other", "primary")).filter(([, id]) => id !== "");
    const original = ids(firewallPlanOf(base, "edge", "primary")).filter(([, id]) => id !== "");
    renamed.forEach(([, id], i) => expect(id).not.toBe(original[i][1]));
  });

  test("trackers stay in pfsense-ha's range (above (int)microtime until 2096, below 2^32)", () => {
    for (const p of ["sync-pfsync", "sync-xmlrpc", "a", "b", "c"]) {
      const t = Number(ruleTrackerOf("edge", p));
      expect(t).toBeGreaterThanOrEqual(4_000_000_000);
      expect(t).toBeLessThan(2 ** 32);
    }
  });

  test("secrets: the plan holds references only; substitution fills them and refuses a missing one by name", () => {
    const items = firewallPlanOf(base, "edge", "primary");
    const text = JSON.stringify(items);
    expect(text).not.toContain("carp-test-secret");
    expect(text).not.toContain("xmlrpc-test-secret");
    const vip = ofKind(items, "carpVip")[0];
    const hasync = ofKind(items, "haSync")[0];
    expect(secretsUsedBy(vip)).toEqual(["carpPassword"]);
    expect(secretsUsedBy(hasync)).toEqual(["xmlrpcPassword"]);
    expect(secretsUsedBy(ofKind(items, "filterRule")[0])).toEqual([]);
    expect((substituteSecrets(vip, { carpPassword: "s3cret" }) as Of<"carpVip">).spec.password).toBe("s3cret");
    expect(vip.spec.password).toBe(secretRef("carpPassword")); // not mutated
    expect(() => substituteSecrets(hasync, { carpPassword: "x" })).toThrow(/pfsense-ha:xmlrpcPassword/);
    expect(ofKind(firewallPlanOf(base, "edge", "secondary"), "haSync")[0].spec.xmlrpc).toBeUndefined();
  });

  test("2-NIC: pfsync and the sync rules run on the LAN, which keeps blockpriv/bogons as they are", () => {
    const c = loadTopology("two-nic").config;
    const items = firewallPlanOf(c, c.name, "primary");
    expect(ofKind(items, "haSync")[0].spec.pfsyncInterface).toBe("lan");
    expect(ofKind(items, "filterRule").map((r) => r.spec.interface)).toEqual(["lan", "lan"]);
    expect(ofKind(items, "interface").some((i) => i.spec.sync)).toBe(false);
  });

  test("interface descr is made pfSense-safe; the role's name when the description cannot be", () => {
    const n = structuredClone(net(base, "lan"));
    n.description = "Office LAN (2nd floor)";
    expect(interfaceDescrOf(n)).toBe("Office_LAN__2nd_floor_");
    n.description = "2024";
    expect(interfaceDescrOf(n)).toBe("LAN");
  });

  test("a long cluster name still gives a valid alias name", () => {
    const a = syncAliasNameOf("a-very-long-cluster-name-for-a-site");
    expect(a.length).toBeLessThanOrEqual(31);
    expect(() => validateAlias({ name: a, type: "host", addresses: ["10.0.0.1"], descr: "x" })).not.toThrow();
  });
});

test("Pulumi.prod.example.yaml: both plans pass every element's input checks", () => {
  const c = validateStackFile(path.join(__dirname, "..", "..", "Pulumi.prod.example.yaml"), "prod").config as ClusterConfig;
  for (const role of ROLES) {
    const items = firewallPlanOf(c, c.name, role).map((i) => substituteSecrets(i, { carpPassword: "x", xmlrpcPassword: "y" }));
    expect(new Set(items.map((i) => i.kind))).toEqual(new Set(PLAN_KIND_ORDER));
    for (const i of items) {
      // the checks the item's provider runs (its kind's descriptor), with the firewall's role
      const d: AnyElementDescriptor = ELEMENT_KINDS[i.kind];
      const check = (): void => d.validate(i.spec, { endpoint: { host: "fw", username: "admin" }, spec: i.spec, role });
      expect(check).not.toThrow();
    }
  }
});

describe("DHCP per network (networks.<role>.dhcp)", () => {
  // WAN/LAN/DMZ: LAN without failover, DMZ (opt2) with failover; golden items for both nodes.
  const values = topologyValuesOf("wan-lan-dmz-sync30");
  setValueIn(values, "networks.lan.dhcp", { rangeFrom: "10.20.0.100", rangeTo: "10.20.0.200" });
  setValueIn(values, "networks.dmz.dhcp", { rangeFrom: "10.30.0.100", rangeTo: "10.30.0.200", failover: true });
  const cfg = validateStack(values).config as ClusterConfig;

  test("one server per network, in NIC order; gateway/DNS = the network's first VIP; the peer only with failover, swapped on the secondary", () => {
    const dhcp = (role: FirewallRole) => firewallPlanOf(cfg, cfg.name, role).filter((i) => i.kind === "dhcpFailover").map((i) => ({ key: i.key, spec: i.spec }));
    expect(dhcp("primary")).toEqual([
      { key: "dhcp-lan", spec: { interface: "lan", rangeFrom: "10.20.0.100", rangeTo: "10.20.0.200", gateway: "10.20.0.1", dnsServers: ["10.20.0.1"], role: "primary", advskew: 0 } },
      { key: "dhcp-dmz", spec: { interface: "opt2", rangeFrom: "10.30.0.100", rangeTo: "10.30.0.200", gateway: "10.30.0.1", dnsServers: ["10.30.0.1"], failoverPeerIp: "10.30.0.3", role: "primary", advskew: 0 } },
    ]);
    expect(dhcp("secondary")).toEqual([
      { key: "dhcp-lan", spec: { interface: "lan", rangeFrom: "10.20.0.100", rangeTo: "10.20.0.200", gateway: "10.20.0.1", dnsServers: ["10.20.0.1"], role: "secondary", advskew: 100 } },
      { key: "dhcp-dmz", spec: { interface: "opt2", rangeFrom: "10.30.0.100", rangeTo: "10.30.0.200", gateway: "10.30.0.1", dnsServers: ["10.30.0.1"], failoverPeerIp: "10.30.0.2", role: "secondary", advskew: 100 } },
    ]);
    expect(summarizeCluster(cfg)).toMatch(/, DHCP on lan, DHCP failover on dmz$/);
    // verify's DHCP failover check only where failover is on
    expect(haStateExpectationsOf(cfg).dhcpPeers).toEqual(["dhcp_opt2"]);
  });
});
