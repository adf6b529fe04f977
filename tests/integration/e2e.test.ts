// End to end on the lab WITHOUT the Pulumi CLI: index.ts with Pulumi.dev.yaml (pointed at this lab instance) runs
// under the engine harness, which loads every dynamic resource's serialized provider and runs check -> create in
// dependency order, exactly like the engine + dynamic-provider host. Then the lab hosts' real state is asserted,
// and a second run with the prior state must change nothing (diff says no changes; files byte-identical).
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import type { EngineRun } from "../support/engine";
import { loadInventory, labExec, type LabInventory } from "../../lab/inventory";
import { changesOf, eventsSettled, labRecord, reseedFirewall } from "../support/pfsense-lab";
import { clusterFromProgramConfig } from "../../config/load";
import type { ClusterConfig, FirewallRole } from "../../config/types";
import { firewallPlanOf, substituteSecrets, type PlanItem } from "../../components/plan";
import { parseConfigXml, type PfConfigDoc } from "../../providers/pfsense/codec";
import { child, getPath, textIn } from "../../providers/pfsense/codec-tree";
import {
  readAlias, readCarpVip, readDhcpFailover, readFilterRule, readGateway, readOffloading, readHaSync, readInterface, readIpv6, readOutboundNat, xmlrpcPortOf,
} from "../../providers/pfsense/elements";
import { schemaOf } from "../../providers/pfsense/version";

jest.setTimeout(600000);
const LAB_ID = Number(process.env.PFHA_LAB_ID ?? 0);
const ROOT = path.join(__dirname, "..", "..");
const SECRETS = { carpPassword: "e2e-carp-secret", xmlrpcPassword: "e2e-xmlrpc-secret" };
const FW: Record<FirewallRole, string> = { primary: "fw1", secondary: "fw2" };
/** One apply function per stage, in stage order (providers/pfsense/remote/install-script.ts). */
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

function devConfig(inv: LabInventory): Record<string, string> {
  const doc = parse(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
  return {
    ...Object.fromEntries(Object.entries(doc.config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])),
    "pfsense-ha:labInventory": path.join(inv.stateDir, "inventory.json"),
    "pfsense-ha:carpPassword": SECRETS.carpPassword,
    "pfsense-ha:xmlrpcPassword": SECRETS.xmlrpcPassword,
  };
}

/** The dev config with the LAN's and its VIP's descriptions changed (nothing else). */
function renamedConfig(inv: LabInventory): Record<string, string> {
  const all = devConfig(inv);
  const cluster = JSON.parse(all["pfsense-ha:cluster"]) as { networks: { lan: { description?: string; vip: { description?: string } } } };
  cluster.networks.lan.description = "Office";
  cluster.networks.lan.vip.description = "office gateway";
  return { ...all, "pfsense-ha:cluster": JSON.stringify(cluster) };
}

interface RunOptions {
  prior?: EngineRun["state"];
  config?: Record<string, string>;
  /** Declare nothing: with `prior`, every resource is deleted (pulumi destroy). */
  empty?: boolean;
}

async function up(inv: LabInventory, priorOrOpts?: EngineRun["state"] | RunOptions): Promise<EngineRun> {
  const o: RunOptions = priorOrOpts instanceof Map ? { prior: priorOrOpts } : (priorOrOpts ?? {});
  const prior = o.prior;
  let result: EngineRun | undefined;
  await jest.isolateModulesAsync(async () => {
    const { runUnderEngine } = require("../support/engine") as typeof import("../support/engine");
    try {
      result = await runUnderEngine({
        program: () => (o.empty ? {} : require("../../index")),
        project: "pfsense-ha",
        stack: "dev",
        config: o.config ?? devConfig(inv),
        secretConfigKeys: ["pfsense-ha:carpPassword", "pfsense-ha:xmlrpcPassword"],
        prior,
      });
    } finally {
      // The SSH pool lives on globalThis (shared by every loaded copy of the providers).
      const ssh = require("../../providers/ssh") as typeof import("../../providers/ssh");
      await ssh.closeAllHosts();
    }
  });
  if (!result) throw new Error("no run");
  return result;
}

async function sh(inv: LabInventory, host: string, script: string): Promise<string> {
  const r = await labExec(inv, host, script);
  if (r.code !== 0) throw new Error(`${host}: ${script}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** What an element reads back as from config.xml (undefined = absent), in the plan's terms. */
function readBack(doc: PfConfigDoc, item: PlanItem): unknown {
  switch (item.kind) {
    case "interface": {
      const found = readInterface(doc, item.spec.name);
      return found && item.spec.ipv6 !== undefined ? { ...found, ipv6: readIpv6(doc, item.spec.name) } : found;
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
  const resolved = substituteSecrets(item, SECRETS);
  // the readers cannot see what config.xml does not store (sync flag = blockpriv/bogons untouched; DHCP role/skew)
  const drop = resolved.kind === "interface" ? ["sync"] : resolved.kind === "dhcpFailover" ? ["role", "advskew"] : [];
  return Object.fromEntries(Object.entries(resolved.spec).filter(([k]) => !drop.includes(k)));
}

async function configXml(inv: LabInventory, role: FirewallRole): Promise<PfConfigDoc> {
  return parseConfigXml(await sh(inv, FW[role], "cat /cf/conf/config.xml"));
}

/** What pfSense changed on the host, in order (its own commands, not those of background event scripts). */
function applyLog(inv: LabInventory, host: string): string[] {
  return changesOf(labRecord(inv, host));
}

/** Fingerprint of everything the run writes, to show the second run leaves the hosts byte-identical. */
async function hostFiles(inv: LabInventory): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const h of ["pve1", "pve2"]) out[h] = await sh(inv, h, "cat /etc/network/interfaces; ovs-vsctl show");
  // config.xml and what pfSense changed (its background event scripts done first: their completion lines come late)
  for (const h of ["fw1", "fw2"]) {
    await eventsSettled(inv, h);
    out[h] = (await sh(inv, h, "cat /cf/conf/config.xml")) + changesOf(labRecord(inv, h)).join("\n");
  }
  return out;
}

describe("e2e: index.ts with Pulumi.dev.yaml on the lab, without the Pulumi CLI", () => {
  let inv: LabInventory;
  let first: EngineRun;
  let last: EngineRun;
  let cluster: ClusterConfig;

  beforeAll(async () => {
    inv = loadInventory(LAB_ID);
    cluster = clusterFromProgramConfig(devConfig(inv), "dev", ROOT);
    // Factory-fresh firewalls (other lab tests write fw1), empty apply logs.
    for (const h of ["fw1", "fw2"]) {
      await reseedFirewall(inv, h, h === "fw1" ? "fw2" : "fw1");
    }
    first = await up(inv);
  });

  test("every dynamic resource was created from its serialized provider, in dependency order", () => {
    const dynamic = first.registrations.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic"));
    expect(dynamic.length).toBeGreaterThan(0);
    expect(first.operations.filter((o) => o.op === "create").length).toBe(dynamic.length);
    const order = first.operations.map((o) => o.urn);
    for (const r of dynamic) {
      for (const d of r.dependencies.filter((u) => order.includes(u))) expect(order.indexOf(d)).toBeLessThan(order.indexOf(r.urn));
    }
  });

  test("OVS fabric on both Proxmox nodes: bridges, VXLAN ports with the configured keys, persisted", async () => {
    for (const h of ["pve1", "pve2"]) {
      for (const br of ["vmbr0", "vmbr1", "vmbr2"]) {
        await sh(inv, h, `ovs-vsctl br-exists ${br}`);
        expect(await sh(inv, h, "cat /etc/network/interfaces")).toMatch(new RegExp(`iface ${br}\\b[^\\n]*\\n(?:[ \\t]+[^\\n]*\\n)*?[ \\t]+ovs_type OVSBridge`));
      }
      const keys = await sh(inv, h, "ovs-vsctl --bare --columns=options find Interface type=vxlan");
      for (const k of ["1000", "1001", "1002"]) expect(keys).toContain(`key=${k}`);
      // The contract's port names are the real OVS port names.
      const names = (await sh(inv, h, "ovs-vsctl --bare --columns=name find Interface type=vxlan")).split(/\s+/).filter(Boolean).sort();
      const vxlan = first.exports.vxlan.value as Record<string, { ports: Record<string, string[]> }>;
      expect(Object.values(vxlan).flatMap((v) => v.ports[h]).sort()).toEqual(names);
    }
  });

  test.each(["primary", "secondary"] as const)("%s's config.xml holds every element of its plan, exactly once", async (role) => {
    const doc = await configXml(inv, role);
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
    const fw1 = await sh(inv, "fw1", "cat /cf/conf/config.xml");
    const fw2 = await sh(inv, "fw2", "cat /cf/conf/config.xml");
    expect(fw1.match(/<advskew>\d+<\/advskew>/g)).toEqual(["<advskew>0</advskew>", "<advskew>0</advskew>"]);
    expect(fw2.match(/<advskew>\d+<\/advskew>/g)).toEqual(["<advskew>100</advskew>", "<advskew>100</advskew>"]);
    expect(fw1).toContain("<pfsyncpeerip>172.16.255.2</pfsyncpeerip>");
    expect(fw1).toContain("<synchronizetoip>172.16.255.2</synchronizetoip>");
    expect(fw2).toContain("<pfsyncpeerip>172.16.255.1</pfsyncpeerip>");
    expect(fw2).not.toContain("<synchronizetoip>");
    expect(fw1).toContain("<failover_peerip>172.16.10.3</failover_peerip>");
    expect(fw2).toContain("<failover_peerip>172.16.10.2</failover_peerip>");
    expect(fw2).not.toContain(SECRETS.xmlrpcPassword);
  });

  test.each(["fw1", "fw2"])("%s has the WAN upstream gateway as its default route and the DHCP range inside the new LAN subnet", async (host) => {
    const x = await sh(inv, host, "cat /cf/conf/config.xml");
    const doc = parseConfigXml(x);
    const wan = cluster.networks.find((n) => n.role === "wan")!;
    // the same gateway on both nodes (what XMLRPC sync copies with synchronizestaticroutes)
    // (the 24.x tree's own apply also stores the WAN's dynamic gateways WAN_DHCP/WAN_DHCP6 between ours and the default)
    expect(x).toContain(
      ["\t<gateways>", "\t\t<gateway_item>", "\t\t\t<interface>wan</interface>", `\t\t\t<gateway>${wan.gateway}</gateway>`, "\t\t\t<name>PFHA_WANGW</name>",
        "\t\t\t<weight>1</weight>", "\t\t\t<ipprotocol>inet</ipprotocol>", "\t\t\t<descr><![CDATA[[pfsense-ha]PFHA_WANGW pfsense-ha: upstream gateway of wan]]></descr>", "\t\t\t<gw_down_kill_states></gw_down_kill_states>",
        "\t\t</gateway_item>"].join("\n"),
    );
    expect(x).toContain(["\t\t<defaultgw4>PFHA_WANGW</defaultgw4>", "\t</gateways>"].join("\n"));
    expect(textIn(doc, getPath(doc.root, "interfaces/wan/gateway"))).toBe("PFHA_WANGW");
    expect(textIn(doc, getPath(doc.root, "interfaces/wan/ipaddr"))).toBe(wan.addresses[host === "fw1" ? "primary" : "secondary"]);
    expect(cluster.dhcp).toMatchObject({ rangeFrom: "172.16.10.100", rangeTo: "172.16.10.199" });
    expect(textIn(doc, getPath(doc.root, "dhcpd/lan/range/from"))).toBe(cluster.dhcp!.rangeFrom);
    expect(textIn(doc, getPath(doc.root, "dhcpd/lan/range/to"))).toBe(cluster.dhcp!.rangeTo);
    expect(x).not.toContain("192.168.1.100"); // the factory range is gone
  });

  test.each(["fw1", "fw2"])("%s applied stage by stage: interfaces, gateway routing, VIPs, HA sync, rules and NAT, DHCP", async (host) => {
    // Each stage's apply is found after the previous stage's first one (later stages re-apply earlier sections
    // too: the gateway re-applies the WAN, whose interface_configure() restarts the DHCP server).
    const log = applyLog(inv, host);
    let at = -1;
    const found = STAGE_APPLY.map(([stage, sig]) => {
      at = log.findIndex((c, i) => i > at && sig.test(c));
      return `${stage}: ${at >= 0 ? "applied" : "missing"}`;
    });
    expect(found).toEqual(STAGE_APPLY.map(([stage]) => `${stage}: applied`));
    expect(await sh(inv, host, "cat /var/log/pfha-lab/apply.log")).not.toMatch(/e2e-(carp|xmlrpc)-secret/);
  });

  test("a second run changes nothing: no update, hosts byte-identical", async () => {
    const before = await hostFiles(inv);
    const second = await up(inv, first.state);
    expect(second.operations.filter((o) => o.op !== "same")).toEqual([]);
    expect(await hostFiles(inv)).toEqual(before);
    last = second;
  });

  test("renaming descriptions updates in place: no create, replace or delete", async () => {
    const renamed = await up(inv, { prior: last.state, config: renamedConfig(inv) });
    const changed = renamed.operations.filter((o) => o.op !== "same");
    expect(changed.map((o) => o.op).every((op) => op === "update")).toBe(true);
    const names = changed.map((o) => o.urn.split("::").pop()).sort();
    expect(names).toEqual(["ha-primary-if-lan", "ha-primary-vip-lan-2", "ha-secondary-if-lan", "ha-secondary-vip-lan-2"]);
    for (const h of ["fw1", "fw2"]) {
      const x = await sh(inv, h, "cat /cf/conf/config.xml");
      expect(x).toContain("<descr><![CDATA[office gateway]]></descr>");
      expect(x).toContain("<descr><![CDATA[Office]]></descr>");
    }
    last = renamed;
  });

  test("destroy removes everything in reverse stage order", async () => {
    const stageOf = (urn: string): number => {
      const n = urn.split("::").pop() as string;
      const rules: [RegExp, number][] = [[/-(br|vx)-/, 0], [/-(if|gw)-/, 2], [/-offloading$/, 2], [/-vip-/, 3], [/-hasync$/, 4], [/-(alias|rule|nat)-/, 5], [/-dhcp-/, 6]];
      const hit = rules.find(([re]) => re.test(n));
      if (!hit) throw new Error(`no stage for ${n}`);
      return hit[1];
    };
    const gone = await up(inv, { prior: last.state, empty: true });
    const deleted = gone.operations.filter((o) => o.op === "delete");
    expect(deleted).toHaveLength(last.state.size);
    const order = deleted.map((o) => stageOf(o.urn));
    expect(order).toEqual([...order].sort((a, b) => b - a));
    for (const h of ["fw1", "fw2"]) {
      const x = await sh(inv, h, "cat /cf/conf/config.xml");
      expect(x).not.toMatch(/\[pfsense-ha\]|\[pfha\]/);
      expect(x).not.toMatch(/<vip>|<pfsyncenabled>|<synchronizetoip>|<failover_peerip>/);
      expect(x).not.toMatch(/<name>PFHA_WANGW<\/name>|<gateway>PFHA_WANGW<\/gateway>|<defaultgw4>PFHA_WANGW<\/defaultgw4>/);
    }
    for (const h of ["pve1", "pve2"]) {
      const bridges = await sh(inv, h, "ovs-vsctl list-br");
      for (const br of ["vmbr0", "vmbr1", "vmbr2"]) expect(bridges.split("\n")).not.toContain(br);
      expect(await sh(inv, h, "cat /etc/network/interfaces")).not.toMatch(/vmbr[012]/);
    }
  });
});
