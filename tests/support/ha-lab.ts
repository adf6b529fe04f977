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
import { labExec, type LabInventory } from "../../lab/inventory";
import { tunnelPortName } from "../../providers/ovs/naming";
import { submitEdit } from "../../providers/pfsense/remote";
import { schemaOf } from "../../providers/pfsense/version";
import { applyPlanItem } from "../../providers/verify/render";
import { waitFor } from "./async";
import { reseedFirewalls, setAdminPassword } from "./pfsense-lab";

export const ROOT = path.join(__dirname, "..", "..");
export const LAB_SECRETS = { carpPassword: "carp-Lab-S3cret", xmlrpcPassword: "xmlrpc-Lab-S3cret" };
const ROLES: FirewallRole[] = ["primary", "secondary"];

export async function sh(inv: LabInventory, host: string, script: string): Promise<string> {
  const r = await labExec(inv, host, "sh", { stdin: script });
  if (r.code !== 0) throw new Error(`${host}: ${script}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

export function ipNetns(netns: string, args: string[]): void {
  const r = spawnSync("ip", ["netns", "exec", netns, ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ip netns exec ${netns} ${args.join(" ")}: ${r.stderr}`);
}

/** Pulumi.dev.yaml for this lab (its inventory, BFD on every tunnel), validated. */
export function labStack(inv: LabInventory, name: string): { file: string; config: ClusterConfig } {
  const doc = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
  doc.config["pfsense-ha:labInventory"] = path.join(inv.stateDir, "inventory.json");
  const cluster = doc.config["pfsense-ha:cluster"] as { networks: Record<string, { vxlan?: { bfd?: boolean } }> };
  for (const n of Object.values(cluster.networks)) if (n.vxlan) n.vxlan.bfd = true;
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pfha-")), `Pulumi.${name}.yaml`);
  fs.writeFileSync(file, YAML.stringify(doc));
  const r = validateStackFile(file, { allowMissingSecrets: true });
  if (!r.config) throw new Error(JSON.stringify(r.problems));
  return { file, config: r.config };
}

export class ConvergedPair {
  private listener?: ChildProcess;

  constructor(readonly inv: LabInventory, readonly config: ClusterConfig) {}

  /** Both firewalls back to their seed config first (whatever an earlier file left there), then converged. */
  async up(): Promise<void> {
    await reseedFirewalls(this.inv);
    await this.convergeFabric();
    await this.convergeFirewalls();
    // the secondary's webGUI admin password is the stack's xmlrpcPassword, as the README asks of a real pair
    await setAdminPassword(this.inv, this.config.firewalls.secondary.name, LAB_SECRETS.xmlrpcPassword);
    this.startSyncLink();
    const sync = this.syncNetwork();
    await waitFor(async () => spawnSync("ip", ["netns", "exec", this.inv.hosts[this.config.firewalls.primary.name].netns, "php", "-r",
      `exit(@fsockopen("${sync.addresses.secondary}", 443, $e, $s, 1) ? 0 : 1);`]).status === 0, 10000);
    await this.waitForBfd();
  }

  async down(): Promise<void> {
    this.stopSyncLink();
    for (const node of this.config.proxmox.nodes) {
      await sh(this.inv, node.name, this.config.networks.filter((x) => x.vxlan).map((n) => `ovs-vsctl --if-exists del-br ${n.bridge}`).join(" && "));
    }
  }

  private syncNetwork() {
    const sync = this.config.networks.find((n) => n.role === this.config.hasync.syncNetwork);
    if (!sync) throw new Error("no sync network");
    return sync;
  }

  /** The stack's plan written to each firewall through the providers' write protocol (install + apply). */
  async convergeFirewalls(): Promise<void> {
    await Promise.all(ROLES.map((role) => {
      const items = firewallPlanOf(this.config, this.config.name, role).map((i) => substituteSecrets(i, LAB_SECRETS));
      return submitEdit(this.config.firewalls[role].ssh, {
        label: `lab pair ${role}`,
        edit: (doc) => {
          const schema = schemaOf(doc);
          for (const i of items) applyPlanItem(doc, i, schema);
        },
        secrets: Object.values(LAB_SECRETS),
      });
    }));
  }

  private async convergeFabric(): Promise<void> {
    for (const node of this.config.proxmox.nodes) {
      const cmds: string[] = [];
      for (const n of this.config.networks.filter((x) => x.vxlan)) {
        cmds.push(`ovs-vsctl --if-exists del-br ${n.bridge} -- add-br ${n.bridge} -- set bridge ${n.bridge} datapath_type=netdev`);
        for (const peer of this.config.proxmox.nodes.filter((p) => p !== node)) {
          const port = tunnelPortName(`lab-${n.role}`, peer.name);
          cmds.push(`ovs-vsctl add-port ${n.bridge} ${port} -- set interface ${port} type=vxlan options:remote_ip=${peer.underlayAddress} options:key=${n.vxlan?.key} bfd:enable=true`);
        }
      }
      await sh(this.inv, node.name, cmds.join(" && "));
    }
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

  /** Every BFD session on both nodes up in both directions. */
  private async waitForBfd(): Promise<void> {
    const settled = async (host: string): Promise<boolean> => {
      const out = await sh(this.inv, host, "ovs-vsctl --format=json --columns=bfd_status list interface");
      return out.includes('"remote_state","up"') && !/"(state|remote_state)","(init|down|admin_down)"/.test(out);
    };
    await waitFor(async () => {
      for (const n of this.config.proxmox.nodes) if (!(await settled(n.name))) return false;
      return true;
    }, 20000);
  }
}
