// evaluate(): each failure case turns exactly the named checks red, with a next step; a healthy pair is all green.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { validateValues } from "../../config/load";
import type { ClusterConfig, FirewallRole } from "../../config/types";
import { expectationsOf, type VerifyExpectations } from "../../providers/verify/desired";
import { evaluate, type Check } from "../../providers/verify/evaluate";
import type { FirewallObservation, NodeObservation, Observations } from "../../providers/verify/observations";
import { parseIfconfig } from "../../providers/verify/parse-ifconfig";
import type { VxlanPort } from "../../providers/verify/parse-ovs";
import { firewallProbeScript, mtuPingCommand, parseMtuPings, parsePveFirewall, splitSections } from "../../providers/verify/probe";
import { TOPOLOGY_DIR, topologyValues } from "../fixtures/topologies";

function load(): ClusterConfig {
  const r = validateValues(topologyValues("wan-lan-sync"), TOPOLOGY_DIR);
  if (!r.config) throw new Error(JSON.stringify(r.problems));
  return r.config;
}

const c = load();
const e: VerifyExpectations = expectationsOf(c);
const OTHER: Record<FirewallRole, FirewallRole> = { primary: "secondary", secondary: "primary" };

/** FreeBSD ifconfig text for a firewall: one block per VIP device with the given carp states, plus pfsync0. */
function ifconfigText(role: FirewallRole, state: (vhid: number) => string | undefined): string {
  const blocks = e.vips.map((v) => {
    const s = state(v.vhid);
    return `${v.device[role]}: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500\n` +
      (s ? `\tinet ${v.address} netmask 0xffffff00 broadcast 255.255.255.255 vhid ${v.vhid}\n\tcarp: ${s} vhid ${v.vhid} advbase 1 advskew ${role === "primary" ? 0 : 100}\n` : "") +
      "\tstatus: active\n";
  });
  const f = e.firewalls[role];
  blocks.push(`pfsync0: flags=41<UP,RUNNING> metric 0 mtu 1500\n\tsyncdev: ${f.syncDevice} syncpeer: ${f.syncPeer} maxupd: 128 defer: off version: 1400\n\tsyncok: 1\n`);
  return blocks.join("");
}

function firewall(role: FirewallRole, state = (_v: number): string | undefined => (role === "primary" ? "MASTER" : "BACKUP")): FirewallObservation {
  const o: FirewallObservation = {
    role,
    name: c.firewalls[role].name,
    ifconfig: parseIfconfig(ifconfigText(role, state)),
    carpAllow: "1",
    config: { version: "24.0", maintenanceMode: false, checksumOffloadingDisabled: true },
    pf: { enabled: true, states: 42 },
  };
  if (role === "primary") {
    o.config = { version: "24.0", maintenanceMode: false, checksumOffloadingDisabled: true, synchronizeToIp: e.xmlrpcTarget };
    o.xmlrpc = { target: `${e.xmlrpcTarget}:443`, reachable: true, authenticated: true, detail: "answered (2.7.2-RELEASE)" };
    o.mtuPings = [
      { network: "lan", size: 1472, address: "172.16.10.3", ok: true, detail: "2 packets transmitted, 2 packets received, 0.0% packet loss" },
      { network: "sync", size: 8922, address: "172.16.255.2", ok: true, detail: "2 packets transmitted, 2 packets received, 0.0% packet loss" },
    ];
  }
  return o;
}

function node(name: string): NodeObservation {
  const t = e.tunnels;
  const peers = t[0].nodes.find((n) => n.node === name)?.peers ?? [];
  let ofport = 1;
  const ports: VxlanPort[] = t.flatMap((tn) => peers.map((p) => ({
    name: `vx-${tn.network}-${p.name}`, bridge: tn.bridge, key: String(tn.key), remoteIp: p.address, ofport: ofport++,
    bfdEnabled: tn.bfd, bfdStatus: (tn.bfd ? { state: "up", remote_state: "up", forwarding: "true" } : {}) as Record<string, string>, linkState: "up",
  })));
  const sample = (n: number) => Object.fromEntries(t.map((tn) => [tn.bridge, Object.fromEntries(ports.filter((p) => p.bridge === tn.bridge).map((p) => [String(p.ofport), { rxPackets: n, txPackets: n }]))]));
  return { node: name, ports, counters: [sample(10), sample(15)], windowMs: 2000 };
}

function healthy(): Observations {
  return {
    firewalls: { primary: firewall("primary"), secondary: firewall("secondary") },
    nodes: c.proxmox.nodes.map((n) => node(n.name)),
    drift: { primary: { lines: [] }, secondary: { lines: [] } },
  };
}

const fails = (checks: Check[]) => checks.filter((x) => x.status === "fail").map((x) => `${x.check} @ ${x.node}`).sort();
const lan = e.vips.find((v) => v.network === "lan");

test("the topology has what the cases need: 2 VIPs, LAN VXLAN without BFD, SYNC VXLAN with BFD", () => {
  expect(e.vips.map((v) => v.vhid)).toEqual([1, 2]);
  expect(e.tunnels.map((t) => [t.network, t.bfd, t.carriesCarp])).toEqual([["lan", false, true], ["sync", true, false]]);
});

test("a healthy pair: no failure; the idle SYNC tunnel's counters and the BFD-less LAN peer are not failures", () => {
  const checks = evaluate(e, healthy());
  expect(fails(checks)).toEqual([]);
  expect(checks.filter((x) => x.status === "warn").map((x) => `${x.check} @ ${x.node}`).sort()).toEqual([
    "vxlan lan key 1001 -> pve1 peer @ pve2",
    "vxlan lan key 1001 -> pve2 peer @ pve1",
  ]);
  expect(checks.every((x) => x.status === "pass" || x.hint)).toBe(true);
});

test("split brain: both MASTER on vhid 2 fails the secondary's check and the exactly-one-MASTER check", () => {
  const o = healthy();
  o.firewalls.secondary = firewall("secondary", (v) => (v === 2 ? "MASTER" : "BACKUP"));
  const checks = evaluate(e, o);
  expect(fails(checks)).toEqual(["carp vhid 2 lan 172.16.10.1 @ fw2 (secondary)", "carp vhid 2 lan 172.16.10.1 exactly one MASTER @ cluster"]);
  expect(checks.find((x) => x.check.endsWith("exactly one MASTER") && x.status === "fail")?.hint).toMatch(/split brain/);
});

test("VHID missing on the secondary: absent, with `pulumi up` as the next step", () => {
  const o = healthy();
  o.firewalls.secondary = firewall("secondary", (v) => (v === 1 ? undefined : "BACKUP"));
  const checks = evaluate(e, o);
  expect(fails(checks)).toEqual(["carp vhid 1 wan 198.51.100.10 @ fw2 (secondary)", "carp vhid 1 wan 198.51.100.10 exactly one MASTER @ cluster"]);
  const c1 = checks.find((x) => x.check === "carp vhid 1 wan 198.51.100.10" && x.node === "fw2 (secondary)");
  expect(c1?.found).toBe("absent");
  expect(c1?.hint).toMatch(/pulumi up/);
});

test("wrong holder: secondary MASTER and primary BACKUP everywhere (each node's check fails, one MASTER per VHID holds)", () => {
  const o = healthy();
  o.firewalls.primary = firewall("primary", () => "BACKUP");
  o.firewalls.secondary = firewall("secondary", () => "MASTER");
  const checks = evaluate(e, o);
  expect(fails(checks)).toEqual([
    "carp vhid 1 wan 198.51.100.10 @ fw1 (primary)", "carp vhid 1 wan 198.51.100.10 @ fw2 (secondary)",
    "carp vhid 2 lan 172.16.10.1 @ fw1 (primary)", "carp vhid 2 lan 172.16.10.1 @ fw2 (secondary)",
  ]);
  expect(checks.find((x) => x.node === "fw1 (primary)" && x.status === "fail")?.hint).toMatch(/maintenance mode/);
});

test("INIT (carp.allow=0) on the primary", () => {
  const o = healthy();
  o.firewalls.primary = { ...firewall("primary", () => "INIT"), carpAllow: "0" };
  o.firewalls.secondary = firewall("secondary", () => "MASTER");
  const checks = evaluate(e, o);
  expect(fails(checks)).toContain("net.inet.carp.allow @ fw1 (primary)");
  expect(checks.find((x) => x.check === `carp vhid ${lan?.vhid} lan ${lan?.address}` && x.node === "fw1 (primary)")?.hint).toMatch(/INIT/);
});

test("config version mismatch", () => {
  const o = healthy();
  o.firewalls.secondary.config = { version: "23.3", maintenanceMode: false, checksumOffloadingDisabled: true };
  expect(fails(evaluate(e, o))).toEqual(["config.xml <version> @ cluster"]);
});

test("pfsync peer wrong and maintenance mode left on", () => {
  const o = healthy();
  const ps = o.firewalls.primary.ifconfig?.pfsync;
  if (ps) ps.syncpeer = "172.16.255.9";
  o.firewalls.primary.config = { ...o.firewalls.primary.config, maintenanceMode: true } as FirewallObservation["config"];
  expect(fails(evaluate(e, o))).toEqual(["carp maintenance mode @ fw1 (primary)", "pfsync @ fw1 (primary)"]);
});

test("states not synced: the secondary has almost none of the primary's pf states", () => {
  const o = healthy();
  o.firewalls.primary.pf = { enabled: true, states: 920 };
  o.firewalls.secondary.pf = { enabled: true, states: 3 };
  const checks = evaluate(e, o);
  expect(fails(checks)).toEqual(["pf states synced @ cluster"]);
  expect(checks.find((x) => x.check === "pf states synced")?.found).toBe("fw1=920, fw2=3");
  o.firewalls.secondary.pf = { enabled: true, states: 900 };
  expect(fails(evaluate(e, o))).toEqual([]);
});

test("XMLRPC target unreachable", () => {
  const o = healthy();
  o.firewalls.primary.xmlrpc = { target: `${e.xmlrpcTarget}:443`, reachable: false, authenticated: false, detail: "unreachable: Connection refused" };
  const checks = evaluate(e, o);
  expect(fails(checks)).toEqual(["xmlrpc sync @ fw1 (primary)"]);
  expect(checks.find((c) => c.check === "xmlrpc sync")?.hint).toMatch(/^the primary cannot reach 172\.16\.\d+\.\d+:443: allow the webGUI port/);
});

test("XMLRPC credentials refused by the secondary: the hint names the password to fix", () => {
  const o = healthy();
  o.firewalls.primary.xmlrpc = { target: `${e.xmlrpcTarget}:443`, reachable: true, authenticated: false, detail: "refused the credentials: Authentication failed: Invalid username or password" };
  const checks = evaluate(e, o);
  expect(fails(checks)).toEqual(["xmlrpc sync @ fw1 (primary)"]);
  expect(checks.find((c) => c.check === "xmlrpc sync")?.hint).toMatch(/^the secondary refused the primary's XMLRPC credentials: pfsense-ha:xmlrpcPassword must be/);
});

test("XMLRPC client on another port than the sync rule allows (the primary's webGUI moved to 8443)", () => {
  const o = healthy();
  o.firewalls.primary.xmlrpc = { target: `${e.xmlrpcTarget}:8443`, reachable: true, authenticated: true, detail: "answered (2.7.2-RELEASE)" };
  const checks = evaluate(e, o);
  expect(fails(checks)).toEqual(["xmlrpc port @ fw1 (primary)"]);
  expect(checks.find((x) => x.check === "xmlrpc port")?.hint).toBe(
    "the primary's XMLRPC client connects to its webGUI port 8443, but the sync rule allows 443: set pfsense-ha:cluster.hasync.webguiPort to 8443 and run `pulumi up`",
  );
});

test("VXLAN port with an error (ofport -1) fails `realised` with vswitchd's message in the next step", () => {
  const o = healthy();
  const p = o.nodes[0].ports[0];
  p.ofport = -1;
  p.error = "could not add network device vxdup to ofproto (File exists)";
  const checks = evaluate(e, o);
  expect(fails(checks)).toContain(`vxlan lan key 1001 -> pve2 realised @ pve1`);
  expect(checks.find((x) => x.check === "vxlan lan key 1001 -> pve2 realised")?.hint).toMatch(/File exists/);
});

test("BFD down on the SYNC tunnel: the peer check fails, link_state up does not save it", () => {
  const o = healthy();
  const p = o.nodes[1].ports.find((x) => x.key === "1002");
  if (!p) throw new Error("fixture");
  p.bfdStatus = { state: "down", remote_state: "down", forwarding: "false", diagnostic: "Control Detection Time Expired" };
  p.linkState = "up";
  expect(fails(evaluate(e, o))).toEqual(["vxlan sync key 1002 -> pve1 peer (BFD) @ pve2"]);
});

test("counters not moving on a network that carries CARP advertisements fail; an unreachable node fails its checks", () => {
  const o = healthy();
  o.nodes[0].counters[1] = o.nodes[0].counters[0];
  expect(fails(evaluate(e, o))).toEqual(["vxlan lan key 1001 -> pve2 traffic @ pve1", "vxlan sync key 1002 -> pve2 traffic @ pve1"]);
  const o2 = healthy();
  o2.nodes[1] = { ...o2.nodes[1], error: "connect ECONNREFUSED" };
  expect(fails(evaluate(e, o2))).toEqual(["vxlan lan reachable @ pve2", "vxlan sync reachable @ pve2"]);
});

test("drift: lines still to change fail the desired-state check", () => {
  const o = healthy();
  o.drift = { primary: { lines: ["-\t\t<advskew>0</advskew>", "+\t\t<advskew>10</advskew>"] }, secondary: { lines: [] } };
  const checks = evaluate(e, o);
  expect(fails(checks)).toEqual(["desired state @ fw1 (primary)"]);
  expect(checks.find((x) => x.check === "desired state" && x.status === "fail")?.hint).toMatch(/render/);
});

test("an unreachable firewall fails `reachable` and is left out of the per-node CARP checks", () => {
  const o = healthy();
  o.firewalls[OTHER.primary] = { role: "secondary", name: "fw2", error: "connect ETIMEDOUT" };
  expect(fails(evaluate(e, o))).toEqual(["reachable @ fw2 (secondary)"]);
});

test("VirtIO NICs with checksum offloading on fail on that firewall, with the setting and the reboot as the next step; other NICs are not checked", () => {
  const o = healthy();
  o.firewalls.secondary.config = { ...o.firewalls.secondary.config, checksumOffloadingDisabled: false } as FirewallObservation["config"];
  const checks = evaluate(e, o);
  expect(fails(checks)).toEqual(["checksum offloading (VirtIO) @ fw2 (secondary)"]);
  expect(checks.find((x) => x.check === "checksum offloading (VirtIO)" && x.status === "fail")).toMatchObject({
    expected: "disabled", found: "enabled", hint: expect.stringMatching(/System > Advanced > Networking > Disable hardware checksum offload \(then reboot fw2/),
  });
  const igb: VerifyExpectations = { ...e, firewalls: { primary: { ...e.firewalls.primary, virtio: false }, secondary: { ...e.firewalls.secondary, virtio: false } } };
  expect(evaluate(igb, o).some((x) => x.check === "checksum offloading (VirtIO)")).toBe(false);
});

describe("MTU end to end: a don't-fragment ping at each stretched network's MTU, from the primary to the secondary", () => {
  test("only the VXLAN networks are probed, at their MTU (lan set to 1500, sync = underlay 9000 - 50)", () => {
    expect(e.mtuPaths).toEqual([
      { network: "lan", bridge: "vmbr1", mtu: 1500, address: "172.16.10.3" },
      { network: "sync", bridge: "vmbr2", mtu: 8950, address: "172.16.255.2" },
    ]);
  });

  test("the command is FreeBSD's ping with DF set and payload = MTU - 28, every value quoted; bad values are refused", () => {
    expect(mtuPingCommand({ network: "sync", size: 8922, address: "172.16.255.2" })).toBe("/sbin/ping -D -c 2 -t 2 -s 8922 172.16.255.2");
    expect(() => mtuPingCommand({ network: "lan", size: 1472, address: "1.2.3.4; reboot" })).toThrow(/mtu ping lan: "1.2.3.4; reboot" is not an IP address/);
    expect(() => mtuPingCommand({ network: "lan", size: 70000, address: "172.16.10.3" })).toThrow(/size 70000 is invalid/);
  });

  test("the pings start first, all at once in the background, each into its own file; their sections print them in order after the other reads", () => {
    const script = firewallProbeScript({
      xmlrpc: false,
      mtuPings: [{ network: "lan", size: 1472, address: "172.16.10.3" }, { network: "sync", size: 8922, address: "172.16.255.2" }],
    });
    expect(script).toBe([
      `if pfha_pings=$(mktemp -d /tmp/pfha-verify.XXXXXX); then trap 'rm -rf "$pfha_pings"' EXIT`,
      `{ /sbin/ping -D -c 2 -t 2 -s 1472 172.16.10.3; echo "pfha:rc $?"; } > "$pfha_pings/0" 2>&1 &`,
      `{ /sbin/ping -D -c 2 -t 2 -s 8922 172.16.255.2; echo "pfha:rc $?"; } > "$pfha_pings/1" 2>&1 &`,
      "else pfha_pings=; fi",
      "echo '@@pfha ifconfig'; /sbin/ifconfig -a 2>&1",
      "echo '@@pfha carp.allow'; /sbin/sysctl -n net.inet.carp.allow 2>&1",
      "echo '@@pfha pfctl'; /sbin/pfctl -si 2>&1",
      "echo '@@pfha states'; /sbin/pfctl -ss 2>/dev/null",
      "wait",
      `echo '@@pfha mtu lan 1472 172.16.10.3'; if [ -n "$pfha_pings" ]; then cat "$pfha_pings/0"; else echo 'ping: not run: mktemp -d in /tmp failed'; fi`,
      `echo '@@pfha mtu sync 8922 172.16.255.2'; if [ -n "$pfha_pings" ]; then cat "$pfha_pings/1"; else echo 'ping: not run: mktemp -d in /tmp failed'; fi`,
      "echo '@@pfha config'; cat /cf/conf/config.xml",
      "",
    ].join("\n"));
    // without pings: no folder, no background job
    expect(firewallProbeScript({ xmlrpc: false })).not.toMatch(/mktemp|wait|&$/m);
  });

  test("the script under a real sh: the pings' output in order; with no folder (mktemp fails) each MTU check fails saying so, the other reads go on", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pfha-probe-"));
    try {
      // ping and mktemp stood in on PATH (the script calls /sbin/ping: rewritten to the stand-in)
      fs.writeFileSync(path.join(dir, "ping"), '#!/bin/sh\nsleep 0.3\necho "2 packets transmitted, 2 packets received, 0.0% packet loss to $8"\n', { mode: 0o755 });
      const script = firewallProbeScript({ xmlrpc: false, mtuPings: [{ network: "lan", size: 1472, address: "172.16.10.3" }, { network: "sync", size: 8922, address: "172.16.255.2" }] })
        .replace(/\/sbin\/ping/g, path.join(dir, "ping")).replace(/^echo '@@pfha (ifconfig|carp.allow|pfctl|states|config)'.*$/gm, "echo '@@pfha $1'; echo x");
      const run = (env: NodeJS.ProcessEnv) => spawnSync("sh", ["-c", script], { encoding: "utf8", env: { ...process.env, ...env } });
      const ok = run({});
      expect(parseMtuPings(splitSections(ok.stdout))).toEqual([
        { network: "lan", size: 1472, address: "172.16.10.3", ok: true, detail: "2 packets transmitted, 2 packets received, 0.0% packet loss to 172.16.10.3" },
        { network: "sync", size: 8922, address: "172.16.255.2", ok: true, detail: "2 packets transmitted, 2 packets received, 0.0% packet loss to 172.16.255.2" },
      ]);
      expect(fs.readdirSync("/tmp").filter((f) => f.startsWith("pfha-verify.")).length).toBe(0); // removed on exit
      fs.writeFileSync(path.join(dir, "mktemp"), "#!/bin/sh\necho 'mktemp: No space left on device' >&2\nexit 1\n", { mode: 0o755 });
      const full = run({ PATH: `${dir}:${process.env.PATH}` });
      expect(Object.keys(splitSections(full.stdout))).toEqual(["ifconfig", "carp.allow", "pfctl", "states", "mtu lan 1472 172.16.10.3", "mtu sync 8922 172.16.255.2", "config"]);
      expect(parseMtuPings(splitSections(full.stdout)).map((p) => [p.network, p.ok, p.detail])).toEqual([
        ["lan", false, "ping: not run: mktemp -d in /tmp failed"],
        ["sync", false, "ping: not run: mktemp -d in /tmp failed"],
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("ping's output parses into one result per network: the summary when it replied, the error when it did not", () => {
    const out = [
      "@@pfha mtu lan 1472 172.16.10.3",
      "PING 172.16.10.3 (172.16.10.3): 1472 data bytes",
      "1480 bytes from 172.16.10.3: icmp_seq=0 ttl=64 time=0.412 ms",
      "1480 bytes from 172.16.10.3: icmp_seq=1 ttl=64 time=0.388 ms",
      "",
      "--- 172.16.10.3 ping statistics ---",
      "2 packets transmitted, 2 packets received, 0.0% packet loss",
      "round-trip min/avg/max/stddev = 0.388/0.400/0.412/0.012 ms",
      "pfha:rc 0",
      "@@pfha mtu sync 8922 172.16.255.2",
      "PING 172.16.255.2 (172.16.255.2): 8922 data bytes",
      "ping: sendto: Message too long",
      "",
      "--- 172.16.255.2 ping statistics ---",
      "2 packets transmitted, 0 packets received, 100.0% packet loss",
      "pfha:rc 2",
    ].join("\n");
    expect(parseMtuPings(splitSections(out))).toEqual([
      { network: "lan", size: 1472, address: "172.16.10.3", ok: true, detail: "2 packets transmitted, 2 packets received, 0.0% packet loss" },
      { network: "sync", size: 8922, address: "172.16.255.2", ok: false, detail: "ping: sendto: Message too long" },
    ]);
  });

  test("a healthy pair passes one mtu check per stretched network", () => {
    const checks = evaluate(e, healthy()).filter((x) => x.check.startsWith("mtu "));
    expect(checks.map((x) => [x.check, x.node, x.status])).toEqual([["mtu lan", "fw1 (primary)", "pass"], ["mtu sync", "fw1 (primary)", "pass"]]);
  });

  test("jumbo frames dropped on the sync path fail exactly that check, naming the size and the hops to fix", () => {
    const o = healthy();
    o.firewalls.primary.mtuPings = [
      { network: "lan", size: 1472, address: "172.16.10.3", ok: true, detail: "2 packets transmitted, 2 packets received, 0.0% packet loss" },
      { network: "sync", size: 8922, address: "172.16.255.2", ok: false, detail: "2 packets transmitted, 0 packets received, 100.0% packet loss" },
    ];
    const checks = evaluate(e, o);
    expect(fails(checks)).toEqual(["mtu sync @ fw1 (primary)"]);
    const f = checks.find((x) => x.check === "mtu sync");
    expect(f?.found).toBe("frames of 8950 bytes do not cross sync: the path MTU is lower (2 packets transmitted, 0 packets received, 100.0% packet loss)");
    expect(f?.hint).toMatch(/mtu 8950 on the VM's network device/);
    expect(f?.hint).toMatch(/bridge vmbr2/);
    expect(f?.hint).toMatch(/underlay between the nodes at 9000 or more/);
  });

  test("no ping result for a network fails it as not probed", () => {
    const o = healthy();
    delete o.firewalls.primary.mtuPings;
    expect(fails(evaluate(e, o))).toEqual(["mtu lan @ fw1 (primary)", "mtu sync @ fw1 (primary)"]);
  });
});

describe("Proxmox firewall on a node: VXLAN's UDP port must be open between the underlay addresses", () => {
  test("on when pve-firewall says enabled/running or cluster.fw's [OPTIONS] says enable: 1; off otherwise", () => {
    expect(parsePveFirewall("Status: enabled/running\npfha:cluster.fw\n")).toEqual({ enabled: true, detail: "pve-firewall status: enabled/running" });
    expect(parsePveFirewall("pfha:cluster.fw\n[OPTIONS]\n\nenable: 1\n\n[RULES]\nIN SSH(ACCEPT) -i vmbr0\n"))
      .toEqual({ enabled: true, detail: "/etc/pve/firewall/cluster.fw enable: 1" });
    expect(parsePveFirewall("Status: disabled/running\npfha:cluster.fw\n[OPTIONS]\nenable: 0\n")).toEqual({ enabled: false, detail: "pve-firewall status: disabled/running" });
    expect(parsePveFirewall("pfha:cluster.fw\n")).toEqual({ enabled: false, detail: "off" });
  });

  test("a node with the firewall on gets a warning (not a failure) with the rule per peer; a node with it off gets nothing", () => {
    const o = healthy();
    o.nodes[0].pveFirewall = { enabled: true, detail: "/etc/pve/firewall/cluster.fw enable: 1" };
    o.nodes[1].pveFirewall = { enabled: false, detail: "off" };
    const checks = evaluate(e, o);
    expect(fails(checks)).toEqual([]);
    const w = checks.filter((x) => x.check === "proxmox firewall");
    expect(w).toEqual([{
      check: "proxmox firewall",
      node: "pve1",
      expected: "UDP 4789 open from pve2 10.10.0.12",
      found: "on (/etc/pve/firewall/cluster.fw enable: 1)",
      status: "warn",
      hint: "VXLAN needs UDP 4789 open between the underlay addresses: in Datacenter > Firewall add `IN ACCEPT -p udp -dport 4789 -source 10.10.0.12` (verify cannot read whether such a rule exists)",
    }]);
  });
});
