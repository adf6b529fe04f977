// From the pfSense installer to the template the stack clones, pure: the PHP that turns on SSH key login the way
// pfSense's GUI does (System > User Manager > admin > Authorized SSH Keys = system_usermanager.php: base64 in
// <authorizedkeys>, local_user_set(); System > Advanced > Admin Access > Secure Shell = system_advanced_admin.inc:
// system/ssh/enable, sshdkeyonly, then restart_SSHD()), and the template check (version, key login, sshd settings,
// interface assignment in the stack's NIC order, a clean HA state).
import { KNOWN_PFSENSE_VERSIONS } from "../../config/validate";
import type { ClusterConfig } from "../../config/types";
import type { PfConfigDoc } from "../pfsense/codec";
import { child, childrenByTag, getPath, textIn } from "../pfsense/codec-tree";
import type { Check } from "./evaluate";
import { isVirtioDevice } from "../pfsense/elements/offloading";

/** One OpenSSH public key line: type, base64 blob, optional comment of printable characters. */
const PUBLIC_KEY = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(?:256|384|521)|sk-ssh-ed25519@openssh\.com) [A-Za-z0-9+/]+={0,3}(?: [\x20-\x7e]{0,200})?$/;

export function checkPublicKey(line: string): string | undefined {
  const l = line.trim();
  if (!PUBLIC_KEY.test(l)) return "the public key is not one OpenSSH public key line (`ssh-ed25519 AAAA… comment`): give the .pub of the stack's key";
  return undefined;
}

export const BOOTSTRAP_MARK = "PFHA-BOOTSTRAP ";

/**
 * PHP for pfSsh.php-less `php` on the firewall: adds the key to admin's authorized keys (root's login uses admin's
 * keys: uid 0, home /root) unless present, enables sshd, optionally key-only, writes one config revision and
 * restarts sshd only when its settings changed. Prints a JSON summary after BOOTSTRAP_MARK.
 */
export function enableKeyLoginScript(publicKey: string, keyOnly: boolean): string {
  const bad = checkPublicKey(publicKey);
  if (bad) throw new Error(bad);
  const b64 = Buffer.from(publicKey.trim(), "utf8").toString("base64");
  return [
    "<?php",
    'require_once("config.inc");',
    'require_once("auth.inc");',
    'require_once("functions.inc");',
    'require_once("/usr/local/pfSense/include/www/system_advanced_admin.inc");',
    `$key = base64_decode('${b64}');`,
    `$keyonly = ${keyOnly ? "true" : "false"};`,
    '$users = config_get_path("system/user", array());',
    "$found = false; $added = false;",
    "foreach ($users as $i => $u) {",
    '  if (($u["name"] ?? "") !== "admin") continue;',
    "  $found = true;",
    '  $cur = base64_decode($u["authorizedkeys"] ?? "");',
    "  $lines = array_filter(array_map('trim', preg_split('/\\r?\\n/', $cur)));",
    "  if (!in_array($key, $lines, true)) {",
    "    $lines[] = $key;",
    '    $u["authorizedkeys"] = base64_encode(implode("\\n", $lines));',
    '    config_set_path("system/user/{$i}", $u);',
    "    $added = true;",
    "  }",
    "  local_user_set($u);",
    "}",
    'if (!$found) { echo "' + BOOTSTRAP_MARK + '" . json_encode(array("ok" => false, "error" => "no admin user in config.xml")) . "\\n"; exit(1); }',
    '$ssh_before = array(config_get_path("system/ssh/enable"), config_get_path("system/ssh/sshdkeyonly"));',
    'config_set_path("system/ssh/enable", "enabled");',
    'if ($keyonly) config_set_path("system/ssh/sshdkeyonly", "enabled");',
    '$ssh_changed = $ssh_before !== array(config_get_path("system/ssh/enable"), config_get_path("system/ssh/sshdkeyonly"));',
    'if ($added || $ssh_changed) write_config("pfsense-ha bootstrap: SSH key login for admin/root");',
    "if ($ssh_changed) restart_SSHD();",
    'echo "' + BOOTSTRAP_MARK + '" . json_encode(array("ok" => true, "keyAdded" => $added, "sshChanged" => $ssh_changed)) . "\\n";',
    "",
  ].join("\n");
}

export function parseBootstrapOutput(stdout: string): { ok: boolean; keyAdded?: boolean; sshChanged?: boolean; error?: string } | undefined {
  const line = stdout.split("\n").find((l) => l.startsWith(BOOTSTRAP_MARK));
  if (!line) return undefined;
  try {
    return JSON.parse(line.slice(BOOTSTRAP_MARK.length)) as { ok: boolean; keyAdded?: boolean; sshChanged?: boolean; error?: string };
  } catch {
    return undefined;
  }
}

/** The read-only template probe: the release, then config.xml (last, so its bytes are everything after the marker). */
export const TEMPLATE_PROBE = "cat /etc/version; echo '@@pfha config'; cat /cf/conf/config.xml";

/** What the stack expects of the template: its NIC order (wan, lan, sync, extras -> vtnet0…) and release. */
export interface TemplateExpectations {
  /** pfSense friendly name -> device, in NIC order. */
  assignment: { pfInterface: string; device: string }[];
  version?: string;
}

export function templateExpectationsOf(config: ClusterConfig | undefined): TemplateExpectations {
  if (!config) return { assignment: [{ pfInterface: "wan", device: "vtnet0" }, { pfInterface: "lan", device: "vtnet1" }] };
  return {
    assignment: config.networks.map((n, i) => ({ pfInterface: n.pfsenseInterface, device: `vtnet${i}` })),
    ...(config.pfsenseVersion ? { version: config.pfsenseVersion } : {}),
  };
}

/** The template checks from the probe's output (read with key login, so that one already passed). */
export function evaluateTemplate(node: string, release: string, doc: PfConfigDoc, want: TemplateExpectations): Check[] {
  const out: Check[] = [];
  const add = (check: string, expected: string, found: string, ok: boolean | "warn", hint: string) =>
    out.push({ check, node, expected, found, status: ok === "warn" ? "warn" : ok ? "pass" : "fail", ...(ok === true ? {} : { hint }) });
  add("ssh key login", "works", "works", true, "");
  const version = release.trim().replace(/-RELEASE.*$/, "").replace(/-p\d+$/, "");
  const known = (KNOWN_PFSENSE_VERSIONS as readonly string[]).includes(version);
  add("pfSense release", want.version ?? KNOWN_PFSENSE_VERSIONS.join("|"), release.trim() || "(empty /etc/version)",
    want.version ? version === want.version : known,
    want.version ? `the stack expects pfSense ${want.version}: install that release, or set pfsenseVersion to ${version}` : `use a release the stack was checked against (${KNOWN_PFSENSE_VERSIONS.join(", ")})`);
  const keyOnly = textIn(doc, getPath(doc.root, "system/ssh/sshdkeyonly")) === "enabled";
  add("sshd key only", "enabled", keyOnly ? "enabled" : "password login allowed", keyOnly ? true : "warn",
    "System > Advanced > Admin Access > SSHd Key Only = Public Key Only (or `pfsense-ha bootstrap --key-only`)");
  const ifs = getPath(doc.root, "interfaces");
  for (const a of want.assignment) {
    const el = ifs ? child(ifs, a.pfInterface) : undefined;
    const dev = el ? textIn(doc, child(el, "if")) : undefined;
    add(`interface ${a.pfInterface}`, a.device, dev ?? "(not assigned)", dev === a.device,
      `assign ${a.device} as ${a.pfInterface.toUpperCase()} (console option 1, Assign Interfaces), in the stack's NIC order: wan, lan, sync, then the extra networks`);
  }
  const vipEl = getPath(doc.root, "virtualip");
  const vips = vipEl ? childrenByTag(vipEl, "vip").length : 0;
  const hasync = textIn(doc, getPath(doc.root, "hasync/synchronizetoip"));
  add("clean HA state", "no CARP VIPs, no XMLRPC target", `${vips} VIP(s)${hasync ? `, XMLRPC to ${hasync}` : ""}`, vips === 0 && !hasync ? true : "warn",
    "the template should carry no HA settings: the stack writes them on each clone (remove them from the template)");
  const virtio = want.assignment.every((a) => isVirtioDevice(a.device));
  if (virtio) {
    const off = getPath(doc.root, "system/disablechecksumoffloading") !== undefined;
    add("checksum offloading (VirtIO)", "disabled", off ? "disabled" : "enabled", off ? true : "warn",
      "System > Advanced > Networking > Disable hardware checksum offload (the stack sets it too; set it in the template to avoid a reboot after the first up)");
  }
  return out;
}
