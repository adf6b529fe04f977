// The drill's pure part: VHID holders from recorded-format ifconfig, the maintenance-mode script, the verdict.
import * as fs from "fs";
import * as path from "path";
import { validateValues } from "../../config/load";
import { expectationsOf } from "../../providers/verify/desired";
import { heldBy, judge, maintenanceScript, parseMaintenanceOutput, vhidStates } from "../../providers/verify/drill-core";
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

test("verdict against the threshold", () => {
  const names = { primary: "fw1", secondary: "fw2" };
  expect(judge({ takeoverMs: 1200, failbackMs: 4999 }, 5, names)).toEqual({
    ok: true,
    lines: ["takeover (fw2 MASTER on every VHID): 1.20 s (threshold 5 s) PASS", "failback (fw1 MASTER on every VHID): 5.00 s (threshold 5 s) PASS"],
  });
  const slow = judge({ takeoverMs: 1200, failbackMs: 5001 }, 5, names);
  expect(slow.ok).toBe(false);
  expect(slow.lines[1]).toMatch(/FAIL$/);
});
