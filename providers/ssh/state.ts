// Process-wide transport state. Dynamic providers are serialized and re-loaded, possibly as several copies of this
// module in one provider host, and the project's own module-level values are captured BY VALUE at serialization. So
// the pool, counters and secret registry live on globalThis under a registered Symbol, looked up at call time.
import type { SshHost, SshStats } from "./types";

/** What the pool needs from a pooled host, whichever copy of the module created it. */
export interface PooledHost extends SshHost {
  /** Open the connection now, so connect errors surface at connectHost. */
  ensureConnected(): Promise<void>;
  close(): Promise<void>;
}

export interface SshGlobalState {
  pool: Map<string, PooledHost>;
  stats: SshStats;
  secrets: Set<string>;
  /** Hosts already warned about insecureAcceptAnyHostKey (one loud warning per host). */
  warnedInsecure: Set<string>;
}

export function sshState(): SshGlobalState {
  const key = Symbol.for("pfsense-ha.ssh.state.v1");
  const holder = globalThis as unknown as Record<symbol, SshGlobalState | undefined>;
  let state = holder[key];
  if (!state) {
    state = { pool: new Map(), stats: { connections: 0, commands: 0, uploads: 0 }, secrets: new Set(), warnedInsecure: new Set() };
    holder[key] = state;
  }
  return state;
}
