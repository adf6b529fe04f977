// The drill's pure part: who holds the VHIDs, pfSense's persistent maintenance mode as a pfSsh.php script, and the
// verdict against the threshold.
import type { FirewallRole } from "../../config/types";
import type { ExpectedVip } from "./desired";
import { carpStatuses, type IfconfigReport } from "./parse-ifconfig";

/** Per VHID, the state on each firewall ("absent" when the VHID is not printed). */
export function vhidStates(vips: ExpectedVip[], reports: Record<FirewallRole, IfconfigReport>): { vhid: number; primary: string; secondary: string }[] {
  return vips.map((v) => {
    const of = (role: FirewallRole) => carpStatuses(reports[role]).find((s) => s.device === v.device[role] && s.vhid === v.vhid)?.state ?? "absent";
    return { vhid: v.vhid, primary: of("primary"), secondary: of("secondary") };
  });
}

/** True when `holder` is MASTER and the other node BACKUP on every VHID (the settled state after a switch). */
export function heldBy(holder: FirewallRole, vips: ExpectedVip[], reports: Record<FirewallRole, IfconfigReport>): boolean {
  const other: FirewallRole = holder === "primary" ? "secondary" : "primary";
  return vips.length > 0 && vhidStates(vips, reports).every((s) => s[holder] === "MASTER" && s[other] === "BACKUP");
}

export function describeStates(vips: ExpectedVip[], reports: Record<FirewallRole, IfconfigReport>): string {
  return vhidStates(vips, reports).map((s) => `vhid ${s.vhid}: primary ${s.primary}, secondary ${s.secondary}`).join("; ");
}

export const MAINTENANCE_DONE = "PFHA-MAINTENANCE";

/**
 * pfSense's own persistent CARP maintenance mode (Status > CARP button = interfaces_carp_set_maintenancemode()):
 * stores/removes <virtualip_carp_maintenancemode> with write_config and re-advertises every CARP VIP (advskew 254
 * while on). Fed to pfSsh.php on stdin; prints the resulting flag so the caller can check it took. Ends with "exit":
 * pfSense's pfSsh.php reads commands until "exit"/"quit" and never ends on its own at the end of its input.
 */
export function maintenanceScript(on: boolean): string {
  return [
    'require_once("interfaces.inc");',
    `interfaces_carp_set_maintenancemode(${on ? "true" : "false"});`,
    "global $config;",
    // leading newline: the real pfSsh.php prints its prompt without one before running the buffered code
    `echo "\\n${MAINTENANCE_DONE} " . (isset($config["virtualip_carp_maintenancemode"]) ? "on" : "off") . "\\n";`,
    "exec",
    "exit",
    "",
  ].join("\n");
}

export function parseMaintenanceOutput(stdout: string): "on" | "off" | undefined {
  const m = new RegExp(`${MAINTENANCE_DONE} (on|off)\\b`).exec(stdout);
  return m ? (m[1] as "on" | "off") : undefined;
}

export interface DrillTimes {
  takeoverMs: number;
  failbackMs: number;
}
