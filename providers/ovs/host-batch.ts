// Per-host batching of OVS operations (providers/ssh/batcher.ts): the operations on one node that arrive together
// (the engine creates independent resources concurrently) cost ONE remote script: one lock, one state check, one
// ovs-vsctl transaction, one write per file, one read-back. The last state seen is kept per host, so a plan is made
// without a read first; the script applies it only if the host still is in that state (else it returns the current
// state, and we re-plan). The last state lives on globalThis under a string key, like the batcher's queues: a provider
// module may be loaded several times in one process.
import { connectHost } from "../ssh";
import { submitToHost, type HostBatch, type HostBatcher } from "../ssh/batcher";
import type { SshEndpoint, SshHost } from "../ssh/types";
import { planBatch, type FileEdit, type HostOp, type OpPlan } from "./batch-plan";
import { batchScript, EXIT_IFUPDOWN_BUSY, EXIT_LOCK_BUSY, parseBatchOutput, type FileWrite } from "./batch-script";
import type { HostSnapshot } from "./snapshot";
import { IFUPDOWN2_LOCK, PVE_LOCK } from "./types";
import { VSCTL_TIMEOUT_EXIT, VSCTL_TIMEOUT_S, type VsctlCommand } from "./vsctl";

const MAX_ATTEMPTS = 5;

/** One submitted operation: the node it runs on (named in errors) and the operation. */
interface OvsItem {
  node: string;
  op: HostOp<unknown>;
}

interface Pending {
  op: HostOp<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

/** One host's batch in progress: where it runs, and the last state read from the host (with the host's sha256). */
interface HostRun {
  endpoint: SshEndpoint;
  node: string;
  last?: { sha: string; snapshot: HostSnapshot };
}

const LAST_STATE_KEY = "__pfsenseHaOvsLastStateV1";

function lastStates(): Record<string, HostRun["last"]> {
  const g = globalThis as unknown as Record<string, Record<string, HostRun["last"]> | undefined>;
  return (g[LAST_STATE_KEY] ??= {});
}

const ovsOps: HostBatcher<OvsItem, unknown> = {
  key: "__pfsenseHaOvsBatchesV2",
  // A batch here costs one script of ~50 ms (a config.xml batch ~1 s): a shorter wait for stragglers pays off.
  settleMs: 20,
  run: async ({ hostId, endpoint, host, items }: HostBatch<OvsItem, unknown>) => {
    const q: HostRun = { endpoint, node: items[0].input.node, last: lastStates()[hostId] };
    try {
      await runBatch(host, q, items.map((i) => ({ op: i.input.op, resolve: i.resolve, reject: i.reject })));
    } catch (e) {
      q.last = undefined; // the host's state is unknown now
      throw e;
    } finally {
      lastStates()[hostId] = q.last;
    }
  },
};

/** Queue `op` for the endpoint's host; resolves with op.finish's result or rejects with this op's own error. */
export function submitOvsOp<T>(endpoint: SshEndpoint, node: string, op: HostOp<T>): Promise<T> {
  return submitToHost(ovsOps, endpoint, { node, op }) as Promise<T>;
}

/** The SSH session ended (dropped, or our timeout killed it) before the script reported: the outcome is unknown. */
class SessionLost extends Error {}

async function runScript(host: SshHost, q: HostRun, expectedSha: string | undefined, commands: VsctlCommand[], writes: FileWrite[]) {
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

async function runBatch(host: SshHost, q: HostRun, batch: Pending[]): Promise<void> {
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
async function settleAfterLostSession(q: HostRun, lost: Error, writers: Pending[], readers: Pending[]): Promise<void> {
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
  const all = lastStates();
  for (const k of Object.keys(all)) delete all[k];
}

export type { FileEdit, HostOp, OpPlan };
