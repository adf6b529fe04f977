// The seed topologies over more than two Proxmox nodes end to end through the REAL parts of a deployment
// (tests/support/pulumi-engine.ts: Pulumi's Node language runtime and dynamic-provider host; the proxmoxve plugin's
// stand-in keeps VMs as qm config files), on this lab instance (PFHA_LAB_ID) re-upped with the seed's node count
// (and back to its earlier count afterwards): up, no-op up, an edit (updates only), refresh after hand edits on a
// Proxmox node's VM and on a firewall (drift shown, the next up repairs both), destroy (nothing of ours left:
// bridges, interfaces.d stanzas, VIPs, VM files). Placed on the lab as tests/support/engine-topology.ts says; the WAN
// uplink eno1 is a veth on every node.
import * as fs from "fs";
import * as path from "path";
import { labExec, labIdFromEnv, labProxmoxNodes, loadInventory, type LabInventory } from "../../lab/inventory";
import { TestEngine, type RunResult } from "../support/pulumi-engine";
import { proxmoxStandIn, QM_DIR } from "../support/proxmox-standin";
import { reseedFirewall } from "../support/pfsense-lab";
import { changed, labTopologyValues, labUp, ops, SECRET_KEYS, sh, vmConf } from "../support/engine-topology";
import { setIn } from "../fixtures/topologies";

jest.setTimeout(1800000);
const ID = labIdFromEnv();
const ROOT = path.join(__dirname, "..", "..");

/** Per seed: its node count, bridges, the preview's resource count (engine-topologies.test.ts), its VMs (files
 * written out by hand), and the LAN VIP (its element name and address) the firewall hand edit moves. */
const SEEDS = [
  {
    seed: "wan-lan-dmz-sync30",
    nodes: 3,
    bridges: ["vmbr0", "vmbr1", "vmbr2", "vmbr3"],
    all: 55,
    // NICs: WAN, LAN, SYNC first, then dmz (the README's order); the VXLAN ones at 1500 - 50
    vms: {
      primary: { node: "pve1", name: "fw1", vmId: 301, mac: "BC:24:11:01:2D" },
      secondary: { node: "pve3", name: "fw2", vmId: 302, mac: "BC:24:11:01:2E" },
    },
    nets: [{ bridge: "vmbr0" }, { bridge: "vmbr1", mtu: 1450 }, { bridge: "vmbr2", mtu: 1450 }, { bridge: "vmbr3", mtu: 1450 }],
    vip: { element: "ha-primary-vip-lan-2", subnet: "10.20.0.1" },
  },
] as const;

describe.each(SEEDS)("seed topology $seed on $nodes lab nodes through Pulumi's runtime and provider host", (s) => {
  let inv: LabInventory;
  let engine: TestEngine;
  let nodesBefore: number;
  const nodes = Array.from({ length: s.nodes }, (_x, i) => `pve${i + 1}`);
  const vmFile = (vm: { vmId: number }) => `${QM_DIR}/${vm.vmId}.conf`;
  const vmFiles = async () => ({
    primary: await sh(inv, s.vms.primary.node, `cat ${vmFile(s.vms.primary)} 2>/dev/null || true`),
    secondary: await sh(inv, s.vms.secondary.node, `cat ${vmFile(s.vms.secondary)} 2>/dev/null || true`),
  });
  const conf = (vm: { name: string; vmId: number; mac: string }, memory?: number) => vmConf({ ...vm, memory, nets: [...s.nets] });
  const expectOk = (r: RunResult) => expect({ ok: r.ok, error: r.error }).toEqual({ ok: true, error: undefined });
  const vipLine = `<subnet>${s.vip.subnet}</subnet>`;

  beforeAll(async () => {
    nodesBefore = labProxmoxNodes(loadInventory(ID)).length;
    if (nodesBefore !== s.nodes) labUp(ID, s.nodes);
    inv = loadInventory(ID);
    for (const h of nodes) {
      await sh(inv, h, `for b in ${s.bridges.join(" ")}; do ovs-vsctl --if-exists del-br $b; done; rm -f /etc/network/interfaces.d/pfsense-ha ` +
        `${QM_DIR}/*.conf; ip link show eno1 >/dev/null 2>&1 || ip link add eno1 type veth peer name eno1-peer; ip link set eno1 up; ip link set eno1-peer up`);
    }
    const qm = path.join(inv.hosts[s.vms.secondary.node].rootDir, "usr/local/sbin/qm");
    fs.copyFileSync(path.join(ROOT, "tests", "fixtures", "lab", "qm"), qm);
    fs.chmodSync(qm, 0o755);
    await reseedFirewall(inv, "fw1", "fw2");
    await reseedFirewall(inv, "fw2", "fw1");
    engine = new TestEngine({ stack: s.seed, config: labTopologyValues(s.seed), secretKeys: SECRET_KEYS, env: { PFHA_LAB_ID: String(ID) }, plugins: { proxmoxve: proxmoxStandIn(inv) } });
  });

  afterAll(async () => {
    for (const h of nodes) await labExec(inv, h, "ip link del eno1 2>/dev/null; rm -f /usr/local/sbin/qm");
    if (nodesBefore !== s.nodes) labUp(ID, nodesBefore);
  });

  test("up: every resource created, the VMs on their nodes, the bridges on every node, both firewalls configured", async () => {
    const r = await engine.up();
    expectOk(r);
    expect(ops(r)).toEqual({ create: s.all });
    expect(await vmFiles()).toEqual({ primary: conf(s.vms.primary), secondary: conf(s.vms.secondary) });
    for (const h of nodes) expect((await sh(inv, h, "ovs-vsctl list-br")).split("\n").filter(Boolean)).toEqual(expect.arrayContaining([...s.bridges]));
    for (const fw of ["fw1", "fw2"]) expect(await sh(inv, fw, "cat /cf/conf/config.xml")).toContain(vipLine);
  });

  test("no-op up: no changes", async () => {
    const r = await engine.up();
    expectOk(r);
    expect(ops(r)).toEqual({ same: s.all });
  });

  test("an edit (the primary VM's memory): one update, its file rewritten", async () => {
    const r = await engine.up({ config: labTopologyValues(s.seed, (v) => setIn(v, "firewalls.primary.vm.memoryMb", 4096)) });
    expectOk(r);
    expect(changed(r)).toEqual(["update ha-fw-primary-vm"]);
    expect(await vmFiles()).toEqual({ primary: conf(s.vms.primary, 4096), secondary: conf(s.vms.secondary) });
  });

  test("hand edits on a node's VM (its LAN NIC moved to vmbr0) and on a firewall (the LAN VIP): refresh shows both, the next up (the seed again) repairs both and undoes the edit", async () => {
    const sec = s.vms.secondary;
    await sh(inv, sec.node, `qm set ${sec.vmId} --net1 virtio=${sec.mac}:01,bridge=vmbr0,firewall=0,mtu=1450`);
    await sh(inv, "fw1", `sed -i 's#${vipLine}#<subnet>10.20.0.9</subnet>#' /cf/conf/config.xml`);
    const refreshed = await engine.refresh();
    expectOk(refreshed);
    expect(changed(refreshed).sort()).toEqual(["refresh-drift ha-fw-secondary-vm", `refresh-drift ${s.vip.element}`]);
    const r = await engine.up();
    expectOk(r);
    expect(changed(r).sort()).toEqual(["update ha-fw-primary-vm", "update ha-fw-secondary-vm", `update ${s.vip.element}`]);
    expect(await vmFiles()).toEqual({ primary: conf(s.vms.primary), secondary: conf(s.vms.secondary) });
    expect(await sh(inv, "fw1", "cat /cf/conf/config.xml")).toContain(vipLine);
  });

  test("destroy: nothing of ours left (VM files, bridges, stanzas, the firewalls' VIPs)", async () => {
    const r = await engine.destroy();
    expectOk(r);
    expect(engine.state.resources).toEqual([]);
    expect(await vmFiles()).toEqual({ primary: "", secondary: "" });
    for (const h of nodes) {
      const brs = (await sh(inv, h, "ovs-vsctl list-br")).split("\n");
      for (const b of s.bridges) expect(brs).not.toContain(b);
      expect(await sh(inv, h, "cat /etc/network/interfaces /etc/network/interfaces.d/* 2>/dev/null || true")).not.toMatch(/^iface (vmbr\d|vx)/m);
    }
    for (const fw of ["fw1", "fw2"]) expect(await sh(inv, fw, "cat /cf/conf/config.xml")).not.toContain(vipLine);
  });
});
