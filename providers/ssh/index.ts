// The SSH transport: pooled connections (one per host and credentials per process), pinned host keys, redaction.
import { poolKeyOf, resolveEndpoint } from "./endpoint";
import { fingerprintOf } from "./fingerprint";
import { SshPooledHost } from "./host";
import { sshState } from "./state";
import type { SshEndpoint, SshHost, SshStats } from "./types";

export type { ExecOptions, ExecResult, SshEndpoint, SshHost, SshStats } from "./types";
export { fingerprintOf, fingerprintMatches, FINGERPRINT_PATTERN } from "./fingerprint";
export { redact, registerSecret } from "./redact";
export { endpointLabel, hostIdOf, maxConnectTimeMs, resolveEndpoint } from "./endpoint";
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

/**
 * The fingerprint of the host key a server presents (first contact, before it can be pinned): the handshake is
 * stopped at host key verification, nothing is authenticated. Compare it with the server's console before trusting it.
 */
export async function presentedHostKey(host: string, port: number, timeoutMs = 10_000): Promise<string> {
  const { Client } = await import("ssh2");
  return new Promise((resolve, reject) => {
    const c = new Client();
    let seen: string | undefined;
    c.on("error", (e) => (seen ? resolve(seen) : reject(new Error(`${host}:${port}: ${e.message}`))));
    c.on("close", () => (seen ? resolve(seen) : reject(new Error(`${host}:${port}: closed before presenting a host key`))));
    c.connect({
      host, port, username: "pfsense-ha-hostkey", readyTimeout: timeoutMs,
      hostVerifier: (key: Buffer) => {
        seen = fingerprintOf(key);
        return false;
      },
    });
  });
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
