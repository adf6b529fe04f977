// Per-host batching of OVS operations: the operations on one node that arrive together (the engine creates
// independent resources concurrently) cost ONE remote script: one lock, one state check, one ovs-vsctl transaction,
// one write per file, one read-back. The last state seen is kept per host, so a plan is made without a read first;
// the script applies it only if the host still is in that state (else it returns the current state, and we re-plan).
// Queues and the last state live on globalThis under string keys: each serialized provider loads its own module copy,
// and Pulumi's closure serializer breaks module-level Maps and Symbols.
import { connectHost } from "../ssh";
import type { SshEndpoint, SshHost } from "../ssh/types";
import { planBatch, type FileEdit, type HostOp, type OpPlan } from "./batch-plan";
import { batchScript, EXIT_IFUPDOWN_BUSY, EXIT_LOCK_BUSY, parseBatchOutput, type FileWrite } from "./batch-script";
import { hostIdOf } from "../ssh/endpoint";
import type { HostSnapshot } from "./snapshot";
import { IFUPDOWN2_LOCK, PVE_LOCK } from "./types";
import { VSCTL_TIMEOUT_EXIT, VSCTL_TIMEOUT_S, type VsctlCommand } from "./vsctl";

/** Wait this long after the first operation for others on the same host (the engine issues them within ms). */
const DEBOUNCE_MS = 20;
const MAX_ATTEMPTS = 5;

interface Pending {
  op: HostOp<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

interface HostQueue {
  endpoint: SshEndpoint;
  node: string;
  pending: Pending[];
  timer?: ReturnType<typeof setTimeout>;
  running: boolean;
  /** The last state read from the host and its sha256 as the host computed it. */
  last?: { sha: string; snapshot: HostSnapshot };
}

const STATE_KEY = "__pfsenseHaOvsBatchV1";

function queues(): Record<string, HostQueue> {
  const g = globalThis as unknown as Record<string, Record<string, HostQueue> | undefined>;
  return (g[STATE_KEY] ??= {});
}

/** Queue `op` for the endpoint's host; resolves with op.finish's result or rejects with this op's own error. */
export function submitOvsOp<T>(endpoint: SshEndpoint, node: string, op: HostOp<T>): Promise<T> {
  const key = hostIdOf(endpoint);
  const all = queues();
  const q = (all[key] ??= { endpoint, node, pending: [], running: false });
  q.endpoint = endpoint; // the newest credentials
  return new Promise<T>((resolve, reject) => {
    q.pending.push({ op: op as HostOp<unknown>, resolve: resolve as (v: unknown) => void, reject });
    schedule(q);
  });
}

function schedule(q: HostQueue): void {
  if (q.running || q.timer) return; // flushed when the running batch ends, or by the armed timer
  q.timer = setTimeout(() => void flush(q), DEBOUNCE_MS);
}

async function flush(q: HostQueue): Promise<void> {
  q.timer = undefined;
  const batch = q.pending.splice(0);
  if (batch.length === 0) return;
  q.running = true;
  try {
    const host = await connectHost(q.endpoint);
    await runBatch(host, q, batch);
  } catch (e) {
    q.last = undefined; // the host's state is unknown now
    const err = e instanceof Error ? e : new Error(String(e));
    for (const p of batch) p.reject(err);
  } finally {
    q.running = false;
    if (q.pending.length > 0) schedule(q);
  }
}

/** The SSH session ended (dropped, or our timeout killed it) before the script reported: the outcome is unknown. */
class SessionLost extends Error {}

async function runScript(host: SshHost, q: HostQueue, expectedSha: string | undefined, commands: VsctlCommand[], writes: FileWrite[]) {
  const r = await host.exec("sh -s", { stdin: batchScript({ expectedSha, commands, writes }), timeoutMs: 90000 });
  if (r.timedOut) throw new SessionLost(`${q.node}: the OVS batch script did not finish within 90 s`);
  if (r.code === 255 && !r.stdout.startsWith("@@pfha-status@@")) throw new SessionLost(`${q.node}: the SSH session ended before the OVS batch script reported`);
  if (r.code === VSCTL_TIMEOUT_EXIT || /Alarm clock/.test(r.stderr)) {
    throw new Error(
      `${q.node}: ovs-vsctl got no answer from ovsdb-server/ovs-vswitchd within ${VSCTL_TIMEOUT_S} s (Open vSwitch on ${q.node} is hung or not running). ` +
        `Check \`systemctl status openvswitch-switch\` on ${q.node}, then run again (the next run reads the state first)`,
    );
  }
  if (r.code === 127 && /ovs-vsctl/.test(r.stderr)) {
    throw new Error(`${q.node}: Open vSwitch is not installed (no ovs-vsctl). Install it on the node: apt install openvswitch-switch`);
  }
  if (r.code === EXIT_LOCK_BUSY) throw new Error(`${q.node}: ${PVE_LOCK} stayed locked for 10 s (a Proxmox network edit in progress?); run again`);
  if (r.code === EXIT_IFUPDOWN_BUSY) {
    throw new Error(`${q.node}: ifupdown2's lock ${IFUPDOWN2_LOCK} stayed taken for 30 s (an ifreload/Apply Configuration still running?); nothing was changed, run again`);
  }
  if (r.code !== 0) throw new Error(`${q.node}: OVS batch script failed (exit ${r.code}): ${r.stderr.trim().slice(0, 2000)}`);
  const out = parseBatchOutput(r.stdout);
  q.last = { sha: out.sha, snapshot: out.snapshot };
  return out;
}

function settle(items: Pending[], after: HostSnapshot): void {
  for (const p of items) {
    try {
      p.resolve(p.op.finish(after));
    } catch (e) {
      p.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }
}

async function runBatch(host: SshHost, q: HostQueue, batch: Pending[]): Promise<void> {
  const readers = batch.filter((p) => !p.op.plan);
  let writers = batch.filter((p) => p.op.plan);
  if (writers.length === 0) {
    settle(readers, (await runScript(host, q, undefined, [], [])).snapshot);
    return;
  }
  // The state kept from an earlier batch may be stale: a refusal made from it is confirmed on a fresh read first.
  let fresh = false;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (!q.last) fresh = true;
    const base = q.last ?? (await runScript(host, q, undefined, [], []));
    const { planned, refused, commands, writes } = planBatch(base.snapshot, writers);
    if (refused.length > 0 && !fresh) {
      q.last = undefined;
      continue;
    }
    for (const { item, error } of refused) item.reject(error);
    if (planned.length === 0) {
      settle(readers, base.snapshot);
      return;
    }
    let out;
    try {
      out = await runScript(host, q, base.sha, commands, writes);
    } catch (e) {
      if (!(e instanceof SessionLost)) throw e;
      await settleAfterLostSession(q, e, planned.map((x) => x.item), readers);
      return;
    }
    if (out.status === "changed") {
      writers = planned.map((x) => x.item); // the host moved on: re-plan from the state the script returned
      fresh = true;
      continue;
    }
    if (out.status === "vsctl-failed") {
      if (planned.length === 1) {
        planned[0].item.reject(new Error(`${q.node}: ovs-vsctl transaction failed (exit ${out.exitCode}): ${out.message}`));
      } else {
        // The transaction is atomic, so nothing changed: run each op alone to pin the failure on its own op.
        for (const x of planned) await runBatch(host, q, [x.item]);
      }
      settle(readers, q.last!.snapshot);
      return;
    }
    settle([...planned.map((x) => x.item), ...readers], out.snapshot);
    return;
  }
  const err = new Error(`${q.node}: the OVS state kept changing under us (${MAX_ATTEMPTS} attempts); run again`);
  for (const p of [...writers, ...readers]) p.reject(err);
}

/**
 * The session ended while the change ran: reconnect, read the node back and tell each operation whether its change is
 * there (finish() accepts the state read back: it was applied, and the operation succeeds) or not.
 */
async function settleAfterLostSession(q: HostQueue, lost: Error, writers: Pending[], readers: Pending[]): Promise<void> {
  q.last = undefined;
  let after: HostSnapshot;
  try {
    const again = await connectHost(q.endpoint);
    after = (await runScript(again, q, undefined, [], [])).snapshot;
  } catch (e) {
    const err = new Error(
      `${lost.message}; reconnecting to read the state back failed (${e instanceof Error ? e.message : String(e)}): ` +
        `whether the change was applied is unknown. Run \`pulumi refresh\`, then \`pulumi up\` again`,
    );
    for (const p of [...writers, ...readers]) p.reject(err);
    return;
  }
  for (const p of writers) {
    try {
      p.resolve(p.op.finish(after));
    } catch (e) {
      p.reject(new Error(`${lost.message}; read back after reconnecting: the change was not applied (${e instanceof Error ? e.message : String(e)}). Run again`));
    }
  }
  settle(readers, after);
}

/** Tests: forget the last state seen on every host (the next batch reads first). */
export function forgetOvsState(): void {
  for (const q of Object.values(queues())) q.last = undefined;
}

export type { FileEdit, HostOp, OpPlan };
