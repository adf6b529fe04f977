<?php
/*
 * ext.php - stand-ins for the functions and constants of pfSense's own PHP extension (pfSense.so, C code that talks
 * to the FreeBSD kernel: ioctls on interfaces, pf, pfsync). Loaded before every script (auto_prepend_file), as the
 * extension is loaded before every script on pfSense. They read and change the lab's kernel state (kernel.inc),
 * record each call that changes something, and honour injected failures/delays (kernel.inc).
 */
require_once('/usr/local/share/pfha-lab/kernel.inc');

if (!defined('IFF_UP')) {
	/* FreeBSD's net/if.h values, as the extension exports them */
	foreach (array('IFF_UP' => 0x1, 'IFF_BROADCAST' => 0x2, 'IFF_LOOPBACK' => 0x8, 'IFF_POINTOPOINT' => 0x10,
	    'IFF_RUNNING' => 0x40, 'IFF_NOARP' => 0x80, 'IFF_PROMISC' => 0x100, 'IFF_ALLMULTI' => 0x200,
	    'IFF_LINK0' => 0x1000, 'IFF_LINK1' => 0x2000, 'IFF_LINK2' => 0x4000, 'IFF_MULTICAST' => 0x8000,
	    'IFCAP_RXCSUM' => 0x1, 'IFCAP_TXCSUM' => 0x2, 'IFCAP_NETCONS' => 0x4, 'IFCAP_VLAN_MTU' => 0x8,
	    'IFCAP_VLAN_HWTAGGING' => 0x10, 'IFCAP_JUMBO_MTU' => 0x20, 'IFCAP_POLLING' => 0x40,
	    'IFCAP_VLAN_HWCSUM' => 0x80, 'IFCAP_TSO4' => 0x100, 'IFCAP_TSO6' => 0x200, 'IFCAP_LRO' => 0x400,
	    'IFCAP_WOL_UCAST' => 0x800, 'IFCAP_WOL_MCAST' => 0x1000, 'IFCAP_WOL_MAGIC' => 0x2000,
	    'IFCAP_TOE4' => 0x4000, 'IFCAP_TOE6' => 0x8000, 'IFCAP_VLAN_HWFILTER' => 0x10000,
	    'IFCAP_POLLING_NOCOUNT' => 0x20000, 'IFCAP_VLAN_HWTSO' => 0x40000, 'IFCAP_LINKSTATE' => 0x80000,
	    'IFCAP_RXCSUM_IPV6' => 0x200000, 'IFCAP_TXCSUM_IPV6' => 0x400000, 'IFCAP_HWSTATS' => 0x800000,
	    'IFCAP_TXRTLMT' => 0x1000000, 'IFCAP_HWRXTSTMP' => 0x2000000, 'IFCAP_HWCSUM' => 0x3, 'IFCAP_TSO' => 0x300,
	    'IFCAP_HWCSUM_IPV6' => 0x600000, 'PF_INOUT' => 0, 'PF_IN' => 1, 'PF_OUT' => 2) as $k => $v) {
		define($k, $v);
	}
}

/* Record a call; throw when a failure is injected for it. */
function pfha_ext_call($fn, array $args = array()) {
	pfha_record(array('fn' => $fn, 'args' => $args));
	if (($why = pfha_injected($fn)) !== null) {
		throw new Exception($why . '()');
	}
}

/* An interface's addresses as the kernel holds them. */
function pfha_ext_if($ifname) {
	$s = pfha_state_read();
	return $s['ifaces'][$ifname] ?? null;
}

function pfSense_interface_listget($flags = 0) {
	pfha_injected('pfSense_interface_listget') === null || throw new Exception('pfha-lab: injected failure in pfSense_interface_listget()');
	$s = pfha_state_read();
	$out = array();
	foreach (pfha_if_names($s) as $n) {
		$up = $n === 'pfsync0' ? $s['pfsync']['up'] : $s['ifaces'][$n]['up'];
		if ($flags === 0 || ($flags > 0 && $up) || ($flags < 0 && !$up)) {
			$out[] = $n;
		}
	}
	return $out;
}

function pfSense_get_ifaddrs($ifname) {
	$i = pfha_ext_if($ifname);
	if ($i === null) {
		return null;
	}
	$r = array('name' => $ifname, 'flags' => array(), 'mtu' => $i['mtu'], 'macaddr' => $i['ether'], 'hwaddr' => $i['ether'],
	    'iftype' => 'ether', 'linkstate' => $i['up'] ? 'up' : 'down', 'addrs' => array(), 'addrs6' => array());
	if ($i['up']) {
		$r['flags'] = array('up', 'broadcast', 'running', 'simplex', 'multicast');
	}
	foreach ($i['inet'] as $a) {
		$r['addrs'][] = array('addr' => $a['addr'], 'subnetbits' => $a['bits'], 'subnet' => long2ip(ip2long($a['addr']) & (int)hexdec(substr(pfha_mask_hex($a['bits']), 2))),
		    'broadcast' => pfha_broadcast($a['addr'], $a['bits']));
	}
	foreach ($i['inet6'] ?? array() as $a) {
		$r['addrs6'][] = array('addr' => $a['addr'], 'subnetbits' => $a['bits']);
	}
	return $r;
}

function pfSense_get_interface_addresses($ifname) {
	$r = pfSense_get_ifaddrs($ifname);
	if ($r === null) {
		return null;
	}
	if ($r['addrs'] !== array()) {
		$r['ipaddr'] = $r['addrs'][0]['addr'];
		$r['subnetbits'] = $r['addrs'][0]['subnetbits'];
		$r['subnet'] = $r['addrs'][0]['subnet'];
	}
	if ($r['addrs6'] !== array()) {
		$r['ipaddr6'] = $r['addrs6'][0]['addr'];
		$r['subnetbits6'] = $r['addrs6'][0]['subnetbits'];
	}
	unset($r['addrs'], $r['addrs6']);
	return $r;
}

function pfSense_getall_interface_addresses($ifname) {
	$i = pfha_ext_if($ifname);
	$out = array();
	foreach (array_merge($i['inet'] ?? array(), $i['inet6'] ?? array()) as $a) {
		$out[] = "{$a['addr']}/{$a['bits']}";
	}
	return $out;
}

function pfSense_interface_getmtu($ifname) {
	$i = pfha_ext_if($ifname);
	return array('mtu' => $i['mtu'] ?? 1500);
}

function pfSense_get_interface_stats($ifname) {
	return array('inpkts' => 0, 'inbytes' => 0, 'outpkts' => 0, 'outbytes' => 0, 'inerrs' => 0, 'outerrs' => 0,
	    'collisions' => 0, 'inmcasts' => 0, 'outmcasts' => 0, 'unsuppproto' => 0, 'mtu' => pfSense_interface_getmtu($ifname)['mtu']);
}

function pfSense_interface_flags($ifname, $flags) {
	pfha_ext_call(__FUNCTION__, array($ifname, $flags));
	if (($flags & IFF_UP) === 0 && $flags !== -IFF_UP) {
		return true;
	}
	pfha_state_update(function (&$s) use ($ifname, $flags) {
		if (isset($s['ifaces'][$ifname])) {
			$s['ifaces'][$ifname]['up'] = $flags > 0;
		}
	});
	return true;
}

function pfSense_interface_setaddress($ifname, $cidr) {
	pfha_ext_call(__FUNCTION__, array($ifname, $cidr));
	list($addr, $bits) = array_pad(explode('/', $cidr, 2), 2, 32);
	pfha_state_update(function (&$s) use ($ifname, $addr, $bits) {
		if (!isset($s['ifaces'][$ifname])) {
			return;
		}
		$i = &$s['ifaces'][$ifname];
		$i['inet'] = array_values(array_filter($i['inet'], function ($x) use ($addr) { return $x['addr'] !== $addr; }));
		$i['inet'][] = array('addr' => $addr, 'bits' => (int)$bits);
	});
	return true;
}

function pfSense_interface_deladdress($ifname, $addr) {
	pfha_ext_call(__FUNCTION__, array($ifname, $addr));
	$addr = explode('/', $addr)[0];
	pfha_state_update(function (&$s) use ($ifname, $addr) {
		if (isset($s['ifaces'][$ifname])) {
			$i = &$s['ifaces'][$ifname];
			$i['inet'] = array_values(array_filter($i['inet'], function ($x) use ($addr) { return $x['addr'] !== $addr; }));
			foreach (array_keys($i['carp']) as $v) {
				$used = array_filter(array_merge($i['inet'], $i['inet6'] ?? array()), function ($x) use ($v) { return (string)($x['vhid'] ?? '') === (string)$v; });
				if ($used === array()) {
					unset($i['carp'][$v]);
				}
			}
		}
	});
	return true;
}

function pfSense_interface_mtu($ifname, $mtu) {
	pfha_ext_call(__FUNCTION__, array($ifname, $mtu));
	pfha_state_update(function (&$s) use ($ifname, $mtu) {
		if (isset($s['ifaces'][$ifname])) {
			$s['ifaces'][$ifname]['mtu'] = (int)$mtu;
		}
	});
	return true;
}

function pfSense_interface_create2($ifname) {
	pfha_ext_call(__FUNCTION__, array($ifname));
	pfha_state_update(function (&$s) use ($ifname) {
		$s['ifaces'][$ifname] = $s['ifaces'][$ifname] ?? pfha_new_if($s['host'], $ifname);
	});
	return $ifname;
}

function pfSense_interface_destroy($ifname) {
	pfha_ext_call(__FUNCTION__, array($ifname));
	pfha_state_update(function (&$s) use ($ifname) {
		unset($s['ifaces'][$ifname]);
	});
	return true;
}

function pfSense_interface_rename($ifname, $newname) {
	pfha_ext_call(__FUNCTION__, array($ifname, $newname));
	return true;
}

function pfSense_interface_capabilities($ifname, $caps) {
	return true;
}

function pfSense_fsync($path) {
	return true;
}

function pfSense_kill_states($a = null, $b = null, $c = null) {
	pfha_ext_call(__FUNCTION__, array_values(array_filter(array($a, $b, $c), 'is_string')));
	return true;
}

function pfSense_kill_srcstates($a = null, $b = null) {
	pfha_ext_call(__FUNCTION__, array_values(array_filter(array($a, $b), 'is_string')));
	return true;
}

function pfSense_ipsec_list_sa() {
	return array();
}

function pfSense_get_pf_rules($a = null) {
	return array();
}

function pfSense_get_pf_stats() {
	return array();
}

function pfSense_pf_cp_flush($a = null, $b = null) {
	return true;
}

function pfSense_pf_cp_get_eth_pipes($a = null) {
	return array();
}

function pfSense_pf_cp_zerocnt($a = null) {
	return true;
}

function pfSense_pf_cp_get_eth_rule_counters($a = null) {
	return array();
}

function pfSense_pf_cp_get_eth_last_active($a = null) {
	return array();
}

function pfSense_pf_anchor_zerocnt($a = null) {
	return true;
}

function pfSense_ngctl_name($a, $b) {
	return true;
}

function pfSense_vlan_create($a, $b, $c = null, $d = null) {
	return true;
}

function pfSense_bridge_add_member($a, $b) {
	return true;
}

function pfSense_sync() {
}
