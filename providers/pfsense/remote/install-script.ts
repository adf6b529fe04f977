// The PHP program that installs an uploaded config.xml and applies it with pfSense's own functions (research §2).
// Parameters travel as base64 JSON inside the script (no shell involved); the script reads no secret itself.
import type { ApplySection, InstallReport } from "./types";

export const CONFIG_PATH = "/cf/conf/config.xml";
export const RESULT_MARKER = "PFHA-RESULT ";
export const EXIT_CONFLICT = 3;

export interface InstallParams {
  configPath: string;
  uploadedPath: string;
  /** sha256 (hex) of config.xml as read: the install happens only if the file still has it. */
  expectedSha256: string;
  description: string;
  sections: ApplySection[];
  interfaces: string[];
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

function pfha_done($r, $code) { global $p; @unlink($p['uploadedPath']); echo "\n" . PFHA_MARK . json_encode($r, JSON_UNESCAPED_SLASHES) . "\n"; exit($code); }
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
/* Apply what changed from $from to $to (both config arrays); returns the steps done, throws on failure. */
function pfha_apply($from, $to, $sections, $ifs) {
	global $config;
	/* pfSense resolves aliases in rules from a table built when its includes load (config.gui.inc, boot): built
	 * from the config read before the install, it would not know our aliases ("Unresolvable source alias") */
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
			$old = pfha_vips($from); $new = pfha_vips($to); $carp = false;
			foreach ($old as $k => $v) { if (!isset($new[$k]) || $new[$k] != $v) interface_vip_bring_down($v); }
			foreach ($new as $k => $v) {
				if (($v['mode'] ?? '') === 'carp') $carp = true;
				if (isset($old[$k]) && $old[$k] == $v) continue;
				if (($v['mode'] ?? '') === 'carp') interface_carp_configure($v);
				elseif (($v['mode'] ?? '') === 'ipalias') interface_ipalias_configure($v);
			}
			if ($carp) enable_carp();
			clear_subsystem_dirty('vip');
			$done[] = 'vip';
		} elseif ($s === 'hasync') {
			interfaces_sync_setup();
			$done[] = 'hasync';
		} elseif ($s === 'filter') {
			filter_configure_sync();
			clear_subsystem_dirty('natconf');
			clear_subsystem_dirty('filter');
			$done[] = 'filter';
		} elseif ($s === 'dhcp') {
			services_dhcpd_configure();
			$done[] = 'dhcp';
		}
	}
	return $done;
}

$cf = $p['configPath'];
$r = array('ok' => false);
/* Uploads left by a run cut before this script started hold passwords (mode 0600): drop those older than 10 min. */
foreach ((glob(dirname($cf) . '/.pfha-*.xml') ?: array()) as $stale) {
	if ($stale !== $p['uploadedPath'] && filemtime($stale) < time() - 600) @unlink($stale);
}
/* Check and install under pfSense's config lock, as config_restore() does, so no writer slips in between. */
$old = parse_xml_config($cf, array('pfsense'));
if (!is_array($old)) { $r['failedStep'] = 'read'; $r['error'] = "$cf does not parse"; pfha_done($r, 4); }
$lk = lock('config', LOCK_EX);
if (hash_file('sha256', $cf) !== $p['expectedSha256']) { unlock($lk); $r['failedStep'] = 'conflict'; pfha_done($r, PFHA_CONFLICT); }
$new = parse_xml_config($p['uploadedPath'], array('pfsense'));
if (!is_array($new)) { unlock($lk); $r['failedStep'] = 'validate'; $r['error'] = 'uploaded config does not parse'; pfha_done($r, 4); }
/* pfSense's own history copy (Diagnostics > Backup & Restore) ... */
backup_config();
/* ... and our rollback copy under a name nobody else writes: pfSense's backup/config-<revision time>.xml is
 * overwritten by the next backup_config() in the same second (config_restore() itself calls it first), so rolling
 * back from it after a fast failure would "restore" the new config. */
$backup = "{$g['cf_conf_path']}/backup/pfha-rollback-" . date('Ymd-His') . '-' . bin2hex(random_bytes(4)) . ".xml";
@mkdir(dirname($backup), 0755, true);
if (!copy($cf, $backup)) { unlock($lk); $r['failedStep'] = 'backup'; $r['error'] = "could not write the rollback copy $backup"; pfha_done($r, 4); }
$r['backupPath'] = $backup;
$ok = copy($p['uploadedPath'], "$cf.pfha") && rename("$cf.pfha", $cf);
unlink_if_exists("{$g['tmp_path']}/config.cache");
unlock($lk);
if (!$ok) { $r['failedStep'] = 'install'; $r['error'] = "could not copy the upload over $cf"; pfha_done($r, 4); }
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
try {
	$r['applied'] = pfha_apply($old, $config, $p['sections'], $p['interfaces']);
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
		pfha_apply($installed, $config, $p['sections'], $p['interfaces']);
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
