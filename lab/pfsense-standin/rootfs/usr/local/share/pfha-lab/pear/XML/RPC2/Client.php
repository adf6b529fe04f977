<?php
/*
 * pfha lab stand-in for PEAR's XML_RPC2_Client: real XML-RPC over HTTP. The request is encoded and the response
 * decoded by PHP's xmlrpc extension (php8.2-xmlrpc); the credentials in the URL travel as HTTP basic auth, as
 * XML_RPC2's curl transport sends them. Faults become XML_RPC2_FaultException, transport errors
 * XML_RPC2_CurlException, as pfSense's xmlrpc_client.inc expects.
 */
require_once('XML/RPC2/Exception.php');
require_once('XML/RPC2/Backend.php');

class XML_RPC2_Client {
	private $uri;
	private $prefix = '';
	private $timeout = 240;

	public static function create($uri, $options = array()) {
		$c = new XML_RPC2_Client();
		$c->uri = $uri;
		$c->prefix = $options['prefix'] ?? '';
		$c->timeout = (int)($options['connectionTimeout'] ?? 240);
		return $c;
	}

	public function __call($method, $params) {
		$u = parse_url($this->uri);
		if ($u === false || !isset($u['host'])) {
			throw new XML_RPC2_InvalidUriException("invalid URI {$this->uri}");
		}
		$url = ($u['scheme'] ?? 'http') . '://' . $u['host'] . (isset($u['port']) ? ":{$u['port']}" : '') . ($u['path'] ?? '/');
		$headers = "Content-Type: text/xml\r\nUser-Agent: XML_RPC2\r\n";
		if (isset($u['user'])) {
			$headers .= 'Authorization: Basic ' . base64_encode(rawurldecode($u['user']) . ':' . rawurldecode($u['pass'] ?? '')) . "\r\n";
		}
		$body = xmlrpc_encode_request($this->prefix . $method, $params, array('encoding' => 'utf-8', 'escaping' => 'markup'));
		$ctx = stream_context_create(array('http' => array('method' => 'POST', 'header' => $headers, 'content' => $body,
		    'timeout' => $this->timeout, 'ignore_errors' => true), 'ssl' => array('verify_peer' => false, 'verify_peer_name' => false)));
		$resp = @file_get_contents($url, false, $ctx);
		if ($resp === false) {
			$err = error_get_last()['message'] ?? 'no response';
			throw new XML_RPC2_CurlException("HTTP_Request2_ConnectionException: {$err} in /usr/local/share/pfha-lab/pear/XML/RPC2/Client.php");
		}
		$status = $http_response_header[0] ?? '';
		if (!preg_match('#^HTTP/\S+ 200#', $status)) {
			throw new XML_RPC2_CurlException("HTTP_Request2_ConnectionException: {$status} in /usr/local/share/pfha-lab/pear/XML/RPC2/Client.php");
		}
		$result = xmlrpc_decode($resp, 'utf-8');
		if (is_array($result) && xmlrpc_is_fault($result)) {
			throw new XML_RPC2_FaultException($result['faultString'], $result['faultCode']);
		}
		if ($result === null && !str_contains($resp, '<methodResponse')) {
			throw new XML_RPC2_DecodeException('not an XML-RPC response: ' . substr($resp, 0, 200));
		}
		return $result;
	}
}
