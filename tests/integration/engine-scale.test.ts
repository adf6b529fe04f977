// The dev stack on three lab Proxmox nodes (PFHA_LAB_NODES=3, `ssh: {lab: pve3}` added to Pulumi.dev.yaml's node
// list) through Pulumi's language runtime and dynamic-provider host (tests/support/pulumi-engine.ts): the firewalls
// stay on pve1/pve2, every node gets the three bridges and its share of each network's mesh, the stack's `vxlan`
// output names the real ports; a no-op up changes nothing; dropping pve3 from the config removes its bridges and
// every port towards it; destroy leaves nothing. The lab goes back to its node count afterwards.
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { labIdFromEnv, labProxmoxNodes, loadInventory, type LabInventory, labSh } from "../../lab/inventory";
import { expectOk, labUp, ops } from "../support/engine-topology";
import { reseedFirewalls } from "../support/pfsense-lab";
import { TestEngine } from "../support/pulumi-engine";

jest.setTimeout(1800000);
const ID = labIdFromEnv();
const ROOT = path.join(__dirname, "..", "..");
const SECRETS = { "pfsense-ha:carpPassword": "engine-scale-carp-3", "pfsense-ha:xmlrpcPassword": "engine-scale-xmlrpc-3" };
const BRIDGES = ["vmbr0", "vmbr1", "vmbr2"];
const NODES3 = ["pve1", "pve2", "pve3"];

// Golden: the dev stack's port names (the program's cluster component is `ha`: tunnel ids ha-vx-<network>): vx3o42w2 = wan, vxl6t94y = lan, vxduqn9d = sync;
// 5io1xk = towards pve1, vdu65w = pve2, whthmi = pve3.
const VXLAN3 = {
  wan: { pve1: ["vx3o42w2-vdu65w", "vx3o42w2-whthmi"], pve2: ["vx3o42w2-5io1xk", "vx3o42w2-whthmi"], pve3: ["vx3o42w2-5io1xk", "vx3o42w2-vdu65w"] },
  lan: { pve1: ["vxl6t94y-vdu65w", "vxl6t94y-whthmi"], pve2: ["vxl6t94y-5io1xk", "vxl6t94y-whthmi"], pve3: ["vxl6t94y-5io1xk", "vxl6t94y-vdu65w"] },
  sync: { pve1: ["vxduqn9d-vdu65w", "vxduqn9d-whthmi"], pve2: ["vxduqn9d-5io1xk", "vxduqn9d-whthmi"], pve3: ["vxduqn9d-5io1xk", "vxduqn9d-vdu65w"] },
};

function devConfig(nodes: string[]): Record<string, unknown> {
  const doc = parse(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
  const cluster = structuredClone(doc.config["pfsense-ha:cluster"]) as { proxmox: { nodes: unknown[] } };
  cluster.proxmox.nodes = nodes.map((n) => ({ name: n, ssh: { inventory: n } }));
  return { ...doc.config, "pfsense-ha:cluster": cluster, ...SECRETS };
}

/** Tunnel ports per bridge on host h, as OVS lists them. */
async function portsOf(inv: LabInventory, h: string): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const b of BRIDGES) {
    const text = await labSh(inv, h, `ovs-vsctl br-exists ${b} && ovs-vsctl list-ports ${b} || true`);
    const ports = text.split("\n").filter((p) => p.startsWith("vx"));
    if (text.trim() !== "" || ports.length) out[b] = ports.sort();
  }
  return out;
}

let inv: LabInventory;
let before = 2;
let engine: TestEngine;

beforeAll(async () => {
  try {
    before = labProxmoxNodes(loadInventory(ID)).length;
  } catch {
    before = 2;
  }
  labUp(ID, Math.max(before, 3));
  inv = loadInventory(ID);
  await reseedFirewalls(inv); // whatever an earlier file left on the firewalls
  for (const h of NODES3) {
    await labSh(inv, h, `for b in ${BRIDGES.join(" ")}; do ovs-vsctl --if-exists del-br $b; done; rm -f /etc/network/interfaces.new /etc/network/interfaces.d/pfsense-ha`);
  }
  engine = new TestEngine({ stack: "dev", config: devConfig(NODES3), secretKeys: Object.keys(SECRETS), env: { PFHA_LAB_ID: String(ID) } });
});

afterAll(async () => {
  try {
    if (engine?.state.resources.length) await engine.destroy();
  } finally {
    labUp(ID, before);
  }
});

test("up on 3 nodes: the firewalls on pve1/pve2, the bridges and a share of every mesh on each node, the ports in the vxlan output", async () => {
  const r = await engine.up();
  expectOk(r);
  const shares = r.steps.filter((s) => s.op === "create" && /::ha-vx-[a-z]+-pve[0-9]$/.test(s.urn)).map((s) => s.urn.split("::").pop());
  expect(shares.sort()).toEqual(["wan", "lan", "sync"].flatMap((n) => NODES3.map((h) => `ha-vx-${n}-${h}`)).sort());
  const bridges = r.steps.filter((s) => s.op === "create" && /::ha-br-[a-z]+-pve[0-9]-bridge$/.test(s.urn)).map((s) => s.urn.split("::").pop());
  expect(bridges).toHaveLength(9);
  const vxlan = r.state.outputs.vxlan as Record<string, { ports: Record<string, string[]> }>;
  for (const net of ["wan", "lan", "sync"] as const) expect(vxlan[net].ports).toEqual(VXLAN3[net]);
  const nodes = r.state.outputs.nodes as { name: string; proxmoxNode: string | null }[];
  expect(nodes.map((n) => n.name)).toEqual(["fw1", "fw2"]);
  for (const h of NODES3) {
    expect(await portsOf(inv, h)).toEqual({ vmbr0: VXLAN3.wan[h as "pve1"], vmbr1: VXLAN3.lan[h as "pve1"], vmbr2: VXLAN3.sync[h as "pve1"] });
  }
});

test("a no-op up on 3 nodes changes nothing", async () => {
  const r = await engine.up();
  expectOk(r);
  expect(Object.keys(ops(r))).toEqual(["same"]);
});

test("pve3 dropped from the config: its bridges and tunnels are deleted, and every port towards it is gone from pve1 and pve2", async () => {
  const r = await engine.up({ config: devConfig(["pve1", "pve2"]) });
  expectOk(r);
  const deleted = r.steps.filter((s) => s.op === "delete").map((s) => s.urn.split("::").pop()!);
  expect(deleted.filter((n) => /^(ha-br-[a-z]+-pve3-bridge|ha-vx-[a-z]+-pve3)$/.test(n)).sort()).toEqual(
    ["ha-br-lan-pve3-bridge", "ha-br-sync-pve3-bridge", "ha-br-wan-pve3-bridge", "ha-vx-lan-pve3", "ha-vx-sync-pve3", "ha-vx-wan-pve3"],
  );
  const updated = r.steps.filter((s) => s.op === "update").map((s) => s.urn.split("::").pop()!);
  expect(updated.sort()).toEqual(["ha-vx-lan-pve1", "ha-vx-lan-pve2", "ha-vx-sync-pve1", "ha-vx-sync-pve2", "ha-vx-wan-pve1", "ha-vx-wan-pve2"]);
  expect(await portsOf(inv, "pve1")).toEqual({ vmbr0: ["vx3o42w2-vdu65w"], vmbr1: ["vxl6t94y-vdu65w"], vmbr2: ["vxduqn9d-vdu65w"] });
  expect(await portsOf(inv, "pve2")).toEqual({ vmbr0: ["vx3o42w2-5io1xk"], vmbr1: ["vxl6t94y-5io1xk"], vmbr2: ["vxduqn9d-5io1xk"] });
  expect(await portsOf(inv, "pve3")).toEqual({});
  for (const h of ["pve1", "pve2"]) expect(await labSh(inv, h, "cat /etc/network/interfaces.d/pfsense-ha")).not.toMatch(/whthmi/);
});

test("destroy leaves no bridge of ours", async () => {
  const r = await engine.destroy();
  expectOk(r);
  for (const h of NODES3) expect((await labSh(inv, h, "ovs-vsctl list-br")).trim()).toBe("br-underlay");
});
