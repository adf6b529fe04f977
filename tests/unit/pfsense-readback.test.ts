// After an install, the write protocol reads config.xml back and replays the batch's edits on a copy of it: a replay
// that changes something means an XMLRPC sync wrote over the install, and the batch is installed again. Every element
// kind's edit must therefore be a no-op on the document its own install produced, however that document's objects
// were made (parsed from the file, or copied with cloneElement). A rule compared by object key order once broke
// this: every filter rule create looked reverted, cost a second attempt and a 1.2 s wait for a sync that never came.
import { readFileSync } from "fs";
import { buildConfigXml, parseConfigXml, type PfConfigDoc } from "../../providers/pfsense/codec";
import { cloneElement, leaf, sameElement, sameElements, section } from "../../providers/pfsense/codec-tree";
import {
  upsertAlias, upsertCarpVip, upsertDhcpFailover, upsertFilterRule, upsertOneToOne, upsertOutboundNat, upsertPortForward,
} from "../../providers/pfsense/elements";
import { setRevisionClock } from "../../providers/pfsense/elements/revision-entry";
import { reverted } from "../../providers/pfsense/remote/sections";
import type { ConfigEdit } from "../../providers/pfsense/remote/types";
import { schemaOf } from "../../providers/pfsense/version";
import { FACTORY_CONFIG_PATH } from "../fixtures/gen-large-config";

const FACTORY = readFileSync(FACTORY_CONFIG_PATH, "utf8");
let now = 1796061024;
beforeAll(() => setRevisionClock(() => now));
afterAll(() => setRevisionClock(undefined));

const edit = (label: string, f: (doc: PfConfigDoc) => void): ConfigEdit => ({ label, edit: f });
const EDITS: ConfigEdit[] = [
  edit("alias", (d) => upsertAlias(d, { name: "pfha_sync", type: "host", addresses: ["172.16.1.2", "172.16.1.3"], descr: "both sync addresses" })),
  edit("filter rule", (d) =>
    upsertFilterRule(d, {
      tracker: "4000000002", type: "pass", interface: "lan", ipprotocol: "inet", protocol: "tcp", source: { address: "pfha_sync" },
      destination: { network: "(self)", port: "443" }, descr: "XMLRPC", position: { top: true },
    }, schemaOf(d))),
  edit("outbound NAT", (d) =>
    upsertOutboundNat(d, { key: "lan", sourceNetwork: "192.168.1.0/24", interface: "wan", targetVip: "198.51.100.200", descr: "LAN -> WAN VIP" }, schemaOf(d))),
  edit("port forward", (d) =>
    upsertPortForward(d, {
      key: "pfha-pf-web", associatedRuleId: "nat_6b0db76005fa75.09573240", tracker: "4123456789", interface: "wan", protocol: "tcp",
      destination: "192.0.2.10", externalPort: "8443", target: "192.168.1.10", localPort: "443", descr: "web server",
    }, schemaOf(d))),
  edit("1:1 NAT", (d) => upsertOneToOne(d, { key: "pfha-1to1-mail", interface: "wan", external: "192.0.2.11", internal: "192.168.1.20", descr: "mail server" })),
  edit("CARP VIP", (d) =>
    upsertCarpVip(d, { uniqid: "65f1c2a9b3e4d", interface: "wan", vhid: 1, advskew: 0, advbase: 1, password: "s3cret&<pw>", descr: "WAN CARP", subnet: "198.51.100.200", subnetBits: 24 })),
  edit("DHCP", (d) =>
    upsertDhcpFailover(d, { interface: "lan", rangeFrom: "192.168.1.100", rangeTo: "192.168.1.199", gateway: "192.168.1.1", dnsServers: ["192.168.1.1"], failoverPeerIp: "192.168.1.3", role: "primary", advskew: 0 })),
];

/** What the protocol does: edits on the document read, the file installed, the file read back a second later. */
function installed(edits: ConfigEdit[]): PfConfigDoc {
  const doc = parseConfigXml(FACTORY);
  for (const e of edits) e.edit(doc);
  const xml = buildConfigXml(doc);
  now += 1; // the read-back's replay runs in a later second: a re-stamped rule would show
  return parseConfigXml(xml);
}

describe("the read-back after an install (reverted)", () => {
  test.each(EDITS.map((e) => [e.label, e] as const))("%s: the replay on the installed document changes nothing", (_label, e) => {
    expect(reverted(installed([e]), [e])).toBe(false);
  });

  test("a batch of every kind: no change on the installed document; the document read back is left as it was", () => {
    const after = installed(EDITS);
    const text = buildConfigXml(after);
    expect(reverted(after, EDITS)).toBe(false);
    expect(buildConfigXml(after)).toBe(text);
  });

  test.each(EDITS.map((e) => [e.label, e] as const))("%s: a document without the install (a sync wrote over it) is reverted", (_label, e) => {
    expect(reverted(parseConfigXml(FACTORY), [e])).toBe(true);
  });
});

describe("sameElement: content, not how the objects were made", () => {
  const doc = parseConfigXml(FACTORY);
  const rule = (descr: string) => section("rule", [leaf(doc, "tracker", "4000000002"), leaf(doc, "descr", descr), section("source", [leaf(doc, "any", "")])]);

  test("a built element, its parsed text and its copy are the same", () => {
    const built = rule("x");
    const parsed = parseConfigXml(buildConfigXml({ ...doc, root: section("pfsense", [built]) })).root.children![0];
    expect(sameElement(built, parsed)).toBe(true);
    expect(sameElement(cloneElement(parsed), built)).toBe(true);
    expect(sameElements([built, parsed], [cloneElement(built), cloneElement(parsed)])).toBe(true);
  });

  test("CDATA or not is not content; a value, a tag, a missing or reordered child is", () => {
    const a = rule("x");
    expect(sameElement(a, { ...a, children: a.children!.map((c) => ({ ...c, cdata: !c.cdata })) })).toBe(true);
    expect(sameElement(a, rule("y"))).toBe(false);
    expect(sameElement(a, { ...a, tag: "rules" })).toBe(false);
    expect(sameElement(a, { ...a, children: a.children!.slice(1) })).toBe(false);
    expect(sameElement(a, { ...a, children: [...a.children!].reverse() })).toBe(false);
    expect(sameElement(leaf(doc, "any", ""), section("any"))).toBe(false);
  });
});
