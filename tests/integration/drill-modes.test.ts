// The drill's fault modes and its client probe on the lab (PFHA_LAB_ID): carp-disable through the firewall's
// sysctl, interface-down and poweroff through `qm` on the primary's Proxmox node (a stand-in: the lab has no QEMU;
// this test plays the VM's reaction: a stopped VM or a NIC link-down stops the firewall's CARP advertisements, a
// stopped VM also loses its network), and a real ping + HTTP keep-alive session from pve1 to a server on pve2.
import { spawn, spawnSync, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { ClusterConfig } from "../../config/types";
import { hostPath, loadInventory, type LabInventory, labSh } from "../../lab/inventory";
import { closeAllHosts } from "../../providers/ssh";
import { runDrill, type DrillProbeOptions } from "../../providers/verify/drill";
import { verifyCluster } from "../../providers/verify/run";
import { waitFor } from "../support/async";
import { ConvergedPair, LAB_SECRETS, labStack, ROOT } from "../support/ha-lab";

jest.setTimeout(90000);

const VMID = 105;
const QM_DIR = "/var/lib/pfha-lab-qm";
const HTTP_PORT = 18080;
const NICS = ["net0: virtio=BC:24:11:5E:00:00,bridge=vmbr0,firewall=0", "net1: virtio=BC:24:11:5E:00:01,bridge=vmbr1,firewall=0", "net2: virtio=BC:24:11:5E:00:02,bridge=vmbr2,firewall=0"];
const QM_CONF = ["boot: order=scsi0", "cores: 2", "memory: 2048", "name: fw1", ...NICS, "scsi0: local-lvm:vm-105-disk-0,size=16G"].join("\n") + "\n";

let inv: LabInventory;
let config: ClusterConfig;
let stackFile: string;
let stackDir: string;
let pair: ConvergedPair;
let server: ChildProcess | undefined;

/**
 * The VM's side of `qm`, played by the test: stopped -> the firewall's network is gone and it advertises nothing;
 * a NIC link-down -> CARP demotion of every VHID (FreeBSD demotes all VHIDs when a CARP interface loses its link;
 * the lab's CARP stand-in can only express "advertises nothing", net.inet.carp.allow=0); running again after a
 * 1 s "boot" -> network back, advertising.
 */
class LabHypervisor {
  private timer?: NodeJS.Timeout;
  private state = { running: true, linkDown: false };
  private busy = false;
  reacts = true;

  start(): void {
    fs.mkdirSync(hostPath(inv, "pve1", QM_DIR), { recursive: true });
    fs.writeFileSync(hostPath(inv, "pve1", `${QM_DIR}/${VMID}.conf`), QM_CONF + "status: running\n");
    fs.writeFileSync(hostPath(inv, "pve1", `${QM_DIR}/calls.log`), "");
    fs.copyFileSync(path.join(ROOT, "tests", "fixtures", "lab", "qm"), hostPath(inv, "pve1", "/usr/local/sbin/qm"));
    fs.chmodSync(hostPath(inv, "pve1", "/usr/local/sbin/qm"), 0o755);
    this.timer = setInterval(() => void this.tick(), 50);
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await waitFor(() => !this.busy, 10000, 20);
    await this.apply({ running: true, linkDown: false });
  }

  calls(): string[] {
    return fs.readFileSync(hostPath(inv, "pve1", `${QM_DIR}/calls.log`), "utf8").split("\n").filter(Boolean);
  }

  conf(): string {
    return fs.readFileSync(hostPath(inv, "pve1", `${QM_DIR}/${VMID}.conf`), "utf8");
  }

  private async tick(): Promise<void> {
    if (this.busy || !this.reacts) return;
    this.busy = true;
    try {
      const text = this.conf();
      const next = { running: /^status: running$/m.test(text), linkDown: /link_down=1/.test(text) };
      if (next.running && !this.state.running) await new Promise((r) => setTimeout(r, 1000)); // boot
      await this.apply(next);
    } finally {
      this.busy = false;
    }
  }

  private async apply(next: { running: boolean; linkDown: boolean }): Promise<void> {
    const netns = inv.hosts.fw1.netns;
    if (next.running !== this.state.running) spawnSync("ip", ["netns", "exec", netns, "ip", "link", "set", "eth0", next.running ? "up" : "down"]);
    const advertise = next.running && !next.linkDown;
    if (advertise !== (this.state.running && !this.state.linkDown)) await labSh(inv, "fw1", `sysctl net.inet.carp.allow=${advertise ? 1 : 0} >/dev/null`);
    this.state = next;
  }
}

let hv: LabHypervisor;

function probe(): DrillProbeOptions {
  const target = inv.hosts.pve2.address;
  return { client: config.proxmox.nodes[0].ssh, spec: { pingTarget: target, tcp: { host: target, port: HTTP_PORT }, intervalMs: 50, tcpIntervalMs: 200 }, settleMs: 500 };
}

async function failedChecks(): Promise<string[]> {
  const { checks } = await verifyCluster(config, { windowS: 1, secrets: LAB_SECRETS });
  return checks.filter((c) => c.status === "fail").map((c) => `${c.check} @ ${c.node}: ${c.found}`);
}

async function carpAllow(host: string): Promise<string> {
  return (await labSh(inv, host, "sysctl -n net.inet.carp.allow")).trim();
}

beforeAll(async () => {
  inv = loadInventory();
  ({ file: stackFile, dir: stackDir, config } = labStack(inv, "drilllab"));
  pair = new ConvergedPair(inv, config);
  await pair.up();
  server = spawn("ip", ["netns", "exec", inv.hosts.pve2.netns, "/usr/bin/python3", path.join(ROOT, "tests", "fixtures", "lab", "http-keepalive.py"), inv.hosts.pve2.address, String(HTTP_PORT)], { stdio: "ignore" });
  await waitFor(() => spawnSync("ip", ["netns", "exec", inv.hosts.pve1.netns, "bash", "-c", `exec 3<>/dev/tcp/${inv.hosts.pve2.address}/${HTTP_PORT}`]).status === 0, 10000);
  hv = new LabHypervisor();
  hv.start();
});

afterAll(async () => {
  await hv?.stop();
  if (server?.pid) process.kill(server.pid, "SIGTERM");
  await closeAllHosts();
  await pair?.down();
  if (stackDir) fs.rmSync(stackDir, { recursive: true, force: true });
});

test("carp-disable: sysctl net.inet.carp.allow=0 on the primary, takeover, =1, failback; the probe saw no loss and kept its session", async () => {
  const out = await runDrill(config, { mode: "carp-disable", timeoutS: 10, holdS: 1, probe: probe() });
  expect(out.error).toBeUndefined();
  expect(out).toMatchObject({ mode: "carp-disable", restored: true, interrupted: false });
  // measured from the first change to MASTER on every VHID: after it, within the drill's 10 s limit
  expect(out.times?.takeoverMs).toBeGreaterThan(0);
  expect(out.times?.takeoverMs).toBeLessThan(10_000);
  expect(out.times?.failbackMs).toBeGreaterThan(0);
  expect(out.times?.failbackMs).toBeLessThan(10_000);
  expect(out.probeError).toBeUndefined();
  expect(out.probe?.lost).toBe(0);
  expect(out.probe?.sent).toBeGreaterThan(20); // about 3 s at 50 ms
  expect(out.probe?.tcp.outcome).toBe("survived");
  expect(await carpAllow("fw1")).toBe("1");
  expect(await failedChecks()).toEqual([]);
});

test("interface-down: qm set --net1 ...,link_down=1 on the primary's node, then the NIC's properties exactly as they were", async () => {
  const before = hv.conf();
  const out = await runDrill(config, { mode: "interface-down", vmId: VMID, nic: "net1", timeoutS: 10 });
  expect(out.error).toBeUndefined();
  expect(out).toMatchObject({ restored: true });
  expect(out.times?.takeoverMs).toBeGreaterThan(0);
  const sets = hv.calls().filter((c) => c.startsWith("set "));
  expect(sets.slice(-2)).toEqual([
    "set 105 --net1 virtio=BC:24:11:5E:00:01,bridge=vmbr1,firewall=0,link_down=1",
    "set 105 --net1 virtio=BC:24:11:5E:00:01,bridge=vmbr1,firewall=0",
  ]);
  expect(hv.conf()).toBe(before);
  expect(await failedChecks()).toEqual([]);
});

test("poweroff: qm stop, the secondary takes over while the primary is unreachable, qm start, failback after the boot", async () => {
  const progress: string[] = [];
  const out = await runDrill(config, { mode: "poweroff", vmId: VMID, timeoutS: 10, bootTimeoutS: 30, probe: probe(), progress: (l) => progress.push(l) });
  expect(out.error).toBeUndefined();
  expect(out).toMatchObject({ mode: "poweroff", restored: true });
  expect(out.times?.failbackMs).toBeGreaterThanOrEqual(1000); // the stand-in VM "boots" for 1 s
  expect(hv.calls().filter((c) => /^(stop|start) /.test(c)).slice(-2)).toEqual(["stop 105", "start 105"]);
  expect(hv.conf()).toMatch(/^status: running$/m);
  expect(out.probe?.tcp.outcome).toBe("survived");
  expect(await failedChecks()).toEqual([]);
});

test("a drill that fails mid-way (the secondary never takes over) still restores: the NIC is linked up again", async () => {
  const before = hv.conf();
  hv.reacts = false; // the VM ignores its NIC going down: no failover
  try {
    const out = await runDrill(config, { mode: "interface-down", vmId: VMID, nic: "net0", timeoutS: 2 });
    expect(out.error).toMatch(/^fw2 MASTER on every VHID did not happen within 2 s \(last: vhid 1: primary not read, secondary BACKUP/);
    expect(out.restored).toBe(true);
    expect(hv.calls().filter((c) => c.startsWith("set ")).slice(-2)).toEqual([
      "set 105 --net0 virtio=BC:24:11:5E:00:00,bridge=vmbr0,firewall=0,link_down=1",
      "set 105 --net0 virtio=BC:24:11:5E:00:00,bridge=vmbr0,firewall=0",
    ]);
    expect(hv.conf()).toBe(before);
  } finally {
    hv.reacts = true;
  }
});

test("the probe measures a real outage on the client's path: loss, the longest gap, and a TCP session that survives it", async () => {
  const progress: string[] = [];
  const drill = runDrill(config, { mode: "carp-disable", timeoutS: 10, holdS: 4, probe: probe(), progress: (l) => progress.push(l) });
  await waitFor(() => progress.some((l) => l.startsWith("holding the fault")), 20000, 20);
  // 1.5 s without a route from the client to the target (what clients see while nobody holds the gateway)
  const ns = inv.hosts.pve1.netns;
  spawnSync("ip", ["netns", "exec", ns, "ip", "route", "add", "blackhole", `${inv.hosts.pve2.address}/32`]);
  await new Promise((r) => setTimeout(r, 1500));
  spawnSync("ip", ["netns", "exec", ns, "ip", "route", "del", "blackhole", `${inv.hosts.pve2.address}/32`]);
  const out = await drill;
  expect(out.restored).toBe(true);
  expect(out.probe?.lost).toBeGreaterThanOrEqual(20); // 1.5 s at 50 ms, minus ping's own slack
  expect(out.probe?.longestGapMs).toBeGreaterThanOrEqual(1400);
  expect(out.probe?.tcp.outcome).toBe("survived"); // TCP retransmits across the gap
  expect(out.probe?.tcp.longestGapMs).toBeGreaterThanOrEqual(1000);
});

test("CLI: --json report for carp-disable with the probe; a broken session fails the drill (exit 1) but the state is restored", async () => {
  const target = inv.hosts.pve2.address;
  const args = ["drill", "--file", stackFile, "--mode", "carp-disable", "--client", "pve1", "--ping", target, "--tcp", `${target}:${HTTP_PORT}`, "--json", "--timeout", "10"];
  const ok = spawnSync(process.execPath, [path.join(ROOT, "bin", "pfsense-ha.js"), ...args], { cwd: ROOT, encoding: "utf8", timeout: 80000 });
  expect(ok.stderr).not.toMatch(/drill refused/);
  expect(ok.status).toBe(0);
  const report = JSON.parse(ok.stdout) as { ok: boolean; mode: string; restored: boolean; probe: { lost: number; tcp: { outcome: string } }; rows: { measure: string; status: string }[] };
  expect(report).toMatchObject({ ok: true, mode: "carp-disable", restored: true, probe: { lost: 0, tcp: { outcome: "survived" } } });
  expect(report.rows.map((r) => r.measure)).toEqual([
    "takeover (fw2 MASTER on every VHID)", "failback (fw1 MASTER on every VHID)", `pings to ${target} lost`, "longest gap between ping replies", "TCP session through the firewall",
  ]);

  // The server goes away mid-drill: the held session breaks, the report says so, the pair is restored anyway.
  const child = spawn(process.execPath, [path.join(ROOT, "bin", "pfsense-ha.js"), ...args, "--hold", "3"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  await waitFor(() => stderr.includes("holding the fault"), 60000, 20);
  if (server?.pid) process.kill(server.pid, "SIGKILL");
  const code = await exited;
  server = spawn("ip", ["netns", "exec", inv.hosts.pve2.netns, "/usr/bin/python3", path.join(ROOT, "tests", "fixtures", "lab", "http-keepalive.py"), target, String(HTTP_PORT)], { stdio: "ignore" });
  expect(code).toBe(1);
  const broken = JSON.parse(stdout) as { ok: boolean; restored: boolean; probe: { tcp: { outcome: string; detail: string } } };
  expect(broken).toMatchObject({ ok: false, restored: true, probe: { tcp: { outcome: "broken", detail: expect.stringMatching(/^(connection closed or reset|write failed \(connection reset\)) after \d+ answers$/) } } });
  expect(await carpAllow("fw1")).toBe("1");
});
