// verify's parsers against recorded real outputs (tests/fixtures/recorded/README.md says which are verbatim).
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { applyUnifiedDiff, unifiedDiff } from "../../providers/verify/line-diff";
import { carpStatuses, parseCarpLine, parseIfconfig } from "../../providers/verify/parse-ifconfig";
import { parseDumpPorts, parseVxlanPorts } from "../../providers/verify/parse-ovs";
import { parsePfctlInfo } from "../../providers/verify/parse-pfctl";
import { configSectionOf, firewallProbeScript, parseFirewallProbe, splitSections } from "../../providers/verify/probe";

const REC = path.join(__dirname, "..", "fixtures", "recorded");
const rec = (f: string) => fs.readFileSync(path.join(REC, f), "utf8");

describe("ifconfig", () => {
  test("MASTER block (verbatim): state, vhid, advbase/advskew, the VIP bound to the vhid, link status", () => {
    const r = parseIfconfig(rec("opnsense-1549-test1-vtnet0-master.txt"));
    expect(r.interfaces).toHaveLength(1);
    const i = r.interfaces[0];
    expect(i).toMatchObject({ name: "vtnet0", up: true, status: "active" });
    expect(i.carp).toEqual([{ state: "MASTER", vhid: 1, advbase: 1, advskew: 0 }]);
    expect(i.vhidAddresses).toEqual([{ address: "10.0.0.230", vhid: 1 }]);
    expect(r.pfsync).toBeUndefined();
  });

  test("MASTER on another driver (verbatim em0 block) with a /24 VIP", () => {
    const r = parseIfconfig(rec("opnsense-2780-em0-master.txt"));
    expect(carpStatuses(r)).toEqual([{ device: "em0", state: "MASTER", vhid: 2, advbase: 1, advskew: 0 }]);
    expect(r.interfaces[0].vhidAddresses).toEqual([{ address: "192.168.1.1", vhid: 2 }]);
  });

  test("MASTER and BACKUP status lines as `ifconfig | grep carp` prints them (verbatim)", () => {
    const fw1 = rec("opnsense-3671-fw1-carp-lines.txt").split("\n").filter(Boolean).map(parseCarpLine);
    const fw2 = rec("opnsense-3671-fw2-carp-lines.txt").split("\n").filter(Boolean).map(parseCarpLine);
    expect(fw1).toEqual([{ state: "MASTER", vhid: 3, advbase: 1, advskew: 0 }, { state: "MASTER", vhid: 1, advbase: 1, advskew: 0 }]);
    expect(fw2).toEqual([{ state: "BACKUP", vhid: 3, advbase: 1, advskew: 100 }, { state: "BACKUP", vhid: 1, advbase: 1, advskew: 100 }]);
    expect(parseCarpLine("\tcarp: BOGUS vhid 1 advbase 1 advskew 0")).toBeUndefined();
  });

  test("INIT with FreeBSD 14's peer line, no carrier", () => {
    const r = parseIfconfig(rec("freebsd14-init-vlan.assembled.txt"));
    expect(r.interfaces[0]).toMatchObject({ name: "igb1_vlan221", status: "no carrier" });
    expect(r.interfaces[0].carp).toEqual([{ state: "INIT", vhid: 3, advbase: 1, advskew: 0 }]);
  });

  test("split brain: both nodes' blocks say MASTER for the same vhid", () => {
    const a = carpStatuses(parseIfconfig(rec("opnsense-1549-test1-vtnet0-master.txt")));
    const b = carpStatuses(parseIfconfig(rec("opnsense-1549-test2-vtnet0-master.assembled.txt")));
    expect([a[0].state, b[0].state]).toEqual(["MASTER", "MASTER"]);
    expect([a[0].advskew, b[0].advskew]).toEqual([0, 10]);
  });

  test("pfsync0: FreeBSD 14 and older layouts, up flag, syncdev and syncpeer", () => {
    expect(parseIfconfig(rec("freebsd14-pfsync0.assembled.txt")).pfsync).toEqual({ up: true, syncdev: "vtnet2", syncpeer: "172.16.255.2" });
    expect(parseIfconfig(rec("freebsd12-pfsync0.assembled.txt")).pfsync).toEqual({ up: true, syncdev: "em2", syncpeer: "10.0.0.2" });
    expect(parseIfconfig("pfsync0: flags=0<> metric 0 mtu 1500\n\tgroups: pfsync\n").pfsync).toEqual({ up: false });
    expect(parseIfconfig("pfsync0: flags=0 metric 0 mtu 1500\n").pfsync).toEqual({ up: false });
  });

  test("several blocks: each carp line stays with its interface", () => {
    const text = rec("opnsense-2780-em0-master.txt") + rec("freebsd14-init-vlan.assembled.txt") + rec("freebsd14-pfsync0.assembled.txt");
    const r = parseIfconfig(text);
    expect(r.interfaces.map((i) => i.name)).toEqual(["em0", "igb1_vlan221", "pfsync0"]);
    expect(carpStatuses(r).map((s) => `${s.device}:${s.vhid}:${s.state}`)).toEqual(["em0:2:MASTER", "igb1_vlan221:3:INIT"]);
  });
});

describe("pfctl -s info", () => {
  test("enabled with 920 states (verbatim) and with 0 states (verbatim)", () => {
    expect(parsePfctlInfo(rec("monitorix-297-pfctl-si.txt"))).toEqual({ enabled: true, states: 920 });
    expect(parsePfctlInfo(rec("fail2ban-1924-pfctl-si.txt"))).toEqual({ enabled: true, states: 0 });
  });
  test("disabled", () => {
    expect(parsePfctlInfo(rec("fail2ban-1924-pfctl-si.txt").replace("Status: Enabled", "Status: Disabled")).enabled).toBe(false);
  });
});

describe("ovs", () => {
  test("VXLAN port with BFD up: bridge, key, remote, ofport, BFD status (recorded in the lab)", () => {
    const ports = parseVxlanPorts(rec("lab-ovs-interfaces-bfd-up.json"), rec("lab-ovs-bridges.json"), rec("lab-ovs-ports.json"));
    expect(ports).toEqual([
      expect.objectContaining({ name: "vxtest", bridge: "vmbrt", key: "4242", remoteIp: "10.250.7.12", ofport: 1, bfdEnabled: true, linkState: "up" }),
    ]);
    expect(ports[0].error).toBeUndefined();
    expect(ports[0].bfdStatus).toMatchObject({ state: "up", remote_state: "up", forwarding: "true" });
  });

  test("unrealised port (ofport -1 + error) and BFD down (recorded in the lab)", () => {
    const ports = parseVxlanPorts(rec("lab-ovs-interfaces-error-bfd-down.json"), rec("lab-ovs-bridges.json"), rec("lab-ovs-ports.json"));
    const bad = ports.find((p) => p.name === "vxbad");
    const dead = ports.find((p) => p.name === "vxdead");
    expect(bad).toMatchObject({ ofport: -1, error: "vxbad: vxlan type requires valid 'remote_ip' argument", bfdEnabled: false });
    expect(bad?.remoteIp).toBeUndefined();
    expect(dead).toMatchObject({ ofport: 1, bfdEnabled: true, bfdStatus: expect.objectContaining({ state: "down", remote_state: "down" }) });
    expect(dead?.bridge).toBeUndefined(); // not in the bridge table of the other recording
  });

  test("dump-ports counters per bridge and port (recorded in the lab)", () => {
    expect(parseDumpPorts(rec("lab-ofctl-dump-ports.txt"))).toEqual({
      vmbrt: { "1": { rxPackets: 647, txPackets: 1303 }, LOCAL: { rxPackets: 652, txPackets: 0 } },
    });
    expect(parseDumpPorts('bridge b\n  port  "vx1": rx pkts=3, bytes=1\n           tx pkts=4, bytes=2\n')).toEqual({ b: { vx1: { rxPackets: 3, txPackets: 4 } } });
  });
});

describe("probe output", () => {
  test("sections split by marker; config.xml bytes kept exactly (last section)", () => {
    const xml = '<?xml version="1.0"?>\n<pfsense>\n\t<version>23.3</version>\n\t<hasync>\n\t\t<synchronizetoip>172.16.255.2</synchronizetoip>\n\t</hasync>\n\t<virtualip_carp_maintenancemode></virtualip_carp_maintenancemode>\n</pfsense>\n';
    const stdout = `@@pfha ifconfig\n${rec("opnsense-2780-em0-master.txt")}@@pfha carp.allow\n1\n@@pfha pfctl\n${rec("fail2ban-1924-pfctl-si.txt")}@@pfha xmlrpc\nfail 172.16.255.2:443 Connection refused\n@@pfha config\n${xml}`;
    expect(Object.keys(splitSections(stdout))).toEqual(["ifconfig", "carp.allow", "pfctl", "xmlrpc", "config"]);
    expect(configSectionOf(stdout)).toBe(xml);
    const { observation, configXml } = parseFirewallProbe({ role: "primary", name: "fw1" }, stdout);
    expect(configXml).toBe(xml);
    expect(observation).toMatchObject({
      carpAllow: "1",
      pf: { enabled: true, states: 0 },
      config: { version: "23.3", maintenanceMode: true, checksumOffloadingDisabled: false, synchronizeToIp: "172.16.255.2" },
      xmlrpc: { target: "172.16.255.2:443", reachable: false, authenticated: false, detail: "unreachable: Connection refused" },
    });
    expect(observation.error).toBeUndefined();
  });

  test("the XMLRPC line: answered, credentials refused, unreachable", () => {
    const xmlrpcOf = (line: string) => parseFirewallProbe({ role: "primary", name: "fw1" },
      `@@pfha ifconfig\n${rec("opnsense-2780-em0-master.txt")}@@pfha carp.allow\n1\n@@pfha pfctl\n${rec("fail2ban-1924-pfctl-si.txt")}` +
      `@@pfha xmlrpc\n${line}\n@@pfha config\n<?xml version="1.0"?>\n<pfsense>\n\t<version>23.3</version>\n</pfsense>\n`).observation.xmlrpc;
    expect(xmlrpcOf("ok 172.16.1.3:80 2.7.2-RELEASE")).toEqual({ target: "172.16.1.3:80", reachable: true, authenticated: true, detail: "answered (2.7.2-RELEASE)" });
    expect(xmlrpcOf("auth 172.16.1.3:80 Authentication failed: Invalid username or password")).toEqual({
      target: "172.16.1.3:80", reachable: true, authenticated: false, detail: "refused the credentials: Authentication failed: Invalid username or password",
    });
    expect(xmlrpcOf("none")).toBeUndefined();
  });

  test("the firewall probe reads config.xml last and runs the XMLRPC check only when asked", () => {
    const p = firewallProbeScript({ xmlrpc: true });
    expect(p.trim().split("\n").pop()).toBe("echo '@@pfha config'; cat /cf/conf/config.xml");
    expect(p).toContain("host_firmware_version");
    expect(firewallProbeScript({ xmlrpc: false })).not.toContain("host_firmware_version");
  });

  test("a probe with no output is an error, not an empty pass", () => {
    expect(parseFirewallProbe({ role: "secondary", name: "fw2" }, "").observation.error).toMatch(/printed nothing/);
  });
});

describe("unified diff", () => {
  // Random line edits on a config-like text: output equals GNU diff -u's hunks, and applying it gives the new text.
  const lines = (n: number, seed: number) => Array.from({ length: n }, (_, i) => `\t<l${(i * 7 + seed) % 13}>${i % 5}</l>`);
  function mutate(a: string[], seed: number): string[] {
    const b = [...a];
    let s = seed;
    const rnd = (m: number) => ((s = (s * 1103515245 + 12345) % 2147483648), s % m);
    for (let k = 0; k < 6; k++) {
      const at = rnd(b.length + 1);
      const op = rnd(3);
      if (op === 0) b.splice(at, 0, `\t<new${k}>x</new${k}>`);
      else if (op === 1 && b.length) b.splice(Math.min(at, b.length - 1), 1);
      else if (b.length) b[Math.min(at, b.length - 1)] = `\t<chg${k}/>`;
    }
    return b;
  }
  // Made before the first test, not when the file loads: a filter (-t) that skips these tests runs no hook.
  let dir = "";
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "pfha-diff-"));
  });
  afterAll(() => {
    if (dir !== "") fs.rmSync(dir, { recursive: true, force: true });
  });
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    test(`random edit set ${seed}`, () => {
      const a = lines(40 + seed * 3, seed).join("\n") + "\n";
      const b = mutate(a.split("\n").slice(0, -1), seed).join("\n") + "\n";
      const mine = unifiedDiff(a, b, { from: "a", to: "b" });
      expect(applyUnifiedDiff(a, mine)).toBe(b);
      fs.writeFileSync(path.join(dir, "a"), a);
      fs.writeFileSync(path.join(dir, "b"), b);
      const gnu = spawnSync("diff", ["-u", "--label", "a", "--label", "b", "a", "b"], { cwd: dir, encoding: "utf8" }).stdout;
      // Both are minimal; the hunk ranges (which lines changed) must agree.
      const ranges = (d: string) => d.split("\n").filter((l) => l.startsWith("@@"));
      expect(ranges(mine)).toEqual(ranges(gnu));
    });
  }
  test("equal texts give an empty diff", () => {
    expect(unifiedDiff("a\nb\n", "a\nb\n", { from: "x", to: "y" })).toBe("");
  });
});
