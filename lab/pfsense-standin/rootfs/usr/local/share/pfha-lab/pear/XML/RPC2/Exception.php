<?php
/* pfha lab stand-in for PEAR's XML_RPC2 exceptions. */
class XML_RPC2_Exception extends Exception {
}
class XML_RPC2_InvalidUriException extends XML_RPC2_Exception {
}
class XML_RPC2_TransportException extends XML_RPC2_Exception {
}
class XML_RPC2_CurlException extends XML_RPC2_TransportException {
}
class XML_RPC2_DecodeException extends XML_RPC2_Exception {
}
class XML_RPC2_UnknownMethodException extends XML_RPC2_Exception {
}
class XML_RPC2_FaultException extends XML_RPC2_Exception {
	public function __construct($messageString = '', $faultCode = 0) {
		parent::__construct((string)$messageString, (int)$faultCode);
	}
	public function getFaultCode() {
		return $this->getCode();
	}
	public function getFaultString() {
		return $this->getMessage();
	}
}
