// The whole HA pair from one validated ClusterConfig: the OVS fabric on the Proxmox nodes, the two firewalls, and
// their pfSense HA configuration, as children declared stage by stage with explicit dependsOn:
//   fabric -> vms -> interfaces -> vips -> hasync -> rules (rules, aliases, outbound NAT) -> dhcp
// Every child depends on every resource of the earlier stages, so `destroy` runs the stages in reverse. The pfSense
// side comes from components/plan.ts (what to write on each firewall, secondary = what XMLRPC sync writes).
// Child names derive from the component name plus roles/keys (network role, Proxmox node, firewall role), never
// from descriptions or host names, so editing a description is an update, never a replacement.
import * as pulumi from "../providers/pulumi-sdk";
import { FIREWALL_ROLES, type ClusterConfig, type FirewallConfig, type FirewallRole, type LabHostsRef, type NetworkConfig, type SecretState } from "../config/types";
import type { ClusterSecrets } from "../config/program";
import { inventoryFromLab, type HostInventory } from "../config/inventory";
import { ConfigValidationError, formatProblem, type Problem } from "../config/problems";
import type { ClusterSettings } from "../config/settings";
import { validateCluster } from "../config/validate";
import { PfSenseNode, type PfSenseNodeArgs, type PfSenseVm } from "./PfSenseNode";
import { clusterOutputsOf } from "./cluster-outputs";
import { COMPONENT_TOKENS, componentOptions } from "./tokens";
import type { ClusterOutputs } from "./outputs";
import { OvsBridge } from "./OvsBridge";
import { PfSenseElement } from "./pfsense";
import { ELEMENT_KINDS, ELEMENT_KIND_NAMES } from "../providers/pfsense/elements/kinds";
import type { ApplySection } from "../providers/pfsense/remote/types";
import { firewallPlanOf, planKeyOf, secretsUsedBy, substituteSecrets, type PlanItem, type PlanItemKind, type SecretName } from "./plan";
import { VxlanTunnel } from "./VxlanTunnel";
import { tunnelPortName } from "../providers/ovs/naming";
import type { SshEndpoint } from "../providers/ssh/types";

export const STAGES = ["fabric", "vms", "interfaces", "vips", "hasync", "rules", "dhcp"] as const;
export type Stage = (typeof STAGES)[number];

/** The stage of each apply section (a kind's stage follows from its descriptor's section). */
export const STAGE_OF_SECTION: Record<ApplySection, Stage> = {
  interfaces: "interfaces",
  routing: "interfaces",
  system: "interfaces",
  vip: "vips",
  hasync: "hasync",
  filter: "rules",
  vpn: "rules",
  dhcp: "dhcp",
};

/** The stage each kind of plan item belongs to (the plan lists them in this order too). */
export const STAGE_OF_KIND = Object.fromEntries(ELEMENT_KIND_NAMES.map((k) => [k, STAGE_OF_SECTION[ELEMENT_KINDS[k].section]])) as Record<PlanItemKind, Stage>;

/**
 * The item with its secret references replaced by the secret values: a secret Output when it uses any (so the
 * spec, and the state it becomes, stay encrypted), a plain one otherwise. A missing secret fails naming its key.
 */
export function resolveSecrets(
  item: PlanItem,
  secrets: Partial<Record<SecretName, pulumi.Output<string>>>,
  clusterName = "cluster",
): pulumi.Output<PlanItem> {
  const used = secretsUsedBy(item);
  if (used.length === 0) return pulumi.output(item);
  const values = used.map((n) => {
    const v = secrets[n];
    if (!v) throw new Error(`${clusterName}: pfsense-ha:${n} is required for ${item.key}; set it with \`pulumi config set --secret pfsense-ha:${n} <value>\``);
    return v;
  });
  return pulumi.secret(pulumi.all(values).apply((vs) => substituteSecrets(item, Object.fromEntries(used.map((n, i) => [n, vs[i]])))));
}

interface ElementArgs {
  role: FirewallRole;
  endpoint: pulumi.Input<SshEndpoint>;
  /** The other firewall (HA sync refuses when the two report different config versions). */
  peerEndpoint: pulumi.Input<SshEndpoint>;
  allowUnknownVersion: boolean;
  spec: pulumi.Output<PlanItem>;
}

/** The pfSense component (components/pfsense/) that writes one plan item: the component of its kind. */
function elementComponent(name: string, item: PlanItem, a: ElementArgs, opts: pulumi.ComponentResourceOptions): pulumi.ComponentResource {
  const spec = a.spec.apply((i) => {
    if (i.kind !== item.kind) throw new Error(`plan item ${i.key}: expected a ${item.kind}, got ${i.kind}`);
    return i.spec;
  });
  const peer = ELEMENT_KINDS[item.kind].peer ? { role: a.role, peerEndpoint: a.peerEndpoint } : {};
  return new PfSenseElement(item.kind, name, { endpoint: a.endpoint, allowUnknownVersion: a.allowUnknownVersion, spec, ...peer }, opts);
}

/**
 * The arguments of PfSenseHaCluster: the cluster as a user writes it under `pfsense-ha:cluster` in a stack file (see
 * the README's "Configuration"), and its secrets. The component validates them before it declares anything (every
 * problem at once, each with the key, the bad value and the fix, as a `pulumi.ResourceError` naming the component)
 * and applies the defaults. The Proxmox provider of the VMs is the `proxmoxve` provider in `opts.providers`, else
 * the `proxmoxve:*` stack config.
 */
export interface PfSenseHaClusterArgs {
  /** The topology: Proxmox nodes, networks, the two firewalls, CARP, HA sync, outbound NAT, DHCP. */
  cluster: ClusterSettings;
  /** The password of every CARP VIP (both firewalls); required when a network has a VIP. Kept secret. */
  carpPassword?: pulumi.Input<string>;
  /** The secondary's webGUI password of `hasync.username`, for the primary's XMLRPC config sync. Kept secret. */
  xmlrpcPassword?: pulumi.Input<string>;
  /** Private key content used for every SSH host instead of key files. Kept secret. */
  sshPrivateKey?: pulumi.Input<string>;
  /** The host inventory for SSH settings written as `{inventory: NAME}` (e.g. read from a file with readInventoryFile). */
  inventory?: HostInventory;
  /** @deprecated Use `inventory`. Hosts of the lab's inventory.json, for SSH settings written as `{lab: NAME}`. */
  labInventory?: LabHostsRef;
}

/** The validated cluster and its secrets (as Pulumi secrets), or the problems. Pure. */
export function validateClusterArgs(args: PfSenseHaClusterArgs): { config?: ClusterConfig; secrets?: ClusterSecrets; problems: Problem[]; warnings?: Problem[] } {
  const presence = (v: unknown): SecretState => (v === undefined || v === null ? "missing" : v === "" ? "empty" : "present");
  const result = validateCluster(args.cluster, { carpPassword: presence(args.carpPassword), xmlrpcPassword: presence(args.xmlrpcPassword), sshPrivateKey: presence(args.sshPrivateKey) }, { inventory: args.labInventory ? inventoryFromLab(args.labInventory, "the lab inventory") : args.inventory });
  const warnings = result.warnings ? { warnings: result.warnings } : {};
  if (!result.config || args.xmlrpcPassword === undefined) return { problems: result.problems, ...warnings };
  const secrets: ClusterSecrets = { xmlrpcPassword: pulumi.secret(args.xmlrpcPassword) };
  if (args.carpPassword !== undefined) secrets.carpPassword = pulumi.secret(args.carpPassword);
  if (args.sshPrivateKey !== undefined) secrets.sshPrivateKey = pulumi.secret(args.sshPrivateKey);
  return { config: result.config, secrets, problems: [], ...warnings };
}

/** The PfSenseNode arguments of one firewall. Pure. */
export function firewallNodeArgs(fw: FirewallConfig, networks: readonly NetworkConfig[]): PfSenseNodeArgs {
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
    nics: networks.map((n) => ({ network: n.role, bridge: n.bridge, mtu: n.mtu })),
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

/**
 * The whole HA pair: the Open vSwitch fabric on the Proxmox nodes (bridges, VXLAN mesh), the two pfSense VMs and
 * their HA configuration (interfaces, CARP VIPs, pfsync + XMLRPC sync, sync rules, outbound NAT, DHCP failover).
 *
 * ```ts
 * const ha = new PfSenseHaCluster("ha", { cluster: { name: "edge", proxmox: {…}, networks: {…}, firewalls: {…} },
 *   carpPassword: cfg.requireSecret("carpPassword"), xmlrpcPassword: cfg.requireSecret("xmlrpcPassword") },
 *   { providers: [proxmoxProvider] });
 * export const gateway = ha.outputs.gateway;
 * ```
 */
export class PfSenseHaCluster extends pulumi.ComponentResource {
  /** The validated cluster, defaults applied. */
  readonly config: ClusterConfig;
  readonly nodes: Record<FirewallRole, PfSenseNode>;
  /** The children of each stage, in declaration order (for inspection and tests). */
  readonly stages: Record<Stage, pulumi.Resource[]>;
  /** The output contract (components/outputs.ts). */
  readonly outputs: pulumi.Output<ClusterOutputs>;

  constructor(name: string, args: PfSenseHaClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super(COMPONENT_TOKENS.PfSenseHaCluster.type, name, {}, componentOptions("PfSenseHaCluster", opts));
    const valid = validateClusterArgs(args);
    for (const w of valid.warnings ?? []) void pulumi.log.warn(formatProblem(w), this);
    if (!valid.config || !valid.secrets) throw new pulumi.ResourceError(new ConfigValidationError(valid.problems).message, this);
    const c = (this.config = valid.config);
    const secrets = valid.secrets;
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
            endpoint: endpointWithKey(node.ssh, secrets.sshPrivateKey),
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
              endpoint: endpointWithKey(node.ssh, secrets.sshPrivateKey),
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
      new PfSenseNode(`${name}-fw-${role}`, firewallNodeArgs(c.firewalls[role], c.networks), vmOpts);
    this.nodes = { primary: node("primary"), secondary: node("secondary") };
    stages.vms.push(this.nodes.primary, this.nodes.secondary);

    // --- interfaces, vips, hasync, rules, dhcp: the plan of each firewall (components/plan.ts), one component per
    // item named `<name>-<role>-<plan key>`. Within the rules stage a rule waits for the alias it uses and the rule
    // it is placed after (same host: a batch applies edits in arrival order); a gateway waits for the interfaces.
    const plans = { primary: firewallPlanOf(c, c.name, "primary"), secondary: firewallPlanOf(c, c.name, "secondary") };
    const passwords = { carpPassword: secrets.carpPassword, xmlrpcPassword: secrets.xmlrpcPassword };
    for (const stage of STAGES) {
      for (const role of FIREWALL_ROLES) {
        const endpoint = endpointWithKey(c.firewalls[role].ssh, secrets.sshPrivateKey);
        const peerEndpoint = endpointWithKey(c.firewalls[role === "primary" ? "secondary" : "primary"].ssh, secrets.sshPrivateKey);
        const earlierInStage: pulumi.Resource[] = [];
        for (const item of plans[role].filter((i) => STAGE_OF_KIND[i.kind] === stage)) {
          const opts = after(stage);
          const d = ELEMENT_KINDS[item.kind];
          if (d.waitsInStage) opts.dependsOn = [...(opts.dependsOn as pulumi.Resource[]), ...earlierInStage];
          const child = elementComponent(
            `${name}-${role}-${planKeyOf(item)}`,
            item,
            { role, endpoint, peerEndpoint, allowUnknownVersion: c.allowUnknownPfsenseVersion, spec: resolveSecrets(item, passwords, name) },
            opts,
          );
          if (d.awaitedInStage) earlierInStage.push(child);
          stages[stage].push(child);
        }
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
