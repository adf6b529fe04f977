<?php
/* pfha lab stand-in for PEAR's XML_RPC2_Backend: one backend, PHP's xmlrpc extension (php8.2-xmlrpc). */
class XML_RPC2_Backend {
	public static function setBackend($backend) {
	}
	public static function getBackend() {
		return 'xmlrpcext';
	}
}
