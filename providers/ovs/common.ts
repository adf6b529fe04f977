// Shared pieces of the two OVS providers.
import { formatProblem, type Problem } from "../../config/problems";
import type { SshEndpoint } from "../ssh/types";

export function checkResult<T>(news: T, problems: Problem[]): { inputs: T; failures: { property: string; reason: string }[] } {
  return { inputs: news, failures: problems.map((p) => ({ property: p.key, reason: formatProblem(p) })) };
}

/** Identity of the node: changing it means a different host, so a replace. Credentials may change in place. */
export function sameNode(a: SshEndpoint | undefined, b: SshEndpoint | undefined): boolean {
  return !!a && !!b && a.host === b.host && (a.port ?? 22) === (b.port ?? 22);
}

export function hostKeyOf(ep: SshEndpoint): string {
  return `${ep.host}:${ep.port ?? 22}`;
}

/** Stable JSON for comparisons (sorted keys, undefined dropped). */
export function stable(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) =>
    val && typeof val === "object" && !Array.isArray(val)
      ? Object.fromEntries(Object.entries(val as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : 1)))
      : val,
  );
}

export function changedKeys<T extends object>(olds: T, news: T, keys: (keyof T)[]): string[] {
  return keys.filter((k) => stable(olds[k]) !== stable(news[k])).map(String);
}

export function pendingChangesError(node: string): Error {
  return new Error(
    `${node}: Proxmox has pending network changes in /etc/network/interfaces.new (edited in the GUI/API but not applied). ` +
      `Refusing to edit /etc/network/interfaces, which would lose either those changes or ours. ` +
      `Fix: apply them (Node → Network → Apply Configuration) or revert them, then run again.`,
  );
}
