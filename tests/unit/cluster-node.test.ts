// PfSenseNode: the VM arguments (pure builders) and the registered resources under Pulumi mocks.
import type { EngineRun } from "../support/engine";
import type { PfSenseNodeArgs } from "../../components/PfSenseNode";
import { orderNics, vmArgsOf, vtnetAssignment, adoptImportId } from "../../components/PfSenseNode";

const ssh = { host: "10.0.0.21", username: "admin", privateKeyPath: "/k", hostKeySha256: "SHA256:abc" };
const nics = [
  { network: "dmz", bridge: "vmbr3" },
  { network: "sync", bridge: "vmbr2" },
  { network: "lan", bridge: "vmbr1" },
  { network: "wan", bridge: "vmbr0" },
];
const sizing = { proxmoxNode: "pve1", cores: 2, memoryMb: 4096, diskGb: 32, datastoreId: "local-lvm" };

async function register(args: PfSenseNodeArgs): Promise<EngineRun> {
  let result: EngineRun | undefined;
  await jest.isolateModulesAsync(async () => {
    const { runUnderEngine } = require("../support/engine") as typeof import("../support/engine");
    result = await runUnderEngine({
      program: () => {
        const { PfSenseNode } = require("../../components/PfSenseNode") as typeof import("../../components/PfSenseNode");
        const node = new PfSenseNode("fw1", args);
        return { vmId: node.vmId, interfaces: node.interfaces };
      },
      project: "pfsense-ha",
      stack: "unit",
      executeDynamic: false,
      mockResource: (r) => ({ id: `${r.name}-id`, state: { ...r.inputs, vmId: r.inputs.vmId ?? 4242 } }),
    });
  });
  if (!result) throw new Error("no run");
  return result;
}

describe("orderNics / vtnetAssignment", () => {
  test("WAN, LAN, SYNC first, then the other networks in the order given", () => {
    expect(orderNics(nics).map((n) => n.network)).toEqual(["wan", "lan", "sync", "dmz"]);
    expect(orderNics([{ network: "opt2", bridge: "b" }, { network: "lan", bridge: "a" }, { network: "opt1", bridge: "c" }]).map((n) => n.network)).toEqual(["lan", "opt2", "opt1"]);
    expect(vtnetAssignment(orderNics(nics))).toEqual({ wan: "vtnet0", lan: "vtnet1", sync: "vtnet2", dmz: "vtnet3" });
  });
  test("a network listed twice is refused, naming it", () => {
    expect(() => orderNics([{ network: "lan", bridge: "a" }, { network: "lan", bridge: "b" }])).toThrow(/"lan" is listed twice/);
  });
});

describe("vmArgsOf", () => {
  test("clone: full clone of the template, host CPU, dedicated memory, scsi0 writeback, VirtIO NICs firewall off", () => {
    const a = vmArgsOf("fw1", { mode: "clone", templateVmId: 9000, vmId: 101, ...sizing }, nics);
    expect(a).toMatchObject({
      nodeName: "pve1", vmId: 101, name: "fw1",
      clone: { vmId: 9000, full: true },
      cpu: { type: "host", cores: 2 },
      memory: { dedicated: 4096 },
      disks: [{ interface: "scsi0", cache: "writeback", size: 32, datastoreId: "local-lvm" }],
      operatingSystem: { type: "other" }, onBoot: true, started: true,
    });
    expect(a.networkDevices).toEqual(["vmbr0", "vmbr1", "vmbr2", "vmbr3"].map((bridge) => ({ bridge, model: "virtio", firewall: false })));
  });
  test("a NIC on a network not at 1500 (VXLAN: underlay - 50) gets that MTU; 1500 leaves Proxmox's default", () => {
    const a = vmArgsOf("fw1", { mode: "clone", templateVmId: 9000, ...sizing }, [
      { network: "wan", bridge: "vmbr0", mtu: 1500 },
      { network: "lan", bridge: "vmbr1", mtu: 1450 },
    ]);
    expect(a.networkDevices).toEqual([
      { bridge: "vmbr0", model: "virtio", firewall: false },
      { bridge: "vmbr1", model: "virtio", firewall: false, mtu: 1450 },
    ]);
  });
  test("adopt: no clone block, import id node/vmid", () => {
    const a = vmArgsOf("fw2", { mode: "adopt", ...sizing, proxmoxNode: "pve2", vmId: 202 }, nics);
    expect(a.clone).toBeUndefined();
    expect(a.vmId).toBe(202);
    expect(adoptImportId({ proxmoxNode: "pve2", vmId: 202 })).toBe("pve2/202");
  });
});

describe("PfSenseNode under mocks", () => {
  test("clone: one VmLegacy child of the component with the VM arguments; vtnet assignment", async () => {
    const r = await register({ role: "primary", vm: { mode: "clone", templateVmId: 9000, ...sizing }, nics, ssh });
    const comp = r.registrations.find((x) => x.type === "pfsense-ha:index:PfSenseNode");
    const vm = r.registrations.find((x) => x.type === "proxmoxve:index/vmLegacy:VmLegacy");
    expect(comp?.name).toBe("fw1");
    expect(vm?.name).toBe("fw1-vm");
    expect(vm?.parent).toBe(comp?.urn);
    expect(vm?.importId).toBeUndefined();
    expect(vm?.inputs).toMatchObject({ nodeName: "pve1", clone: { vmId: 9000, full: true }, cpu: { type: "host", cores: 2 } });
    expect((vm?.inputs.networkDevices as { bridge: string }[]).map((d) => d.bridge)).toEqual(["vmbr0", "vmbr1", "vmbr2", "vmbr3"]);
    expect(r.exports.vmId.value).toBe(4242);
    expect(r.exports.interfaces.value).toEqual({ wan: "vtnet0", lan: "vtnet1", sync: "vtnet2", dmz: "vtnet3" });
  });
  test("adopt: the VM is imported by node/vmid", async () => {
    const r = await register({ role: "secondary", vm: { mode: "adopt", ...sizing, vmId: 150 }, nics, ssh });
    const vm = r.registrations.find((x) => x.type === "proxmoxve:index/vmLegacy:VmLegacy");
    expect(vm?.importId).toBe("pve1/150");
    expect(vm?.inputs.clone).toBeUndefined();
    expect(r.exports.vmId.value).toBe(150);
  });
  test("vm none: no VM resource, vmId null, interfaces as given", async () => {
    const interfaces = { wan: "eth0", lan: "eth1", sync: "eth2", dmz: "eth3" };
    const r = await register({ role: "primary", vm: { mode: "none" }, nics, ssh, interfaces });
    expect(r.registrations.map((x) => x.type)).toEqual(["pfsense-ha:index:PfSenseNode"]);
    expect(r.exports.vmId.value).toBeNull();
    expect(r.exports.interfaces.value).toEqual(interfaces);
  });
  test("vm none without interfaces is refused with the field named", async () => {
    await expect(register({ role: "primary", vm: { mode: "none" }, nics, ssh })).rejects.toThrow(/fw1: interfaces is required with vm: none/);
  });
});
