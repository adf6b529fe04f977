// Per-host batching of config.xml edits (providers/ssh/batcher.ts): the edits submitted for one firewall close
// together (the engine creates many resources concurrently) are written as one batch: one install, one apply.
// Stats, hooks and the batching switch live on globalThis because a provider module may be loaded several times in
// one process.
import { endpointLabel, registerSecret } from "../../ssh";
import { submitToHost, type HostBatch, type HostBatcher } from "../../ssh/batcher";
import type { SshEndpoint } from "../../ssh/types";
import { runBatch } from "./session";
import type { BatchStats, ConfigEdit, ProtocolHooks } from "./types";

interface ProtocolState {
  stats: BatchStats;
  hooks: ProtocolHooks;
  /** false = every edit is its own batch (benchmark baseline). */
  batching: boolean;
}

// A string key, not a Symbol: the closure serializer cannot capture symbols correctly.
const KEY = "__pfsenseHaPfsenseRemoteV2";

export function protocolState(): ProtocolState {
  const g = globalThis as unknown as Record<string, ProtocolState | undefined>;
  let s = g[KEY];
  if (!s) {
    s = { stats: { batches: 0, installs: 0, applies: 0, conflicts: 0, reapplies: 0, roundTrips: 0 }, hooks: {}, batching: true };
    g[KEY] = s;
  }
  return s;
}

const configEdits: HostBatcher<ConfigEdit, string> = {
  key: "__pfsenseHaConfigEditBatchesV1",
  maxItems: () => (protocolState().batching ? Infinity : 1),
  run: async ({ hostId, endpoint, host, items }: HostBatch<ConfigEdit, string>) => {
    const state = protocolState();
    const outcomes = await runBatch(host, items.map((i) => i.input), {
      hostKey: hostId,
      hostLabel: endpointLabel(endpoint),
      hooks: state.hooks,
      stats: state.stats,
    });
    outcomes.forEach((o, i) => (o.ok ? items[i].resolve(o.version) : items[i].reject(o.error)));
  },
};

/** Queue one edit for the host; resolves with the config version written, or rejects with this edit's own error. */
export function submitEdit(endpoint: SshEndpoint, edit: ConfigEdit): Promise<string> {
  for (const s of edit.secrets ?? []) registerSecret(s);
  return submitToHost(configEdits, endpoint, edit);
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
