<?php
/*
 * seed.php <hostname> <peer-hostname> [version] - pfha lab: first boot of a pfSense stand-in.
 * Writes /cf/conf/config.xml from the factory config with WAN (vtnet0, dhcp), LAN (vtnet1, static) and
 * SYNC (opt1, vtnet2, enabled, no address) assigned, /conf -> /cf/conf, /etc/version, /usr/local/bin/php.
 * Env: PFHA_CONFIG_VERSION (default 23.3 = pfSense 2.7.2), PFHA_LAN_IP (default 192.168.1.<1+digit of host>).
 */
set_include_path(get_include_path() . PATH_SEPARATOR . '/etc/inc');
require_once("globals.inc");
require_once("util.inc");
require_once("xmlparse.inc");

function seed_fail($msg) {
	fwrite(STDERR, "seed.php: {$msg}\n");
	exit(2);
}

$host = $argv[1] ?? '';
$peer = $argv[2] ?? '';
$version = $argv[3] ?? (getenv('PFHA_CONFIG_VERSION') ?: '23.3');
if (!is_hostname($host) || strpos($host, '.') !== false) {
	seed_fail("hostname: '{$host}' is not a host name; usage: seed.php <hostname> <peer-hostname> [config-version]");
}
if ($peer !== '' && !is_hostname($peer)) {
	seed_fail("peer: '{$peer}' is not a host name");
}
if (!preg_match('/^\d+\.\d+$/', $version)) {
	seed_fail("version: '{$version}' is not a config version like 23.3");
}
$lanip = getenv('PFHA_LAN_IP');
if ($lanip === false || $lanip === '') {
	$digit = preg_match('/(\d+)$/', $host, $m) ? (int)$m[1] : 0;
	$lanip = '192.168.1.' . (1 + ($digit % 250));
}
if (!is_ipaddrv4($lanip)) {
	seed_fail("PFHA_LAN_IP: '{$lanip}' is not an IPv4 address");
}

$root = PFHA_LAB_ROOT;
$fixture = "{$root}/usr/local/share/pfha-lab/pfsense-factory-config.xml";
$config = parse_xml_config($fixture, 'pfsense');
if (!is_array($config)) {
	seed_fail("cannot parse the factory config {$fixture}");
}

$config['version'] = $version;
$config['system']['hostname'] = $host;
$config['interfaces']['wan']['if'] = 'vtnet0';
$config['interfaces']['lan']['if'] = 'vtnet1';
$config['interfaces']['lan']['ipaddr'] = $lanip;
$config['interfaces']['opt1'] = array(
	'descr' => 'SYNC',
	'if' => 'vtnet2',
	'enable' => '',
	'spoofmac' => '',
);

@mkdir("{$root}/cf/conf/backup", 0755, true);
file_put_contents("{$root}/cf/conf/config.xml", dump_xml_config($config, 'pfsense'));
@unlink("{$root}/tmp/config.cache");

/* /conf -> /cf/conf, /usr/local/bin/php -> /usr/bin/php (paths scripts written for pfSense use) */
if (!is_link("{$root}/conf")) {
	if (is_dir("{$root}/conf")) {
		@rmdir("{$root}/conf");
	}
	@symlink('/cf/conf', "{$root}/conf");
}
@mkdir("{$root}/usr/local/bin", 0755, true);
if (!file_exists("{$root}/usr/local/bin/php")) {
	@symlink('/usr/bin/php', "{$root}/usr/local/bin/php");
}
@mkdir("{$root}/etc", 0755, true);
file_put_contents("{$root}/etc/version", "2.7.2-RELEASE\n");
foreach (array('/var/log/pfha-lab', '/var/run/pfha-carp', '/tmp/pfha-lab-fail') as $d) {
	@mkdir("{$root}{$d}", 0755, true);
}
echo "seeded {$host} (peer {$peer}): config version {$version}, LAN {$lanip}/24, SYNC on vtnet2\n";
