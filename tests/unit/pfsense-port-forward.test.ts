// Port forwards and 1:1 NAT on the WAN CARP VIP: the XML each edit writes (golden text, as pfSense's own
// saveNATrule()/save1to1NATrule() wrote it on the lab for the same input: tests/integration/port-forward.test.ts
// compares the two there), updates, a human's NAT rules untouched, delete removing ours only, the read-back, the
// config's checks and the plan items.
import { readFileSync } from "fs";
import * as path from "path";
import { associatedRuleIdOf, firewallPlanOf, oneToOneKeyOf, portForwardKeyOf } from "../../components/plan";
import { validateStackFile, validateValues } from "../../config/load";
import type { ClusterConfig } from "../../config/types";
import { buildConfigXml, parseConfigXml } from "../../providers/pfsense/codec";
import {
  readOneToOne, readPortForward, removeOneToOne, removePortForward, upsertOneToOne, upsertPortForward, validatePortForward,
  type OneToOneSpec, type PortForwardSpec,
} from "../../providers/pfsense/elements";
import { setRevisionClock } from "../../providers/pfsense/elements/revision-entry";
import { snapshotSections, touchedSections } from "../../providers/pfsense/remote/sections";
import { schemaForVersion } from "../../providers/pfsense/version";
import { inboundNatChecks, inboundNatExpectationsOf } from "../../providers/verify/inbound-nat";
import type { FirewallObservation } from "../../providers/verify/observations";
import { FACTORY_CONFIG_PATH } from "../fixtures/gen-large-config";
import { TOPOLOGY_DIR, topologyValues } from "../fixtures/topologies";

const FACTORY = readFileSync(FACTORY_CONFIG_PATH, "utf8");
const S27 = schemaForVersion("23.3");
const S28 = schemaForVersion("24.1");

beforeAll(() => setRevisionClock(() => 1796061024));
afterAll(() => setRevisionClock(undefined));

const WEB: PortForwardSpec = {
  key: "pfha-pf-web", associatedRuleId: "nat_6b0db76005fa75.09573240", tracker: "4123456789", interface: "wan", protocol: "tcp",
  destination: "192.0.2.10", externalPort: "8443", target: "192.168.1.10", localPort: "443", descr: "web server",
};
const MAIL: OneToOneSpec = { key: "pfha-1to1-mail", interface: "wan", external: "192.0.2.11", internal: "192.168.1.20", descr: "mail server" };

const between = (xml: string, from: string, to: string): string => xml.slice(xml.indexOf(from), xml.indexOf(to, xml.indexOf(from)));

const NAT_GOLDEN = `<nat>
		<outbound>
			<mode>automatic</mode>
		</outbound>
		<separator></separator>
		<rule>
			<source>
				<any></any>
			</source>
			<destination>
				<address>192.0.2.10</address>
				<port>8443</port>
			</destination>
			<ipprotocol>inet</ipprotocol>
			<protocol>tcp</protocol>
			<target>192.168.1.10</target>
			<local-port>443</local-port>
			<interface>wan</interface>
			<descr><![CDATA[[pfsense-ha]pfha-pf-web web server]]></descr>
			<associated-rule-id>nat_6b0db76005fa75.09573240</associated-rule-id>
			<updated>
				<time>1796061024</time>
				<username><![CDATA[(system)]]></username>
			</updated>
			<created>
				<time>1796061024</time>
				<username><![CDATA[(system)]]></username>
			</created>
		</rule>
	</nat>`;

const LINKED_GOLDEN = `<rule>
			<source>
				<any></any>
			</source>
			<interface>wan</interface>
			<ipprotocol>inet</ipprotocol>
			<protocol>tcp</protocol>
			<destination>
				<address>192.168.1.10</address>
				<port>443</port>
			</destination>
			<descr><![CDATA[NAT [pfsense-ha]pfha-pf-web web server]]></descr>
			<associated-rule-id>nat_6b0db76005fa75.09573240</associated-rule-id>
			<tracker>4123456789</tracker>
			<created>
				<time>1796061024</time>
				<username><![CDATA[NAT Port Forward]]></username>
			</created>
		</rule>
	</filter>`;

describe("port forward", () => {
  test("a new forward: the NAT rule appended to the port forwards, its linked pass rule appended to <filter>", () => {
    const doc = parseConfigXml(FACTORY);
    const before = snapshotSections(doc);
    expect(upsertPortForward(doc, WEB, S27)).toEqual({ changed: true, diff: ["port-forward pfha-pf-web created", "port-forward pfha-pf-web linked filter rule created"] });
    const xml = buildConfigXml(doc);
    expect(`${between(xml, "<nat>", "</nat>")}</nat>`).toBe(NAT_GOLDEN);
    expect(xml).toContain(`\t\t</rule>\n\t\t${LINKED_GOLDEN}`);
    // applied by the filter section (filter_configure: the NAT rules are in rules.debug)
    expect(touchedSections(before, doc).sections).toEqual(["filter"]);
    // idempotent: the same spec again changes nothing, byte for byte
    const again = parseConfigXml(xml);
    expect(upsertPortForward(again, WEB, S27)).toEqual({ changed: false, diff: [] });
    expect(buildConfigXml(again)).toBe(xml);
    expect(readPortForward(again, WEB.key)).toEqual(WEB);
  });

  test("the 2.8 tree (add_rdr_rules) leaves no empty <separator>: the same rule right after <outbound>", () => {
    const doc = parseConfigXml(FACTORY);
    upsertPortForward(doc, WEB, S28);
    expect(`${between(buildConfigXml(doc), "<nat>", "</nat>")}</nat>`).toBe(NAT_GOLDEN.replace("\t\t<separator></separator>\n", ""));
  });

  test("a range maps to a range on the target; the filter rule's descr is cut at 62 like the GUI's (substr(\"NAT \" . descr, 0, 62))", () => {
    const doc = parseConfigXml(FACTORY);
    const long = "a description that runs well past what the linked rule keeps";
    upsertPortForward(doc, { ...WEB, protocol: "tcp/udp", externalPort: "8000-8010", localPort: "9000", descr: long }, S27);
    const xml = buildConfigXml(doc);
    expect(xml).toContain("<address>192.0.2.10</address>\n\t\t\t\t<port>8000-8010</port>");
    expect(xml).toContain("<address>192.168.1.10</address>\n\t\t\t\t<port>9000-9010</port>");
    expect(xml).toContain("<descr><![CDATA[NAT [pfsense-ha]pfha-pf-web a description that runs well past ]]></descr>");
    expect(xml.match(/<protocol>tcp\/udp<\/protocol>/g)).toHaveLength(2);
  });

  test("an update rewrites both rules in place: the NAT rule keeps `created` and gets a new `updated`, the filter rule keeps its stamp", () => {
    const doc = parseConfigXml(FACTORY);
    upsertPortForward(doc, WEB, S27);
    setRevisionClock(() => 1796069999);
    try {
      expect(upsertPortForward(doc, { ...WEB, localPort: "8443", target: "192.168.1.11" }, S27)).toEqual({
        changed: true, diff: ["port-forward pfha-pf-web fields updated", "port-forward pfha-pf-web linked filter rule updated"],
      });
    } finally {
      setRevisionClock(() => 1796061024);
    }
    const xml = buildConfigXml(doc);
    expect(xml).toContain(`<target>192.168.1.11</target>
			<local-port>8443</local-port>`);
    // saveNATrule() on an edit: $natent['created'] = the old one, then $natent['updated'] (that order)
    expect(xml).toContain(`<associated-rule-id>nat_6b0db76005fa75.09573240</associated-rule-id>
			<created>
				<time>1796061024</time>
				<username><![CDATA[(system)]]></username>
			</created>
			<updated>
				<time>1796069999</time>
				<username><![CDATA[(system)]]></username>
			</updated>
		</rule>
	</nat>`);
    expect(xml).toContain(`<address>192.168.1.11</address>
				<port>8443</port>`);
    expect(xml.match(/<username><!\[CDATA\[NAT Port Forward\]\]><\/username>/g)).toHaveLength(1);
    expect(xml).not.toContain("1796069999</time>\n\t\t\t\t<username><![CDATA[NAT Port Forward");
  });

  test("a deleted linked rule reads as drift and the next update puts it back", () => {
    const doc = parseConfigXml(FACTORY);
    upsertPortForward(doc, WEB, S27);
    const xml = buildConfigXml(doc).replace(LINKED_GOLDEN, "</filter>");
    const cut = parseConfigXml(xml);
    expect(readPortForward(cut, WEB.key)?.tracker).toBe("");
    expect(upsertPortForward(cut, WEB, S27).diff).toEqual(["port-forward pfha-pf-web linked filter rule created"]);
    expect(buildConfigXml(cut)).toContain(LINKED_GOLDEN);
  });

  test("a human's NAT rule and filter rules are never touched; delete removes ours only and moves the separators below up", () => {
    const human = FACTORY.replace("\t</nat>", `\t\t<separator>
			<sep0>
				<row>fr0</row>
				<text>top</text>
				<color>bg-info</color>
			</sep0>
			<sep1>
				<row>fr2</row>
				<text>below both</text>
				<color>bg-info</color>
			</sep1>
		</separator>
		<rule>
			<source>
				<any></any>
			</source>
			<destination>
				<network>wanip</network>
				<port>22</port>
			</destination>
			<protocol>tcp</protocol>
			<target>192.168.1.50</target>
			<local-port>22</local-port>
			<interface>wan</interface>
			<descr><![CDATA[admin's ssh]]></descr>
			<associated-rule-id>pass</associated-rule-id>
		</rule>
	</nat>`);
    const doc = parseConfigXml(human);
    upsertPortForward(doc, WEB, S27);
    const withOurs = buildConfigXml(doc);
    expect(withOurs).toContain("<descr><![CDATA[admin's ssh]]></descr>\n\t\t\t<associated-rule-id>pass</associated-rule-id>\n\t\t</rule>\n\t\t<rule>");
    // one separator element only: the human's is kept as it is
    expect(withOurs.match(/<separator>/g)).toHaveLength(1);
    expect(removePortForward(doc, WEB.key)).toBe(true);
    const after = buildConfigXml(doc);
    expect(after).not.toContain("pfsense-ha");
    expect(after).not.toContain(WEB.associatedRuleId);
    // our rule was row 1 of the port forwards: "below both" (fr2) moves up to fr1, "top" (fr0) stays
    expect(after).toBe(human.replace("<row>fr2</row>", "<row>fr1</row>"));
    expect(removePortForward(doc, WEB.key)).toBe(false);
  });

  test("input checks name the field and the fix", () => {
    expect(() => validatePortForward({ ...WEB, associatedRuleId: "nat_1" })).toThrow(/^associatedRuleId: "nat_1" is invalid; use uniqid\("nat_", true\)'s shape/);
    expect(() => validatePortForward({ ...WEB, externalPort: "80-70" })).toThrow(/^externalPort: "80-70" is invalid; use a port 1-65535 or a range/);
    expect(() => validatePortForward({ ...WEB, externalPort: "65000-65535", localPort: "65200" })).toThrow(/^localPort: "65200" is invalid; the target range 65200-65735 passes 65535/);
    expect(() => validatePortForward({ ...WEB, protocol: "icmp" as never })).toThrow(/^protocol: "icmp" is invalid; use tcp, udp or tcp\/udp/);
    expect(() => validatePortForward({ ...WEB, target: "lan" })).toThrow(/^target: "lan" is invalid; use a dotted IPv4 address/);
  });
});

describe("1:1 NAT", () => {
  const ONE_GOLDEN = `<onetoone>
			<external>192.0.2.11</external>
			<descr><![CDATA[[pfsense-ha]pfha-1to1-mail mail server]]></descr>
			<interface>wan</interface>
			<ipprotocol>inet</ipprotocol>
			<source>
				<address>192.168.1.20</address>
			</source>
			<destination>
				<any></any>
			</destination>
		</onetoone>
	</nat>`;

  test("a new mapping is appended as save1to1NATrule() writes it (no stamps, no filter rule); again = no change", () => {
    const doc = parseConfigXml(FACTORY);
    expect(upsertOneToOne(doc, MAIL)).toEqual({ changed: true, diff: ["one-to-one pfha-1to1-mail created"] });
    const xml = buildConfigXml(doc);
    expect(xml).toContain(`</outbound>\n\t\t${ONE_GOLDEN}`);
    const again = parseConfigXml(xml);
    expect(upsertOneToOne(again, MAIL)).toEqual({ changed: false, diff: [] });
    expect(readOneToOne(again, MAIL.key)).toEqual(MAIL);
    expect(upsertOneToOne(again, { ...MAIL, internal: "192.168.1.21" })).toEqual({ changed: true, diff: ["one-to-one pfha-1to1-mail fields updated"] });
  });

  test("a human's mapping stays; delete removes ours only", () => {
    const human = FACTORY.replace("\t</nat>", `\t\t<onetoone>
			<external>192.0.2.12</external>
			<descr><![CDATA[printer]]></descr>
			<interface>wan</interface>
			<ipprotocol>inet</ipprotocol>
			<source>
				<address>192.168.1.30</address>
			</source>
			<destination>
				<any></any>
			</destination>
		</onetoone>
	</nat>`);
    const doc = parseConfigXml(human);
    upsertOneToOne(doc, MAIL);
    expect(buildConfigXml(doc)).toContain("<descr><![CDATA[printer]]></descr>");
    expect(removeOneToOne(doc, MAIL.key)).toBe(true);
    expect(buildConfigXml(doc)).toBe(human);
  });
});

describe("config and plan", () => {
  const base = (): Record<string, unknown> => topologyValues("wan-lan-sync") as Record<string, unknown>;
  const cluster = (v: Record<string, unknown>): Record<string, unknown> => v["pfsense-ha:cluster"] as Record<string, unknown>;
  const problemsOf = (extra: Record<string, unknown>): string[] => {
    const v = base();
    Object.assign(cluster(v), extra);
    return validateValues(v, TOPOLOGY_DIR).problems.map((p) => `${p.key}: ${p.message} -> ${p.fix}`);
  };

  test("the example stack: a forward on the WAN VIP and a 1:1 on the second WAN VIP, identical on both nodes", () => {
    const c = validateStackFile(path.join(__dirname, "..", "..", "Pulumi.prod.example.yaml"), "prod").config as ClusterConfig;
    const items = (role: "primary" | "secondary") => firewallPlanOf(c, "prod", role).filter((i) => i.kind === "portForward" || i.kind === "oneToOne");
    expect(items("primary")).toEqual([
      {
        key: "pf-web", kind: "portForward",
        spec: {
          key: portForwardKeyOf("prod", "web"), associatedRuleId: associatedRuleIdOf("prod", "web"), tracker: expect.stringMatching(/^4\d{9}$/),
          interface: "wan", protocol: "tcp", destination: "203.0.113.4", externalPort: "443", target: "192.168.50.10", localPort: "443", descr: "web server",
        },
      },
      { key: "1to1-mail", kind: "oneToOne", spec: { key: oneToOneKeyOf("prod", "mail"), interface: "wan", external: "203.0.113.5", internal: "192.168.50.20", descr: "mail server" } },
    ]);
    // the XMLRPC sync copies nat and filter verbatim: the secondary gets the same items
    expect(items("secondary")).toEqual(items("primary"));
    expect(associatedRuleIdOf("prod", "web")).toMatch(/^nat_[0-9a-f]{14}\.[0-9]{8}$/);
    expect(portForwardKeyOf("prod", "web")).toMatch(/^pfha-pf-[0-9a-f]{12}$/);
  });

  test("a forward's defaults: tcp, the WAN's first VIP, the external port as target port", () => {
    const v = base();
    cluster(v).portForwards = [{ name: "ssh", port: 2222, target: "172.16.10.50", targetPort: 22 }, { name: "dns", protocol: "udp", port: "5300-5301", target: "172.16.10.53" }];
    const r = validateValues(v, TOPOLOGY_DIR);
    expect(r.problems).toEqual([]);
    expect(r.config?.portForwards).toEqual([
      { name: "ssh", protocol: "tcp", port: [2222, 2222], target: "172.16.10.50", targetPort: 22, vip: r.config?.networks[0].vips[0].address, description: "port forward ssh" },
      { name: "dns", protocol: "udp", port: [5300, 5301], target: "172.16.10.53", targetPort: 5300, vip: r.config?.networks[0].vips[0].address, description: "port forward dns" },
    ]);
  });

  test("bad entries: each problem names the field and the fix", () => {
    const p = problemsOf({
      portForwards: [
        { name: "web", port: 443, target: "172.16.10.10" },
        { name: "web2", protocol: "tcp/udp", port: "400-450", target: "172.16.10.11" },
        { name: "out", port: 80, target: "8.8.8.8" },
        { name: "fw", port: 81, target: "172.16.10.2" },
        { name: "ownip", port: 82, target: "172.16.10.12", vip: "198.51.100.2" },
        { name: "icmp", protocol: "icmp", port: 83, target: "172.16.10.13" },
        { name: "web", port: 84, target: "172.16.10.14" },
        { name: "big", port: "65000-65535", targetPort: 65500, target: "172.16.10.15" },
      ],
      oneToOne: [{ name: "m", external: "198.51.100.11", internal: "172.16.10.20" }, { name: "n", internal: "172.16.10.21" }],
    });
    expect(p.some((x) => /^pfsense-ha:cluster\.portForwards\[1\]\.port: overlaps pfsense-ha:cluster\.portForwards\[0\] \(web: tcp 443-443 on .*\): pf would use only the first -> use another port/.test(x))).toBe(true);
    expect(p.some((x) => /^pfsense-ha:cluster\.portForwards\[2\]\.target: is not inside a managed network -> use a host in one of lan/.test(x))).toBe(true);
    expect(p.some((x) => /^pfsense-ha:cluster\.portForwards\[3\]\.target: is a firewall's own address on lan/.test(x))).toBe(true);
    expect(p.some((x) => /^pfsense-ha:cluster\.portForwards\[4\]\.vip: is not a CARP VIP of networks\.wan.* -> use one of /.test(x))).toBe(true);
    expect(p.some((x) => /^pfsense-ha:cluster\.portForwards\[5\]\.protocol: must be one of "tcp", "udp", "tcp\/udp"/.test(x))).toBe(true);
    expect(p.some((x) => /^pfsense-ha:cluster\.portForwards\[6\]\.name: is used twice \(also pfsense-ha:cluster\.portForwards\[0\]\)/.test(x))).toBe(true);
    expect(p.some((x) => /^pfsense-ha:cluster\.portForwards\[7\]\.targetPort: maps 65000-65535 beyond 65535 -> lower targetPort to at most 65000/.test(x))).toBe(true);
    expect(p.some((x) => /^pfsense-ha:cluster\.oneToOne\[1\]\.external: is required -> set it to a WAN CARP VIP/.test(x))).toBe(true);
  });
});

describe("verify: the rdr and binat loaded in pf", () => {
  const c = validateStackFile(path.join(__dirname, "..", "..", "Pulumi.prod.example.yaml"), "prod").config as ClusterConfig;
  const fw = (role: "primary" | "secondary", name: string, natRules?: string[]): FirewallObservation => ({ role, name, ...(natRules ? { natRules } : {}) });
  const run = (p?: string[], s?: string[]) =>
    inboundNatChecks(inboundNatExpectationsOf(c), { firewalls: { primary: fw("primary", "fw1", p), secondary: fw("secondary", "fw2", s) }, nodes: [] })
      .map((x) => [x.node, x.check, x.status, x.found]);

  test("pfctl -sn's own words (device, \"port = N\") and rules.debug's both match; a missing one fails; no listing, no check", () => {
    const pfctl = [
      "no rdr proto carp all",
      "rdr on vtnet0 inet proto tcp from any to 203.0.113.4 port = 443 -> 192.168.50.10 port 443",
      "binat on vtnet0 inet from 192.168.50.20 to any -> 203.0.113.5",
    ];
    const debug = ["rdr on vtnet0 inet proto tcp from any to 203.0.113.4 port 443 -> 192.168.50.10 port 443"];
    expect(run(pfctl, debug)).toEqual([
      ["fw1 (primary)", "port forward web", "pass", pfctl[1]],
      ["fw1 (primary)", "1:1 mail", "pass", pfctl[2]],
      ["fw2 (secondary)", "port forward web", "pass", debug[0]],
      ["fw2 (secondary)", "1:1 mail", "fail", "not in pfctl -sn"],
    ]);
    // another target, or another VIP, is not ours
    expect(run(["rdr on vtnet0 inet proto tcp from any to 203.0.113.4 port = 443 -> 192.168.50.11 port 443"], undefined).map((x) => x[2])).toEqual(["fail", "fail"]);
  });
});
