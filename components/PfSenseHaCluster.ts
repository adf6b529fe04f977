// The whole HA pair from one validated ClusterConfig: the OVS fabric on the Proxmox nodes, the two firewalls, and
// their pfSense HA configuration, as children declared stage by stage with explicit dependsOn:
//   fabric -> vms -> interfaces -> vips -> hasync -> rules (rules, aliases, outbound NAT) -> dhcp
// Each stage depends on the previous non-empty one, so `destroy` runs the stages in reverse.
// Child names derive from the component name plus roles/keys (network role, Proxmox node, firewall role), never
// from descriptions or host names, so editing a description is an update, never a replacement.
import * as pulumi from "@pulumi/pulumi";
import type { ClusterConfig, FirewallConfig, FirewallRole, NetworkConfig } from "../config/types";
import type { ClusterSecrets } from "../config/program";
import { PfSenseNode, type PfSenseNodeArgs, type PfSenseVm } from "./PfSenseNode";
import { clusterOutputsOf, type ClusterOutputs } from "./outputs";

export const STAGES = ["fabric", "vms", "interfaces", "vips", "hasync", "rules", "dhcp"] as const;
export type Stage = (typeof STAGES)[number];

export interface PfSenseHaClusterArgs {
  config: ClusterConfig;
  secrets: ClusterSecrets;
  /** Explicit Proxmox provider for the VMs; default = the `proxmoxve:*` stack config. */
  proxmoxProvider?: pulumi.ProviderResource;
}

/** The PfSenseNode arguments of one firewall. Pure. */
export function firewallNodeArgs(fw: FirewallConfig, networks: readonly NetworkConfig[]): Omit<PfSenseNodeArgs, "proxmoxProvider"> {
  let vm: PfSenseVm;
  if (fw.vm.mode === "none") vm = { mode: "none" };
  else {
    const s = fw.vm.sizing;
    const sizing = { proxmoxNode: fw.proxmoxNode, cores: s.cores, memoryMb: s.memoryMb, diskGb: s.diskGb, datastoreId: s.datastore };
    vm =
      fw.vm.mode === "clone"
        ? { mode: "clone", templateVmId: fw.vm.templateId, full: fw.vm.full, vmId: fw.vm.vmId, ...sizing }
        : { mode: "adopt", vmId: fw.vm.vmId, ...sizing };
  }
  return {
    role: fw.role,
    vmName: fw.name,
    vm,
    nics: networks.map((n) => ({ network: n.role, bridge: n.bridge })),
    ssh: fw.ssh,
    interfaces: fw.interfaces,
  };
}

export class PfSenseHaCluster extends pulumi.ComponentResource {
  readonly nodes: Record<FirewallRole, PfSenseNode>;
  /** The children of each stage, in declaration order (for inspection and tests). */
  readonly stages: Record<Stage, pulumi.Resource[]>;
  /** The output contract (components/outputs.ts). */
  readonly outputs: pulumi.Output<ClusterOutputs>;

  constructor(name: string, args: PfSenseHaClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("pfsense-ha:cluster:PfSenseHaCluster", name, {}, opts);
    const c = args.config;
    const stages = Object.fromEntries(STAGES.map((s) => [s, [] as pulumi.Resource[]])) as Record<Stage, pulumi.Resource[]>;
    this.stages = stages;
    /** Options for a child of `stage`: parented here, after every resource of the previous non-empty stage. */
    const after = (stage: Stage): pulumi.CustomResourceOptions => {
      const i = STAGES.indexOf(stage);
      const prev = STAGES.slice(0, i).reverse().find((s) => stages[s].length > 0);
      return { parent: this, dependsOn: prev ? [...stages[prev]] : [] };
    };

    // --- vms
    const vmOpts = after("vms");
    const node = (role: FirewallRole) =>
      new PfSenseNode(`${name}-fw-${role}`, { ...firewallNodeArgs(c.firewalls[role], c.networks), proxmoxProvider: args.proxmoxProvider }, vmOpts);
    this.nodes = { primary: node("primary"), secondary: node("secondary") };
    stages.vms.push(this.nodes.primary, this.nodes.secondary);

    const vmIds = pulumi
      .all([this.nodes.primary.vmId, this.nodes.secondary.vmId])
      .apply(([p, s]) => ({ [c.firewalls.primary.name]: p, [c.firewalls.secondary.name]: s }));
    this.outputs = vmIds.apply((ids) => clusterOutputsOf(c, ids, {}));
    this.registerOutputs({ outputs: this.outputs });
  }
}
