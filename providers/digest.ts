// Comparing values and hashing text: one stable JSON and one sha256 for the whole project.
import { createHash } from "crypto";

/** JSON with sorted object keys and undefined fields dropped: equal values give equal text whatever their key order. */
export function stableJson(v: unknown): string {
  return JSON.stringify(v, (_k, val: unknown) => {
    if (typeof val !== "object" || val === null || Array.isArray(val)) return val;
    const o = val as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o).sort()) if (o[k] !== undefined) out[k] = o[k];
    return out;
  });
}

/** sha256 of a string (UTF-8) or bytes, as lowercase hex (or base64 for SSH fingerprints). */
export function sha256(data: string | Buffer, encoding: "hex" | "base64" = "hex"): string {
  return createHash("sha256").update(data).digest(encoding);
}
