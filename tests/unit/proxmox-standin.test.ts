// The test engine's stand-in of the proxmoxve provider (tests/support/proxmox-standin.ts): the qm config file it
// writes for a VM's inputs, what it reads back (a hand edit = drift), a read by import id, and what its Diff calls a
// replacement.
import { labExec, type LabInventory } from "../../lab/inventory";
import { propsOfQmConfig, proxmoxStandIn, qmConfigOf } from "../support/proxmox-standin";

jest.mock("../../lab/inventory", () => ({ labExec: jest.fn() }));

const INPUTS = {
  nodeName: "pve1",
  vmId: 201,
  name: "fw1",
  description: "pfSense HA node managed by pfsense-ha",
  clone: { vmId: 9000, full: true },
  cpu: { type: "host", cores: 2 },
  memory: { dedicated: 2048 },
  disks: [{ interface: "scsi0", cache: "writeback", size: 16, datastoreId: "local-lvm" }],
  networkDevices: [
    { bridge: "vmbr0", model: "virtio", firewall: false },
    { bridge: "vmbr1", model: "virtio", firewall: false, mtu: 1450 },
  ],
  operatingSystem: { type: "other" },
  onBoot: true,
  started: true,
};

const FILE = `#pfSense HA node managed by pfsense-ha
cores: 2
cpu: host
memory: 2048
name: fw1
scsi0: local-lvm:vm-201-disk-0,cache=writeback,size=16G
net0: virtio=BC:24:11:00:C9:00,bridge=vmbr0,firewall=0
net1: virtio=BC:24:11:00:C9:01,bridge=vmbr1,firewall=0,mtu=1450
onboot: 1
ostype: other
status: running
`;

test("a VM's inputs as qm config lines (stable MACs in Proxmox's prefix, the NIC's MTU, the run status)", () => {
  expect(qmConfigOf(INPUTS)).toBe(FILE);
});

test("reading the file back gives the inputs again; a hand edit shows in what is read", () => {
  expect(propsOfQmConfig(FILE, INPUTS)).toEqual(INPUTS);
  const edited = FILE.replace("net1: virtio=BC:24:11:00:C9:01,bridge=vmbr1,firewall=0,mtu=1450", "net1: virtio=BC:24:11:00:C9:01,bridge=vmbr0,firewall=1")
    .replace("memory: 2048", "memory: 1024").replace("status: running", "status: stopped");
  const read = propsOfQmConfig(edited, INPUTS);
  expect(read.networkDevices).toEqual([
    { bridge: "vmbr0", model: "virtio", firewall: false },
    { bridge: "vmbr0", model: "virtio", firewall: true },
  ]);
  expect(read.memory).toEqual({ dedicated: 1024 });
  expect(read.started).toBe(false);
});

test("diff: a changed setting is an update, another node, VM id or clone source a replacement", () => {
  const p = proxmoxStandIn({ id: 1, hosts: {} } as unknown as LabInventory);
  expect(p.diff(INPUTS, { ...INPUTS })).toEqual({ changes: false, replaces: [] });
  expect(p.diff(INPUTS, { ...INPUTS, memory: { dedicated: 4096 } })).toEqual({ changes: true, replaces: [] });
  expect(p.diff(INPUTS, { ...INPUTS, nodeName: "pve2", clone: { vmId: 9001, full: true } })).toEqual({ changes: true, replaces: ["nodeName", "clone"] });
});

test("create refuses a VM id that is taken and a node that is not a Proxmox node of the lab, before writing", async () => {
  const exec = labExec as jest.MockedFunction<typeof labExec>;
  exec.mockReset();
  exec.mockResolvedValueOnce({ code: 1, stdout: "", stderr: "unable to create VM 201: config file already exists\n" });
  const inv = { id: 1, hosts: { pve1: { role: "proxmox" }, fw1: { role: "pfsense" } } } as unknown as LabInventory;
  const p = proxmoxStandIn(inv);
  await expect(p.create("proxmoxve:index/vmLegacy:VmLegacy", INPUTS)).rejects.toThrow("unable to create VM 201: config file already exists");
  expect(exec).toHaveBeenCalledTimes(1);
  await expect(p.create("proxmoxve:index/vmLegacy:VmLegacy", { ...INPUTS, nodeName: "fw1" })).rejects.toThrow("nodeName: fw1 is not a Proxmox node of lab 1");
  expect(exec).toHaveBeenCalledTimes(1);
});

test("a read by the import id <node>/<vmid> (an adopted VM made by hand): the VM id as id, the file's settings as inputs and outputs", async () => {
  const exec = labExec as jest.MockedFunction<typeof labExec>;
  exec.mockReset();
  exec.mockResolvedValueOnce({ code: 0, stdout: FILE, stderr: "" });
  const p = proxmoxStandIn({ id: 1, hosts: { pve1: { role: "proxmox" } } } as unknown as LabInventory);
  const declared: Record<string, unknown> = { ...INPUTS }; // a VM made by hand: no clone source
  delete declared.clone;
  expect(await p.read("proxmoxve:index/vmLegacy:VmLegacy", "pve1/201", {})).toEqual({ id: "201", outputs: declared, inputs: declared });
  expect(exec).toHaveBeenCalledWith(expect.anything(), "pve1", "cat /var/lib/pfha-lab-qm/201.conf 2>/dev/null");
  exec.mockResolvedValueOnce({ code: 1, stdout: "", stderr: "" });
  expect(await p.read("proxmoxve:index/vmLegacy:VmLegacy", "pve1/203", {})).toEqual({ id: "", outputs: {} });
});
