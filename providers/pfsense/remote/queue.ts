// Per-host batching: edits submitted close together (the engine creates many resources concurrently) are
// written as one batch. The queue lives on globalThis because a serialized provider module may be loaded
// several times in one process. Batches on one host never overlap.
import { connectHost, registerSecret } from "../../ssh";
import { endpointLabel, hostIdOf } from "../../ssh";
import type { SshEndpoint } from "../../ssh/types";
import { runBatch } from "./session";
import type { BatchStats, ConfigEdit, ProtocolHooks } from "./types";

export const DEBOUNCE_MS = 60;

interface Pending {
  edit: ConfigEdit;
  resolve: (version: string) => void;
  reject: (e: Error) => void;
}

interface HostQueue {
  endpoint: SshEndpoint;
  pending: Pending[];
  timer?: ReturnType<typeof setTimeout>;
  running: boolean;
}

interface ProtocolState {
  queues: Map<string, HostQueue>;
  stats: BatchStats;
  hooks: ProtocolHooks;
  /** false = every edit is its own batch (benchmark baseline). */
  batching: boolean;
}

// A string key, not a Symbol: the closure serializer cannot capture symbols correctly.
const KEY = "__pfsenseHaPfsenseRemoteV1";

export function protocolState(): ProtocolState {
  const g = globalThis as unknown as Record<string, ProtocolState | undefined>;
  let s = g[KEY];
  if (!s) {
    s = { queues: new Map(), stats: { batches: 0, installs: 0, applies: 0, conflicts: 0, reapplies: 0, roundTrips: 0 }, hooks: {}, batching: true };
    g[KEY] = s;
  }
  return s;
}

/** Queue one edit for the host; resolves with the config version written, or rejects with this edit's own error. */
export function submitEdit(endpoint: SshEndpoint, edit: ConfigEdit): Promise<string> {
  for (const s of edit.secrets ?? []) registerSecret(s);
  const state = protocolState();
  const key = hostIdOf(endpoint);
  let q = state.queues.get(key);
  if (!q) {
    q = { endpoint, pending: [], running: false };
    state.queues.set(key, q);
  }
  const queue = q;
  return new Promise<string>((resolve, reject) => {
    queue.pending.push({ edit, resolve, reject });
    schedule(key, queue);
  });
}

function schedule(key: string, q: HostQueue): void {
  if (q.running) return; // flushed when the running batch ends
  if (q.timer) clearTimeout(q.timer);
  q.timer = setTimeout(() => void flush(key, q), DEBOUNCE_MS);
}

async function flush(key: string, q: HostQueue): Promise<void> {
  q.timer = undefined;
  const state = protocolState();
  const batch = state.batching ? q.pending.splice(0) : q.pending.splice(0, 1);
  if (batch.length === 0) return;
  q.running = true;
  try {
    let host;
    try {
      host = await connectHost(q.endpoint);
    } catch (e) {
      for (const p of batch) p.reject(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    const outcomes = await runBatch(host, batch.map((p) => p.edit), {
      hostKey: key,
      hostLabel: endpointLabel(q.endpoint),
      hooks: state.hooks,
      stats: state.stats,
    });
    outcomes.forEach((o, i) => (o.ok ? batch[i].resolve(o.version) : batch[i].reject(o.error)));
  } finally {
    q.running = false;
    if (q.pending.length > 0) schedule(key, q);
  }
}

/** Counters since the process started (or the last reset). */
export function protocolStats(): BatchStats {
  return { ...protocolState().stats };
}

export function resetProtocolStats(): void {
  Object.assign(protocolState().stats, { batches: 0, installs: 0, applies: 0, conflicts: 0, reapplies: 0, roundTrips: 0 });
}

/** Tests and benchmarks only. */
export function setProtocolHooks(hooks: ProtocolHooks): void {
  protocolState().hooks = hooks;
}

export function setBatching(on: boolean): void {
  protocolState().batching = on;
}
