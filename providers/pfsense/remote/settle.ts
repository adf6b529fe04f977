// How long a node that receives XMLRPC syncs is left to settle after an install before the write is verified
// (session.ts): longer than pfSense's xmlrpc.php takes from loading $config to writing it back (well under a
// second on a firewall; its includes and one merge), with margin. Kept on globalThis like the queue's state because
// a serialized provider module may be loaded several times in one process.
export const SYNC_SETTLE_MS = 2000;

const KEY = "__pfsenseHaSyncSettleMsV1";

export function protocolSyncSettleMs(): number {
  const v = (globalThis as unknown as Record<string, number | undefined>)[KEY];
  return v ?? SYNC_SETTLE_MS;
}

/** Tests and benchmarks only: a shorter window where no sync can run, or a longer one to widen the race. */
export function setSyncSettleMs(ms: number): void {
  (globalThis as unknown as Record<string, number | undefined>)[KEY] = ms;
}
