// `npm run bench -- ovs [--quick]`: the same OVS fabric (2 bridges + full-mesh VXLAN on the two lab Proxmox nodes)
// built by our providers (driven as the engine would: the bridges concurrently, then the tunnels that depend on them;
// the no-op run is refresh + diff) and by Ansible's openvswitch.openvswitch collection with its default SSH
// multiplexing (ControlMaster=auto, ControlPersist=60s), cold and as a no-op re-run. Connections are counted on the
// servers (sshd's "Accepted publickey" lines). Full: median of 3 rounds; --quick: 1 round, and exit code 1 when a hard
// target fails (the no-op run changed something, more than one connection per host per run). Last line machine-readable.
import { spawnSync } from "child_process";
import { shq } from "../providers/shell/quote";
import { mkdirSync, readFileSync, writeFileSync } from "fs";
import * as path from "path";
import { hostPath, labExec, loadInventory, sshEndpointOf, type LabInventory } from "../lab/inventory";
import { OvsBridgeProvider } from "../providers/ovs/bridgeProvider";
import { VxlanNodeProvider } from "../providers/ovs/tunnelProvider";
import { tunnelPortName } from "../providers/ovs/naming";
import { closeAllHosts, connectHost, sshStats } from "../providers/ssh";
import { forgetOvsState } from "../providers/ovs/host-batch";
import type { OvsBridgeInputs, VxlanNodeInputs } from "../providers/ovs/types";

const NODES = ["pve1", "pve2"];
const OURS = [
  { bridge: "vmbrb1", tunnel: "bench1", vni: 3001 },
  { bridge: "vmbrb2", tunnel: "bench2", vni: 3002 },
];
const ANSIBLE = [
  { bridge: "vmbra1", port: "vxa1", key: 4001 },
  { bridge: "vmbra2", port: "vxa2", key: 4002 },
];
const peerOf = (h: string) => NODES.find((n) => n !== h)!;

function ensureLab(): LabInventory {
  try {
    return loadInventory();
  } catch {
    const up = spawnSync("bash", [path.join(__dirname, "..", "lab", "lab.sh"), "up"], { stdio: "inherit" });
    if (up.status !== 0) throw new Error("lab.sh up failed");
    return loadInventory();
  }
}

async function sh(inv: LabInventory, h: string, script: string): Promise<string> {
  const r = await labExec(inv, h, script);
  if (r.code !== 0) throw new Error(`${h}: ${script}: ${r.stderr}`);
  return r.stdout;
}

interface Row {
  tool: string;
  run: string;
  seconds: number;
  /** Most connections any one host accepted during the run. */
  connections: number;
  commands: number;
  changes: number;
}

const SSHD_LOG = "/var/log/pfha-sshd.log";

/** Connections each host's sshd accepted so far (server-side truth for both tools). */
function acceptedPerHost(inv: LabInventory): Record<string, number> {
  return Object.fromEntries(
    NODES.map((h) => {
      let text = "";
      try {
        text = readFileSync(hostPath(inv, h, SSHD_LOG), "utf8");
      } catch {
        /* no connection yet */
      }
      return [h, (text.match(/Accepted publickey/g) ?? []).length];
    }),
  );
}

function maxNew(before: Record<string, number>, after: Record<string, number>): number {
  return Math.max(...NODES.map((h) => after[h] - before[h]));
}

/** What a no-op run must leave byte-identical: both interfaces files and the OVS tables (rows, options, tags). */
async function hostFingerprint(inv: LabInventory): Promise<string> {
  const parts: string[] = [];
  for (const h of NODES) {
    parts.push(await sh(inv, h, "cat /etc/network/interfaces /etc/network/interfaces.d/pfsense-ha 2>/dev/null; ovs-vsctl --format=json --columns=_uuid,name,type,options,external_ids,bfd,mtu_request list interface; ovs-vsctl --format=json --columns=_uuid,name,ports,external_ids list bridge"));
  }
  return parts.join("\n");
}

type ProviderLike = {
  create(i: unknown): Promise<{ id: string; outs: Record<string, unknown> }>;
  read(id: string, props: unknown): Promise<{ props?: Record<string, unknown> }>;
  diff(id: string, o: unknown, n: unknown): Promise<{ changes?: boolean }>;
};

async function oursRun(inv: LabInventory, mode: "cold" | "noop", state: Map<string, { id: string; outs: Record<string, unknown> }>): Promise<Row> {
  // A fresh `pulumi up` process: no pooled connection, no remembered host state.
  await closeAllHosts();
  forgetOvsState();
  const before = sshStats();
  const accepted0 = acceptedPerHost(inv);
  const bp = new OvsBridgeProvider() as unknown as ProviderLike;
  const tp = new VxlanNodeProvider() as unknown as ProviderLike;
  const bridges: [string, ProviderLike, OvsBridgeInputs][] = [];
  const tunnels: [string, ProviderLike, VxlanNodeInputs][] = [];
  for (const h of NODES) {
    const endpoint = sshEndpointOf(inv.hosts[h], inv);
    for (const o of OURS) {
      bridges.push([`b-${h}-${o.bridge}`, bp, { endpoint, node: h, name: o.bridge, datapathType: "netdev" }]);
      tunnels.push([
        `t-${h}-${o.tunnel}`,
        tp,
        {
          endpoint,
          node: h,
          tunnelId: o.tunnel,
          bridge: o.bridge,
          vni: o.vni,
          underlayAddress: inv.hosts[h].underlayAddress!,
          peers: [{ name: peerOf(h), address: inv.hosts[peerOf(h)].underlayAddress! }],
        },
      ]);
    }
  }
  let changes = 0;
  const fp0 = mode === "noop" ? await hostFingerprint(inv) : "";
  const t0 = process.hrtime.bigint();
  if (mode === "cold") {
    // Engine order: every bridge at once, then every tunnel (each depends on its bridge).
    for (const stage of [bridges, tunnels] as [string, ProviderLike, unknown][][]) {
      await Promise.all(stage.map(async ([key, p, inputs]) => state.set(key, await p.create(inputs))));
      changes += stage.length;
    }
  } else {
    // `pulumi up --refresh` on an unchanged stack: every read at once, then diff; nothing to apply.
    const all = [...bridges, ...tunnels] as [string, ProviderLike, unknown][];
    await Promise.all(
      all.map(async ([key, p, inputs]) => {
        const prior = state.get(key)!;
        const read = await p.read(prior.id, prior.outs);
        if ((await p.diff(prior.id, read.props, inputs)).changes) changes++;
      }),
    );
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const after = sshStats();
  // Changes on the hosts themselves count too: a no-op run must leave them byte-identical.
  if (mode === "noop" && (await hostFingerprint(inv)) !== fp0) changes++;
  return { tool: "ours", run: mode, seconds, connections: maxNew(accepted0, acceptedPerHost(inv)), commands: after.commands - before.commands, changes };
}

function ansibleRun(inv: LabInventory, dir: string, mode: string): Row {
  const accepted0 = acceptedPerHost(inv);
  const t0 = process.hrtime.bigint();
  const r = spawnSync("ansible-playbook", ["-vvv", "-i", path.join(dir, "hosts.yml"), path.join(__dirname, "ansible", "ovs-fabric.yml")], {
    encoding: "utf8",
    env: {
      ...process.env,
      ANSIBLE_HOST_KEY_CHECKING: "True",
      // Ansible's own default ssh_args (multiplexing on, as a real user runs it) plus the pinned known_hosts.
      ANSIBLE_SSH_ARGS: `-C -o ControlMaster=auto -o ControlPersist=60s -o UserKnownHostsFile=${path.join(dir, "known_hosts")} -o StrictHostKeyChecking=yes`,
      ANSIBLE_SSH_CONTROL_PATH_DIR: path.join(dir, "cp"),
      ANSIBLE_PIPELINING: "True",
      ANSIBLE_FORKS: "2",
      ANSIBLE_PYTHON_INTERPRETER: "/usr/bin/python3",
      ANSIBLE_NOCOLOR: "1",
    },
    maxBuffer: 64 * 1024 * 1024,
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`ansible-playbook failed (${r.status}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-2000)}`);
  // Every `SSH: EXEC ssh` is one remote command (through the shared master connection when one is up).
  const execs = (r.stdout.match(/SSH: EXEC ssh/g) ?? []).length;
  const changed = [...r.stdout.matchAll(/changed=(\d+)/g)].reduce((a, m) => a + Number(m[1]), 0);
  return { tool: "ansible", run: mode, seconds, connections: maxNew(accepted0, acceptedPerHost(inv)), commands: execs, changes: changed };
}

/** Stop Ansible's persistent master connections, so its cold run starts like a new shell session. */
function stopAnsibleMasters(dir: string): void {
  spawnSync("sh", ["-c", `for s in ${shq(path.join(dir, "cp"))}/*; do [ -S "$s" ] && ssh -o ControlPath="$s" -O exit x 2>/dev/null; done; true`]);
}

/** The floor under any SSH tool on this lab: connection setup and one empty command's round trip. */
async function sshFloor(inv: LabInventory): Promise<{ connectMs: number; execMs: number }> {
  await closeAllHosts();
  const t0 = process.hrtime.bigint();
  const host = await connectHost(sshEndpointOf(inv.hosts.pve1, inv));
  const t1 = process.hrtime.bigint();
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const a = process.hrtime.bigint();
    await host.run("true");
    times.push(Number(process.hrtime.bigint() - a) / 1e6);
  }
  await closeAllHosts();
  return { connectMs: Number(t1 - t0) / 1e6, execMs: median(times) };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function writeAnsibleInventory(inv: LabInventory, dir: string): void {
  mkdirSync(dir, { recursive: true });
  // Scan each host's key and keep it only if it matches the fingerprint pinned in the lab inventory.
  const known = NODES.map((h) => {
    const { address, port, hostKeySha256 } = inv.hosts[h];
    const scan = spawnSync("ssh-keyscan", ["-t", "ed25519", "-p", String(port), address], { encoding: "utf8" });
    const line = scan.stdout.split("\n").find((l) => l.startsWith(address) && l.includes("ssh-ed25519"));
    if (!line) throw new Error(`ssh-keyscan ${address} returned no ed25519 key`);
    const fp = spawnSync("ssh-keygen", ["-lf", "-"], { input: line, encoding: "utf8" }).stdout.split(/\s+/)[1];
    const algKey = line.split(/\s+/).slice(1, 3).join(" ");
    if (fp === hostKeySha256) return `${address} ${algKey}`;
    const other = spawnSync("ssh-keyscan", ["-p", String(port), address], { encoding: "utf8" })
      .stdout.split("\n")
      .filter((l) => l.startsWith(address))
      .find((l) => spawnSync("ssh-keygen", ["-lf", "-"], { input: l, encoding: "utf8" }).stdout.split(/\s+/)[1] === hostKeySha256);
    if (!other) throw new Error(`${h}: no host key of ${address} matches the pinned ${hostKeySha256}`);
    return `${address} ${other.split(/\s+/).slice(1, 3).join(" ")}`;
  });
  writeFileSync(path.join(dir, "known_hosts"), known.join("\n") + "\n");
  const hosts = Object.fromEntries(
    NODES.map((h) => [
      h,
      {
        ansible_host: inv.hosts[h].address,
        ansible_user: inv.hosts[h].username,
        ansible_ssh_private_key_file: inv.clientKeyPath,
        bench_bridges: ANSIBLE.map((a) => a.bridge),
        bench_ports: ANSIBLE.map((a) => ({ bridge: a.bridge, port: `${a.port}${h.slice(-1)}`, key: a.key, remote: inv.hosts[peerOf(h)].underlayAddress })),
      },
    ]),
  );
  writeFileSync(path.join(dir, "hosts.yml"), JSON.stringify({ pve: { hosts } }, null, 2));
}

async function cleanup(inv: LabInventory, pristine: Record<string, string>): Promise<void> {
  for (const h of NODES) {
    const brs = [...OURS.map((o) => o.bridge), ...ANSIBLE.map((a) => a.bridge)].map((b) => `-- --if-exists del-br ${b}`).join(" ");
    await sh(inv, h, `ovs-vsctl ${brs}`);
    await labExec(inv, h, "cat > /etc/network/interfaces", { stdin: pristine[h] });
    const ours = OURS.map((o) => tunnelPortName(o.tunnel, peerOf(h)));
    // Drop only the bench's stanzas from our tunnels file (other tools' runs may share the host).
    await sh(inv, h, `f=/etc/network/interfaces.d/pfsense-ha; [ -e $f ] || exit 0; for p in ${ours.join(" ")}; do sed -i "/^auto $p\\$/d; /^iface $p /,/^\\$/d" $f; done`);
  }
}

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  const rounds = quick ? 1 : 3;
  const inv = ensureLab();
  const pristine: Record<string, string> = {};
  for (const h of NODES) pristine[h] = readFileSync(hostPath(inv, h, "/etc/network/interfaces"), "utf8");
  const dir = path.join(inv.stateDir, "bench-ansible");
  writeAnsibleInventory(inv, dir);
  await cleanup(inv, pristine);
  const all: Row[] = [];
  const floor = await sshFloor(inv);
  try {
    for (let round = 0; round < rounds; round++) {
      const state = new Map<string, { id: string; outs: Record<string, unknown> }>();
      all.push(await oursRun(inv, "cold", state));
      all.push(await oursRun(inv, "noop", state));
      stopAnsibleMasters(dir);
      all.push(ansibleRun(inv, dir, "cold"));
      all.push(ansibleRun(inv, dir, "noop"));
      await closeAllHosts();
      await cleanup(inv, pristine);
    }
  } finally {
    stopAnsibleMasters(dir);
    await closeAllHosts();
    await cleanup(inv, pristine);
  }
  // Median per (tool, run) over the rounds; counts are the worst round's.
  const rows: Row[] = [];
  for (const tool of ["ours", "ansible"]) {
    for (const run of ["cold", "noop"]) {
      const rs = all.filter((r) => r.tool === tool && r.run === run);
      rows.push({
        tool,
        run,
        seconds: median(rs.map((r) => r.seconds)),
        connections: Math.max(...rs.map((r) => r.connections)),
        commands: Math.max(...rs.map((r) => r.commands)),
        changes: Math.max(...rs.map((r) => r.changes)),
      });
    }
  }
  console.log(`OVS fabric: 2 bridges + full-mesh VXLAN on ${NODES.join(", ")}; ${rounds} round(s), median wall time`);
  console.log("tool     run   wall_s  ssh_conn/host  remote_cmds  changes");
  for (const r of rows) {
    console.log(`${r.tool.padEnd(8)} ${r.run.padEnd(5)} ${r.seconds.toFixed(2).padStart(6)}  ${String(r.connections).padStart(13)}  ${String(r.commands).padStart(11)}  ${String(r.changes).padStart(7)}`);
  }
  console.log(`floor: ssh connect ${floor.connectMs.toFixed(0)} ms, one empty remote command ${floor.execMs.toFixed(0)} ms (this lab's sshd, pooled connection)`);
  const oursS = rows.filter((r) => r.tool === "ours").reduce((a, r) => a + r.seconds, 0);
  const ansS = rows.filter((r) => r.tool === "ansible").reduce((a, r) => a + r.seconds, 0);
  const oursConn = Math.max(...rows.filter((r) => r.tool === "ours").map((r) => r.connections));
  const noop = rows.find((r) => r.tool === "ours" && r.run === "noop")!.changes;
  const ratio = oursS / ansS;
  console.log(`ovs-bench ours_s=${oursS.toFixed(2)} ansible_s=${ansS.toFixed(2)} ratio=${ratio.toFixed(3)} ssh_connections=${oursConn} noop_changes=${noop}`);
  if (quick) {
    // Hard targets fail the run; wall-time ratios are only reported (CI machines are noisy).
    const failures: string[] = [];
    if (noop !== 0) failures.push(`the no-op run changed ${noop} thing(s)`);
    if (oursConn > 1) failures.push(`${oursConn} SSH connections to one host in one run (target 1)`);
    if (ratio > 0.1) console.error(`note: ratio ${ratio.toFixed(3)} is above the 0.1 target (not a failure in --quick)`);
    if (failures.length) {
      console.error(`ovs-bench: hard target failed: ${failures.join("; ")}`);
      process.exit(1);
    }
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
