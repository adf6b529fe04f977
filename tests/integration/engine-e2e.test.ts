// The dev stack end to end through the REAL parts of a deployment (tests/support/pulumi-engine.ts): index.ts run by
// Pulumi's Node language runtime with Pulumi.dev.yaml's config as the CLI encodes it, every dynamic resource run by
// Pulumi's dynamic-provider host over gRPC, on this lab instance (PFHA_LAB_ID). In order: a failure injected mid-run
// (the engine stops, nothing later runs, the next up converges), a no-op up, an edit (updates only), a hand edit on
// an OVS host and on a firewall (refresh shows the drift, the next up repairs it), then destroy (nothing of ours left).
// After the converge, the hosts' real state is checked in depth: the OVS fabric, every element of each firewall's
// plan read back from config.xml, the secondary as XMLRPC sync writes it, and pfSense's own apply stage by stage.
// Every seed topology is previewed through the same parts in engine-topologies.test.ts; its VMs need Proxmox's API,
// which the lab does not have, so only the dev stack's shape is deployed here.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { labSh, loadInventory, type LabInventory } from "../../lab/inventory";
import { expectOk, ops } from "../support/engine-topology";
import { TestEngine, unwrap } from "../support/pulumi-engine";
import { changesOf, eventsSettled, labRecord, reseedFirewalls, setAdminPassword } from "../support/pfsense-lab";
import { clusterFromProgramConfig } from "../../config/load";
import type { ClusterConfig, FirewallRole } from "../../config/types";
import { firewallPlanOf, substituteSecrets, type PlanItem } from "../../components/plan";
import { parseConfigXml, type PfConfigDoc } from "../../providers/pfsense/codec";
import { child, getPath, textIn } from "../../providers/pfsense/codec-tree";
import {
  readAlias, readCarpVip, readDhcpFailover, readFilterRule, readGateway, readOffloading, readHaSync, readInterface, readIpv6Spec, readOutboundNat, xmlrpcPortOf,
} from "../../providers/pfsense/elements";
import { schemaOf } from "../../providers/pfsense/version";

jest.setTimeout(1800000);
const LAB_ID = String(Number(process.env.PFHA_LAB_ID ?? 0));
const ROOT = path.join(__dirname, "..", "..");
const SECRETS = { "pfsense-ha:carpPassword": "engine-e2e-carp-7", "pfsense-ha:xmlrpcPassword": "engine-e2e-xmlrpc-8" };
const BRIDGES = ["vmbr0", "vmbr1", "vmbr2"];
const FW: Record<FirewallRole, string> = { primary: "fw1", secondary: "fw2" };
/** Each stage's apply as the lab's firewalls record it below pfSense's code: the FreeBSD command or extension call
 * the stage's pfSense function makes (interface_configure, system_routing_configure, interface_carp_configure,
 * interfaces_sync_setup, filter_configure_sync, services_dhcpd_configure). */
const STAGE_APPLY: [string, RegExp][] = [
  ["interfaces", /^pfSense_interface_setaddress vtnet\d+ /],
  ["gateway routing", /^route add -inet default /],
  ["VIPs", /^ifconfig vtnet\d+ vhid \d+ /],
  ["HA sync", /^ifconfig pfsync0 syncdev /],
  ["rules and NAT", /^pfctl -o basic -f \/tmp\/rules\.debug$/],
  ["DHCP", /^dhcpd /],
];

function devConfig(): Record<string, unknown> {
  const doc = parse(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
  return { ...doc.config, ...SECRETS };
}

const short = (urn: string) => urn.split("::").pop();

/** The cluster the program builds from this config (object values as the CLI hands them: JSON text). */
function clusterOf(config: Record<string, unknown>): ClusterConfig {
  const asCli = Object.fromEntries(Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
  return clusterFromProgramConfig(asCli, "dev", ROOT);
}

/** What an element reads back as from config.xml (undefined = absent), in the plan's terms. */
function readBack(doc: PfConfigDoc, item: PlanItem): unknown {
  switch (item.kind) {
    case "interface": {
      const found = readInterface(doc, item.spec.name);
      return found && item.spec.ipv6 !== undefined ? { ...found, ipv6: readIpv6Spec(doc, item.spec.name) } : found;
    }
    case "carpVip":
      return readCarpVip(doc, item.spec.uniqid);
    case "haSync": {
      // the XMLRPC port is not stored in <hasync>: it is the webGUI's, as pfSense's XMLRPC client computes it
      const found = readHaSync(doc, schemaOf(doc));
      if (found?.xmlrpc && item.spec.xmlrpc?.webguiPort !== undefined) found.xmlrpc.webguiPort = xmlrpcPortOf(doc);
      return found;
    }
    case "alias":
      return readAlias(doc, item.spec.name);
    case "filterRule":
      return readFilterRule(doc, item.spec.tracker);
    case "outboundNat":
      return readOutboundNat(doc, item.spec.key);
    case "dhcpFailover":
      return readDhcpFailover(doc, item.spec.interface);
    case "gateway":
      return readGateway(doc, item.spec.name);
    case "offloading":
      return readOffloading(doc);
  }
}

/** The plan's spec in the shape its reader returns. */
function expected(item: PlanItem): unknown {
  const resolved = substituteSecrets(item, { carpPassword: SECRETS["pfsense-ha:carpPassword"], xmlrpcPassword: SECRETS["pfsense-ha:xmlrpcPassword"] });
  // the readers cannot see what config.xml does not store (sync flag = blockpriv/bogons untouched; DHCP role/skew)
  const drop = resolved.kind === "interface" ? ["sync"] : resolved.kind === "dhcpFailover" ? ["role", "advskew"] : [];
  return Object.fromEntries(Object.entries(resolved.spec).filter(([k]) => !drop.includes(k)));
}

/** Everything the run writes, to show that a no-op up leaves the hosts byte-identical. */
async function hostFiles(inv: LabInventory): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const h of ["pve1", "pve2"]) out[h] = await labSh(inv, h, "cat /etc/network/interfaces /etc/network/interfaces.d/* 2>/dev/null; ovs-vsctl show");
  // config.xml and what pfSense changed (its background event scripts done first: their completion lines come late)
  for (const h of ["fw1", "fw2"]) {
    await eventsSettled(inv, h);
    out[h] = (await labSh(inv, h, "cat /cf/conf/config.xml")) + changesOf(labRecord(inv, h)).join("\n");
  }
  return out;
}

describe("the dev stack through Pulumi's language runtime and dynamic-provider host", () => {
  let inv: LabInventory;
  let engine: TestEngine;

  beforeAll(async () => {
    inv = loadInventory(Number(LAB_ID));
    engine = new TestEngine({ stack: "dev", config: devConfig(), secretKeys: Object.keys(SECRETS), env: { PFHA_LAB_ID: LAB_ID } });
    // Start from hosts without anything of ours (an earlier run may have left the fabric) and factory-fresh
    // firewalls with empty command records.
    for (const h of ["pve1", "pve2"]) {
      await labSh(inv, h, `for b in ${BRIDGES.join(" ")}; do ovs-vsctl --if-exists del-br $b; done; rm -f /etc/network/interfaces.new /etc/network/interfaces.d/pfsense-ha`);
    }
    await reseedFirewalls(inv);
  });

  test("preview: every resource is a create, nothing runs on the hosts", async () => {
    const r = await engine.preview();
    expectOk(r);
    expect(ops(r)).toEqual({ create: 38 });
    expect(await labSh(inv, "pve1", "ovs-vsctl list-br")).not.toContain("vmbr1");
    expect(engine.state.resources).toEqual([]);
  });

  test("a failure mid-run (pending GUI network changes on pve2): the engine stops, no pfSense step runs; the next up converges", async () => {
    await labSh(inv, "pve2", "cp /etc/network/interfaces /etc/network/interfaces.new");
    const failed = await engine.up();
    expect(failed.ok).toBe(false);
    expect(failed.error).toContain("pve2: Proxmox has pending network changes");
    // nothing after the failure: no pfSense element was written, no delete ran
    expect(failed.steps.filter((s) => s.urn.includes(":pfsense:"))).toEqual([]);
    expect(ops(failed).delete).toBeUndefined();
    expect(await labSh(inv, "fw1", "cat /cf/conf/config.xml")).not.toContain("172.16.10.1<");
    const kept = engine.state.resources.filter((x) => x.custom).map((x) => short(x.urn));
    expect(kept.every((n) => n?.endsWith("-pve1-bridge") || n?.endsWith("-pve1"))).toBe(true);

    await labSh(inv, "pve2", "rm /etc/network/interfaces.new");
    const r = await engine.up();
    expectOk(r);
    expect(ops(r).create + (ops(r).same ?? 0)).toBe(38);
    expect(ops(r).create).toBe(38 - kept.length);
    for (const h of ["pve1", "pve2"]) expect((await labSh(inv, h, "ovs-vsctl list-br")).split("\n")).toEqual(expect.arrayContaining(BRIDGES));
    expect(await labSh(inv, "fw1", "cat /cf/conf/config.xml")).toContain("<subnet>172.16.10.1</subnet>");
    expect(await labSh(inv, "fw2", "cat /cf/conf/config.xml")).toContain("<subnet>172.16.10.1</subnet>");
  });

  test("the converged state lists its dependencies before each resource (the engine's create order)", () => {
    const urns = engine.state.resources.map((r) => r.urn);
    for (const r of engine.state.resources) {
      for (const d of r.dependencies) expect({ r: short(r.urn), dependsOn: short(d), before: urns.indexOf(d) < urns.indexOf(r.urn) }).toEqual({ r: short(r.urn), dependsOn: short(d), before: true });
    }
  });

  test("OVS fabric on both Proxmox nodes: bridges, VXLAN ports with the configured keys, persisted; the output names the real ports", async () => {
    const vxlan = unwrap(engine.state.outputs.vxlan) as Record<string, { ports: Record<string, string[]> }>;
    for (const h of ["pve1", "pve2"]) {
      for (const br of BRIDGES) {
        await labSh(inv, h, `ovs-vsctl br-exists ${br}`);
        expect(await labSh(inv, h, "cat /etc/network/interfaces")).toMatch(new RegExp(`iface ${br}\\b[^\\n]*\\n(?:[ \\t]+[^\\n]*\\n)*?[ \\t]+ovs_type OVSBridge`));
      }
      const keys = await labSh(inv, h, "ovs-vsctl --bare --columns=options find Interface type=vxlan");
      for (const k of ["1000", "1001", "1002"]) expect(keys).toContain(`key=${k}`);
      const names = (await labSh(inv, h, "ovs-vsctl --bare --columns=name find Interface type=vxlan")).split(/\s+/).filter(Boolean).sort();
      expect(Object.values(vxlan).flatMap((v) => v.ports[h]).sort()).toEqual(names);
    }
  });

  test.each(["primary", "secondary"] as const)("%s's config.xml holds every element of its plan, exactly once", async (role) => {
    const cluster = clusterOf(devConfig());
    const doc = parseConfigXml(await labSh(inv, FW[role], "cat /cf/conf/config.xml"));
    const plan = firewallPlanOf(cluster, cluster.name, role);
    expect(plan.map((i) => i.kind)).toEqual(expect.arrayContaining(["interface", "gateway", "carpVip", "haSync", "alias", "filterRule", "outboundNat", "dhcpFailover"]));
    for (const item of plan) expect({ key: item.key, value: readBack(doc, item) }).toEqual({ key: item.key, value: expected(item) });
    // exactly the plan's VIPs; the sync rules first on the sync interface; hybrid outbound NAT
    const vips = getPath(doc.root, "virtualip")?.children?.filter((e) => e.tag === "vip") ?? [];
    expect(vips.map((v) => textIn(doc, child(v, "uniqid"))).sort()).toEqual(plan.flatMap((i) => (i.kind === "carpVip" ? [i.spec.uniqid] : [])).sort());
    expect(textIn(doc, getPath(doc.root, "nat/outbound/mode"))).toBe("hybrid");
    const syncIf = cluster.networks.find((n) => n.role === cluster.hasync.syncNetwork)?.pfsenseInterface;
    const rules = (getPath(doc.root, "filter")?.children ?? []).filter((r) => r.tag === "rule" && textIn(doc, child(r, "interface")) === syncIf);
    expect(rules.slice(0, 2).map((r) => textIn(doc, child(r, "tracker")))).toEqual(plan.flatMap((i) => (i.kind === "filterRule" ? [i.spec.tracker] : [])));
  });

  test("the nodes mirror each other as XMLRPC sync would: skews +100, swapped peers, XMLRPC only on the primary", async () => {
    const fw1 = await labSh(inv, "fw1", "cat /cf/conf/config.xml");
    const fw2 = await labSh(inv, "fw2", "cat /cf/conf/config.xml");
    expect(fw1.match(/<advskew>\d+<\/advskew>/g)).toEqual(["<advskew>0</advskew>", "<advskew>0</advskew>"]);
    expect(fw2.match(/<advskew>\d+<\/advskew>/g)).toEqual(["<advskew>100</advskew>", "<advskew>100</advskew>"]);
    expect(fw1).toContain("<pfsyncpeerip>172.16.255.2</pfsyncpeerip>");
    expect(fw1).toContain("<synchronizetoip>172.16.255.2</synchronizetoip>");
    expect(fw2).toContain("<pfsyncpeerip>172.16.255.1</pfsyncpeerip>");
    expect(fw2).not.toContain("<synchronizetoip>");
    expect(fw1).toContain("<failover_peerip>172.16.10.3</failover_peerip>");
    expect(fw2).toContain("<failover_peerip>172.16.10.2</failover_peerip>");
    expect(fw2).not.toContain(SECRETS["pfsense-ha:xmlrpcPassword"]);
  });

  test.each(["fw1", "fw2"])("%s has the WAN upstream gateway as its default route and the DHCP range inside the LAN subnet", async (host) => {
    const x = await labSh(inv, host, "cat /cf/conf/config.xml");
    const doc = parseConfigXml(x);
    // the same gateway on both nodes (what XMLRPC sync copies with synchronizestaticroutes)
    // (the 24.x tree's own apply also stores the WAN's dynamic gateways WAN_DHCP/WAN_DHCP6 between ours and the default)
    expect(x).toContain(
      ["\t<gateways>", "\t\t<gateway_item>", "\t\t\t<interface>wan</interface>", "\t\t\t<gateway>192.0.2.1</gateway>", "\t\t\t<name>PFHA_WANGW</name>",
        "\t\t\t<weight>1</weight>", "\t\t\t<ipprotocol>inet</ipprotocol>", "\t\t\t<descr><![CDATA[[pfsense-ha]PFHA_WANGW pfsense-ha: upstream gateway of wan]]></descr>", "\t\t\t<gw_down_kill_states></gw_down_kill_states>",
        "\t\t</gateway_item>"].join("\n"),
    );
    expect(x).toContain(["\t\t<defaultgw4>PFHA_WANGW</defaultgw4>", "\t</gateways>"].join("\n"));
    expect(textIn(doc, getPath(doc.root, "interfaces/wan/gateway"))).toBe("PFHA_WANGW");
    expect(textIn(doc, getPath(doc.root, "dhcpd/lan/range/from"))).toBe("172.16.10.100");
    expect(textIn(doc, getPath(doc.root, "dhcpd/lan/range/to"))).toBe("172.16.10.199");
    expect(x).not.toContain("192.168.1.100"); // the factory range is gone
  });

  test.each(["fw1", "fw2"])("%s applied stage by stage: interfaces, gateway routing, VIPs, HA sync, rules and NAT, DHCP", async (host) => {
    // Each stage's apply is found after the previous stage's first one (later stages re-apply earlier sections
    // too: the gateway re-applies the WAN, whose interface_configure() restarts the DHCP server).
    const log = changesOf(labRecord(inv, host));
    let at = -1;
    const found = STAGE_APPLY.map(([stage, sig]) => {
      at = log.findIndex((c, i) => i > at && sig.test(c));
      return `${stage}: ${at >= 0 ? "applied" : "missing"}`;
    });
    expect(found).toEqual(STAGE_APPLY.map(([stage]) => `${stage}: applied`));
    const record = await labSh(inv, host, "cat /var/log/pfha-lab/apply.log");
    for (const secret of Object.values(SECRETS)) expect(record).not.toContain(secret);
  });

  test("verify --stack dev passes on the converged lab (the secondary's admin password = the XMLRPC password)", async () => {
    await setAdminPassword(inv, "fw2", SECRETS["pfsense-ha:xmlrpcPassword"]);
    const r = spawnSync(process.execPath, [path.join(ROOT, "bin", "pfsense-ha.js"), "verify", "--stack", "dev", "--json"], {
      cwd: ROOT, encoding: "utf8", timeout: 300000,
      env: { ...process.env, PFHA_LAB_ID: LAB_ID, PFSENSE_HA_CARP_PASSWORD: SECRETS["pfsense-ha:carpPassword"], PFSENSE_HA_XMLRPC_PASSWORD: SECRETS["pfsense-ha:xmlrpcPassword"] },
    });
    const report = JSON.parse(r.stdout) as { ok: boolean; checks: { check: string; node: string; status: string; found: unknown; hint?: string }[] };
    expect(report.checks.filter((c) => c.status === "fail")).toEqual([]);
    expect({ ok: report.ok, exit: r.status }).toEqual({ ok: true, exit: 0 });
    expect(report.checks.length).toBeGreaterThan(20);
  });

  test("the state: small, providers stored as references, secrets only as ciphertext", () => {
    const cp = engine.checkpoint();
    expect(cp.length).toBeLessThan(2 * 1024 * 1024);
    const providers = engine.state.resources.map((r) => String(r.outputs.__provider ?? "")).filter((p) => p);
    expect(providers).toHaveLength(38);
    expect(Math.max(...providers.map((p) => p.length))).toBeLessThan(50 * 1024);
    for (const s of Object.values(SECRETS)) expect(cp).not.toContain(s);
    expect(cp).toContain('"ciphertext"');
  });

  test("a second up changes nothing: every step a same, the hosts byte-identical", async () => {
    const before = await hostFiles(inv);
    const r = await engine.up();
    expectOk(r);
    expect(ops(r)).toEqual({ same: 38 });
    expect(await hostFiles(inv)).toEqual(before);
  });

  test("an edit (the LAN's description) is updates only", async () => {
    const config = devConfig();
    const cluster = structuredClone(config["pfsense-ha:cluster"]) as { networks: { lan: { description?: string } } };
    cluster.networks.lan.description = "Office";
    const r = await engine.up({ config: { ...config, "pfsense-ha:cluster": cluster } });
    expectOk(r);
    expect(Object.keys(ops(r)).sort()).toEqual(["same", "update"]);
    expect(r.steps.filter((s) => s.op === "update").map((s) => short(s.urn)).sort()).toEqual(["ha-primary-if-lan", "ha-secondary-if-lan"]);
    expect(await labSh(inv, "fw1", "cat /cf/conf/config.xml")).toContain("<descr><![CDATA[Office]]></descr>");
    const back = await engine.up();
    expectOk(back);
    expect(ops(back).update).toBe(2);
  });

  test("a hand edit on an OVS host: refresh shows the drift, the next up repairs it", async () => {
    const port = (await labSh(inv, "pve1", "ovs-vsctl --bare --columns=name find port external_ids:pfsense-ha-tunnel=ha-vx-lan")).trim();
    expect(port).toMatch(/^vx/);
    await labSh(inv, "pve1", `ovs-vsctl del-port ${port}`);
    const refreshed = await engine.refresh();
    expectOk(refreshed);
    expect(refreshed.steps.filter((s) => s.op !== "read").map((s) => [short(s.urn), s.op])).toEqual([["ha-vx-lan-pve1", "refresh-drift"]]);
    const r = await engine.up();
    expectOk(r);
    expect(r.steps.filter((s) => s.op !== "same").map((s) => [short(s.urn), s.op])).toEqual([["ha-vx-lan-pve1", "update"]]);
    expect(await labSh(inv, "pve1", "ovs-vsctl list-ports vmbr1")).toContain(port);
    expect(ops(await engine.refresh())).toEqual({ read: 38 });
  });

  test("a hand edit on a firewall (the LAN VIP's address): refresh shows the drift, the next up repairs it", async () => {
    await labSh(inv, "fw1", "sed -i 's#<subnet>172.16.10.1</subnet>#<subnet>172.16.10.9</subnet>#' /cf/conf/config.xml");
    const refreshed = await engine.refresh();
    expectOk(refreshed);
    expect(refreshed.steps.filter((s) => s.op !== "read").map((s) => [short(s.urn), s.op])).toEqual([["ha-primary-vip-lan-2", "refresh-drift"]]);
    const r = await engine.up();
    expectOk(r);
    expect(r.steps.filter((s) => s.op !== "same").map((s) => [short(s.urn), s.op])).toEqual([["ha-primary-vip-lan-2", "update"]]);
    const x = await labSh(inv, "fw1", "cat /cf/conf/config.xml");
    expect(x).toContain("<subnet>172.16.10.1</subnet>");
    expect(x).not.toContain("172.16.10.9");
  });

  test("destroy: every resource deleted, dependents first; nothing of ours left on any host", async () => {
    const r = await engine.destroy();
    expectOk(r);
    expect(ops(r)).toEqual({ delete: 77 });
    const order = r.steps.map((s) => short(s.urn));
    expect(order.indexOf("ha-primary-if-lan")).toBeLessThan(order.indexOf("ha-br-lan-pve1-bridge"));
    expect(order.indexOf("ha-vx-lan-pve1")).toBeLessThan(order.indexOf("ha-br-lan-pve1-bridge"));
    expect(order[order.length - 1]).toBe("pfsense-ha-dev");
    for (const h of ["pve1", "pve2"]) {
      const brs = (await labSh(inv, h, "ovs-vsctl list-br")).split("\n");
      for (const b of BRIDGES) expect(brs).not.toContain(b);
      // no stanza of ours (our tunnels file may stay, with its header only)
      expect(await labSh(inv, h, "cat /etc/network/interfaces /etc/network/interfaces.d/* 2>/dev/null || true")).not.toMatch(/^iface (vmbr[012]|vx)/m);
    }
    for (const h of ["fw1", "fw2"]) {
      const x = await labSh(inv, h, "cat /cf/conf/config.xml");
      expect(x).not.toContain("<subnet>172.16.10.1</subnet>");
      expect(x).not.toContain("<pfsyncenabled>");
      expect(x).not.toContain("<failover_peerip>");
    }
    expect(engine.state.resources).toEqual([]);
  });
});
