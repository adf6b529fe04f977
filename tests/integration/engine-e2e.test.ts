// The dev stack end to end through the REAL parts of a deployment (tests/support/pulumi-engine.ts): index.ts run by
// Pulumi's Node language runtime with Pulumi.dev.yaml's config as the CLI encodes it, every dynamic resource run by
// Pulumi's dynamic-provider host over gRPC, on this lab instance (PFHA_LAB_ID). In order: a failure injected mid-run
// (the engine stops, nothing later runs, the next up converges), a no-op up, an edit (updates only), a hand edit on
// an OVS host and on a firewall (refresh shows the drift, the next up repairs it), then destroy (nothing of ours left).
// The seed topologies with VMs (two-nic, wan-lan-sync, wan-lan-dmz-sync30) need Proxmox's API and four-node needs
// four Proxmox nodes: the lab hosts only the dev stack's shape.
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { labExec, loadInventory, type LabInventory } from "../../lab/inventory";
import { TestEngine, type RunResult } from "../support/pulumi-engine";

jest.setTimeout(1800000);
const LAB_ID = String(Number(process.env.PFHA_LAB_ID ?? 0));
const ROOT = path.join(__dirname, "..", "..");
const SECRETS = { "pfsense-ha:carpPassword": "engine-e2e-carp-7", "pfsense-ha:xmlrpcPassword": "engine-e2e-xmlrpc-8" };
const BRIDGES = ["vmbr0", "vmbr1", "vmbr2"];

function devConfig(): Record<string, unknown> {
  const doc = parse(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
  return { ...doc.config, ...SECRETS };
}

function ops(r: RunResult): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of r.steps) out[s.op] = (out[s.op] ?? 0) + 1;
  return out;
}
const short = (urn: string) => urn.split("::").pop();

async function sh(inv: LabInventory, host: string, script: string): Promise<string> {
  const r = await labExec(inv, host, script);
  if (r.code !== 0) throw new Error(`${host}: ${script}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

describe("the dev stack through Pulumi's language runtime and dynamic-provider host", () => {
  let inv: LabInventory;
  let engine: TestEngine;
  const expectOk = (r: RunResult) => expect({ ok: r.ok, error: r.error }).toEqual({ ok: true, error: undefined });

  beforeAll(async () => {
    inv = loadInventory(Number(LAB_ID));
    engine = new TestEngine({ stack: "dev", config: devConfig(), secretKeys: Object.keys(SECRETS), env: { PFHA_LAB_ID: LAB_ID } });
    // Start from hosts without anything of ours (an earlier run may have left the fabric).
    for (const h of ["pve1", "pve2"]) {
      await sh(inv, h, `for b in ${BRIDGES.join(" ")}; do ovs-vsctl --if-exists del-br $b; done; rm -f /etc/network/interfaces.new /etc/network/interfaces.d/pfsense-ha`);
    }
  });

  test("preview: every resource is a create, nothing runs on the hosts", async () => {
    const r = await engine.preview();
    expectOk(r);
    expect(ops(r)).toEqual({ create: 38 });
    expect(await sh(inv, "pve1", "ovs-vsctl list-br")).not.toContain("vmbr1");
    expect(engine.state.resources).toEqual([]);
  });

  test("a failure mid-run (pending GUI network changes on pve2): the engine stops, no pfSense step runs; the next up converges", async () => {
    await sh(inv, "pve2", "cp /etc/network/interfaces /etc/network/interfaces.new");
    const failed = await engine.up();
    expect(failed.ok).toBe(false);
    expect(failed.error).toContain("pve2: Proxmox has pending network changes");
    // nothing after the failure: no pfSense element was written, no delete ran
    expect(failed.steps.filter((s) => s.urn.includes(":pfsense:"))).toEqual([]);
    expect(ops(failed).delete).toBeUndefined();
    expect(await sh(inv, "fw1", "cat /cf/conf/config.xml")).not.toContain("172.16.10.1<");
    const kept = engine.state.resources.filter((x) => x.custom).map((x) => short(x.urn));
    expect(kept.every((n) => n?.endsWith("-pve1-bridge") || n?.endsWith("-pve1"))).toBe(true);

    await sh(inv, "pve2", "rm /etc/network/interfaces.new");
    const r = await engine.up();
    expectOk(r);
    expect(ops(r).create + (ops(r).same ?? 0)).toBe(38);
    expect(ops(r).create).toBe(38 - kept.length);
    for (const h of ["pve1", "pve2"]) expect((await sh(inv, h, "ovs-vsctl list-br")).split("\n")).toEqual(expect.arrayContaining(BRIDGES));
    expect(await sh(inv, "fw1", "cat /cf/conf/config.xml")).toContain("<subnet>172.16.10.1</subnet>");
    expect(await sh(inv, "fw2", "cat /cf/conf/config.xml")).toContain("<subnet>172.16.10.1</subnet>");
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

  test("a second up changes nothing", async () => {
    const r = await engine.up();
    expectOk(r);
    expect(ops(r)).toEqual({ same: 38 });
  });

  test("an edit (the LAN's description) is updates only", async () => {
    const config = devConfig();
    const cluster = structuredClone(config["pfsense-ha:cluster"]) as { networks: { lan: { description?: string } } };
    cluster.networks.lan.description = "Office";
    const r = await engine.up({ config: { ...config, "pfsense-ha:cluster": cluster } });
    expectOk(r);
    expect(Object.keys(ops(r)).sort()).toEqual(["same", "update"]);
    expect(r.steps.filter((s) => s.op === "update").map((s) => short(s.urn)).sort()).toEqual(["ha-primary-if-lan", "ha-secondary-if-lan"]);
    expect(await sh(inv, "fw1", "cat /cf/conf/config.xml")).toContain("<descr><![CDATA[Office]]></descr>");
    const back = await engine.up();
    expectOk(back);
    expect(ops(back).update).toBe(2);
  });

  test("a hand edit on an OVS host: refresh shows the drift, the next up repairs it", async () => {
    const port = (await sh(inv, "pve1", "ovs-vsctl --bare --columns=name find port external_ids:pfsense-ha-tunnel=ha-vx-lan")).trim();
    expect(port).toMatch(/^vx/);
    await sh(inv, "pve1", `ovs-vsctl del-port ${port}`);
    const refreshed = await engine.refresh();
    expectOk(refreshed);
    expect(refreshed.steps.filter((s) => s.op !== "read").map((s) => [short(s.urn), s.op])).toEqual([["ha-vx-lan-pve1", "refresh-drift"]]);
    const r = await engine.up();
    expectOk(r);
    expect(r.steps.filter((s) => s.op !== "same").map((s) => [short(s.urn), s.op])).toEqual([["ha-vx-lan-pve1", "update"]]);
    expect(await sh(inv, "pve1", "ovs-vsctl list-ports vmbr1")).toContain(port);
    expect(ops(await engine.refresh())).toEqual({ read: 38 });
  });

  test("a hand edit on a firewall (the LAN VIP's address): refresh shows the drift, the next up repairs it", async () => {
    await sh(inv, "fw1", "sed -i 's#<subnet>172.16.10.1</subnet>#<subnet>172.16.10.9</subnet>#' /cf/conf/config.xml");
    const refreshed = await engine.refresh();
    expectOk(refreshed);
    expect(refreshed.steps.filter((s) => s.op !== "read").map((s) => [short(s.urn), s.op])).toEqual([["ha-primary-vip-lan-2", "refresh-drift"]]);
    const r = await engine.up();
    expectOk(r);
    expect(r.steps.filter((s) => s.op !== "same").map((s) => [short(s.urn), s.op])).toEqual([["ha-primary-vip-lan-2", "update"]]);
    const x = await sh(inv, "fw1", "cat /cf/conf/config.xml");
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
      const brs = (await sh(inv, h, "ovs-vsctl list-br")).split("\n");
      for (const b of BRIDGES) expect(brs).not.toContain(b);
      // no stanza of ours (our tunnels file may stay, with its header only)
      expect(await sh(inv, h, "cat /etc/network/interfaces /etc/network/interfaces.d/* 2>/dev/null || true")).not.toMatch(/^iface (vmbr[012]|vx)/m);
    }
    for (const h of ["fw1", "fw2"]) {
      const x = await sh(inv, h, "cat /cf/conf/config.xml");
      expect(x).not.toContain("<subnet>172.16.10.1</subnet>");
      expect(x).not.toContain("<pfsyncenabled>");
      expect(x).not.toContain("<failover_peerip>");
    }
    expect(engine.state.resources).toEqual([]);
  });
});
