// Every provider result crosses Pulumi's dynamic-provider host as a protobuf Struct (`Struct.fromJavaScript`, which
// throws "Unexpected struct type." on `undefined` at any depth). Each provider's create/read/update outputs are
// round-tripped through it, with the host I/O replaced by fixtures: OVS with host snapshots (ports realised, the
// optional dst_port/local_ip/error absent, a port missing), pfSense with the factory config.xml and the wan-lan-sync
// plan. Also: a refresh answers "gone" (empty id) only when the element is gone; unknowns in a preview pass check.
import * as fs from "fs";
import * as path from "path";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { validateValues } from "../../config/load";
import { firewallPlanOf, substituteSecrets, type PlanItem } from "../../components/plan";
import { parseConfigXml, buildConfigXml, type PfConfigDoc } from "../../providers/pfsense/codec";
import { getPath, removeChild, child } from "../../providers/pfsense/codec-tree";
import type { HostSnapshot } from "../../providers/ovs/snapshot";
import type { HostOp } from "../../providers/ovs/batch-plan";
import { plainData } from "../../providers/plain-data";
import { UNKNOWN } from "../../providers/unknown";
import { TOPOLOGY_DIR, topologyValues } from "../fixtures/topologies";

type Props = Record<string, unknown>;
// The factory config with a human's OpenVPN server (vpnid 1) and IPsec phase 1 (ikeid 1), which the plan binds to the WAN VIP.
const FACTORY = fs.readFileSync(path.join(__dirname, "..", "fixtures", "pfsense-factory-config.xml"), "utf8")
  .replace("\t<openvpn></openvpn>", "\t<openvpn>\n\t\t<openvpn-server>\n\t\t\t<vpnid>1</vpnid>\n\t\t\t<interface>wan</interface>\n\t\t\t<ipaddr></ipaddr>\n\t\t</openvpn-server>\n\t</openvpn>")
  .replace("\t<ipsec></ipsec>", "\t<ipsec>\n\t\t<phase1>\n\t\t\t<ikeid>1</ikeid>\n\t\t\t<interface>wan</interface>\n\t\t</phase1>\n\t</ipsec>");

// --- host I/O replaced by fixtures ---------------------------------------------------------------------------
let ovsHost: HostSnapshot;
jest.mock("../../providers/ovs/host-batch", () => ({
  submitOvsOp: async <T>(_ep: unknown, _node: string, op: HostOp<T>): Promise<T> => {
    op.plan?.(ovsHost); // the plan must accept the host state; its commands are not run here
    return op.finish(ovsHost);
  },
}));
let box: PfConfigDoc;
jest.mock("../../providers/pfsense/resources/box", () => ({ readBoxConfig: async () => box, readPendingApply: async () => ({ sections: [], interfaces: [] }) }));
jest.mock("../../providers/pfsense/remote/queue", () => ({
  submitEdit: async (_ep: unknown, e: { edit: (d: PfConfigDoc) => void; verify: (d: PfConfigDoc) => string | undefined }) => {
    e.edit(box);
    const bad = e.verify(box);
    if (bad) throw new Error(bad);
    return "23.3";
  },
}));

const ovs = require("../../providers/ovs/resources") as typeof import("../../providers/ovs/resources");
const pf = require("../../providers/pfsense/resources/dynamic") as typeof import("../../providers/pfsense/resources/dynamic");

/** The id the host answers for a read (ReadResponse.setId(result.id): no id reads back as ""). */
const wireId = (r: { id?: string }): string => r.id ?? "";

/** What the host does with a result: throws on anything a Struct cannot hold; returns what the engine gets. */
function overTheWire(v: unknown): unknown {
  return Struct.fromJavaScript(v as never).toJavaScript();
}

const endpoint = { host: "10.0.0.11", username: "root", privateKeyPath: "/k", hostKeySha256: "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" };

function ovsSnapshot(withPorts: boolean): HostSnapshot {
  const iface = (name: string, extra: Props = {}) => ({ uuid: `i-${name}`, name, type: "", options: {}, ofport: 1, externalIds: {}, bfd: {}, ...extra });
  const portNames = withPorts ? ["vxcvyfej-vdu65w"] : [];
  return {
    bridges: [{ uuid: "b1", name: "vmbr1", ports: ["p-vmbr1", ...portNames.map((n) => `p-${n}`)], externalIds: { "managed-by": "pfsense-ha" }, datapathType: "netdev" }],
    ports: [
      { uuid: "p-vmbr1", name: "vmbr1", interfaces: ["i-vmbr1"], externalIds: {}, protected: false },
      ...portNames.map((n) => ({ uuid: `p-${n}`, name: n, interfaces: [`i-${n}`], externalIds: { "managed-by": "pfsense-ha", "pfsense-ha-tunnel": "lan" }, protected: true })),
    ],
    interfaces: [
      iface("vmbr1", { type: "internal" }),
      // dst_port, local_ip and error absent: the ordinary case that the state must hold without undefined
      ...portNames.map((n) => iface(n, { type: "vxlan", options: { remote_ip: "10.0.0.12", key: "1001" }, ofport: 2 })),
    ],
    interfacesFile: "auto lo\niface lo inet loopback\n",
    tunnelsFile: undefined,
    pendingNew: false,
  };
}

describe("OVS providers: every result is a protobuf Struct", () => {
  const bridgeIn = { endpoint, node: "pve1", name: "vmbr1", datapathType: "netdev" };
  const tunnelIn = { endpoint, node: "pve1", tunnelId: "lan", bridge: "vmbr1", vni: 1001, underlayAddress: "10.0.0.11", peers: [{ name: "pve2", address: "10.0.0.12" }] };

  test("VxlanNode: read of a realised port without dst_port/local_ip/error, and of a missing port", async () => {
    const p = ovs.vxlanNodeProvider;
    ovsHost = ovsSnapshot(true);
    const r = await p.read("pve1/lan", { ...tunnelIn, stateVersion: 1, ports: [] } as never);
    const wire = overTheWire(r.props) as { ports: Props[] };
    expect(wire.ports).toEqual([{ name: "vxcvyfej-vdu65w", peer: "pve2", remoteIp: "10.0.0.12", key: 1001, bfd: false, protected: true, ofport: 2, owned: true, persisted: false }]);
    ovsHost = ovsSnapshot(false);
    const gone = await p.read("pve1/lan", { ...tunnelIn, stateVersion: 1, ports: [] } as never);
    expect((overTheWire(gone.props) as { ports: Props[] }).ports).toEqual([{ name: "vxcvyfej-vdu65w", peer: "pve2", remoteIp: "", key: -1, bfd: false, protected: false, owned: false, persisted: false }]);
  });

  test("VxlanNode: create and update results (finish on a realised host)", async () => {
    const p = ovs.vxlanNodeProvider;
    ovsHost = ovsSnapshot(true);
    ovsHost.tunnelsFile = "";
    const c = await p.create(tunnelIn as never);
    expect(() => overTheWire(c.outs)).not.toThrow();
    const u = await p.update("pve1/lan", c.outs as never, { ...tunnelIn, bfd: false } as never);
    expect(() => overTheWire(u.outs)).not.toThrow();
  });

  test("OvsBridge: create, read, update results", async () => {
    const p = ovs.bridgeProvider;
    ovsHost = ovsSnapshot(false);
    const c = await p.create(bridgeIn as never);
    expect(overTheWire(c.outs)).toMatchObject({ name: "vmbr1", present: true, ports: [], created: true });
    const r = await p.read(c.id, c.outs as never);
    expect(() => overTheWire(r.props)).not.toThrow();
    const u = await p.update(c.id, c.outs as never, { ...bridgeIn, mtu: undefined } as never);
    expect(() => overTheWire(u.outs)).not.toThrow();
  });
});

function planOf(): PlanItem[] {
  const values = topologyValues("wan-lan-sync");
  (values["pfsense-ha:cluster"] as Props).vpn = { openvpn: [{ vpnid: 1 }], ipsec: [{ ikeid: 1 }] };
  // services on the WAN VIP: a port forward and a 1:1 mapping (on a second WAN VIP)
  const cluster = values["pfsense-ha:cluster"] as { networks: { wan: Record<string, unknown> } } & Record<string, unknown>;
  cluster.networks.wan.vip = [{ address: "198.51.100.10", vhid: 1 }, { address: "198.51.100.11", vhid: 3 }];
  cluster.portForwards = [{ name: "web", port: 443, target: "172.16.10.10" }];
  cluster.oneToOne = [{ name: "mail", external: "198.51.100.11", internal: "172.16.10.20" }];
  const r = validateValues(values, TOPOLOGY_DIR);
  if (!r.config) throw new Error(JSON.stringify(r.problems));
  return firewallPlanOf(r.config, r.config.name, "primary").map((i) => substituteSecrets(i, { carpPassword: "c-Secret-1", xmlrpcPassword: "x-Secret-2" }));
}

interface ElementApi {
  check(o: Props, n: Props): Promise<{ inputs: Props; failures: unknown[] }>;
  create(i: Props): Promise<{ id: string; outs: Props }>;
  read(id: string, p: Props): Promise<{ id?: string; props?: Props }>;
  update(id: string, o: Props, n: Props): Promise<{ outs: Props }>;
  delete(id: string, p: Props): Promise<void>;
  diff(id: string, o: Props, n: Props): Promise<{ changes: boolean; replaces: string[] }>;
}
const providerOf: Record<string, ElementApi> = {
  interface: pf.providerOf("interface"), gateway: pf.providerOf("gateway"), carpVip: pf.providerOf("carpVip"), haSync: pf.providerOf("haSync"),
  alias: pf.providerOf("alias"), filterRule: pf.providerOf("filterRule"), outboundNat: pf.providerOf("outboundNat"), dhcpFailover: pf.providerOf("dhcpFailover"),
  offloading: pf.providerOf("offloading"), vpnBinding: pf.providerOf("vpnBinding"), portForward: pf.providerOf("portForward"), oneToOne: pf.providerOf("oneToOne"),
} as unknown as Record<string, ElementApi>;

describe("pfSense element providers: every result is a protobuf Struct", () => {
  const items = planOf();
  test("the plan covers every element kind", () => {
    expect([...new Set(items.map((i) => i.kind))].sort()).toEqual(["alias", "carpVip", "dhcpFailover", "filterRule", "gateway", "haSync", "interface", "offloading", "oneToOne", "outboundNat", "portForward", "vpnBinding"]);
  });

  test.each(items.map((i) => [i.key, i] as const))("%s: create, read, update", async (_key, item) => {
    box = parseConfigXml(FACTORY);
    // every element before this one is in place (the interfaces the later ones name)
    for (const before of items.slice(0, items.indexOf(item))) {
      const prov = providerOf[before.kind];
      await prov.create((await prov.check({}, { endpoint, spec: before.spec, role: before.kind === "haSync" ? "primary" : undefined })).inputs);
    }
    const p = providerOf[item.kind];
    const news: Props = plainData({ endpoint, allowUnknownVersion: false, spec: item.spec, ...(item.kind === "haSync" ? { role: "primary" } : {}) });
    const checked = await p.check({}, news);
    expect(checked.failures).toEqual([]);
    const inputs = overTheWire(checked.inputs) as Props;
    const c = await p.create(inputs);
    const outs = overTheWire(c.outs) as Props;
    const r = await p.read(c.id, outs);
    expect(r.id).toBe(c.id);
    expect(overTheWire(r.props)).toEqual(outs);
    const u = await p.update(c.id, outs, inputs);
    expect(overTheWire(u.outs)).toEqual(outs);
  });
});

describe("refresh: gone (empty id) only when the element is gone", () => {
  const items = planOf();
  async function created(kind: string): Promise<{ p: ElementApi; id: string; outs: Props }> {
    box = parseConfigXml(FACTORY);
    for (const it of items) {
      const prov = providerOf[it.kind];
      const c = await prov.create((await prov.check({}, { endpoint, spec: it.spec, ...(it.kind === "haSync" ? { role: "primary" } : {}) })).inputs);
      if (it.kind === kind) return { p: prov, id: c.id, outs: overTheWire(c.outs) as Props };
    }
    throw new Error(`no ${kind} in the plan`);
  }

  test("pfsync switched off by hand: HaSyncConfig reads as drift (no pfsync interface), not gone", async () => {
    const { p, id, outs } = await created("haSync");
    const h = getPath(box.root, "hasync");
    removeChild(h!, child(h!, "pfsyncenabled")!);
    const r = await p.read(id, outs);
    expect(r.id).toBe(id);
    expect((r.props as { spec: Props }).spec.pfsyncInterface).toBe("");
  });

  test("DHCP failover peer removed by hand: drift (no peer), not gone; removed entirely by our delete: gone", async () => {
    const { p, id, outs } = await created("dhcpFailover");
    const s = getPath(box.root, "dhcpd/lan");
    removeChild(s!, child(s!, "failover_peerip")!);
    const r = await p.read(id, outs);
    expect(r.id).toBe(id);
    const spec = (r.props as { spec: Props }).spec;
    expect(spec).not.toHaveProperty("failoverPeerIp");
    expect(spec).toMatchObject({ gateway: (outs.spec as Props).gateway });
    expect(await p.diff(id, r.props as Props, outs)).toMatchObject({ changes: true, replaces: [] });
    await p.delete(id, outs);
    expect(wireId(await p.read(id, outs))).toBe("");
  });

  test("an OpenVPN instance re-pointed by hand: drift (its interface), not gone; after our delete: gone, the instance back on wan", async () => {
    const { p, id, outs } = await created("vpnBinding");
    expect(id).toBe("VpnBinding:openvpn/1");
    const xml = buildConfigXml(box);
    box = parseConfigXml(xml.replace(/<interface>_vip[0-9a-f]{13}<\/interface>(\s*<ipaddr>)/, "<interface>lan</interface>$1"));
    const r = await p.read(id, outs);
    expect(r.id).toBe(id);
    expect((r.props as { spec: Props }).spec).toMatchObject({ vpn: "openvpn", id: 1, vipUniqid: "lan" });
    box = parseConfigXml(xml);
    await p.delete(id, outs);
    expect(wireId(await p.read(id, outs))).toBe("");
    expect(buildConfigXml(box)).toContain("<openvpn-server>\n\t\t\t<vpnid>1</vpnid>\n\t\t\t<interface>wan</interface>\n\t\t\t<ipaddr></ipaddr>\n\t\t</openvpn-server>");
  });

  test("a port forward's linked filter rule deleted by hand: drift (no tracker), not gone; our delete removes both: gone", async () => {
    const { p, id, outs } = await created("portForward");
    const filter = getPath(box.root, "filter")!;
    const linked = filter.children!.find((e) => e.tag === "rule" && JSON.stringify(e).includes((outs.spec as { associatedRuleId: string }).associatedRuleId));
    removeChild(filter, linked!);
    const r = await p.read(id, outs);
    expect(r.id).toBe(id);
    expect((r.props as { spec: Props }).spec.tracker).toBe("");
    await p.delete(id, outs);
    expect(wireId(await p.read(id, outs))).toBe("");
    expect(buildConfigXml(box)).not.toContain("pfha-pf-");
  });

  test("a CARP VIP deleted by hand is gone; the wire answer is an empty id", async () => {
    const { p, id, outs } = await created("carpVip");
    await p.delete(id, outs);
    const r = await p.read(id, outs);
    expect(wireId(r)).toBe("");
    expect(buildConfigXml(box)).not.toContain((outs.spec as { uniqid: string }).uniqid);
  });

  test("a read without prior state fails instead of answering gone", async () => {
    await expect(pf.providerOf("carpVip").read("CarpVip:x", {} as never)).rejects.toThrow(/no prior state/);
  });
});

describe("unknowns in a preview (Pulumi's placeholder at any depth)", () => {
  test("OVS check accepts unknown fields and still reports known bad ones", async () => {
    const t = { endpoint: UNKNOWN, node: "pve1", tunnelId: "lan", bridge: "vmbr1", vni: 1001, underlayAddress: UNKNOWN, peers: [{ name: "pve2", address: UNKNOWN }], overlayMtu: 1450, underlayMtu: UNKNOWN };
    expect((await ovs.vxlanNodeProvider.check({} as never, t as never)).failures).toEqual([]);
    const bad = await ovs.vxlanNodeProvider.check({} as never, { ...t, vni: 0 } as never);
    expect(bad.failures.map((f) => f.property)).toEqual(["vni"]);
    expect((await ovs.bridgeProvider.check({} as never, { endpoint, node: "pve1", name: UNKNOWN, mtu: UNKNOWN } as never)).failures).toEqual([]);
  });

  test("OVS diff: an unknown identity field is a replace, an unknown other field an update", async () => {
    const olds = { endpoint, node: "pve1", tunnelId: "lan", bridge: "vmbr1", vni: 1001, underlayAddress: "10.0.0.11", peers: [{ name: "pve2", address: "10.0.0.12" }], stateVersion: 1, ports: [] };
    const d1 = await ovs.vxlanNodeProvider.diff("x", olds as never, { ...olds, bridge: UNKNOWN } as never);
    expect(d1).toMatchObject({ changes: true, replaces: ["bridge"] });
    const d2 = await ovs.vxlanNodeProvider.diff("x", olds as never, { ...olds, peers: [{ name: "pve2", address: UNKNOWN }] } as never);
    expect(d2).toMatchObject({ changes: true, replaces: [] });
    const d3 = await ovs.bridgeProvider.diff("x", { endpoint, node: "pve1", name: "vmbr1", present: true, persisted: true } as never, { endpoint, node: "pve1", name: "vmbr1", mtu: UNKNOWN } as never);
    expect(d3).toMatchObject({ changes: true, replaces: [] });
  });
});

test("plainData drops undefined fields and refuses what a Struct cannot hold", () => {
  expect(plainData({ a: 1, b: undefined, c: [{ d: undefined, e: "x" }] })).toEqual({ a: 1, c: [{ e: "x" }] });
  expect(() => plainData({ a: [1, undefined] })).toThrow("outputs.a[1]: undefined in a list");
  expect(() => plainData({ a: NaN })).toThrow("outputs.a: NaN is not a finite number");
  expect(() => Struct.fromJavaScript({ a: undefined } as never)).toThrow("Unexpected struct type");
});
