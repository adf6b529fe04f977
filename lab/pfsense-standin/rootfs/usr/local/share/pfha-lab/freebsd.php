<?php
/*
 * The FreeBSD commands that keep kernel state, stood in for the lab (run by bin/freebsd as
 * `php freebsd.php <command> <args...>`). Each records its arguments (a CARP `pass` redacted) in
 * /var/log/pfha-lab/apply.log and keeps the kernel state of kernel.inc:
 *   ifconfig  sets flags/addresses/CARP vhids/pfsync0 and prints FreeBSD-format status (-a, -l, <if>)
 *   sysctl    keeps values (net.inet.carp.allow, ...); -n/-iq reads as FreeBSD prints them
 *   pfctl     -si/-ss/-sr/-s rules/-sn (NAT rules of the loaded ruleset), -e/-d, -f <file> (loads rules.debug: kept as the active ruleset), -k (states)
 */
require_once('/usr/local/share/pfha-lab/kernel.inc');

$cmd = $argv[1] ?? '';
$args = array_slice($argv, 2);

/* The record: a CARP password never leaves the command line. */
$shown = $args;
foreach ($shown as $i => $a) {
	if ($i > 0 && $shown[$i - 1] === 'pass') {
		$shown[$i] = '<redacted>';
	}
}
pfha_record(array('cmd' => $cmd, 'args' => $shown));
if (($why = pfha_injected($cmd)) !== null) {
	fwrite(STDERR, "{$why}\n");
	exit(1);
}

switch ($cmd) {
case 'ifconfig':
	exit(pfha_ifconfig($args));
case 'sysctl':
	exit(pfha_sysctl($args));
case 'pfctl':
	exit(pfha_pfctl($args));
default:
	fwrite(STDERR, "freebsd.php: {$cmd} is not a stateful stand-in\n");
	exit(2);
}

function pfha_ifconfig(array $a) {
	$s = pfha_state_read();
	if ($a === array() || $a === array('-a')) {
		foreach (pfha_if_names($s) as $n) {
			echo pfha_ifconfig_block($s, $n);
		}
		return 0;
	}
	if ($a[0] === '-l') {
		echo implode(' ', pfha_if_names($s)) . "\n";
		return 0;
	}
	$if = array_shift($a);
	if ($a === array()) {
		if (!in_array($if, pfha_if_names($s), true)) {
			fwrite(STDERR, "ifconfig: interface {$if} does not exist\n");
			return 1;
		}
		echo pfha_ifconfig_block($s, $if);
		return 0;
	}
	return pfha_state_update(function (&$s) use ($if, $a) {
		if ($if === 'pfsync0') {
			for ($i = 0; $i < count($a); $i++) {
				switch ($a[$i]) {
				case 'syncdev': $s['pfsync']['syncdev'] = $a[++$i]; break;
				case '-syncdev': $s['pfsync']['syncdev'] = null; break;
				case 'syncpeer': $s['pfsync']['syncpeer'] = $a[++$i]; break;
				case '-syncpeer': $s['pfsync']['syncpeer'] = null; break;
				case 'up': $s['pfsync']['up'] = true; break;
				case 'down': $s['pfsync']['up'] = false; break;
				}
			}
			return 0;
		}
		if (!isset($s['ifaces'][$if])) {
			if (in_array('create', $a, true)) {
				$s['ifaces'][$if] = pfha_new_if($s['host'], $if);
				return 0;
			}
			fwrite(STDERR, "ifconfig: interface {$if} does not exist\n");
			return 1;
		}
		$i = &$s['ifaces'][$if];
		if (in_array('inet6', $a, true)) {
			return pfha_ifconfig_inet6($i, $a);
		}
		$addr = null; $bits = null; $vhid = null; $op = 'set'; $carp = array();
		for ($k = 0; $k < count($a); $k++) {
			$w = $a[$k];
			switch ($w) {
			case 'inet': break;
			case 'up': $i['up'] = true; break;
			case 'down': $i['up'] = false; break;
			case 'mtu': $i['mtu'] = (int)$a[++$k]; break;
			case 'description': $i['descr'] = (string)$a[++$k]; break;
			case 'netmask': $m = $a[++$k]; $bits = substr_count(decbin(str_starts_with($m, '0x') ? hexdec($m) : ip2long($m)), '1'); break;
			case 'alias': case 'add': $op = 'alias'; break;
			case '-alias': case 'delete': $op = 'delete'; break;
			case 'vhid': $vhid = (string)(int)$a[++$k]; break;
			case 'advskew': $carp['advskew'] = (int)$a[++$k]; break;
			case 'advbase': $carp['advbase'] = (int)$a[++$k]; break;
			case 'pass': ++$k; break;
			case 'destroy': unset($s['ifaces'][$if]); return 0;
			default:
				if (preg_match('#^(\d+\.\d+\.\d+\.\d+)(?:/(\d+))?$#', $w, $m)) {
					$addr = $m[1];
					$bits = isset($m[2]) ? (int)$m[2] : $bits;
				}
			}
		}
		if ($op === 'delete' && $addr === null && $vhid === null) { /* ifconfig <if> delete: the first address goes */
			foreach ($i['inet'] as $k => $x) {
				if (!isset($x['vhid'])) {
					array_splice($i['inet'], $k, 1);
					break;
				}
			}
		}
		if ($vhid !== null && $addr === null) { /* ifconfig <if> vhid N advskew .. advbase .. pass ..: the vhid itself */
			$i['carp'][$vhid] = array_merge($i['carp'][$vhid] ?? array('advbase' => 1, 'advskew' => 0), $carp);
		}
		if ($addr !== null) {
			$i['inet'] = array_values(array_filter($i['inet'], function ($x) use ($addr) { return $x['addr'] !== $addr; }));
			if ($op !== 'delete') {
				$e = array('addr' => $addr, 'bits' => $bits ?? 32);
				if ($vhid !== null) {
					$e['vhid'] = (int)$vhid;
				}
				if ($op === 'set') { /* without alias FreeBSD replaces the primary address */
					$i['inet'] = array_values(array_filter($i['inet'], function ($x) { return isset($x['vhid']); }));
				}
				$i['inet'][] = $e;
			}
		}
		pfha_drop_unused_vhids($i);
		return 0;
	});
}

/*
 * ifconfig <if> inet6 <addr>[/<len>] [prefixlen N] [alias] [vhid N] | -alias | delete, and the IPv6 flags
 * (-accept_rtadv, ifdisabled, …: recorded only). Unlike inet, an inet6 address without `alias` is added, never
 * replaces another (FreeBSD in6_control). Link-local addresses (fe80::/10) are not kept.
 */
function pfha_ifconfig_inet6(array &$i, array $a) {
	$addr = null; $bits = 64; $vhid = null; $delete = false;
	for ($k = 0; $k < count($a); $k++) {
		$w = $a[$k];
		switch ($w) {
		case 'prefixlen': $bits = (int)$a[++$k]; break;
		case 'vhid': $vhid = (int)$a[++$k]; break;
		case '-alias': case 'delete': $delete = true; break;
		default:
			$m = explode('/', $w, 2);
			$m[0] = explode('%', $m[0])[0];
			if (filter_var($m[0], FILTER_VALIDATE_IP, FILTER_FLAG_IPV6) !== false) {
				$addr = inet_ntop(inet_pton($m[0]));
				if (isset($m[1])) {
					$bits = (int)$m[1];
				}
			}
		}
	}
	if ($addr === null || stripos($addr, 'fe80:') === 0) {
		return 0;
	}
	$i['inet6'] = array_values(array_filter($i['inet6'] ?? array(), function ($x) use ($addr) { return $x['addr'] !== $addr; }));
	if (!$delete) {
		$e = array('addr' => $addr, 'bits' => $bits);
		if ($vhid !== null) {
			$e['vhid'] = $vhid;
		}
		$i['inet6'][] = $e;
	}
	pfha_drop_unused_vhids($i);
	return 0;
}

/* A vhid without any address left is removed with its last address (FreeBSD carp_detach). */
function pfha_drop_unused_vhids(array &$i) {
	foreach (array_keys($i['carp']) as $v) {
		$used = false;
		foreach (array_merge($i['inet'], $i['inet6'] ?? array()) as $x) {
			$used = $used || (string)($x['vhid'] ?? '') === (string)$v;
		}
		if (!$used && !empty($i['carp'][$v]['had_addr'])) {
			unset($i['carp'][$v]);
		} elseif ($used) {
			$i['carp'][$v]['had_addr'] = true;
		}
	}
}

function pfha_sysctl(array $a) {
	$values = array();
	$quiet = false; $bare = false;
	foreach ($a as $w) {
		if ($w[0] === '-') {
			$quiet = $quiet || str_contains($w, 'q') || str_contains($w, 'i');
			$bare = $bare || str_contains($w, 'n');
			continue;
		}
		$values[] = $w;
	}
	return pfha_state_update(function (&$s) use ($values, $quiet, $bare) {
		$rc = 0;
		foreach ($values as $w) {
			if (str_contains($w, '=')) {
				list($k, $v) = explode('=', $w, 2);
				$old = $s['sysctl'][$k] ?? '0';
				$s['sysctl'][$k] = $v;
				echo "{$k}: {$old} -> {$v}\n";
			} elseif (isset($s['sysctl'][$w])) {
				echo $bare ? "{$s['sysctl'][$w]}\n" : "{$w}: {$s['sysctl'][$w]}\n";
			} elseif (!$quiet) {
				fwrite(STDERR, "sysctl: unknown oid '{$w}'\n");
				$rc = 1;
			}
		}
		return $rc;
	});
}

function pfha_pfctl(array $a) {
	$j = implode(' ', $a);
	if ($j === '-si' || $j === '-s info') {
		$s = pfha_state_read();
		printf("Status: %s for 0 days 00:00:00           Debug: Urgent\n\nState Table                          Total             Rate\n  current entries                    %5d               \n",
		    $s['pf']['enabled'] ? 'Enabled' : 'Disabled', $s['pf']['states']);
		return 0;
	}
	if ($j === '-ss' || $j === '-s states') {
		return 0;
	}
	if ($j === '-sn' || $j === '-s nat') {
		/* the loaded NAT rules (nat, rdr, binat and their "no" forms), in the loaded ruleset's words */
		$s = pfha_state_read();
		foreach (explode("\n", $s['pf']['rules'] ?? '') as $l) {
			if (preg_match('/^(no )?(nat|rdr|binat) /', $l)) {
				echo "{$l}\n";
			}
		}
		return 0;
	}
	if ($j === '-sr' || $j === '-s rules') {
		$s = pfha_state_read();
		echo $s['pf']['rules'] ?? '';
		return 0;
	}
	return pfha_state_update(function (&$s) use ($a) {
		for ($k = 0; $k < count($a); $k++) {
			if ($a[$k] === '-e') {
				$s['pf']['enabled'] = true;
			} elseif ($a[$k] === '-d') {
				$s['pf']['enabled'] = false;
			} elseif ($a[$k] === '-f' && isset($a[$k + 1])) {
				$text = @file_get_contents($a[++$k]);
				if ($text === false) {
					fwrite(STDERR, "pfctl: {$a[$k]}: No such file or directory\n");
					return 1;
				}
				if (!in_array('-n', $a, true)) {
					$s['pf']['rules'] = implode("\n", array_filter(explode("\n", $text), function ($l) {
						return $l !== '' && $l[0] !== '#';
					})) . "\n";
				}
			}
		}
		return 0;
	});
}
