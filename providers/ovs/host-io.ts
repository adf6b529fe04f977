// The thin I/O shell around the pure core: per-host serialization, the state read, one vsctl transaction, guarded
// file writes under Proxmox's lock.
import { createHash } from "crypto";
import { shq } from "../shell/quote";
import type { SshHost } from "../ssh/types";
import { parseSnapshot, snapshotCommand, type HostSnapshot } from "./snapshot";
import { VSCTL_TIMEOUT_EXIT, vsctlTransaction, type VsctlCommand } from "./vsctl";
import { INTERFACES_NEW, PVE_LOCK } from "./types";

// One queue per host for the whole process: several resources on one node in one `pulumi up` must not interleave
// their read-modify-write of the same files. On globalThis because each serialized provider loads its own module copy.
// A string key: Pulumi's closure serializer cannot capture a Symbol.for(...) value.
const QUEUE_KEY = "__pfsenseHaOvsHostQueues";
type Queues = Map<string, Promise<unknown>>;
function queues(): Queues {
  const g = globalThis as unknown as Record<string, Queues | undefined>;
  return (g[QUEUE_KEY] ??= new Map());
}

export function withHostQueue<T>(hostKey: string, fn: () => Promise<T>): Promise<T> {
  const q = queues();
  const prev = q.get(hostKey) ?? Promise.resolve();
  const next = prev.then(fn, fn);
  q.set(hostKey, next.catch(() => undefined));
  return next;
}

export async function readSnapshot(host: SshHost): Promise<HostSnapshot> {
  return parseSnapshot(await host.run(snapshotCommand(), { timeoutMs: 30000 }));
}

/** Run one transaction. A timeout (142) may still have committed: the caller always re-reads and verifies. */
export async function applyTransaction(host: SshHost, commands: VsctlCommand[]): Promise<void> {
  if (commands.length === 0) return;
  const r = await host.exec(vsctlTransaction(commands), { timeoutMs: 60000 });
  if (r.code !== 0 && r.code !== VSCTL_TIMEOUT_EXIT) {
    throw new Error(`ovs-vsctl transaction failed on ${host.endpoint.host} (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
  }
}

export function sha256(text: string | undefined): string {
  return text === undefined ? "absent" : createHash("sha256").update(text, "utf8").digest("hex");
}

/** Last version of each file before our write (not under interfaces.d, which ifupdown2 sources). */
export const BACKUP_DIR = "/etc/network/.pfsense-ha-backup";

export const EXIT_LOCK_BUSY = 75;
export const EXIT_PENDING = 76;
export const EXIT_CHANGED = 77;

/**
 * Write `path` atomically under /etc/network/.pve-interfaces.lock (the flock Proxmox's API takes), only if it still
 * has the content we read (compare-and-swap on its sha256), keeping a copy in BACKUP_DIR. With refuseIfPending,
 * a staged /etc/network/interfaces.new (GUI edits not yet applied) makes it refuse rather than lose either file.
 */
export function guardedWriteScript(path: string, expectedSha: string, refuseIfPending: boolean): string {
  const p = shq(path);
  // Temp file and backup live outside interfaces.d: `source /etc/network/interfaces.d/*` would read them as config.
  const base = path.replace(/^.*\//, "");
  const tmp = shq(`/etc/network/.pfsense-ha.tmp.${base}`);
  const bak = shq(`${BACKUP_DIR}/${base}`);
  return [
    "set -e",
    `mkdir -p "$(dirname ${p})"`,
    `exec 9>>${shq(PVE_LOCK)}`,
    `flock -w 10 9 || exit ${EXIT_LOCK_BUSY}`,
    refuseIfPending ? `if [ -e ${shq(INTERFACES_NEW)} ]; then exit ${EXIT_PENDING}; fi` : ":",
    `if [ -e ${p} ]; then cur=$(sha256sum ${p} | cut -c1-64); else cur=absent; fi`,
    `[ "$cur" = ${shq(expectedSha)} ] || exit ${EXIT_CHANGED}`,
    `mkdir -p ${shq(BACKUP_DIR)}`,
    `if [ -e ${p} ]; then cp -p ${p} ${bak}; fi`,
    `cat > ${tmp}`,
    `chmod 644 ${tmp}`,
    `mv -f ${tmp} ${p}`,
  ].join("\n");
}

export function pendingChangesError(node: string): Error {
  return new Error(
    `${node}: Proxmox has pending network changes in ${INTERFACES_NEW} (edited in the GUI/API but not applied). ` +
      `Refusing to edit /etc/network/interfaces, which would lose either those changes or ours. ` +
      `Fix: apply them (Node → Network → Apply Configuration) or revert them, then run again.`,
  );
}

async function readRemote(host: SshHost, path: string): Promise<string | undefined> {
  const r = await host.exec(`if [ -e ${shq(path)} ]; then printf 'present '; base64 -w0 ${shq(path)}; fi`);
  if (r.code !== 0) throw new Error(`reading ${path} failed: ${r.stderr.trim()}`);
  const t = r.stdout.trim();
  return t.startsWith("present") ? Buffer.from(t.slice(7).trim(), "base64").toString("utf8") : undefined;
}

/**
 * Read-modify-write of one file: `edit` maps the current text to the new text (undefined = nothing to write).
 * Retries from a fresh read when another writer got there first. Returns whether it wrote.
 */
export async function editRemoteFile(
  host: SshHost,
  node: string,
  path: string,
  current: string | undefined,
  edit: (text: string) => string | undefined,
  refuseIfPending: boolean,
): Promise<boolean> {
  let text = current;
  for (let attempt = 0; attempt < 5; attempt++) {
    const next = edit(text ?? "");
    if (next === undefined || next === text) return false;
    const r = await host.exec(guardedWriteScript(path, sha256(text), refuseIfPending), { stdin: next });
    if (r.code === 0) return true;
    if (r.code === EXIT_PENDING) throw pendingChangesError(node);
    if (r.code === EXIT_LOCK_BUSY) throw new Error(`${node}: ${PVE_LOCK} stayed locked for 10 s (a Proxmox network edit in progress?); run again`);
    if (r.code !== EXIT_CHANGED) throw new Error(`${node}: writing ${path} failed (exit ${r.code}): ${r.stderr.trim()}`);
    text = await readRemote(host, path);
  }
  throw new Error(`${node}: ${path} kept changing under us (5 attempts); run again`);
}
