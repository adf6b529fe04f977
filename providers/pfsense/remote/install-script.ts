// The PHP program that installs an uploaded config.xml and applies it with pfSense's own functions.
// Parameters travel as base64 JSON inside the script (no shell involved); the script reads no secret itself.
import { APPLY_SECTIONS, type ApplySection, type InstallReport } from "./types";

export const CONFIG_PATH = "/cf/conf/config.xml";
export const RESULT_MARKER = "PFHA-RESULT ";
export const EXIT_CONFLICT = 3;
/**
 * Pending apply work: written before an install, removed only after its apply (with pfSense's own dirty-subsystem
 * markers beside it, the GUI's "apply changes" banner). A run killed between install and apply leaves it, so the
 * next run (and refresh) sees the work and applies it. /var/run: a reboot clears it, and a boot applies everything.
 */
export const PENDING_PATH = "/var/run/pfha-apply.json";

export interface InstallParams {
  configPath: string;
  uploadedPath: string;
  /** sha256 (hex) of config.xml as read: the install happens only if the file still has it. */
  expectedSha256: string;
  description: string;
  sections: ApplySection[];
  interfaces: string[];
  /** Where pending apply work is recorded (PENDING_PATH). */
  pendingPath: string;
  /** Apply pending work only (config.xml already as desired): no upload, no install. */
  applyOnly?: boolean;
}

const PHP_BODY = String.raw`
/* Run to the end even when our connection is cut: PHP ends a script whose stdout write fails ("aborted
 * connection") unless told not to, and pfSense's apply functions print progress. */
ignore_user_abort(true);
error_reporting(E_ALL & ~E_NOTICE & ~E_DEPRECATED & ~E_WARNING);
ini_set('display_errors', 'stderr');
require_once("config.inc");
require_once("functions.inc");
require_once("filter.inc");
require_once("interfaces.inc");
require_once("services.inc");
require_once("gwlb.inc");
require_once("system.inc");
/* what /etc/rc.filter_configure_sync loads before filter_configure_sync(): its rules need shaper.inc (limiters),
 * ipsec.inc and vpn.inc */
require_once("shaper.inc");
require_once("ipsec.inc");
require_once("vpn.inc");

function pfha_done($r, $code) { global $p; if ($p['uploadedPath'] !== '') @unlink($p['uploadedPath']); echo "\n" . PFHA_MARK . json_encode($r, JSON_UNESCAPED_SLASHES) . "\n"; exit($code); }
/* config_restore() reports success as 0 (2.7.x: 0 = restored, 1 = file missing) or true (24.x tree: true/false). */
function pfha_restore($path, $descr) {
	$rc = config_restore($path, $descr);
	return $rc === true || $rc === 0;
}
function pfha_vips($cfg) {
	$out = array();
	foreach (($cfg['virtualip']['vip'] ?? array()) as $v) {
		if (!is_array($v)) continue;
		$k = $v['uniqid'] ?? (($v['interface'] ?? '') . '/' . ($v['vhid'] ?? '') . '/' . ($v['subnet'] ?? ''));
		$out[$k] = $v;
	}
	return $out;
}
/* pfSense's dirty-subsystem names (the GUI's "apply changes" banner) per apply section; hasync has none. */
function pfha_subsystems($s) {
	$m = array('interfaces' => array('interfaces'), 'routing' => array('staticroutes'), 'vip' => array('vip'),
		'hasync' => array(), 'filter' => array('filter', 'natconf', 'aliases'), 'dhcp' => array('dhcpd'), 'vpn' => array('ipsec'));
	return $m[$s] ?? array();
}
function pfha_pending_read($path) {
	$v = is_file($path) ? json_decode((string)@file_get_contents($path), true) : null;
	if (!is_array($v)) $v = array();
	return array('sections' => array_values((array)($v['sections'] ?? array())), 'interfaces' => array_values((array)($v['interfaces'] ?? array())),
		'vipsDown' => (array)($v['vipsDown'] ?? array()));
}
/* Record pending work durably (temp file + rename) and mark pfSense's subsystems dirty; false when it cannot be written. */
function pfha_pending_write($path, $pending) {
	foreach ($pending['sections'] as $s) foreach (pfha_subsystems($s) as $sub) mark_subsystem_dirty($sub);
	$tmp = "$path.tmp";
	$ok = @file_put_contents($tmp, json_encode($pending, JSON_UNESCAPED_SLASHES)) !== false && @rename($tmp, $path);
	if (!$ok) @unlink($tmp);
	return $ok;
}
function pfha_pending_clear($path, $sections) {
	foreach ($sections as $s) foreach (pfha_subsystems($s) as $sub) clear_subsystem_dirty($sub);
	@unlink($path);
}
/* What interface_vip_bring_down() needs of a VIP, without its password (the pending file is not a secret store). */
function pfha_vip_key_fields($v) {
	return array_intersect_key($v, array_flip(array('mode', 'interface', 'vhid', 'subnet', 'subnet_bits', 'uniqid', 'type')));
}
/* Apply what changed from $from to $to (both config arrays); returns the steps done, throws on failure.
 * $vipsDown: VIPs a killed run had replaced or removed (to bring down); $force: sections left pending by a killed
 * run, applied in full because $from no longer shows what changed. */
function pfha_apply($from, $to, $sections, $ifs, $vipsDown = array(), $force = array()) {
	global $config;
	/* The alias table the ruleset resolves aliases from: write_config() builds it, but an apply-only run and a
	 * re-apply after config_restore() have not called it in this process (filter.inc: "Unresolvable source alias"). */
	alias_make_table();
	$done = array();
	foreach ($sections as $s) {
		if ($s === 'interfaces') {
			foreach ($ifs as $if) {
				/* as Interfaces > (assign) applies (interfaces.php): the old settings in the shape interface_bring_down()
				 * takes ({ifcfg, ppps}, ifcfg.realif = the old device), then interface_configure() */
				if (isset($from['interfaces'][$if])) {
					$old = array('ifcfg' => $from['interfaces'][$if], 'ppps' => $from['ppps']['ppp'] ?? array());
					$old['ifcfg']['realif'] = $from['interfaces'][$if]['if'] ?? get_real_interface($if);
					if (isset($to['interfaces'][$if])) {
						interface_bring_down($if, false, $old);
					} else {
						/* an unassigned interface: pfSense brings it down while it is still assigned
						 * (interfaces_assign.php), so it is put back in memory for the call */
						config_set_path("interfaces/{$if}", $from['interfaces'][$if]);
						interface_bring_down($if);
						config_del_path("interfaces/{$if}");
					}
				}
				if (isset($to['interfaces'][$if]) && interface_configure($if, true) === false) throw new Exception("interface_configure($if)");
			}
			clear_subsystem_dirty('interfaces');
			$done[] = 'interfaces';
		} elseif ($s === 'routing') {
			/* System > Routing > Gateways "apply" (system_gateways.php) */
			system_routing_configure();
			system_resolvconf_generate();
			filter_configure();
			setup_gateways_monitor();
			clear_subsystem_dirty('staticroutes');
			$done[] = 'routing';
		} elseif ($s === 'vip') {
			$old = in_array('vip', $force, true) ? array() : pfha_vips($from); $new = pfha_vips($to); $carp = false;
			foreach ($vipsDown as $k => $v) { if (!isset($new[$k]) && !isset($old[$k])) $old[$k] = $v; }
			foreach ($old as $k => $v) { if (!isset($new[$k]) || $new[$k] != $v) interface_vip_bring_down($v); }
			foreach ($new as $k => $v) {
				if (($v['mode'] ?? '') === 'carp') $carp = true;
				if (isset($old[$k]) && $old[$k] == $v) continue;
				if (($v['mode'] ?? '') === 'carp') interface_carp_configure($v);
				elseif (($v['mode'] ?? '') === 'ipalias') interface_ipalias_configure($v);
			}
			if ($carp) enable_carp();
			/* As the GUI's VIP apply (applyVIP() in firewall_virtual_ip.inc) ends: reload the ruleset, so pf passes
			 * CARP (and the rules naming the VIPs) as soon as the VIPs exist; synchronously, so the ruleset is loaded
			 * when this stage reports done. Without it both nodes stay MASTER until the rules stage. */
			filter_configure_sync();
			clear_subsystem_dirty('vip');
			$done[] = 'vip';
		} elseif ($s === 'hasync') {
			interfaces_sync_setup();
			$done[] = 'hasync';
		} elseif ($s === 'filter') {
			filter_configure_sync();
			clear_subsystem_dirty('natconf');
			clear_subsystem_dirty('filter');
			clear_subsystem_dirty('aliases');
			$done[] = 'filter';
		} elseif ($s === 'dhcp') {
			/* services_dhcp.php: a changed failover peer makes the old failover state invalid; the GUI wipes the
			 * lease/failover database before dhcpd restarts. */
			foreach (($to['dhcpd'] ?? array()) as $if => $d) {
				$before = is_array($from['dhcpd'][$if] ?? null) ? ($from['dhcpd'][$if]['failover_peerip'] ?? '') : '';
				if (is_array($d) && ($d['failover_peerip'] ?? '') != $before) { mwexec("/bin/rm -rf /var/dhcpd/var/db/*"); break; }
			}
			services_dhcpd_configure();
			clear_subsystem_dirty('dhcpd');
			$done[] = 'dhcp';
		} elseif ($s === 'vpn') {
			/* OpenVPN: as the instance's save (vpn_openvpn_server.php / _client.php: write_config() then
			 * openvpn_resync()), for each instance that changed; xmlrpc.php does the same on a synced change. */
			$all = in_array('vpn', $force, true);
			foreach (array('server', 'client') as $type) {
				$was = array();
				foreach (($from['openvpn']["openvpn-{$type}"] ?? array()) as $o) if (is_array($o)) $was[$o['vpnid'] ?? ''] = $o;
				foreach (($to['openvpn']["openvpn-{$type}"] ?? array()) as $o) {
					if (!is_array($o)) continue;
					if (!$all && isset($was[$o['vpnid'] ?? '']) && $was[$o['vpnid'] ?? ''] == $o) continue;
					openvpn_resync($type, $o);
				}
			}
			/* IPsec: the phase 1 save marks 'ipsec' dirty; VPN > IPsec "apply" (vpn_ipsec.php) runs ipsec_configure(),
			 * ipsec_reload_package_hook() and filter_configure(). */
			if ($all || ($from['ipsec'] ?? null) != ($to['ipsec'] ?? null)) {
				$dyn = ipsec_configure();
				ipsec_reload_package_hook();
				filter_configure();
				if ($dyn >= 0) clear_subsystem_dirty('ipsec');
			}
			$done[] = 'vpn';
		} elseif ($s === 'system') {
			/* System > Advanced > Networking (system_advanced_network.inc): setup_microcode() + write_config() and a
			 * reboot notice; offload flags take effect when pfSense next configures the interfaces. Nothing live. */
			$done[] = 'system';
		}
	}
	return $done;
}
function pfha_union($a, $b) { return array_values(array_unique(array_merge($a, $b))); }
function pfha_order($sections) { return array_values(array_filter(PFHA_SECTIONS, function ($s) use ($sections) { return in_array($s, $sections, true); })); }
/* The reason a write failed; "no space" named when the filesystem is full. */
function pfha_write_error($what, $dir) {
	$free = @disk_free_space($dir);
	$e = error_get_last();
	$msg = "could not write $what";
	if (($free !== false && $free < 65536) || stripos((string)($e['message'] ?? ''), 'space') !== false) {
		$msg .= ": no space left on $dir (" . ($free === false ? '?' : (int)$free) . " bytes free); free space there and re-run";
	}
	return $msg;
}

$cf = $p['configPath'];
$dir = dirname($cf);
$r = array('ok' => false);
$pending = pfha_pending_read($p['pendingPath']);
if (!empty($pending['sections'])) $r['pendingBefore'] = $pending['sections'];

if (!empty($p['applyOnly'])) {
	/* config.xml is already as desired: apply what a killed run installed but never applied. */
	$config = parse_config(true);
	$sections = pfha_order($pending['sections']);
	try {
		$r['applied'] = pfha_apply($config, $config, $sections, $pending['interfaces'], $pending['vipsDown'], $sections);
		pfha_pending_clear($p['pendingPath'], $sections);
		$r['ok'] = true;
		pfha_done($r, 0);
	} catch (Throwable $e) {
		$r['failedStep'] = 'apply';
		$r['error'] = $e->getMessage() . ' (the work stays recorded as pending)';
		pfha_done($r, 5);
	}
}

/* Uploads left by a run cut before this script started hold passwords (mode 0600): drop those older than 10 min. */
foreach ((glob($dir . '/.pfha-*.xml') ?: array()) as $stale) {
	if ($stale !== $p['uploadedPath'] && filemtime($stale) < time() - 600) @unlink($stale);
}
/* Check and install under pfSense's config lock, as config_restore() does, so no writer slips in between. */
$old = parse_xml_config($cf, array('pfsense'));
if (!is_array($old)) { $r['failedStep'] = 'read'; $r['error'] = "$cf does not parse as a pfSense config (root element <pfsense>)"; pfha_done($r, 4); }
/* pfSense's lock('xmlrpc') too, held until our write_config() is done: xmlrpc.php holds it around its own
 * write_config(), whose backup_config() rewrites backup/backup.cache outside lock('config') (truncate, then write).
 * A write_config() of ours at the same time would read that cache half-written in cleanup_backupcache() and die
 * (array_keys(false): a TypeError on PHP 8). Same lock order as xmlrpc.php (xmlrpc, then config); nothing else takes
 * it, and the process's exit releases it on every early return below. */
$xlk = lock('xmlrpc', LOCK_EX);
$lk = lock('config', LOCK_EX);
if (hash_file('sha256', $cf) !== $p['expectedSha256']) { unlock($lk); $r['failedStep'] = 'conflict'; pfha_done($r, PFHA_CONFLICT); }
$new = parse_xml_config($p['uploadedPath'], array('pfsense'));
if (!is_array($new)) { unlock($lk); $r['failedStep'] = 'validate'; $r['error'] = 'uploaded config does not parse'; pfha_done($r, 4); }
/* Room for the rollback copy, the new file beside config.xml and pfSense's own history copy, before writing any. */
$need = 2 * filesize($cf) + filesize($p['uploadedPath']) + 65536;
$free = @disk_free_space($dir);
if ($free !== false && $free < $need) {
	unlock($lk);
	$r['failedStep'] = 'space';
	$r['error'] = "no space left on $dir: " . (int)$free . " bytes free, $need needed (rollback copy, new config, history copy); nothing was changed; free space there (e.g. old copies in $dir/backup) and re-run";
	pfha_done($r, 4);
}
/* pfSense's own history copy (Diagnostics > Backup & Restore) ... */
backup_config();
/* ... and our rollback copy under a name nobody else writes: pfSense's backup/config-<revision time>.xml is
 * overwritten by the next backup_config() in the same second (config_restore() itself calls it first), so rolling
 * back from it after a fast failure would "restore" the new config. */
$backup = "{$g['cf_conf_path']}/backup/pfha-rollback-" . date('Ymd-His') . '-' . bin2hex(random_bytes(4)) . ".xml";
@mkdir(dirname($backup), 0755, true);
if (!@copy($cf, $backup)) { @unlink($backup); unlock($lk); $r['failedStep'] = 'backup'; $r['error'] = pfha_write_error("the rollback copy $backup", $dir); pfha_done($r, 4); }
$r['backupPath'] = $backup;
/* The pending work first (durably), then the install: a run killed after the install leaves the work recorded. */
$sections = pfha_order(pfha_union($p['sections'], $pending['sections']));
$ifs = pfha_union($p['interfaces'], $pending['interfaces']);
$vipsDown = $pending['vipsDown'];
if (in_array('vip', $p['sections'], true)) foreach (pfha_vips($old) as $k => $v) $vipsDown[$k] = pfha_vip_key_fields($v);
$force = $pending['sections'];
if (!pfha_pending_write($p['pendingPath'], array('sections' => $sections, 'interfaces' => $ifs, 'vipsDown' => $vipsDown))) {
	@unlink($backup); unlock($lk);
	$r['failedStep'] = 'pending'; unset($r['backupPath']);
	$r['error'] = pfha_write_error("the pending-apply record {$p['pendingPath']}", dirname($p['pendingPath']));
	pfha_done($r, 4);
}
$ok = @copy($p['uploadedPath'], "$cf.pfha") && @rename("$cf.pfha", $cf);
if (!$ok) {
	$err = pfha_write_error("the new config beside $cf", $dir);
	@unlink("$cf.pfha"); @unlink($backup); unset($r['backupPath']);
	/* nothing installed: the pending record goes back to what it was */
	if (empty($pending['sections'])) pfha_pending_clear($p['pendingPath'], $sections);
	else pfha_pending_write($p['pendingPath'], $pending);
	unlock($lk);
	$r['failedStep'] = 'install'; $r['error'] = $err; pfha_done($r, 4);
}
unlink_if_exists("{$g['tmp_path']}/config.cache");
unlock($lk);
$r['installed'] = true;
/* pfSense's own write: canonical file, <revision> naming the resources, cache, XMLRPC sync. */
$config = parse_config(true);
/* write_config() returns the config written; false when it refuses (a pending factory reset, a read-only user) and
 * -1 when the file could not be written (both trees). */
if (!is_array(write_config($p['description'], false))) {
	$r['failedStep'] = 'install';
	$r['error'] = 'write_config() failed';
	$r['restored'] = pfha_restore($backup, "pfha: rollback after failed install");
	pfha_done($r, 4);
}
unlock($xlk);
try {
	$r['applied'] = pfha_apply($old, $config, $sections, $ifs, $vipsDown, $force);
	pfha_pending_clear($p['pendingPath'], $sections);
	$r['ok'] = true;
	@unlink($backup); /* applied: pfSense's own backup_config() copy is the history */
	unset($r['backupPath']);
	pfha_done($r, 0);
} catch (Throwable $e) {
	$r['failedStep'] = 'apply';
	$r['error'] = $e->getMessage();
	$installed = $config;
	$r['restored'] = pfha_restore($backup, "pfha: rollback after failed apply");
	try {
		pfha_apply($installed, $config, $sections, $ifs, array(), $force);
		if ($r['restored']) pfha_pending_clear($p['pendingPath'], $sections);
	} catch (Throwable $e2) {
		$r['error'] .= '; re-applying the previous config failed too: ' . $e2->getMessage();
		$r['restored'] = false;
	}
	pfha_done($r, 5);
}
`;

/** The whole PHP program for one install (pure). */
export function buildInstallScript(params: InstallParams): string {
  const payload = Buffer.from(JSON.stringify(params), "utf8").toString("base64");
  return (
    "<?php\n" +
    `define('PFHA_MARK', ${JSON.stringify(RESULT_MARKER)});\n` +
    `define('PFHA_CONFLICT', ${EXIT_CONFLICT});\n` +
    `define('PFHA_SECTIONS', ${JSON.stringify(APPLY_SECTIONS)});\n` +
    `$p = json_decode(base64_decode('${payload}'), true);\n` +
    PHP_BODY
  );
}

/** The install report from the script's stdout; a missing report means the run was cut or crashed. */
export function parseInstallReport(stdout: string): InstallReport | undefined {
  const at = stdout.lastIndexOf(RESULT_MARKER);
  if (at === -1) return undefined;
  const line = stdout.slice(at + RESULT_MARKER.length).split("\n")[0];
  try {
    const v = JSON.parse(line) as InstallReport;
    return typeof v === "object" && v !== null && typeof v.ok === "boolean" ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The revision description: names every resource of the batch (pfSense shows it in Diagnostics > Backup). */
export function revisionDescription(labels: string[]): string {
  const head = `pfha: ${labels.slice(0, 5).join(", ")}`;
  return labels.length > 5 ? `${head} and ${labels.length - 5} more` : head;
}
