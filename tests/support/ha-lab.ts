// A converged HA pair on the lab for the lab tests that need `verify` to pass: the stack's plan written to both
// firewalls through the providers' write protocol, VXLAN ports with BFD on the pve hosts (the lab has no VMs to make
// traffic), the sync addresses on the fw hosts with a TCP listener standing in for the secondary's webGUI.
import { spawn, spawnSync, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { firewallPlanOf, substituteSecrets } from "../../components/plan";
import { validateStackFile } from "../../config/load";
import type { ClusterConfig, FirewallRole } from "../../config/types";
import { labSh, type LabInventory } from "../../lab/inventory";
import { tunnelPortName } from "../../providers/ovs/naming";
import { submitEdit } from "../../providers/pfsense/remote";
import { schemaOf } from "../../providers/pfsense/version";
import { applyPlanItem } from "../../providers/verify/render";
import { waitFor } from "./async";
import { reseedFirewalls, setAdminPassword } from "./pfsense-lab";

export const ROOT = path.join(__dirname, "..", "..");
export const LAB_SECRETS = { carpPassword: "carp-Lab-S3cret", xmlrpcPassword: "xmlrpc-Lab-S3cret" };
const ROLES: FirewallRole[] = ["primary", "secondary"];

export function ipNetns(netns: string, args: string[]): void {
  const r = spawnSync("ip", ["netns", "exec", netns, ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ip netns exec ${netns} ${args.join(" ")}: ${r.stderr}`);
}

/** A lab stack file: where it is, its folder (remove it when done) and its validated config. */
export interface LabStack { file: string; dir: string; config: ClusterConfig }

/** The values of a stack file (what `pfsense-ha:<key>` maps to), for a test to change before it is validated. */
export type StackValues = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/**
 * Pulumi.dev.yaml made this lab's stack `name`: its host inventory (the lab's hosts.json), BFD on every tunnel (the
 * lab has no VMs to make traffic), then the test's own changes (`edit`), written to a fresh folder and validated.
 */
export function labStack(inv: LabInventory, name: string, edit?: (values: StackValues) => void): LabStack {
  const doc = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")) as { config: StackValues };
  doc.config["pfsense-ha:inventory"] = path.join(inv.stateDir, "hosts.json");
  const cluster = doc.config["pfsense-ha:cluster"] as { networks: Record<string, { vxlan?: { bfd?: boolean } }> };
  for (const n of Object.values(cluster.networks)) if (n.vxlan) n.vxlan.bfd = true;
  edit?.(doc.config);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pfha-"));
  const file = path.join(dir, `Pulumi.${name}.yaml`);
  fs.writeFileSync(file, YAML.stringify(doc));
  const r = validateStackFile(file, { allowMissingSecrets: true });
  if (!r.config) throw new Error(JSON.stringify(r.problems));
  return { file, dir, config: r.config };
}

/**
 * The stack's plan written to each firewall through the providers' write protocol (install + apply), both at once,
 * with `secrets` in place of the stack's secret values (`roles`: only these firewalls).
 */
export async function writeFirewallPlans(config: ClusterConfig, secrets: typeof LAB_SECRETS, label: string, roles: FirewallRole[] = ROLES): Promise<void> {
  await Promise.all(roles.map((role) => {
    const items = firewallPlanOf(config, config.name, role).map((i) => substituteSecrets(i, secrets));
    return submitEdit(config.firewalls[role].ssh, {
      label: `${label} ${role}`,
      edit: (doc) => {
        const schema = schemaOf(doc);
        for (const i of items) applyPlanItem(doc, i, schema);
      },
      secrets: Object.values(secrets),
    });
  }));
}

/**
 * Bridges + VXLAN ports with BFD on every node for every stretched network (what VxlanTunnel creates), built directly
 * with ovs-vsctl; the ports are named `tunnelPortName("<portPrefix>-<role>", peer)`.
 */
export async function buildLabFabric(inv: LabInventory, config: ClusterConfig, portPrefix = "lab"): Promise<void> {
  for (const node of config.proxmox.nodes) {
    const cmds: string[] = [];
    for (const n of config.networks.filter((x) => x.vxlan)) {
      cmds.push(`ovs-vsctl --if-exists del-br ${n.bridge} -- add-br ${n.bridge} -- set bridge ${n.bridge} datapath_type=netdev`);
      for (const peer of config.proxmox.nodes.filter((p) => p !== node)) {
        const port = tunnelPortName(`${portPrefix}-${n.role}`, peer.name);
        cmds.push(`ovs-vsctl add-port ${n.bridge} ${port} -- set interface ${port} type=vxlan options:remote_ip=${peer.underlayAddress} options:key=${n.vxlan?.key} bfd:enable=true`);
      }
    }
    await labSh(inv, node.name, cmds.join(" && "));
  }
}

/** The stretched networks' bridges gone from every node. */
export async function removeLabFabric(inv: LabInventory, config: ClusterConfig): Promise<void> {
  for (const node of config.proxmox.nodes) {
    await labSh(inv, node.name, config.networks.filter((x) => x.vxlan).map((n) => `ovs-vsctl --if-exists del-br ${n.bridge}`).join(" && "));
  }
}

/** Every BFD session on every node up in both directions (not just the first one: CI saw the other side in "init"). */
export async function waitForBfd(inv: LabInventory, config: ClusterConfig): Promise<void> {
  const settled = async (host: string): Promise<boolean> => {
    const out = await labSh(inv, host, "ovs-vsctl --format=json --columns=bfd_status list interface");
    return out.includes('"remote_state","up"') && !/"(state|remote_state)","(init|down|admin_down)"/.test(out);
  };
  await waitFor(async () => {
    for (const n of config.proxmox.nodes) if (!(await settled(n.name))) return false;
    return true;
  }, 20000);
}

export class ConvergedPair {
  private listener?: ChildProcess;

  constructor(readonly inv: LabInventory, readonly config: ClusterConfig) {}

  /**
   * Both firewalls back to their seed config first (whatever an earlier file left there; `reseed: false` when the
   * test has just reseeded them and set something up), then converged.
   */
  async up({ reseed = true }: { reseed?: boolean } = {}): Promise<void> {
    if (reseed) await reseedFirewalls(this.inv);
    await buildLabFabric(this.inv, this.config);
    await this.convergeFirewalls();
    // the secondary's webGUI admin password is the stack's xmlrpcPassword, as the README asks of a real pair
    await setAdminPassword(this.inv, this.config.firewalls.secondary.name, LAB_SECRETS.xmlrpcPassword);
    this.startSyncLink();
    const sync = this.syncNetwork();
    await waitFor(async () => spawnSync("ip", ["netns", "exec", this.inv.hosts[this.config.firewalls.primary.name].netns, "php", "-r",
      `exit(@fsockopen("${sync.addresses.secondary}", 443, $e, $s, 1) ? 0 : 1);`]).status === 0, 10000);
    await waitForBfd(this.inv, this.config);
  }

  async down(): Promise<void> {
    this.stopSyncLink();
    await removeLabFabric(this.inv, this.config);
  }

  private syncNetwork() {
    const sync = this.config.networks.find((n) => n.role === this.config.hasync.syncNetwork);
    if (!sync) throw new Error("no sync network");
    return sync;
  }

  /** The stack's plan written to each firewall through the providers' write protocol (install + apply). */
  async convergeFirewalls(): Promise<void> {
    await writeFirewallPlans(this.config, LAB_SECRETS, "lab pair");
  }

  private startSyncLink(): void {
    const sync = this.syncNetwork();
    for (const role of ROLES) {
      ipNetns(this.inv.hosts[this.config.firewalls[role].name].netns, ["ip", "addr", "replace", `${sync.addresses[role]}/${sync.prefix}`, "dev", "eth0"]);
    }
    this.listener = spawn("ip", ["netns", "exec", this.inv.hosts[this.config.firewalls.secondary.name].netns, "php", "-S", `${sync.addresses.secondary}:443`, "-t", os.tmpdir()], { stdio: "ignore" });
  }

  private stopSyncLink(): void {
    if (this.listener?.pid) process.kill(this.listener.pid, "SIGTERM");
    this.listener = undefined;
    const sync = this.syncNetwork();
    for (const role of ROLES) {
      spawnSync("ip", ["netns", "exec", this.inv.hosts[this.config.firewalls[role].name].netns, "ip", "addr", "del", `${sync.addresses[role]}/${sync.prefix}`, "dev", "eth0"]);
    }
  }
}
