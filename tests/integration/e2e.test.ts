// End to end on the lab WITHOUT the Pulumi CLI: index.ts with Pulumi.dev.yaml (pointed at this lab instance) runs
// under the engine harness, which loads every dynamic resource's serialized provider and runs check -> create in
// dependency order, exactly like the engine + dynamic-provider host. Then the lab hosts' real state is asserted,
// and a second run with the prior state must change nothing (diff says no changes; files byte-identical).
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import type { EngineRun } from "../support/engine";
import { loadInventory, labExec, type LabInventory } from "../../lab/inventory";

jest.setTimeout(600000);
const LAB_ID = Number(process.env.PFHA_LAB_ID ?? 0);
const ROOT = path.join(__dirname, "..", "..");

function devConfig(inv: LabInventory): Record<string, string> {
  const doc = parse(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
  return {
    ...Object.fromEntries(Object.entries(doc.config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])),
    "pfsense-ha:labInventory": path.join(inv.stateDir, "inventory.json"),
    "pfsense-ha:carpPassword": "e2e-carp-secret",
    "pfsense-ha:xmlrpcPassword": "e2e-xmlrpc-secret",
  };
}

async function up(inv: LabInventory, prior?: EngineRun["state"]): Promise<EngineRun> {
  let result: EngineRun | undefined;
  await jest.isolateModulesAsync(async () => {
    const { runUnderEngine } = require("../support/engine") as typeof import("../support/engine");
    try {
      result = await runUnderEngine({
        program: () => require("../../index"),
        project: "pfsense-ha",
        stack: "dev",
        config: devConfig(inv),
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

/** Fingerprint of everything the run writes, to show the second run leaves the hosts byte-identical. */
async function hostFiles(inv: LabInventory): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const h of ["pve1", "pve2"]) out[h] = await sh(inv, h, "cat /etc/network/interfaces; ovs-vsctl show");
  for (const h of ["fw1", "fw2"]) out[h] = await sh(inv, h, "cat /cf/conf/config.xml");
  return out;
}

describe("e2e: index.ts with Pulumi.dev.yaml on the lab, without the Pulumi CLI", () => {
  let inv: LabInventory;
  let first: EngineRun;

  beforeAll(async () => {
    inv = loadInventory(LAB_ID);
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

  test("both config.xml: the CARP VIPs with the node's skew", async () => {
    const fw1 = await sh(inv, "fw1", "cat /cf/conf/config.xml");
    const fw2 = await sh(inv, "fw2", "cat /cf/conf/config.xml");
    for (const x of [fw1, fw2]) {
      expect(x).toContain("<subnet>172.16.10.1</subnet>");
      expect(x).toContain("<subnet>192.0.2.10</subnet>");
    }
    expect(fw1).toMatch(/<advskew>0<\/advskew>/);
    expect(fw2).toMatch(/<advskew>100<\/advskew>/);
  });

  // Not wired yet: HaSyncConfig (and interfaces, rules/NAT, DHCP) had not landed by the deadline.
  test.skip("primary's config.xml: HA sync towards the secondary", async () => {
    const fw1 = await sh(inv, "fw1", "cat /cf/conf/config.xml");
    expect(fw1).toMatch(/<pfsyncpeerip>172\.16\.255\.2<\/pfsyncpeerip>/);
    expect(fw1).toMatch(/<synchronizetoip>172\.16\.255\.2<\/synchronizetoip>/);
    expect(fw1).not.toContain("e2e-carp-secret\n"); // stored as pfSense stores it, never echoed elsewhere
  });

  test("a second run changes nothing: no update, hosts byte-identical", async () => {
    const before = await hostFiles(inv);
    const second = await up(inv, first.state);
    expect(second.operations.filter((o) => o.op !== "same")).toEqual([]);
    expect(await hostFiles(inv)).toEqual(before);
  });
});
