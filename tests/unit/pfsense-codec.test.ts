import { readFileSync } from "fs";
import { XMLValidator } from "fast-xml-parser";
import { buildConfigXml, parseConfigXml } from "../../providers/pfsense/codec";
import { html401Entities, decodeEntities, encodeEntities } from "../../providers/pfsense/codec-entities";
import { child, childrenByTag, ensurePath, getPath, setFlag, setValue, textIn, toPlain } from "../../providers/pfsense/codec-tree";
import { FACTORY_CONFIG_PATH, generateLargeConfig } from "../fixtures/gen-large-config";

const factory = readFileSync(FACTORY_CONFIG_PATH, "utf8");

/** Lines that differ between two texts (a textual diff for "only these lines changed"). */
function changedLines(before: string, after: string): { removed: string[]; added: string[] } {
  const a = before.split("\n");
  const b = after.split("\n");
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length - 1;
  let endB = b.length - 1;
  while (endA >= start && endB >= start && a[endA] === b[endB]) { endA--; endB--; }
  return { removed: a.slice(start, endA + 1), added: b.slice(start, endB + 1) };
}

describe("config.xml codec: fidelity", () => {
  it("rebuilds the factory config byte-identical", () => {
    const doc = parseConfigXml(factory);
    expect(doc.canonical).toBe(true);
    expect(buildConfigXml(doc)).toBe(factory);
  });

  it("rebuilds a generated 5 MB config (10,000 rules, non-ASCII CDATA) byte-identical", () => {
    const big = generateLargeConfig();
    expect(Buffer.byteLength(big)).toBeGreaterThan(5_000_000);
    const doc = parseConfigXml(big);
    expect(childrenByTag(getPath(doc.root, "filter")!, "rule")).toHaveLength(10002);
    expect(buildConfigXml(doc)).toBe(big);
  });

  it("generates the large config deterministically", () => {
    expect(generateLargeConfig(200, 3)).toBe(generateLargeConfig(200, 3));
  });

  it("builds well-formed XML after edits (fast-xml-parser validator)", () => {
    const doc = parseConfigXml(factory);
    const vip = ensurePath(doc.root, "virtualip");
    setValue(doc, vip, "descr", "A & B <c> \"d\" 'e' Zürich 東京");
    expect(XMLValidator.validate(buildConfigXml(doc))).toBe(true);
  });
});

describe("config.xml codec: values", () => {
  it("decodes HTML entities inside CDATA and keeps raw CDATA on untouched values", () => {
    const doc = parseConfigXml(generateLargeConfig(4, 1));
    const rules = childrenByTag(getPath(doc.root, "filter")!, "rule");
    expect(textIn(doc, child(rules[0], "descr"))).toBe("#0 Zürich – Büro");
    expect(textIn(doc, child(rules[1], "descr"))).toBe("#1 Café & Bar <guest>");
    expect(textIn(doc, child(rules[3], "descr"))).toBe(`#3 東京 office "main" 'B'`);
    expect(child(rules[0], "descr")!.raw).toBe("#0 Z&uuml;rich &ndash; B&uuml;ro");
  });

  it("encodes a changed CDATA value with htmlentities (HTML 4.01) and a plain value without CDATA", () => {
    const doc = parseConfigXml(factory);
    const rule = childrenByTag(getPath(doc.root, "filter")!, "rule")[0];
    expect(setValue(doc, rule, "descr", "Café & \"Bar\" 'x' 東京")).toBe(true);
    expect(setValue(doc, rule, "interface", "opt1")).toBe(true);
    const { removed, added } = changedLines(factory, buildConfigXml(doc));
    expect(removed).toEqual(["\t\t\t<descr><![CDATA[Default allow LAN to any rule]]></descr>", "\t\t\t<interface>lan</interface>"]);
    expect(added).toEqual([
      "\t\t\t<descr><![CDATA[Caf&eacute; &amp; &quot;Bar&quot; &#039;x&#039; 東京]]></descr>",
      "\t\t\t<interface>opt1</interface>",
    ]);
  });

  it("uses ENT_XML1 for configs >= 24.5", () => {
    const doc = parseConfigXml(factory.replace("<version>23.2</version>", "<version>24.5</version>"));
    expect(doc.encoding).toBe("xml1");
    const rule = childrenByTag(getPath(doc.root, "filter")!, "rule")[0];
    setValue(doc, rule, "descr", "Café & 'x'");
    expect(child(rule, "descr")!.raw).toBe("Café &amp; &apos;x&apos;");
  });

  it("setting the value a field already has changes nothing (raw bytes kept)", () => {
    const doc = parseConfigXml(generateLargeConfig(3, 1));
    const rule = childrenByTag(getPath(doc.root, "filter")!, "rule")[0];
    const before = buildConfigXml(doc);
    expect(setValue(doc, rule, "descr", "#0 Zürich – Büro")).toBe(false);
    expect(buildConfigXml(doc)).toBe(before);
  });

  it("writes flags as empty elements and removes them when cleared", () => {
    const doc = parseConfigXml(factory);
    const rule = childrenByTag(getPath(doc.root, "filter")!, "rule")[0];
    expect(setFlag(rule, "disabled", true)).toBe(true);
    expect(setFlag(rule, "disabled", true)).toBe(false);
    expect(buildConfigXml(doc)).toContain("\t\t\t<disabled></disabled>\n\t\t</rule>");
    expect(setFlag(rule, "disabled", false)).toBe(true);
    expect(buildConfigXml(doc)).toBe(factory);
  });

  it("keeps an empty section (<aliases>\\n\\t</aliases>) distinct from an empty value (<shaper></shaper>)", () => {
    const doc = parseConfigXml(factory);
    expect(getPath(doc.root, "aliases")!.children).toEqual([]);
    expect(getPath(doc.root, "shaper")!.children).toBeNull();
  });

  it("turns list tags into arrays even with one element, other tags into objects", () => {
    const doc = parseConfigXml(factory);
    const plain = toPlain(doc, doc.root) as Record<string, unknown>;
    const dhcpd = plain.dhcpd as Record<string, unknown>;
    expect(Array.isArray((plain.filter as Record<string, unknown>).rule)).toBe(true);
    expect(Array.isArray((plain.system as Record<string, unknown>).user)).toBe(true);
    expect(Array.isArray(dhcpd.lan)).toBe(false);
  });

  it("entity table is HTML 4.01 (252 names) and round-trips every named character", () => {
    expect(html401Entities().length).toBe(252);
    for (const [name, code] of html401Entities()) {
      const ch = String.fromCodePoint(code);
      expect(encodeEntities(ch, "html401")).toBe(`&${name};`);
      expect(decodeEntities(`&${name};`, "html401")).toBe(ch);
    }
    expect(decodeEntities("&bogus; &#233; &#xE9;", "html401")).toBe("&bogus; é é");
  });
});

describe("config.xml codec: bad input", () => {
  it.each([
    ["<?xml version=\"1.0\"?>\n<pfsense>\n\t<a x=\"1\">b</a>\n</pfsense>\n", /line 3: element <a> has attributes/],
    ["<?xml version=\"1.0\"?>\n<pfsense>\n\t<a>b</c>\n</pfsense>\n", /line 3: expected <\/a>/],
    ["<?xml version=\"1.0\"?>\n<pfsense>\n\t<a>\n", /line 3: unterminated <a>/],
    ["<?xml version=\"1.0\"?>\n<pfsense>\n\t<!-- c -->\n</pfsense>\n", /comments/],
    ["<?xml version=\"1.0\"?>\n<pfsense>\n</pfsense>\n<x></x>", /content after the root element/],
  ])("rejects %j with a clear message", (text, message) => {
    expect(() => parseConfigXml(text)).toThrow(message);
  });

  it("flags non-pfSense whitespace as non-canonical and normalises it on build", () => {
    const doc = parseConfigXml("<?xml version=\"1.0\"?>\n<pfsense>\n  <a>b</a>\n  <c/>\n</pfsense>\n");
    expect(doc.canonical).toBe(false);
    expect(buildConfigXml(doc)).toBe("<?xml version=\"1.0\"?>\n<pfsense>\n\t<a>b</a>\n\t<c></c>\n</pfsense>\n");
  });
});
