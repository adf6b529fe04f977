// The seed topologies over more than two Proxmox nodes end to end through the REAL parts of a deployment
// (tests/support/pulumi-engine.ts: Pulumi's Node language runtime and dynamic-provider host; the proxmoxve plugin's
// stand-in keeps VMs as qm config files), on this lab instance (PFHA_LAB_ID) re-upped with the seed's node count
// (and back to its earlier count afterwards): up, no-op up, an edit (updates only), an apply failure injected on fw1
// mid-run (the run stops, fw1's config.xml rolled back; the next up converges, then a no-op), refresh after hand
// edits on a Proxmox node (a VM's NIC, or a VXLAN tunnel when the seed hosts no VM) and on a firewall (drift shown,
// the next up repairs both), destroy (nothing of ours left: bridges, interfaces.d stanzas, VIPs, VM files). Placed
// on the lab as tests/support/engine-topology.ts says (a seed's firewall devices, igb0…, are the lab's vtnet0..2);
// the WAN uplink eno1 is a veth on every node.
import { labIdFromEnv, labProxmoxNodes, loadInventory, type LabInventory, labSh } from "../../lab/inventory";
import { TestEngine } from "../support/pulumi-engine";
import { proxmoxStandIn, QM_DIR } from "../support/proxmox-standin";
import { changed, cleanSeedHosts, clearFailures, expectFailureMidRunConverges, expectOk, labTopologyValues, prepareSeedHosts, labUp, ops, renameLanVip, SECRET_KEYS, vmConf } from "../support/engine-topology";
import { setIn } from "../fixtures/topologies";

jest.setTimeout(1800000);
const ID = labIdFromEnv();

interface Vm { node: string; name: string; vmId: number; mac: string }
interface Seed {
  seed: string;
  nodes: number;
  bridges: string[];
  /** the preview's resource count (engine-topologies.test.ts) */
  all: number;
  /** its VMs and their NICs (written out by hand), if it hosts them */
  vms?: { primary: Vm; secondary: Vm; nets: { bridge: string; mtu?: number }[] };
  /** the edit: a setting, its new value, the steps it changes */
  edit: { at: string; value: unknown; changed: string[] };
  /** the hand edit on a Proxmox node: its script, what the node shows (the same again once repaired), the drift */
  nodeEdit: { host: string; script: string; probe: string; drift: string };
  /** the LAN VIP (its element names on fw1 and fw2, its address) the failure run and the firewall hand edit touch */
  vip: { element: string; peer: string; subnet: string };
  /** what the up after the hand edits changes (the seed again: the hand edits and the edits undone) */
  repaired: string[];
}

const SEEDS: Seed[] = [
  {
    seed: "wan-lan-dmz-sync30",
    nodes: 3,
    bridges: ["vmbr0", "vmbr1", "vmbr2", "vmbr3"],
    all: 55,
    // NICs: WAN, LAN, SYNC first, then dmz (the README's order); the VXLAN ones at 1500 - 50
    vms: {
      primary: { node: "pve1", name: "fw1", vmId: 301, mac: "BC:24:11:01:2D" },
      secondary: { node: "pve3", name: "fw2", vmId: 302, mac: "BC:24:11:01:2E" },
      nets: [{ bridge: "vmbr0" }, { bridge: "vmbr1", mtu: 1450 }, { bridge: "vmbr2", mtu: 1450 }, { bridge: "vmbr3", mtu: 1450 }],
    },
    edit: { at: "firewalls.primary.vm.memoryMb", value: 4096, changed: ["update ha-fw-primary-vm"] },
    nodeEdit: {
      host: "pve3", script: "qm set 302 --net1 virtio=BC:24:11:01:2E:01,bridge=vmbr0,firewall=0,mtu=1450",
      probe: `cat ${QM_DIR}/302.conf`, drift: "ha-fw-secondary-vm",
    },
    vip: { element: "ha-primary-vip-lan-2", peer: "ha-secondary-vip-lan-2", subnet: "10.20.0.1" },
    repaired: ["update ha-fw-primary-vm", "update ha-fw-secondary-vm", "update ha-primary-vip-lan-2", "update ha-secondary-vip-lan-2"],
  },
  {
    seed: "four-node",
    nodes: 4,
    bridges: ["vmbr0", "vmbr1", "vmbr2"],
    // the preview's 48 (engine-topologies.test.ts) + the offloading setting of each firewall: the lab's devices
    // (vtnet, VirtIO) have one where the seed's igb ones have none
    all: 50,
    edit: { at: "networks.wan.vip.description", value: "edge4 uplink", changed: ["update ha-primary-vip-wan-10", "update ha-secondary-vip-wan-10"] },
    nodeEdit: {
      host: "pve4", script: "for p in $(ovs-vsctl --bare --columns=name find port external_ids:pfsense-ha-tunnel=ha-vx-lan); do ovs-vsctl del-port $p; done",
      probe: "ovs-vsctl list-ports vmbr1", drift: "ha-vx-lan-pve4",
    },
    vip: { element: "ha-primary-vip-lan-11", peer: "ha-secondary-vip-lan-11", subnet: "172.16.10.1" },
    repaired: ["update ha-primary-vip-lan-11", "update ha-primary-vip-wan-10", "update ha-secondary-vip-lan-11", "update ha-secondary-vip-wan-10", "update ha-vx-lan-pve4"],
  },
];

describe.each(SEEDS)("seed topology $seed on $nodes lab nodes through Pulumi's runtime and provider host", (s) => {
  let inv: LabInventory;
  let engine: TestEngine;
  let nodesBefore: number;
  const nodes = Array.from({ length: s.nodes }, (_x, i) => `pve${i + 1}`);
  const vmFile = (vm: { vmId: number }) => `${QM_DIR}/${vm.vmId}.conf`;
  const vmFiles = async (vms: NonNullable<Seed["vms"]>) => ({
    primary: await labSh(inv, vms.primary.node, `cat ${vmFile(vms.primary)} 2>/dev/null || true`),
    secondary: await labSh(inv, vms.secondary.node, `cat ${vmFile(vms.secondary)} 2>/dev/null || true`),
  });
  const conf = (vm: Vm, memory?: number) => vmConf({ ...vm, memory, nets: [...s.vms!.nets] });
  const vipLine = `<subnet>${s.vip.subnet}</subnet>`;
  const edited = (v: Record<string, unknown>) => setIn(v, s.edit.at, s.edit.value);
  const failing = (v: Record<string, unknown>) => { edited(v); renameLanVip(v); };
  const fwConfig = (fw: string) => labSh(inv, fw, "cat /cf/conf/config.xml");

  beforeAll(async () => {
    nodesBefore = labProxmoxNodes(loadInventory(ID)).length;
    if (nodesBefore !== s.nodes) labUp(ID, s.nodes);
    inv = loadInventory(ID);
    await prepareSeedHosts(inv, { nodes, bridges: s.bridges, qmFiles: ["*.conf"], qmHost: s.vms?.secondary.node });
    engine = new TestEngine({ stack: s.seed, config: labTopologyValues(s.seed), secretKeys: SECRET_KEYS, env: { PFHA_LAB_ID: String(ID) }, plugins: { proxmoxve: proxmoxStandIn(inv) } });
  });

  afterAll(async () => {
    await clearFailures(inv, "fw1");
    await cleanSeedHosts(inv, nodes);
    if (nodesBefore !== s.nodes) labUp(ID, nodesBefore);
  });

  test("up: every resource created, the VMs on their nodes, the bridges on every node, both firewalls configured", async () => {
    const r = await engine.up();
    expectOk(r);
    expect(ops(r)).toEqual({ create: s.all });
    if (s.vms) expect(await vmFiles(s.vms)).toEqual({ primary: conf(s.vms.primary), secondary: conf(s.vms.secondary) });
    for (const h of nodes) expect((await labSh(inv, h, "ovs-vsctl list-br")).split("\n").filter(Boolean)).toEqual(expect.arrayContaining([...s.bridges]));
    for (const fw of ["fw1", "fw2"]) expect(await fwConfig(fw)).toContain(vipLine);
  });

  test("no-op up: no changes", async () => {
    const r = await engine.up();
    expectOk(r);
    expect(ops(r)).toEqual({ same: s.all });
  });

  test("an edit: updates only", async () => {
    const r = await engine.up({ config: labTopologyValues(s.seed, edited) });
    expectOk(r);
    expect(changed(r).sort()).toEqual(s.edit.changed);
    if (s.vms) expect(await vmFiles(s.vms)).toEqual({ primary: conf(s.vms.primary, 4096), secondary: conf(s.vms.secondary) });
    if (!s.vms) for (const fw of ["fw1", "fw2"]) expect(await fwConfig(fw)).toContain(String(s.edit.value));
  });

  test("an apply failure injected on fw1 mid-run (the LAN VIP renamed): the run stops there, fw1's config.xml rolled back; the next up converges, then a no-op", async () => {
    await expectFailureMidRunConverges(engine, inv, labTopologyValues(s.seed, failing), s.vip, s.all);
  });

  test("hand edits on a Proxmox node and on a firewall (the LAN VIP): refresh shows both, the next up (the seed again) repairs both and undoes the edits", async () => {
    const shown = await labSh(inv, s.nodeEdit.host, s.nodeEdit.probe);
    await labSh(inv, s.nodeEdit.host, s.nodeEdit.script);
    expect(await labSh(inv, s.nodeEdit.host, s.nodeEdit.probe)).not.toEqual(shown);
    await labSh(inv, "fw1", `sed -i 's#${vipLine}#<subnet>${s.vip.subnet.replace(/\.1$/, ".9")}</subnet>#' /cf/conf/config.xml`);
    const refreshed = await engine.refresh();
    expectOk(refreshed);
    expect(changed(refreshed).sort()).toEqual([`refresh-drift ${s.nodeEdit.drift}`, `refresh-drift ${s.vip.element}`].sort());
    const r = await engine.up();
    expectOk(r);
    expect(changed(r).sort()).toEqual(s.repaired);
    expect(await labSh(inv, s.nodeEdit.host, s.nodeEdit.probe)).toEqual(shown);
    if (s.vms) expect(await vmFiles(s.vms)).toEqual({ primary: conf(s.vms.primary), secondary: conf(s.vms.secondary) });
    expect(await fwConfig("fw1")).toContain(vipLine);
  });

  test("destroy: nothing of ours left (VM files, bridges, stanzas, the firewalls' VIPs)", async () => {
    const r = await engine.destroy();
    expectOk(r);
    expect(engine.state.resources).toEqual([]);
    for (const h of nodes) {
      expect(await labSh(inv, h, `ls ${QM_DIR}/*.conf 2>/dev/null || true`)).toBe("");
      const brs = (await labSh(inv, h, "ovs-vsctl list-br")).split("\n");
      for (const b of s.bridges) expect(brs).not.toContain(b);
      expect(await labSh(inv, h, "cat /etc/network/interfaces /etc/network/interfaces.d/* 2>/dev/null || true")).not.toMatch(/^iface (vmbr\d|vx)/m);
    }
    for (const fw of ["fw1", "fw2"]) expect(await fwConfig(fw)).not.toContain(vipLine);
  });
});
