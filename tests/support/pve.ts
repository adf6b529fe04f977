// Proxmox VE's own /etc/network/interfaces reader/writer on a lab node, driven like the GUI/API
// (tests/support/pve/pve-net.pl). The Proxmox code is pve-common, unmodified, from an upstream tree outside the
// repository: `PFHA_PVE_COMMON_8` / `PFHA_PVE_COMMON_9` (a pve-common checkout), else `../shared/upstream/pve-common-N`
// next to the project, else a pinned `git clone` into lab/.state/upstream when the network allows. Without any of
// them the tests fail with a message saying what to provide.
import { spawnSync } from "child_process";
import { cpSync, existsSync, mkdirSync, rmSync } from "fs";
import * as path from "path";
import { hostPath, labExec, type LabInventory } from "../../lab/inventory";

export type PveVersion = 8 | 9;
export const PVE_VERSIONS: readonly PveVersion[] = [8, 9];

const ROOT = path.resolve(__dirname, "../..");
/** The pve-common commits the tests were written against (PVE 8: stable-bookworm 8.3.8, PVE 9: master 9.2.1). */
export const PVE_COMMON_PIN: Record<PveVersion, { ref: string; commit: string; file: string }> = {
  8: { ref: "stable-bookworm", commit: "91962804ffce2cdb70261f03b2df5c0b7a0a2c4d", file: "src/PVE/INotify.pm" },
  9: { ref: "master", commit: "f665029eac78022e81810ab2e44eace57ade13fb", file: "src/PVE/Network/Interfaces.pm" },
};
const REPO = "https://github.com/proxmox/pve-common.git";

function tryClone(v: PveVersion, dir: string): boolean {
  const pin = PVE_COMMON_PIN[v];
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const run = (args: string[]) => spawnSync("git", args, { cwd: dir, timeout: 120000, stdio: "ignore" }).status === 0;
  return run(["init", "-q"]) && run(["fetch", "-q", "--depth=1", REPO, pin.commit]) && run(["checkout", "-q", "FETCH_HEAD"]);
}

/** The pve-common tree (its root, holding src/) for version v. Throws with what to provide when there is none. */
export function pveCommonTree(v: PveVersion): string {
  const pin = PVE_COMMON_PIN[v];
  const candidates = [process.env[`PFHA_PVE_COMMON_${v}`], path.resolve(ROOT, "..", "shared", "upstream", `pve-common-${v}`)];
  for (const c of candidates) if (c && existsSync(path.join(c, pin.file))) return c;
  const cloned = path.join(ROOT, "lab", ".state", "upstream", `pve-common-${v}`);
  if (existsSync(path.join(cloned, pin.file)) || (tryClone(v, cloned) && existsSync(path.join(cloned, pin.file)))) return cloned;
  throw new Error(
    `Proxmox's pve-common ${v} tree is missing (needed to test with Proxmox's own /etc/network/interfaces reader/writer). ` +
      `Provide it: git clone ${REPO} && git -C pve-common checkout ${pin.commit} (${pin.ref}), then set ` +
      `PFHA_PVE_COMMON_${v}=<that folder>, or put it at ../shared/upstream/pve-common-${v} next to the project.`,
  );
}

/** Where the driver, the stubs and the pve-common src live inside a lab node (copied in: the node's root is an overlay). */
const IN_NODE = "/opt/pfsense-ha-test/pve";

/** Copy the driver, the stubs and both pve-common trees into the node (once per test file is enough). */
export function installPveTools(inv: LabInventory, host: string): void {
  const dest = hostPath(inv, host, IN_NODE);
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  cpSync(path.join(ROOT, "tests", "support", "pve"), dest, { recursive: true });
  for (const v of PVE_VERSIONS) cpSync(path.join(pveCommonTree(v), "src"), path.join(dest, `pve-common-${v}`), { recursive: true });
}

export interface PveResult {
  code: number;
  stdout: string;
  stderr: string;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Run the driver on a node: `pve(inv, "pve1", 9, "create", "mgmt0", JSON.stringify({...}))`. */
export async function pve(inv: LabInventory, host: string, v: PveVersion, ...args: string[]): Promise<PveResult> {
  const cmd = `perl -I ${IN_NODE}/stubs -I ${IN_NODE}/pve-common-${v} ${IN_NODE}/pve-net.pl ${v} ${args.map(q).join(" ")}`;
  return labExec(inv, host, cmd, { timeoutMs: 120000 });
}

/** Like pve(), but throws unless the driver exited 0. */
export async function pveOk(inv: LabInventory, host: string, v: PveVersion, ...args: string[]): Promise<string> {
  const r = await pve(inv, host, v, ...args);
  if (r.code !== 0) throw new Error(`pve-net.pl ${v} ${args.join(" ")} on ${host} -> ${r.code}: ${r.stderr}`);
  return r.stdout;
}

export interface PveIface {
  type?: string;
  ovs_type?: string;
  ovs_ports?: string;
  ovs_bridge?: string;
  ovs_options?: string;
  ovs_tag?: string;
  address?: string;
  mtu?: string;
  [k: string]: unknown;
}

/** Proxmox's view of the node's network config (interfaces.new when staged, as the GUI reads it). */
export async function pveRead(inv: LabInventory, host: string, v: PveVersion, file?: string): Promise<Record<string, PveIface>> {
  const out = await pveOk(inv, host, v, "read", ...(file ? [file] : []));
  return (JSON.parse(out) as { ifaces: Record<string, PveIface> }).ifaces;
}
