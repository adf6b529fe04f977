// Reads the local lab's inventory (written by `lab/lab.sh up`) and reaches its hosts without SSH.
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { SshEndpoint } from "../providers/ssh/types";

export type LabRole = "proxmox" | "pfsense";

export interface LabHost {
  role: LabRole;
  netns: string;
  address: string;
  port: number;
  username: string;
  hostKeySha256: string;
  /** Proxmox stand-ins only: the VXLAN tunnel endpoint on the OVS bridge `underlayBridge`. */
  underlayAddress?: string;
  underlayBridge?: string;
  /** The host's root (overlayfs) as seen from the machine. */
  rootDir: string;
  /** The file holding the host's mount namespace (for nsenter --mount). */
  mountNs: string;
  /** The file holding the host's UTS namespace (its own hostname). */
  utsNs?: string;
}

export interface LabInventory {
  id: number;
  stateDir: string;
  clientKeyPath: string;
  operatorAddress: string;
  hosts: Record<string, LabHost>;
}

export interface LabExecOptions {
  /** Data written to the script's stdin, then EOF. */
  stdin?: string | Buffer;
  /** Kill the script after this long; default 60000. */
  timeoutMs?: number;
}

export interface LabExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The lab id from PFHA_LAB_ID (default 0), validated. */
export function labIdFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.PFHA_LAB_ID ?? "0";
  if (!/^[0-9]{1,2}$/.test(raw) || Number(raw) > 63) {
    throw new Error(`PFHA_LAB_ID='${raw}' is not an integer 0..63: set e.g. PFHA_LAB_ID=0`);
  }
  return Number(raw);
}

/** Where `lab.sh` keeps instance `id`'s state (lab/.state/lab<id>/), also when this file runs compiled from dist/. */
export function labStateDir(id: number): string {
  const candidates = [path.join(__dirname, ".state"), path.join(__dirname, "..", "..", "lab", ".state")];
  const base = candidates.find((c) => fs.existsSync(c)) ?? candidates[0];
  return path.join(base, `lab${id}`);
}

function requireField(obj: Record<string, unknown>, key: string, type: string, where: string): void {
  if (typeof obj[key] !== type) {
    throw new Error(`lab inventory ${where}.${key} is ${JSON.stringify(obj[key])}, expected a ${type}: re-run lab.sh up`);
  }
}

/** Parse and check an inventory document (pure). */
export function parseInventory(text: string, source: string): LabInventory {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`lab inventory ${source} is not valid JSON (${(e as Error).message}): re-run lab.sh up`, {
      cause: e,
    });
  }
  if (typeof doc !== "object" || doc === null) throw new Error(`lab inventory ${source} is not an object`);
  const top = doc as Record<string, unknown>;
  requireField(top, "id", "number", "");
  for (const k of ["stateDir", "clientKeyPath", "operatorAddress"]) requireField(top, k, "string", "");
  requireField(top, "hosts", "object", "");
  const hosts = top.hosts as Record<string, Record<string, unknown>>;
  for (const [name, h] of Object.entries(hosts)) {
    for (const k of ["role", "netns", "address", "username", "hostKeySha256", "rootDir", "mountNs"]) {
      requireField(h, k, "string", `hosts.${name}`);
    }
    requireField(h, "port", "number", `hosts.${name}`);
  }
  return doc as LabInventory;
}

/** Load lab `id`'s inventory (default: PFHA_LAB_ID or 0). */
export function loadInventory(id: number = labIdFromEnv()): LabInventory {
  const file = path.join(labStateDir(id), "inventory.json");
  if (!fs.existsSync(file)) {
    throw new Error(`lab ${id} is not up: run \`PFHA_LAB_ID=${id} npm run lab -- up\``);
  }
  return parseInventory(fs.readFileSync(file, "utf8"), file);
}

/**
 * The lab's Proxmox nodes in order (pve1, pve2, …, pve10): two by default, `PFHA_LAB_NODES=k npm run lab -- up` for k.
 * Each has its own mgmt address (10.250.(2N).(10+i)), underlay address (10.250.(2N+1).(10+i)), sshd and OVS.
 */
export function labProxmoxNodes(inv: LabInventory): string[] {
  return Object.keys(inv.hosts)
    .filter((h) => inv.hosts[h].role === "proxmox")
    .sort((a, b) => Number(a.replace(/\D/g, "")) - Number(b.replace(/\D/g, "")) || a.localeCompare(b));
}

function hostOf(inv: LabInventory, hostName: string): LabHost {
  const h = inv.hosts[hostName];
  if (!h) {
    throw new Error(`lab ${inv.id} has no host '${hostName}': use one of ${Object.keys(inv.hosts).join(", ")}`);
  }
  return h;
}

/** How the SSH transport reaches a lab host: the lab client key and the pinned host key. */
export function sshEndpointOf(host: LabHost, inv: LabInventory): SshEndpoint {
  return {
    host: host.address,
    port: host.port,
    username: host.username,
    hostKeySha256: host.hostKeySha256,
    privateKeyPath: inv.clientKeyPath,
  };
}

/** Path of file `p` (absolute, inside the host) as seen from the machine. */
export function hostPath(inv: LabInventory, hostName: string, p: string): string {
  if (!p.startsWith("/")) throw new Error(`hostPath: '${p}' is not absolute: pass a path like /cf/conf/config.xml`);
  return path.join(hostOf(inv, hostName).rootDir, p);
}

/** The argv that runs `sh -c script` inside a host (its netns + mount ns, chrooted, clean environment). */
export function labExecArgv(inv: LabInventory, hostName: string, script: string): string[] {
  const h = hostOf(inv, hostName);
  return [
    `--net=/run/netns/${h.netns}`,
    `--mount=${h.mountNs}`,
    ...(h.utsNs ? [`--uts=${h.utsNs}`] : []),
    "chroot",
    h.rootDir,
    "/usr/bin/env",
    "-i",
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME=/root",
    "LANG=C.UTF-8",
    "/bin/sh",
    "-c",
    script,
  ];
}

/**
 * `sh -c script` inside a lab host (labExec): its stdout, or an error naming the host, the script, the exit code and
 * stderr. The one way tests run a command on a lab host when they only need its output.
 */
export async function labSh(inv: LabInventory, hostName: string, script: string, timeoutMs = 120000): Promise<string> {
  const r = await labExec(inv, hostName, script, { timeoutMs });
  if (r.code !== 0) throw new Error(`${hostName}: ${script}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** Run `sh -c script` inside a lab host without SSH (tests use it to arrange and inspect host state). */
export function labExec(
  inv: LabInventory,
  hostName: string,
  script: string,
  opts: LabExecOptions = {},
): Promise<LabExecResult> {
  const argv = labExecArgv(inv, hostName, script);
  return new Promise((resolve, reject) => {
    const child = spawn("nsenter", argv, { stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60000);
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(new Error(`labExec on ${hostName}: cannot run nsenter (${e.message}): run as root with util-linux`));
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 255, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") });
    });
    // A command that exits without reading its stdin closes the pipe: EPIPE there is not an error of ours.
    child.stdin.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code !== "EPIPE") reject(e);
    });
    child.stdin.end(opts.stdin ?? "");
  });
}
