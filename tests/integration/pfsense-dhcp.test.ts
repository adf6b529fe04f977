// DHCP on every network, on the lab's pfSense code (PFHA_LAB_ID; PFHA_PFSENSE_VERSION 2.7.2 or 24.1): a WAN/LAN/DMZ
// stack (pfsync over the LAN, the DMZ on opt1 = vtnet2) whose LAN serves DHCP without failover and whose DMZ serves it
// with failover, written to both firewalls through the providers' write protocol. The dhcpd.conf checked here is the
// one pfSense's own services_dhcpd_configure() generates from that config.xml; then a real XMLRPC sync
// (rc.filter_synchronize -> the secondary's xmlrpc.php) must leave the secondary exactly as the stack wrote it.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { firewallPlanOf, substituteSecrets } from "../../components/plan";
import { validateStackFile } from "../../config/load";
import type { ClusterConfig, FirewallRole } from "../../config/types";
import { hostPath, labExec, loadInventory, type LabInventory } from "../../lab/inventory";
import { parseConfigXml } from "../../providers/pfsense/codec";
import { getPath } from "../../providers/pfsense/codec-tree";
import { submitEdit } from "../../providers/pfsense/remote";
import { schemaOf } from "../../providers/pfsense/version";
import { closeAllHosts } from "../../providers/ssh";
import { applyPlanItem, renderFirewall } from "../../providers/verify/render";
import { haStateExpectationsOf } from "../../providers/verify/ha-state";
import { eventsSettled, labRecord, reseedFirewall, setAdminPassword } from "../support/pfsense-lab";

jest.setTimeout(120000);

const ROOT = path.join(__dirname, "..", "..");
const SECRETS = { carpPassword: "carp-Dhcp-S3cret", xmlrpcPassword: "xmlrpc-Dhcp-S3cret" };
const ROLES: FirewallRole[] = ["primary", "secondary"];
const HOSTS: Record<FirewallRole, string> = { primary: "fw1", secondary: "fw2" };
let inv: LabInventory;
let config: ClusterConfig;
let dir: string;
const conf: Record<string, string> = {};

async function sh(host: string, script: string): Promise<string> {
  const r = await labExec(inv, host, "sh", { stdin: script });
  if (r.code !== 0) throw new Error(`${host}: ${script}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** The stack: the dev stack's WAN and LAN, its SYNC network turned into a DMZ with a VIP (pfsync then runs over the LAN). */
function stackValues(): Record<string, unknown> {
  const doc = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
  doc.config["pfsense-ha:labInventory"] = path.join(inv.stateDir, "inventory.json");
  const cluster = doc.config["pfsense-ha:cluster"] as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  delete cluster.dhcp;
  cluster.networks.lan.dhcp = { rangeFrom: "172.16.10.100", rangeTo: "172.16.10.199" };
  delete cluster.networks.sync;
  cluster.networks.dmz = {
    bridge: "vmbr2", vxlan: { key: 1002, bfd: true }, subnet: "172.16.20.0/24",
    addresses: { primary: "172.16.20.2", secondary: "172.16.20.3" }, vip: { address: "172.16.20.1", vhid: 3 },
    dhcp: { rangeFrom: "172.16.20.100", rangeTo: "172.16.20.150", failover: true },
  };
  for (const role of ROLES) cluster.firewalls[role].interfaces = { wan: "vtnet0", lan: "vtnet1", dmz: "vtnet2" };
  return doc;
}

beforeAll(async () => {
  inv = loadInventory();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "pfha-dhcp-"));
  const file = path.join(dir, "Pulumi.dhcplab.yaml");
  fs.writeFileSync(file, YAML.stringify(stackValues()));
  const r = validateStackFile(file, { allowMissingSecrets: true });
  if (!r.config) throw new Error(JSON.stringify(r.problems));
  config = r.config;
  await reseedFirewall(inv, "fw1", "fw2");
  await reseedFirewall(inv, "fw2", "fw1");
  // Written with the secondary's factory admin password: the syncs the writes start are refused, so each node
  // holds exactly what the providers wrote; the last test runs the sync on purpose.
  await Promise.all(ROLES.map((role) => {
    const items = firewallPlanOf(config, config.name, role).map((i) => substituteSecrets(i, SECRETS));
    return submitEdit(config.firewalls[role].ssh, {
      label: `dhcp-test ${role}`,
      edit: (doc) => {
        const schema = schemaOf(doc);
        for (const i of items) applyPlanItem(doc, i, schema);
      },
      secrets: Object.values(SECRETS),
    });
  }));
  for (const role of ROLES) {
    await eventsSettled(inv, HOSTS[role], 60000);
    conf[role] = await sh(HOSTS[role], "cat /var/dhcpd/etc/dhcpd.conf");
  }
});

afterAll(async () => {
  await closeAllHosts();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The `subnet N netmask M { … }` block services.inc writes for one interface. */
function subnetBlock(text: string, net: string): string {
  const m = new RegExp(`^subnet ${net.replace(/\./g, "\\.")} netmask 255\\.255\\.255\\.0 \\{\\n([\\s\\S]*?)^\\}`, "m").exec(text);
  if (!m) throw new Error(`no subnet ${net} block in dhcpd.conf:\n${text}`);
  return m[1];
}

test("the config: LAN without failover, DMZ (opt1) with failover, on both firewalls as XMLRPC sync writes them", () => {
  expect(config.networks.map((n) => [n.role, n.pfsenseInterface, n.dhcp?.failover])).toEqual([["wan", "wan", undefined], ["lan", "lan", false], ["dmz", "opt1", true]]);
  expect(haStateExpectationsOf(config).dhcpPeers).toEqual(["dhcp_opt1"]);
});

describe("dhcpd.conf generated by pfSense's services_dhcpd_configure()", () => {
  test.each(ROLES)("%s: LAN without failover: no failover peer for it, the range, routers and DNS = the LAN VIP", (role) => {
    expect(conf[role]).not.toContain('failover peer "dhcp_lan"');
    const lan = subnetBlock(conf[role], "172.16.10.0");
    expect(lan).not.toMatch(/failover peer/);
    expect(lan).toMatch(/^\s*range 172\.16\.10\.100 172\.16\.10\.199;$/m);
    expect(lan).toMatch(/^\s*option routers 172\.16\.10\.1;$/m);
    expect(lan).toMatch(/^\s*option domain-name-servers 172\.16\.10\.1;$/m);
  });

  test.each(ROLES)("%s: DMZ (opt1) with failover: its own role, its own address, the other node as peer, the pool in failover", (role) => {
    const self = role === "primary" ? "172.16.20.2" : "172.16.20.3";
    const peer = role === "primary" ? "172.16.20.3" : "172.16.20.2";
    const m = /^failover peer "dhcp_opt1" \{\n([\s\S]*?)^\}/m.exec(conf[role]);
    expect(m).not.toBeNull();
    const decl = m![1].split("\n").map((l) => l.trim()).filter((l) => l !== "");
    expect(decl.slice(0, 6)).toEqual([
      `${role};`, `address ${self};`, `port ${role === "primary" ? 519 : 520};`, `peer address ${peer};`, `peer port ${role === "primary" ? 520 : 519};`, "max-response-delay 10;",
    ]);
    expect(decl.includes("split 128;")).toBe(role === "primary");
    const dmz = subnetBlock(conf[role], "172.16.20.0");
    expect(dmz).toMatch(/^\s*failover peer "dhcp_opt1";$/m);
    expect(dmz).toMatch(/^\s*range 172\.16\.20\.100 172\.16\.20\.150;$/m);
    expect(dmz).toMatch(/^\s*option routers 172\.16\.20\.1;$/m);
    expect(dmz).toMatch(/^\s*option domain-name-servers 172\.16\.20\.1;$/m);
  });

  test.each(ROLES)("%s: pfSense started dhcpd on both served interfaces (vtnet1 = LAN, vtnet2 = DMZ)", (role) => {
    const started = labRecord(inv, HOSTS[role]).filter((e) => e.cmd === "dhcpd").map((e) => (e.args ?? []).join(" "));
    expect(started.length).toBeGreaterThan(0);
    expect(started[started.length - 1]).toBe("-user dhcpd -group _dhcp -chroot /var/dhcpd -cf /etc/dhcpd.conf -pf /var/run/dhcpd.pid vtnet1 vtnet2");
  });

  // The lab runs no dhcpd (FreeBSD's is recorded only), but ISC's own dhcpd 4.4.3 (Debian isc-dhcp-server, the
  // release pfSense ships) reads the generated file: -t parses it exactly as the server would at start and serves nothing.
  test.each(ROLES)("%s: ISC dhcpd accepts the generated dhcpd.conf (dhcpd -t), and refuses it with the LAN range moved out of its subnet", (role) => {
    const file = hostPath(inv, HOSTS[role], "/var/dhcpd/etc/dhcpd.conf");
    const check = (cf: string) => spawnSync("/usr/sbin/dhcpd", ["-t", "-4", "-cf", cf], { encoding: "utf8" });
    const ok = check(file);
    expect({ status: ok.status, stderr: ok.status === 0 ? "" : ok.stderr }).toEqual({ status: 0, stderr: "" });
    const bad = path.join(dir, `bad-${role}.conf`);
    fs.writeFileSync(bad, conf[role].replace("range 172.16.10.100 172.16.10.199;", "range 172.16.11.100 172.16.11.199;"));
    const refused = check(bad);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/172\.16\.11\.100/);
  });
});

test("a real XMLRPC sync leaves the secondary exactly as the stack wrote it (render shows no difference on either node)", async () => {
  await setAdminPassword(inv, "fw2", SECRETS.xmlrpcPassword);
  await sh("fw1", "php -f /etc/rc.filter_synchronize >/dev/null 2>&1; true");
  for (const role of ROLES) {
    const xml = await sh(HOSTS[role], "cat /cf/conf/config.xml");
    expect(renderFirewall(config, role, xml, { secrets: SECRETS }).diff).toBe("");
  }
  const fw2 = parseConfigXml(await sh("fw2", "cat /cf/conf/config.xml"));
  expect(getPath(fw2.root, "revision/description")?.raw).toMatch(/XMLRPC/i);
  // the sync did write (xmlrpc.php restore_config_section): the secondary's peer is the primary's own DMZ address
  expect(getPath(fw2.root, "dhcpd/opt1/failover_peerip")?.raw).toBe("172.16.20.2");
  expect(getPath(fw2.root, "dhcpd/lan/failover_peerip")).toBeUndefined();
});
