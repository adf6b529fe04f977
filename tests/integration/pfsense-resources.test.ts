// The eight pfSense element providers, each loaded from its serialized `__provider` text (as Pulumi's host does),
// driven through check -> create -> read -> diff -> update -> delete against the lab's fw1/fw2 stand-ins: the exact
// XML on the box, the apply functions in order, drift (changed, deleted), a human's element beside ours untouched,
// bad input refused before any write, no secret in the apply log, the revision or an error.
import { readFileSync, writeFileSync } from "fs";
import * as pulumi from "@pulumi/pulumi";
import { hostPath, labExec, loadInventory, sshEndpointOf, type LabInventory } from "../../lab/inventory";
import { closeAllHosts } from "../../providers/ssh";
import { changesOf, eventsSettled, labRecord, reseedFirewall } from "../support/pfsense-lab";
import type { SshEndpoint } from "../../providers/ssh";
import { buildConfigXml, parseConfigXml, type PfConfigDoc } from "../../providers/pfsense/codec";
import { ensurePath, getPath, insertChild, leaf, section, textIn } from "../../providers/pfsense/codec-tree";
import * as dynamic from "../../providers/pfsense/resources/dynamic";

jest.setTimeout(120000);
const requireFromString = require("require-from-string") as (code: string) => { handler: () => Provider };

type Props = Record<string, unknown>;
interface Provider {
  check(olds: Props, news: Props): Promise<{ inputs: Props; failures: { property: string; reason: string }[] }>;
  diff(id: string, olds: Props, news: Props): Promise<{ changes: boolean; replaces: string[] }>;
  create(inputs: Props): Promise<{ id: string; outs: Props }>;
  read(id: string, props: Props): Promise<{ id?: string; props?: Props }>;
  update(id: string, olds: Props, news: Props): Promise<{ outs: Props }>;
  delete(id: string, props: Props): Promise<void>;
}

const CARP_SECRET = "vip-Pa55word-xyz";
const XMLRPC_SECRET = "xmlrpc-S3cret-42";
let inv: LabInventory;
const ep: Record<string, SshEndpoint> = {};
const P: Record<string, Provider> = {};

async function on(host: string, script: string): Promise<string> {
  const r = await labExec(inv, host, script);
  if (r.code !== 0) throw new Error(`labExec ${host} ${script}: ${r.code} ${r.stderr}`);
  return r.stdout;
}

const reset = (host: string, peer: string): Promise<void> => reseedFirewall(inv, host, peer);

const xmlOn = (host: string): string => readFileSync(hostPath(inv, host, "/cf/conf/config.xml"), "utf8");
const docOn = (host: string): PfConfigDoc => parseConfigXml(xmlOn(host));

/** A human's edit outside Pulumi (GUI stand-in): edit the parsed file, write it back, drop pfSense's cache. */
async function humanEdit(host: string, edit: (doc: PfConfigDoc) => void): Promise<void> {
  const doc = docOn(host);
  edit(doc);
  writeFileSync(hostPath(inv, host, "/cf/conf/config.xml"), buildConfigXml(doc));
  await on(host, "rm -f /tmp/config.cache");
}

/** The changes pfSense made on a host (FreeBSD commands, extension calls, events; reads left out), in order. */
function applyLog(host: string): string[] {
  return changesOf(labRecord(inv, host));
}
function stepsSince(host: string, mark: number): string[] {
  return applyLog(host).slice(mark);
}
/** The changes since `mark`, once the scripts pfSense's events started in the background have finished. */
async function expectSteps(host: string, mark: number, expected: string[]): Promise<void> {
  await eventsSettled(inv, host);
  if (process.env.PFHA_RECORD_STEPS) console.log(`${host} ${new Error().stack!.split("\n")[2].trim()}\n${JSON.stringify(stepsSince(host, mark), null, 1)}`);
  else expect(stepsSince(host, mark)).toEqual(expected);
}

/** filter_configure_sync() loading the ruleset: what ends every VIP apply (as applyVIP() in the GUI ends). */
const FILTER_RELOAD = ["pfctl -e", "pfctl -Of /tmp/rules.limits", "pfctl -o basic -f /tmp/rules.debug"];

/** The pfSense tree the lab's firewalls run (PFHA_PFSENSE_VERSION) and the config version it writes. */
const ON_24 = process.env.PFHA_PFSENSE_VERSION === "24.1";
const CONFIG_VERSION = ON_24 ? "24.1" : "23.3";

/** The 24.x tree's interface_configure() also restarts the DHCP server (services_dhcpd_configure()). */
const DHCP_RESTART_24 = ON_24 ? ["mount", "mount", "mount -t devfs devfs /var/dhcpd/dev", "ifconfig vtnet1 -staticarp", "arp -d -i vtnet1 -a",
  "dhcpd -user dhcpd -group _dhcp -chroot /var/dhcpd -cf /etc/dhcpd.conf -pf /var/run/dhcpd.pid vtnet1",
  "radvd -p /var/run/radvd.pid -C /var/etc/radvd.conf -m syslog"] : [];

/** filter_configure_sync() after write_config(): pf enabled, the limits, then the ruleset loaded. */
const FILTER_APPLY = ["event filter sync", "pfctl -e", "pfctl -Of /tmp/rules.limits", "pfctl -o basic -f /tmp/rules.debug"];

/** The `<tag>` blocks at `depth` tabs in the file's text, and the one containing `needle`. */
function blocks(xml: string, tag: string, depth: number): string[] {
  const t = "\t".repeat(depth);
  return xml.match(new RegExp(`${t}<${tag}>\\n[\\s\\S]*?\\n${t}</${tag}>`, "g")) ?? [];
}
function block(xml: string, tag: string, depth: number, needle: string): string | undefined {
  return blocks(xml, tag, depth).find((b) => b.includes(needle));
}
/** Lines at `depth` tabs (the shape pfSense writes: one element per line). */
const lines = (depth: number, ...ls: string[]): string => ls.map((l) => "\t".repeat(depth) + l).join("\n");

/** What the lab keeps that a secret must never reach: the apply log, the revision, system logs. */
async function assertNoSecretLeak(host: string, secrets: string[]): Promise<void> {
  const logs = await on(host, "cat /var/log/pfha-lab/apply.log /var/log/system.log 2>/dev/null || true");
  const revision = textIn(docOn(host), getPath(docOn(host).root, "revision/description")) ?? "";
  for (const s of secrets) {
    expect(logs).not.toContain(s);
    expect(revision).not.toContain(s);
  }
}

async function serialized(provider: object): Promise<Provider> {
  const text = (await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true })).text;
  return requireFromString(text).handler();
}

// created/updated stamps (make_config_revision_entry()): the serialized providers keep the real clock, so the times
// are compared as "a number of seconds" (T) and the rest of the block literally.
const stamps = (tag: "created" | "updated"): string[] => [`<${tag}>`, "\t<time>T</time>", "\t<username><![CDATA[(system)]]></username>", `</${tag}>`];
const timeless = (block: string | undefined): string | undefined => block?.replace(/<time>\d{10}<\/time>/g, "<time>T</time>");

beforeAll(async () => {
  inv = loadInventory();
  for (const h of ["fw1", "fw2"]) ep[h] = sshEndpointOf(inv.hosts[h], inv);
  const providers: Record<string, object> = {
    interface: dynamic.providerOf("interface"),
    carpVip: dynamic.providerOf("carpVip"),
    haSync: dynamic.providerOf("haSync"),
    filterRule: dynamic.providerOf("filterRule"),
    alias: dynamic.providerOf("alias"),
    outboundNat: dynamic.providerOf("outboundNat"),
    dhcpFailover: dynamic.providerOf("dhcpFailover"),
    gateway: dynamic.providerOf("gateway"),
  };
  for (const [k, p] of Object.entries(providers)) P[k] = await serialized(p);
});

afterAll(async () => {
  await closeAllHosts();
});

/** check (no failures) -> create; returns the created state. */
async function created(p: Provider, inputs: Props): Promise<{ id: string; outs: Props; checked: Props }> {
  const c = await p.check({}, inputs);
  expect(c.failures).toEqual([]);
  const r = await p.create(c.inputs);
  return { ...r, checked: c.inputs };
}

/** read says nothing drifted: diff(read state, the same inputs) has no changes. */
async function expectNoDrift(p: Provider, id: string, outs: Props, inputs: Props): Promise<Props> {
  const r = await p.read(id, outs);
  expect(r.id).toBe(id);
  expect((await p.diff(id, r.props!, inputs)).changes).toBe(false);
  return r.props!;
}

const vipSpec = (over: Props = {}): Props => ({
  interface: "lan", vhid: 10, advskew: 0, advbase: 1, password: CARP_SECRET, descr: "LAN VIP", subnet: "192.168.1.1", subnetBits: 24, ...over,
});

/** Each group starts from freshly seeded firewalls (tests inside a group build on each other). */
const resetBoth = (): Promise<void> => Promise.all([reset("fw1", "fw2"), reset("fw2", "fw1")]).then(() => undefined);

describe("CarpVip", () => {
  beforeAll(resetBoth);
  test("lifecycle: uniqid generated once, exact XML, VIP applied, drift read, update, delete; a human's VIP untouched", async () => {
    await humanEdit("fw1", (doc) => {
      const vip = section("vip", [["mode", "carp"], ["interface", "lan"], ["vhid", "77"], ["advskew", "0"], ["advbase", "1"], ["password", "human"],
        ["uniqid", "aaaaaaaaaaaaa"], ["descr", "human VIP"], ["type", "single"], ["subnet_bits", "24"], ["subnet", "192.168.1.77"]].map(([k, v]) => leaf(doc, k, v)));
      insertChild(ensurePath(doc.root, "virtualip"), vip);
    });
    const humanBlock = block(xmlOn("fw1"), "vip", 2, "aaaaaaaaaaaaa");
    const mark = applyLog("fw1").length;
    const inputs = { endpoint: ep.fw1, spec: vipSpec() };
    const c = await P.carpVip.check({}, inputs);
    const uniqid = (c.inputs.spec as Props).uniqid as string;
    expect(uniqid).toMatch(/^[0-9a-f]{13}$/);
    expect(((await P.carpVip.check(c.inputs, inputs)).inputs.spec as Props).uniqid).toBe(uniqid); // kept from the old state

    const r = await P.carpVip.create(c.inputs);
    expect(r.id).toBe(`CarpVip:${uniqid}`);
    expect(r.outs).toMatchObject({ identity: uniqid, configVersion: CONFIG_VERSION });
    expect(block(xmlOn("fw1"), "vip", 2, uniqid)).toBe(
      lines(2, "<vip>") + "\n" +
        lines(3, "<mode>carp</mode>", "<interface>lan</interface>", "<vhid>10</vhid>", "<advskew>0</advskew>", "<advbase>1</advbase>",
          `<password><![CDATA[${CARP_SECRET}]]></password>`, `<uniqid>${uniqid}</uniqid>`, "<descr><![CDATA[LAN VIP]]></descr>",
          "<type>single</type>", "<subnet_bits>24</subnet_bits>", "<subnet>192.168.1.1</subnet>") + "\n" + lines(2, "</vip>"),
    );
    // the VIP apply ends as the GUI's does: the ruleset reloaded, so pf passes CARP right away
    await expectSteps("fw1", mark, ["event filter sync", "ifconfig vtnet1 vhid 10 advskew 0 advbase 1 pass <redacted>", "ifconfig vtnet1 192.168.1.1/24 alias vhid 10", ...FILTER_RELOAD]);
    await expectNoDrift(P.carpVip, r.id, r.outs, c.inputs);

    // A human changes our skew: read returns it, diff wants an update (not a replacement), update restores it.
    await humanEdit("fw1", (doc) => {
      const v = (getPath(doc.root, "virtualip")!.children ?? []).find((e) => textIn(doc, getPath(e, "uniqid")) === uniqid)!;
      getPath(v, "advskew")!.raw = "50";
    });
    const drifted = await P.carpVip.read(r.id, r.outs);
    expect((drifted.props!.spec as Props).advskew).toBe(50);
    expect(await P.carpVip.diff(r.id, drifted.props!, c.inputs)).toMatchObject({ changes: true, replaces: [] });
    const m2 = applyLog("fw1").length;
    const u = await P.carpVip.update(r.id, drifted.props!, c.inputs);
    expect(block(xmlOn("fw1"), "vip", 2, uniqid)).toContain("<advskew>0</advskew>");
    // the ruleset is the one already loaded: the 24.x tree compares its hash with the active one and skips the load
    await expectSteps("fw1", m2, [
      "event filter sync", "pfSense_interface_deladdress vtnet1 192.168.1.1", "ifconfig vtnet1 vhid 10 advskew 0 advbase 1 pass <redacted>", "ifconfig vtnet1 192.168.1.1/24 alias vhid 10",
      ...(ON_24 ? ["pfctl -e"] : FILTER_RELOAD),
    ]);

    // A new vhid is an in-place update of the same uniqid; a new uniqid is a replacement.
    expect(await P.carpVip.diff(r.id, u.outs, { ...c.inputs, spec: { ...(c.inputs.spec as Props), vhid: 11 } })).toMatchObject({ changes: true, replaces: [] });
    expect((await P.carpVip.diff(r.id, u.outs, { ...c.inputs, spec: { ...(c.inputs.spec as Props), uniqid: "bbbbbbbbbbbbb" } })).replaces).toEqual(["spec"]);

    const m3 = applyLog("fw1").length;
    await P.carpVip.delete(r.id, u.outs);
    expect(block(xmlOn("fw1"), "vip", 2, uniqid)).toBeUndefined();
    expect(block(xmlOn("fw1"), "vip", 2, "aaaaaaaaaaaaa")).toBe(humanBlock);
    // the human's CARP VIP remains: CARP stays enabled
    await expectSteps("fw1", m3, ["event filter sync", "pfSense_interface_deladdress vtnet1 192.168.1.1", ...FILTER_RELOAD]);
    expect(await P.carpVip.read(r.id, u.outs)).toEqual({}); // gone: removed from state
    await assertNoSecretLeak("fw1", [CARP_SECRET]);
  });

  test("the secondary's VIP carries the primary's uniqid and skew +100 (capped at 254): an XMLRPC sync from the primary is no drift there", async () => {
    const { forNode } = await import("../../providers/pfsense/elements/mirror");
    const primary = { uniqid: "0123456789abc", ...vipSpec({ vhid: 12, advskew: 160, subnet: "192.168.1.12" }) };
    const secondary = forNode("secondary", { kind: "carpVip", spec: primary as never }).spec as unknown as Props;
    const [a, b] = await Promise.all([created(P.carpVip, { endpoint: ep.fw1, spec: primary }), created(P.carpVip, { endpoint: ep.fw2, spec: secondary })]);
    expect(block(xmlOn("fw1"), "vip", 2, "0123456789abc")).toContain("<advskew>160</advskew>");
    expect(block(xmlOn("fw2"), "vip", 2, "0123456789abc")).toContain("<advskew>254</advskew>");
    // What rc.filter_synchronize sends and xmlrpc.php installs on the secondary: the primary's whole <virtualip>,
    // each CARP advskew + 100 capped at 254 (written here as data, independently of forNode): this VIP's 160 -> 254,
    // and an earlier test's VIP with 0 -> 100.
    const syncedSkew: Record<string, string> = { "0": "100", "160": "254" };
    const sent = blocks(xmlOn("fw1"), "virtualip", 1)[0];
    expect(sent).toContain("<advskew>160</advskew>");
    const synced = sent.replace(/<advskew>(\d+)<\/advskew>/g, (_m, n: string) => {
      expect(Object.keys(syncedSkew)).toContain(n);
      return `<advskew>${syncedSkew[n]}</advskew>`;
    });
    writeFileSync(hostPath(inv, "fw2", "/cf/conf/config.xml"), xmlOn("fw2").replace(blocks(xmlOn("fw2"), "virtualip", 1)[0], synced));
    await on("fw2", "rm -f /tmp/config.cache");
    await expectNoDrift(P.carpVip, b.id, b.outs, b.checked);
    await Promise.all([P.carpVip.delete(a.id, a.outs), P.carpVip.delete(b.id, b.outs)]);
  });

  test("bad input and a VHID clash are refused before any write, naming the field and the fix; no secret in errors", async () => {
    const mark = applyLog("fw1").length;
    const before = xmlOn("fw1");
    const c = await P.carpVip.check({}, { endpoint: ep.fw1, spec: vipSpec({ vhid: 300 }) });
    expect(c.failures).toEqual([{ property: "spec", reason: 'CarpVip spec.vhid: 300 is invalid; use an integer from 1 to 255' }]);
    await expect(P.carpVip.create(c.inputs)).rejects.toThrow(/vhid: 300 is invalid/);
    const empty = await P.carpVip.check({}, { endpoint: ep.fw1, spec: vipSpec({ password: "" }) });
    expect(empty.failures[0].reason).toMatch(/password: \(secret\) is empty/);
    // VHID 77 on lan belongs to the human's VIP
    const clash = await P.carpVip.check({}, { endpoint: ep.fw1, spec: vipSpec({ vhid: 77, subnet: "192.168.1.78" }) });
    const err = await P.carpVip.create(clash.inputs).then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(/vhid: 77 is already used on lan by another CARP VIP \(uniqid aaaaaaaaaaaaa.*pick a free VHID/);
    expect(err?.message).not.toContain(CARP_SECRET);
    expect(applyLog("fw1").length).toBe(mark);
    expect(xmlOn("fw1")).toBe(before);
  });
});

const SYNC1 = "10.99.0.1";
const SYNC2 = "10.99.0.2";

describe("PfSenseInterface", () => {
  beforeAll(resetBoth);
  const syncIf = (over: Props = {}): Props => ({ name: "opt1", device: "vtnet2", descr: "SYNC", enable: true, ipaddr: SYNC1, subnetBits: 24, sync: true, ...over });

  test("lifecycle: opt1 addressed as SYNC without blockpriv/blockbogons, configured, drift read, update, delete", async () => {
    await humanEdit("fw1", (doc) => {
      const i = getPath(doc.root, "interfaces/opt1")!;
      insertChild(i, leaf(doc, "blockpriv", ""));
      insertChild(i, leaf(doc, "blockbogons", ""));
    });
    const mark = applyLog("fw1").length;
    const lanBefore = block(xmlOn("fw1"), "lan", 2, "<if>vtnet1</if>");
    const inputs = { endpoint: ep.fw1, spec: syncIf() };
    const r = await created(P.interface, inputs);
    expect(r.id).toBe("PfSenseInterface:opt1");
    expect(block(xmlOn("fw1"), "opt1", 2, "<if>vtnet2</if>")).toBe(
      lines(2, "<opt1>") + "\n" +
        lines(3, "<descr><![CDATA[SYNC]]></descr>", "<if>vtnet2</if>", "<enable></enable>", "<spoofmac></spoofmac>", `<ipaddr>${SYNC1}</ipaddr>`, "<subnet>24</subnet>") +
        "\n" + lines(2, "</opt1>"),
    );
    expect(block(xmlOn("fw1"), "lan", 2, "<if>vtnet1</if>")).toBe(lanBefore);
    await expectSteps("fw1", mark, [
      "event filter sync",
      // interface_bring_down() with the old (unaddressed) settings, then interface_configure()
      "ifconfig vtnet2 delete", "arp -d -i vtnet2 -a",
      "pfSense_interface_flags vtnet2 1", "pfSense_interface_setaddress vtnet2 10.99.0.1/24",
      "event service reload ipsecdns", ...DHCP_RESTART_24, "event service reload dyndns opt1",
      "ifconfig vtnet2 description SYNC", "ifconfig vtnet2 -staticarp", "arp -d -i vtnet2 -a",
    ]);
    expect(await on("fw1", "ifconfig vtnet2")).toContain("inet 10.99.0.1 netmask 0xffffff00 broadcast 10.99.0.255");
    const now = await expectNoDrift(P.interface, r.id, r.outs, r.checked);

    // A human turns blockpriv back on: the sync interface no longer reads as sync; update clears it again.
    await humanEdit("fw1", (doc) => insertChild(getPath(doc.root, "interfaces/opt1")!, leaf(doc, "blockpriv", "")));
    const drifted = await P.interface.read(r.id, now);
    expect((drifted.props!.spec as Props).sync).toBe(false);
    expect((await P.interface.diff(r.id, drifted.props!, r.checked)).changes).toBe(true);
    const u = await P.interface.update(r.id, drifted.props!, r.checked);
    expect(block(xmlOn("fw1"), "opt1", 2, "<if>vtnet2</if>")).not.toContain("blockpriv");
    // Renaming the assignment (another optN) is a replacement; a new address an update.
    expect((await P.interface.diff(r.id, u.outs, { ...r.checked, spec: syncIf({ name: "opt2" }) })).replaces).toEqual(["spec"]);
    expect(await P.interface.diff(r.id, u.outs, { ...r.checked, spec: syncIf({ ipaddr: "10.99.0.5" }) })).toMatchObject({ changes: true, replaces: [] });

    const m2 = applyLog("fw1").length;
    await P.interface.delete(r.id, u.outs);
    expect(getPath(docOn("fw1").root, "interfaces/opt1")).toBeUndefined();
    expect(stepsSince("fw1", m2)[0]).toBe("event filter sync");
    expect(await P.interface.read(r.id, u.outs)).toEqual({});
    await reset("fw1", "fw2");
  });

  test("deleting an optN assignment brings the interface down (interface_bring_down)", async () => {
    const r = await created(P.interface, { endpoint: ep.fw1, spec: syncIf() });
    const mark = applyLog("fw1").length;
    await P.interface.delete(r.id, r.outs);
    const steps = stepsSince("fw1", mark);
    const ifconfig = await on("fw1", "ifconfig vtnet2");
    await reset("fw1", "fw2");
    // pfSense brings an interface down while it is still assigned (interfaces_assign.php): its address goes
    expect(steps).toEqual(["event filter sync", "ifconfig vtnet2 delete", "arp -d -i vtnet2 -a"]);
    expect(ifconfig).not.toContain("inet 10.99.0.1");
  });

  test("wan/lan are never unassigned: delete leaves them and writes nothing", async () => {
    const spec = { name: "lan", device: "vtnet1", descr: "LAN", enable: true, ipaddr: "192.168.1.2", subnetBits: 24, sync: false };
    const r = await created(P.interface, { endpoint: ep.fw1, spec });
    const mark = applyLog("fw1").length;
    await P.interface.delete(r.id, r.outs);
    await expectSteps("fw1", mark, []);
    expect(block(xmlOn("fw1"), "lan", 2, "<if>vtnet1</if>")).toContain("<ipaddr>192.168.1.2</ipaddr>");
  });

  test("bad input refused by check before any host is touched", async () => {
    const c = await P.interface.check({}, { endpoint: ep.fw1, spec: syncIf({ descr: "1SYNC", device: "vtnet2" }) });
    expect(c.failures).toEqual([{ property: "spec", reason: expect.stringMatching(/^PfSenseInterface spec\.descr: "1SYNC" is invalid; use up to 22 characters/) }]);
    const n = await P.interface.check({}, { endpoint: ep.fw1, spec: syncIf({ name: "em0" }) });
    expect(n.failures[0].reason).toMatch(/name: "em0" is invalid; use a pfSense interface name: wan, lan or optN/);
  });
});

describe("HaSyncConfig", () => {
  beforeAll(resetBoth);
  const primary = (over: Props = {}): Props => ({
    pfsyncInterface: "opt1", pfsyncPeerIp: SYNC2,
    xmlrpc: { synchronizeToIp: SYNC2, username: "admin", password: XMLRPC_SECRET, disabledOptions: ["synchronizeusers", "synchronizecaptiveportal"] }, ...over,
  });
  const secondary = { pfsyncInterface: "opt1", pfsyncPeerIp: SYNC1 };

  test("lifecycle: pfsync on both nodes, XMLRPC on the primary only, exact XML, drift, update, delete", async () => {
    const { SYNC_OPTIONS_27 } = await import("../../providers/pfsense/elements/hasync");
    const m1 = applyLog("fw1").length;
    const m2 = applyLog("fw2").length;
    const a = await created(P.haSync, { endpoint: ep.fw1, peerEndpoint: ep.fw2, role: "primary", spec: primary() });
    const b = await created(P.haSync, { endpoint: ep.fw2, peerEndpoint: ep.fw1, role: "secondary", spec: secondary });
    const on = [...SYNC_OPTIONS_27.filter((o) => o !== "synchronizeusers" && o !== "synchronizecaptiveportal"), ...(ON_24 ? ["synchronizekea6"] : [])];
    expect(on).toHaveLength(ON_24 ? 18 : 17);
    expect(block(xmlOn("fw1"), "hasync", 1, "<pfsyncenabled>")).toBe(
      lines(1, "<hasync>") + "\n" +
        lines(2, "<pfhostid></pfhostid>", "<pfsyncenabled>on</pfsyncenabled>", `<pfsyncpeerip>${SYNC2}</pfsyncpeerip>`, "<pfsyncinterface>opt1</pfsyncinterface>",
          ...on.map((o) => `<${o}>on</${o}>`), `<synchronizetoip>${SYNC2}</synchronizetoip>`, "<username><![CDATA[admin]]></username>",
          `<password><![CDATA[${XMLRPC_SECRET}]]></password>`) + "\n" + lines(1, "</hasync>"),
    );
    expect(block(xmlOn("fw2"), "hasync", 1, "<pfsyncenabled>")).toBe(
      lines(1, "<hasync>") + "\n" +
        lines(2, "<pfhostid></pfhostid>", "<pfsyncenabled>on</pfsyncenabled>", `<pfsyncpeerip>${SYNC1}</pfsyncpeerip>`, "<pfsyncinterface>opt1</pfsyncinterface>") +
        "\n" + lines(1, "</hasync>"),
    );
    // write_config triggers pfSense's XMLRPC sync on the primary only; interfaces_sync_setup re-enables CARP
    await expectSteps("fw1", m1, ["event filter sync", "sysctl -iq net.inet.carp.preempt=1 net.inet.carp.log=1", "ifconfig pfsync0 syncdev vtnet2 syncpeer 10.99.0.2 up", "ifconfig pfsync0 -defer"]);
    await expectSteps("fw2", m2, ["event filter sync", "sysctl -iq net.inet.carp.preempt=1 net.inet.carp.log=1", "ifconfig pfsync0 syncdev vtnet2 syncpeer 10.99.0.1 up", "ifconfig pfsync0 -defer"]);
    await expectNoDrift(P.haSync, a.id, a.outs, a.checked);
    await expectNoDrift(P.haSync, b.id, b.outs, b.checked);

    // A human switches an option back on: read shows it, update switches it off again.
    await humanEdit("fw1", (doc) => insertChild(getPath(doc.root, "hasync")!, leaf(doc, "synchronizeusers", "on")));
    const drifted = await P.haSync.read(a.id, a.outs);
    expect(((drifted.props!.spec as Props).xmlrpc as Props).disabledOptions).toEqual(["synchronizecaptiveportal"]);
    expect((await P.haSync.diff(a.id, drifted.props!, a.checked)).changes).toBe(true);
    const u = await P.haSync.update(a.id, drifted.props!, a.checked);
    expect(block(xmlOn("fw1"), "hasync", 1, "<pfsyncenabled>")).not.toContain("synchronizeusers");

    await P.haSync.delete(a.id, u.outs);
    await P.haSync.delete(b.id, b.outs);
    for (const h of ["fw1", "fw2"]) expect(xmlOn(h)).not.toContain("<pfsyncenabled>");
    expect(await P.haSync.read(a.id, u.outs)).toEqual({});
    await assertNoSecretLeak("fw1", [XMLRPC_SECRET]);
  });

  test("primary and secondary must report the same config version (XMLRPC sync refuses otherwise)", async () => {
    await humanEdit("fw2", (doc) => void (getPath(doc.root, "version")!.raw = "24.0"));
    const mark = applyLog("fw1").length;
    const before = xmlOn("fw1");
    try {
      const c = await P.haSync.check({}, { endpoint: ep.fw1, peerEndpoint: ep.fw2, role: "primary", spec: primary() });
      expect(c.failures).toEqual([]); // check never opens a connection: the versions are compared by create
      const err = await P.haSync.create(c.inputs).then(() => undefined, (e: Error) => e);
      expect(err?.message).toMatch(
        new RegExp(`XMLRPC sync refuses different versions: ssh root@${inv.hosts.fw1.address}:\\d+ has config <version> ${CONFIG_VERSION}, ` +
          `ssh root@${inv.hosts.fw2.address}:\\d+ has 24.0; upgrade ssh root@${inv.hosts[ON_24 ? "fw2" : "fw1"].address}:\\d+ to the release`),
      );
      expect(err?.message).not.toContain(XMLRPC_SECRET);
      expect(applyLog("fw1").length).toBe(mark);
      expect(xmlOn("fw1")).toBe(before);
    } finally {
      await humanEdit("fw2", (doc) => void (getPath(doc.root, "version")!.raw = CONFIG_VERSION));
    }
  });

  test("XMLRPC settings on the secondary and bad input are refused by check, no secret echoed", async () => {
    const c = await P.haSync.check({}, { endpoint: ep.fw2, role: "secondary", spec: primary() });
    expect(c.failures[0].reason).toMatch(/^HaSyncConfig spec\.xmlrpc: set on the secondary; XMLRPC sync runs from the primary only/);
    const bad = await P.haSync.check({}, { endpoint: ep.fw1, spec: primary({ pfsyncPeerIp: "10.99.0.300" }) });
    expect(bad.failures[0].reason).toMatch(/pfsyncPeerIp: "10.99.0.300" is invalid; use a dotted IPv4 address/);
    const opt = await P.haSync.check({}, { endpoint: ep.fw1, spec: { ...primary(), xmlrpc: { ...(primary().xmlrpc as Props), disabledOptions: ["synchronizefoo"] } } });
    expect(opt.failures[0].reason).toMatch(/xmlrpc.disabledOptions: "synchronizefoo" is not a sync option/);
    const pw = await P.haSync.check({}, { endpoint: ep.fw1, spec: { ...primary(), xmlrpc: { ...(primary().xmlrpc as Props), password: "bad\npw" } } });
    expect(pw.failures[0].reason).toMatch(/xmlrpc.password: \(secret\)/);
    expect(pw.failures[0].reason).not.toContain("bad\npw");
  });
});

describe("Alias + FirewallRule (the sync rules)", () => {
  beforeAll(resetBoth);
  const alias = { name: "pfha_sync", type: "host", addresses: [SYNC1, SYNC2], descr: "both sync addresses" };
  const HUMAN_TRACKER = "1700000001";
  const pfsyncRule = (over: Props = {}): Props => ({
    tracker: "4000000001", type: "pass", interface: "opt1", ipprotocol: "inet", protocol: "pfsync",
    source: { address: "pfha_sync" }, destination: { network: "(self)" }, descr: "pfsync", position: { top: true }, ...over,
  });
  const xmlrpcRule = (over: Props = {}): Props => ({
    tracker: "4000000002", type: "pass", interface: "opt1", ipprotocol: "inet", protocol: "tcp",
    source: { address: "pfha_sync" }, destination: { network: "(self)", port: "443" }, descr: "XMLRPC", position: { afterTracker: "4000000001" }, ...over,
  });
  const opt1Trackers = (host: string): string[] =>
    blocks(xmlOn(host), "rule", 2).filter((b) => b.includes("<interface>opt1</interface>")).map((b) => /<tracker>(\d+)<\/tracker>/.exec(b)![1]);

  test("lifecycle on both nodes: same trackers, ours before the user's rule, exact XML, filter applied, drift, delete leaves theirs", async () => {
    for (const h of ["fw1", "fw2"]) {
      await humanEdit(h, (doc) => {
        const rule = section("rule", [leaf(doc, "type", "block"), leaf(doc, "interface", "opt1"), leaf(doc, "ipprotocol", "inet"), leaf(doc, "tracker", HUMAN_TRACKER),
          leaf(doc, "descr", "human opt1 rule"), section("source", [leaf(doc, "any", "")]), section("destination", [leaf(doc, "any", "")])]);
        insertChild(getPath(doc.root, "filter")!, rule);
      });
    }
    const humanRule = block(xmlOn("fw1"), "rule", 2, HUMAN_TRACKER);
    const mark = applyLog("fw1").length;
    const state: Record<string, { id: string; outs: Props; checked: Props }[]> = {};
    await Promise.all(["fw1", "fw2"].map(async (h) => {
      const al = await created(P.alias, { endpoint: ep[h], spec: alias });
      const r1 = await created(P.filterRule, { endpoint: ep[h], spec: pfsyncRule() });
      const r2 = await created(P.filterRule, { endpoint: ep[h], spec: xmlrpcRule() });
      state[h] = [al, r1, r2];
    }));
    for (const h of ["fw1", "fw2"]) expect(opt1Trackers(h)).toEqual(["4000000001", "4000000002", HUMAN_TRACKER]);
    expect(block(xmlOn("fw1"), "alias", 2, "pfha_sync")).toBe(
      lines(2, "<alias>") + "\n" +
        lines(3, "<name>pfha_sync</name>", "<type>host</type>", `<address>${SYNC1} ${SYNC2}</address>`,
          "<descr><![CDATA[[pfsense-ha]pfha_sync both sync addresses]]></descr>", "<detail><![CDATA[||]]></detail>") + "\n" + lines(2, "</alias>"),
    );
    expect(timeless(block(xmlOn("fw1"), "rule", 2, "4000000002"))).toBe(
      lines(2, "<rule>") + "\n" +
        lines(3, "<id></id>", "<tracker>4000000002</tracker>", "<type>pass</type>", "<interface>opt1</interface>", "<ipprotocol>inet</ipprotocol>",
          "<tag></tag>", "<tagged></tagged>", "<max></max>", "<max-src-nodes></max-src-nodes>", "<max-src-conn></max-src-conn>",
          "<max-src-states></max-src-states>", "<statetimeout></statetimeout>", "<statetype><![CDATA[keep state]]></statetype>", "<os></os>",
          ...(ON_24 ? ["<statepolicy></statepolicy>"] : []), "<protocol>tcp</protocol>", "<source>", "\t<address>pfha_sync</address>", "</source>", "<destination>", "\t<network>(self)</network>",
          "\t<port>443</port>", "</destination>", "<descr><![CDATA[[pfha] XMLRPC]]></descr>", ...stamps("updated"), ...stamps("created")) + "\n" + lines(2, "</rule>"),
    );
    // what XMLRPC sync would copy: the elements are byte-identical on both nodes
    // (but for the save's time stamps: each node's rule is stamped when it was written there)
    for (const t of ["4000000001", "4000000002"]) expect(timeless(block(xmlOn("fw2"), "rule", 2, t))).toBe(timeless(block(xmlOn("fw1"), "rule", 2, t)));
    expect(block(xmlOn("fw2"), "alias", 2, "pfha_sync")).toBe(block(xmlOn("fw1"), "alias", 2, "pfha_sync"));
    // XMLRPC sync replaces <filter> and <aliases> on the secondary with the primary's: our elements read unchanged there.
    let fw2 = xmlOn("fw2");
    for (const tag of ["filter", "aliases"]) fw2 = fw2.replace(blocks(fw2, tag, 1)[0], blocks(xmlOn("fw1"), tag, 1)[0]);
    writeFileSync(hostPath(inv, "fw2", "/cf/conf/config.xml"), fw2);
    await on("fw2", "rm -f /tmp/config.cache");
    for (const s of state.fw2) await expectNoDrift(s === state.fw2[0] ? P.alias : P.filterRule, s.id, s.outs, s.checked);
    await expectSteps("fw1", mark, [...FILTER_APPLY, ...FILTER_APPLY, ...FILTER_APPLY]); // alias, rule 1, rule 2
    const [al, r1, r2] = state.fw1;
    for (const [p, s] of [[P.alias, al], [P.filterRule, r1], [P.filterRule, r2]] as const) await expectNoDrift(p, s.id, s.outs, s.checked);

    // Drift: a human edits our alias and deletes our XMLRPC rule.
    await humanEdit("fw1", (doc) => {
      const f = getPath(doc.root, "filter")!;
      f.children = f.children!.filter((r) => textIn(doc, getPath(r, "tracker")) !== "4000000002");
      const a = getPath(doc.root, "aliases")!.children!.find((e) => textIn(doc, getPath(e, "name")) === "pfha_sync")!;
      getPath(a, "address")!.raw = SYNC1;
    });
    expect(await P.filterRule.read(r2.id, r2.outs)).toEqual({});
    const ad = await P.alias.read(al.id, al.outs);
    expect((ad.props!.spec as Props).addresses).toEqual([SYNC1]);
    await P.alias.update(al.id, ad.props!, al.checked);
    expect(block(xmlOn("fw1"), "alias", 2, "pfha_sync")).toContain(`<address>${SYNC1} ${SYNC2}</address>`);
    const again = await created(P.filterRule, { endpoint: ep.fw1, spec: xmlrpcRule() }); // what `pulumi up` does after refresh
    expect(opt1Trackers("fw1")).toEqual(["4000000001", "4000000002", HUMAN_TRACKER]);

    // Update in place (new description): same tracker, same position.
    const upd = await P.filterRule.update(r1.id, r1.outs, { ...r1.checked, spec: pfsyncRule({ descr: "pfsync states" }) });
    expect(block(xmlOn("fw1"), "rule", 2, "4000000001")).toContain("<descr><![CDATA[[pfha] pfsync states]]></descr>");
    expect(opt1Trackers("fw1")).toEqual(["4000000001", "4000000002", HUMAN_TRACKER]);

    await P.filterRule.delete(again.id, again.outs);
    expect(upd.outs.identity).toBe("4000000001");
    await P.filterRule.delete(r1.id, upd.outs);
    await P.alias.delete(al.id, al.outs);
    for (const [a2, q1, q2] of [state.fw2]) {
      await P.filterRule.delete(q2.id, q2.outs);
      await P.filterRule.delete(q1.id, q1.outs);
      await P.alias.delete(a2.id, a2.outs);
    }
    for (const h of ["fw1", "fw2"]) {
      expect(opt1Trackers(h)).toEqual([HUMAN_TRACKER]);
      expect(xmlOn(h)).not.toMatch(/\[pfsense-ha\]|\[pfha\]/);
    }
    expect(block(xmlOn("fw1"), "rule", 2, HUMAN_TRACKER)).toBe(humanRule);
  });

  test("a tracker or alias name held by a human's element is refused, the element untouched; bad input refused by check", async () => {
    await humanEdit("fw1", (doc) =>
      insertChild(ensurePath(doc.root, "aliases"), section("alias", [leaf(doc, "name", "human_alias"), leaf(doc, "type", "host"), leaf(doc, "address", "10.1.1.1"), leaf(doc, "descr", "mine")])),
    );
    const before = xmlOn("fw1");
    const ha = await P.alias.check({}, { endpoint: ep.fw1, spec: { ...alias, name: "human_alias" } });
    await expect(P.alias.create(ha.inputs)).rejects.toThrow(/name: alias "human_alias" already exists and is not managed by pfsense-ha; choose another alias name/);
    const mark = applyLog("fw1").length;
    const c = await P.filterRule.check({}, { endpoint: ep.fw1, spec: pfsyncRule({ tracker: HUMAN_TRACKER }) });
    await expect(P.filterRule.create(c.inputs)).rejects.toThrow(/tracker: 1700000001 is already used by a rule not managed by pfsense-ha \("human opt1 rule"\); use another tracker/);
    const generated = await P.filterRule.check({}, { endpoint: ep.fw1, spec: { ...pfsyncRule(), tracker: undefined } });
    expect((generated.inputs.spec as Props).tracker).toMatch(/^[34][0-9]{9}$/);
    const port = await P.filterRule.check({}, { endpoint: ep.fw1, spec: xmlrpcRule({ destination: { network: "(self)", port: "44 3" } }) });
    expect(port.failures[0].reason).toMatch(/destination.port: "44 3" is invalid; use a port, a range like 80-443 or a port alias/);
    const badAlias = await P.alias.check({}, { endpoint: ep.fw1, spec: { ...alias, addresses: ["10.99.0.256"] } });
    expect(badAlias.failures[0].reason).toMatch(/^Alias spec\.addresses\[0\]: "10.99.0.256" is invalid/);
    expect(applyLog("fw1").length).toBe(mark);
    expect(xmlOn("fw1")).toBe(before);
  });
});

describe("OutboundNatRule", () => {
  beforeAll(resetBoth);
  const nat = (over: Props = {}): Props => ({ key: "pfha-nat-lan", sourceNetwork: "192.168.1.0/24", interface: "wan", targetVip: "203.0.113.10", descr: "LAN to the WAN VIP", ...over });

  test("lifecycle: hybrid mode, exact XML for config 23.3 (target + target_subnet), drift, update, delete; automatic again when none is left", async () => {
    const mark = applyLog("fw1").length;
    const r = await created(P.outboundNat, { endpoint: ep.fw1, spec: nat() });
    const xml = xmlOn("fw1");
    expect(xml).toContain(lines(2, "<outbound>", "\t<mode>hybrid</mode>"));
    expect(timeless(block(xml, "rule", 3, "pfha-nat-lan"))).toBe(
      lines(3, "<rule>") + "\n" +
        lines(4, "<source>", "\t<network>192.168.1.0/24</network>", "</source>", "<sourceport></sourceport>",
          "<descr><![CDATA[[pfsense-ha]pfha-nat-lan LAN to the WAN VIP]]></descr>", "<target>203.0.113.10</target>", "<target_subnet></target_subnet>",
          "<interface>wan</interface>", "<poolopts></poolopts>", "<source_hash_key></source_hash_key>", "<ipprotocol>inet</ipprotocol>",
          "<destination>", "\t<any></any>", "</destination>", ...stamps("updated"), ...stamps("created")) + "\n" + lines(3, "</rule>"),
    );
    await expectSteps("fw1", mark, FILTER_APPLY);
    await expectNoDrift(P.outboundNat, r.id, r.outs, r.checked);

    await humanEdit("fw1", (doc) => {
      const rule = getPath(doc.root, "nat/outbound")!.children!.find((e) => e.tag === "rule")!;
      getPath(rule, "target")!.raw = "203.0.113.99";
    });
    const drifted = await P.outboundNat.read(r.id, r.outs);
    expect((drifted.props!.spec as Props).targetVip).toBe("203.0.113.99");
    const u = await P.outboundNat.update(r.id, drifted.props!, r.checked);
    expect(block(xmlOn("fw1"), "rule", 3, "pfha-nat-lan")).toContain("<target>203.0.113.10</target>");
    expect((await P.outboundNat.diff(r.id, u.outs, { ...r.checked, spec: nat({ key: "pfha-nat-other" }) })).replaces).toEqual(["spec"]);

    await P.outboundNat.delete(r.id, u.outs);
    expect(xmlOn("fw1")).toContain(lines(2, "<outbound>", "\t<mode>automatic</mode>"));
    expect(blocks(xmlOn("fw1"), "rule", 3)).toEqual([]);
  });

  test("a human's outbound NAT rule stays (and keeps hybrid mode) when ours is deleted", async () => {
    await humanEdit("fw1", (doc) => {
      const o = getPath(doc.root, "nat/outbound")!;
      getPath(o, "mode")!.raw = "hybrid";
      insertChild(o, section("rule", [section("source", [leaf(doc, "network", "10.5.0.0/16")]), leaf(doc, "descr", "human NAT"), leaf(doc, "target", ""), leaf(doc, "interface", "wan")]));
    });
    const human = block(xmlOn("fw1"), "rule", 3, "human NAT");
    const r = await created(P.outboundNat, { endpoint: ep.fw1, spec: nat() });
    expect(blocks(xmlOn("fw1"), "rule", 3)).toHaveLength(2);
    await P.outboundNat.delete(r.id, r.outs);
    expect(blocks(xmlOn("fw1"), "rule", 3)).toEqual([human]);
    expect(xmlOn("fw1")).toContain("<mode>hybrid</mode>");
    const bad = await P.outboundNat.check({}, { endpoint: ep.fw1, spec: nat({ sourceNetwork: "192.168.1.0" }) });
    expect(bad.failures[0].reason).toMatch(/sourceNetwork: "192.168.1.0" is invalid; use the inside subnet as CIDR/);
  });
});

describe("DhcpFailover", () => {
  beforeAll(resetBoth);
  const dhcp = (over: Props = {}): Props => ({ interface: "lan", rangeFrom: "192.168.1.100", rangeTo: "192.168.1.199", gateway: "192.168.1.1", dnsServers: ["192.168.1.1"], failoverPeerIp: "192.168.1.3", role: "primary", advskew: 0, ...over });
  const secondary = dhcp({ failoverPeerIp: "192.168.1.2", role: "secondary", advskew: 100 });

  test("lifecycle on both nodes: gateway/DNS = the VIP, peers swapped, exact XML, dhcpd applied, drift, delete keeps the server", async () => {
    const m1 = applyLog("fw1").length;
    const a = await created(P.dhcpFailover, { endpoint: ep.fw1, spec: dhcp() });
    const b = await created(P.dhcpFailover, { endpoint: ep.fw2, spec: secondary });
    const lanDhcp = (h: string): string | undefined => block(xmlOn(h), "lan", 2, "<range>");
    const expected = (peer: string): string =>
      lines(2, "<lan>") + "\n" +
      lines(3, "<enable></enable>", "<range>", "\t<from>192.168.1.100</from>", "\t<to>192.168.1.199</to>", "</range>",
        "<gateway>192.168.1.1</gateway>", "<dnsserver>192.168.1.1</dnsserver>", `<failover_peerip>${peer}</failover_peerip>`) + "\n" + lines(2, "</lan>");
    expect(lanDhcp("fw1")).toBe(expected("192.168.1.3"));
    expect(lanDhcp("fw2")).toBe(expected("192.168.1.2"));
    await expectSteps("fw1", m1, [
      "event filter sync",
      "mount -t devfs devfs /var/dhcpd/dev", "ifconfig vtnet1 -staticarp", "arp -d -i vtnet1 -a",
      "dhcpd -user dhcpd -group _dhcp -chroot /var/dhcpd -cf /etc/dhcpd.conf -pf /var/run/dhcpd.pid vtnet1",
      "radvd -p /var/run/radvd.pid -C /var/etc/radvd.conf -m syslog",
    ]);
    await expectNoDrift(P.dhcpFailover, a.id, a.outs, a.checked);

    await humanEdit("fw1", (doc) => void (getPath(doc.root, "dhcpd/lan/failover_peerip")!.raw = "192.168.1.9"));
    const drifted = await P.dhcpFailover.read(a.id, a.outs);
    expect((drifted.props!.spec as Props).failoverPeerIp).toBe("192.168.1.9");
    const u = await P.dhcpFailover.update(a.id, drifted.props!, a.checked);
    expect(lanDhcp("fw1")).toBe(expected("192.168.1.3"));

    await P.dhcpFailover.delete(a.id, u.outs);
    await P.dhcpFailover.delete(b.id, b.outs);
    for (const h of ["fw1", "fw2"]) {
      expect(lanDhcp(h)).toBe(lines(2, "<lan>") + "\n" + lines(3, "<enable></enable>", "<range>", "\t<from>192.168.1.100</from>", "\t<to>192.168.1.199</to>", "</range>") + "\n" + lines(2, "</lan>"));
    }
    expect(await P.dhcpFailover.read(a.id, u.outs)).toEqual({});
  });

  test("a secondary skew below 20 is refused by check; the Kea backend by create, before any write", async () => {
    const low = await P.dhcpFailover.check({}, { endpoint: ep.fw2, spec: { ...secondary, advskew: 19 } });
    expect(low.failures[0].reason).toMatch(/^DhcpFailover spec\.advskew: 19 is invalid; the secondary's CARP skew must be 20 or more/);
    await humanEdit("fw1", (doc) => insertChild(doc.root, leaf(doc, "dhcpbackend", "kea")));
    const before = xmlOn("fw1");
    const mark = applyLog("fw1").length;
    const c = await P.dhcpFailover.check({}, { endpoint: ep.fw1, spec: dhcp() });
    expect(c.failures).toEqual([]);
    await expect(P.dhcpFailover.create(c.inputs)).rejects.toThrow(/dhcpbackend: "kea" is set on this firewall; .*switch System > Advanced > Networking > DHCP backend to ISC/);
    expect(xmlOn("fw1")).toBe(before);
    expect(applyLog("fw1").length).toBe(mark);
  });
  test("the range moves into the LAN subnet on both nodes, drift in it is read, and a range outside the box's subnet is refused before any write", async () => {
    await reset("fw1", "fw2"); // the Kea test left dhcpbackend=kea
    const range = { rangeFrom: "192.168.1.50", rangeTo: "192.168.1.60" };
    const a = await created(P.dhcpFailover, { endpoint: ep.fw1, spec: dhcp(range) });
    const b = await created(P.dhcpFailover, { endpoint: ep.fw2, spec: { ...secondary, ...range } });
    for (const h of ["fw1", "fw2"]) {
      expect(block(xmlOn(h), "range", 3, "<from>")).toBe(lines(3, "<range>", "\t<from>192.168.1.50</from>", "\t<to>192.168.1.60</to>", "</range>"));
      expect(xmlOn(h)).not.toContain("192.168.1.199");
    }
    await expectNoDrift(P.dhcpFailover, a.id, a.outs, a.checked);
    await humanEdit("fw1", (doc) => void (getPath(doc.root, "dhcpd/lan/range/to")!.raw = "192.168.1.70"));
    const drifted = await P.dhcpFailover.read(a.id, a.outs);
    expect((drifted.props!.spec as Props).rangeTo).toBe("192.168.1.70");
    expect(await P.dhcpFailover.diff(a.id, drifted.props!, a.checked)).toMatchObject({ changes: true, replaces: [] });
    const u = await P.dhcpFailover.update(a.id, drifted.props!, a.checked);
    expect(block(xmlOn("fw1"), "range", 3, "<from>")).toContain("<to>192.168.1.60</to>");

    // 172.16.10.x passes check (no host needed) but is outside fw1's LAN 192.168.1.2/24: refused by the edit
    const before = xmlOn("fw1");
    const mark = applyLog("fw1").length;
    const out = await P.dhcpFailover.check(u.outs, { endpoint: ep.fw1, spec: dhcp({ rangeFrom: "172.16.10.100", rangeTo: "172.16.10.199" }) });
    expect(out.failures).toEqual([]);
    await expect(P.dhcpFailover.update(a.id, u.outs, out.inputs)).rejects.toThrow(/rangeFrom: "172\.16\.10\.100" is invalid; it is outside lan's subnet \(192\.168\.1\.2\/24\)/);
    expect(xmlOn("fw1")).toBe(before);
    expect(applyLog("fw1").length).toBe(mark);
    await P.dhcpFailover.delete(a.id, u.outs);
    await P.dhcpFailover.delete(b.id, b.outs);
  });
});

// The 24.x tree's own apply (filter_configure_sync() -> refresh_gateways()) stores the WAN's dynamic gateways
// WAN_DHCP and WAN_DHCP6 in <gateways> next to ours; 2.7.2 keeps them out of config.xml. They are pfSense's: never
// touched, never drift; ours is the one item named by the spec.
describe("Gateway", () => {
  beforeEach(resetBoth);
  const gw = (over: Props = {}): Props => ({ name: "PFHA_WANGW", interface: "wan", gateway: "198.51.100.1", weight: 1, descr: "upstream", defaultGateway: true, ...over });
  const gatewaysBlock = (h: string): string | undefined => blocks(xmlOn(h), "gateways", 1)[0];
  const expectedBlock = (weight = 1): string =>
    lines(1, "<gateways>", "\t<gateway_item>") + "\n" +
    lines(3, "<interface>wan</interface>", "<gateway>198.51.100.1</gateway>", "<name>PFHA_WANGW</name>", `<weight>${weight}</weight>`, "<ipprotocol>inet</ipprotocol>",
      "<descr><![CDATA[[pfsense-ha]PFHA_WANGW upstream]]></descr>", "<gw_down_kill_states></gw_down_kill_states>") + "\n" +
    lines(1, "\t</gateway_item>") + "\n" + (ON_24 ? PFSENSE_24_DYNAMIC_GATEWAYS + "\n" : "") +
    lines(1, "\t<defaultgw4>PFHA_WANGW</defaultgw4>", "</gateways>");
  /* pfSense 24.x's dynamic gateways as its refresh_gateways() writes them (WAN_DHCP's address is the WAN's gateway
   * when pfSense saved it: ours). */
  const PFSENSE_24_DYNAMIC_GATEWAYS = ["WAN_DHCP", "WAN_DHCP6"].map((n) =>
    lines(2, "<gateway_item>") + "\n" +
    lines(3, "<interface>wan</interface>", `<gateway>${n === "WAN_DHCP" ? "198.51.100.1" : ""}</gateway>`, `<name>${n}</name>`, "<weight>1</weight>",
      `<ipprotocol>${n === "WAN_DHCP" ? "inet" : "inet6"}</ipprotocol>`, `<descr><![CDATA[Interface ${n} Gateway]]></descr>`, "<gw_down_kill_states></gw_down_kill_states>") +
    "\n" + lines(2, "</gateway_item>")).join("\n");
  const wanGateway = (h: string): string | undefined => textIn(docOn(h), getPath(docOn(h).root, "interfaces/wan/gateway"));

  test("lifecycle: exact XML, the WAN's gateway and the default, routing applied after the interface, drift, update, delete clears every reference", async () => {
    const mark = applyLog("fw1").length;
    const markAll = labRecord(inv, "fw1").length;
    const r = await created(P.gateway, { endpoint: ep.fw1, spec: gw() });
    expect(r.id).toBe("Gateway:PFHA_WANGW");
    expect(r.outs).toMatchObject({ identity: "PFHA_WANGW", configVersion: CONFIG_VERSION });
    expect(gatewaysBlock("fw1")).toBe(expectedBlock());
    expect(wanGateway("fw1")).toBe("PFHA_WANGW");
    await expectSteps("fw1", mark, [
      "event filter sync",
      // the WAN re-applied: interface_bring_down(), interface_configure() (default route, services)
      "ifconfig vtnet0 delete", "arp -d -i vtnet0 -a", "ifconfig vtnet0 inet6 -accept_rtadv",
      "mount -t devfs devfs /var/dhcpd/dev", "radvd -p /var/run/radvd.pid -C /var/etc/radvd.conf -m syslog",
      "pfSense_interface_flags vtnet0 1", "pfSense_interface_flags vtnet0 1", "ifconfig vtnet0 inet6 accept_rtadv",
      "route add -inet default 198.51.100.1",
      "event service reload ipsecdns", ...DHCP_RESTART_24, "event service reload dyndns wan",
      "ifconfig vtnet0 -staticarp", "arp -d -i vtnet0 -a",
      // the routing apply (system_gateways.php): system_routing_configure(), ..., filter_configure()
      "route add -inet default 198.51.100.1",
      "mount -t devfs devfs /var/dhcpd/dev", "ifconfig vtnet1 -staticarp", "arp -d -i vtnet1 -a",
      "dhcpd -user dhcpd -group _dhcp -chroot /var/dhcpd -cf /etc/dhcpd.conf -pf /var/run/dhcpd.pid vtnet1",
      "radvd -p /var/run/radvd.pid -C /var/etc/radvd.conf -m syslog",
      "event filter reload",
    ]);
    // filter_configure() is asynchronous: check_reload_status runs rc.filter_configure_sync for it
    expect(changesOf(labRecord(inv, "fw1").slice(markAll), "filter reload")).toEqual(FILTER_APPLY.slice(1));
    await expectNoDrift(P.gateway, r.id, r.outs, r.checked);

    // A human picks another default gateway and points the WAN elsewhere: read shows both, update restores them.
    await humanEdit("fw1", (doc) => {
      getPath(doc.root, "gateways/defaultgw4")!.raw = "OTHERGW";
      getPath(doc.root, "interfaces/wan/gateway")!.raw = "OTHERGW";
    });
    const drifted = await P.gateway.read(r.id, r.outs);
    expect(drifted.props!.spec).toMatchObject({ defaultGateway: false, interface: "" });
    expect(await P.gateway.diff(r.id, drifted.props!, r.checked)).toMatchObject({ changes: true, replaces: [] });
    const m2 = applyLog("fw1").length;
    const u = await P.gateway.update(r.id, drifted.props!, { ...r.checked, spec: gw({ weight: 2 }) });
    expect(gatewaysBlock("fw1")).toBe(expectedBlock(2));
    expect(wanGateway("fw1")).toBe("PFHA_WANGW");
    await eventsSettled(inv, "fw1");
    expect(stepsSince("fw1", m2)).toContain("route add -inet default 198.51.100.1");
    // another name is another gateway: a replacement
    expect((await P.gateway.diff(r.id, u.outs, { ...r.checked, spec: gw({ name: "PFHA_WAN2" }) })).replaces).toEqual(["spec"]);

    const m3 = applyLog("fw1").length;
    await P.gateway.delete(r.id, u.outs);
    expect(xmlOn("fw1")).not.toContain("<name>PFHA_WANGW</name>");
    // ours gone; pfSense's own dynamic gateways (24.x) stay as pfSense wrote them
    expect(gatewaysBlock("fw1")).toBe(
      lines(1, "<gateways>") + "\n" + (ON_24 ? PFSENSE_24_DYNAMIC_GATEWAYS + "\n" : "") + lines(1, "\t<defaultgw4></defaultgw4>", "</gateways>"),
    );
    expect(wanGateway("fw1")).toBe("");
    // the WAN re-applied without our gateway, then the routing apply. 2.7.2 adds no default route; 24.x routes through
    // its own WAN_DHCP, which it saved with the address the WAN had then (ours).
    const dynamicRoute = ON_24 ? ["route add -inet default 198.51.100.1"] : [];
    await expectSteps("fw1", m3, [
      "event filter sync",
      "ifconfig vtnet0 delete", "arp -d -i vtnet0 -a", "ifconfig vtnet0 inet6 -accept_rtadv",
      "mount -t devfs devfs /var/dhcpd/dev", "radvd -p /var/run/radvd.pid -C /var/etc/radvd.conf -m syslog",
      "pfSense_interface_flags vtnet0 1", "pfSense_interface_flags vtnet0 1", "ifconfig vtnet0 inet6 accept_rtadv",
      ...dynamicRoute,
      "event service reload ipsecdns", ...DHCP_RESTART_24, "event service reload dyndns wan",
      "ifconfig vtnet0 -staticarp", "arp -d -i vtnet0 -a",
      ...dynamicRoute,
      "mount -t devfs devfs /var/dhcpd/dev", "ifconfig vtnet1 -staticarp", "arp -d -i vtnet1 -a",
      "dhcpd -user dhcpd -group _dhcp -chroot /var/dhcpd -cf /etc/dhcpd.conf -pf /var/run/dhcpd.pid vtnet1",
      "radvd -p /var/run/radvd.pid -C /var/etc/radvd.conf -m syslog",
      "event filter reload",
    ]);
    expect(await P.gateway.read(r.id, u.outs)).toEqual({});
  });

  test("the secondary gets the same gateway: the primary's <gateways> copied by an XMLRPC sync is no drift there", async () => {
    const [a, b] = await Promise.all([created(P.gateway, { endpoint: ep.fw1, spec: gw() }), created(P.gateway, { endpoint: ep.fw2, spec: gw() })]);
    expect(gatewaysBlock("fw1")).toBe(expectedBlock());
    expect(gatewaysBlock("fw2")).toBe(expectedBlock());
    // rc.filter_synchronize with synchronizestaticroutes sends <gateways>: install the primary's section on fw2
    const primaryGateways = gatewaysBlock("fw1")!;
    writeFileSync(hostPath(inv, "fw2", "/cf/conf/config.xml"), xmlOn("fw2").replace(gatewaysBlock("fw2")!, primaryGateways));
    await on("fw2", "rm -f /tmp/config.cache");
    await expectNoDrift(P.gateway, b.id, b.outs, b.checked);
    await Promise.all([P.gateway.delete(a.id, a.outs), P.gateway.delete(b.id, b.outs)]);
    for (const h of ["fw1", "fw2"]) {
      expect(gatewaysBlock(h)).toBe(lines(1, "<gateways>") + "\n" + (ON_24 ? PFSENSE_24_DYNAMIC_GATEWAYS + "\n" : "") + lines(1, "\t<defaultgw4></defaultgw4>", "</gateways>"));
    }
  });

  test("a human's gateway of the same name is refused and left as it was; bad input refused by check", async () => {
    await humanEdit("fw1", (doc) =>
      insertChild(ensurePath(doc.root, "gateways"), section("gateway_item", [["interface", "wan"], ["gateway", "198.51.100.9"], ["name", "PFHA_WANGW"], ["weight", "1"], ["ipprotocol", "inet"], ["descr", "mine"]].map(([k, v]) => leaf(doc, k, v)))),
    );
    const before = xmlOn("fw1");
    const mark = applyLog("fw1").length;
    const c = await P.gateway.check({}, { endpoint: ep.fw1, spec: gw() });
    await expect(P.gateway.create(c.inputs)).rejects.toThrow(/name: gateway "PFHA_WANGW" already exists and is not managed by pfsense-ha; rename or delete that gateway/);
    expect(xmlOn("fw1")).toBe(before);
    expect(applyLog("fw1").length).toBe(mark);
    const bad = await P.gateway.check({}, { endpoint: ep.fw1, spec: gw({ weight: 0 }) });
    expect(bad.failures).toEqual([{ property: "spec", reason: "Gateway spec.weight: 0 is invalid; use an integer from 1 to 30" }]);
  });
});
