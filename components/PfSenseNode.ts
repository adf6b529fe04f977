// One pfSense firewall: its Proxmox VM (cloned, adopted or none), its SSH endpoint and its interface assignment.
// The VM arguments are built by pure functions (vmArgsOf, orderNics) so they are testable without any engine.
import * as pulumi from "../providers/pulumi-sdk";
import type * as proxmox from "@muhlba91/pulumi-proxmoxve";
import type { SshEndpoint } from "../providers/ssh/types";
import { COMPONENT_TOKENS, componentOptions } from "./tokens";

/** How the firewall's VM relates to this stack. */
export type PfSenseVm =
  /** Full clone of a pfSense template (installed, SSH enabled, key present) on a named Proxmox node. */
  | ({ mode: "clone"; templateVmId: number; /** default true: a linked clone would tie the VM to the template. */ full?: boolean } & VmSizing)
  /**
   * Take over an existing VM: Pulumi imports it (`import` option, id "<proxmoxNode>/<vmId>") on the first `up`. Where
   * the declared sizing/NICs differ from the live VM, the same `up` updates the VM to them right after the import (a
   * preview shows the import and the update); a difference that would replace the VM is refused. From then on Pulumi
   * manages it like a cloned one, except that `destroy` (or removing it from config) leaves the VM in place
   * (retainOnDelete), since this stack did not create it.
   */
  | ({ mode: "adopt" } & VmSizing & { vmId: number })
  /** A firewall Pulumi does not host (bare metal, another hypervisor, the lab's stand-ins): no VM resource. */
  | { mode: "none" };

export interface VmSizing {
  proxmoxNode: string;
  /** Fixed VM id; omitted for clones = Proxmox picks the next free id. */
  vmId?: number;
  cores: number;
  memoryMb: number;
  diskGb: number;
  /** Storage for the clone's disk, e.g. "local-lvm". */
  datastoreId: string;
}

/** One VM NIC: the network key it carries and the OVS bridge it is plugged into. */
export interface NodeNic {
  network: string;
  bridge: string;
  /** The network's MTU (a VXLAN network runs at underlay - 50); 1500 or unset leaves Proxmox's default. */
  mtu?: number;
}

export interface PfSenseNodeArgs {
  role: "primary" | "secondary";
  /** VM name in Proxmox (the pfSense host name); default = the resource name. Renaming is an update in place. */
  vmName?: string;
  vm: PfSenseVm;
  /** NICs in any order; they are plugged in the fixed order WAN, LAN, SYNC, then the others as given. */
  nics: NodeNic[];
  /** How the pfSense providers reach this firewall. */
  ssh: SshEndpoint;
  /**
   * pfSense device per network key. For VMs this defaults to the NIC order (vtnet0 = WAN, vtnet1 = LAN, …);
   * for `vm: none` it must be given.
   */
  interfaces?: Record<string, string>;
}

const FIXED_ORDER = ["wan", "lan", "sync"];

/** WAN, LAN, SYNC first (those present), then every other network in the order given. Pure. */
export function orderNics(nics: readonly NodeNic[]): NodeNic[] {
  const seen = new Set<string>();
  for (const n of nics) {
    if (seen.has(n.network)) throw new Error(`nics: network ${JSON.stringify(n.network)} is listed twice; list each network once`);
    seen.add(n.network);
  }
  const fixed = FIXED_ORDER.flatMap((k) => nics.filter((n) => n.network === k));
  return [...fixed, ...nics.filter((n) => !FIXED_ORDER.includes(n.network))];
}

/** pfSense names VirtIO NICs vtnet0, vtnet1, … in PCI order, which is the order of networkDevices. Pure. */
export function vtnetAssignment(ordered: readonly NodeNic[]): Record<string, string> {
  return Object.fromEntries(ordered.map((n, i) => [n.network, `vtnet${i}`]));
}

/** The VmLegacy arguments for a cloned or adopted pfSense VM. Pure. */
export function vmArgsOf(name: string, vm: Exclude<PfSenseVm, { mode: "none" }>, nics: readonly NodeNic[]): proxmox.VmLegacyArgs {
  return {
    nodeName: vm.proxmoxNode,
    vmId: vm.vmId,
    name,
    description: "pfSense HA node managed by pfsense-ha",
    // Adopted VMs were not cloned by us; a clone block on them would be a replacement trigger.
    clone: vm.mode === "clone" ? { vmId: vm.templateVmId, full: vm.full ?? true } : undefined,
    cpu: { type: "host", cores: vm.cores },
    memory: { dedicated: vm.memoryMb },
    disks: [{ interface: "scsi0", cache: "writeback", size: vm.diskGb, datastoreId: vm.datastoreId }],
    // The Proxmox firewall stays off: its MAC filter would drop CARP's virtual MAC.
    // A NIC at 1500 on a VXLAN bridge (underlay - 50) would send frames the tunnel drops: the NIC gets the network's MTU.
    networkDevices: orderNics(nics).map((n) => ({
      bridge: n.bridge,
      model: "virtio",
      firewall: false,
      ...(n.mtu !== undefined && n.mtu !== 1500 ? { mtu: n.mtu } : {}),
    })),
    operatingSystem: { type: "other" },
    onBoot: true,
    started: true,
  };
}

/** Import id of an existing VM for the bpg Proxmox provider: "<node>/<vmid>". */
export function adoptImportId(vm: { proxmoxNode: string; vmId: number }): string {
  return `${vm.proxmoxNode}/${vm.vmId}`;
}

export class PfSenseNode extends pulumi.ComponentResource {
  /** The VM resource; undefined for `vm: none`. */
  readonly vm?: proxmox.VmLegacy;
  /** Proxmox VM id, null for `vm: none`. */
  readonly vmId: pulumi.Output<number | null>;
  readonly proxmoxNode: string | null;
  readonly role: "primary" | "secondary";
  readonly ssh: SshEndpoint;
  /** pfSense device per network key. */
  readonly interfaces: Record<string, string>;
  readonly nics: NodeNic[];

  constructor(name: string, args: PfSenseNodeArgs, opts?: pulumi.ComponentResourceOptions) {
    super(COMPONENT_TOKENS.PfSenseNode.type, name, {}, componentOptions("PfSenseNode", opts));
    this.role = args.role;
    this.ssh = args.ssh;
    this.nics = orderNics(args.nics);
    const vm = args.vm;
    if (vm.mode === "none") {
      if (!args.interfaces) {
        throw new Error(`${name}: interfaces is required with vm: none (which pfSense device carries each network)`);
      }
      this.interfaces = args.interfaces;
      this.proxmoxNode = null;
      this.vmId = pulumi.output(null);
    } else {
      this.interfaces = args.interfaces ?? vtnetAssignment(this.nics);
      this.proxmoxNode = vm.proxmoxNode;
      // dependsOn of a component does not reach its children in the state's dependency graph; forward it so the VM
      // is also destroyed before what it depends on (the OVS bridges).
      // The Proxmox provider: the `proxmoxve` one in opts.providers (of this component or a parent), else the stack's.
      const resOpts: pulumi.CustomResourceOptions = { parent: this, dependsOn: opts?.dependsOn };
      if (vm.mode === "adopt") Object.assign(resOpts, { import: adoptImportId(vm), retainOnDelete: true });
      // Loaded only for a VM of this stack: the Proxmox package loads the whole Pulumi SDK (about a second).
      const { VmLegacy } = require("@muhlba91/pulumi-proxmoxve") as typeof proxmox;
      this.vm = new VmLegacy(`${name}-vm`, vmArgsOf(args.vmName ?? name, vm, this.nics), resOpts);
      this.vmId = this.vm.vmId.apply((id) => id ?? null);
    }
    this.registerOutputs({ vmId: this.vmId, interfaces: this.interfaces });
  }
}
