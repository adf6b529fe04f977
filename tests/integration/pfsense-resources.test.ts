// The seven pfSense element providers, each loaded from its serialized `__provider` text (as Pulumi's host does),
// driven through check -> create -> read -> diff -> update -> delete against the lab's fw1/fw2 stand-ins: the exact
// XML on the box, the apply functions in order, drift (changed, deleted), a human's element beside ours untouched,
// bad input refused before any write, no secret in the apply log, the revision or an error.
import { existsSync, readFileSync, writeFileSync } from "fs";
import * as pulumi from "@pulumi/pulumi";
import { hostPath, labExec, loadInventory, sshEndpointOf, type LabInventory } from "../../lab/inventory";
import { closeAllHosts } from "../../providers/ssh";
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

async function reset(host: string, peer: string): Promise<void> {
  await on(
    host,
    `php /usr/local/share/pfha-lab/seed.php ${host} ${peer} >/dev/null && rm -rf /cf/conf/backup /var/log/pfha-lab/apply.log ` +
      "/tmp/pfha-lab-fail /tmp/config.cache /cf/conf/.pfha-* && mkdir -p /cf/conf/backup",
  );
}

const xmlOn = (host: string): string => readFileSync(hostPath(inv, host, "/cf/conf/config.xml"), "utf8");
const docOn = (host: string): PfConfigDoc => parseConfigXml(xmlOn(host));

/** A human's edit outside Pulumi (GUI stand-in): edit the parsed file, write it back, drop pfSense's cache. */
async function humanEdit(host: string, edit: (doc: PfConfigDoc) => void): Promise<void> {
  const doc = docOn(host);
  edit(doc);
  writeFileSync(hostPath(inv, host, "/cf/conf/config.xml"), buildConfigXml(doc));
  await on(host, "rm -f /tmp/config.cache");
}

/** Apply functions logged by the stand-in since the log was `mark`ed (log_error is syslog, not a step). */
function applyLog(host: string): string[] {
  const file = hostPath(inv, host, "/var/log/pfha-lab/apply.log");
  const text = existsSync(file) ? readFileSync(file, "utf8") : "";
  return text.split("\n").filter((l) => l !== "").map((l) => (JSON.parse(l) as { fn: string }).fn).filter((f) => f !== "log_error");
}
function stepsSince(host: string, mark: number): string[] {
  return applyLog(host).slice(mark);
}

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

beforeAll(async () => {
  inv = loadInventory();
  for (const h of ["fw1", "fw2"]) ep[h] = sshEndpointOf(inv.hosts[h], inv);
  await Promise.all([reset("fw1", "fw2"), reset("fw2", "fw1")]);
  const providers: Record<string, object> = {
    interface: dynamic.interfaceProvider,
    carpVip: dynamic.carpVipProvider,
    haSync: dynamic.haSyncProvider,
    filterRule: dynamic.firewallRuleProvider,
    alias: dynamic.aliasProvider,
    outboundNat: dynamic.outboundNatProvider,
    dhcpFailover: dynamic.dhcpFailoverProvider,
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

describe("CarpVip", () => {
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
    expect(r.outs).toMatchObject({ identity: uniqid, configVersion: "23.3" });
    expect(block(xmlOn("fw1"), "vip", 2, uniqid)).toBe(
      lines(2, "<vip>") + "\n" +
        lines(3, "<mode>carp</mode>", "<interface>lan</interface>", "<vhid>10</vhid>", "<advskew>0</advskew>", "<advbase>1</advbase>",
          `<password><![CDATA[${CARP_SECRET}]]></password>`, `<uniqid>${uniqid}</uniqid>`, "<descr><![CDATA[LAN VIP]]></descr>",
          "<type>single</type>", "<subnet_bits>24</subnet_bits>", "<subnet>192.168.1.1</subnet>") + "\n" + lines(2, "</vip>"),
    );
    expect(stepsSince("fw1", mark)).toEqual(["write_config", "interface_carp_configure", "enable_carp", "clear_subsystem_dirty"]);
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
    expect(stepsSince("fw1", m2)).toEqual(["write_config", "interface_vip_bring_down", "interface_carp_configure", "enable_carp", "clear_subsystem_dirty"]);

    // A new vhid is an in-place update of the same uniqid; a new uniqid is a replacement.
    expect(await P.carpVip.diff(r.id, u.outs, { ...c.inputs, spec: { ...(c.inputs.spec as Props), vhid: 11 } })).toMatchObject({ changes: true, replaces: [] });
    expect((await P.carpVip.diff(r.id, u.outs, { ...c.inputs, spec: { ...(c.inputs.spec as Props), uniqid: "bbbbbbbbbbbbb" } })).replaces).toEqual(["spec"]);

    const m3 = applyLog("fw1").length;
    await P.carpVip.delete(r.id, u.outs);
    expect(block(xmlOn("fw1"), "vip", 2, uniqid)).toBeUndefined();
    expect(block(xmlOn("fw1"), "vip", 2, "aaaaaaaaaaaaa")).toBe(humanBlock);
    // the human's CARP VIP remains: CARP stays enabled
    expect(stepsSince("fw1", m3)).toEqual(["write_config", "interface_vip_bring_down", "enable_carp", "clear_subsystem_dirty"]);
    expect(await P.carpVip.read(r.id, u.outs)).toEqual({}); // gone: removed from state
    await assertNoSecretLeak("fw1", [CARP_SECRET]);
  });

  test("the secondary's VIP carries the primary's uniqid and skew +100, capped at 254", async () => {
    const { forNode } = await import("../../providers/pfsense/elements/mirror");
    const primary = { uniqid: "0123456789abc", ...vipSpec({ vhid: 12, advskew: 160, subnet: "192.168.1.12" }) };
    const secondary = forNode("secondary", { kind: "carpVip", spec: primary as never }).spec as unknown as Props;
    const a = await created(P.carpVip, { endpoint: ep.fw1, spec: primary });
    const b = await created(P.carpVip, { endpoint: ep.fw2, spec: secondary });
    expect(block(xmlOn("fw1"), "vip", 2, "0123456789abc")).toContain("<advskew>160</advskew>");
    expect(block(xmlOn("fw2"), "vip", 2, "0123456789abc")).toContain("<advskew>254</advskew>");
    await P.carpVip.delete(a.id, a.outs);
    await P.carpVip.delete(b.id, b.outs);
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
