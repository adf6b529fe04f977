// The read-only probe scripts (one exec per host, every read batched behind a section marker) and the parsing of
// their output into observations (pure).
import type { PfConfigDoc } from "../pfsense/codec";
import { parseConfigXml } from "../pfsense/codec";
import { child, childrenByTag, getPath, textIn } from "../pfsense/codec-tree";
import { CONFIG_PATH } from "../pfsense/remote/install-script";
import { assertIfName, shCommand, shq } from "../shell/quote";
import type { ConfigFacts, FirewallObservation, MtuPing, NodeObservation, PveFirewall, VpnInterfaceFact } from "./observations";
import { parseIfconfig } from "./parse-ifconfig";
import { parseDumpPorts, parseVxlanPorts, VXLAN_COLUMNS } from "./parse-ovs";
import { parsePfctlInfo } from "./parse-pfctl";
import { DHCPD_LEASES, stateKeys } from "./ha-state";

export const MARK = "@@pfha ";

/** Splits probe output into its sections by the `@@pfha <name>` marker lines. */
export function splitSections(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  let name: string | undefined;
  let buf: string[] = [];
  for (const line of stdout.split("\n")) {
    if (line.startsWith(MARK)) {
      if (name !== undefined) out[name] = buf.join("\n");
      name = line.slice(MARK.length).trim();
      buf = [];
    } else if (name !== undefined) buf.push(line);
  }
  if (name !== undefined) out[name] = buf.join("\n");
  return out;
}

function section(name: string, command: string): string {
  return `echo ${shq(MARK + name)}; ${command}`;
}

// The XMLRPC sync's own first call, as rc.filter_synchronize makes it (carp_check_version): pfsense.host_firmware_version
// on hasync/synchronizetoip, over the local webGUI protocol/port (port 80 for http, 443 otherwise, unless <port> is
// set), authenticated with hasync/username (default admin) and hasync/password, with pfSense's XML_RPC2 client. The
// password stays on the box: only "ok|auth|fail <ip>:<port> <detail>" is printed (auth = the secondary refused the
// credentials), or "none" when no target is set.
const XMLRPC_PHP = [
  'error_reporting(0); require_once("config.inc"); require_once("XML/RPC2/Client.php");',
  '$h = config_get_path("hasync", array()); $ip = (string)($h["synchronizetoip"] ?? "");',
  'if ($ip === "") { echo "none\\n"; exit(0); }',
  '$proto = config_get_path("system/webgui/protocol") === "http" ? "http" : "https";',
  '$port = (string)config_get_path("system/webgui/port", ""); if ($port === "") { $port = $proto === "http" ? "80" : "443"; }',
  'if ($port === "443") { $proto = "https"; }',
  '$host = is_ipaddrv6($ip) ? "[{$ip}]" : $ip; $t = "{$host}:{$port}";',
  '$u = rawurlencode(($h["username"] ?? "") !== "" ? $h["username"] : "admin"); $pw = rawurlencode((string)($h["password"] ?? ""));',
  'try {',
  '  $c = XML_RPC2_Client::create("{$proto}://{$u}:{$pw}@{$t}/xmlrpc.php", array("prefix" => "pfsense.", "sslverify" => false, "connectionTimeout" => 5));',
  '  $r = $c->host_firmware_version("", 5);',
  '  echo is_array($r) ? "ok {$t} " . ($r["firmware"]["version"] ?? "") . "\\n" : "fail {$t} unexpected answer\\n";',
  '} catch (XML_RPC2_FaultException $e) {',
  '  echo (stripos($e->getFaultString(), "Authentication failed") !== false ? "auth" : "fail") . " {$t} " . $e->getFaultString() . "\\n";',
  '} catch (Exception $e) {',
  '  echo "fail {$t} " . preg_replace("/\\s+/", " ", substr($e->getMessage(), 0, 200)) . "\\n";',
  '}',
].join("\n");

const NO_FILE = "pfha:no-file";
const RC = "pfha:rc ";

/** One don't-fragment ping of `size` payload bytes, as FreeBSD's ping takes it: -D (DF), 2 probes, 2 s in all. */
export interface MtuPingProbe {
  network: string;
  size: number;
  address: string;
}

export function mtuPingCommand(p: MtuPingProbe): string {
  if (!Number.isInteger(p.size) || p.size < 0 || p.size > 65507) throw new Error(`mtu ping ${p.network}: size ${p.size} is invalid; use a payload of 0 to 65507 bytes`);
  if (!/^[0-9A-Fa-f.:]+$/.test(p.address)) throw new Error(`mtu ping ${p.network}: ${JSON.stringify(p.address)} is not an IP address`);
  return shCommand(["/sbin/ping", "-D", "-c", 2, "-t", 2, "-s", p.size, p.address]);
}

/** Where the MTU pings write while the other reads run: a private folder made by mktemp, removed when the script ends. */
const PING_DIR = "$pfha_pings";
/** An MTU section's text when the folder could not be made (a full /tmp): the check fails with it, the rest goes on. */
export const PING_NO_DIR = "ping: not run: mktemp -d in /tmp failed";

export function firewallProbeScript(opts: { xmlrpc: boolean; dhcpFailover?: boolean; mtuPings?: MtuPingProbe[]; natRules?: boolean }): string {
  const pings = opts.mtuPings ?? [];
  // The MTU pings take a second or two each (two probes, one a second): they all start first, in the background,
  // each into its own file, and their sections print them in order once they are done. Three networks then cost
  // about one second instead of three, and the reads below run meanwhile.
  const start =
    pings.length === 0
      ? []
      : [
          `if pfha_pings=$(mktemp -d /tmp/pfha-verify.XXXXXX); then trap 'rm -rf "${PING_DIR}"' EXIT`,
          ...pings.map((p, i) => `{ ${mtuPingCommand(p)}; echo "${RC}$?"; } > "${PING_DIR}/${i}" 2>&1 &`),
          "else pfha_pings=; fi",
        ];
  const parts = [
    ...start,
    section("ifconfig", "/sbin/ifconfig -a 2>&1"),
    section("carp.allow", "/sbin/sysctl -n net.inet.carp.allow 2>&1"),
    section("pfctl", "/sbin/pfctl -si 2>&1"),
    section("states", "/sbin/pfctl -ss 2>/dev/null"),
  ];
  if (opts.natRules) parts.push(section("pf nat", "/sbin/pfctl -sn 2>/dev/null"));
  if (opts.dhcpFailover) {
    parts.push(section("dhcpd.leases", `if [ -f ${shq(DHCPD_LEASES)} ]; then grep -A4 '^failover peer' ${shq(DHCPD_LEASES)}; else echo ${NO_FILE}; fi`));
  }
  if (opts.xmlrpc) parts.push(section("xmlrpc", `/usr/local/bin/php -r ${shq(XMLRPC_PHP)} 2>&1`));
  if (pings.length > 0) parts.push("wait");
  pings.forEach((p, i) =>
    parts.push(section(`mtu ${p.network} ${p.size} ${p.address}`, `if [ -n "${PING_DIR}" ]; then cat "${PING_DIR}/${i}"; else echo ${shq(PING_NO_DIR)}; fi`)),
  );
  // Last, so the file's bytes are everything after its marker line, unchanged.
  parts.push(section("config", `cat ${CONFIG_PATH}`));
  return parts.join("\n") + "\n";
}

/** The raw bytes after the config marker line (the config section is always last). */
export function configSectionOf(stdout: string): string | undefined {
  const marker = `${MARK}config\n`;
  const at = stdout.startsWith(marker) ? 0 : stdout.indexOf(`\n${marker}`) + 1;
  return at === 0 && !stdout.startsWith(marker) ? undefined : stdout.slice(at + marker.length);
}

/** Only the CARP state: what the drill polls. */
export const CARP_POLL_SCRIPT = "/sbin/ifconfig -a";

function vpnInterfacesOf(doc: PfConfigDoc): Record<string, VpnInterfaceFact> {
  const out: Record<string, VpnInterfaceFact> = {};
  const vipsEl = getPath(doc.root, "virtualip");
  const vipAddr = new Map((vipsEl ? childrenByTag(vipsEl, "vip") : []).map((v) => [`_vip${textIn(doc, child(v, "uniqid")) ?? ""}`, textIn(doc, child(v, "subnet")) ?? ""]));
  const ovpn = getPath(doc.root, "openvpn");
  for (const el of ovpn ? [...childrenByTag(ovpn, "openvpn-server"), ...childrenByTag(ovpn, "openvpn-client")] : []) {
    out[`openvpn/${textIn(doc, child(el, "vpnid")) ?? ""}`] = { interface: textIn(doc, child(el, "interface")) ?? "", address: textIn(doc, child(el, "ipaddr")) ?? "" };
  }
  const ipsec = getPath(doc.root, "ipsec");
  for (const el of ipsec ? childrenByTag(ipsec, "phase1") : []) {
    const iface = textIn(doc, child(el, "interface")) ?? "";
    out[`ipsec/${textIn(doc, child(el, "ikeid")) ?? ""}`] = { interface: iface, address: vipAddr.get(iface) ?? "" };
  }
  return out;
}

export function configFactsOf(doc: PfConfigDoc): ConfigFacts {
  const facts: ConfigFacts = {
    maintenanceMode: getPath(doc.root, "virtualip_carp_maintenancemode") !== undefined,
    checksumOffloadingDisabled: getPath(doc.root, "system/disablechecksumoffloading") !== undefined,
  };
  const rt = Number(textIn(doc, getPath(doc.root, "revision/time")));
  if (Number.isInteger(rt) && rt > 0) facts.revisionTime = rt;
  const v = textIn(doc, getPath(doc.root, "version"));
  if (v !== undefined) facts.version = v;
  const to = textIn(doc, getPath(doc.root, "hasync/synchronizetoip"));
  if (to) facts.synchronizeToIp = to;
  const vpns = vpnInterfacesOf(doc);
  if (Object.keys(vpns).length) facts.vpnInterfaces = vpns;
  return facts;
}

export function parseFirewallProbe(base: Pick<FirewallObservation, "role" | "name">, stdout: string): { observation: FirewallObservation; configXml?: string } {
  const s = splitSections(stdout);
  const o: FirewallObservation = { ...base };
  if (s.ifconfig === undefined) return { observation: { ...o, error: "the probe printed nothing (is this a pfSense shell?)" } };
  o.ifconfig = parseIfconfig(s.ifconfig);
  if (s["carp.allow"] !== undefined) o.carpAllow = s["carp.allow"].trim();
  if (s.pfctl !== undefined && /^Status:/m.test(s.pfctl)) o.pf = parsePfctlInfo(s.pfctl);
  if (s.states !== undefined) o.states = stateKeys(s.states);
  if (s["pf nat"] !== undefined) o.natRules = s["pf nat"].split("\n").filter((l) => l.trim() !== "");
  if (s["dhcpd.leases"] !== undefined) o.dhcpLeases = s["dhcpd.leases"].trim() === NO_FILE ? null : s["dhcpd.leases"];
  const configXml = configSectionOf(stdout);
  if (configXml !== undefined) {
    try {
      o.config = configFactsOf(parseConfigXml(configXml));
    } catch (e) {
      return { observation: { ...o, error: `${CONFIG_PATH} does not parse: ${(e as Error).message}` } };
    }
  }
  // "none": no XMLRPC target configured; the target check reports it, there is nothing to connect to.
  if (s.xmlrpc !== undefined && s.xmlrpc.trim() !== "none") {
    const line = s.xmlrpc.trim();
    const m = /^(ok|auth|fail) (\S+)\s*(.*)$/.exec(line);
    o.xmlrpc = m
      ? {
        target: m[2],
        reachable: m[1] !== "fail",
        authenticated: m[1] === "ok",
        detail: m[1] === "ok" ? `answered${m[3] ? ` (${m[3]})` : ""}` : m[1] === "auth" ? `refused the credentials: ${m[3]}` : `unreachable${m[3] ? `: ${m[3]}` : ""}`,
      }
      : { target: "(unknown)", reachable: false, authenticated: false, detail: line || "no output" };
  }
  const pings = parseMtuPings(s);
  if (pings.length) o.mtuPings = pings;
  return { observation: o, configXml };
}

/** The `mtu <network> <size> <address>` sections: ping's output, then its exit code. */
export function parseMtuPings(s: Record<string, string>): MtuPing[] {
  const out: MtuPing[] = [];
  for (const [name, text] of Object.entries(s)) {
    const m = /^mtu (\S+) (\d+) (\S+)$/.exec(name);
    if (!m) continue;
    const lines = text.split("\n").map((l) => l.trim()).filter((l) => l !== "");
    const rc = lines.find((l) => l.startsWith(RC))?.slice(RC.length);
    const rest = lines.filter((l) => !l.startsWith(RC));
    const summary = rest.find((l) => /packets transmitted/.test(l));
    const problem = rest.find((l) => /^(\S*\/)?ping:|error|too long/i.test(l));
    const ok = rc === "0";
    out.push({ network: m[1], size: Number(m[2]), address: m[3], ok, detail: (ok ? summary : problem ?? summary) ?? rest.at(-1) ?? "no output" });
  }
  return out;
}

export const CLUSTER_FW = "/etc/pve/firewall/cluster.fw";
const CLUSTER_FW_MARK = "pfha:cluster.fw";

/** On when `pve-firewall status` says enabled/running or cluster.fw's [OPTIONS] has `enable: 1`. */
export function parsePveFirewall(text: string): PveFirewall {
  const at = text.indexOf(CLUSTER_FW_MARK);
  const status = at < 0 ? text : text.slice(0, at);
  const fw = at < 0 ? "" : text.slice(at + CLUSTER_FW_MARK.length);
  const st = /Status:\s*(\S+)/.exec(status)?.[1];
  if (st && /^enabled\/running$/i.test(st)) return { enabled: true, detail: `pve-firewall status: ${st}` };
  let sectionName = "";
  for (const raw of fw.split("\n")) {
    const line = raw.replace(/#.*$/, "").trim();
    const h = /^\[([^\]]+)\]$/.exec(line);
    if (h) sectionName = h[1].toUpperCase();
    else if (sectionName === "OPTIONS" && /^enable:\s*1$/.test(line)) return { enabled: true, detail: `${CLUSTER_FW} enable: 1` };
  }
  return { enabled: false, detail: st ? `pve-firewall status: ${st}` : "off" };
}

export function nodeProbeScript(bridges: string[], windowS: number): string {
  bridges.forEach((b, i) => {
    assertIfName(`bridges[${i}]`, b);
    // ovs-ofctl would read a leading "-" as an option
    if (b.startsWith("-")) throw new Error(`bridges[${i}]: ${JSON.stringify(b)} starts with "-"; use a bridge name starting with a letter or digit`);
  });
  if (!Number.isInteger(windowS) || windowS < 0 || windowS > 30) throw new Error(`window: ${windowS} is invalid; use whole seconds from 0 to 30`);
  const vsctl = (cols: string, table: string) => `${shCommand(["ovs-vsctl", "--timeout=10", "--format=json", `--columns=${cols}`, "list", table])}`;
  const dump = bridges.map((b) => `echo ${shq(`bridge ${b}`)}; ovs-ofctl dump-ports ${shq(b)} 2>/dev/null`).join("; ") || ":";
  return [
    section("bridges", vsctl("_uuid,name,ports,external_ids,datapath_type", "bridge")),
    section("ports", vsctl("_uuid,name,interfaces,external_ids", "port")),
    section("interfaces", vsctl(VXLAN_COLUMNS, "interface")),
    section("pve-firewall", `if command -v pve-firewall >/dev/null 2>&1; then pve-firewall status 2>&1; fi; echo ${shq(CLUSTER_FW_MARK)}; cat ${shq(CLUSTER_FW)} 2>/dev/null || true`),
    section("counters0", dump),
    `sleep ${windowS}`,
    section("counters1", dump),
  ].join("\n") + "\n";
}

export function parseNodeProbe(node: string, stdout: string, windowS: number): NodeObservation {
  const s = splitSections(stdout);
  const base: NodeObservation = { node, ports: [], counters: [{}, {}], windowMs: windowS * 1000 };
  if (s.interfaces === undefined || s.bridges === undefined || s.ports === undefined) return { ...base, error: "ovs-vsctl printed nothing (is Open vSwitch running?)" };
  try {
    base.ports = parseVxlanPorts(s.interfaces, s.bridges, s.ports);
  } catch (e) {
    return { ...base, error: (e as Error).message };
  }
  base.counters = [parseDumpPorts(s.counters0 ?? ""), parseDumpPorts(s.counters1 ?? "")];
  if (s["pve-firewall"] !== undefined) base.pveFirewall = parsePveFirewall(s["pve-firewall"]);
  return base;
}
