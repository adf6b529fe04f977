// VPNs on the VIP: a human's OpenVPN instance (vpnid) and IPsec phase 1 (ikeid) bound to a CARP VIP exactly as
// pfSense's GUI writes it (vpn_openvpn_server.php: interface "_vip<uniqid>" + ipaddr = the VIP address;
// vpn_ipsec_phase1.php: interface "_vip<uniqid>"), the human's own values remembered for delete, the plan and the
// config that produce the items, and verify's check.
import { readFileSync } from "fs";
import { firewallPlanOf } from "../../components/plan";
import { validateValues } from "../../config/load";
import { buildConfigXml, parseConfigXml, type PfConfigDoc } from "../../providers/pfsense/codec";
import { upsertCarpVip } from "../../providers/pfsense/elements/carp-vip";
import { readVpnBinding, removeVpnBinding, upsertVpnBinding, validateVpnBinding, type VpnBindingSpec } from "../../providers/pfsense/elements/vpn-binding";
import { snapshotSections, touchedSections } from "../../providers/pfsense/remote/sections";
import { expectationsOf } from "../../providers/verify/desired";
import { configFactsOf } from "../../providers/verify/probe";
import { FACTORY_CONFIG_PATH } from "../fixtures/gen-large-config";
import { TOPOLOGY_DIR, topologyValues } from "../fixtures/topologies";

const UNIQID = "5f3a9c1e2b7d4";
const factory = readFileSync(FACTORY_CONFIG_PATH, "utf8");

// What the GUI saved for a server on WAN (ipaddr empty: "wan" has no "|address" part) and a phase 1 on WAN.
const HUMAN = factory
  .replace(
    "\t<openvpn></openvpn>",
    "\t<openvpn>\n\t\t<openvpn-server>\n\t\t\t<vpnid>1</vpnid>\n\t\t\t<mode>p2p_shared_key</mode>\n\t\t\t<protocol>UDP4</protocol>\n" +
      "\t\t\t<interface>wan</interface>\n\t\t\t<ipaddr></ipaddr>\n\t\t\t<local_port>1194</local_port>\n\t\t\t<description>site link</description>\n" +
      "\t\t</openvpn-server>\n\t\t<openvpn-client>\n\t\t\t<vpnid>2</vpnid>\n\t\t\t<interface>lan</interface>\n\t\t</openvpn-client>\n\t</openvpn>",
  )
  .replace(
    "\t<ipsec></ipsec>",
    "\t<ipsec>\n\t\t<phase1>\n\t\t\t<ikeid>3</ikeid>\n\t\t\t<iketype>ikev2</iketype>\n\t\t\t<interface>wan</interface>\n" +
      "\t\t\t<remote-gateway>203.0.113.5</remote-gateway>\n\t\t</phase1>\n\t</ipsec>",
  );

function box(): PfConfigDoc {
  const doc = parseConfigXml(HUMAN);
  upsertCarpVip(doc, { uniqid: UNIQID, interface: "wan", vhid: 1, advskew: 0, advbase: 1, password: "p", descr: "WAN VIP", subnet: "198.51.100.10", subnetBits: 24 });
  return doc;
}

const ovpn: VpnBindingSpec = { vpn: "openvpn", id: 1, vipUniqid: UNIQID, vipAddress: "198.51.100.10" };
const ipsec: VpnBindingSpec = { vpn: "ipsec", id: 3, vipUniqid: UNIQID, vipAddress: "198.51.100.10" };

test("OpenVPN server: interface _vip<uniqid> and ipaddr = the VIP (the GUI's \"_vip<uniqid>|<address>\"), the human's values remembered", () => {
  const doc = box();
  expect(readVpnBinding(doc, "openvpn", 1)).toBeUndefined(); // not ours until bound
  const before = snapshotSections(doc);
  expect(upsertVpnBinding(doc, ovpn)).toEqual({
    changed: true,
    diff: [
      'OpenVPN server 1 pfha_previous_interface: (absent) -> "wan"',
      'OpenVPN server 1 pfha_previous_ipaddr: (absent) -> ""',
      'OpenVPN server 1 interface: "wan" -> "_vip5f3a9c1e2b7d4"',
      'OpenVPN server 1 ipaddr: "" -> "198.51.100.10"',
    ],
  });
  expect(touchedSections(before, doc).sections).toEqual(["vpn"]);
  const xml = buildConfigXml(doc);
  expect(xml).toContain(
    "\t\t<openvpn-server>\n\t\t\t<vpnid>1</vpnid>\n\t\t\t<mode>p2p_shared_key</mode>\n\t\t\t<protocol>UDP4</protocol>\n" +
      "\t\t\t<interface>_vip5f3a9c1e2b7d4</interface>\n\t\t\t<ipaddr>198.51.100.10</ipaddr>\n\t\t\t<local_port>1194</local_port>\n" +
      "\t\t\t<description>site link</description>\n\t\t\t<pfha_previous_interface>wan</pfha_previous_interface>\n" +
      "\t\t\t<pfha_previous_ipaddr></pfha_previous_ipaddr>\n\t\t</openvpn-server>",
  );
  expect(readVpnBinding(parseConfigXml(xml), "openvpn", 1)).toEqual(ovpn);
  // idempotent: the memo is written once, the second run changes nothing
  const again = parseConfigXml(xml);
  expect(upsertVpnBinding(again, ovpn)).toEqual({ changed: false, diff: [] });
  expect(buildConfigXml(again)).toBe(xml);
});

test("an OpenVPN client is found by its vpnid too; an IPsec phase 1 gets interface _vip<uniqid> only", () => {
  const doc = box();
  upsertVpnBinding(doc, { ...ovpn, id: 2 });
  upsertVpnBinding(doc, ipsec);
  const xml = buildConfigXml(doc);
  expect(xml).toContain(
    "\t\t<openvpn-client>\n\t\t\t<vpnid>2</vpnid>\n\t\t\t<interface>_vip5f3a9c1e2b7d4</interface>\n\t\t\t<pfha_previous_interface>lan</pfha_previous_interface>\n" +
      "\t\t\t<pfha_previous_ipaddr></pfha_previous_ipaddr>\n\t\t\t<ipaddr>198.51.100.10</ipaddr>\n\t\t</openvpn-client>",
  );
  expect(xml).toContain(
    "\t\t<phase1>\n\t\t\t<ikeid>3</ikeid>\n\t\t\t<iketype>ikev2</iketype>\n\t\t\t<interface>_vip5f3a9c1e2b7d4</interface>\n" +
      "\t\t\t<remote-gateway>203.0.113.5</remote-gateway>\n\t\t\t<pfha_previous_interface>wan</pfha_previous_interface>\n\t\t</phase1>",
  );
  expect(readVpnBinding(doc, "ipsec", 3)).toEqual(ipsec);
  expect(xml).toContain("\t\t\t<interface>wan</interface>\n\t\t\t<ipaddr></ipaddr>"); // the server (vpnid 1) untouched
});

test("delete puts the human's values back and drops the memo: the file is the human's again, byte for byte", () => {
  const doc = box();
  const human = buildConfigXml(doc);
  upsertVpnBinding(doc, ovpn);
  upsertVpnBinding(doc, ipsec);
  expect(removeVpnBinding(doc, ovpn).diff).toEqual([
    'OpenVPN server 1 interface: "_vip5f3a9c1e2b7d4" -> "wan"',
    'OpenVPN server 1 ipaddr: "198.51.100.10" -> ""',
    "OpenVPN server 1 binding removed",
  ]);
  removeVpnBinding(doc, ipsec);
  expect(buildConfigXml(doc)).toBe(human);
  expect(readVpnBinding(doc, "openvpn", 1)).toBeUndefined();
  expect(removeVpnBinding(doc, ovpn)).toEqual({ changed: false, diff: [] }); // nothing of ours left
});

test("a human who re-pointed the instance since keeps their choice on delete; an instance already on the VIP stays there", () => {
  const doc = box();
  upsertVpnBinding(doc, ovpn);
  const bound = buildConfigXml(doc);
  // the human picks LAN in the GUI after the bind (the memo stays: the GUI rebuilds the element, here kept for the test)
  const xml = bound.replace("<interface>_vip5f3a9c1e2b7d4</interface>\n\t\t\t<ipaddr>198.51.100.10</ipaddr>", "<interface>lan</interface>\n\t\t\t<ipaddr></ipaddr>");
  const moved = parseConfigXml(xml);
  removeVpnBinding(moved, ovpn);
  expect(buildConfigXml(moved)).toContain("\t\t\t<interface>lan</interface>\n\t\t\t<ipaddr></ipaddr>\n\t\t\t<local_port>1194</local_port>\n\t\t\t<description>site link</description>\n\t\t</openvpn-server>");
  // bound by hand before the stack: the memo holds the VIP, so delete leaves it on the VIP
  const onVip = parseConfigXml(bound.replace("<pfha_previous_interface>wan</pfha_previous_interface>\n\t\t\t<pfha_previous_ipaddr></pfha_previous_ipaddr>\n", ""));
  upsertVpnBinding(onVip, ovpn);
  expect(buildConfigXml(onVip)).toContain("<pfha_previous_interface>_vip5f3a9c1e2b7d4</pfha_previous_interface>\n\t\t\t<pfha_previous_ipaddr>198.51.100.10</pfha_previous_ipaddr>");
  removeVpnBinding(onVip, ovpn);
  expect(buildConfigXml(onVip)).toContain("\t\t\t<interface>_vip5f3a9c1e2b7d4</interface>\n\t\t\t<ipaddr>198.51.100.10</ipaddr>");
});

test("a missing vpnid/ikeid or VIP fails naming it and the fix, before anything is written", () => {
  const doc = box();
  const xml = buildConfigXml(doc);
  expect(() => upsertVpnBinding(doc, { ...ovpn, id: 9 })).toThrow(
    "vpnid: 9 is not an OpenVPN server or client on this firewall (no openvpn-server or openvpn-client with <vpnid>9</vpnid>); create the instance in VPN > OpenVPN on the primary (XMLRPC sync copies it to the secondary), or fix cluster.vpn.openvpn[].vpnid",
  );
  expect(() => upsertVpnBinding(doc, { ...ipsec, id: 1 })).toThrow(
    "ikeid: 1 is not an IPsec phase 1 on this firewall (no ipsec/phase1 with <ikeid>1</ikeid>); create the tunnel in VPN > IPsec on the primary (XMLRPC sync copies it to the secondary), or fix cluster.vpn.ipsec[].ikeid",
  );
  expect(() => upsertVpnBinding(doc, { ...ovpn, vipAddress: "198.51.100.11" })).toThrow(
    'vipUniqid: "5f3a9c1e2b7d4" is invalid; no CARP VIP with this uniqid and address 198.51.100.11 on this firewall (it has 198.51.100.10); declare the network\'s vip so the stack writes it before the binding',
  );
  expect(buildConfigXml(doc)).toBe(xml);
  expect(() => validateVpnBinding({ ...ovpn, vpn: "wireguard" as never })).toThrow('vpn: "wireguard" is invalid; use openvpn or ipsec');
  expect(() => validateVpnBinding({ ...ovpn, id: 0 })).toThrow("id: 0 is invalid; use an integer from 1 to 65535");
  expect(() => validateVpnBinding({ ...ovpn, vipUniqid: "wan_vip1" })).toThrow('vipUniqid: "wan_vip1" is invalid; use the CARP VIP\'s uniqid (13 lowercase hex characters)');
});

function withVpn(vpn: unknown): ReturnType<typeof validateValues> {
  const values = topologyValues("wan-lan-sync");
  (values["pfsense-ha:cluster"] as Record<string, unknown>).vpn = vpn;
  return validateValues(values, TOPOLOGY_DIR);
}

test("config: vpn.openvpn / vpn.ipsec become one item per firewall with the WAN VIP's uniqid, the same on both", () => {
  const r = withVpn({ openvpn: [{ vpnid: 1, network: "wan" }], ipsec: [{ ikeid: 3 }] });
  if (!r.config) throw new Error(JSON.stringify(r.problems));
  expect(r.config.vpn).toEqual({ openvpn: [{ id: 1, network: "wan", vhid: 1 }], ipsec: [{ id: 3, network: "wan", vhid: 1 }] });
  const items = (role: "primary" | "secondary") => firewallPlanOf(r.config!, r.config!.name, role).filter((i) => i.kind === "vpnBinding");
  const want = [
    { key: "vpn-openvpn-1", kind: "vpnBinding", spec: { vpn: "openvpn", id: 1, vipUniqid: "a99936f7413ad", vipAddress: "198.51.100.10" } },
    { key: "vpn-ipsec-3", kind: "vpnBinding", spec: { vpn: "ipsec", id: 3, vipUniqid: "a99936f7413ad", vipAddress: "198.51.100.10" } },
  ];
  expect(items("primary")).toEqual(want);
  expect(items("secondary")).toEqual(want);
  const carp = firewallPlanOf(r.config, r.config.name, "primary").find((i) => i.kind === "carpVip" && i.spec.subnet === "198.51.100.10");
  expect(carp?.kind === "carpVip" && carp.spec.uniqid).toBe("a99936f7413ad");
});

test("config: bad vpn entries are refused naming the field and the fix", () => {
  const msgs = (v: unknown) => (withVpn(v).problems ?? []).map((p) => `${p.key}: ${p.message} -> ${p.fix}`);
  expect(msgs({ openvpn: [{ vpnid: 0 }] })).toEqual([
    "pfsense-ha:cluster.vpn.openvpn[0].vpnid: the OpenVPN instance's vpnid (VPN > OpenVPN, server or client) must be an integer from 1 to 65535 -> set pfsense-ha:cluster.vpn.openvpn[0].vpnid to a whole number between 1 and 65535",
  ]);
  expect(msgs({ openvpn: [{ network: "wan" }] })).toEqual([
    "pfsense-ha:cluster.vpn.openvpn[0].vpnid: is required -> set pfsense-ha:cluster.vpn.openvpn[0].vpnid to a whole number between 1 and 65535",
  ]);
  expect(msgs({ ipsec: [{ ikeid: 1, network: "sync" }] })).toEqual([
    "pfsense-ha:cluster.networks.sync.vip: pfsense-ha:cluster.vpn.ipsec[0] binds a VPN to sync's CARP VIP, and sync has none -> add pfsense-ha:cluster.networks.sync.vip: {address: <unused address>, vhid: <1-255>}",
  ]);
  expect(msgs({ ipsec: [{ ikeid: 1, vhid: 2 }] })).toEqual([
    "pfsense-ha:cluster.vpn.ipsec[0].vhid: is not a VIP of wan -> use one of wan's vhids: 1, or leave it out for the first",
  ]);
  expect(msgs({ openvpn: [{ vpnid: 4 }, { vpnid: 4 }] })).toEqual([
    "pfsense-ha:cluster.vpn.openvpn[1].vpnid: is listed twice (also pfsense-ha:cluster.vpn.openvpn[0]): an instance has one interface -> list each instance once",
  ]);
  expect(msgs({ openvpn: [{ vpnid: 1, ikeid: 2 }] })[0]).toMatch(/^pfsense-ha:cluster\.vpn\.openvpn\[0\]\.ikeid: is not a known configuration key/);
  expect(msgs({ wireguard: [] })[0]).toMatch(/^pfsense-ha:cluster\.vpn\.wireguard: is not a known configuration key/);
});

test("verify: the instance's interface and address are read from each firewall's config.xml", () => {
  const r = withVpn({ openvpn: [{ vpnid: 1 }] });
  if (!r.config) throw new Error(JSON.stringify(r.problems));
  expect(expectationsOf(r.config).vpnBindings).toEqual([{ vpn: "openvpn", id: 1, network: "wan", reference: "_vipa99936f7413ad", address: "198.51.100.10" }]);
  const doc = box();
  expect(configFactsOf(doc).vpnInterfaces).toEqual({
    "openvpn/1": { interface: "wan", address: "" },
    "openvpn/2": { interface: "lan", address: "" },
    "ipsec/3": { interface: "wan", address: "" },
  });
  upsertVpnBinding(doc, ovpn);
  upsertVpnBinding(doc, ipsec);
  expect(configFactsOf(doc).vpnInterfaces).toEqual({
    "openvpn/1": { interface: "_vip5f3a9c1e2b7d4", address: "198.51.100.10" },
    "openvpn/2": { interface: "lan", address: "" },
    "ipsec/3": { interface: "_vip5f3a9c1e2b7d4", address: "198.51.100.10" },
  });
});
