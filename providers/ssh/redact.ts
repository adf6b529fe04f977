// Transport-wide secret registry: every error message and log line of the transport passes through redact().
import { sshState } from "./state";

/** Shorter values would blank out ordinary text (a 2-character "secret" matches everywhere); they are not registered. */
const MIN_SECRET_LENGTH = 4;
const REDACTED = "[REDACTED]";

// A PEM/OpenSSH private key block, also a truncated one (an error may cut a key in the middle).
const PRIVATE_KEY_BLOCK = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g;

/** Remember a secret value (password, key content, passphrase, token) so it never appears in an error or log. */
export function registerSecret(value: string | undefined | null): void {
  if (typeof value !== "string" || value.length < MIN_SECRET_LENGTH) return;
  const secrets = sshState().secrets;
  secrets.add(value);
  // A multi-line secret may be printed one line at a time.
  for (const line of value.split(/\r?\n/)) {
    if (line.trim().length >= MIN_SECRET_LENGTH) secrets.add(line.trim());
  }
}

/** Replace every registered secret (and `extra` ones), and anything that looks like a private key, with [REDACTED]. */
export function redact(text: string, extra: ReadonlyArray<string> = []): string {
  let out = text.replace(PRIVATE_KEY_BLOCK, "[REDACTED PRIVATE KEY]");
  const all = [...sshState().secrets, ...extra.filter((s) => typeof s === "string" && s.length >= MIN_SECRET_LENGTH)];
  // Longest first, so a secret containing another one is removed whole.
  all.sort((a, b) => b.length - a.length);
  for (const secret of all) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out;
}

/** An Error whose message has been redacted (the original, possibly secret-bearing error is not kept as cause). */
export function redactedError(message: string, extra: ReadonlyArray<string> = []): Error {
  return new Error(redact(message, extra));
}

// Exported by list, not `export const`: TypeScript rewrites in-module uses of an `export const` to `exports.X`, which
// Pulumi's closure serializer does not capture (the value arrives undefined in a serialized provider).
export { MIN_SECRET_LENGTH, REDACTED };
