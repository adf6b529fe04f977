<?php
/* pfha lab stand-in for PEAR's Net_IPv6 (not shipped by Debian's PHP): the static methods pfSense calls, on top of
 * PHP's inet_pton/inet_ntop. */
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
	public static function getAddressType($ip) {
		return 0;
	}
	public static function splitV64($ip, $uncompress = true) {
		return array(self::uncompress($ip), '');
	}
}
