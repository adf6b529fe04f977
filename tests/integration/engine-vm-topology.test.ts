// A seed topology with pfSense VMs (two-nic: both firewalls cloned from a template) end to end through the REAL
// parts of a deployment (tests/support/pulumi-engine.ts: Pulumi's Node language runtime and dynamic-provider host),
// on this lab instance (PFHA_LAB_ID): up, no-op up, an edit (updates only), refresh after a hand edit on a VM and on
// a firewall (drift shown, the next up repairs it), destroy (nothing of ours left). The VMs belong to the proxmoxve
// provider plugin, which cannot run here: the test engine's stand-in (tests/support/proxmox-standin.ts) keeps each
// VM as a qm config file on its Proxmox node. The topology is placed on the lab: its hosts are the lab's (SSH from
// the lab inventory), the lab's userspace OVS datapath, the lab's webGUI port, and the WAN uplink eno1 exists on
// both nodes (a veth made here: the lab has no physical NIC); the networks, VMs and firewall settings are the seed's.
import { loadInventory, type LabInventory, labSh } from "../../lab/inventory";
import { TestEngine } from "../support/pulumi-engine";
import { proxmoxStandIn, QM_DIR } from "../support/proxmox-standin";
import { changed, cleanSeedHosts, expectFailureMidRunConverges, expectOk, labTopologyValues, ops, prepareSeedHosts, renameLanVip, SECRET_KEYS, vmConf } from "../support/engine-topology";
import { setIn } from "../fixtures/topologies";

jest.setTimeout(1800000);
const LAB_ID = String(Number(process.env.PFHA_LAB_ID ?? 0));
const VM_FILE = { pve1: `${QM_DIR}/201.conf`, pve2: `${QM_DIR}/202.conf` };
const NETS = [{ bridge: "vmbr0" }, { bridge: "vmbr1", mtu: 1450 }];
const MAC: Record<number, string> = { 201: "BC:24:11:00:C9", 202: "BC:24:11:00:CA" };
const VM_CONF = (name: string, vmId: number, memory = 2048) => vmConf({ name, vmId, mac: MAC[vmId], memory, nets: NETS });
const labValues = (edit?: (v: Record<string, unknown>) => void) => labTopologyValues("two-nic", edit);

describe("seed topology two-nic (cloned pfSense VMs) through Pulumi's runtime and provider host", () => {
  let inv: LabInventory;
  let engine: TestEngine;
  const vmFiles = async () => ({ pve1: await labSh(inv, "pve1", `cat ${VM_FILE.pve1} 2>/dev/null || true`), pve2: await labSh(inv, "pve2", `cat ${VM_FILE.pve2} 2>/dev/null || true`) });

  beforeAll(async () => {
    inv = loadInventory(Number(LAB_ID));
    // the lab's qm stand-in on pve2, for the hand edit below
    await prepareSeedHosts(inv, { nodes: ["pve1", "pve2"], bridges: ["vmbr0", "vmbr1", "vmbr2"], qmFiles: ["201.conf", "202.conf"], qmHost: "pve2" });
    engine = new TestEngine({ stack: "two-nic", config: labValues(), secretKeys: SECRET_KEYS, env: { PFHA_LAB_ID: LAB_ID }, plugins: { proxmoxve: proxmoxStandIn(inv) } });
  });

  afterAll(async () => {
    await cleanSeedHosts(inv, ["pve1", "pve2"]);
  });

  test("up: every resource of the topology's shape created, the VMs on their nodes, the fabric and both firewalls configured", async () => {
    const r = await engine.up();
    expectOk(r);
    // the preview's counts for two-nic (engine-topologies.test.ts): 4 bridges, 2 VXLAN nodes, 2 VMs, 22 pfSense elements
    expect(ops(r)).toEqual({ create: 30 });
    expect(await vmFiles()).toEqual({ pve1: VM_CONF("fw1", 201), pve2: VM_CONF("fw2", 202) });
    for (const h of ["pve1", "pve2"]) {
      expect((await labSh(inv, h, "ovs-vsctl list-br")).split("\n").filter(Boolean)).toEqual(expect.arrayContaining(["vmbr0", "vmbr1"]));
      expect(await labSh(inv, h, "ovs-vsctl list-ports vmbr0")).toContain("eno1");
    }
    for (const fw of ["fw1", "fw2"]) expect(await labSh(inv, fw, "cat /cf/conf/config.xml")).toContain("<subnet>172.16.10.1</subnet>");
  });

  test("no-op up: no changes, the VM files byte-identical", async () => {
    const before = await vmFiles();
    const r = await engine.up();
    expectOk(r);
    expect(changed(r)).toEqual([]);
    expect(ops(r)).toEqual({ same: 30 });
    expect(await vmFiles()).toEqual(before);
  });

  test("an edit (the primary VM's memory): one update, the VM's file rewritten, nothing else touched", async () => {
    const values = labValues((v) => setIn(v, "firewalls.primary.vm.memoryMb", 4096));
    const r = await engine.up({ config: values });
    expectOk(r);
    expect(changed(r)).toEqual(["update ha-fw-primary-vm"]);
    expect(await vmFiles()).toEqual({ pve1: VM_CONF("fw1", 201, 4096), pve2: VM_CONF("fw2", 202) });
    // back to the seed: one update again
    const back = await engine.up();
    expectOk(back);
    expect(changed(back)).toEqual(["update ha-fw-primary-vm"]);
    expect((await vmFiles()).pve1).toBe(VM_CONF("fw1", 201));
  });

  test("hand edits on a VM (its LAN NIC moved to vmbr0 with qm set) and on a firewall (the LAN VIP): refresh shows both, the next up repairs both", async () => {
    await labSh(inv, "pve2", "qm set 202 --net1 virtio=BC:24:11:00:CA:01,bridge=vmbr0,firewall=0,mtu=1450");
    await labSh(inv, "fw1", "sed -i 's#<subnet>172.16.10.1</subnet>#<subnet>172.16.10.9</subnet>#' /cf/conf/config.xml");
    const refreshed = await engine.refresh();
    expectOk(refreshed);
    expect(refreshed.steps.filter((s) => s.op !== "read").map((s) => `${s.op} ${s.urn.split("::").pop()}`).sort()).toEqual(
      ["refresh-drift ha-fw-secondary-vm", "refresh-drift ha-primary-vip-lan-2"],
    );
    const r = await engine.up();
    expectOk(r);
    expect(changed(r).sort()).toEqual(["update ha-fw-secondary-vm", "update ha-primary-vip-lan-2"]);
    expect((await vmFiles()).pve2).toBe(VM_CONF("fw2", 202));
    expect(await labSh(inv, "fw1", "cat /cf/conf/config.xml")).not.toContain("172.16.10.9");
    expect(ops(await engine.refresh())).toEqual({ read: 30 });
    expect(changed(await engine.up())).toEqual([]);
  });

  test("an apply failure injected on fw1 mid-run (the LAN VIP renamed): the run stops there, fw1's config.xml rolled back; the next up converges, then a no-op", async () => {
    await expectFailureMidRunConverges(engine, inv, labValues(renameLanVip), { element: "ha-primary-vip-lan-2", peer: "ha-secondary-vip-lan-2" }, 30);
  });

  test("destroy: nothing of ours left (VMs, bridges, stanzas, the firewalls' VIPs)", async () => {
    const r = await engine.destroy();
    expectOk(r);
    expect(engine.state.resources).toEqual([]);
    expect(await vmFiles()).toEqual({ pve1: "", pve2: "" });
    for (const h of ["pve1", "pve2"]) {
      const brs = (await labSh(inv, h, "ovs-vsctl list-br")).split("\n");
      expect(brs).not.toContain("vmbr0");
      expect(brs).not.toContain("vmbr1");
      // no stanza of ours (our tunnels file may stay, with its header only)
      expect(await labSh(inv, h, "cat /etc/network/interfaces /etc/network/interfaces.d/* 2>/dev/null || true")).not.toMatch(/^iface (vmbr[01]|vx)/m);
    }
    for (const fw of ["fw1", "fw2"]) expect(await labSh(inv, fw, "cat /cf/conf/config.xml")).not.toContain("<subnet>172.16.10.1</subnet>");
  });
});
