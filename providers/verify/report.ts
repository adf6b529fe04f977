// Verify's output: an aligned table (check, node, expected, found, result) with the next step under each failure,
// or JSON for machines.
import type { Check } from "./evaluate";

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + " ".repeat(n - s.length);
}

export function formatTable(checks: Check[]): string {
  const head = ["CHECK", "NODE", "EXPECTED", "FOUND", "RESULT"];
  const rows = checks.map((c) => [c.check, c.node, c.expected, c.found, c.status.toUpperCase()]);
  const widths = head.map((h, i) => Math.min(60, Math.max(h.length, ...rows.map((r) => r[i].length))));
  const line = (r: string[]) => r.map((cell, i) => (i === r.length - 1 ? cell : pad(cell, widths[i]))).join("  ").trimEnd();
  const out = [line(head)];
  checks.forEach((c, i) => {
    out.push(line(rows[i]));
    if (c.hint && c.status !== "pass") out.push(`    -> ${c.hint}`);
  });
  const fails = checks.filter((c) => c.status === "fail").length;
  const warns = checks.filter((c) => c.status === "warn").length;
  out.push("", `${checks.length} checks: ${checks.length - fails - warns} passed, ${fails} failed, ${warns} warnings`);
  return out.join("\n");
}

export function formatJson(checks: Check[]): string {
  const fails = checks.filter((c) => c.status === "fail").length;
  return JSON.stringify({ ok: fails === 0, failed: fails, checks }, null, 2);
}
