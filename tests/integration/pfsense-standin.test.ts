// The pfSense stand-ins (lab/pfsense-standin/rootfs) inside the lab's fw1/fw2 (PFHA_LAB_ID, default 0): the PHP
// config codec against the factory config, write_config/config_restore file effects, the apply log, simulated
// CARP election as seen through /sbin/ifconfig and /sbin/sysctl, failure injection, and secrets kept out of logs.
import { readFileSync } from "fs";
import * as path from "path";
import { labExec, loadInventory, type LabInventory } from "../../lab/inventory";

jest.setTimeout(60000);

const FIXTURE = path.join(__dirname, "..", "fixtures", "pfsense-factory-config.xml");
const CARP_PASSWORD = "carp-S3cret-&<pw>";
const XMLRPC_PASSWORD = "xmlrpc-S3cret-9f2";
const BUS = "/var/run/pfha-carp";
let inv: LabInventory;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

// The script goes through stdin so the child always reads it before exiting: labExec's unconditional
// stdin.end("") raced fast-exiting commands (EPIPE) in this suite.
function shRun(host: string, script: string): Promise<Run> {
  return labExec(inv, host, "sh", { stdin: script });
}

async function sh(host: string, script: string): Promise<string> {
  const r = await shRun(host, script);
  if (r.code !== 0) throw new Error(`${host}: ${script}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** Run a PHP script (stdin) inside a host, like `pfSsh.php`/`php -f` on pfSense. */
function php(host: string, body: string): Promise<Run> {
  return labExec(inv, host, "php", { stdin: `<?php\n${body}\n` });
}

async function phpOk(host: string, body: string): Promise<string> {
  const r = await php(host, body);
  if (r.code !== 0) throw new Error(`${host}: php exit ${r.code}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

interface ApplyEntry {
  t: number;
  fn: string;
  args: unknown[];
  failed?: boolean;
}

async function applyLog(host: string): Promise<ApplyEntry[]> {
  const text = await sh(host, "cat /var/log/pfha-lab/apply.log 2>/dev/null || true");
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as ApplyEntry);
}

/** Back to the seeded first-boot state: fresh config, no cache, log, backups, injected failures or CARP. */
async function reseed(host: string, peer: string): Promise<void> {
  await sh(
    host,
    `rm -rf /cf/conf/config.xml /cf/conf/backup /tmp/config.cache /var/log/pfha-lab/apply.log /tmp/pfha-lab-fail/* ${BUS}/${host}.json` +
      ` && php /usr/local/share/pfha-lab/seed.php ${host} ${peer} >/dev/null`,
  );
}

/** The carp: line of a vhid in `ifconfig <if>` output, e.g. "MASTER vhid 7 advbase 1 advskew 0". */
async function carpLine(host: string, ifname: string, vhid: number): Promise<string | undefined> {
  const out = await sh(host, `ifconfig ${ifname}`);
  const m = out.split("\n").find((l) => l.startsWith(`\tcarp: `) && l.includes(` vhid ${vhid} `));
  return m?.replace("\tcarp: ", "");
}

/** PHP that adds a CARP VIP on LAN (vhid 7) with the given skew, writes the config and applies it like applyVIP(). */
function addLanVip(advskew: number): string {
  return `require_once("functions.inc");
$vip = array("mode" => "carp", "interface" => "lan", "vhid" => "7", "advskew" => "${advskew}", "advbase" => "1",
  "password" => ${JSON.stringify(CARP_PASSWORD)}, "uniqid" => "5f00000000007", "descr" => "LAN VIP", "type" => "single",
  "subnet_bits" => "24", "subnet" => "192.168.1.1");
config_set_path("virtualip/vip", array($vip));
write_config("add LAN CARP VIP");
interface_carp_configure($vip);
enable_carp();
filter_configure();
clear_subsystem_dirty("vip");`;
}

beforeAll(() => {
  inv = loadInventory();
});

beforeEach(async () => {
  await reseed("fw1", "fw2");
  await reseed("fw2", "fw1");
});

describe("config.xml codec (xmlparse.inc)", () => {
  test("the factory config parses and dumps back byte-identical except whitespace-only elements, which pfSense empties", async () => {
    const dumped = await phpOk(
      "fw1",
      `require_once("config.inc");
$c = parse_xml_config("/usr/local/share/pfha-lab/pfsense-factory-config.xml", "pfsense");
echo dump_xml_config($c, "pfsense");`,
    );
    const fixture = readFileSync(FIXTURE, "utf8");
    // pfSense trims "\\t\\n\\r" from character data, so <aliases>\n\t</aliases> comes back as <aliases></aliases>.
    const collapsed = fixture.replace(/<([a-z0-9_-]+)>\n\t*<\/\1>/g, "<$1></$1>");
    expect(collapsed).not.toBe(fixture);
    expect(dumped).toBe(collapsed);
  });

  test("a dumped config is a fixed point of parse → dump", async () => {
    const twice = await phpOk(
      "fw1",
      `require_once("config.inc");
$one = dump_xml_config(parse_xml_config("/cf/conf/config.xml", "pfsense"), "pfsense");
file_put_contents("/tmp/one.xml", $one);
$two = dump_xml_config(parse_xml_config("/tmp/one.xml", "pfsense"), "pfsense");
echo $one === $two ? "same" : "differs";`,
    );
    expect(twice).toBe("same");
  });

  test("CDATA + entities for descr/password prefixes, escaped text elsewhere, booleans, single list items", async () => {
    const out = await phpOk(
      "fw1",
      `require_once("config.inc");
$c = array("virtualip" => array("vip" => array(array("descr" => "A & B <c>", "subnet" => "10.0.0.1"))),
  "flag" => true, "off" => false, "note" => "x&y", "statetype" => "keep state");
$xml = dump_xml_config($c, "pfsense");
$back = parse_xml_config($xml, "pfsense", true);
echo json_encode(array("xml" => $xml, "back" => $back));`,
    );
    const { xml, back } = JSON.parse(out) as { xml: string; back: Record<string, unknown> };
    expect(xml.startsWith('<?xml version="1.0"?>\n<pfsense>\n\t<virtualip>\n\t\t<vip>\n')).toBe(true);
    expect(xml).toContain("\t\t\t<descr><![CDATA[A &amp; B &lt;c&gt;]]></descr>\n");
    expect(xml).toContain("\t<flag></flag>\n");
    expect(xml).not.toContain("<off>");
    expect(xml).toContain("\t<note>x&amp;y</note>\n");
    expect(xml).toContain("\t<statetype><![CDATA[keep state]]></statetype>\n");
    expect(back).toEqual({
      virtualip: { vip: [{ descr: "A & B <c>", subnet: "10.0.0.1" }] },
      flag: "",
      note: "x&y",
      statetype: "keep state",
    });
  });

  test("malformed XML and duplicate non-list elements are rejected (-1)", async () => {
    const out = await phpOk(
      "fw1",
      `require_once("config.inc");
echo json_encode(array(
  parse_xml_config("<pfsense><a>1</b></pfsense>", "pfsense", true),
  parse_xml_config("<pfsense><a>1</a><a>2</a></pfsense>", "pfsense", true),
  parse_xml_config("<other><a>1</a></other>", "pfsense", true),
  parse_xml_config("<pfsense><a>1</a>", "pfsense", true)));`,
    );
    expect(JSON.parse(out)).toEqual([-1, -1, -1, -1]);
  });
});

describe("write_config / config_restore (config.lib.inc)", () => {
  test("write_config backs up the old file, stamps a revision, drops the cache and logs", async () => {
    const before = await sh("fw1", "cat /cf/conf/config.xml");
    await phpOk("fw1", `require_once("config.inc"); parse_config(true);`); // creates /tmp/config.cache
    expect(await sh("fw1", "test -f /tmp/config.cache && echo yes")).toBe("yes\n");
    const start = Math.floor(Date.now() / 1000);
    await phpOk(
      "fw1",
      `require_once("config.inc"); config_set_path("system/domain", "lab.example"); write_config("change domain");`,
    );
    const backups = (await sh("fw1", "ls /cf/conf/backup")).split("\n").filter((f) => f.endsWith(".xml"));
    expect(backups).toHaveLength(1);
    expect(await sh("fw1", `cat /cf/conf/backup/${backups[0]}`)).toBe(before);
    expect(await sh("fw1", "test -e /tmp/config.cache && echo present || echo absent")).toBe("absent\n");
    const rev = JSON.parse(
      await phpOk("fw1", `require_once("config.inc"); echo json_encode(array(config_get_path("revision"), config_get_path("system/domain")));`),
    ) as [{ time: string; description: string; username: string }, string];
    expect(rev[1]).toBe("lab.example");
    expect(Number(rev[0].time)).toBeGreaterThanOrEqual(start);
    expect(rev[0].description).toBe("(system): change domain");
    expect(rev[0].username).toBe("(system)");
    const log = await applyLog("fw1");
    expect(log.filter((e) => e.fn === "write_config").map((e) => e.args)).toEqual([["change domain"]]);
    expect(log.some((e) => e.fn === "xmlrpc_sync")).toBe(false);
  });

  test("write_config records an XMLRPC sync only when hasync/synchronizetoip is set", async () => {
    await phpOk(
      "fw1",
      `require_once("config.inc");
config_set_path("hasync", array("pfsyncenabled" => "on", "synchronizetoip" => "172.16.1.3", "username" => "admin",
  "password" => ${JSON.stringify(XMLRPC_PASSWORD)}));
write_config("hasync");`,
    );
    const log = await applyLog("fw1");
    expect(log.filter((e) => e.fn === "xmlrpc_sync").map((e) => e.args)).toEqual([["172.16.1.3"]]);
  });

  test("config_restore installs a valid file (backup, canonical rewrite, cache purge) and returns true", async () => {
    await sh(
      "fw1",
      "sed 's#<hostname>fw1</hostname>#<hostname>restored</hostname>#' /cf/conf/config.xml > /tmp/new.xml",
    );
    const out = await phpOk("fw1", `require_once("config.inc"); var_export(config_restore("/tmp/new.xml", "lab restore"));`);
    expect(out).toBe("true");
    expect(await sh("fw1", "grep -c '<hostname>restored</hostname>' /cf/conf/config.xml")).toBe("1\n");
    expect(await sh("fw1", "test -e /tmp/config.cache && echo present || echo absent")).toBe("absent\n");
    expect(Number(await sh("fw1", "ls /cf/conf/backup/*.xml | wc -l"))).toBeGreaterThanOrEqual(1);
    const log = await applyLog("fw1");
    expect(log.map((e) => e.fn)).toEqual(expect.arrayContaining(["config_restore", "write_config"]));
    expect(log.find((e) => e.fn === "config_restore")?.args).toEqual(["/tmp/new.xml", "lab restore"]);
  });

  test("config_restore rejects a broken file and one without a <pfsense> root, leaving config.xml untouched", async () => {
    const before = await sh("fw1", "cat /cf/conf/config.xml");
    await sh("fw1", "head -c 2000 /cf/conf/config.xml > /tmp/broken.xml; printf '<?xml version=\"1.0\"?>\\n<opnsense><a>1</a></opnsense>\\n' > /tmp/other.xml");
    const out = await phpOk(
      "fw1",
      `require_once("config.inc"); echo json_encode(array(config_restore("/tmp/broken.xml", "x"), config_restore("/tmp/other.xml", "x"), config_restore("/tmp/missing.xml", "x")));`,
    );
    expect(JSON.parse(out)).toEqual([false, false, false]);
    expect(await sh("fw1", "cat /cf/conf/config.xml")).toBe(before);
  });
});

describe("CARP simulation (ifconfig / sysctl over the bus)", () => {
  async function bothWithVip(): Promise<void> {
    await phpOk("fw1", addLanVip(0));
    await phpOk("fw2", addLanVip(100));
  }

  test("skews 0/100: fw1 MASTER, fw2 BACKUP for the vhid, in FreeBSD's ifconfig format", async () => {
    await bothWithVip();
    expect(await carpLine("fw1", "vtnet1", 7)).toBe("MASTER vhid 7 advbase 1 advskew 0");
    expect(await carpLine("fw2", "vtnet1", 7)).toBe("BACKUP vhid 7 advbase 1 advskew 100");
    const out = await sh("fw1", "ifconfig vtnet1");
    expect(out.split("\n")[0]).toBe("vtnet1: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500");
    expect(out).toContain("\tinet 192.168.1.2 netmask 0xffffff00 broadcast 192.168.1.255\n");
    expect(out).toContain("\tinet 192.168.1.1 netmask 0xffffff00 broadcast 192.168.1.255 vhid 7\n");
    expect(await sh("fw1", "ifconfig -a | grep -c 'carp: '")).toBe("1\n");
  });

  test("persistent maintenance mode on fw1 makes fw2 MASTER (fw1 advskew 254); leaving it hands MASTER back", async () => {
    await bothWithVip();
    await phpOk("fw1", `require_once("functions.inc"); interfaces_carp_set_maintenancemode(true);`);
    expect(await carpLine("fw1", "vtnet1", 7)).toBe("BACKUP vhid 7 advbase 1 advskew 254");
    expect(await carpLine("fw2", "vtnet1", 7)).toBe("MASTER vhid 7 advbase 1 advskew 100");
    expect(await sh("fw1", "grep -c '<virtualip_carp_maintenancemode></virtualip_carp_maintenancemode>' /cf/conf/config.xml")).toBe("1\n");
    await phpOk("fw1", `require_once("functions.inc"); interfaces_carp_set_maintenancemode(false);`);
    expect(await carpLine("fw1", "vtnet1", 7)).toBe("MASTER vhid 7 advbase 1 advskew 0");
    expect(await carpLine("fw2", "vtnet1", 7)).toBe("BACKUP vhid 7 advbase 1 advskew 100");
  });

  test("sysctl net.inet.carp.allow=0 puts the node in INIT and the peer takes over", async () => {
    await bothWithVip();
    expect(await sh("fw1", "sysctl -n net.inet.carp.allow")).toBe("1\n");
    await sh("fw1", "sysctl net.inet.carp.allow=0");
    expect(await sh("fw1", "sysctl net.inet.carp.allow")).toBe("net.inet.carp.allow: 0\n");
    expect(await carpLine("fw1", "vtnet1", 7)).toBe("INIT vhid 7 advbase 1 advskew 0");
    expect(await carpLine("fw2", "vtnet1", 7)).toBe("MASTER vhid 7 advbase 1 advskew 100");
    await phpOk("fw1", `require_once("functions.inc"); enable_carp();`);
    expect(await carpLine("fw1", "vtnet1", 7)).toBe("MASTER vhid 7 advbase 1 advskew 0");
  });

  test("interface_vip_bring_down removes the vhid; the peer becomes MASTER", async () => {
    await bothWithVip();
    await phpOk("fw1", `require_once("functions.inc"); foreach (config_get_path("virtualip/vip") as $v) { interface_vip_bring_down($v); }`);
    expect(await carpLine("fw1", "vtnet1", 7)).toBeUndefined();
    expect(await carpLine("fw2", "vtnet1", 7)).toBe("MASTER vhid 7 advbase 1 advskew 100");
  });

  test("interfaces_sync_setup configures pfsync0 from hasync", async () => {
    await phpOk(
      "fw1",
      `require_once("functions.inc");
config_set_path("interfaces/opt1/ipaddr", "172.16.1.2"); config_set_path("interfaces/opt1/subnet", "24");
config_set_path("hasync", array("pfsyncenabled" => "on", "pfsyncinterface" => "opt1", "pfsyncpeerip" => "172.16.1.3"));
write_config("pfsync"); interfaces_sync_setup();`,
    );
    const out = await sh("fw1", "ifconfig pfsync0");
    expect(out).toContain("pfsync0: flags=41<UP,RUNNING> metric 0 mtu 1500\n");
    expect(out).toContain("\tsyncdev: vtnet2 syncpeer: 172.16.1.3 maxupd: 128 defer: off\n");
    expect(out).toContain("\tsyncok: 1\n");
  });
});

describe("shell entry points", () => {
  test("pfSsh.php runs PHP from stdin up to 'exec' with the pfSense includes loaded", async () => {
    const r = await labExec(inv, "fw1", "/usr/local/sbin/pfSsh.php", {
      stdin: 'echo config_get_path("system/hostname"), "|", get_real_interface("opt1"), "\\n";\nexec\necho "not run";\n',
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("fw1|vtnet2\n");
  });

  test("pfctl -sr shows what the last filter_configure_sync() loaded; unsupported flags fail loudly", async () => {
    await phpOk("fw1", `require_once("functions.inc"); filter_configure_sync();`);
    expect(await sh("fw1", "pfctl -sr")).toContain('descr "Default allow LAN to any rule"');
    const r = await shRun("fw1", "pfctl -F all");
    expect(r.code).toBe(1);
  });
});

describe("failure injection and secrets", () => {
  test("/tmp/pfha-lab-fail/<fn> makes that function throw (or return false) and is logged as failed", async () => {
    await sh("fw1", "mkdir -p /tmp/pfha-lab-fail && touch /tmp/pfha-lab-fail/filter_configure_sync /tmp/pfha-lab-fail/write_config");
    const before = await sh("fw1", "cat /cf/conf/config.xml");
    const thrown = await php("fw1", `require_once("functions.inc"); filter_configure_sync();`);
    expect(thrown.code).not.toBe(0);
    expect(thrown.stdout + thrown.stderr).toContain("injected failure in filter_configure_sync()");
    const ret = await phpOk("fw1", `require_once("config.inc"); config_set_path("system/domain", "x.example"); var_export(write_config("x"));`);
    expect(ret).toBe("false");
    expect(await sh("fw1", "cat /cf/conf/config.xml")).toBe(before);
    const failed = (await applyLog("fw1")).filter((e) => e.failed === true).map((e) => e.fn);
    expect(failed).toEqual(["filter_configure_sync", "write_config"]);
    await sh("fw1", "rm /tmp/pfha-lab-fail/filter_configure_sync");
    expect((await php("fw1", `require_once("functions.inc"); filter_configure_sync();`)).code).toBe(0);
  });

  test("no CARP or XMLRPC password in the apply log, the CARP bus or ifconfig's record of setter calls", async () => {
    await phpOk("fw1", addLanVip(0));
    await phpOk(
      "fw1",
      `require_once("functions.inc");
config_set_path("hasync", array("pfsyncenabled" => "on", "pfsyncinterface" => "opt1", "synchronizetoip" => "172.16.1.3",
  "username" => "admin", "password" => ${JSON.stringify(XMLRPC_PASSWORD)}));
write_config("hasync"); interfaces_sync_setup(); interfaces_carp_set_maintenancemode(true);`,
    );
    await sh("fw1", `ifconfig vtnet1 vhid 7 advskew 0 advbase 1 pass '${CARP_PASSWORD}'`);
    const logged = await sh("fw1", `cat /var/log/pfha-lab/apply.log ${BUS}/fw1.json`);
    expect(logged).toContain('"fn":"interface_carp_configure"');
    expect(logged).toContain('"fn":"ifconfig"');
    for (const secret of [CARP_PASSWORD, XMLRPC_PASSWORD, "S3cret"]) expect(logged).not.toContain(secret);
  });
});
