// verify, drill and render against the lab (PFHA_LAB_ID, default 0): the lab's firewalls converged with the stack's
// plan through the real write protocol (what the providers do), VXLAN ports with BFD on the pve hosts, the sync
// firewalls' sync link addressed by pfSense's own interface_configure(), the secondary's own webGUI (xmlrpc.php) as
// the XMLRPC target, its admin password = the stack's xmlrpcPassword.
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { ClusterConfig, FirewallRole } from "../../config/types";
import { labExec, loadInventory, type LabInventory, labSh } from "../../lab/inventory";
import { tunnelPortName } from "../../providers/ovs/naming";
import { closeAllHosts, sshStats } from "../../providers/ssh";
import { waitFor } from "../support/async";
import { buildLabFabric, labStack, removeLabFabric, waitForBfd as waitForLabBfd, writeFirewallPlans } from "../support/ha-lab";
import { changesOf, labRecord, reseedFirewalls, setAdminPassword } from "../support/pfsense-lab";
import { runDrill } from "../../providers/verify/drill";
import { applyUnifiedDiff } from "../../providers/verify/line-diff";
import { maskSecrets, renderFirewall } from "../../providers/verify/render";
import { verifyCluster } from "../../providers/verify/run";

jest.setTimeout(60000);

const ROOT = path.join(__dirname, "..", "..");
const SECRETS = { carpPassword: "carp-Verify-S3cret", xmlrpcPassword: "xmlrpc-Verify-S3cret" };
const ROLES: FirewallRole[] = ["primary", "secondary"];

let inv: LabInventory;
let stackFile: string;
let stackDir: string | undefined;
let config: ClusterConfig;

const sh = (host: string, script: string): Promise<string> => labSh(inv, host, script);

async function freshFirewalls(): Promise<void> {
  await reseedFirewalls(inv);
  // the secondary's webGUI admin password is the stack's xmlrpcPassword, as the README asks of a real pair
  await setAdminPassword(inv, config.firewalls.secondary.name, SECRETS.xmlrpcPassword);
}

const convergeFirewalls = (): Promise<void> => writeFirewallPlans(config, SECRETS, "verify-test");
const waitForBfd = (): Promise<void> => waitForLabBfd(inv, config);

async function configXml(host: string): Promise<string> {
  return sh(host, "cat /cf/conf/config.xml");
}

/** config.xml without <revision> (pfSense rewrites it on every write_config). */
function withoutRevision(xml: string): string {
  return xml.replace(/\n\t<revision>[\s\S]*?\n\t<\/revision>/, "");
}

/** The created/updated stamps' times: set when written, so a render a second earlier carries the second before. */
function withoutStampTimes(xml: string): string {
  return xml.replace(/(<(?:created|updated)>\s*<time>)\d+(<\/time>)/g, "$1T$2");
}

async function failedChecks(): Promise<string[]> {
  const { checks } = await verifyCluster(config, { windowS: 2, secrets: SECRETS });
  return checks.filter((c) => c.status === "fail").map((c) => `${c.check} @ ${c.node}: ${c.found}`);
}

beforeAll(async () => {
  inv = loadInventory();
  let dir: string;
  ({ file: stackFile, dir, config } = labStack(inv, "verifylab"));
  stackDir = dir;
  await freshFirewalls();
  await buildLabFabric(inv, config, "verify");
  await convergeFirewalls();
  const sync = config.networks.find((n) => n.role === config.hasync.syncNetwork);
  // the sync link is the firewalls' vtnet2, addressed by pfSense's interface_configure(); the secondary's webGUI (http)
  await waitFor(async () => spawnSync("ip", ["netns", "exec", inv.hosts.fw1.netns, "php", "-r", `exit(@fsockopen("${sync?.addresses.secondary}", 80, $e, $s, 1) ? 0 : 1);`]).status === 0, 10000);
  // BFD needs a few hellos before it reports the peer up.
  await waitForBfd();
});

afterAll(async () => {
  if (stackDir) fs.rmSync(stackDir, { recursive: true, force: true }); // the stack file holds the test passwords
  await closeAllHosts();
  await removeLabFabric(inv, config);
  await freshFirewalls();
});

test("a converged pair passes every check (warnings allowed), with one command per host", async () => {
  const before = sshStats().commands;
  expect(await failedChecks()).toEqual([]);
  expect(sshStats().commands - before).toBe(2 + config.proxmox.nodes.length);
});

test("verify finds what it checks: CARP holders, pfsync peer, XMLRPC target, VXLAN BFD and counters", async () => {
  const { checks } = await verifyCluster(config, { windowS: 2, secrets: SECRETS });
  const found = (check: string, node: string) => checks.find((c) => c.check === check && c.node === node)?.found;
  expect(found("carp vhid 1 wan 192.0.2.10", "fw1 (primary)")).toMatch(/^MASTER on vtnet0/);
  expect(found("carp vhid 1 wan 192.0.2.10", "fw2 (secondary)")).toMatch(/^BACKUP on vtnet0/);
  expect(found("pfsync", "fw2 (secondary)")).toBe("up syncdev vtnet2 syncpeer 172.16.255.1");
  // the XMLRPC sync's own authenticated call answered by the secondary's xmlrpc.php
  expect(found("xmlrpc sync", "fw1 (primary)")).toMatch(/^answered \((2\.7\.2-RELEASE|2\.9\.0-DEVELOPMENT)\)$/);
  const bfd = checks.filter((c) => / peer \(BFD\)$/.test(c.check));
  expect(bfd).toHaveLength(6); // 3 networks x 2 nodes
  expect(checks.filter((c) => / traffic$/.test(c.check) && c.status === "pass")).toHaveLength(6);
});

test("breaking one thing fails exactly the check that names it, with the next step", async () => {
  // CARP off on the secondary: its VHIDs go INIT.
  await sh("fw2", "sysctl net.inet.carp.allow=0 >/dev/null");
  try {
    const { checks } = await verifyCluster(config, { windowS: 0, secrets: SECRETS });
    const fails = checks.filter((c) => c.status === "fail");
    expect(fails.map((c) => `${c.check} @ ${c.node}`).sort()).toEqual([
      "carp vhid 1 wan 192.0.2.10 @ fw2 (secondary)",
      "carp vhid 1 wan 192.0.2.10 exactly one MASTER @ cluster",
      "carp vhid 2 lan 172.16.10.1 @ fw2 (secondary)",
      "carp vhid 2 lan 172.16.10.1 exactly one MASTER @ cluster",
      "net.inet.carp.allow @ fw2 (secondary)",
      // windowS 0: no time for a counter to move
      ...checks.filter((c) => c.check.endsWith(" traffic") && c.status === "fail").map((c) => `${c.check} @ ${c.node}`),
    ].sort());
    expect(fails.find((c) => c.check === "net.inet.carp.allow")?.hint).toMatch(/Enable CARP/);
    expect(fails.find((c) => c.check === "carp vhid 1 wan 192.0.2.10")?.found).toMatch(/^INIT/);
  } finally {
    await sh("fw2", "sysctl net.inet.carp.allow=1 >/dev/null");
  }
});

test("MTU end to end: frames of each stretched network's MTU cross it (DF ping from fw1 to fw2); a lower link MTU fails with the size", async () => {
  // the lab's networks are VXLAN over a 1500 underlay: MTU 1450, payload 1422; the lab links run at 1500
  const { checks } = await verifyCluster(config, { windowS: 0, secrets: SECRETS });
  const mtu = checks.filter((c) => c.check.startsWith("mtu "));
  expect(mtu.map((c) => [c.check, c.node, c.status])).toEqual([["mtu wan", "fw1 (primary)", "pass"], ["mtu lan", "fw1 (primary)", "pass"], ["mtu sync", "fw1 (primary)", "pass"]]);
  expect(mtu.map((c) => c.expected)).toEqual([
    "1450-byte frames reach 192.0.2.3 unfragmented (ping -D -s 1422)",
    "1450-byte frames reach 172.16.10.3 unfragmented (ping -D -s 1422)",
    "1450-byte frames reach 172.16.255.2 unfragmented (ping -D -s 1422)",
  ]);
  // fw2's LAN port on the lab switch carries 1400 bytes at most: the switch drops the 1450-byte frames
  const sw = `pfha${inv.id}-sw`;
  const setMtu = (n: number) => expect(spawnSync("ip", ["-n", sw, "link", "set", "fw2-l", "mtu", String(n)]).status).toBe(0);
  setMtu(1400);
  try {
    const after = (await verifyCluster(config, { windowS: 0, secrets: SECRETS })).checks;
    const lanMtu = after.find((c) => c.check === "mtu lan");
    expect(lanMtu?.status).toBe("fail");
    expect(lanMtu?.found).toMatch(/^frames of 1450 bytes do not cross lan: the path MTU is lower \(2 packets transmitted, 0 received/);
    expect(lanMtu?.hint).toMatch(/VM's network device.*bridge .*underlay/);
    expect(after.filter((c) => c.check.startsWith("mtu ") && c.status === "fail").map((c) => c.check)).toEqual(["mtu lan"]);
    // the FreeBSD flags reached Linux's ping translated (-D -> -M do, -t -> -w): a smaller frame still crosses
    const r = await labExec(inv, "fw1", "/sbin/ping -D -c 1 -t 2 -s 1372 172.16.10.3");
    expect(r.code).toBe(0);
  } finally {
    setMtu(1500);
  }
  expect((await verifyCluster(config, { windowS: 0, secrets: SECRETS })).checks.find((c) => c.check === "mtu lan")?.status).toBe("pass");
});

test("the Proxmox firewall on (cluster.fw enable: 1 on pve1): a warning on that node with the UDP 4789 rule per peer, no failure", async () => {
  await sh("pve1", "mkdir -p /etc/pve/firewall && printf '[OPTIONS]\\n\\nenable: 1\\n\\n[RULES]\\n\\nIN SSH(ACCEPT) -i eth0\\n' > /etc/pve/firewall/cluster.fw");
  try {
    const { checks } = await verifyCluster(config, { windowS: 0, secrets: SECRETS });
    const fw = checks.filter((c) => c.check === "proxmox firewall");
    expect(fw.map((c) => [c.node, c.status, c.found])).toEqual([["pve1", "warn", "on (/etc/pve/firewall/cluster.fw enable: 1)"]]);
    expect(fw[0].hint).toBe(`VXLAN needs UDP 4789 open between the underlay addresses: in Datacenter > Firewall add \`IN ACCEPT -p udp -dport 4789 -source ${config.proxmox.nodes[1].underlayAddress}\` (verify cannot read whether such a rule exists)`);
  } finally {
    await sh("pve1", "rm -rf /etc/pve/firewall");
  }
  expect((await verifyCluster(config, { windowS: 0, secrets: SECRETS })).checks.filter((c) => c.check === "proxmox firewall")).toEqual([]);
});

test("a VXLAN port whose peer is gone fails the BFD check on both sides", async () => {
  const lan = config.networks.find((n) => n.role === "lan");
  const port = tunnelPortName("verify-lan", "pve1");
  await sh("pve2", `ovs-vsctl set interface ${port} options:remote_ip=10.250.${inv.id * 2 + 1}.99`);
  try {
    await waitFor(async () => (await sh("pve1", `ovs-vsctl get interface ${tunnelPortName("verify-lan", "pve2")} bfd_status:state`)).trim() !== "up", 10000);
    const { checks } = await verifyCluster(config, { windowS: 0, secrets: SECRETS });
    const bfd = checks.find((c) => c.check === `vxlan lan key ${lan?.vxlan?.key} -> pve2 peer (BFD)` && c.node === "pve1");
    expect(bfd?.status).toBe("fail");
    expect(bfd?.hint).toMatch(/underlay/);
    // pve2's port now points at a host that does not exist: verify sees no port towards pve1 at all
    expect(checks.find((c) => c.check === `vxlan lan key ${lan?.vxlan?.key} -> pve1` && c.node === "pve2")?.found).toBe("absent");
  } finally {
    await sh("pve2", `ovs-vsctl set interface ${port} options:remote_ip=${config.proxmox.nodes[0].underlayAddress}`);
    await waitForBfd();
  }
});

test("drill measures takeover and failback with maintenance mode and ends where it started", async () => {
  const before = await Promise.all(["fw1", "fw2"].map(configXml));
  const progress: string[] = [];
  const out = await runDrill(config, { timeoutS: 10, progress: (l) => progress.push(l) });
  expect(out).toMatchObject({ restored: true, interrupted: false });
  expect(out.error).toBeUndefined();
  // measured from the first change to MASTER on every VHID: after it, within the drill's 10 s limit
  expect(out.times?.takeoverMs).toBeGreaterThan(0);
  expect(out.times?.takeoverMs).toBeLessThan(10_000);
  expect(out.times?.failbackMs).toBeGreaterThan(0);
  expect(out.times?.failbackMs).toBeLessThan(10_000);
  // pfSense's own mechanism ran: entered then left persistent maintenance mode (two config revisions)
  // pfSense's maintenance mode re-advertised every vhid with advskew 254, then with the configured skew again
  const skews = changesOf(labRecord(inv, "fw1")).map((c) => /^ifconfig vtnet\d+ vhid 1 advskew (\d+) /.exec(c)?.[1]).filter((x) => x !== undefined);
  expect(skews.slice(-2)).toEqual(["254", "0"]);
  const after = await Promise.all(["fw1", "fw2"].map(configXml));
  // the primary ends byte for byte where it started (but the revision)
  expect(withoutRevision(after[0])).toBe(withoutRevision(before[0]));
  // each maintenance-mode write_config() on the primary starts pfSense's own XMLRPC sync, which rewrites the
  // secondary's config.xml in pfSense's format (synced sections, empty sections): the secondary is compared by
  // content, nothing of the stack's plan to change there
  expect(renderFirewall(config, "secondary", after[1], { secrets: SECRETS }).diff).toBe("");
  expect(await failedChecks()).toEqual([]);
});

test("drill killed with SIGINT mid-drill (in maintenance mode) restores the starting state", async () => {
  const before = withoutRevision(await configXml("fw1"));
  const child = spawn(process.execPath, [path.join(ROOT, "bin", "pfsense-ha.js"), "drill", "--file", stackFile, "--hold", "30", "--timeout", "15"], {
    cwd: ROOT,
    env: { ...process.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`drill never reached the hold: ${stderr}`)), 45000);
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes("holding maintenance mode")) {
        clearTimeout(t);
        resolve();
      }
    });
  });
  // mid-drill: the primary is in maintenance mode and the secondary holds the VIPs
  expect(await sh("fw1", "grep -c virtualip_carp_maintenancemode /cf/conf/config.xml || true")).toMatch(/^1/);
  child.kill("SIGINT");
  expect(await exited).toBe(130);
  expect(stderr).toMatch(/starting state restored/);
  expect(withoutRevision(await configXml("fw1"))).toBe(before);
  expect(await failedChecks()).toEqual([]);
});

/** Drops our SSH sessions to a fw host from the server side (kills the sshd processes serving the operator's TCP connections). */
function dropSshSessions(host: string): number {
  const r = spawnSync("ip", ["netns", "exec", inv.hosts[host].netns, "ss", "-tnpH", "state", "established", "( sport = :22 )"], { encoding: "utf8" });
  const pids = [...r.stdout.matchAll(/\s(\S+):\d+\s+users:\(\("sshd",pid=(\d+)/g)].filter((m) => m[1] === inv.operatorAddress).map((m) => Number(m[2]));
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch (e) {
      // killing a session's parent sshd ends its child too: gone already is dropped
      if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
    }
  }
  return pids.length;
}

test("drill survives a dropped connection to the primary mid-drill: reconnects, fails back, restores", async () => {
  const before = withoutRevision(await configXml("fw1"));
  const progress: string[] = [];
  const drill = runDrill(config, { timeoutS: 15, holdS: 3, progress: (l) => progress.push(l) });
  await waitFor(async () => progress.some((l) => l.startsWith("holding maintenance mode")), 20000);
  const connections = sshStats().connections;
  expect(dropSshSessions("fw1")).toBeGreaterThan(0);
  const out = await drill;
  expect(sshStats().connections).toBeGreaterThan(connections); // it reconnected
  expect(out).toMatchObject({ restored: true, interrupted: false });
  expect(out.error).toBeUndefined();
  expect(out.times?.failbackMs).toBeGreaterThan(0);
  expect(out.times?.failbackMs).toBeLessThan(15_000);
  expect(withoutRevision(await configXml("fw1"))).toBe(before);
  expect(await failedChecks()).toEqual([]);
});

test("drill refuses to start when verify fails, and changes nothing", async () => {
  await sh("fw2", "sysctl net.inet.carp.allow=0 >/dev/null");
  try {
    const before = await configXml("fw1");
    const r = spawnSync(process.execPath, [path.join(ROOT, "bin", "pfsense-ha.js"), "drill", "--file", stackFile], { cwd: ROOT, encoding: "utf8" });
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/drill refused: verify failed/);
    expect(await configXml("fw1")).toBe(before);
  } finally {
    await sh("fw2", "sysctl net.inet.carp.allow=1 >/dev/null");
  }
});

test("render's diff against the seeded config, applied, gives exactly what the providers wrote", async () => {
  await freshFirewalls();
  const seeded = await Promise.all(ROLES.map((r) => configXml(config.firewalls[r].name)));
  const diffs = ROLES.map((r, i) => renderFirewall(config, r, seeded[i]).diff);
  await convergeFirewalls();
  for (const [i, role] of ROLES.entries()) {
    const written = await configXml(config.firewalls[role].name);
    expect(diffs[i]).not.toBe("");
    expect(withoutStampTimes(withoutRevision(applyUnifiedDiff(maskSecrets(seeded[i]), diffs[i])))).toBe(withoutStampTimes(withoutRevision(maskSecrets(written))));
    // and the live render of the converged box is empty: nothing left to change
    expect(renderFirewall(config, role, written, { secrets: SECRETS }).diff).toBe("");
  }
  // the CLI's --live output for the converged pair
  const cli = spawnSync(process.execPath, [path.join(ROOT, "bin", "pfsense-ha.js"), "render", "--file", stackFile, "--live"], { cwd: ROOT, encoding: "utf8" });
  expect(cli.status).toBe(0);
  expect(cli.stdout).toBe("");
  expect(cli.stderr).toMatch(/config\.xml unchanged/);
});
