// How long a node that receives XMLRPC syncs is left to settle after an install before the write is verified
// (session.ts). pfSense's xmlrpc.php loads $config with its first include (config.inc), loads its other includes,
// then takes lock('xmlrpc') (/tmp/xmlrpc.lock) and holds it until the merged config is written. The read-back takes
// that lock too, so a sync already holding it is waited for; the window only has to cover a sync that loaded before
// our install and has not reached the lock yet: the includes after config.inc (47-95 ms measured in the lab on a
// loaded 2-core machine), with a 5x margin. Kept on globalThis like the queue's state because a serialized
// provider module may be loaded several times in one process.
export const SYNC_SETTLE_MS = 500;

/** pfSense's lock('xmlrpc') file (util.inc lock(): {$g['tmp_path']}/{$lock}.lock), held by xmlrpc.php from before its merge to after its write. */
export const XMLRPC_LOCK_PATH = "/tmp/xmlrpc.lock";

const KEY = "__pfsenseHaSyncSettleMsV1";

export function protocolSyncSettleMs(): number {
  const v = (globalThis as unknown as Record<string, number | undefined>)[KEY];
  return v ?? SYNC_SETTLE_MS;
}

/** Tests and benchmarks only: a shorter window where no sync can run, or a longer one to widen the race. */
export function setSyncSettleMs(ms: number): void {
  (globalThis as unknown as Record<string, number | undefined>)[KEY] = ms;
}
