// VPNs on the WAN CARP VIP, on pfSense's own code: a human's OpenVPN server and IPsec phase 1 (seeded with
// write_config, as the GUI saves them, on the primary; XMLRPC sync copies them to the secondary) are bound to the
// WAN VIP by the write protocol on both firewalls. pfSense's openvpn_resync() then writes `local <VIP>` into the
// instance's config.ovpn and starts OpenVPN on the MASTER only (openvpn_restart() skips a BACKUP VIP), and
// ipsec_configure() writes the VIP as the tunnel's local address in swanctl.conf. verify checks the binding; delete
// puts the human's interface back.
import * as fs from "fs";
import { closeAllHosts } from "../../providers/ssh";
import { loadInventory, type LabInventory, labSh } from "../../lab/inventory";
import { verifyCluster } from "../../providers/verify/run";
import type { ClusterConfig } from "../../config/types";
import { providerOf } from "../../providers/pfsense/resources/dynamic";
import { firewallPlanOf } from "../../components/plan";
import { ConvergedPair, LAB_SECRETS, labStack } from "../support/ha-lab";
import { eventsSettled, labRecord } from "../support/pfsense-lab";

const vpnBindingProvider = providerOf("vpnBinding");

jest.setTimeout(180000);

let inv: LabInventory;
let config: ClusterConfig;
let stackDir = "";
let pair: ConvergedPair;

// What a human saves in VPN > OpenVPN > Servers (Peer to Peer, shared key) and VPN > IPsec (phase 1) on the WAN
// interface, through pfSense's own config functions (test setup only; the key is a throwaway test key).
const SEED = String.raw`<?php
require_once("config.inc");
require_once("util.inc");
$c = parse_config(true);
$key = "-----BEGIN OpenVPN Static key V1-----\n" . implode("\n", str_split(str_repeat("0123456789abcdef", 16), 32)) . "\n-----END OpenVPN Static key V1-----\n";
$c['openvpn'] = array('openvpn-server' => array(array(
	'vpnid' => '1', 'mode' => 'p2p_shared_key', 'protocol' => 'UDP4', 'dev_mode' => 'tun', 'interface' => 'wan', 'ipaddr' => '',
	'local_port' => '1194', 'description' => 'site link', 'shared_key' => base64_encode($key), 'data_ciphers' => 'AES-256-GCM',
	'data_ciphers_fallback' => 'AES-256-CBC', 'digest' => 'SHA256', 'tunnel_network' => '10.99.0.0/30', 'verbosity_level' => '1')));
$c['ipsec'] = array('phase1' => array(array(
	'ikeid' => '1', 'iketype' => 'ikev2', 'interface' => 'wan', 'remote-gateway' => '203.0.113.5', 'protocol' => 'inet',
	'myid_type' => 'myaddress', 'myid_data' => '', 'peerid_type' => 'peeraddress', 'peerid_data' => '',
	'encryption' => array('item' => array(array('encryption-algorithm' => array('name' => 'aes', 'keylen' => '256'),
		'hash-algorithm' => 'sha256', 'prf-algorithm' => 'sha256', 'dhgroup' => '14'))),
	'lifetime' => '28800', 'pre-shared-key' => 'test-psk-not-secret', 'authentication_method' => 'pre_shared_key',
	'descr' => 'branch office', 'nat_traversal' => 'on', 'mobike' => 'off', 'dpd_delay' => '10', 'dpd_maxfail' => '5')));
$GLOBALS['config'] = $c;
write_config("human: OpenVPN server and IPsec tunnel on WAN");
`;

async function seed(fw: string): Promise<void> {
  await labSh(inv, fw, `cat > /tmp/pfha-vpn-seed.php <<'EOF'\n${SEED}\nEOF\nphp /tmp/pfha-vpn-seed.php && rm /tmp/pfha-vpn-seed.php`);
}

beforeAll(async () => {
  inv = loadInventory();
  ({ config, dir: stackDir } = labStack(inv, "vpnlab"));
  pair = new ConvergedPair(inv, config);
  await pair.up();
  // the human's instances, saved on the primary; the secondary gets them as XMLRPC sync would (written there too,
  // so the test does not depend on the sync's timing)
  for (const fw of ["fw1", "fw2"]) await seed(fw);
  for (const fw of ["fw1", "fw2"]) await eventsSettled(inv, fw);
  // the stack's config from here on (the pair converges the same object)
  config.vpn = { openvpn: [{ id: 1, network: "wan", vhid: 1 }], ipsec: [{ id: 1, network: "wan", vhid: 1 }] };
});

afterAll(async () => {
  await closeAllHosts();
  await pair?.down();
  fs.rmSync(stackDir, { recursive: true, force: true });
});

const vipRef = (): string => {
  const item = firewallPlanOf(config, config.name, "primary").find((i) => i.kind === "vpnBinding");
  if (item?.kind !== "vpnBinding") throw new Error("no vpnBinding in the plan");
  return `_vip${item.spec.vipUniqid}`;
};

const vpnChecks = async () => (await verifyCluster(config, { windowS: 1, secrets: LAB_SECRETS })).checks.filter((c) => / on the wan VIP$/.test(c.check));

test("before: the human's instances are on the WAN interface, and verify says they break on failover", async () => {
  const checks = await vpnChecks();
  expect(checks.map((c) => [c.check, c.node, c.found, c.status])).toEqual([
    ["OpenVPN vpnid 1 on the wan VIP", "fw1 (primary)", "wan (-)", "fail"],
    ["IPsec phase 1 ikeid 1 on the wan VIP", "fw1 (primary)", "wan (-)", "fail"],
    ["OpenVPN vpnid 1 on the wan VIP", "fw2 (secondary)", "wan (-)", "fail"],
    ["IPsec phase 1 ikeid 1 on the wan VIP", "fw2 (secondary)", "wan (-)", "fail"],
  ]);
});

test("after converge: both firewalls' instances are on the VIP; pfSense's openvpn config listens on it; MASTER only runs it", async () => {
  const ref = vipRef();
  for (const fw of ["fw1", "fw2"]) await labSh(inv, fw, "rm -f /var/log/pfha-lab/apply.log");
  await pair.convergeFirewalls();
  for (const fw of ["fw1", "fw2"]) {
    const xml = await labSh(inv, fw, "cat /cf/conf/config.xml");
    expect(xml).toContain(`\t\t\t<interface>${ref}</interface>\n\t\t\t<ipaddr>192.0.2.10</ipaddr>`);
    expect(xml).toContain("\t\t\t<pfha_previous_interface>wan</pfha_previous_interface>\n\t\t\t<pfha_previous_ipaddr></pfha_previous_ipaddr>\n\t\t</openvpn-server>");
    expect(xml).toContain(`\t\t\t<interface>${ref}</interface>\n\t\t\t<remote-gateway>203.0.113.5</remote-gateway>`);
    // openvpn.inc openvpn_reconfigure(): `local` is the instance's ipaddr
    expect(await labSh(inv, fw, "grep -E '^(local|lport|proto) ' /var/etc/openvpn/server1/config.ovpn")).toBe("proto udp4\nlocal 192.0.2.10\nlport 1194\n");
    // ipsec.inc ipsec_configure(): the tunnel's local address is the VIP's
    expect(await labSh(inv, fw, "grep -E 'local_addrs' /var/etc/ipsec/swanctl.conf | tr -d '\\t '")).toBe("local_addrs=192.0.2.10\n");
  }
  const started = (fw: string) => labRecord(inv, fw).filter((e) => e.cmd === "openvpn").map((e) => e.args.join(" "));
  expect(started("fw1")).toEqual(["--config /var/etc/openvpn/server1/config.ovpn"]);
  expect(started("fw2")).toEqual([]); // openvpn_restart(): not started on a BACKUP VIP
  expect((await vpnChecks()).map((c) => [c.node, c.expected, c.found, c.status])).toEqual([
    ["fw1 (primary)", `${ref} (192.0.2.10)`, `${ref} (192.0.2.10)`, "pass"],
    ["fw1 (primary)", `${ref} (192.0.2.10)`, `${ref} (192.0.2.10)`, "pass"],
    ["fw2 (secondary)", `${ref} (192.0.2.10)`, `${ref} (192.0.2.10)`, "pass"],
    ["fw2 (secondary)", `${ref} (192.0.2.10)`, `${ref} (192.0.2.10)`, "pass"],
  ]);
});

test("a vpnid the firewall does not have fails naming it and the fix, and nothing is written", async () => {
  const before = await labSh(inv, "fw1", "sha256sum /cf/conf/config.xml");
  const endpoint = config.firewalls.primary.ssh;
  const spec = { vpn: "openvpn", id: 7, vipUniqid: vipRef().slice(4), vipAddress: "192.0.2.10" };
  await expect(vpnBindingProvider.create({ endpoint, spec } as never)).rejects.toThrow(
    /vpnid: 7 is not an OpenVPN server or client on this firewall .*create the instance in VPN > OpenVPN .* or fix cluster\.vpn\.openvpn\[\]\.vpnid/,
  );
  expect(await labSh(inv, "fw1", "sha256sum /cf/conf/config.xml")).toBe(before);
});

test("delete restores the human's interface on both firewalls, and OpenVPN listens on the WAN address again", async () => {
  const ref = vipRef();
  for (const role of ["primary", "secondary"] as const) {
    for (const vpn of ["openvpn", "ipsec"]) {
      const spec = { vpn, id: 1, vipUniqid: ref.slice(4), vipAddress: "192.0.2.10" };
      await vpnBindingProvider.delete(`VpnBinding:${vpn}/1`, { endpoint: config.firewalls[role].ssh, spec } as never);
    }
  }
  for (const fw of ["fw1", "fw2"]) {
    const xml = await labSh(inv, fw, "cat /cf/conf/config.xml");
    expect(xml).not.toContain(`<interface>${ref}</interface>`);
    expect(xml).not.toContain("pfha_previous");
    expect(xml).toContain("\t\t\t<interface>wan</interface>\n\t\t\t<ipaddr></ipaddr>");
    const wanIp = fw === "fw1" ? "192.0.2.2" : "192.0.2.3";
    expect(await labSh(inv, fw, "grep -E '^local ' /var/etc/openvpn/server1/config.ovpn")).toBe(`local ${wanIp}\n`);
  }
  expect((await vpnChecks()).map((c) => c.found)).toEqual(["wan (-)", "wan (-)", "wan (-)", "wan (-)"]);
});
