// The <created>/<updated> entries pfSense's save code writes on filter and NAT rules (firewall_rules_edit.php,
// firewall_nat_out.inc: make_config_revision_entry() in config.lib.inc): {time: unix seconds, username}. Without a
// GUI session get_config_user() names the writer "(system)", as for every config change a script makes.
// The clock is injectable so tests that compare whole documents stay exact.
import type { PfConfigDoc, PfElement } from "../codec";
import { leaf, section } from "../codec-tree";

export const REVISION_USER = "(system)";

const KEY = "__pfsenseHaRevisionClockV1";
type Clock = () => number;

function clock(): Clock {
  const c = (globalThis as unknown as Record<string, Clock | undefined>)[KEY];
  return c ?? (() => Math.floor(Date.now() / 1000));
}

/** Tests only: a fixed clock (unix seconds); undefined restores the real one. */
export function setRevisionClock(now: Clock | undefined): void {
  (globalThis as unknown as Record<string, Clock | undefined>)[KEY] = now;
}

/** make_config_revision_entry() with no description: <time>, <username>. */
export function revisionEntry(doc: PfConfigDoc, tag: "created" | "updated"): PfElement {
  return section(tag, [leaf(doc, "time", String(clock()())), leaf(doc, "username", REVISION_USER)]);
}

/**
 * The element's children without the stamps pfSense's save code writes: never part of what a rule means (a changed
 * `updated` alone is not drift). A plain comparison, no module-level Set: the provider is serialized by Pulumi's
 * closure serializer, which does not carry a Set's internals.
 */
export function withoutStamps(el: PfElement): PfElement[] {
  return (el.children ?? []).filter((c) => c.tag !== "created" && c.tag !== "updated");
}

/**
 * The children a save writes, as pfSense orders them: a new rule gets `updated` then `created` (PHP keeps insertion
 * order: the edit page sets `updated` first and adds `created` for a new rule); a changed rule keeps its `created`
 * and gets a new `updated`.
 */
export function stampedChildren(doc: PfConfigDoc, content: PfElement[], existing: PfElement | undefined): PfElement[] {
  if (existing === undefined) return [...content, revisionEntry(doc, "updated"), revisionEntry(doc, "created")];
  const created = (existing.children ?? []).find((c) => c.tag === "created");
  return [...content, ...(created ? [created] : []), revisionEntry(doc, "updated")];
}
