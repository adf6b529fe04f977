<?php
/* pfha lab stand-in for PEAR's Auth_RADIUS (needs the radius PECL extension): the lab has no RADIUS server, so
 * pfSense's RADIUS authentication and accounting fail as with an unreachable server. */
require_once('PEAR.php');

class Auth_RADIUS extends PEAR {
	public $username;
	public $password;
	public $attributes = array();
	public function addServer($servername = 'localhost', $port = 0, $sharedSecret = 'testing123', $timeout = 3, $maxtries = 3) {
	}
	public function start() {
		return false;
	}
	public function send() {
		return new PEAR_Error('RADIUS is not available in the pfha lab');
	}
	public function getError() {
		return 'RADIUS is not available in the pfha lab';
	}
	public function close() {
	}
	public function putStandardAttributes() {
	}
	public function putAuthAttributes() {
	}
	public function getAttributes() {
		return false;
	}
}
class Auth_RADIUS_PAP extends Auth_RADIUS {
	public function __construct($username = null, $password = null) {
		$this->username = $username;
		$this->password = $password;
	}
}
class Auth_RADIUS_CHAP_MD5 extends Auth_RADIUS_PAP {
}
class Auth_RADIUS_MSCHAPv1 extends Auth_RADIUS_PAP {
}
class Auth_RADIUS_MSCHAPv2 extends Auth_RADIUS_PAP {
}
class Auth_RADIUS_Acct extends Auth_RADIUS {
}
class Auth_RADIUS_Acct_Start extends Auth_RADIUS_Acct {
}
class Auth_RADIUS_Acct_Stop extends Auth_RADIUS_Acct {
}
class Auth_RADIUS_Acct_Update extends Auth_RADIUS_Acct {
}
