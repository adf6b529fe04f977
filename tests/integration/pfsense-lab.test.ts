// The lab's firewalls (PFHA_LAB_ID) run pfSense's own code (PFHA_PFSENSE_VERSION: 2.7.2 or 24.1) from a source tree
// (PFHA_PFSENSE_SRC, else ../shared/upstream/…), over stand-ins for what cannot run on Linux: the files are the
// tree's, pfSense's own functions drive the stood-in kernel (CARP election, pfsync0, carp.allow) that verify reads,
// pfSsh.php is the tree's, what pfSense ran is recorded without passwords, config_restore() answers as each tree does.
import { createHash } from "crypto";
import { existsSync, readFileSync } from "fs";
import * as path from "path";
import { labExec, loadInventory, type LabInventory, labSh } from "../../lab/inventory";
import { changesOf, labRecord, reseedFirewalls } from "../support/pfsense-lab";


jest.setTimeout(60000);

const VERSION = process.env.PFHA_PFSENSE_VERSION ?? "2.7.2";
const ON_24 = VERSION === "24.1";
const TREE = process.env.PFHA_PFSENSE_SRC ??
  path.join(__dirname, "..", "..", "..", "shared", "upstream", ON_24 ? "pfsense-24.1-master-2025-09-26" : "pfsense-2.7.2");
const SRC = existsSync(path.join(TREE, "src")) ? path.join(TREE, "src") : TREE;
const CARP_PASSWORD = "carp-S3cret-&<pw>";
const BUS = "/var/run/pfha-carp";
let inv: LabInventory;

const sh = (host: string, script: string): Promise<string> => labSh(inv, host, script);

/** PHP (stdin) run inside a host as `php` on pfSense: pfSense's include path, its extension's stand-ins loaded. */
async function php(host: string, body: string): Promise<string> {
  const r = await labExec(inv, host, "php", { stdin: `<?php\nerror_reporting(E_ALL & ~E_NOTICE & ~E_DEPRECATED & ~E_WARNING);\n${body}\n` });
  if (r.code !== 0) throw new Error(`${host}: php exit ${r.code}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

const sha = (b: Buffer | string): string => createHash("sha256").update(b).digest("hex");

/** The carp: line of a vhid in `ifconfig <if>` output, e.g. "MASTER vhid 7 advbase 1 advskew 0". */
async function carpLine(host: string, ifname: string, vhid: number): Promise<string | undefined> {
  const out = await sh(host, `ifconfig ${ifname}`);
  return out.split("\n").find((l) => l.startsWith("\tcarp: ") && l.includes(` vhid ${vhid} `))?.replace("\tcarp: ", "");
}

/** A LAN CARP VIP (vhid 7) written and applied the way Firewall > Virtual IPs does it (firewall_virtual_ip.php). */
function addLanVip(advskew: number): string {
  return `require_once("config.inc"); require_once("functions.inc"); require_once("interfaces.inc"); require_once("filter.inc");
$vip = array("mode" => "carp", "interface" => "lan", "vhid" => "7", "advskew" => "${advskew}", "advbase" => "1",
  "password" => ${JSON.stringify(CARP_PASSWORD)}, "uniqid" => "5f00000000007", "descr" => "LAN VIP", "type" => "single",
  "subnet_bits" => "24", "subnet" => "192.168.1.1");
config_set_path("virtualip/vip", array($vip));
write_config("add LAN CARP VIP");
interface_carp_configure($vip);
enable_carp();`;
}

beforeAll(() => {
  inv = loadInventory();
});

beforeEach(async () => {
  await reseedFirewalls(inv);
});

describe(`pfSense ${VERSION}'s own files`, () => {
  test("/etc/inc, the rc scripts, the webGUI, its includes and pfSsh.php are the tree's, byte for byte", async () => {
    for (const h of ["fw1", "fw2"]) {
      for (const f of ["etc/inc/config.lib.inc", "etc/inc/interfaces.inc", "etc/rc.filter_synchronize", "usr/local/www/xmlrpc.php",
        "usr/local/pfSense/include/www/firewall_virtual_ip.inc", "usr/local/sbin/pfSsh.php", "etc/version"]) {
        // (read inside the host: the tree is mounted in its mount namespace only)
        const inLab = (await sh(h, `sha256sum /${f}`)).split(" ")[0];
        const fromTree = readFileSync(path.join(SRC, f));
        // the 24.x tree's PHP 8.3 `static $x = <expr>;` lines are rewritten for PHP 8.2 in a private copy
        if (ON_24 && /static \$\w+ = /.test(fromTree.toString())) continue;
        expect(`${h}:${f} ${inLab}`).toBe(`${h}:${f} ${sha(fromTree)}`);
      }
      // nothing of the old hand-written imitations is left: every include is one of the tree's
      const incs = (await sh(h, "ls /etc/inc")).trim().split("\n");
      expect(incs.filter((f) => !existsSync(path.join(SRC, "etc", "inc", f)))).toEqual([]);
    }
    expect((await sh("fw1", "cat /etc/version")).trim()).toBe(ON_24 ? "2.9.0-DEVELOPMENT" : "2.7.2-RELEASE");
    expect((await php("fw1", `require_once("globals.inc"); echo $g["latest_config"];`)).trim()).toBe(ON_24 ? "24.1" : "23.3");
  });

  test("pfSsh.php (the tree's) runs PHP from stdin up to 'exec' with pfSense's includes loaded", async () => {
    const r = await labExec(inv, "fw1", "/usr/local/sbin/pfSsh.php", {
      stdin: 'echo "host=" . config_get_path("system/hostname") . " carp=" . (function_exists("interface_carp_configure") ? "yes" : "no") . "\\n";\nexec\nexit\n',
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("host=fw1 carp=yes");
  });

  test(`config_restore() answers as the ${VERSION} tree does: ${ON_24 ? "true / false" : "0 on success, 1 for a missing file"}`, async () => {
    const out = await php("fw1", `require_once("config.inc");
copy("/cf/conf/config.xml", "/tmp/pfha-restore.xml");
var_export(config_restore("/tmp/pfha-restore.xml", "test")); echo "|";
var_export(config_restore("/tmp/pfha-no-such-file.xml", "test"));
unlink("/tmp/pfha-restore.xml");`);
    expect(out).toBe(ON_24 ? "true|false" : "0|1");
  });
});

describe("the kernel stood in below pfSense's functions (what verify reads)", () => {
  test("skews 0/100: fw1 MASTER, fw2 BACKUP for the vhid, in FreeBSD's ifconfig format", async () => {
    await php("fw1", addLanVip(0));
    await php("fw2", addLanVip(100));
    expect(await carpLine("fw1", "vtnet1", 7)).toBe("MASTER vhid 7 advbase 1 advskew 0");
    expect(await carpLine("fw2", "vtnet1", 7)).toBe("BACKUP vhid 7 advbase 1 advskew 100");
    expect(await sh("fw1", "ifconfig vtnet1")).toContain("\tinet 192.168.1.1 netmask 0xffffff00 broadcast 192.168.1.255 vhid 7\n");
    expect((await sh("fw1", "sysctl -n net.inet.carp.allow")).trim()).toBe("1");
  });

  test("pfSense's persistent maintenance mode on fw1 makes fw2 MASTER (advskew 254); leaving it hands MASTER back", async () => {
    await php("fw1", addLanVip(0));
    await php("fw2", addLanVip(100));
    await php("fw1", `require_once("config.inc"); require_once("interfaces.inc"); interfaces_carp_set_maintenancemode(true);`);
    expect(await carpLine("fw1", "vtnet1", 7)).toBe("BACKUP vhid 7 advbase 1 advskew 254");
    expect(await carpLine("fw2", "vtnet1", 7)).toBe("MASTER vhid 7 advbase 1 advskew 100");
    await php("fw1", `require_once("config.inc"); require_once("interfaces.inc"); interfaces_carp_set_maintenancemode(false);`);
    expect(await carpLine("fw1", "vtnet1", 7)).toBe("MASTER vhid 7 advbase 1 advskew 0");
  });

  test("net.inet.carp.allow=0 puts the node in INIT and the peer takes over", async () => {
    await php("fw1", addLanVip(0));
    await php("fw2", addLanVip(100));
    await php("fw1", `require_once("util.inc"); set_single_sysctl("net.inet.carp.allow", "0");`);
    expect(await carpLine("fw1", "vtnet1", 7)).toBe("INIT vhid 7 advbase 1 advskew 0");
    expect(await carpLine("fw2", "vtnet1", 7)).toBe("MASTER vhid 7 advbase 1 advskew 100");
  });

  test("interface_vip_bring_down() removes the vhid; the peer becomes MASTER", async () => {
    await php("fw1", addLanVip(0));
    await php("fw2", addLanVip(100));
    await php("fw1", `require_once("config.inc"); require_once("interfaces.inc"); interface_vip_bring_down(config_get_path("virtualip/vip/0"));`);
    expect(await carpLine("fw1", "vtnet1", 7)).toBeUndefined();
    expect(await carpLine("fw2", "vtnet1", 7)).toBe("MASTER vhid 7 advbase 1 advskew 100");
  });

  test("interfaces_sync_setup() configures pfsync0 from hasync; pfctl -si reports pf enabled", async () => {
    await php("fw1", `require_once("config.inc"); require_once("interfaces.inc");
config_set_path("hasync", array("pfsyncenabled" => "on", "pfsyncinterface" => "opt1", "pfsyncpeerip" => "172.16.1.3"));
write_config("hasync"); interfaces_sync_setup();`);
    const ifc = await sh("fw1", "ifconfig pfsync0");
    expect(ifc).toMatch(/^pfsync0: flags=41<UP,RUNNING> /);
    expect(ifc).toContain("\tsyncdev: vtnet2 syncpeer: 172.16.1.3 ");
    expect(await sh("fw1", "pfctl -si")).toMatch(/^Status: Enabled /);
  });
});

describe("the record of what pfSense ran", () => {
  test("commands and extension calls in order, the CARP password never written anywhere", async () => {
    await php("fw1", addLanVip(0));
    expect(changesOf(labRecord(inv, "fw1"))).toEqual([
      "event filter sync",
      "ifconfig vtnet1 vhid 7 advskew 0 advbase 1 pass <redacted>",
      "ifconfig vtnet1 192.168.1.1/24 alias vhid 7",
    ]);
    const kept = await sh("fw1", `cat /var/log/pfha-lab/*.log ${BUS}/fw1.json`);
    expect(kept).not.toContain("S3cret");
  });

  test("an injected failure of an extension function throws into pfSense's code; 'once' clears itself", async () => {
    await sh("fw1", "mkdir -p /tmp/pfha-lab-fail && echo once > /tmp/pfha-lab-fail/pfSense_interface_setaddress");
    const first = await labExec(inv, "fw1", "php", { stdin: `<?php require_once("interfaces.inc"); pfSense_interface_setaddress("vtnet2", "10.9.9.1/24"); echo "set";` });
    expect(first.code).not.toBe(0);
    expect(first.stdout + first.stderr).toContain("pfha-lab: injected failure in pfSense_interface_setaddress()");
    expect(await php("fw1", `pfSense_interface_setaddress("vtnet2", "10.9.9.1/24"); echo "set";`)).toBe("set");
    expect(await sh("fw1", "ifconfig vtnet2")).toContain("inet 10.9.9.1 netmask 0xffffff00");
  });
});
