// Identities generated once (in check) when the caller gives none; kept from the old state afterwards. The
// cluster's plan derives them deterministically instead (components/plan.ts), so both nodes share them.
import { randomBytes, randomInt } from "crypto";

/** 13 lowercase hex characters like PHP's uniqid(): seconds, then random bits for the microseconds part. */
export function newUniqid(): string {
  return Math.floor(Date.now() / 1000).toString(16).padStart(8, "0").slice(-8) + randomBytes(3).toString("hex").slice(0, 5);
}

/**
 * A filter rule tracker. pfSense uses (int)microtime() (~1.7e9 today); we draw from 3.0e9-3.99e9 (below pf's
 * 32-bit ridentifier limit and below the plan's 4.0e9+ range), which microtime reaches only after 2065.
 */
export function newTracker(): string {
  return String(randomInt(3_000_000_000, 4_000_000_000));
}
