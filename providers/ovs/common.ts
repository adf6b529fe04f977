// Shared pieces of the two OVS providers.
import { formatProblem, type Problem } from "../../config/problems";
import { hasUnknown } from "../unknown";
import { stableJson } from "../digest";
import type { SshEndpoint } from "../ssh/types";
import { hostIdOf } from "../ssh/endpoint";

/**
 * check's answer. In a preview an input may be unknown (Pulumi's placeholder, e.g. an address that an upstream
 * resource makes): a problem with an unknown field, or with a field it is checked against (`related`), is not a
 * problem yet; check runs again with the real values before create/update.
 */
export function checkResult<T extends object>(
  news: T,
  problems: Problem[],
  related: Record<string, string[]> = {},
): { inputs: T; failures: { property: string; reason: string }[] } {
  const values = news as Record<string, unknown>;
  const unknown = (field: string) => [field, ...(related[field] ?? [])].some((f) => hasUnknown(values[f]));
  const known = problems.filter((p) => !unknown(p.key.split(/[.[]/)[0]));
  return { inputs: news, failures: known.map((p) => ({ property: p.key, reason: formatProblem(p) })) };
}

/**
 * Identity of the node: changing it means a different host, so a replace. Credentials may change in place. An
 * unknown new endpoint (preview) may be another host: reported as a replace, as Pulumi expects for unknowns.
 */
export function sameNode(a: SshEndpoint | undefined, b: SshEndpoint | undefined): boolean {
  return !!a && !!b && hostIdOf(a) === hostIdOf(b);
}

export function changedKeys<T extends object>(olds: T, news: T, keys: (keyof T)[]): string[] {
  return keys.filter((k) => stableJson(olds[k]) !== stableJson(news[k])).map(String);
}

export function pendingChangesError(node: string): Error {
  return new Error(
    `${node}: Proxmox has pending network changes in /etc/network/interfaces.new (edited in the GUI/API but not applied). ` +
      `Refusing to edit /etc/network/interfaces, which would lose either those changes or ours. ` +
      `Fix: apply them (Node → Network → Apply Configuration) or revert them, then run again.`,
  );
}
