// The one remote script a host batch costs (pure builder and parser; the I/O is in host-batch.ts). Under Proxmox's
// interfaces lock it reads the state, compares it with the state the plan was made from (sha256 of the snapshot
// text: OVS tables, both files, the pending interfaces.new flag), and only if they match applies the one ovs-vsctl
// transaction and writes the files (backup, temp file, rename). Either way it prints the state as it is now, so a
// mismatch costs no extra read: the caller re-plans from what it got.
import { shq } from "../shell/quote";
import { LINKS_SEP, parseSnapshot, snapshotCommand, type HostSnapshot } from "./snapshot";
import { IFUPDOWN2_LOCK, INTERFACES_FILE, PVE_LOCK, TUNNELS_FILE } from "./types";
import { VSCTL_TIMEOUT_EXIT, vsctlTransaction, type VsctlCommand } from "./vsctl";

/** Last version of each file before our write (not under interfaces.d, which ifupdown2 sources). */
const BACKUP_DIR = "/etc/network/.pfsense-ha-backup";
const EXIT_LOCK_BUSY = 75;
/** ifupdown2's lock (held by every ifup/ifreload, e.g. Proxmox's "Apply Configuration") stayed taken. */
const EXIT_IFUPDOWN_BUSY = 76;
const STATUS = "@@pfha-status@@";
/** Only these files are ever written (every path reaching the script is one of these constants). */
const WRITABLE: readonly string[] = [INTERFACES_FILE, TUNNELS_FILE];

export interface FileWrite {
  path: string;
  content: string;
}

export interface BatchScriptInput {
  /** sha256 of the snapshot the plan was made from; undefined = no plan yet (just read). */
  expectedSha?: string;
  commands: VsctlCommand[];
  writes: FileWrite[];
}

export type BatchOutcome =
  | { status: "read" | "changed" | "applied"; sha: string; snapshot: HostSnapshot }
  | { status: "vsctl-failed"; sha: string; snapshot: HostSnapshot; exitCode: number; message: string };

function writeFileLines(w: FileWrite): string[] {
  if (!WRITABLE.includes(w.path)) throw new Error(`refusing to write ${w.path}: not one of ${WRITABLE.join(", ")}`);
  const p = shq(w.path);
  const base = w.path.replace(/^.*\//, "");
  // Temp file and backup live outside interfaces.d: `source /etc/network/interfaces.d/*` would read them as config.
  const tmp = shq(`/etc/network/.pfsense-ha.tmp.${base}`);
  return [
    `mkdir -p "$(dirname ${p})" ${shq(BACKUP_DIR)} || exit 1`,
    `if [ -e ${p} ]; then cp -p ${p} ${shq(`${BACKUP_DIR}/${base}`)} || exit 1; fi`,
    `printf '%s' ${shq(Buffer.from(w.content, "utf8").toString("base64"))} | base64 -d > ${tmp} || exit 1`,
    `chmod 644 ${tmp} && mv -f ${tmp} ${p} || exit 1`,
  ];
}

/** The script, fed to `sh -s` on stdin (no argument-size limit for the embedded files). */
export function batchScript(input: BatchScriptInput): string {
  const snap = snapshotCommand().replace(/^set -e\n/, "");
  const lines = [
    `snap() {\n${snap}\n}`,
    `d=$(mktemp -d) || exit 1`,
    `trap 'rm -rf "$d"' EXIT`,
    // A dropped session (HUP, or PIPE on output) does not stop a change halfway (OVS changed, files not written): the
    // script finishes, and the caller reads the state back after reconnecting. INT/TERM exit through the EXIT trap,
    // so the temp folder is removed on every exit path.
    `trap '' HUP PIPE; trap 'exit 130' INT; trap 'exit 143' TERM`,
    // The state hash leaves the links section out: link state changes on its own.
    `hash() { sed '/^${LINKS_SEP}$/,$d' "$d/s" | sha256sum | cut -c1-64; }`,
    `exec 9>>${shq(PVE_LOCK)}`,
    `flock -w 10 9 || exit ${EXIT_LOCK_BUSY}`,
    `snap > "$d/s" || exit $?`,
    `sha=$(hash)`,
  ];
  const changes = input.commands.length > 0 || input.writes.length > 0;
  if (input.expectedSha === undefined) {
    lines.push(`echo "${STATUS} read $sha"`, `cat "$d/s"`, "exit 0");
    return lines.join("\n") + "\n";
  }
  lines.push(`if [ "$sha" != ${shq(input.expectedSha)} ]; then echo "${STATUS} changed $sha"; cat "$d/s"; exit 0; fi`);
  if (!changes) {
    lines.push(`echo "${STATUS} applied $sha"`, `cat "$d/s"`, "exit 0");
    return lines.join("\n") + "\n";
  }
  // ifupdown2's own lock around the change: an ifreload (Proxmox's Apply) that read the old files cannot run while we
  // change OVS and the files, and one that starts after reads the new files. ifupdown2 takes it non-blocking, so a
  // concurrent Apply fails with "Another instance of this program is already running" instead of undoing our change.
  lines.push(`mkdir -p "$(dirname ${shq(IFUPDOWN2_LOCK)})" && exec 8>>${shq(IFUPDOWN2_LOCK)} && flock -w 30 8 || exit ${EXIT_IFUPDOWN_BUSY}`);
  if (input.commands.length > 0) {
    // A timeout (142) may still have committed: the read-back below decides.
    lines.push(
      `${vsctlTransaction(input.commands)} 2> "$d/err"; rc=$?`,
      `if [ $rc -ne 0 ] && [ $rc -ne ${VSCTL_TIMEOUT_EXIT} ]; then snap > "$d/s" || exit $?; ` +
        `echo "${STATUS} vsctl-failed $(hash) $rc $(tr '\\n' ' ' < "$d/err" | head -c 2000 | base64 -w0)"; cat "$d/s"; exit 0; fi`,
    );
  }
  // A new bridge's internal port starts link-down (Proxmox's GUI shows it "not active" until the next reload).
  for (const c of input.commands) {
    const at = c.indexOf("add-br");
    if (at >= 0 && c[at + 1]) lines.push(`ip link set dev ${shq(c[at + 1])} up 2>/dev/null || true`);
  }
  for (const w of input.writes) lines.push(...writeFileLines(w));
  lines.push(`snap > "$d/s" || exit $?`, `echo "${STATUS} applied $(hash)"`, `cat "$d/s"`);
  return lines.join("\n") + "\n";
}

export function parseBatchOutput(stdout: string): BatchOutcome {
  const nl = stdout.indexOf("\n");
  const head = nl < 0 ? stdout : stdout.slice(0, nl);
  const parts = head.split(" ");
  if (parts[0] !== STATUS || parts.length < 3) throw new Error(`unexpected output of the OVS batch script: ${JSON.stringify(stdout.slice(0, 300))}`);
  const snapshot = parseSnapshot(stdout.slice(nl + 1));
  const status = parts[1];
  const sha = parts[2];
  if (status === "vsctl-failed") {
    return { status, sha, snapshot, exitCode: Number(parts[3]), message: Buffer.from(parts[4] ?? "", "base64").toString("utf8").trim() };
  }
  if (status !== "read" && status !== "changed" && status !== "applied") throw new Error(`unknown OVS batch status ${JSON.stringify(status)}`);
  return { status, sha, snapshot };
}

export { EXIT_LOCK_BUSY, EXIT_IFUPDOWN_BUSY, BACKUP_DIR };
