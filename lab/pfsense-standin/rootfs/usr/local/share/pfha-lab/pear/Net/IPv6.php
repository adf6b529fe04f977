<?php
/* pfha lab stand-in for PEAR's Net_IPv6 (not shipped by Debian's PHP): the static methods pfSense calls, on top of
 * PHP's inet_pton/inet_ntop. */
/* PEAR Net_IPv6's address type constants (the ones pfSense compares against: is_linklocal()). */
define('NET_IPV6_UNASSIGNED', 1);
define('NET_IPV6_UNICAST_PROVIDER', 22);
define('NET_IPV6_MULTICAST', 31);
define('NET_IPV6_LOCAL_LINK', 42);
define('NET_IPV6_LOCAL_SITE', 43);
define('NET_IPV6_UNSPECIFIED', 52);
define('NET_IPV6_LOOPBACK', 53);
define('NET_IPV6_UNKNOWN_TYPE', 1001);

class Net_IPv6 {
	public static function removeNetmaskSpec($ip) {
		return explode('/', (string)$ip, 2)[0];
	}
	public static function getNetmaskSpec($ip) {
		$p = explode('/', (string)$ip, 2);
		return $p[1] ?? '';
	}
	public static function checkIPv6($ip) {
		$ip = self::removeNetmaskSpec($ip);
		$ip = explode('%', $ip, 2)[0];
		return filter_var($ip, FILTER_VALIDATE_IP, FILTER_FLAG_IPV6) !== false;
	}
	public static function uncompress($ip, $leadingZeros = false) {
		$bits = self::getNetmaskSpec($ip);
		$addr = self::removeNetmaskSpec($ip);
		$bin = @inet_pton($addr);
		if ($bin === false || strlen($bin) !== 16) {
			return $ip;
		}
		$groups = array();
		foreach (str_split(bin2hex($bin), 4) as $g) {
			$groups[] = $leadingZeros ? $g : (ltrim($g, '0') === '' ? '0' : ltrim($g, '0'));
		}
		return implode(':', $groups) . ($bits !== '' ? "/{$bits}" : '');
	}
	public static function compress($ip, $force = false) {
		$bits = self::getNetmaskSpec($ip);
		$bin = @inet_pton(self::removeNetmaskSpec($ip));
		if ($bin === false) {
			return $ip;
		}
		return inet_ntop($bin) . ($bits !== '' ? "/{$bits}" : '');
	}
	public static function getNetmask($ip, $bits = null) {
		if ($bits === null) {
			$bits = (int)self::getNetmaskSpec($ip);
		}
		$bin = inet_pton(self::removeNetmaskSpec($ip));
		$mask = str_repeat('f', intdiv($bits, 4)) . ($bits % 4 ? dechex(0xf ^ ((1 << (4 - $bits % 4)) - 1)) : '');
		$mask = hex2bin(str_pad($mask, 32, '0'));
		return self::uncompress(inet_ntop($bin & $mask));
	}
	public static function isInNetmask($ip, $netmask, $bits = null) {
		if ($bits === null) {
			$bits = (int)self::getNetmaskSpec($netmask);
		}
		return self::getNetmask($ip, $bits) === self::getNetmask($netmask, $bits);
	}
	/* The address type by prefix: fe80::/10 link-local, fec0::/10 site-local, ff00::/8 multicast, 2000::/3 global. */
	public static function getAddressType($ip) {
		$bin = @inet_pton(explode('%', self::removeNetmaskSpec($ip), 2)[0]);
		if ($bin === false || strlen($bin) !== 16) {
			return NET_IPV6_UNKNOWN_TYPE;
		}
		$first = (ord($bin[0]) << 8) | ord($bin[1]);
		if ($bin === str_repeat("\0", 16)) {
			return NET_IPV6_UNSPECIFIED;
		}
		if ($bin === str_repeat("\0", 15) . "\1") {
			return NET_IPV6_LOOPBACK;
		}
		if (($first & 0xffc0) === 0xfe80) {
			return NET_IPV6_LOCAL_LINK;
		}
		if (($first & 0xffc0) === 0xfec0) {
			return NET_IPV6_LOCAL_SITE;
		}
		if (($first & 0xff00) === 0xff00) {
			return NET_IPV6_MULTICAST;
		}
		if (($first & 0xe000) === 0x2000) {
			return NET_IPV6_UNICAST_PROVIDER;
		}
		return NET_IPV6_UNASSIGNED;
	}
	public static function splitV64($ip, $uncompress = true) {
		return array(self::uncompress($ip), '');
	}
}
