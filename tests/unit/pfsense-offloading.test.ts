// Hardware checksum offloading disabled on VirtIO firewalls: the element edit as pfSense's GUI writes it
// (system_advanced_network.inc: $config['system']['disablechecksumoffloading'] = true -> an empty element), and the
// plan item only for firewalls whose NICs are VirtIO (vtnetN).
import { readFileSync } from "fs";
import { firewallPlanOf } from "../../components/plan";
import { validateValues } from "../../config/load";
import { buildConfigXml, parseConfigXml } from "../../providers/pfsense/codec";
import { isVirtioDevice, offloadingElement, readOffloading, upsertOffloading, validateOffloading } from "../../providers/pfsense/elements/offloading";
import { snapshotSections, touchedSections } from "../../providers/pfsense/remote/sections";
import { FACTORY_CONFIG_PATH } from "../fixtures/gen-large-config";
import { TOPOLOGY_DIR, topologyValues } from "../fixtures/topologies";

const factory = readFileSync(FACTORY_CONFIG_PATH, "utf8");

test("the flag is written as the GUI's `true` (an empty element at the end of <system>), once", () => {
  const doc = parseConfigXml(factory);
  expect(readOffloading(doc)).toBeUndefined();
  expect(upsertOffloading(doc, { disableChecksumOffloading: true })).toEqual({ changed: true, diff: ["system disablechecksumoffloading: off -> on"] });
  const xml = buildConfigXml(doc);
  expect(xml).toContain("\t\t<disablechecksumoffloading></disablechecksumoffloading>\n\t</system>");
  expect(xml.split("disablechecksumoffloading").length).toBe(3);
  const again = parseConfigXml(xml);
  expect(upsertOffloading(again, { disableChecksumOffloading: true })).toEqual({ changed: false, diff: [] });
  expect(buildConfigXml(again)).toBe(xml);
  expect(readOffloading(again)).toEqual({ disableChecksumOffloading: true });
});

test("a human's flag counts as ours; delete leaves it; only `true` is accepted", () => {
  expect(offloadingElement.keptOnDelete?.({ disableChecksumOffloading: true })).toBe(true);
  expect(() => validateOffloading({ disableChecksumOffloading: false as never })).toThrow(/^disableChecksumOffloading: false is invalid; use true/);
});

test("VirtIO devices are vtnetN only", () => {
  expect(["vtnet0", "vtnet12"].map(isVirtioDevice)).toEqual([true, true]);
  expect(["igb0", "em0", "vtnet", "vtnet0.100", "ena0"].map(isVirtioDevice)).toEqual([false, false, false, false, false]);
});

test("plan: both firewalls of a Proxmox-hosted pair get the item (VirtIO NICs); vm: none with igb NICs gets none", () => {
  const hosted = validateValues(topologyValues("wan-lan-sync"), TOPOLOGY_DIR).config;
  const igb = validateValues(topologyValues("four-node"), TOPOLOGY_DIR).config;
  if (!hosted || !igb) throw new Error("fixtures");
  for (const role of ["primary", "secondary"] as const) {
    expect(firewallPlanOf(hosted, "c", role).filter((i) => i.kind === "offloading")).toEqual([
      { key: "offloading", kind: "offloading", spec: { disableChecksumOffloading: true } },
    ]);
    expect(firewallPlanOf(igb, "c", role).some((i) => i.kind === "offloading")).toBe(false);
  }
  const keys = firewallPlanOf(hosted, "c", "primary").map((i) => i.key);
  expect(keys.indexOf("offloading")).toBeGreaterThan(keys.indexOf("gw-wan"));
  expect(keys.indexOf("offloading")).toBeLessThan(keys.indexOf("vip-wan-1"));
});

test("the write protocol installs the change under the `system` section (the GUI applies nothing live), and nothing when already set", () => {
  const doc = parseConfigXml(factory);
  const before = snapshotSections(doc);
  upsertOffloading(doc, { disableChecksumOffloading: true });
  expect(touchedSections(before, doc)).toEqual({ sections: ["system"], interfaces: [] });
  const again = snapshotSections(doc);
  upsertOffloading(doc, { disableChecksumOffloading: true });
  expect(touchedSections(again, doc)).toEqual({ sections: [], interfaces: [] });
});
