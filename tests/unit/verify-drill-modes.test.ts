// The drill's fault modes and client probe, pure: qm commands, NIC property edits, the takeover rule per mode, the
// probe's script and the parsing of iputils ping / TCP lines into loss, longest gap and session outcome.
import { validateValues } from "../../config/load";
import { expectationsOf } from "../../providers/verify/desired";
import {
  clientEndpointOf, isLinkDown, nicKeyOf, nicValueOf, parseDrillMode, parseQmStatus, parseTcpTarget, primaryVmIdOf, qm, takenOver, withLinkDown,
} from "../../providers/verify/drill-modes";
import { parseProbeOutput, probeScript, validateProbeSpec } from "../../providers/verify/drill-probe";
import { parseIfconfig } from "../../providers/verify/parse-ifconfig";
import { TOPOLOGY_DIR, topologyValues } from "../fixtures/topologies";

const r = validateValues(topologyValues("wan-lan-sync"), TOPOLOGY_DIR);
if (!r.config) throw new Error("fixture");
const config = r.config;
const vips = expectationsOf(config).vips;

function carp(role: "primary" | "secondary", states: string[]) {
  return parseIfconfig(vips.map((v, i) =>
    `${v.device[role]}: flags=8843<UP,BROADCAST,RUNNING,SIMPLEX,MULTICAST> metric 0 mtu 1500\n\tcarp: ${states[i]} vhid ${v.vhid} advbase 1 advskew ${role === "primary" ? 0 : 100}\n`).join(""));
}

test("modes: maintenance by default, unknown ones refused with the list", () => {
  expect(parseDrillMode(undefined)).toBe("maintenance");
  expect(parseDrillMode("poweroff")).toBe("poweroff");
  expect(parseDrillMode("reboot")).toEqual({ error: '--mode "reboot" is not a drill mode: use one of maintenance, carp-disable, interface-down, poweroff' });
});

test("the primary's VM id: --vmid, else the config; vm none without --vmid names the flag", () => {
  expect(primaryVmIdOf(config, "105")).toBe(105);
  expect(primaryVmIdOf(config, "10x")).toEqual({ error: expect.stringContaining("--vmid \"10x\" is invalid") });
  const none = { ...config, firewalls: { ...config.firewalls, primary: { ...config.firewalls.primary, vm: { mode: "none" as const } } } };
  expect(primaryVmIdOf(none, undefined)).toEqual({ error: expect.stringMatching(/^firewalls\.primary\.vm is none, .* give it with --vmid N/) });
  const adopt = { ...config, firewalls: { ...config.firewalls, primary: { ...config.firewalls.primary, vm: { mode: "adopt" as const, vmId: 201, sizing: { cores: 2, memoryMb: 2048, diskGb: 16, datastore: "local-lvm" } } } } };
  expect(primaryVmIdOf(adopt, undefined)).toBe(201);
});

test("NIC per network in NIC order (wan net0, lan net1, sync net2)", () => {
  expect(nicKeyOf(config, "wan")).toBe("net0");
  expect(nicKeyOf(config, "lan")).toBe("net1");
  expect(nicKeyOf(config, "sync")).toBe("net2");
  expect(nicKeyOf(config, "dmz")).toEqual({ error: '--network "dmz" is not a network of this stack: use one of wan, lan, sync' });
});

test("qm commands, quoted; status and NIC properties parsed from qm's own output format", () => {
  expect(qm.stop(105)).toBe("qm stop 105");
  expect(qm.setNic(105, "net1", "virtio=BC:24:11:5E:00:01,bridge=vmbr1,link_down=1")).toBe("qm set 105 --net1 virtio=BC:24:11:5E:00:01,bridge=vmbr1,link_down=1");
  expect(parseQmStatus("status: running\n")).toBe("running");
  expect(parseQmStatus("status: stopped\n")).toBe("stopped");
  const cfg = "boot: order=scsi0\ncores: 2\nname: fw1\nnet0: virtio=BC:24:11:5E:00:00,bridge=vmbr0,firewall=0\nnet1: virtio=BC:24:11:5E:00:01,bridge=vmbr1,firewall=0\nscsi0: local-lvm:vm-105-disk-0,size=16G\n";
  expect(nicValueOf(cfg, "net1")).toBe("virtio=BC:24:11:5E:00:01,bridge=vmbr1,firewall=0");
  expect(nicValueOf(cfg, "net2")).toEqual({ error: 'the VM has no net2 (qm config printed no "net2:" line): check --vmid and --network' });
  expect(nicValueOf("net1: virtio=x;reboot\n", "net1")).toEqual({ error: expect.stringContaining("not a Proxmox NIC property string") });
  expect(withLinkDown("virtio=BC:24:11:5E:00:01,bridge=vmbr1,firewall=0", true)).toBe("virtio=BC:24:11:5E:00:01,bridge=vmbr1,firewall=0,link_down=1");
  expect(withLinkDown("virtio=BC:24:11:5E:00:01,link_down=1,bridge=vmbr1", false)).toBe("virtio=BC:24:11:5E:00:01,bridge=vmbr1");
  expect(isLinkDown("virtio=BC:24:11:5E:00:01,bridge=vmbr1,link_down=1")).toBe(true);
  expect(isLinkDown("virtio=BC:24:11:5E:00:01,bridge=vmbr1,link_down=0")).toBe(false);
});

test("taken over: the secondary MASTER everywhere; the primary BACKUP in maintenance mode, INIT or unread otherwise", () => {
  const secondaryMaster = carp("secondary", ["MASTER", "MASTER"]);
  expect(takenOver("maintenance", vips, { primary: carp("primary", ["BACKUP", "BACKUP"]), secondary: secondaryMaster })).toBe(true);
  expect(takenOver("maintenance", vips, { primary: carp("primary", ["INIT", "BACKUP"]), secondary: secondaryMaster })).toBe(false);
  expect(takenOver("carp-disable", vips, { primary: carp("primary", ["INIT", "INIT"]), secondary: secondaryMaster })).toBe(true);
  expect(takenOver("carp-disable", vips, { primary: carp("primary", ["INIT", "MASTER"]), secondary: secondaryMaster })).toBe(false); // split brain
  expect(takenOver("poweroff", vips, { secondary: secondaryMaster })).toBe(true);
  expect(takenOver("poweroff", vips, { secondary: carp("secondary", ["MASTER", "BACKUP"]) })).toBe(false);
  expect(takenOver("interface-down", vips, { primary: carp("primary", ["INIT", "BACKUP"]), secondary: secondaryMaster })).toBe(true);
});

test("probe client: a stack node, or USER@HOST with a pinned host key and a key", () => {
  expect(clientEndpointOf(config, config.proxmox.nodes[0].name, { agent: false })).toBe(config.proxmox.nodes[0].ssh);
  const key = "SHA256:" + "A".repeat(43);
  expect(clientEndpointOf(config, "root@172.16.10.50:2222", { hostKey: key, keyPath: "/k", agent: false })).toEqual({ host: "172.16.10.50", port: 2222, username: "root", hostKeySha256: key, privateKeyPath: "/k" });
  expect(clientEndpointOf(config, "root@172.16.10.50", { agent: false })).toEqual({ error: expect.stringMatching(/^--client-host-key is required/) });
  expect(clientEndpointOf(config, "root@172.16.10.50", { hostKey: key, agent: false })).toEqual({ error: "--client USER@HOST needs --client-key PATH or an ssh-agent (SSH_AUTH_SOCK)" });
  expect(clientEndpointOf(config, "root@host;reboot", { hostKey: key, agent: true })).toEqual({ error: expect.stringContaining("nor USER@HOST[:PORT]") });
  expect(parseTcpTarget("192.0.2.80:80")).toEqual({ host: "192.0.2.80", port: 80 });
  expect(parseTcpTarget("web:80")).toEqual({ error: expect.stringContaining("give ADDRESS:PORT") });
});

test("probe script: validated inputs only, quoted; ping at the interval with timestamps and no-answer lines", () => {
  const spec = { pingTarget: "192.0.2.1", tcp: { host: "192.0.2.80", port: 80 }, intervalMs: 50, tcpIntervalMs: 500, maxS: 120, token: "abc1" };
  const s = probeScript(spec);
  expect(s).toContain("ping -n -D -O -i 0.050 -W 1 -w 120 192.0.2.1 ");
  expect(s).toContain("exec 3<>/dev/tcp/192.0.2.80/80");
  expect(s).toContain("stop=/tmp/pfha-drill-probe-abc1.stop\n");
  expect(validateProbeSpec({ ...spec, pingTarget: "192.0.2.1; reboot" })).toMatch(/^--ping .* is not an IPv4 address/);
  expect(validateProbeSpec({ ...spec, intervalMs: 20 })).toBe("--interval 20 is invalid: use 50-1000 ms");
  expect(() => probeScript({ ...spec, token: "../x" })).toThrow(/token/);
});

// iputils ping 20221126 with -D -O (line formats as it prints them), 20 replies, 10 unanswered, 10 replies.
function pingLines(): string {
  const out = ["PING 192.0.2.1 (192.0.2.1) 56(84) bytes of data."];
  for (let seq = 1; seq <= 40; seq++) {
    const t = (1000 + seq * 0.05).toFixed(6);
    if (seq > 20 && seq <= 30) out.push(`[${t}] no answer yet for icmp_seq=${seq}`);
    else out.push(`[${t}] 64 bytes from 192.0.2.1: icmp_seq=${seq} ttl=63 time=0.412 ms`);
  }
  out.push("", "--- 192.0.2.1 ping statistics ---", "40 packets transmitted, 30 received, 25% packet loss, time 1950ms");
  return out.join("\n");
}

test("probe output: loss from ping's summary, longest gap between replies, TCP session held", () => {
  const out = ["@@probe start 1000.000000", "@@probe stop 1002.100000", "@@probe ping", pingLines(),
    "@@probe tcp", "connected 1000.010000", "ok 1000.020000", "ok 1000.600000", "ok 1001.700000", "ok 1002.050000", "held 1002.200000", ""].join("\n");
  expect(parseProbeOutput(out, "192.0.2.1", true)).toEqual({
    pingTarget: "192.0.2.1",
    windowMs: 2100,
    sent: 40,
    received: 30,
    lost: 10,
    longestGapMs: 550, // reply 20 at 1001.000, reply 31 at 1001.550
    tcp: { outcome: "survived", answered: 4, longestGapMs: 1100 },
  });
});

test("probe output: a session that stopped answering is broken; no connection; the server's announced close", () => {
  const head = ["@@probe start 1000.000000", "@@probe stop 1002.100000", "@@probe ping", pingLines(), "@@probe tcp"];
  const broken = parseProbeOutput([...head, "connected 1000.01", "ok 1000.02", "ok 1000.5", "fail 1001.9 no reply within 30 s", ""].join("\n"), "192.0.2.1", true);
  expect(broken.tcp).toEqual({ outcome: "broken", answered: 2, longestGapMs: 1400, detail: "no reply within 30 s after 2 answers" });
  expect(parseProbeOutput([...head, "fail 1000.01 connect", ""].join("\n"), "192.0.2.1", true).tcp).toEqual({ outcome: "not-connected", answered: 0, longestGapMs: 0, detail: "connect" });
  expect(parseProbeOutput([...head, "connected 1000.01", "ok 1000.02", "closed 1000.5", ""].join("\n"), "192.0.2.1", true).tcp.outcome).toBe("closed-by-server");
  expect(parseProbeOutput([...head, ""].join("\n"), "192.0.2.1", false).tcp.outcome).toBe("not-probed");
  expect(parseProbeOutput([...head, "connected 1000.01", "ok 1000.02", ""].join("\n"), "192.0.2.1", true).tcp)
    .toEqual({ outcome: "broken", answered: 1, longestGapMs: 2080, detail: "the probe's TCP loop ended without a verdict after 1 answers" });
  expect(() => parseProbeOutput("bash: ping: command not found\n", "192.0.2.1", false)).toThrow(/the probe did not finish/);
});
