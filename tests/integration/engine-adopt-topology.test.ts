// The seed topology with an ADOPTED pfSense VM (wan-lan-sync: fw1 cloned from a template, fw2 a VM a human made, taken
// over with Pulumi's `import` option and retainOnDelete) end to end through the REAL parts of a deployment
// (tests/support/pulumi-engine.ts: Pulumi's Node language runtime and dynamic-provider host; the proxmoxve plugin's
// stand-in keeps VMs as qm config files), on this lab instance (PFHA_LAB_ID): an adopt of a VM that is not there and
// an adopt whose declared sizing differs (previews), up (the human's VM imported), no-op up, an edit (updates only),
// refresh after hand edits on the adopted VM and on a firewall (drift shown, the next up repairs them), destroy (ours gone, the adopted
// VM left where it was). Placed on the lab as tests/support/engine-topology.ts says; the WAN uplink eno1 is a veth.
import { labExec, loadInventory, type LabInventory, labSh } from "../../lab/inventory";
import { TestEngine } from "../support/pulumi-engine";
import { proxmoxStandIn, QM_DIR } from "../support/proxmox-standin";
import { changed, cleanSeedHosts, expectFailureMidRunConverges, expectOk, labTopologyValues, ops, prepareSeedHosts, renameLanVip, SECRET_KEYS, vmConf } from "../support/engine-topology";
import { setIn } from "../fixtures/topologies";

jest.setTimeout(1800000);
const LAB_ID = String(Number(process.env.PFHA_LAB_ID ?? 0));
const SEED = "wan-lan-sync";
/** wan-lan-sync's NICs: WAN on vmbr0; LAN (MTU 1500 declared) on vmbr1, SYNC on vmbr2 (VXLAN over the 9000 underlay). */
const NETS = [{ bridge: "vmbr0" }, { bridge: "vmbr1" }, { bridge: "vmbr2", mtu: 8950 }];
const CLONED = vmConf({ name: "fw1", vmId: 201, mac: "BC:24:11:00:C9", nets: NETS });
/** The VM a human made on pve2 before the stack existed (what adopt: 202 takes over). */
const HUMANS = vmConf({ name: "fw2", vmId: 202, mac: "BC:24:11:00:CA", nets: NETS });
const ALL = 38; // the preview's count for wan-lan-sync (engine-topologies.test.ts)
const labValues = (edit?: (v: Record<string, unknown>) => void) => labTopologyValues(SEED, edit);

describe("seed topology wan-lan-sync (one cloned, one adopted pfSense VM) through Pulumi's runtime and provider host", () => {
  let inv: LabInventory;
  let engine: TestEngine;
  const newEngine = (values = labValues()) =>
    new TestEngine({ stack: SEED, config: values, secretKeys: SECRET_KEYS, env: { PFHA_LAB_ID: LAB_ID }, plugins: { proxmoxve: proxmoxStandIn(inv) } });
  const vmFiles = async () => ({
    pve1: await labSh(inv, "pve1", `cat ${QM_DIR}/201.conf 2>/dev/null || true`),
    pve2: await labSh(inv, "pve2", `cat ${QM_DIR}/202.conf 2>/dev/null || true`),
  });

  beforeAll(async () => {
    inv = loadInventory(Number(LAB_ID));
    await prepareSeedHosts(inv, { nodes: ["pve1", "pve2"], bridges: ["vmbr0", "vmbr1", "vmbr2"], qmFiles: ["201.conf", "202.conf", "203.conf"], qmHost: "pve2" });
    await labExec(inv, "pve2", `mkdir -p ${QM_DIR} && cat > ${QM_DIR}/202.conf`, { stdin: HUMANS });
    engine = newEngine();
  });

  afterAll(async () => {
    await cleanSeedHosts(inv, ["pve1", "pve2"], `${QM_DIR}/202.conf`);
  });

  test("adopt of a VM that is not there: the import fails naming the resource and the import id, nothing created", async () => {
    const r = await newEngine(labValues((v) => setIn(v, "firewalls.secondary.vm", { adopt: 203 }))).preview();
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/^urn:pulumi:wan-lan-sync::pfsense-ha::\S*proxmoxve:index\/vmLegacy:VmLegacy::ha-fw-secondary-vm: resource 'pve2\/203' does not exist$/);
    expect(ops(r)).toEqual({ create: expect.any(Number) }); // no import step recorded: the import failed
  });

  test("adopt whose declared sizing differs from the VM (4096 MB declared, the VM has 2048): the import, then an update of the VM (as the engine does), in a preview", async () => {
    const r = await newEngine(labValues((v) => setIn(v, "firewalls.secondary.vm", { adopt: 202, memoryMb: 4096 }))).preview();
    expectOk(r);
    expect(changed(r).filter((s) => s.endsWith("-vm")).sort()).toEqual(["create ha-fw-primary-vm", "import ha-fw-secondary-vm", "update ha-fw-secondary-vm"]);
    expect((await vmFiles()).pve2).toBe(HUMANS);
  });

  test("up: the human's VM imported (its file untouched), the other VM cloned, everything else created", async () => {
    const r = await engine.up();
    expectOk(r);
    expect(ops(r)).toEqual({ create: ALL - 1, import: 1 });
    expect(changed(r)).toContain("import ha-fw-secondary-vm");
    expect(await vmFiles()).toEqual({ pve1: CLONED, pve2: HUMANS });
    const vm = engine.state.resources.find((x) => x.urn.endsWith("::ha-fw-secondary-vm"));
    expect({ id: vm?.id, importId: vm?.importId, retainOnDelete: vm?.retainOnDelete }).toEqual({ id: "202", importId: "pve2/202", retainOnDelete: true });
    for (const h of ["pve1", "pve2"]) expect((await labSh(inv, h, "ovs-vsctl list-br")).split("\n").filter(Boolean)).toEqual(expect.arrayContaining(["vmbr0", "vmbr1", "vmbr2"]));
  });

  test("no-op up: no changes (the adopted VM not imported again)", async () => {
    const r = await engine.up();
    expectOk(r);
    expect(changed(r)).toEqual([]);
    expect(ops(r)).toEqual({ same: ALL });
  });

  test("an edit (the adopted VM's memory): one update, its file rewritten; back to the seed: one update", async () => {
    const r = await engine.up({ config: labValues((v) => setIn(v, "firewalls.secondary.vm", { adopt: 202, memoryMb: 4096 })) });
    expectOk(r);
    expect(changed(r)).toEqual(["update ha-fw-secondary-vm"]);
    expect(await vmFiles()).toEqual({ pve1: CLONED, pve2: vmConf({ name: "fw2", vmId: 202, mac: "BC:24:11:00:CA", memory: 4096, nets: NETS }) });
    const back = await engine.up();
    expectOk(back);
    expect(changed(back)).toEqual(["update ha-fw-secondary-vm"]);
    expect((await vmFiles()).pve2).toBe(HUMANS);
  });

  test("hand edits on the adopted VM (its SYNC NIC moved to vmbr0 with qm set) and on a firewall (the LAN VIP): refresh shows both, the next up repairs both", async () => {
    await labSh(inv, "pve2", "qm set 202 --net2 virtio=BC:24:11:00:CA:02,bridge=vmbr0,firewall=0,mtu=8950");
    await labSh(inv, "fw1", "sed -i 's#<subnet>172.16.10.1</subnet>#<subnet>172.16.10.9</subnet>#' /cf/conf/config.xml");
    const refreshed = await engine.refresh();
    expectOk(refreshed);
    expect(changed(refreshed).sort()).toEqual(["refresh-drift ha-fw-secondary-vm", "refresh-drift ha-primary-vip-lan-2"]);
    const r = await engine.up();
    expectOk(r);
    expect(changed(r).sort()).toEqual(["update ha-fw-secondary-vm", "update ha-primary-vip-lan-2"]);
    expect((await vmFiles()).pve2).toBe(HUMANS);
    expect(await labSh(inv, "fw1", "cat /cf/conf/config.xml")).not.toContain("172.16.10.9");
  });

  test("an apply failure injected on fw1 mid-run (the LAN VIP renamed): the run stops there, fw1's config.xml rolled back; the next up converges, then a no-op", async () => {
    await expectFailureMidRunConverges(engine, inv, labValues(renameLanVip), { element: "ha-primary-vip-lan-2", peer: "ha-secondary-vip-lan-2" }, ALL);
  });

  test("destroy: ours gone (the cloned VM, bridges, stanzas, VIPs), the adopted VM left in place (retainOnDelete)", async () => {
    const r = await engine.destroy();
    expectOk(r);
    expect(engine.state.resources).toEqual([]);
    expect(await vmFiles()).toEqual({ pve1: "", pve2: HUMANS });
    for (const h of ["pve1", "pve2"]) {
      const brs = (await labSh(inv, h, "ovs-vsctl list-br")).split("\n");
      for (const b of ["vmbr0", "vmbr1", "vmbr2"]) expect(brs).not.toContain(b);
      expect(await labSh(inv, h, "cat /etc/network/interfaces /etc/network/interfaces.d/* 2>/dev/null || true")).not.toMatch(/^iface (vmbr[012]|vx)/m);
    }
    for (const fw of ["fw1", "fw2"]) expect(await labSh(inv, fw, "cat /cf/conf/config.xml")).not.toContain("<subnet>172.16.10.1</subnet>");
  });
});
