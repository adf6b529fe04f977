// The remote write protocol against the lab's firewalls (PFHA_LAB_ID) running pfSense's own code (2.7.2 or 24.1,
// PFHA_PFSENSE_VERSION): install + apply through pfSense's functions, hash conflicts retried without lost updates,
// batching, failure/cut handling, no secret in any log.
import { readFileSync } from "fs";
import { hostPath, labExec, loadInventory, sshEndpointOf, type LabInventory } from "../../lab/inventory";
import { closeAllHosts } from "../../providers/ssh";
import { errorOf, waitFor } from "../support/async";
import { changesOf, firewallIdle, labRecord, writeConfigCount, type LabRecordEntry, protocolFileHooks } from "../support/pfsense-lab";
import type { SshEndpoint } from "../../providers/ssh";
import { parseConfigXml, type PfConfigDoc } from "../../providers/pfsense/codec";
import { childrenByTag, ensurePath, getPath, kids, leaf, section, textIn, valueOf } from "../../providers/pfsense/codec-tree";
import { upsertFilterRule, upsertOutboundNat, upsertPortForward } from "../../providers/pfsense/elements";
import { schemaOf } from "../../providers/pfsense/version";
import {
  protocolStats,
  setProtocolHooks,
  submitEdit,
  type ConfigEdit,
} from "../../providers/pfsense/remote";

jest.setTimeout(120000);

const FW = "fw1";
const SECRET = "carp-S3cret-pw";
let inv: LabInventory;
let ep: SshEndpoint;

async function onFw(script: string): Promise<string> {
  const r = await labExec(inv, FW, script);
  if (r.code !== 0) throw new Error(`labExec ${script}: ${r.code} ${r.stderr}`);
  return r.stdout;
}

function configOnFw(): PfConfigDoc {
  return parseConfigXml(readFileSync(hostPath(inv, FW, "/cf/conf/config.xml"), "utf8"));
}

function applyLog(): LabRecordEntry[] {
  return labRecord(inv, FW);
}

/** The config version pfSense's own tree writes (globals.inc latest_config). */
const CONFIG_VERSION = (process.env.PFHA_PFSENSE_VERSION ?? "2.7.2") === "24.1" ? "24.1" : "23.3";
const ON_24 = CONFIG_VERSION === "24.1";

function vips(doc: PfConfigDoc): Map<string, string> {
  const out = new Map<string, string>();
  const vip = getPath(doc.root, "virtualip");
  for (const v of vip ? childrenByTag(vip, "vip") : []) out.set(valueOf(doc, v, "uniqid") ?? "", valueOf(doc, v, "subnet") ?? "");
  return out;
}

/** A test edit: upsert a CARP VIP on LAN keyed by uniqid (the real element code lives in elements/). */
function vipEdit(n: number, opts: Partial<ConfigEdit> = {}): ConfigEdit {
  const uniqid = `pfhatest${String(n).padStart(5, "0")}`;
  const subnet = `192.168.1.${100 + (n % 150)}`;
  return {
    label: `CarpVip test-${n}`,
    secrets: [SECRET],
    edit(doc) {
      const list = ensurePath(doc.root, "virtualip");
      if (childrenByTag(list, "vip").some((v) => valueOf(doc, v, "uniqid") === uniqid)) return;
      kids(list).push(
        section("vip", [
          leaf(doc, "mode", "carp"),
          leaf(doc, "interface", "lan"),
          leaf(doc, "vhid", String(1 + (n % 250))),
          leaf(doc, "advskew", "0"),
          leaf(doc, "advbase", "1"),
          leaf(doc, "password", SECRET),
          leaf(doc, "uniqid", uniqid),
          leaf(doc, "descr", `pfha test ${n}`),
          leaf(doc, "type", "single"),
          leaf(doc, "subnet_bits", "24"),
          leaf(doc, "subnet", subnet),
        ]),
      );
    },
    verify: (doc) => (vips(doc).get(uniqid) === subnet ? undefined : `VIP ${uniqid} missing`),
    ...opts,
  };
}

beforeAll(() => {
  inv = loadInventory();
  ep = sshEndpointOf(inv.hosts[FW], inv);
});

protocolFileHooks(() => inv, FW, "fw2");

test("one edit: installed with write_config naming the resource, then applied by pfSense's VIP code, backup kept", async () => {
  const version = await submitEdit(ep, vipEdit(1));
  expect(version).toBe(CONFIG_VERSION);
  const doc = configOnFw();
  expect(vips(doc).get("pfhatest00001")).toBe("192.168.1.101");
  // The revision names the resource. On the 24.1 tree the VIP apply's ruleset reload writes the config once more
  // itself ("Synced configured gateways"), so ours is then the newest copy in pfSense's history.
  if (ON_24) expect(await onFw("grep -l 'CarpVip test-1' /cf/conf/backup/config-*.xml | wc -l")).not.toBe("0\n");
  else expect(textIn(doc, getPath(doc.root, "revision/description"))).toContain("CarpVip test-1");
  // write_config() sends its "filter sync" event; interface_carp_configure() sets up the vhid, then its address;
  // enable_carp() finds net.inet.carp.allow already 1; the VIP apply ends as the GUI's does, with the ruleset
  // reloaded (filter_configure_sync(): pf enabled, limits, then rules.debug loaded).
  expect(changesOf(applyLog())).toEqual([
    "event filter sync",
    "ifconfig vtnet1 vhid 2 advskew 0 advbase 1 pass <redacted>",
    "ifconfig vtnet1 192.168.1.101/24 alias vhid 2",
    "pfctl -e",
    "pfctl -Of /tmp/rules.limits",
    "pfctl -o basic -f /tmp/rules.debug",
  ]);
  // The loaded ruleset passes CARP right after the VIP stage (pfSense's filter.inc rule), so no split brain.
  expect(await onFw("cat /tmp/rules.debug")).toMatch(/^pass\s+quick proto carp ridentifier \d+ no state$/m);
  expect(await onFw("ifconfig vtnet1")).toContain("carp: MASTER vhid 2 advbase 1 advskew 0");
  const backups = await onFw("ls /cf/conf/backup");
  expect(backups).toMatch(/config-\d+\.xml/); // pfSense's own history copy
  expect(backups).not.toContain("pfha-rollback"); // our rollback copy is dropped once the batch is applied
  expect(protocolStats()).toMatchObject({ batches: 1, installs: 1, applies: 1, conflicts: 0 });
  const leftovers = await onFw("ls -a /cf/conf");
  expect(leftovers).not.toContain(".pfha-");
});

test("an edit that changes nothing costs no install and no apply", async () => {
  await submitEdit(ep, vipEdit(2));
  const before = changesOf(applyLog()).length;
  await submitEdit(ep, vipEdit(2));
  expect(changesOf(applyLog()).length).toBe(before);
  expect(protocolStats().installs).toBe(1);
});

test("rules with pfSense's save stamps (filter rule, outbound NAT, port forward) install once each: the read-back finds them in place", async () => {
  const kinds: ConfigEdit[] = [
    { label: "FirewallRule 4000000001 (create)", edit: (d) => upsertFilterRule(d, { tracker: "4000000001", type: "pass", interface: "lan", ipprotocol: "inet", protocol: "tcp", source: { any: true }, destination: { network: "(self)", port: "443" }, descr: "test", position: { top: true } }, schemaOf(d)) },
    { label: "OutboundNat lan (create)", edit: (d) => upsertOutboundNat(d, { key: "lan", sourceNetwork: "192.168.1.0/24", interface: "wan", targetVip: "192.168.1.101", descr: "test" }, schemaOf(d)) },
    { label: "PortForward pfha-pf-web (create)", edit: (d) => upsertPortForward(d, { key: "pfha-pf-web", associatedRuleId: "nat_6b0db76005fa75.09573240", tracker: "4123456789", interface: "wan", protocol: "tcp", destination: "192.0.2.10", externalPort: "8443", target: "192.168.1.10", localPort: "443", descr: "test" }, schemaOf(d)) },
  ];
  for (const k of kinds) await submitEdit(ep, k);
  // Per batch: read, upload, install + apply, read back. A replay of the edit on the document read back that changed
  // anything (a rule re-stamped) would count as reverted by a sync: a second attempt, after waiting for a sync's write.
  expect(protocolStats()).toEqual({ batches: 3, installs: 3, applies: 3, conflicts: 0, reapplies: 0, roundTrips: 12 });
});

test("hash conflict: a human edit between read and install is kept, ours is retried and lands", async () => {
  setProtocolHooks({
    afterRead: async (_k, attempt) => {
      if (attempt === 1) {
        await onFw(`php -r 'require_once("config.inc"); $config["system"]["timezone"]="Europe/Paris"; write_config("human edit");'`);
      }
    },
  });
  await submitEdit(ep, vipEdit(3));
  const doc = configOnFw();
  expect(valueOf(doc, getPath(doc.root, "system")!, "timezone")).toBe("Europe/Paris");
  expect(vips(doc).has("pfhatest00003")).toBe(true);
  expect(protocolStats().conflicts).toBe(1);
});

test("a writer that never pauses: the batch gives up after MAX_ATTEMPTS with a clear error; the writer's config stays, ours is not half-written", async () => {
  let writes = 0;
  setProtocolHooks({
    afterRead: async () => {
      writes++;
      await onFw(`php -r 'require_once("config.inc"); $config["system"]["timezone"]="Etc/GMT+${writes % 12}"; write_config("busy writer");'`);
    },
  });
  const msg = await errorOf(submitEdit(ep, vipEdit(4)));
  expect(msg).toMatch(/^ssh root@[^:]+:\d+: config\.xml kept changing .* while we wrote it \(12 attempts in \d+\.\d s\): another writer is busy; retry when it is done$/);
  expect(writes).toBe(12);
  expect(protocolStats()).toMatchObject({ conflicts: 12, installs: 0 });
  const doc = configOnFw();
  expect(valueOf(doc, getPath(doc.root, "system")!, "timezone")).toBe(`Etc/GMT+${12 % 12}`);
  expect(vips(doc).has("pfhatest00004")).toBe(false);
});

test("50 edits submitted concurrently: all 50 land with far fewer than 50 installs", async () => {
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) => submitEdit(ep, vipEdit(100 + i))));
  expect(results).toHaveLength(50);
  const present = vips(configOnFw());
  for (let i = 0; i < 50; i++) expect(present.has(`pfhatest${String(100 + i).padStart(5, "0")}`)).toBe(true);
  const installs = writeConfigCount(applyLog());
  expect(installs).toBeLessThanOrEqual(3);
  expect(protocolStats().installs).toBe(installs);
});

test("a failing edit fails alone; the rest of the batch lands", async () => {
  const bad: ConfigEdit = {
    label: "CarpVip clash",
    edit: () => {
      throw new Error("vhid: 5 is already used on lan by a VIP we do not manage: pick another vhid");
    },
  };
  const [a, b, c] = await Promise.allSettled([submitEdit(ep, vipEdit(11)), submitEdit(ep, bad), submitEdit(ep, vipEdit(12))]);
  expect(a.status).toBe("fulfilled");
  expect(c.status).toBe("fulfilled");
  expect(b.status).toBe("rejected");
  expect((b as PromiseRejectedResult).reason.message).toContain("CarpVip clash: vhid: 5 is already used");
  expect(protocolStats().installs).toBe(1);
});

test("apply failure: previous config restored and re-applied, error names the step and the backup", async () => {
  await submitEdit(ep, vipEdit(20));
  const good = readFileSync(hostPath(inv, FW, "/cf/conf/config.xml"), "utf8");
  const mark = applyLog().length;
  // The kernel refuses once, in the first call of pfSense's extension the VIP apply makes (the interface list that
  // interface_carp_configure() checks the VIP's interface against).
  await onFw("mkdir -p /tmp/pfha-lab-fail && echo once > /tmp/pfha-lab-fail/pfSense_interface_listget");
  const msg = await errorOf(submitEdit(ep, vipEdit(21)));
  expect(msg).toMatch(/apply failed: pfha-lab: injected failure in pfSense_interface_listget\(\) \(the previous config was restored and re-applied\); the previous config is in \/cf\/conf\/backup\/pfha-rollback-[\w-]+\.xml/);
  const backupPath = /in (\/cf\/conf\/backup\/pfha-rollback-[\w-]+\.xml)/.exec(msg)![1];
  expect(readFileSync(hostPath(inv, FW, backupPath), "utf8")).toBe(good);
  const now = vips(configOnFw());
  expect(now.has("pfhatest00020")).toBe(true);
  expect(now.has("pfhatest00021")).toBe(false);
  // The install's write_config(), config_restore()'s own write_config(), then the re-apply takes the new VIP's
  // address away again (it never got set: the failure came first).
  // The re-applied VIP stage ends with the ruleset reload (pf enabled first; how far the 24.1 tree's reload gets
  // right after a rollback differs, so only its start is asserted).
  const steps = changesOf(applyLog().slice(mark));
  expect(steps.slice(0, 4)).toEqual([
    "event filter sync",
    "event filter sync",
    "pfSense_interface_deladdress vtnet1 192.168.1.121",
    "pfctl -e",
  ]);
  expect(steps.slice(4)).toEqual(ON_24 ? [] : ["pfctl -Of /tmp/rules.limits", "pfctl -o basic -f /tmp/rules.debug"]);
  const ifc = await onFw("ifconfig vtnet1");
  expect(ifc).toContain("carp: MASTER vhid 21 ");
  expect(ifc).not.toContain("vhid 22");
  expect(msg).not.toContain(SECRET);
  // The injection is gone: a re-run converges.
  await onFw("rm -rf /tmp/pfha-lab-fail");
  await submitEdit(ep, vipEdit(21));
  expect(vips(configOnFw()).has("pfhatest00021")).toBe(true);
});

test("install failure (write_config refuses: a factory reset is pending): config unchanged, error says so", async () => {
  // Diagnostics > Factory Defaults leaves <reset_factory_defaults/> in config.xml until the reboot; pfSense's
  // write_config() then refuses every write (returns false).
  await onFw("sed -i 's#</pfsense>#<reset_factory_defaults></reset_factory_defaults></pfsense>#' /cf/conf/config.xml && rm -f /tmp/config.cache");
  const before = readFileSync(hostPath(inv, FW, "/cf/conf/config.xml"), "utf8");
  const msg = await errorOf(submitEdit(ep, vipEdit(30)));
  expect(msg).toMatch(/install failed: write_config\(\) failed \(the previous config was restored and re-applied\)/);
  expect(readFileSync(hostPath(inv, FW, "/cf/conf/config.xml"), "utf8")).toBe(before);
  expect(vips(configOnFw()).has("pfhatest00030")).toBe(false);
});

test("connection cut after upload / after install: config.xml is always a valid old or new document; a re-run converges", async () => {
  const cut = async (): Promise<void> => {
    await closeAllHosts();
    throw new Error("connection cut (test)");
  };
  setProtocolHooks({ afterUpload: cut });
  expect(await errorOf(submitEdit(ep, vipEdit(40)))).toContain("connection cut");
  expect(vips(configOnFw()).has("pfhatest00040")).toBe(false); // old document, parses
  setProtocolHooks({ afterInstall: cut });
  expect(await errorOf(submitEdit(ep, vipEdit(41)))).toContain("connection cut");
  expect(vips(configOnFw()).has("pfhatest00041")).toBe(true); // new document, parses
  expect(await onFw("ls /cf/conf/backup")).toMatch(/config-\d+\.xml/);
  setProtocolHooks({});
  await Promise.all([submitEdit(ep, vipEdit(40)), submitEdit(ep, vipEdit(41))]);
  const now = vips(configOnFw());
  expect(now.has("pfhatest00040") && now.has("pfhatest00041")).toBe(true);
});

test("an upload left by a cut before the install is removed by a later run once it is 10 minutes old", async () => {
  await onFw("echo '<pfsense/>' > /cf/conf/.pfha-stale00000.xml && touch -d '-11 minutes' /cf/conf/.pfha-stale00000.xml && echo '<pfsense/>' > /cf/conf/.pfha-fresh00000.xml");
  await submitEdit(ep, vipEdit(43));
  const left = await onFw("ls -a /cf/conf");
  expect(left).not.toContain(".pfha-stale00000.xml");
  expect(left).toContain(".pfha-fresh00000.xml"); // may belong to a run in progress
  await onFw("rm -f /cf/conf/.pfha-fresh00000.xml");
});

test("connection cut during apply: the box finishes installing and applying on its own; a re-run converges", async () => {
  const mark = applyLog().length;
  // Every ifconfig pfSense runs takes 1.5 s: the cut comes while interface_carp_configure() sets up the vhid.
  await onFw("mkdir -p /tmp/pfha-lab-slow && echo 1.5 > /tmp/pfha-lab-slow/ifconfig");
  const since = (): string[] => changesOf(applyLog().slice(mark));
  try {
    const pending = errorOf(submitEdit(ep, vipEdit(42)));
    await waitFor(() => since().some((c) => c.startsWith("ifconfig vtnet1 vhid 43 ")), 10000, 50);
    await closeAllHosts(); // the cut: php waits for ifconfig inside interface_carp_configure()
    expect(await pending).toMatch(/cut|closed|ended|connection/i);
    // The script was not killed with the connection: it finishes the VIP apply on its own (the vhid's address, then
    // the ruleset reload that ends the VIP stage), drops its rollback copy and exits.
    await firewallIdle(inv, FW);
  } finally {
    await onFw("rm -rf /tmp/pfha-lab-slow");
  }
  expect(since()).toEqual([
    "event filter sync",
    "ifconfig vtnet1 vhid 43 advskew 0 advbase 1 pass <redacted>",
    "ifconfig vtnet1 192.168.1.142/24 alias vhid 43",
    "pfctl -e",
    "pfctl -Of /tmp/rules.limits",
    "pfctl -o basic -f /tmp/rules.debug",
  ]);
  expect(await onFw("ls /cf/conf/backup")).not.toContain("pfha-rollback"); // applied: the rollback copy is dropped
  expect(await onFw("ifconfig vtnet1")).toContain("carp: MASTER vhid 43 ");
  expect(vips(configOnFw()).has("pfhatest00042")).toBe(true); // the new document, parsed
  // A re-run finds its element in place: nothing to install or apply.
  const installs = protocolStats().installs;
  await submitEdit(ep, vipEdit(42));
  expect(protocolStats().installs).toBe(installs);
});

test("unknown newer config version refused before any write unless allowed", async () => {
  await onFw(`sed -i 's#<version>${CONFIG_VERSION}</version>#<version>99.1</version>#' /cf/conf/config.xml && rm -f /tmp/config.cache`);
  const msg = await errorOf(submitEdit(ep, vipEdit(50)));
  expect(msg).toContain("<version> 99.1 is newer than the known ones");
  expect(msg).toContain("allowUnknownVersion");
  expect(applyLog()).toEqual([]);
  await submitEdit(ep, vipEdit(50, { allowUnknownVersion: true }));
  expect(vips(configOnFw()).has("pfhatest00050")).toBe(true);
});

test("no secret in the record of what pfSense ran, the kernel state, the revision or the system log", async () => {
  await submitEdit(ep, vipEdit(60));
  const logs = await onFw("cat /var/log/pfha-lab/*.log /var/run/pfha-carp/fw1.json; cat /var/log/system.log 2>/dev/null; ls /cf/conf/backup");
  expect(logs).not.toContain(SECRET);
  expect(textIn(configOnFw(), getPath(configOnFw().root, "revision/description"))).not.toContain(SECRET);
  // An error that quotes a secret (here: an edit's own validation message) leaves the protocol redacted.
  const quoting: ConfigEdit = {
    label: "CarpVip quoting",
    secrets: [SECRET],
    edit: () => {
      throw new Error(`password ${SECRET} is refused by this box`);
    },
  };
  const msg = await errorOf(submitEdit(ep, quoting));
  expect(msg).toContain("password [REDACTED] is refused");
  expect(msg).not.toContain(SECRET);
});
