<?php
/* pfha lab stand-in for PEAR's base class (not shipped by Debian's PHP): the two calls pfSense makes. */
class PEAR_Error {
	public $message;
	public $code;
	public function __construct($message = 'unknown error', $code = null) {
		$this->message = $message;
		$this->code = $code;
	}
	public function getMessage() {
		return $this->message;
	}
	public function getCode() {
		return $this->code;
	}
}

class PEAR {
	public static function isError($data, $code = null) {
		return $data instanceof PEAR_Error && ($code === null || $data->getCode() === $code);
	}
	public static function loadExtension($ext) {
		return extension_loaded($ext);
	}
	public static function raiseError($message = null, $code = null) {
		return new PEAR_Error($message, $code);
	}
}
