import { readFileSync } from "fs";
import { buildConfigXml, parseConfigXml, type PfConfigDoc } from "../../providers/pfsense/codec";
import { ensurePath, insertChild, leaf, section } from "../../providers/pfsense/codec-tree";
import { assertSameVersion, schemaForVersion, schemaOf } from "../../providers/pfsense/version";
import { readCarpVip, removeCarpVip, upsertCarpVip, type CarpVipSpec } from "../../providers/pfsense/elements/carp-vip";
import { readHaSync, removeHaSync, upsertHaSync, type HaSyncSpec } from "../../providers/pfsense/elements/hasync";
import { readFilterRule, removeFilterRule, upsertFilterRule, type FilterRuleSpec } from "../../providers/pfsense/elements/filter-rule";
import { removeAlias, upsertAlias, type AliasSpec } from "../../providers/pfsense/elements/alias";
import { readOutboundNat, removeOutboundNat, upsertOutboundNat, type OutboundNatSpec } from "../../providers/pfsense/elements/outbound-nat";
import { readDhcpFailover, removeDhcpFailover, upsertDhcpFailover, type DhcpFailoverSpec } from "../../providers/pfsense/elements/dhcp";
import { readInterface, upsertInterface, type InterfaceSpec } from "../../providers/pfsense/elements/interface";
import { forNode } from "../../providers/pfsense/elements/mirror";
import { setRevisionClock } from "../../providers/pfsense/elements/revision-entry";
import { FACTORY_CONFIG_PATH } from "../fixtures/gen-large-config";

// created/updated stamps (make_config_revision_entry()) at a fixed time: the exact-XML expectations stay literal.
beforeAll(() => setRevisionClock(() => 1700000000));
afterAll(() => setRevisionClock(undefined));

const factory = readFileSync(FACTORY_CONFIG_PATH, "utf8"); // <version>23.2 = 2.7.1/2.7.2 schema
const factoryAt = (version: string): string => factory.replace("<version>23.2</version>", `<version>${version}</version>`);

/** Lines removed/added between two texts (common prefix and suffix stripped). */
function changedLines(before: string, after: string): { removed: string[]; added: string[] } {
  const a = before.split("\n");
  const b = after.split("\n");
  let s = 0;
  while (s < a.length && s < b.length && a[s] === b[s]) s++;
  let ea = a.length - 1;
  let eb = b.length - 1;
  while (ea >= s && eb >= s && a[ea] === b[eb]) { ea--; eb--; }
  return { removed: a.slice(s, ea + 1), added: b.slice(s, eb + 1) };
}

const vip: CarpVipSpec = {
  uniqid: "65f1c2a9b3e4d", interface: "wan", vhid: 1, advskew: 0, advbase: 1, password: "s3cret&<pw>",
  descr: "WAN CARP Zürich", subnet: "198.51.100.200", subnetBits: 24,
};

describe("version → schema", () => {
  it("maps 22.9, 23.0-23.3, 23.4-24.1 and refuses older / unknown newer", () => {
    expect(schemaForVersion("22.9")).toMatchObject({ release: "2.7.0", natTarget: "legacy", kea6Sync: false });
    expect(schemaForVersion("23.3")).toMatchObject({ release: "2.7.1/2.7.2", natTarget: "split", kea6Sync: false, statePolicy: false });
    expect(schemaForVersion("24.0")).toMatchObject({ release: "2.8.x", natTarget: "split", kea6Sync: true, statePolicy: true });
    expect(() => schemaForVersion("22.2")).toThrow("config.xml <version> 22.2 is older than pfSense 2.7.0 (22.9); upgrade");
    expect(() => schemaForVersion("24.5")).toThrow("config.xml <version> 24.5 is newer than the known ones (22.9-24.1, pfSense 2.7.0-2.8.x): check the schema notes for that release and set allowUnknownVersion: true on the resource to write it anyway");
    expect(schemaForVersion("24.5", true).release).toBe("unknown-newer");
    expect(() => schemaForVersion("x")).toThrow(/"x" is not a config version/);
  });

  it("requires both nodes on the same version, naming the node to upgrade", () => {
    expect(() => assertSameVersion({ name: "fw-a", version: "23.3" }, { name: "fw-b", version: "23.3" })).not.toThrow();
    expect(() => assertSameVersion({ name: "fw-a", version: "23.3" }, { name: "fw-b", version: "24.0" })).toThrow(
      /XMLRPC sync refuses different versions: .*upgrade fw-a to the release fw-b runs/,
    );
  });
});

describe("CarpVip", () => {
  it("writes saveVIP()'s keys in order, CDATA HTML-escaped, and touches nothing else", () => {
    const doc = parseConfigXml(factory);
    const r = upsertCarpVip(doc, vip);
    expect(r.changed).toBe(true);
    const { removed, added } = changedLines(factory, buildConfigXml(doc));
    expect(removed).toEqual([]);
    expect(added).toEqual([
      "\t<virtualip>",
      "\t\t<vip>",
      "\t\t\t<mode>carp</mode>",
      "\t\t\t<interface>wan</interface>",
      "\t\t\t<vhid>1</vhid>",
      "\t\t\t<advskew>0</advskew>",
      "\t\t\t<advbase>1</advbase>",
      "\t\t\t<password><![CDATA[s3cret&amp;&lt;pw&gt;]]></password>",
      "\t\t\t<uniqid>65f1c2a9b3e4d</uniqid>",
      "\t\t\t<descr><![CDATA[WAN CARP Z&uuml;rich]]></descr>",
      "\t\t\t<type>single</type>",
      "\t\t\t<subnet_bits>24</subnet_bits>",
      "\t\t\t<subnet>198.51.100.200</subnet>",
      "\t\t</vip>",
      "\t</virtualip>",
    ]);
  });

  it("is idempotent, reads back, and reports changes without printing the password", () => {
    const doc = parseConfigXml(factory);
    upsertCarpVip(doc, vip);
    const once = buildConfigXml(doc);
    expect(upsertCarpVip(doc, vip)).toEqual({ changed: false, diff: [] });
    expect(buildConfigXml(doc)).toBe(once);
    expect(readCarpVip(doc, vip.uniqid)).toEqual(vip);
    const r = upsertCarpVip(doc, { ...vip, advskew: 5, password: "new-secret" });
    expect(r.diff).toEqual(["vip 65f1c2a9b3e4d advskew: \"0\" -> \"5\"", "vip 65f1c2a9b3e4d password: (secret, changed)"]);
    expect(JSON.stringify(r)).not.toMatch(/new-secret|s3cret/);
  });

  it("remove restores the document byte-identical", () => {
    const doc = parseConfigXml(factory);
    const human = { ...vip, uniqid: "aaaaaaaaaaaaa", vhid: 7 };
    upsertCarpVip(doc, human); // stands in for a VIP that existed before
    const before = buildConfigXml(doc);
    upsertCarpVip(doc, vip);
    expect(removeCarpVip(doc, vip.uniqid)).toBe(true);
    expect(buildConfigXml(doc)).toBe(before);
    expect(removeCarpVip(doc, vip.uniqid)).toBe(false);
  });

  it("refuses a VHID a human's VIP already uses on that interface, and never touches a same-descr foreign VIP", () => {
    const doc = parseConfigXml(factory);
    const vips = ensurePath(doc.root, "virtualip");
    const mk = (vhid: string, uniqid: string): void =>
      insertChild(vips, section("vip", [leaf(doc, "mode", "carp"), leaf(doc, "interface", "wan"), leaf(doc, "vhid", vhid), leaf(doc, "uniqid", uniqid), leaf(doc, "descr", vip.descr)]));
    mk("1", "bbbbbbbbbbbbb");
    expect(() => upsertCarpVip(doc, vip)).toThrow(/vhid: 1 is already used on wan by another CARP VIP \(uniqid bbbbbbbbbbbbb/);
    const doc2 = parseConfigXml(factory);
    const vips2 = ensurePath(doc2.root, "virtualip");
    insertChild(vips2, section("vip", [leaf(doc2, "mode", "carp"), leaf(doc2, "interface", "wan"), leaf(doc2, "vhid", "9"), leaf(doc2, "descr", vip.descr)]));
    const before = buildConfigXml(doc2);
    upsertCarpVip(doc2, vip);
    removeCarpVip(doc2, vip.uniqid);
    expect(buildConfigXml(doc2)).toBe(before);
  });

  it("rejects bad input naming the field, without echoing the password", () => {
    const doc = parseConfigXml(factory);
    expect(() => upsertCarpVip(doc, { ...vip, vhid: 256 })).toThrow(/vhid: 256 is invalid; use an integer from 1 to 255/);
    expect(() => upsertCarpVip(doc, { ...vip, uniqid: "xyz" })).toThrow(/uniqid: "xyz" is invalid/);
    expect(() => upsertCarpVip(doc, { ...vip, interface: "em0" })).toThrow(/interface: "em0" is invalid; use a pfSense interface name/);
    expect(() => upsertCarpVip(doc, { ...vip, password: "" })).toThrow(/password: \(secret\) is empty/);
    expect(buildConfigXml(doc)).toBe(factory);
  });
});

describe("HaSyncConfig", () => {
  const primary: HaSyncSpec = {
    pfsyncInterface: "opt1", pfsyncPeerIp: "172.16.1.3",
    xmlrpc: { synchronizeToIp: "172.16.1.3", username: "admin", password: "peer-pw", disabledOptions: ["synchronizecaptiveportal"] },
  };

  it("primary on 2.7.x: pfsync keys, every option 'on' except the disabled one, XMLRPC target and credentials", () => {
    const doc = parseConfigXml(factory);
    const r = upsertHaSync(doc, primary, schemaOf(doc));
    const { added } = changedLines(factory, buildConfigXml(doc));
    expect(added[0]).toBe("\t<hasync>");
    expect(added).toContain("\t\t<pfsyncenabled>on</pfsyncenabled>");
    expect(added).toContain("\t\t<synchronizedhcpd>on</synchronizedhcpd>");
    expect(added.join("\n")).not.toMatch(/synchronizecaptiveportal|synchronizekea6/);
    expect(added.slice(-6)).toEqual([
      "\t\t<synchronizetrafficshaperlimiter>on</synchronizetrafficshaperlimiter>",
      "\t\t<synchronizednsforwarder>on</synchronizednsforwarder>",
      "\t\t<synchronizetoip>172.16.1.3</synchronizetoip>",
      "\t\t<username><![CDATA[admin]]></username>",
      "\t\t<password><![CDATA[peer-pw]]></password>",
      "\t</hasync>",
    ]);
    expect(r.diff.join("\n")).toContain("hasync password: (secret, set)");
    expect(r.diff.join("\n")).not.toContain("peer-pw");
    expect(upsertHaSync(doc, primary, schemaOf(doc)).changed).toBe(false);
    expect(readHaSync(doc, schemaOf(doc))).toEqual(primary);
  });

  it("2.8 adds synchronizekea6", () => {
    const doc = parseConfigXml(factoryAt("24.0"));
    upsertHaSync(doc, primary, schemaOf(doc));
    expect(buildConfigXml(doc)).toContain("\t\t<synchronizekea6>on</synchronizekea6>\n");
  });

  it("secondary (mirror): pfsync peer = primary, no XMLRPC keys at all, pfhostid as system_hasync.php writes it; remove leaves only pfhostid", () => {
    const doc = parseConfigXml(factory);
    const sec = forNode("secondary", { kind: "haSync", spec: primary, primarySyncIp: "172.16.1.2" }).spec;
    upsertHaSync(doc, sec, schemaOf(doc));
    const out = buildConfigXml(doc);
    expect(out).toContain("\t<hasync>\n\t\t<pfhostid></pfhostid>\n\t\t<pfsyncenabled>on</pfsyncenabled>\n\t\t<pfsyncpeerip>172.16.1.2</pfsyncpeerip>\n\t\t<pfsyncinterface>opt1</pfsyncinterface>\n\t</hasync>\n");
    expect(out).not.toMatch(/synchronizetoip|<username>|<password>/);
    removeHaSync(doc, schemaOf(doc));
    expect(buildConfigXml(doc)).toContain("\t<hasync>\n\t\t<pfhostid></pfhostid>\n\t</hasync>\n");
  });
});

describe("FirewallRule + Alias (sync rules)", () => {
  const pfsync: FilterRuleSpec = {
    tracker: "1712345001", type: "pass", interface: "lan", ipprotocol: "inet", protocol: "pfsync",
    source: { network: "lan" }, destination: { any: true }, descr: "HA: pfsync", position: { top: true },
  };
  const xmlrpc: FilterRuleSpec = {
    tracker: "1712345002", type: "pass", interface: "lan", ipprotocol: "inet", protocol: "tcp",
    source: { address: "HA_SYNC_PEERS" }, destination: { network: "(self)", port: "443" }, descr: "HA: XMLRPC", position: { afterTracker: "1712345001" },
  };
  const alias: AliasSpec = { name: "HA_SYNC_PEERS", type: "host", addresses: ["172.16.1.2", "172.16.1.3"], descr: "HA sync nodes" };

  it("places pfsync at the top of the interface, XMLRPC right after it, exact XML", () => {
    const doc = parseConfigXml(factory);
    const s = schemaOf(doc);
    upsertAlias(doc, alias);
    upsertFilterRule(doc, pfsync, s);
    upsertFilterRule(doc, xmlrpc, s);
    const out = buildConfigXml(doc);
    const filterBlock = out.slice(out.indexOf("\t<filter>"), out.indexOf("\t</filter>"));
    const trackers = [...filterBlock.matchAll(/<tracker>(\d+)<\/tracker>/g)].map((m) => m[1]);
    expect(trackers).toEqual(["1712345001", "1712345002", "0100000101", "0100000102"]);
    expect(out).toContain(
      "\t\t\t<statetype><![CDATA[keep state]]></statetype>\n\t\t\t<os></os>\n\t\t\t<protocol>tcp</protocol>\n" +
        "\t\t\t<source>\n\t\t\t\t<address>HA_SYNC_PEERS</address>\n\t\t\t</source>\n" +
        "\t\t\t<destination>\n\t\t\t\t<network>(self)</network>\n\t\t\t\t<port>443</port>\n\t\t\t</destination>\n" +
        "\t\t\t<descr><![CDATA[[pfha] HA: XMLRPC]]></descr>\n" +
        "\t\t\t<updated>\n\t\t\t\t<time>1700000000</time>\n\t\t\t\t<username><![CDATA[(system)]]></username>\n\t\t\t</updated>\n" +
        "\t\t\t<created>\n\t\t\t\t<time>1700000000</time>\n\t\t\t\t<username><![CDATA[(system)]]></username>\n\t\t\t</created>\n\t\t</rule>\n",
    );
    expect(out).toContain(
      "\t\t<alias>\n\t\t\t<name>HA_SYNC_PEERS</name>\n\t\t\t<type>host</type>\n\t\t\t<address>172.16.1.2 172.16.1.3</address>\n" +
        "\t\t\t<descr><![CDATA[[pfsense-ha]HA_SYNC_PEERS HA sync nodes]]></descr>\n\t\t\t<detail><![CDATA[||]]></detail>\n\t\t</alias>\n",
    );
    expect(out).not.toContain("statepolicy");
    expect(upsertFilterRule(doc, xmlrpc, s).changed).toBe(false);
    expect(upsertFilterRule(doc, pfsync, s).changed).toBe(false);
    expect(readFilterRule(doc, "1712345002")).toEqual(xmlrpc);
  });

  it("2.8 rules carry <statepolicy>", () => {
    const doc = parseConfigXml(factoryAt("24.0"));
    upsertFilterRule(doc, pfsync, schemaOf(doc));
    expect(buildConfigXml(doc)).toContain("\t\t\t<os></os>\n\t\t\t<statepolicy></statepolicy>\n\t\t\t<protocol>pfsync</protocol>\n");
  });

  it("moves our rule back when a human moved it; remove leaves the document byte-identical", () => {
    const doc = parseConfigXml(factory);
    const s = schemaOf(doc);
    upsertFilterRule(doc, pfsync, s);
    const filter = ensurePath(doc.root, "filter");
    filter.children!.push(filter.children!.shift()!); // drift: ours is now last
    expect(upsertFilterRule(doc, pfsync, s).diff).toEqual(["rule 1712345001 moved"]);
    upsertAlias(doc, alias);
    expect(removeFilterRule(doc, pfsync.tracker)).toBe(true);
    expect(removeAlias(doc, alias.name)).toBe(true);
    expect(buildConfigXml(doc)).toBe(factory);
  });

  it("refuses a tracker or alias name owned by a human, and an unknown afterTracker", () => {
    const s = schemaOf(parseConfigXml(factory));
    const human = parseConfigXml(factory.replace("<tracker>0100000101</tracker>", "<tracker>1712345001</tracker>"));
    expect(() => upsertFilterRule(human, pfsync, s)).toThrow(/tracker: 1712345001 is already used by a rule not managed by pfsense-ha/);
    expect(() => upsertFilterRule(parseConfigXml(factory), xmlrpc, s)).toThrow(/position.afterTracker: no rule with tracker 1712345001/);
    const d2 = parseConfigXml(factory);
    insertChild(ensurePath(d2.root, "aliases"), section("alias", [leaf(d2, "name", "HA_SYNC_PEERS"), leaf(d2, "descr", "mine")]));
    expect(() => upsertAlias(d2, alias)).toThrow(/alias "HA_SYNC_PEERS" already exists and is not managed by pfsense-ha/);
  });
});

describe("OutboundNatRule", () => {
  const nat: OutboundNatSpec = { key: "lan", sourceNetwork: "192.168.1.0/24", interface: "wan", targetVip: "198.51.100.200", descr: "LAN -> WAN VIP" };
  const ruleLines = (targetSubnet: boolean): string[] => [
    "\t\t\t<mode>hybrid</mode>",
    "\t\t\t<rule>",
    "\t\t\t\t<source>",
    "\t\t\t\t\t<network>192.168.1.0/24</network>",
    "\t\t\t\t</source>",
    "\t\t\t\t<sourceport></sourceport>",
    "\t\t\t\t<descr><![CDATA[[pfsense-ha]lan LAN -&gt; WAN VIP]]></descr>",
    "\t\t\t\t<target>198.51.100.200</target>",
    ...(targetSubnet ? ["\t\t\t\t<target_subnet></target_subnet>"] : []),
    "\t\t\t\t<interface>wan</interface>",
    "\t\t\t\t<poolopts></poolopts>",
    "\t\t\t\t<source_hash_key></source_hash_key>",
    "\t\t\t\t<ipprotocol>inet</ipprotocol>",
    "\t\t\t\t<destination>",
    "\t\t\t\t\t<any></any>",
    "\t\t\t\t</destination>",
    "\t\t\t\t<updated>",
    "\t\t\t\t\t<time>1700000000</time>",
    "\t\t\t\t\t<username><![CDATA[(system)]]></username>",
    "\t\t\t\t</updated>",
    "\t\t\t\t<created>",
    "\t\t\t\t\t<time>1700000000</time>",
    "\t\t\t\t\t<username><![CDATA[(system)]]></username>",
    "\t\t\t\t</created>",
    "\t\t\t</rule>",
  ];

  it.each([["22.9", false], ["23.3", true], ["24.0", true]] as const)("config %s: hybrid mode + rule, target schema per version", (version, split) => {
    const text = factoryAt(version);
    const doc = parseConfigXml(text);
    upsertOutboundNat(doc, nat, schemaOf(doc));
    const { removed, added } = changedLines(text, buildConfigXml(doc));
    expect(removed).toEqual(["\t\t\t<mode>automatic</mode>"]);
    expect(added).toEqual(ruleLines(split));
    expect(upsertOutboundNat(doc, nat, schemaOf(doc)).changed).toBe(false);
    expect(readOutboundNat(doc, "lan")).toEqual(nat);
    expect(removeOutboundNat(doc, "lan")).toBe(true);
    expect(buildConfigXml(doc)).toBe(text);
  });

  it("leaves a human's NAT rule with the same descr alone", () => {
    const doc = parseConfigXml(factory);
    const o = ensurePath(doc.root, "nat/outbound");
    insertChild(o, section("rule", [leaf(doc, "descr", nat.descr), leaf(doc, "target", "203.0.113.9")]));
    const human = JSON.stringify(o.children![1]);
    upsertOutboundNat(doc, nat, schemaOf(doc));
    removeOutboundNat(doc, "lan");
    expect(JSON.stringify(o.children![1])).toBe(human);
    expect(o.children).toHaveLength(2);
  });
});

describe("DhcpFailover", () => {
  // the factory's own range: these tests change only the HA keys
  const dhcp: DhcpFailoverSpec = { interface: "lan", rangeFrom: "192.168.1.100", rangeTo: "192.168.1.199", gateway: "192.168.1.1", dnsServers: ["192.168.1.1"], failoverPeerIp: "192.168.1.3", role: "primary", advskew: 0 };

  it("sets gateway, DNS and failover peer only; idempotent; remove restores the document", () => {
    const doc = parseConfigXml(factory);
    upsertDhcpFailover(doc, dhcp);
    const { removed, added } = changedLines(factory, buildConfigXml(doc));
    expect(removed).toEqual([]);
    expect(added).toEqual(["\t\t\t<gateway>192.168.1.1</gateway>", "\t\t\t<dnsserver>192.168.1.1</dnsserver>", "\t\t\t<failover_peerip>192.168.1.3</failover_peerip>"]);
    expect(upsertDhcpFailover(doc, dhcp).changed).toBe(false);
    expect(readDhcpFailover(doc, "lan")).toEqual({ interface: "lan", rangeFrom: "192.168.1.100", rangeTo: "192.168.1.199", gateway: "192.168.1.1", dnsServers: ["192.168.1.1"], failoverPeerIp: "192.168.1.3" });
    expect(removeDhcpFailover(doc, "lan")).toBe(true);
    expect(buildConfigXml(doc)).toBe(factory);
  });

  it("moves the range into place, in <range><from>/<to>, and reads it back", () => {
    const doc = parseConfigXml(factory);
    const r = upsertDhcpFailover(doc, { ...dhcp, rangeFrom: "192.168.1.50", rangeTo: "192.168.1.60" });
    expect(r.diff).toEqual(expect.arrayContaining(['dhcpd lan from: "192.168.1.100" -> "192.168.1.50"', 'dhcpd lan to: "192.168.1.199" -> "192.168.1.60"']));
    const xml = buildConfigXml(doc);
    expect(xml).toContain("\t\t\t<enable></enable>\n\t\t\t<range>\n\t\t\t\t<from>192.168.1.50</from>\n\t\t\t\t<to>192.168.1.60</to>\n\t\t\t</range>\n");
    expect(xml).not.toContain("192.168.1.100");
    expect(readDhcpFailover(doc, "lan")).toMatchObject({ rangeFrom: "192.168.1.50", rangeTo: "192.168.1.60" });
  });

  it("refuses a range outside the interface's subnet or reversed, naming the field, before touching the document", () => {
    const doc = parseConfigXml(factory);
    expect(() => upsertDhcpFailover(doc, { ...dhcp, rangeTo: "192.168.2.10" })).toThrow(
      /^rangeTo: "192\.168\.2\.10" is invalid; it is outside lan's subnet \(192\.168\.1\.1\/24\); use an address range inside that subnet$/,
    );
    expect(() => upsertDhcpFailover(doc, { ...dhcp, rangeFrom: "192.168.1.150", rangeTo: "192.168.1.120" })).toThrow(/^rangeTo: "192\.168\.1\.120" is invalid; it is below rangeFrom/);
    expect(() => upsertDhcpFailover(doc, { ...dhcp, rangeFrom: "192.168.1.x" })).toThrow(/^rangeFrom: "192\.168\.1\.x" is invalid/);
    expect(buildConfigXml(doc)).toBe(factory);
  });

  it("secondary mirror swaps the peer and adds 100 to the skew", () => {
    const m = forNode("secondary", { kind: "dhcpFailover", spec: dhcp, primaryIp: "192.168.1.2" });
    expect(m.spec).toEqual({ ...dhcp, failoverPeerIp: "192.168.1.2", role: "secondary", advskew: 100 });
  });

  it("refuses Kea, a secondary skew below 20 and a primary skew of 20 (services.inc: primary only when advskew < 20), before touching the document", () => {
    const kea = parseConfigXml(factory.replace("\t<dhcpd>", "\t<dhcpbackend>kea</dhcpbackend>\n\t<dhcpd>"));
    expect(() => upsertDhcpFailover(kea, dhcp)).toThrow(/dhcpbackend: "kea" .*switch .* to ISC/);
    const doc = parseConfigXml(factory);
    expect(() => upsertDhcpFailover(doc, { ...dhcp, role: "secondary", advskew: 19 })).toThrow(/advskew: 19 is invalid; the secondary's CARP skew must be 20 or more/);
    expect(() => upsertDhcpFailover(doc, { ...dhcp, role: "primary", advskew: 20 })).toThrow(/advskew: 20 is invalid; the primary's CARP skew must be 19 or less: pfSense makes a node the DHCP primary only when its skew is below 20/);
    expect(() => upsertDhcpFailover(doc, { ...dhcp, interface: "opt1" })).toThrow(/^interface: opt1 has no static IPv4 address on this firewall \(""\); give it one/);
    expect(buildConfigXml(doc)).toBe(factory);
  });

  // No failover: the same server on each node, no peer (services.inc then writes no `failover peer` block).
  const plain: DhcpFailoverSpec = { interface: "lan", rangeFrom: "192.168.1.100", rangeTo: "192.168.1.199", gateway: "192.168.1.1", dnsServers: ["192.168.1.1"], role: "primary", advskew: 0 };

  it("without failover: gateway and DNS only, no failover_peerip; turning failover off removes the peer; the secondary gets no peer", () => {
    const doc = parseConfigXml(factory);
    upsertDhcpFailover(doc, plain);
    expect(changedLines(factory, buildConfigXml(doc))).toEqual({ removed: [], added: ["\t\t\t<gateway>192.168.1.1</gateway>", "\t\t\t<dnsserver>192.168.1.1</dnsserver>"] });
    expect(readDhcpFailover(doc, "lan")).toEqual({ interface: "lan", rangeFrom: "192.168.1.100", rangeTo: "192.168.1.199", gateway: "192.168.1.1", dnsServers: ["192.168.1.1"] });
    const withPeer = parseConfigXml(factory);
    upsertDhcpFailover(withPeer, dhcp);
    expect(upsertDhcpFailover(withPeer, plain).diff).toEqual(['dhcpd lan failover_peerip: "192.168.1.3" -> (absent)']);
    expect(buildConfigXml(withPeer)).toBe(buildConfigXml(doc));
    // a skew that would break failover does not matter without it
    expect(() => upsertDhcpFailover(parseConfigXml(factory), { ...plain, role: "secondary", advskew: 0 })).not.toThrow();
    expect(forNode("secondary", { kind: "dhcpFailover", spec: plain, primaryIp: "192.168.1.2" }).spec).toEqual({ ...plain, role: "secondary", advskew: 100 });
  });

  it("creates and switches on the server of an opt interface, exact XML; the LAN server a human set up stays untouched", () => {
    const doc = parseConfigXml(factory);
    upsertInterface(doc, { name: "opt1", device: "vtnet2", descr: "DMZ", enable: true, ipaddr: "10.20.0.2", subnetBits: 24, sync: false });
    const before = buildConfigXml(doc);
    const r = upsertDhcpFailover(doc, { interface: "opt1", rangeFrom: "10.20.0.100", rangeTo: "10.20.0.150", gateway: "10.20.0.1", dnsServers: ["10.20.0.1"], failoverPeerIp: "10.20.0.3", role: "primary", advskew: 0 });
    expect(r.diff[0]).toBe("dhcpd opt1 server created");
    const { removed, added } = changedLines(before, buildConfigXml(doc));
    expect(removed).toEqual([]);
    expect(added).toEqual([
      "\t\t<opt1>", "\t\t\t<enable></enable>", "\t\t\t<range>", "\t\t\t\t<from>10.20.0.100</from>", "\t\t\t\t<to>10.20.0.150</to>", "\t\t\t</range>",
      "\t\t\t<gateway>10.20.0.1</gateway>", "\t\t\t<dnsserver>10.20.0.1</dnsserver>", "\t\t\t<failover_peerip>10.20.0.3</failover_peerip>", "\t\t</opt1>",
    ]);
    expect(buildConfigXml(doc)).toContain("\t\t</lan>\n\t\t<opt1>\n");
    expect(buildConfigXml(doc)).toContain("\t\t<lan>\n\t\t\t<enable></enable>\n\t\t\t<range>\n\t\t\t\t<from>192.168.1.100</from>\n\t\t\t\t<to>192.168.1.199</to>\n\t\t\t</range>\n\t\t</lan>\n");
  });

  it("keeps what it does not manage (static maps, options), switches a server a human turned off back on, reads that as drift", () => {
    const human = factory.replace("\t\t\t\t<to>192.168.1.199</to>\n\t\t\t</range>\n", "\t\t\t\t<to>192.168.1.199</to>\n\t\t\t</range>\n\t\t\t<domain>example.lan</domain>\n\t\t\t<staticmap>\n\t\t\t\t<mac>00:11:22:33:44:55</mac>\n\t\t\t\t<ipaddr>192.168.1.20</ipaddr>\n\t\t\t</staticmap>\n");
    const doc = parseConfigXml(human);
    upsertDhcpFailover(doc, plain);
    expect(buildConfigXml(doc)).toContain("\t\t\t<domain>example.lan</domain>\n\t\t\t<staticmap>\n\t\t\t\t<mac>00:11:22:33:44:55</mac>\n\t\t\t\t<ipaddr>192.168.1.20</ipaddr>\n\t\t\t</staticmap>\n\t\t\t<gateway>192.168.1.1</gateway>\n\t\t\t<dnsserver>192.168.1.1</dnsserver>\n\t\t</lan>");
    const off = parseConfigXml(buildConfigXml(doc).replace("\t\t<lan>\n\t\t\t<enable></enable>\n\t\t\t<range>\n\t\t\t\t<from>192.168.1.100", "\t\t<lan>\n\t\t\t<range>\n\t\t\t\t<from>192.168.1.100"));
    expect(readDhcpFailover(off, "lan")).toMatchObject({ disabled: true });
    expect(upsertDhcpFailover(off, plain).diff).toEqual(["dhcpd lan enable: off -> on"]);
    expect(buildConfigXml(off)).toBe(buildConfigXml(doc));
    expect(removeDhcpFailover(off, "lan")).toBe(true);
    expect(buildConfigXml(off)).toBe(human);
  });

  it("refuses a range over the box's own address, the VIP or the peer, naming rangeFrom", () => {
    const doc = parseConfigXml(factory);
    expect(() => upsertDhcpFailover(doc, { ...plain, rangeFrom: "192.168.1.1", rangeTo: "192.168.1.9", gateway: "192.168.1.10", dnsServers: ["192.168.1.10"] })).toThrow(
      /^rangeFrom: "192\.168\.1\.1-192\.168\.1\.9" is invalid; it includes this firewall's own lan address 192\.168\.1\.1; move the range/,
    );
    expect(() => upsertDhcpFailover(doc, { ...dhcp, rangeFrom: "192.168.1.2", rangeTo: "192.168.1.9" })).toThrow(/^rangeFrom: .* it includes the failoverPeerIp 192\.168\.1\.3/);
    expect(() => upsertDhcpFailover(doc, { ...plain, gateway: "192.168.1.150", dnsServers: ["192.168.1.150"] })).toThrow(/^rangeFrom: .* it includes the gateway 192\.168\.1\.150/);
    expect(() => upsertDhcpFailover(doc, { ...plain, disabled: true })).toThrow(/^disabled: true is invalid; leave it out/);
    expect(buildConfigXml(doc)).toBe(factory);
  });
});

describe("PfSenseInterface", () => {
  const sync: InterfaceSpec = { name: "opt1", device: "vtnet2", descr: "SYNC", enable: true, ipaddr: "172.16.1.2", subnetBits: 24, sync: true };

  it("assigns the SYNC interface with a static address and no block flags", () => {
    const doc = parseConfigXml(factory);
    upsertInterface(doc, sync);
    const { added } = changedLines(factory, buildConfigXml(doc));
    expect(added).toEqual([
      "\t\t<opt1>", "\t\t\t<enable></enable>", "\t\t\t<if>vtnet2</if>", "\t\t\t<descr><![CDATA[SYNC]]></descr>",
      "\t\t\t<ipaddr>172.16.1.2</ipaddr>", "\t\t\t<subnet>24</subnet>", "\t\t\t<spoofmac></spoofmac>", "\t\t</opt1>",
    ]);
    expect(upsertInterface(doc, sync).changed).toBe(false);
    expect(readInterface(doc, "opt1")).toEqual({ name: "opt1", device: "vtnet2", descr: "SYNC", enable: true, ipaddr: "172.16.1.2", subnetBits: 24 });
  });

  it("writes <mtu> for a network not at 1500 (VXLAN: underlay - 50), reads it back, and refuses one pfSense refuses", () => {
    const doc = parseConfigXml(factory);
    upsertInterface(doc, { ...sync, mtu: 1450 });
    const { added } = changedLines(factory, buildConfigXml(doc));
    expect(added).toContain("\t\t\t<mtu>1450</mtu>");
    expect(readInterface(doc, "opt1")?.mtu).toBe(1450);
    expect(upsertInterface(doc, { ...sync, mtu: 1450 }).changed).toBe(false);
    expect(() => upsertInterface(doc, { ...sync, mtu: 575 })).toThrow(/mtu/);
  });

  it("clears blockpriv/blockbogons only when it is the sync interface", () => {
    const doc = parseConfigXml(factory);
    const r = upsertInterface(doc, { ...sync, name: "wan", device: "em0", descr: "WAN", ipaddr: "198.51.100.201" });
    expect(r.diff).toContain("interface wan blockpriv: on -> off");
    const doc2 = parseConfigXml(factory);
    upsertInterface(doc2, { ...sync, name: "wan", device: "em0", descr: "WAN", ipaddr: "198.51.100.201", sync: false });
    expect(buildConfigXml(doc2)).toContain("<blockbogons></blockbogons>");
  });
});

describe("secondary mirror", () => {
  it("adds 100 to the VIP skew, capped at 254, same uniqid", () => {
    expect(forNode("secondary", { kind: "carpVip", spec: vip }).spec).toEqual({ ...vip, advskew: 100 });
    expect(forNode("secondary", { kind: "carpVip", spec: { ...vip, advskew: 200 } }).spec.advskew).toBe(254);
    expect(forNode("primary", { kind: "carpVip", spec: vip }).spec).toBe(vip);
  });
});

// keep the helper type in use for readers
export type { PfConfigDoc };
