// The remote write protocol against the lab's pfSense stand-ins (PFHA_LAB_ID): install + apply through pfSense's
// functions, hash conflicts retried without lost updates, batching, failure/cut handling, no secret in any log.
import { existsSync, readFileSync } from "fs";
import { hostPath, labExec, loadInventory, sshEndpointOf, type LabInventory } from "../../lab/inventory";
import { closeAllHosts } from "../../providers/ssh";
import { errorOf, waitFor } from "../support/async";
import type { SshEndpoint } from "../../providers/ssh";
import { parseConfigXml, type PfConfigDoc } from "../../providers/pfsense/codec";
import { childrenByTag, ensurePath, getPath, kids, leaf, section, textIn, valueOf } from "../../providers/pfsense/codec-tree";
import {
  protocolStats,
  resetProtocolStats,
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

/** Fresh seed config, empty apply log, no backups, no injected failures. */
async function resetFw(): Promise<void> {
  await onFw(
    "php /usr/local/share/pfha-lab/seed.php fw1 fw2 >/dev/null && rm -rf /cf/conf/backup /var/log/pfha-lab/apply.log " +
      "/tmp/pfha-lab-fail /tmp/config.cache /cf/conf/.pfha-* && mkdir -p /cf/conf/backup",
  );
}

function configOnFw(): PfConfigDoc {
  return parseConfigXml(readFileSync(hostPath(inv, FW, "/cf/conf/config.xml"), "utf8"));
}

function applyLog(): { fn: string; args: unknown[]; failed?: boolean }[] {
  const file = hostPath(inv, FW, "/var/log/pfha-lab/apply.log");
  if (!existsSync(file)) return [];
  const text = readFileSync(file, "utf8");
  // log_error lines are pfSense's syslog, not apply steps
  return text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l)).filter((e) => e.fn !== "log_error");
}

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

beforeEach(async () => {
  await resetFw();
  resetProtocolStats();
  setProtocolHooks({});
});

afterAll(async () => {
  setProtocolHooks({});
  await closeAllHosts();
  await resetFw();
});

test("one edit: installed with write_config naming the resource, then applied with the VIP functions, backup kept", async () => {
  const version = await submitEdit(ep, vipEdit(1));
  expect(version).toBe("23.3");
  const doc = configOnFw();
  expect(vips(doc).get("pfhatest00001")).toBe("192.168.1.101");
  expect(textIn(doc, getPath(doc.root, "revision/description"))).toContain("CarpVip test-1");
  expect(applyLog().map((e) => e.fn)).toEqual([
    "write_config",
    "interface_carp_configure",
    "enable_carp",
    "clear_subsystem_dirty",
  ]);
  const backups = await onFw("ls /cf/conf/backup");
  expect(backups).toMatch(/config-\d+\.xml/); // pfSense's own history copy
  expect(backups).not.toContain("pfha-rollback"); // our rollback copy is dropped once the batch is applied
  expect(protocolStats()).toMatchObject({ batches: 1, installs: 1, applies: 1, conflicts: 0 });
  const leftovers = await onFw("ls -a /cf/conf");
  expect(leftovers).not.toContain(".pfha-");
});

test("an edit that changes nothing costs no install and no apply", async () => {
  await submitEdit(ep, vipEdit(2));
  const before = applyLog().length;
  await submitEdit(ep, vipEdit(2));
  expect(applyLog().length).toBe(before);
  expect(protocolStats().installs).toBe(1);
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

test("50 edits submitted concurrently: all 50 land with far fewer than 50 installs", async () => {
  const results = await Promise.all(Array.from({ length: 50 }, (_, i) => submitEdit(ep, vipEdit(100 + i))));
  expect(results).toHaveLength(50);
  const present = vips(configOnFw());
  for (let i = 0; i < 50; i++) expect(present.has(`pfhatest${String(100 + i).padStart(5, "0")}`)).toBe(true);
  const installs = applyLog().filter((e) => e.fn === "write_config" || e.fn === "config_restore").length;
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
  await onFw("mkdir -p /tmp/pfha-lab-fail && touch /tmp/pfha-lab-fail/interface_carp_configure");
  const msg = await errorOf(submitEdit(ep, vipEdit(21)));
  expect(msg).toMatch(/apply failed: .*interface_carp_configure.*restored and re-applied.*previous config is in \/cf\/conf\/backup\/pfha-rollback-[\w-]+\.xml/);
  const backupPath = /in (\/cf\/conf\/backup\/pfha-rollback-[\w-]+\.xml)/.exec(msg)![1];
  expect(readFileSync(hostPath(inv, FW, backupPath), "utf8")).toBe(good);
  const now = vips(configOnFw());
  expect(now.has("pfhatest00020")).toBe(true);
  expect(now.has("pfhatest00021")).toBe(false);
  const fns = applyLog().map((e) => e.fn);
  expect(fns.slice(fns.lastIndexOf("config_restore"))).toEqual([
    "config_restore",
    "write_config",
    "interface_vip_bring_down",
    "enable_carp",
    "clear_subsystem_dirty",
  ]);
  expect(msg).not.toContain(SECRET);
  // The injection is gone: a re-run converges.
  await onFw("rm -rf /tmp/pfha-lab-fail");
  await submitEdit(ep, vipEdit(21));
  expect(vips(configOnFw()).has("pfhatest00021")).toBe(true);
});

test("install failure (write_config refuses): config unchanged, error says so", async () => {
  await onFw("mkdir -p /tmp/pfha-lab-fail && touch /tmp/pfha-lab-fail/write_config");
  const msg = await errorOf(submitEdit(ep, vipEdit(30)));
  expect(msg).toMatch(/install failed: write_config\(\) failed/);
  await onFw("rm -rf /tmp/pfha-lab-fail");
  const doc = configOnFw();
  expect(vips(doc).has("pfhatest00030")).toBe(false);
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
  // enable_carp (the VIP apply's last step before clear_subsystem_dirty) sleeps 1.5 s and then prints to stdout
  await onFw("mkdir -p /tmp/pfha-lab-slow && echo 1.5 > /tmp/pfha-lab-slow/enable_carp");
  try {
    const pending = errorOf(submitEdit(ep, vipEdit(42)));
    await waitFor(() => applyLog().slice(mark).some((e) => e.fn === "enable_carp"), 10000, 50);
    await closeAllHosts(); // the cut: php is inside enable_carp
    expect(await pending).toMatch(/cut|closed|ended|connection/i);
    // The script was not killed with the connection: the apply reaches its end after the cut.
    await waitFor(() => applyLog().slice(mark).some((e) => e.fn === "clear_subsystem_dirty"), 10000, 50);
  } finally {
    await onFw("rm -rf /tmp/pfha-lab-slow");
  }
  const after = applyLog().slice(mark) as { fn: string; slowed?: boolean }[];
  expect(after.filter((e) => e.slowed).map((e) => e.fn)).toEqual(["enable_carp"]); // it did run past the cut
  const fns = after.filter((e) => !e.slowed).map((e) => e.fn);
  expect(fns).toEqual(["write_config", "interface_carp_configure", "enable_carp", "clear_subsystem_dirty"]);
  expect(vips(configOnFw()).has("pfhatest00042")).toBe(true); // the new document, parsed
  // A re-run finds its element in place: nothing to install or apply.
  const installs = protocolStats().installs;
  await submitEdit(ep, vipEdit(42));
  expect(protocolStats().installs).toBe(installs);
});

test("unknown newer config version refused before any write unless allowed", async () => {
  await onFw(`sed -i 's#<version>23.3</version>#<version>99.1</version>#' /cf/conf/config.xml && rm -f /tmp/config.cache`);
  const msg = await errorOf(submitEdit(ep, vipEdit(50)));
  expect(msg).toContain("<version> 99.1 is newer than the known ones");
  expect(msg).toContain("allowUnknownVersion");
  expect(applyLog()).toEqual([]);
  await submitEdit(ep, vipEdit(50, { allowUnknownVersion: true }));
  expect(vips(configOnFw()).has("pfhatest00050")).toBe(true);
});

test("no secret in the apply log, the revision or the system log", async () => {
  await submitEdit(ep, vipEdit(60));
  const logs = await onFw("cat /var/log/pfha-lab/apply.log; cat /var/log/system.log 2>/dev/null; ls /cf/conf/backup");
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
