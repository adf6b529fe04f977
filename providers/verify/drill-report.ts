// The drill's verdict, pure: each measured figure against the threshold (the HA guides: < 5 s), as rows for the
// table and the JSON.
import type { FirewallRole } from "../../config/types";
import type { DrillTimes } from "./drill-core";
import type { DrillMode } from "./drill-modes";
import type { ProbeReport } from "./drill-probe";

export type RowStatus = "pass" | "fail" | "info";

export interface DrillRow {
  measure: string;
  value: string;
  threshold: string;
  status: RowStatus;
  hint?: string;
}

export interface DrillVerdict {
  ok: boolean;
  rows: DrillRow[];
}

const s2 = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

export function drillVerdict(input: {
  mode: DrillMode;
  thresholdS: number;
  names: Record<FirewallRole, string>;
  times?: Partial<DrillTimes>;
  probe?: ProbeReport;
}): DrillVerdict {
  const { mode, thresholdS, names, times, probe } = input;
  const lim = thresholdS * 1000;
  const th = `< ${thresholdS} s`;
  const rows: DrillRow[] = [];
  const timed = (measure: string, ms: number | undefined, judged: boolean, hint: string): void => {
    if (ms === undefined) {
      rows.push({ measure, value: "not measured", threshold: th, status: "fail", hint: "the drill stopped before this switch: see the error" });
      return;
    }
    if (!judged) {
      rows.push({ measure, value: s2(ms), threshold: "-", status: "info", hint });
      return;
    }
    rows.push({ measure, value: s2(ms), threshold: th, status: ms <= lim ? "pass" : "fail", ...(ms <= lim ? {} : { hint }) });
  };
  timed(`takeover (${names.secondary} MASTER on every VHID)`, times?.takeoverMs, true,
    "check advbase/advskew, that the secondary sees the primary's advertisements stop, and the node load");
  timed(`failback (${names.primary} MASTER on every VHID)`, times?.failbackMs, mode !== "poweroff",
    mode === "poweroff" ? "includes the primary's boot; the client-side gap below is what the threshold applies to" : "check CARP preemption (net.inet.carp.preempt=1) and the primary's links");
  if (probe) {
    const lossPct = probe.sent ? ((100 * probe.lost) / probe.sent).toFixed(1) : "0.0";
    rows.push({ measure: `pings to ${probe.pingTarget} lost`, value: `${probe.lost} of ${probe.sent} (${lossPct}%)`, threshold: "-", status: "info" });
    const gapOk = probe.longestGapMs <= lim;
    rows.push({
      measure: "longest gap between ping replies",
      value: s2(probe.longestGapMs),
      threshold: th,
      status: gapOk ? "pass" : "fail",
      ...(gapOk ? {} : { hint: "clients lost the gateway for longer than the threshold: check that the client's gateway is the VIP, CARP timing and gratuitous ARP on the switches" }),
    });
    const t = probe.tcp;
    if (t.outcome !== "not-probed") {
      const value = t.outcome === "survived" ? `survived (${t.answered} answers, longest wait ${s2(t.longestGapMs)})` : `${t.outcome}${t.detail ? `: ${t.detail}` : ""}`;
      const status: RowStatus = t.outcome === "survived" ? "pass" : t.outcome === "closed-by-server" ? "info" : "fail";
      rows.push({
        measure: "TCP session through the firewall",
        value,
        threshold: "survives",
        status,
        ...(status === "fail" ? { hint: "states did not follow the VIP: check pfsync (verify's pfsync rows), the sync interface rules and that both firewalls use the same interface names" } : {}),
      });
    }
  }
  return { ok: rows.every((r) => r.status !== "fail"), rows };
}

export function formatDrillTable(v: DrillVerdict): string {
  const head = ["MEASURE", "VALUE", "THRESHOLD", "RESULT"];
  const cells = v.rows.map((r) => [r.measure, r.value, r.threshold, r.status.toUpperCase()]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => c.map((x, i) => (i === c.length - 1 ? x : x.padEnd(widths[i]))).join("  ");
  const out = [line(head)];
  v.rows.forEach((r, i) => {
    out.push(line(cells[i]));
    if (r.hint && r.status === "fail") out.push(`    -> ${r.hint}`);
  });
  out.push("", v.ok ? "drill PASSED" : "drill FAILED");
  return out.join("\n");
}
