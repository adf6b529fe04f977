<?php
/*
 * pfha lab stand-in for PEAR's XML_RPC2_Server: decodes the request with PHP's xmlrpc extension, calls the public
 * method of the given object named after the prefix, and answers its result or a fault (XML_RPC2_FaultException).
 */
require_once('XML/RPC2/Exception.php');
require_once('XML/RPC2/Backend.php');

class XML_RPC2_Server {
	private $target;
	private $prefix = '';
	private $encoding = 'utf-8';

	public static function create($callTarget, $options = array()) {
		$s = new XML_RPC2_Server();
		$s->target = $callTarget;
		$s->prefix = $options['prefix'] ?? '';
		$s->encoding = $options['encoding'] ?? 'utf-8';
		return $s;
	}

	public function getResponse() {
		$raw = $GLOBALS['HTTP_RAW_POST_DATA'] ?? file_get_contents('php://input');
		$method = null;
		$params = xmlrpc_decode_request($raw, $method, $this->encoding);
		$out = array('encoding' => $this->encoding, 'escaping' => 'markup');
		if ($method === null || !str_starts_with($method, $this->prefix)) {
			return xmlrpc_encode_request(null, array('faultCode' => -32601, 'faultString' => "server error. requested method {$method} does not exist."), $out);
		}
		$name = substr($method, strlen($this->prefix));
		$rm = method_exists($this->target, $name) ? new ReflectionMethod($this->target, $name) : null;
		if ($rm === null || !$rm->isPublic()) {
			return xmlrpc_encode_request(null, array('faultCode' => -32601, 'faultString' => "server error. requested method {$method} does not exist."), $out);
		}
		try {
			$result = $rm->invokeArgs($this->target, is_array($params) ? $params : array());
		} catch (XML_RPC2_FaultException $e) {
			return xmlrpc_encode_request(null, array('faultCode' => $e->getFaultCode(), 'faultString' => $e->getFaultString()), $out);
		}
		return xmlrpc_encode_request(null, $result, $out);
	}

	public function handleCall() {
		$body = $this->getResponse();
		header('Content-Type: text/xml; charset=' . $this->encoding);
		header('Content-Length: ' . strlen($body));
		echo $body;
	}
}
