// Pure part of a host batch: plan every operation against one snapshot and combine the plans into one change (the
// transaction's commands in operation order, each file's edits composed in operation order, written once).
import type { FileWrite } from "./batch-script";
import type { HostSnapshot } from "./snapshot";
import { INTERFACES_FILE, TUNNELS_FILE } from "./types";
import type { VsctlCommand } from "./vsctl";

export interface FileEdit {
  path: typeof INTERFACES_FILE | typeof TUNNELS_FILE;
  /** Current text ("" when absent) to new text; returning the input means nothing to write. */
  edit: (text: string) => string;
}

export interface OpPlan {
  commands: VsctlCommand[];
  edits: FileEdit[];
}

/** One resource operation. plan() throws to refuse (nothing is changed for it); finish() reads its result back. */
export interface HostOp<T> {
  /** Read-only operations (refresh) have no plan. */
  plan?: (s: HostSnapshot) => OpPlan;
  finish: (after: HostSnapshot) => T;
}

export interface BatchPlan<I> {
  planned: { item: I; plan: OpPlan }[];
  refused: { item: I; error: Error }[];
  commands: VsctlCommand[];
  /** Only the files whose text changes. */
  writes: FileWrite[];
}

function fileOf(s: HostSnapshot, path: FileEdit["path"]): string {
  return (path === INTERFACES_FILE ? s.interfacesFile : s.tunnelsFile) ?? "";
}

export function planBatch<I extends { op: HostOp<unknown> }>(s: HostSnapshot, items: I[]): BatchPlan<I> {
  const out: BatchPlan<I> = { planned: [], refused: [], commands: [], writes: [] };
  for (const item of items) {
    try {
      if (!item.op.plan) throw new Error("planBatch: a read-only operation has no plan");
      out.planned.push({ item, plan: item.op.plan(s) });
    } catch (e) {
      out.refused.push({ item, error: e instanceof Error ? e : new Error(String(e)) });
    }
  }
  const texts: Record<string, string> = {};
  for (const { plan } of out.planned) {
    out.commands.push(...plan.commands);
    for (const e of plan.edits) texts[e.path] = e.edit(texts[e.path] ?? fileOf(s, e.path));
  }
  for (const path of [INTERFACES_FILE, TUNNELS_FILE] as FileEdit["path"][]) {
    if (path in texts && texts[path] !== fileOf(s, path)) out.writes.push({ path, content: texts[path] });
  }
  return out;
}
