// The drill's pure part: VHID holders from recorded-format ifconfig, the maintenance-mode script, the verdict.
import * as fs from "fs";
import * as path from "path";
import { validateValues } from "../../config/load";
import { expectationsOf } from "../../providers/verify/desired";
import { heldBy, maintenanceScript, parseMaintenanceOutput, vhidStates } from "../../providers/verify/drill-core";
import { drillVerdict, formatDrillTable } from "../../providers/verify/drill-report";
import { parseIfconfig } from "../../providers/verify/parse-ifconfig";
import { TOPOLOGY_DIR, topologyValues } from "../fixtures/topologies";

const r = validateValues(topologyValues("wan-lan-sync"), TOPOLOGY_DIR);
if (!r.config) throw new Error("fixture");
const vips = expectationsOf(r.config).vips;
const REC = path.join(__dirname, "..", "fixtures", "recorded");

/** A recorded block's layout with this topology's device and vhid. */
function block(device: string, vhid: number, state: string, skew: number): string {
  return fs.readFileSync(path.join(REC, "opnsense-1549-test1-vtnet0-master.txt"), "utf8")
    .replace(/vtnet0/g, device)
    .replace(/vhid 1\b/g, `vhid ${vhid}`)
    .replace(/carp: MASTER vhid (\d+) advbase 1 advskew 0/, `carp: ${state} vhid $1 advbase 1 advskew ${skew}`);
}
function report(role: "primary" | "secondary", states: string[]) {
  return parseIfconfig(vips.map((v, i) => block(v.device[role], v.vhid, states[i], role === "primary" ? 0 : 100)).join(""));
}

test("held by the primary only when it is MASTER and the secondary BACKUP on every VHID", () => {
  expect(vips.length).toBe(2);
  const normal = { primary: report("primary", ["MASTER", "MASTER"]), secondary: report("secondary", ["BACKUP", "BACKUP"]) };
  expect(heldBy("primary", vips, normal)).toBe(true);
  expect(heldBy("secondary", vips, normal)).toBe(false);
  const half = { primary: report("primary", ["BACKUP", "MASTER"]), secondary: report("secondary", ["MASTER", "BACKUP"]) };
  expect(heldBy("primary", vips, half)).toBe(false);
  expect(heldBy("secondary", vips, half)).toBe(false);
  const split = { primary: report("primary", ["MASTER", "MASTER"]), secondary: report("secondary", ["MASTER", "BACKUP"]) };
  expect(heldBy("primary", vips, split)).toBe(false);
  expect(vhidStates(vips, split)).toEqual([{ vhid: 1, primary: "MASTER", secondary: "MASTER" }, { vhid: 2, primary: "MASTER", secondary: "BACKUP" }]);
  const moved = { primary: report("primary", ["BACKUP", "BACKUP"]), secondary: report("secondary", ["MASTER", "MASTER"]) };
  expect(heldBy("secondary", vips, moved)).toBe(true);
  expect(heldBy("secondary", vips, { primary: parseIfconfig(""), secondary: report("secondary", ["MASTER", "MASTER"]) })).toBe(false);
});

test("maintenance script: pfSense's own function, then exec and exit (pfSsh.php never ends at end of input); confirmation parsed even after pfSsh.php's prompt", () => {
  const on = maintenanceScript(true);
  expect(on).toContain("interfaces_carp_set_maintenancemode(true);");
  expect(maintenanceScript(false)).toContain("interfaces_carp_set_maintenancemode(false);");
  expect(on.trimEnd().split("\n").slice(-2)).toEqual(["exec", "exit"]);
  expect(parseMaintenanceOutput("\npfSense shell: \nPFHA-MAINTENANCE on\n")).toBe("on");
  expect(parseMaintenanceOutput("pfSense shell: PFHA-MAINTENANCE off\n")).toBe("off");
  expect(parseMaintenanceOutput("PHP Fatal error: Call to undefined function\n")).toBeUndefined();
});

test("verdict: every figure against the threshold; poweroff's failback (a boot) is information only", () => {
  const names = { primary: "fw1", secondary: "fw2" };
  const fast = drillVerdict({ mode: "maintenance", thresholdS: 5, names, times: { takeoverMs: 1200, failbackMs: 4999 } });
  expect(fast).toEqual({
    ok: true,
    rows: [
      { measure: "takeover (fw2 MASTER on every VHID)", value: "1.20 s", threshold: "< 5 s", status: "pass" },
      { measure: "failback (fw1 MASTER on every VHID)", value: "5.00 s", threshold: "< 5 s", status: "pass" },
    ],
  });
  const slow = drillVerdict({ mode: "carp-disable", thresholdS: 5, names, times: { takeoverMs: 1200, failbackMs: 5001 } });
  expect(slow.ok).toBe(false);
  expect(slow.rows[1]).toMatchObject({ value: "5.00 s", status: "fail" });
  const boot = drillVerdict({ mode: "poweroff", thresholdS: 5, names, times: { takeoverMs: 2100, failbackMs: 48000 } });
  expect(boot.ok).toBe(true);
  expect(boot.rows[1]).toMatchObject({ value: "48.00 s", threshold: "-", status: "info" });
  const stopped = drillVerdict({ mode: "maintenance", thresholdS: 5, names, times: { takeoverMs: 900 } });
  expect(stopped.ok).toBe(false);
  expect(stopped.rows[1]).toMatchObject({ value: "not measured", status: "fail" });
});

test("verdict with a probe: loss is reported, the longest gap is judged, a broken session fails, a server's own close does not", () => {
  const names = { primary: "fw1", secondary: "fw2" };
  const probe = {
    pingTarget: "192.0.2.1", windowMs: 9000, sent: 100, received: 97, lost: 3, longestGapMs: 350,
    tcp: { outcome: "survived" as const, answered: 17, longestGapMs: 820 },
  };
  const v = drillVerdict({ mode: "carp-disable", thresholdS: 5, names, times: { takeoverMs: 300, failbackMs: 400 }, probe });
  expect(v.ok).toBe(true);
  expect(v.rows.slice(2)).toEqual([
    { measure: "pings to 192.0.2.1 lost", value: "3 of 100 (3.0%)", threshold: "-", status: "info" },
    { measure: "longest gap between ping replies", value: "0.35 s", threshold: "< 5 s", status: "pass" },
    { measure: "TCP session through the firewall", value: "survived (17 answers, longest wait 0.82 s)", threshold: "survives", status: "pass" },
  ]);
  const broken = drillVerdict({ mode: "carp-disable", thresholdS: 5, names, times: { takeoverMs: 300, failbackMs: 400 },
    probe: { ...probe, longestGapMs: 6100, tcp: { outcome: "broken", answered: 4, longestGapMs: 0, detail: "no reply within 30 s after 4 answers" } } });
  expect(broken.ok).toBe(false);
  expect(broken.rows.filter((r) => r.status === "fail").map((r) => r.measure)).toEqual(["longest gap between ping replies", "TCP session through the firewall"]);
  const closed = drillVerdict({ mode: "carp-disable", thresholdS: 5, names, times: { takeoverMs: 300, failbackMs: 400 },
    probe: { ...probe, tcp: { outcome: "closed-by-server", answered: 100, longestGapMs: 600 } } });
  expect(closed.ok).toBe(true);
  expect(closed.rows[4].status).toBe("info");
  expect(formatDrillTable(broken)).toMatch(/TCP session through the firewall +broken: no reply within 30 s after 4 answers +survives +FAIL\n {4}-> states did not follow the VIP/);
});
