// Gateway element (elements/gateway.ts): exact XML on the factory config, the interface link and defaultgw4,
// idempotence, drift as read, removal of every reference, a human's gateway never taken over, input errors,
// the secondary's copy, and the apply section a gateway edit needs.
import { readFileSync } from "fs";
import { buildConfigXml, parseConfigXml, type PfElement } from "../../providers/pfsense/codec";
import { ensurePath, getPath, insertChild, leaf, section, setValue } from "../../providers/pfsense/codec-tree";
import { readGateway, removeGateway, upsertGateway, validateGateway, type GatewaySpec } from "../../providers/pfsense/elements/gateway";
import { forNode } from "../../providers/pfsense/elements/mirror";
import { snapshotSections, touchedSections } from "../../providers/pfsense/remote/sections";
import { FACTORY_CONFIG_PATH } from "../fixtures/gen-large-config";

const factory = readFileSync(FACTORY_CONFIG_PATH, "utf8");
const gw: GatewaySpec = { name: "PFHA_WANGW", interface: "wan", gateway: "198.51.100.1", weight: 1, descr: "upstream & <isp>", defaultGateway: true };

describe("Gateway element", () => {
  it("writes save_gateway()'s keys in order, the descr marker, defaultgw4 and the interface's gateway, and nothing else", () => {
    const doc = parseConfigXml(factory);
    const r = upsertGateway(doc, gw);
    expect(r.diff).toEqual([
      "gateway PFHA_WANGW created",
      'gateway PFHA_WANGW interfaces/wan/gateway: "" -> "PFHA_WANGW"',
      'gateway PFHA_WANGW defaultgw4: (absent) -> "PFHA_WANGW"',
    ]);
    const xml = buildConfigXml(doc);
    expect(xml).toContain(
      [
        "\t<gateways>",
        "\t\t<gateway_item>",
        "\t\t\t<interface>wan</interface>",
        "\t\t\t<gateway>198.51.100.1</gateway>",
        "\t\t\t<name>PFHA_WANGW</name>",
        "\t\t\t<weight>1</weight>",
        "\t\t\t<ipprotocol>inet</ipprotocol>",
        "\t\t\t<descr><![CDATA[[pfsense-ha]PFHA_WANGW upstream &amp; &lt;isp&gt;]]></descr>",
        "\t\t\t<gw_down_kill_states></gw_down_kill_states>",
        "\t\t</gateway_item>",
        "\t\t<defaultgw4>PFHA_WANGW</defaultgw4>",
        "\t</gateways>",
      ].join("\n"),
    );
    // the only other change: the WAN's <gateway></gateway> now names it
    const rest = xml.replace(/\t<gateways>[\s\S]*<\/gateways>\n/, "").replace("<gateway>PFHA_WANGW</gateway>", "<gateway></gateway>");
    expect(rest).toBe(factory);
    expect(readGateway(doc, "PFHA_WANGW")).toEqual(gw);
  });

  it("is idempotent, and an update changes only the differing keys in place", () => {
    const doc = parseConfigXml(factory);
    upsertGateway(doc, gw);
    expect(upsertGateway(doc, gw)).toEqual({ changed: false, diff: [] });
    const r = upsertGateway(doc, { ...gw, gateway: "198.51.100.254", weight: 5 });
    expect(r.diff).toEqual(['gateway PFHA_WANGW gateway: "198.51.100.1" -> "198.51.100.254"', 'gateway PFHA_WANGW weight: "1" -> "5"']);
    expect(readGateway(doc, "PFHA_WANGW")).toMatchObject({ gateway: "198.51.100.254", weight: 5 });
  });

  it("reads drift: another default gateway, and the interface pointing elsewhere", () => {
    const doc = parseConfigXml(factory);
    upsertGateway(doc, gw);
    setValue(doc, getPath(doc.root, "gateways") as PfElement, "defaultgw4", "OTHERGW");
    expect(readGateway(doc, "PFHA_WANGW")).toEqual({ ...gw, defaultGateway: false });
    setValue(doc, getPath(doc.root, "interfaces/wan") as PfElement, "gateway", "OTHERGW");
    expect(readGateway(doc, "PFHA_WANGW")).toEqual({ ...gw, defaultGateway: false, interface: "" });
    expect(upsertGateway(doc, gw).changed).toBe(true);
    expect(readGateway(doc, "PFHA_WANGW")).toEqual(gw);
  });

  it("not the default: leaves another default alone, and gives up the default it held", () => {
    const doc = parseConfigXml(factory);
    upsertGateway(doc, gw);
    const r = upsertGateway(doc, { ...gw, defaultGateway: false });
    expect(r.diff).toEqual(['gateway PFHA_WANGW defaultgw4: "PFHA_WANGW" -> ""']);
    setValue(doc, getPath(doc.root, "gateways") as PfElement, "defaultgw4", "HUMANGW");
    expect(upsertGateway(doc, { ...gw, defaultGateway: false }).changed).toBe(false);
    expect(buildConfigXml(doc)).toContain("<defaultgw4>HUMANGW</defaultgw4>");
  });

  it("remove deletes the item and clears defaultgw4 and the interface's gateway; a human's gateway stays", () => {
    const doc = parseConfigXml(factory);
    insertChild(ensurePath(doc.root, "gateways"), section("gateway_item", [leaf(doc, "interface", "lan"), leaf(doc, "gateway", "192.168.1.254"), leaf(doc, "name", "LANGW"), leaf(doc, "descr", "mine")]));
    upsertGateway(doc, gw);
    expect(removeGateway(doc, "PFHA_WANGW")).toBe(true);
    const xml = buildConfigXml(doc);
    expect(xml).not.toContain("PFHA_WANGW");
    expect(xml).toContain("<name>LANGW</name>");
    expect(xml).toContain("<defaultgw4></defaultgw4>");
    expect(readGateway(doc, "PFHA_WANGW")).toBeUndefined();
    expect(removeGateway(doc, "PFHA_WANGW")).toBe(false);
  });

  it("refuses a human's gateway of the same name, and an unassigned interface, without changing the document", () => {
    const doc = parseConfigXml(factory);
    insertChild(ensurePath(doc.root, "gateways"), section("gateway_item", [leaf(doc, "name", "PFHA_WANGW"), leaf(doc, "descr", "human")]));
    const before = buildConfigXml(doc);
    expect(() => upsertGateway(doc, gw)).toThrow(/^name: gateway "PFHA_WANGW" already exists and is not managed by pfsense-ha; rename or delete that gateway/);
    expect(() => removeGateway(doc, "PFHA_WANGW")).toThrow(/not managed by pfsense-ha/);
    const fresh = parseConfigXml(factory);
    expect(() => upsertGateway(fresh, { ...gw, interface: "opt3" })).toThrow(/^interface: "opt3" is not assigned on this firewall; assign it first/);
    expect(buildConfigXml(doc)).toBe(before);
    expect(buildConfigXml(fresh)).toBe(factory);
  });

  it.each([
    [{ name: "WAN GW" }, /^name: "WAN GW" is invalid; use 1-31 characters from \[A-Za-z0-9_\]/],
    [{ name: "A".repeat(32) }, /^name: "A{32}" is invalid/],
    [{ name: "123" }, /^name: "123" is invalid; .*not only digits/],
    [{ interface: "eth0" }, /^interface: "eth0" is invalid; use a pfSense interface name/],
    [{ gateway: "198.51.100.300" }, /^gateway: "198\.51\.100\.300" is invalid; use a dotted IPv4 address/],
    [{ weight: 0 }, /^weight: 0 is invalid; use an integer from 1 to 30/],
    [{ weight: 31 }, /^weight: 31 is invalid/],
    [{ descr: "a\nb" }, /^descr: "a\\nb" is invalid; use at most 120 printable characters/],
  ])("rejects %j naming the field, the value and the fix", (patch, message) => {
    expect(() => validateGateway({ ...gw, ...(patch as Partial<GatewaySpec>) })).toThrow(message);
  });

  it("the secondary gets the same gateway (XMLRPC sync copies <gateways> verbatim)", () => {
    expect(forNode("secondary", { kind: "gateway", spec: gw })).toEqual({ kind: "gateway", spec: gw });
  });

  it("a gateway edit needs the routing apply section, run after the interfaces", () => {
    const doc = parseConfigXml(factory);
    const before = snapshotSections(doc);
    upsertGateway(doc, gw);
    expect(touchedSections(before, doc)).toEqual({ sections: ["interfaces", "routing"], interfaces: ["wan"] });
    const again = snapshotSections(doc);
    upsertGateway(doc, { ...gw, weight: 2 });
    expect(touchedSections(again, doc)).toEqual({ sections: ["routing"], interfaces: [] });
  });
});
