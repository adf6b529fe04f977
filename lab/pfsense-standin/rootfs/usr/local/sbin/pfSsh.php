#!/usr/bin/php
<?php
/*
 * pfSsh.php - pfha lab stand-in for pfSense's developer shell, in its scripted form: PHP read from stdin up to a
 * line "exec" (or "exit"/EOF) is run with the pfSense includes loaded. `pfSsh.php playback <name>` runs
 * /etc/phpshellsessions/<name> the same way.
 */
set_include_path(get_include_path() . PATH_SEPARATOR . '/etc/inc');
require_once("globals.inc");
require_once("functions.inc");
require_once("config.inc");

if (($argv[1] ?? '') === 'playback') {
	$name = $argv[2] ?? '';
	if (!preg_match('/^[A-Za-z0-9_.-]+$/', $name) || !is_file("/etc/phpshellsessions/{$name}")) {
		fwrite(STDERR, "pfSsh.php: playback: no session '{$name}' in /etc/phpshellsessions\n");
		exit(1);
	}
	$code = preg_replace('/^\s*<\?php/', '', (string)file_get_contents("/etc/phpshellsessions/{$name}"));
} else {
	$code = '';
	while (($line = fgets(STDIN)) !== false) {
		if (in_array(trim($line), array('exec', 'exit'), true)) {
			break;
		}
		$code .= $line;
	}
}
eval($code);
