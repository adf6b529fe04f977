// What the lab's firewalls record below pfSense's own code (lab/pfsense-standin): each FreeBSD command pfSense ran,
// each call of its PHP extension that changes the kernel, each event sent to check_reload_status.
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync } from "fs";
import { hostPath, labExec, type LabInventory } from "../../lab/inventory";
import { resetProtocolStats, setProtocolHooks } from "../../providers/pfsense/remote/queue";
import { closeAllHosts } from "../../providers/ssh";

export interface LabRecordEntry {
  t: number;
  cmd?: string;
  fn?: string;
  args: unknown[];
  /** check_reload_status: the exit code of the script an event ran, on its completion line. */
  done?: number;
  /** Set when a script check_reload_status ran for this event (in the background) made the call. */
  via?: string;
}

export const RECORD_PATH = "/var/log/pfha-lab/apply.log";

export function labRecord(inv: LabInventory, host: string): LabRecordEntry[] {
  const file = hostPath(inv, host, RECORD_PATH);
  if (!existsSync(file)) return [];
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as LabRecordEntry);
}

/** A read of kernel state (changes nothing): `ifconfig [-a|-l|<if>]`, `sysctl <name>`, `pfctl -s…`, `route get`. */
function isRead(e: LabRecordEntry): boolean {
  const a = e.args.map(String);
  switch (e.cmd) {
    case "ifconfig":
      return a.length <= 1;
    case "sysctl":
      return !a.some((x) => x.includes("="));
    case "pfctl":
      return a.length >= 1 && a.every((x) => /^-s/.test(x) || /^-v+s/.test(x)) ;
    case "route":
      return a.includes("get") || a.includes("show");
    default:
      return false;
  }
}

/**
 * The changes pfSense made, one string each, in order: `ifconfig vtnet1 vhid 2 …`, `pfSense_interface_setaddress
 * vtnet1 10.0.0.2/24`, `event filter sync` (an event sent to check_reload_status). Reads and completions are left out.
 * By default only the caller's own (foreground) changes; with `via`, those of the scripts run for that event.
 */
export function changesOf(entries: LabRecordEntry[], via?: string): string[] {
  return entries
    .filter((e) => e.done === undefined && !isRead(e) && e.via === via)
    .map((e) => (e.cmd === "check_reload_status" ? `event ${String(e.args[0])}` : [e.cmd ?? e.fn, ...e.args.map(String)].join(" ")));
}

/** Installs seen on a box: each successful write_config() sends exactly one "filter sync" event (carp_sync_client). */
export function writeConfigCount(entries: LabRecordEntry[]): number {
  return entries.filter((e) => e.cmd === "check_reload_status" && e.done === undefined && e.args[0] === "filter sync").length;
}

const RUN_EVENTS = new Set(["filter reload", "filter sync"]);

/** Waits until every event check_reload_status runs a script for (filter reload/sync) has finished on `host`. */
export async function eventsSettled(inv: LabInventory, host: string, timeoutMs = 30000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const r = labRecord(inv, host).filter((e) => e.cmd === "check_reload_status" && RUN_EVENTS.has(String(e.args[0])));
    const started = r.filter((e) => e.done === undefined).length;
    const done = r.filter((e) => e.done !== undefined).length;
    if (done >= started) return;
    if (Date.now() > end) throw new Error(`${host}: ${started - done} check_reload_status event(s) still running after ${timeoutMs} ms`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

/**
 * The PHP processes running pfSense code on a lab firewall (by pid, with their command line): an install or apply
 * script (also one that goes on after its SSH connection was cut), a script check_reload_status started for an
 * event, a test's own php. Not the two daemons that run from boot: check_reload_status and the webGUI (`php -S`).
 * The lab's hosts share the machine's process table, so a process belongs to a host by its network namespace.
 */
export function pfsenseWork(inv: LabInventory, host: string): { pid: number; cmd: string }[] {
  const ns = `net:[${statSync(`/run/netns/${inv.hosts[host].netns}`).ino}]`;
  const out: { pid: number; cmd: string }[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    let cmd: string[];
    try {
      if (readlinkSync(`/proc/${d}/ns/net`) !== ns) continue;
      cmd = readFileSync(`/proc/${d}/cmdline`, "utf8").split("\0").filter((a) => a !== "");
      if (/^[ZX]/.test(readFileSync(`/proc/${d}/stat`, "utf8").replace(/^.*\) /s, ""))) continue; // exited, not reaped
    } catch {
      continue; // exited meanwhile
    }
    if (cmd.length === 0 || !/(^|\/)php(-cgi)?[\d.]*$/.test(cmd[0])) continue;
    if (cmd.includes("-S") || cmd.some((a) => a.endsWith("/check_reload_status"))) continue;
    out.push({ pid: Number(d), cmd: cmd.join(" ") });
  }
  return out;
}

/**
 * Waits until a lab firewall has finished all of pfSense's work (no PHP process of `pfsenseWork()`): the apply a cut
 * connection left running on the box, the scripts its events started. A test asserts what pfSense did after that,
 * and a reset never runs beside a leftover apply (which would write into the fresh config and command record).
 */
export async function firewallIdle(inv: LabInventory, host: string, timeoutMs = 60000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const busy = pfsenseWork(inv, host);
    if (busy.length === 0) return;
    if (Date.now() > end) throw new Error(`${host}: pfSense still running after ${timeoutMs} ms: ${busy.map((p) => `${p.pid} ${p.cmd}`).join("; ")}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

/**
 * Sets the webGUI password of `admin` on a lab firewall with pfSense's own code (local_user_set_password(), as
 * System > User Manager does; the 24.x tree passes getUserEntry()'s {idx, item}, 2.7.x the user), then write_config().
 * The password travels inside the script on stdin only.
 */
export async function setAdminPassword(inv: LabInventory, host: string, password: string): Promise<void> {
  const quoted = `'${password.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
  const php = `<?php
error_reporting(E_ALL & ~E_NOTICE & ~E_DEPRECATED & ~E_WARNING);
require_once("config.inc"); require_once("auth.inc");
$e = getUserEntry("admin");
if (isset($e["item"])) { /* the 24.x tree: {idx, item} */
	local_user_set_password($e, ${quoted});
	config_set_path("system/user/{$e["idx"]}", $e["item"]);
	write_config("pfha lab: admin password");
	echo "set";
} else { /* 2.7.x: the user itself */
	foreach (config_get_path("system/user", array()) as $i => $u) {
		if (($u["name"] ?? "") === "admin") {
			local_user_set_password($u, ${quoted});
			config_set_path("system/user/{$i}", $u);
			write_config("pfha lab: admin password");
			echo "set";
		}
	}
}`;
  const r = await labExec(inv, host, "php", { stdin: php });
  if (r.code !== 0 || r.stdout.trim() !== "set") throw new Error(`${host}: setting the admin password failed (exit ${r.code})`);
}

/**
 * A lab firewall back to its seed config (pfSense's factory config.xml set up for the lab, `peer` as its HA peer),
 * with nothing left of earlier runs: no CARP state of earlier runs, no config backups or cache, an empty command
 * record, no injected failures or slow-downs, no upload or rollback files of ours, no pending-apply record and no
 * dirty-subsystem markers. It first
 * waits for pfSense's work still running there (firewallIdle()), so nothing of an earlier test lands after the reset.
 */
export async function reseedFirewall(inv: LabInventory, host: string, peer: string): Promise<void> {
  await firewallIdle(inv, host);
  const script =
    `rm -f /var/run/pfha-carp/${host}.json && php /usr/local/share/pfha-lab/seed.php ${host} ${peer} >/dev/null && rm -rf /cf/conf/backup ${RECORD_PATH} ` +
    "/tmp/pfha-lab-fail /tmp/pfha-lab-slow /tmp/config.cache /cf/conf/.pfha-* /var/run/pfha-apply.json /var/run/*.dirty && mkdir -p /cf/conf/backup " +
    `&& : > ${RECORD_PATH}`;
  const r = await labExec(inv, host, script);
  if (r.code !== 0) throw new Error(`${host}: reseed: exit ${r.code}: ${r.stderr}`);
}

/** Both lab firewalls back to their seed config (reseedFirewall), each the other's HA peer. */
export async function reseedFirewalls(inv: LabInventory): Promise<void> {
  await reseedFirewall(inv, "fw1", "fw2");
  await reseedFirewall(inv, "fw2", "fw1");
}

/**
 * The jest hooks of a file that drives one lab firewall (`host`, `peer` its HA peer) through the write protocol:
 * before each test the firewall back to its seed config and the protocol's counters and test hooks cleared; after the
 * file, SSH closed and the firewall reset once more.
 */
export function protocolFileHooks(inv: () => LabInventory, host: string, peer: string): void {
  beforeEach(async () => {
    await reseedFirewall(inv(), host, peer);
    resetProtocolStats();
    setProtocolHooks({});
  });
  afterAll(async () => {
    setProtocolHooks({});
    await closeAllHosts();
    await reseedFirewall(inv(), host, peer);
  });
}
