<?php
/*
 * seed.php <hostname> <peer-hostname> - pfha lab: first boot of a lab firewall. Writes /cf/conf/config.xml from
 * pfSense's factory config with pfSense's own XML code (xmlparse.inc), at the config version of the pfSense tree
 * the host runs (its globals.inc latest_config), with WAN (vtnet0, dhcp), LAN (vtnet1, static) and SYNC (opt1,
 * vtnet2, enabled, no address) assigned; resets the host's kernel state (and NIC addresses) to what boot leaves.
 * Env: PFHA_LAN_IP (default 192.168.1.<1+digit of host>).
 */
require_once("globals.inc");
require_once("xmlparse.inc");

function seed_fail($msg) {
	fwrite(STDERR, "seed.php: {$msg}\n");
	exit(2);
}

$host = $argv[1] ?? '';
$peer = $argv[2] ?? '';
if (!preg_match('/^[A-Za-z0-9-]{1,63}$/', $host)) {
	seed_fail("hostname: '{$host}' is not a host name; usage: seed.php <hostname> <peer-hostname>");
}
if ($peer !== '' && !preg_match('/^[A-Za-z0-9-]{1,63}$/', $peer)) {
	seed_fail("peer: '{$peer}' is not a host name");
}
$lanip = getenv('PFHA_LAN_IP');
if ($lanip === false || $lanip === '') {
	$digit = preg_match('/(\d+)$/', $host, $m) ? (int)$m[1] : 0;
	$lanip = '192.168.1.' . (1 + ($digit % 250));
}
if (filter_var($lanip, FILTER_VALIDATE_IP, FILTER_FLAG_IPV4) === false) {
	seed_fail("PFHA_LAN_IP: '{$lanip}' is not an IPv4 address");
}

$fixture = "/usr/local/share/pfha-lab/pfsense-factory-config.xml";
$config = parse_xml_config($fixture, 'pfsense');
if (!is_array($config)) {
	seed_fail("cannot parse the factory config {$fixture}");
}

$config['version'] = $g['latest_config'];
$config['system']['hostname'] = $host;
$config['interfaces']['wan']['if'] = 'vtnet0';
$config['interfaces']['lan']['if'] = 'vtnet1';
$config['interfaces']['lan']['ipaddr'] = $lanip;
/* the webGUI over http, so the XMLRPC sync (which uses the webGUI's protocol and port) needs no certificate */
$config['system']['webgui']['protocol'] = 'http';
$config['interfaces']['opt1'] = array(
	'descr' => 'SYNC',
	'if' => 'vtnet2',
	'enable' => '',
	'spoofmac' => '',
);

@mkdir("/cf/conf/backup", 0755, true);
file_put_contents("/cf/conf/config.xml", dump_xml_config($config, 'pfsense'));
@unlink("/tmp/config.cache");
foreach (array('/var/log/pfha-lab', '/var/run/pfha-carp', '/tmp/pfha-lab-fail', '/var/db', '/var/etc', '/var/dhcpd/etc', '/var/log') as $d) {
	@mkdir($d, 0755, true);
}
pfha_boot();
echo "seeded {$host} (peer {$peer}): config version {$config['version']}, LAN {$lanip}/24, SYNC on vtnet2\n";
