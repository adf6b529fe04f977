// Validation of an SshEndpoint before any connection is attempted. Errors name the field, the bad value and the fix;
// secret fields (privateKey, passphrase, password) are never echoed.
import { sha256 } from "../digest";
import { FINGERPRINT_PATTERN } from "./fingerprint";
import type { SshEndpoint } from "./types";

const DEFAULT_PORT = 22;
const DEFAULT_CONNECT_TIMEOUT_MS = 10000;
const DEFAULT_CONNECT_RETRIES = 3;
/** Backoff before retry n (0-based): 250 ms, 500 ms, 1 s, 2 s ... */
const BACKOFF_BASE_MS = 250;

export interface ResolvedEndpoint extends SshEndpoint {
  port: number;
  connectTimeoutMs: number;
  connectRetries: number;
}

/** "ssh root@10.0.0.1:22", the prefix of every transport error. */
export function endpointLabel(ep: Pick<SshEndpoint, "username" | "host" | "port">): string {
  return `ssh ${ep.username}@${ep.host}:${ep.port ?? DEFAULT_PORT}`;
}

const HOST_PATTERN = /^[A-Za-z0-9.:_-]+$/; // DNS names, IPv4, IPv6 literals
const USER_PATTERN = /^[A-Za-z0-9._][A-Za-z0-9._@-]*$/;

/** Throws the first problem found; returns the endpoint with defaults filled in. */
export function resolveEndpoint(ep: SshEndpoint): ResolvedEndpoint {
  if (ep === null || typeof ep !== "object") throw new Error("ssh endpoint: expected an object with host, username and auth");
  if (typeof ep.host !== "string" || !HOST_PATTERN.test(ep.host)) {
    throw new Error(`ssh endpoint host: ${JSON.stringify(ep.host)} is not a host name or IP address; set host to e.g. "10.0.0.11"`);
  }
  const port = ep.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`ssh endpoint ${ep.host} port: ${JSON.stringify(ep.port)} is not a TCP port; use an integer 1-65535 (default 22)`);
  }
  if (typeof ep.username !== "string" || !USER_PATTERN.test(ep.username)) {
    throw new Error(`ssh endpoint ${ep.host} username: ${JSON.stringify(ep.username)} is not a valid user name; set username to e.g. "root"`);
  }
  const label = endpointLabel({ ...ep, port });
  if (ep.hostKeySha256 !== undefined && (typeof ep.hostKeySha256 !== "string" || !FINGERPRINT_PATTERN.test(ep.hostKeySha256))) {
    throw new Error(
      `${label}: hostKeySha256 ${JSON.stringify(ep.hostKeySha256)} is not a SHA256 fingerprint; use exactly the ` +
        `"SHA256:..." field that \`ssh-keygen -lf <(ssh-keyscan -t ed25519 ${ep.host})\` prints (43 base64 characters, no "=")`,
    );
  }
  if (ep.hostKeySha256 === undefined && ep.insecureAcceptAnyHostKey !== true) {
    throw new Error(
      `${label}: no pinned host key: set hostKeySha256 to the SHA256 fingerprint of the host's key, as printed by ` +
        `\`ssh-keygen -lf <(ssh-keyscan -p ${port} -t ed25519 ${ep.host})\` (better: run \`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub\` ` +
        `on the host's console, so the pin does not come over the network it protects)`,
    );
  }
  const hasKey = typeof ep.privateKeyPath === "string" && ep.privateKeyPath.length > 0;
  const hasKeyContent = typeof ep.privateKey === "string" && ep.privateKey.length > 0;
  const hasPassword = typeof ep.password === "string" && ep.password.length > 0;
  if (!hasKey && !hasKeyContent && ep.useAgent !== true && !hasPassword) {
    throw new Error(
      `${label}: no authentication configured; set privateKeyPath (a key file), privateKey (key content, as a secret), ` +
        `useAgent: true (ssh-agent at $SSH_AUTH_SOCK), or password (only if the host allows password login)`,
    );
  }
  const connectTimeoutMs = ep.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  if (!Number.isInteger(connectTimeoutMs) || connectTimeoutMs < 100 || connectTimeoutMs > 600000) {
    throw new Error(`${label}: connectTimeoutMs ${JSON.stringify(ep.connectTimeoutMs)} is out of range; use an integer 100-600000 (default 10000)`);
  }
  const connectRetries = ep.connectRetries ?? DEFAULT_CONNECT_RETRIES;
  if (!Number.isInteger(connectRetries) || connectRetries < 0 || connectRetries > 10) {
    throw new Error(`${label}: connectRetries ${JSON.stringify(ep.connectRetries)} is out of range; use an integer 0-10 (default 3)`);
  }
  return { ...ep, port, connectTimeoutMs, connectRetries };
}

/** Worst-case time connectHost may take before failing: every attempt times out, plus the backoff between them. */
export function maxConnectTimeMs(ep: ResolvedEndpoint): number {
  let total = ep.connectTimeoutMs * (ep.connectRetries + 1);
  for (let i = 0; i < ep.connectRetries; i++) total += BACKOFF_BASE_MS * 2 ** i;
  return total;
}

/**
 * The one identity of a host (a machine reached over SSH): address and port, whatever user or credentials reach it.
 * Per-host batches (OVS, config.xml) queue on it, so two runs on one machine never overlap; the SSH pool keys on it.
 */
export function hostIdOf(ep: { host: string; port?: number }): string {
  return `${ep.host}:${ep.port ?? DEFAULT_PORT}`;
}

/** Pool key: the host, plus user, pin and credentials (one connection each). Hashed so no secret sits in the key. */
export function poolKeyOf(ep: ResolvedEndpoint): string {
  const identity = JSON.stringify([
    ep.host, ep.port, ep.username, ep.hostKeySha256 ?? null, ep.insecureAcceptAnyHostKey === true,
    ep.privateKeyPath ?? null, ep.privateKey ?? null, ep.passphrase ?? null, ep.useAgent === true, ep.password ?? null,
  ]);
  return `${ep.username}@${hostIdOf(ep)}#${sha256(identity).slice(0, 16)}`;
}

// Exported by list, not `export const`: TypeScript rewrites in-module uses of an `export const` to `exports.X`, which
// Pulumi's closure serializer does not capture (the value arrives undefined in a serialized provider).
export { DEFAULT_PORT, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_CONNECT_RETRIES, BACKOFF_BASE_MS };
