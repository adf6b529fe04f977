// A validation problem names the configuration key, the bad value and the fix.

export interface Problem {
  /** Configuration key path as the user writes it, e.g. "pfsense-ha:cluster.networks.lan.vip". */
  key: string;
  /** The offending value, already redacted when the key is secret. */
  value: unknown;
  /** What is wrong. */
  message: string;
  /** What to do about it. */
  fix: string;
}

export function formatProblem(p: Problem): string {
  const shown = p.value === undefined ? "(missing)" : JSON.stringify(p.value);
  return `${p.key}: ${p.message} (got ${shown}). Fix: ${p.fix}`;
}

/** Thrown when configuration is invalid; carries every problem, not just the first. */
export class ConfigValidationError extends Error {
  constructor(readonly problems: Problem[]) {
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((p) => `  - ${formatProblem(p)}`).join("\n"),
    );
    this.name = "ConfigValidationError";
  }
}
