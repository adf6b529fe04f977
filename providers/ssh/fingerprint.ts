// Host key fingerprints in the format `ssh-keygen -lf` prints: "SHA256:" + base64(sha256(key blob)) without '='.
import { timingSafeEqual } from "crypto";
import { sha256 } from "../digest";

const FINGERPRINT_PATTERN = /^SHA256:[A-Za-z0-9+/]{43}$/;

/** Fingerprint of a raw public host key blob (what ssh2's hostVerifier receives). */
export function fingerprintOf(hostKey: Buffer): string {
  return `SHA256:${sha256(hostKey, "base64").replace(/=+$/, "")}`;
}

/** Constant-time comparison of a pinned fingerprint with the one the server presented. */
export function fingerprintMatches(pinned: string, presented: string): boolean {
  const a = Buffer.from(pinned, "utf8");
  const b = Buffer.from(presented, "utf8");
  return a.length === b.length && timingSafeEqual(a, b);
}

// Exported by list, not `export const`: TypeScript rewrites in-module uses of an `export const` to `exports.X`, which
// Pulumi's closure serializer does not capture (the value arrives undefined in a serialized provider).
export { FINGERPRINT_PATTERN };
