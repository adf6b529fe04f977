// What pfSense's own code does that the element edits must match: rule separators shifted as shift_separators()
// shifts them, a rule marker short enough for pf's 63-character label, our outbound NAT rule before a human's,
// the XMLRPC port as xmlrpc_client.inc computes it, and verify agreeing with it. Expected values are literal.
import { readFileSync } from "fs";
import { buildConfigXml, parseConfigXml, type PfConfigDoc } from "../../providers/pfsense/codec";
import { child, ensurePath, getPath, insertChild, kids, leaf, section, textIn } from "../../providers/pfsense/codec-tree";
import { schemaOf, schemaForVersion } from "../../providers/pfsense/version";
import { MAX_RULE_DESCR, readFilterRule, removeFilterRule, upsertFilterRule, type FilterRuleSpec } from "../../providers/pfsense/elements/filter-rule";
import { readOutboundNat, upsertOutboundNat, type OutboundNatSpec } from "../../providers/pfsense/elements/outbound-nat";
import { upsertHaSync, xmlrpcPortOf } from "../../providers/pfsense/elements/hasync";
import { readIpv6, upsertInterface } from "../../providers/pfsense/elements/interface";
import { setRevisionClock } from "../../providers/pfsense/elements/revision-entry";
import { parseBoxConfig, parsePendingApply } from "../../providers/pfsense/remote/pending";
import { FACTORY_CONFIG_PATH } from "../fixtures/gen-large-config";

const factory = readFileSync(FACTORY_CONFIG_PATH, "utf8");

const pfsync: FilterRuleSpec = {
  tracker: "4000000001", type: "pass", interface: "lan", ipprotocol: "inet", protocol: "pfsync",
  source: { address: "HA_SYNC_PEERS" }, destination: { network: "(self)" }, descr: "pfsync state sync between the HA peers", position: { top: true },
};
const xmlrpc: FilterRuleSpec = {
  tracker: "4000000002", type: "pass", interface: "lan", ipprotocol: "inet", protocol: "tcp",
  source: { address: "HA_SYNC_PEERS" }, destination: { network: "(self)", port: "443" }, descr: "XMLRPC config sync between the HA peers",
  position: { afterTracker: "4000000001" },
};

/** A human's two separators on the LAN: above the 1st and above the 2nd rule of the interface. */
function withSeparators(): PfConfigDoc {
  const doc = parseConfigXml(factory);
  const lan = ensurePath(doc.root, "filter/separator/lan");
  for (const [n, row] of [[0, "fr0"], [1, "fr1"]] as const) {
    insertChild(lan, section(`sep${n}`, [leaf(doc, "row", row), leaf(doc, "text", `human ${n}`), leaf(doc, "color", "bg-info"), leaf(doc, "if", "lan")]));
  }
  return doc;
}

function rows(doc: PfConfigDoc): string[] {
  return kids(getPath(doc.root, "filter/separator/lan")!).map((s) => textIn(doc, child(s, "row")) ?? "");
}

describe("rule separators move with the rules (filter.inc shift_separators)", () => {
  it("a rule added at the top of the interface moves every separator of that interface down one row", () => {
    const doc = withSeparators();
    upsertFilterRule(doc, pfsync, schemaOf(doc));
    expect(rows(doc)).toEqual(["fr1", "fr2"]);
  });

  it("a rule added after the interface's first rule moves only the separators below it", () => {
    const doc = withSeparators();
    upsertFilterRule(doc, pfsync, schemaOf(doc));
    upsertFilterRule(doc, xmlrpc, schemaOf(doc)); // after pfsync (interface index 0): rows 1 and 2 move
    expect(rows(doc)).toEqual(["fr2", "fr3"]);
  });

  it("removing our rules moves them back; an unchanged re-run moves nothing", () => {
    const doc = withSeparators();
    upsertFilterRule(doc, pfsync, schemaOf(doc));
    upsertFilterRule(doc, xmlrpc, schemaOf(doc));
    expect(upsertFilterRule(doc, xmlrpc, schemaOf(doc)).changed).toBe(false);
    expect(rows(doc)).toEqual(["fr2", "fr3"]);
    removeFilterRule(doc, "4000000002");
    expect(rows(doc)).toEqual(["fr1", "fr2"]);
    removeFilterRule(doc, "4000000001");
    expect(rows(doc)).toEqual(["fr0", "fr1"]);
    expect(buildConfigXml(doc)).toBe(buildConfigXml(withSeparators()));
  });
});

describe("rule marker and pf's 63-character label (filter.inc fix_rule_label)", () => {
  it("writes the short marker, so 'USER_RULE: ' + descr stays within 63 characters", () => {
    const doc = parseConfigXml(factory);
    upsertFilterRule(doc, { ...xmlrpc, position: { top: true } }, schemaOf(doc));
    const descr = buildConfigXml(doc).match(/<descr><!\[CDATA\[(\[pfha\][^\]]*)\]\]><\/descr>/)?.[1];
    expect(descr).toBe("[pfha] XMLRPC config sync between the HA peers");
    expect(`USER_RULE: ${descr}`.length).toBe(57);
    expect(MAX_RULE_DESCR).toBe(45);
  });

  it("refuses a description the label would cut", () => {
    const doc = parseConfigXml(factory);
    expect(() => upsertFilterRule(doc, { ...xmlrpc, descr: "x".repeat(46) }, schemaOf(doc))).toThrow(
      /^descr: "x{46}" is invalid; it is 46 characters; pf's rule label \("USER_RULE: \[pfha\] " \+ descr\) is cut at 63, so use at most 45$/,
    );
    expect(() => upsertFilterRule(doc, { ...xmlrpc, position: { top: true }, descr: "x".repeat(45) }, schemaOf(doc))).not.toThrow();
  });

  it("still recognises a rule written with the first marker and rewrites it on update", () => {
    const doc = parseConfigXml(factory);
    upsertFilterRule(doc, pfsync, schemaOf(doc));
    const rule = kids(getPath(doc.root, "filter")!).find((e) => e.tag === "rule" && textIn(doc, child(e, "tracker")) === "4000000001")!;
    const d = child(rule, "descr")!;
    d.raw = "[pfsense-ha]4000000001 pfsync state sync between the HA peers";
    expect(readFilterRule(doc, "4000000001")?.descr).toBe("pfsync state sync between the HA peers");
    expect(upsertFilterRule(doc, pfsync, schemaOf(doc)).diff).toEqual(["rule 4000000001 fields updated"]);
    expect(textIn(doc, child(rule, "descr"))).toBe("[pfha] pfsync state sync between the HA peers");
  });
});

describe("outbound NAT: ours first, before a human's manual rule", () => {
  const nat: OutboundNatSpec = { key: "lan", sourceNetwork: "192.168.1.0/24", interface: "wan", targetVip: "203.0.113.10", descr: "LAN to the WAN VIP" };

  function withHumanRule(): PfConfigDoc {
    const doc = parseConfigXml(factory);
    const o = ensurePath(doc.root, "nat/outbound");
    (child(o, "mode") as { raw: string }).raw = "hybrid";
    insertChild(o, section("rule", [section("source", [leaf(doc, "network", "any")]), leaf(doc, "descr", "human: everything"), leaf(doc, "target", "")]));
    return doc;
  }
  const order = (doc: PfConfigDoc): string[] => kids(getPath(doc.root, "nat/outbound")!).filter((e) => e.tag === "rule").map((e) => textIn(doc, child(e, "descr")) ?? "");

  it("inserts ours before the human's rule (pf takes the first match)", () => {
    const doc = withHumanRule();
    upsertOutboundNat(doc, nat, schemaOf(doc));
    expect(order(doc)).toEqual(["[pfsense-ha]lan LAN to the WAN VIP", "human: everything"]);
    expect(readOutboundNat(doc, "lan")?.position).toBeUndefined();
  });

  it("a human rule moved above ours reads as drift (position bottom) and the next upsert moves ours first again", () => {
    const doc = withHumanRule();
    upsertOutboundNat(doc, nat, schemaOf(doc));
    const list = kids(getPath(doc.root, "nat/outbound")!);
    const ours = list.findIndex((e) => e.tag === "rule");
    list.push(list.splice(ours, 1)[0]);
    expect(order(doc)).toEqual(["human: everything", "[pfsense-ha]lan LAN to the WAN VIP"]);
    expect(readOutboundNat(doc, "lan")?.position).toBe("bottom");
    expect(upsertOutboundNat(doc, nat, schemaOf(doc)).diff).toEqual(["outbound-nat lan moved before the manual rules"]);
    expect(order(doc)).toEqual(["[pfsense-ha]lan LAN to the WAN VIP", "human: everything"]);
  });

  it("position bottom appends after the human's rules", () => {
    const doc = withHumanRule();
    upsertOutboundNat(doc, { ...nat, position: "bottom" }, schemaOf(doc));
    expect(order(doc)).toEqual(["human: everything", "[pfsense-ha]lan LAN to the WAN VIP"]);
  });
});

describe("XMLRPC port as pfSense's client computes it (xmlrpc_client.inc)", () => {
  const withWebgui = (inner: string): PfConfigDoc =>
    parseConfigXml(factory.replace("\t\t<webgui>\n\t\t\t<protocol>https</protocol>\n", `\t\t<webgui>\n${inner}`));

  it.each([
    ["factory (https, no port)", "\t\t\t<protocol>https</protocol>\n", 443],
    ["http, no port", "\t\t\t<protocol>http</protocol>\n", 80],
    ["https on 8443", "\t\t\t<protocol>https</protocol>\n\t\t\t<port>8443</port>\n", 8443],
    ["http on 8080", "\t\t\t<protocol>http</protocol>\n\t\t\t<port>8080</port>\n", 8080],
  ] as const)("%s", (_name, inner, port) => {
    expect(xmlrpcPortOf(withWebgui(inner))).toBe(port);
  });

  it("hasync refuses a webguiPort that is not the firewall's own, naming the value to set, before writing", () => {
    const doc = withWebgui("\t\t\t<protocol>https</protocol>\n\t\t\t<port>8443</port>\n");
    const before = buildConfigXml(doc);
    const spec = { pfsyncInterface: "lan", pfsyncPeerIp: "192.168.1.3", xmlrpc: { synchronizeToIp: "192.168.1.3", username: "admin", password: "pw", webguiPort: 443 } };
    expect(() => upsertHaSync(doc, spec, schemaForVersion("23.3"))).toThrow(
      "xmlrpc.webguiPort: 443 is not the port pfSense's XMLRPC client uses here: this firewall's webGUI is on 8443 (system/webgui/port, else 80/443 by protocol), so the sync rule would allow the wrong port; set pfsense-ha:cluster.hasync.webguiPort to 8443",
    );
    expect(buildConfigXml(doc)).toBe(before);
    expect(upsertHaSync(doc, { ...spec, xmlrpc: { ...spec.xmlrpc, webguiPort: 8443 } }, schemaForVersion("23.3")).changed).toBe(true);
  });
});

describe("IPv6 none, as interfaces.php saves IPv6 Configuration Type None", () => {
  it("removes the factory's per-node dhcp6 (WAN) and track6 (LAN) keys, and nothing else", () => {
    const doc = parseConfigXml(factory);
    const wan = upsertInterface(doc, { name: "wan", device: "em0", descr: "WAN", enable: true, ipaddr: "198.51.100.2", subnetBits: 24, sync: false, ipv6: "none" });
    expect(wan.diff.filter((l) => l.includes("IPv6 none"))).toEqual([
      'interface wan ipaddrv6: "dhcp6" -> (removed: IPv6 none)',
      'interface wan dhcp6-duid: "" -> (removed: IPv6 none)',
      'interface wan dhcp6-ia-pd-len: "0" -> (removed: IPv6 none)',
    ]);
    const lan = upsertInterface(doc, { name: "lan", device: "em1", descr: "LAN", enable: true, ipaddr: "192.168.1.2", subnetBits: 24, sync: false, ipv6: "none" });
    expect(lan.diff).toEqual([
      'interface lan descr: (absent) -> "LAN"',
      'interface lan ipaddr: "192.168.1.1" -> "192.168.1.2"',
      'interface lan spoofmac: (absent) -> ""',
      'interface lan ipaddrv6: "track6" -> (removed: IPv6 none)',
      'interface lan subnetv6: "64" -> (removed: IPv6 none)',
      'interface lan track6-interface: "wan" -> (removed: IPv6 none)',
      'interface lan track6-prefix-id: "0" -> (removed: IPv6 none)',
    ]);
    expect(readIpv6(doc, "wan")).toBe("none");
    expect(readIpv6(doc, "lan")).toBe("none");
    const out = buildConfigXml(doc);
    expect(out.slice(out.indexOf("<interfaces>"), out.indexOf("</interfaces>"))).not.toMatch(/v6|track6|dhcp6/);
    expect(upsertInterface(doc, { name: "lan", device: "em1", descr: "LAN", enable: true, ipaddr: "192.168.1.2", subnetBits: 24, sync: false, ipv6: "none" }).changed).toBe(false);
  });

  it("a human's IPv6 set again reads as drift", () => {
    const doc = parseConfigXml(factory);
    expect(readIpv6(doc, "wan")).toBe("dhcp6");
    expect(readIpv6(doc, "lan")).toBe("track6");
  });
});

describe("reading a firewall's files: errors name the firewall", () => {
  it("a config.xml that does not parse names the firewall and the line", () => {
    expect(() => parseBoxConfig('<?xml version="1.0"?>\n<pfsense>\n\t<version>23.3</version>\n', "ssh root@192.0.2.21:22")).toThrow(
      /^ssh root@192\.0\.2\.21:22: \/cf\/conf\/config\.xml: config\.xml line \d+: .*expected pfSense's config\.xml format$/,
    );
  });

  it("a config.xml with another root element is reported as such", () => {
    expect(() => parseBoxConfig('<?xml version="1.0"?>\n<opnsense>\n\t<version>23.3</version>\n</opnsense>\n', "ssh root@192.0.2.21:22")).toThrow(
      'ssh root@192.0.2.21:22: /cf/conf/config.xml has the root element <opnsense>, not <pfsense>: it is not a pfSense configuration (pfSense itself refuses it: "XML error: no pfsense object found!"); restore a pfSense config.xml (Diagnostics > Backup & Restore, or /cf/conf/backup/) before running again',
    );
  });

  it("the pending-apply record: empty or unreadable = nothing pending, unknown sections dropped", () => {
    expect(parsePendingApply("")).toEqual({ sections: [], interfaces: [] });
    expect(parsePendingApply("{not json")).toEqual({ sections: [], interfaces: [] });
    expect(parsePendingApply('{"sections":["vip","bogus","filter"],"interfaces":["opt1"],"vipsDown":{}}')).toEqual({ sections: ["vip", "filter"], interfaces: ["opt1"] });
  });
});

describe("created/updated on rules and NAT rules, as firewall_rules_edit.php / firewall_nat_out.inc write them", () => {
  // make_config_revision_entry(): {time, username}; "(system)" without a GUI session (get_config_user())
  const stamp = (tag: string, t: number): string =>
    [`\t\t\t<${tag}>`, `\t\t\t\t<time>${t}</time>`, "\t\t\t\t<username><![CDATA[(system)]]></username>", `\t\t\t</${tag}>`].join("\n");
  let now = 1700000000;
  beforeEach(() => {
    now = 1700000000;
    setRevisionClock(() => now);
  });
  afterAll(() => setRevisionClock(undefined));

  const ruleOf = (doc: PfConfigDoc, tracker: string) =>
    kids(getPath(doc.root, "filter")!).find((r) => textIn(doc, child(r, "tracker")) === tracker)!;

  test("a new rule: updated then created (the edit page's insertion order), both with the save's time", () => {
    const doc = parseConfigXml(factory);
    upsertFilterRule(doc, pfsync, schemaOf(doc));
    const xml = buildConfigXml(doc);
    expect(xml).toContain(
      ["\t\t\t<descr><![CDATA[[pfha] pfsync state sync between the HA peers]]></descr>", stamp("updated", 1700000000), stamp("created", 1700000000), "\t\t</rule>"].join("\n"),
    );
  });

  test("a changed rule keeps created and gets a new updated; an unchanged one is left alone", () => {
    const doc = parseConfigXml(factory);
    upsertFilterRule(doc, pfsync, schemaOf(doc));
    now = 1700000100;
    const same = buildConfigXml(doc);
    upsertFilterRule(doc, pfsync, schemaOf(doc));
    expect(buildConfigXml(doc)).toBe(same);
    upsertFilterRule(doc, { ...pfsync, descr: "pfsync between the peers" }, schemaOf(doc));
    expect(buildConfigXml(doc)).toContain(
      ["\t\t\t<descr><![CDATA[[pfha] pfsync between the peers]]></descr>", stamp("created", 1700000000), stamp("updated", 1700000100), "\t\t</rule>"].join("\n"),
    );
  });

  test("a changed updated alone (a human re-saved the rule) is not drift: read equals the spec, upsert changes nothing", () => {
    const doc = parseConfigXml(factory);
    upsertFilterRule(doc, pfsync, schemaOf(doc));
    const upd = child(ruleOf(doc, "4000000001"), "updated")!;
    kids(upd)[0].raw = "1800000000";
    kids(upd)[1].raw = "admin@192.168.1.10 (Local Database)";
    const before = buildConfigXml(doc);
    expect(readFilterRule(doc, "4000000001")).toEqual(pfsync);
    now = 1700000200;
    upsertFilterRule(doc, pfsync, schemaOf(doc));
    expect(buildConfigXml(doc)).toBe(before);
  });

  test("outbound NAT: a new rule stamped, a changed one keeps created, a changed updated alone changes nothing", () => {
    const nat: OutboundNatSpec = { key: "lan", sourceNetwork: "192.168.1.0/24", interface: "wan", targetVip: "203.0.113.10", descr: "LAN to the WAN VIP" };
    const doc = parseConfigXml(factory);
    upsertOutboundNat(doc, nat, schemaOf(doc));
    const ours = () => kids(getPath(doc.root, "nat/outbound")!).find((r) => r.tag === "rule")!;
    expect(kids(ours()).slice(-2).map((e) => [e.tag, kids(e).map((c) => c.raw)])).toEqual([
      ["updated", ["1700000000", "(system)"]],
      ["created", ["1700000000", "(system)"]],
    ]);
    now = 1700000300;
    upsertOutboundNat(doc, { ...nat, targetVip: "203.0.113.11" }, schemaOf(doc));
    expect(kids(ours()).slice(-2).map((e) => [e.tag, kids(e).map((c) => c.raw)])).toEqual([
      ["created", ["1700000000", "(system)"]],
      ["updated", ["1700000300", "(system)"]],
    ]);
    kids(child(ours(), "updated")!)[0].raw = "1800000000";
    const before = buildConfigXml(doc);
    expect(readOutboundNat(doc, "lan")).toEqual({ ...nat, targetVip: "203.0.113.11" });
    upsertOutboundNat(doc, { ...nat, targetVip: "203.0.113.11" }, schemaOf(doc));
    expect(buildConfigXml(doc)).toBe(before);
  });
});
