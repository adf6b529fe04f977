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
import { OvsBridge } from "./OvsBridge";
import { CarpVip } from "./pfsense/CarpVip";
import { VxlanTunnel } from "./VxlanTunnel";
import { tunnelPortName } from "../providers/ovs/naming";
import type { SshEndpoint } from "../providers/ssh/types";

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

/** With `pfsense-ha:sshPrivateKey` set, every endpoint carries the key content, as a secret. */
export function endpointWithKey(ep: SshEndpoint, key: pulumi.Output<string> | undefined): pulumi.Input<SshEndpoint> {
  return key ? pulumi.secret(key.apply((privateKey) => ({ ...ep, privateKey }))) : ep;
}

/** Name of the VxlanTunnel of a network; also the tunnel id the OVS port names derive from. Pure. */
export function tunnelNameOf(clusterName: string, network: string): string {
  return `${clusterName}-vx-${network}`;
}

/** OVS VXLAN port names per network and Proxmox node (one per peer), as VxlanTunnel names them. Pure. */
export function vxlanPortsOf(clusterName: string, c: ClusterConfig): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  for (const n of c.networks) {
    if (!n.vxlan) continue;
    const id = tunnelNameOf(clusterName, n.role);
    out[n.role] = Object.fromEntries(
      c.proxmox.nodes.map((node) => [node.name, c.proxmox.nodes.filter((p) => p !== node).map((p) => tunnelPortName(id, p.name))]),
    );
  }
  return out;
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
    /** Options for a child of `stage`: parented here, after every resource of every earlier stage. */
    const after = (stage: Stage): pulumi.CustomResourceOptions => {
      const i = STAGES.indexOf(stage);
      return { parent: this, dependsOn: STAGES.slice(0, i).flatMap((s) => stages[s]) };
    };

    // --- fabric: every network's bridge on every Proxmox node, then the VXLAN mesh of the stretched ones
    const underlayMtu = Math.min(...c.proxmox.nodes.map((n) => n.underlayMtu));
    for (const n of c.networks) {
      const bridges: Record<string, OvsBridge> = {};
      for (const node of c.proxmox.nodes) {
        bridges[node.name] = new OvsBridge(
          `${name}-br-${n.role}-${node.name}`,
          {
            node: node.name,
            endpoint: endpointWithKey(node.ssh, args.secrets.sshPrivateKey),
            bridgeName: n.bridge,
            uplink: n.uplink,
            mtu: n.mtu,
            datapathType: c.proxmox.datapathType,
          },
          { parent: this },
        );
        stages.fabric.push(bridges[node.name]);
      }
      if (n.vxlan) {
        const tunnel = new VxlanTunnel(
          tunnelNameOf(name, n.role),
          {
            bridge: n.bridge,
            vni: n.vxlan.key,
            dstPort: n.vxlan.dstPort,
            bfd: n.vxlan.bfd,
            underlayMtu,
            overlayMtu: n.mtu,
            nodes: c.proxmox.nodes.map((node) => ({
              name: node.name,
              endpoint: endpointWithKey(node.ssh, args.secrets.sshPrivateKey),
              underlayAddress: node.underlayAddress,
              dependsOn: [bridges[node.name]],
            })),
          },
          { parent: this },
        );
        stages.fabric.push(tunnel);
      }
    }

    // --- vms
    const vmOpts = after("vms");
    const node = (role: FirewallRole) =>
      new PfSenseNode(`${name}-fw-${role}`, { ...firewallNodeArgs(c.firewalls[role], c.networks), proxmoxProvider: args.proxmoxProvider }, vmOpts);
    this.nodes = { primary: node("primary"), secondary: node("secondary") };
    stages.vms.push(this.nodes.primary, this.nodes.secondary);

    // --- vips: each VIP on both nodes; the secondary gets the primary's uniqid and its own (higher) skew
    const vipOpts = after("vips");
    for (const n of c.networks) {
      for (const v of n.vips) {
        if (!args.secrets.carpPassword) throw new Error(`${name}: pfsense-ha:carpPassword is required for the CARP VIP ${v.address}`);
        const vip = (role: FirewallRole, uniqid?: pulumi.Output<string>) =>
          new CarpVip(
            `${name}-vip-${role}-${n.role}-${v.vhid}`,
            {
              endpoint: endpointWithKey(c.firewalls[role].ssh, args.secrets.sshPrivateKey),
              interface: n.pfsenseInterface,
              address: v.address,
              subnetBits: n.prefix,
              vhid: v.vhid,
              advbase: v.advbase,
              advskew: role === "primary" ? c.carp.advskewPrimary : c.carp.advskewSecondary,
              password: args.secrets.carpPassword as pulumi.Output<string>,
              description: v.description,
              uniqid,
              allowUnknownVersion: c.allowUnknownPfsenseVersion,
            },
            vipOpts,
          );
        const primary = vip("primary");
        stages.vips.push(primary, vip("secondary", primary.uniqid));
      }
    }

    const vmIds = pulumi
      .all([this.nodes.primary.vmId, this.nodes.secondary.vmId])
      .apply(([p, s]) => ({ [c.firewalls.primary.name]: p, [c.firewalls.secondary.name]: s }));
    const ports = vxlanPortsOf(name, c);
    this.outputs = vmIds.apply((ids) => clusterOutputsOf(c, ids, ports));
    this.registerOutputs({ outputs: this.outputs });
  }
}
