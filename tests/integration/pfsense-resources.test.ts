// CarpVip and FirewallRule providers loaded from their serialized `__provider` text (as Pulumi's host does) and
// driven through check -> create -> read -> diff -> update -> delete against the lab's fw1 stand-in.
import { existsSync, readFileSync } from "fs";
import * as pulumi from "@pulumi/pulumi";
import { hostPath, labExec, loadInventory, sshEndpointOf, type LabInventory } from "../../lab/inventory";
import { closeAllHosts } from "../../providers/ssh";
import type { SshEndpoint } from "../../providers/ssh";
import { parseConfigXml, type PfConfigDoc } from "../../providers/pfsense/codec";
import { childrenByTag, getPath, valueOf } from "../../providers/pfsense/codec-tree";
import { carpVipProvider, firewallRuleProvider } from "../../providers/pfsense/resources/dynamic";
import { protocolStats, resetProtocolStats } from "../../providers/pfsense/remote";

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

const FW = "fw1";
const SECRET = "vip-Pa55word-xyz";
let inv: LabInventory;
let ep: SshEndpoint;
let vipP: Provider;
let ruleP: Provider;

async function onFw(script: string): Promise<string> {
  const r = await labExec(inv, FW, script);
  if (r.code !== 0) throw new Error(`labExec ${script}: ${r.code} ${r.stderr}`);
  return r.stdout;
}

function configOnFw(): PfConfigDoc {
  return parseConfigXml(readFileSync(hostPath(inv, FW, "/cf/conf/config.xml"), "utf8"));
}

function applyFns(): string[] {
  const file = hostPath(inv, FW, "/var/log/pfha-lab/apply.log");
  const text = existsSync(file) ? readFileSync(file, "utf8") : "";
  return text.split("\n").filter((l) => l !== "").map((l) => (JSON.parse(l) as { fn: string }).fn).filter((f) => f !== "log_error");
}

async function serialized(provider: object): Promise<Provider> {
  const text = (await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true })).text;
  return requireFromString(text).handler();
}

beforeAll(async () => {
  inv = loadInventory();
  ep = sshEndpointOf(inv.hosts[FW], inv);
  await onFw(
    "php /usr/local/share/pfha-lab/seed.php fw1 fw2 >/dev/null && rm -rf /cf/conf/backup /var/log/pfha-lab/apply.log " +
      "/tmp/pfha-lab-fail /tmp/config.cache && mkdir -p /cf/conf/backup",
  );
  // In-process provider objects for the lifecycle; the serialized load has its own test below.
  vipP = carpVipProvider as unknown as Provider;
  ruleP = firewallRuleProvider as unknown as Provider;
});

afterAll(async () => {
  await closeAllHosts();
});

const vipInputs = (): Props => ({
  endpoint: ep,
  interface: "lan",
  address: "192.168.1.1",
  subnetBits: 24,
  vhid: 10,
  advbase: 1,
  advskew: 0,
  password: SECRET,
  description: "LAN VIP",
});

test("CarpVip lifecycle: uniqid generated once, XML as pfSense writes it, drift detected, update and delete", async () => {
  const c1 = await vipP.check({}, vipInputs());
  expect(c1.failures).toEqual([]);
  const uniqid = c1.inputs.uniqid as string;
  expect(uniqid).toMatch(/^[0-9a-f]{13}$/);
  expect((await vipP.check(c1.inputs, vipInputs())).inputs.uniqid).toBe(uniqid); // kept across runs

  const created = await vipP.create(c1.inputs);
  expect(created.id).toBe(`CarpVip:${uniqid}`);
  expect(created.outs.password).toBe(SECRET); // same key as the secret input: Pulumi keeps it secret
  const xml = readFileSync(hostPath(inv, FW, "/cf/conf/config.xml"), "utf8");
  expect(xml).toContain(
    "\t\t<vip>\n\t\t\t<mode>carp</mode>\n\t\t\t<interface>lan</interface>\n\t\t\t<vhid>10</vhid>\n\t\t\t<advskew>0</advskew>\n" +
      `\t\t\t<advbase>1</advbase>\n\t\t\t<password><![CDATA[${SECRET}]]></password>\n\t\t\t<uniqid>${uniqid}</uniqid>\n` +
      "\t\t\t<descr><![CDATA[LAN VIP]]></descr>\n\t\t\t<type>single</type>\n\t\t\t<subnet_bits>24</subnet_bits>\n" +
      "\t\t\t<subnet>192.168.1.1</subnet>\n\t\t</vip>",
  );
  expect(applyFns()).toEqual(["write_config", "interface_carp_configure", "enable_carp", "clear_subsystem_dirty"]);

  // A human changes the skew: read reports it, diff wants an update.
  await onFw(`sed -i 's#<advskew>0</advskew>#<advskew>50</advskew>#' /cf/conf/config.xml && rm -f /tmp/config.cache`);
  const read = await vipP.read(created.id, created.outs);
  expect(read.props?.advskew).toBe(50);
  const d = await vipP.diff(created.id, read.props!, c1.inputs);
  expect(d).toMatchObject({ changes: true, replaces: [] });
  await vipP.update(created.id, read.props!, c1.inputs);
  expect(valueOf(configOnFw(), childrenByTag(getPath(configOnFw().root, "virtualip")!, "vip")[0], "advskew")).toBe("0");
  expect(applyFns().slice(-5)).toEqual([
    "write_config",
    "interface_vip_bring_down",
    "interface_carp_configure",
    "enable_carp",
    "clear_subsystem_dirty",
  ]);

  // Unchanged inputs: no diff.
  expect((await vipP.diff(created.id, created.outs, c1.inputs)).changes).toBe(false);

  await vipP.delete(created.id, created.outs);
  expect(getPath(configOnFw().root, "virtualip")?.children ?? []).toEqual([]);
  expect(applyFns().slice(-3)).toEqual(["write_config", "interface_vip_bring_down", "clear_subsystem_dirty"]);
  // Deleted outside Pulumi: read says gone.
  expect(await vipP.read(created.id, created.outs)).toEqual({});
  const logs = await onFw("cat /var/log/pfha-lab/apply.log /var/log/system.log 2>/dev/null || true");
  expect(logs).not.toContain(SECRET);
});

test("bad input rejected by check and by create before any write, naming the field and the fix", async () => {
  const before = applyFns().length;
  const bad = { ...vipInputs(), vhid: 300, address: "192.168.1.300" };
  const c = await vipP.check({}, bad);
  expect(c.failures.map((f) => f.property).sort()).toEqual(["address", "vhid"]);
  expect(c.failures.find((f) => f.property === "vhid")!.reason).toMatch(/vhid.*300/);
  await expect(vipP.create({ ...c.inputs })).rejects.toThrow(/vhid/);
  expect(applyFns().length).toBe(before);
});

test("a VHID clash with a VIP we do not manage fails alone; the human's VIP is untouched", async () => {
  const human = (await vipP.check({}, { ...vipInputs(), vhid: 20, address: "192.168.1.20" })).inputs;
  await vipP.create(human);
  const clash = (await vipP.check({}, { ...vipInputs(), vhid: 20, address: "192.168.1.21" })).inputs;
  await expect(vipP.create(clash)).rejects.toThrow(/vhid: 20 is already used on lan/);
  const vips = childrenByTag(getPath(configOnFw().root, "virtualip")!, "vip");
  expect(vips.map((v) => valueOf(configOnFw(), v, "subnet"))).toEqual(["192.168.1.20"]);
});

test("FirewallRule lifecycle: tracker kept, 'top' goes before the user's rules, filter applied, delete leaves theirs", async () => {
  const userRules = childrenByTag(getPath(configOnFw().root, "filter")!, "rule").length;
  const c = await ruleP.check({}, {
    endpoint: ep,
    interface: "lan",
    type: "pass",
    ipprotocol: "inet",
    protocol: "tcp",
    source: "any",
    destination: "(self)",
    destinationPort: "443",
    description: "HA: XMLRPC to webGUI",
    position: "top",
  });
  expect(c.failures).toEqual([]);
  const tracker = c.inputs.tracker as number;
  const before = applyFns().length;
  const created = await ruleP.create(c.inputs);
  const rules = childrenByTag(getPath(configOnFw().root, "filter")!, "rule");
  const doc = configOnFw();
  const firstLan = rules.find((r) => valueOf(doc, r, "interface") === "lan")!;
  expect(valueOf(doc, firstLan, "tracker")).toBe(String(tracker));
  expect(valueOf(doc, getPath(firstLan, "destination")!, "network")).toBe("(self)");
  expect(applyFns().slice(before)).toEqual(["write_config", "filter_configure_sync", "clear_subsystem_dirty", "clear_subsystem_dirty"]);
  await ruleP.delete(created.id, created.outs);
  expect(childrenByTag(getPath(configOnFw().root, "filter")!, "rule")).toHaveLength(userRules);
});

test("resources created concurrently through the providers share installs", async () => {
  resetProtocolStats();
  const before = childrenByTag(getPath(configOnFw().root, "virtualip")!, "vip").length;
  const inputs = await Promise.all(
    Array.from({ length: 20 }, (_, i) => vipP.check({}, { ...vipInputs(), vhid: 100 + i, address: `192.168.1.${100 + i}` })),
  );
  await Promise.all(inputs.map((c) => vipP.create(c.inputs)));
  expect(childrenByTag(getPath(configOnFw().root, "virtualip")!, "vip").length).toBe(before + 20);
  expect(protocolStats().installs).toBeLessThanOrEqual(2);
});

test("the serialized __provider (loaded with require-from-string as Pulumi's host does) creates and deletes a VIP", async () => {
  const loaded = await serialized(carpVipProvider);
  const c = await loaded.check({}, { ...vipInputs(), vhid: 200, address: "192.168.1.200" });
  const created = await loaded.create(c.inputs);
  const doc = configOnFw();
  const vips = childrenByTag(getPath(doc.root, "virtualip")!, "vip");
  expect(vips.some((v) => valueOf(doc, v, "uniqid") === c.inputs.uniqid)).toBe(true);
  await loaded.delete(created.id, created.outs);
});
