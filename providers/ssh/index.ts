// The SSH transport: pooled connections (one per host and credentials per process), pinned host keys, redaction.
import { poolKeyOf, resolveEndpoint } from "./endpoint";
import { SshPooledHost } from "./host";
import { sshState } from "./state";
import type { SshEndpoint, SshHost, SshStats } from "./types";

export type { ExecOptions, ExecResult, SshEndpoint, SshHost, SshStats } from "./types";
export { fingerprintOf, fingerprintMatches, FINGERPRINT_PATTERN } from "./fingerprint";
export { redact, registerSecret } from "./redact";
export { endpointLabel, maxConnectTimeMs, resolveEndpoint } from "./endpoint";
export { uploadCommand, readFileCommand, assertRemoteFilePath, octalMode } from "./commands";
export { MAX_CHANNELS_PER_HOST, DEFAULT_EXEC_TIMEOUT_MS, IDLE_CLOSE_MS } from "./host";

/**
 * The process-wide host for this endpoint, connected. Validates the endpoint first (throws naming the field), reuses
 * the pooled connection when one exists, reconnects transparently after an idle close.
 */
export async function connectHost(endpoint: SshEndpoint): Promise<SshHost> {
  const ep = resolveEndpoint(endpoint);
  const pool = sshState().pool;
  const key = poolKeyOf(ep);
  let host = pool.get(key);
  if (!host) {
    host = new SshPooledHost(ep);
    pool.set(key, host);
  }
  // The pooled host may come from another copy of this module (a re-loaded serialized provider): use the interface.
  await host.ensureConnected();
  return host;
}

/** Close and forget the pooled connection of one endpoint (after its host was powered off: the next use reconnects). */
export async function closeHost(endpoint: SshEndpoint): Promise<void> {
  const pool = sshState().pool;
  const key = poolKeyOf(resolveEndpoint(endpoint));
  const host = pool.get(key);
  pool.delete(key);
  await host?.close();
}

/** Close every pooled connection (tests' afterAll, CLI exit). */
export async function closeAllHosts(): Promise<void> {
  const pool = sshState().pool;
  const hosts = [...pool.values()];
  pool.clear();
  await Promise.all(hosts.map((h) => h.close()));
}

/** Process-wide counters: connections opened, commands run (uploads and reads included), upload calls. */
export function sshStats(): SshStats {
  return { ...sshState().stats };
}
