// Per-host batching, one rule for every kind of remote work (OVS fabric changes on a Proxmox node, config.xml edits
// on a firewall). The engine creates independent resources concurrently, so the operations on one host arrive within
// milliseconds of each other; each host's operations are gathered and handed to the kind's `run` as ONE batch, over
// ONE pooled SSH connection, and the batch settles each item with its own result or its own error.
//
// The rule: a batch starts when no new item has arrived for `settleMs` (each arrival restarts the wait), and at the
// latest `maxWaitMs` after its first item (a steady stream cannot hold a batch back). Only the window's length is
// the kind's: what a batch costs (an OVS script ~50 ms, a config.xml install + apply ~1 s) bounds what waiting may. Items are keyed by the host's
// one identity (hostIdOf: address and port, whatever user reaches it), so two batches on one host never overlap:
// items that arrive while a batch runs wait for it and form the next batch.
//
// The queues live on globalThis under the batcher's key (a string, not a Symbol, and no module-level Map: a provider
// module may be loaded several times in one process, and every copy must share one queue per host).
import { connectHost } from "./index";
import { hostIdOf } from "./endpoint";
import type { SshEndpoint, SshHost } from "./types";

/** One submitted item of a batch; `run` settles each one exactly once (later calls are ignored). */
export interface BatchItem<I, R> {
  readonly input: I;
  resolve(result: R): void;
  reject(error: Error): void;
}

/** What a batcher's `run` receives: the host, connected, and the items gathered for it. */
export interface HostBatch<I, R> {
  /** hostIdOf(endpoint): the key the items were gathered under. */
  hostId: string;
  /** The endpoint of the newest item (the newest credentials for the host). */
  endpoint: SshEndpoint;
  host: SshHost;
  items: BatchItem<I, R>[];
}

export interface HostBatcher<I, R> {
  /** The globalThis key of this batcher's queues; unique per kind of work, versioned ("...V1"). */
  key: string;
  /**
   * Runs one batch and settles its items. A throw fails every item not settled yet with that error; an item left
   * unsettled when run returns fails with an error saying so.
   */
  run(batch: HostBatch<I, R>): Promise<void>;
  /** Items taken into one batch at most (read when a batch starts; default: all waiting). */
  maxItems?(): number;
  /** Test seam: how the host is reached (default: the SSH pool's connectHost). */
  connect?(endpoint: SshEndpoint): Promise<SshHost>;
  /** The settle window of this kind of work (default SETTLE_MS): shorter where a batch itself is cheap. */
  settleMs?: number;
  /** The longest wait after a batch's first item (default MAX_WAIT_MS). */
  maxWaitMs?: number;
}

/**
 * A batch starts this long after the last item that joined it. It covers the engine's spread of concurrent calls on
 * one host (resource registrations resolve, the provider host deserializes each call): measured in the lab, 100
 * concurrent pfSense creates arrive within it as one batch.
 */
const SETTLE_MS = 60;
/** ...and at the latest this long after its first item. */
const MAX_WAIT_MS = 1000;

interface Waiting<I, R> {
  item: BatchItem<I, R>;
  endpoint: SshEndpoint;
}

interface HostQueue<I, R> {
  waiting: Waiting<I, R>[];
  /** Arrival times (Date.now()) of the first and the last waiting item. */
  firstAt: number;
  lastAt: number;
  timer?: ReturnType<typeof setTimeout>;
  running: boolean;
}

function queuesOf<I, R>(key: string): Record<string, HostQueue<I, R>> {
  const g = globalThis as unknown as Record<string, Record<string, HostQueue<I, R>> | undefined>;
  return (g[key] ??= {});
}

/** Queue `input` for the endpoint's host; resolves with the result `run` gives it, or rejects with its own error. */
export function submitToHost<I, R>(batcher: HostBatcher<I, R>, endpoint: SshEndpoint, input: I): Promise<R> {
  const hostId = hostIdOf(endpoint);
  const queues = queuesOf<I, R>(batcher.key);
  const q = (queues[hostId] ??= { waiting: [], firstAt: 0, lastAt: 0, running: false });
  return new Promise<R>((resolve, reject) => {
    let settled = false;
    const item: BatchItem<I, R> = {
      input,
      resolve: (r) => {
        if (settled) return;
        settled = true;
        resolve(r);
      },
      reject: (e) => {
        if (settled) return;
        settled = true;
        reject(e);
      },
    };
    const now = Date.now();
    if (q.waiting.length === 0) q.firstAt = now;
    q.lastAt = now;
    q.waiting.push({ item, endpoint });
    arm(batcher, hostId, q);
  });
}

function arm<I, R>(batcher: HostBatcher<I, R>, hostId: string, q: HostQueue<I, R>): void {
  if (q.running || q.waiting.length === 0) return; // armed again when the running batch ends
  if (q.timer) clearTimeout(q.timer);
  q.timer = undefined;
  const due = Math.min(q.lastAt + (batcher.settleMs ?? SETTLE_MS), q.firstAt + (batcher.maxWaitMs ?? MAX_WAIT_MS));
  const wait = due - Date.now();
  // Items that waited out their window while a batch ran start at once (a 0 ms timer would still wait 1 ms).
  if (wait <= 0) void flush(batcher, hostId, q);
  else q.timer = setTimeout(() => void flush(batcher, hostId, q), wait);
}

async function flush<I, R>(batcher: HostBatcher<I, R>, hostId: string, q: HostQueue<I, R>): Promise<void> {
  q.timer = undefined;
  const max = Math.max(1, batcher.maxItems?.() ?? Infinity);
  const taken = q.waiting.splice(0, max);
  if (taken.length === 0) return;
  const items = taken.map((w) => w.item);
  const endpoint = taken[taken.length - 1].endpoint;
  q.running = true;
  try {
    const host = await (batcher.connect ?? connectHost)(endpoint);
    await batcher.run({ hostId, endpoint, host, items });
    const unsettled = new Error(`${hostId}: the batch ended without a result for this item (a bug in pfsense-ha; run again)`);
    for (const item of items) item.reject(unsettled); // no-op for every settled item
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    for (const item of items) item.reject(err);
  } finally {
    q.running = false;
    arm(batcher, hostId, q);
  }
}
