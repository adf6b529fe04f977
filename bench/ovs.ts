// `npm run bench -- ovs [--quick]`: the same OVS fabric (2 bridges + full-mesh VXLAN on the two lab Proxmox nodes)
// built by our providers (driven as the engine would: create, then refresh+diff for the no-op run) and by Ansible's
// openvswitch.openvswitch collection, cold and as a no-op re-run. Prints a table; the last line is machine-readable.
import { spawnSync } from "child_process";
import { mkdirSync, readFileSync, writeFileSync } from "fs";
import * as path from "path";
import { hostPath, labExec, loadInventory, sshEndpointOf, type LabInventory } from "../lab/inventory";
import { OvsBridgeProvider } from "../providers/ovs/bridgeProvider";
import { VxlanNodeProvider } from "../providers/ovs/tunnelProvider";
import { tunnelPortName } from "../providers/ovs/naming";
import { closeAllHosts, sshStats } from "../providers/ssh";
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
  connections: number;
  commands: number;
  changes: number;
}

async function oursRun(inv: LabInventory, mode: "cold" | "noop", state: Map<string, { id: string; outs: Record<string, unknown> }>): Promise<Row> {
  await closeAllHosts();
  const before = sshStats();
  const bp = new OvsBridgeProvider();
  const tp = new VxlanNodeProvider();
  let changes = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    NODES.map(async (h) => {
      const endpoint = sshEndpointOf(inv.hosts[h], inv);
      for (const o of OURS) {
        const b: OvsBridgeInputs = { endpoint, node: h, name: o.bridge, datapathType: "netdev" };
        const t: VxlanNodeInputs = {
          endpoint,
          node: h,
          tunnelId: o.tunnel,
          bridge: o.bridge,
          vni: o.vni,
          underlayAddress: inv.hosts[h].underlayAddress!,
          peers: [{ name: peerOf(h), address: inv.hosts[peerOf(h)].underlayAddress! }],
        };
        for (const [key, p, inputs] of [
          [`b-${h}-${o.bridge}`, bp, b],
          [`t-${h}-${o.tunnel}`, tp, t],
        ] as const) {
          const prov = p as unknown as {
            create(i: unknown): Promise<{ id: string; outs: Record<string, unknown> }>;
            read(id: string, props: unknown): Promise<{ props?: Record<string, unknown> }>;
            diff(id: string, o: unknown, n: unknown): Promise<{ changes?: boolean }>;
          };
          if (mode === "cold") {
            state.set(key, await prov.create(inputs));
            changes++;
          } else {
            // `pulumi up --refresh` on an unchanged stack: read, then diff; nothing to apply.
            const prior = state.get(key)!;
            const read = await prov.read(prior.id, prior.outs);
            if ((await prov.diff(prior.id, read.props, inputs)).changes) changes++;
          }
        }
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const after = sshStats();
  return { tool: "ours", run: mode, seconds, connections: after.connections - before.connections, commands: after.commands - before.commands, changes };
}

function ansibleRun(dir: string, mode: string): Row {
  const t0 = process.hrtime.bigint();
  const r = spawnSync("ansible-playbook", ["-vvv", "-i", path.join(dir, "hosts.yml"), path.join(__dirname, "ansible", "ovs-fabric.yml")], {
    encoding: "utf8",
    env: {
      ...process.env,
      ANSIBLE_HOST_KEY_CHECKING: "True",
      ANSIBLE_SSH_ARGS: `-o ControlMaster=no -o UserKnownHostsFile=${path.join(dir, "known_hosts")} -o StrictHostKeyChecking=yes`,
      ANSIBLE_PIPELINING: "True",
      ANSIBLE_FORKS: "2",
      ANSIBLE_PYTHON_INTERPRETER: "/usr/bin/python3",
      ANSIBLE_NOCOLOR: "1",
    },
    maxBuffer: 64 * 1024 * 1024,
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`ansible-playbook failed (${r.status}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-2000)}`);
  // With ControlMaster off every `SSH: EXEC ssh` is one connection running one remote command.
  const execs = (r.stdout.match(/SSH: EXEC ssh/g) ?? []).length;
  const changed = [...r.stdout.matchAll(/changed=(\d+)/g)].reduce((a, m) => a + Number(m[1]), 0);
  return { tool: "ansible", run: mode, seconds, connections: execs, commands: execs, changes: changed };
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
        peer_underlay: inv.hosts[peerOf(h)].underlayAddress,
        bench_bridges: ANSIBLE.map((a) => a.bridge),
        bench_ports: ANSIBLE.map((a) => ({ bridge: a.bridge, port: `${a.port}${h.slice(-1)}`, key: a.key })),
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
  const inv = ensureLab();
  const pristine: Record<string, string> = {};
  for (const h of NODES) pristine[h] = readFileSync(hostPath(inv, h, "/etc/network/interfaces"), "utf8");
  const dir = path.join(inv.stateDir, "bench-ansible");
  writeAnsibleInventory(inv, dir);
  await cleanup(inv, pristine);
  const rows: Row[] = [];
  try {
    const state = new Map<string, { id: string; outs: Record<string, unknown> }>();
    rows.push(await oursRun(inv, "cold", state));
    rows.push(await oursRun(inv, "noop", state));
    rows.push(ansibleRun(dir, "cold"));
    if (!quick) rows.push(ansibleRun(dir, "noop"));
  } finally {
    await closeAllHosts();
    await cleanup(inv, pristine);
  }
  console.log("tool     run   wall_s  ssh_conn  remote_cmds  changes");
  for (const r of rows) {
    console.log(`${r.tool.padEnd(8)} ${r.run.padEnd(5)} ${r.seconds.toFixed(2).padStart(6)}  ${String(r.connections).padStart(8)}  ${String(r.commands).padStart(11)}  ${String(r.changes).padStart(7)}`);
  }
  const oursS = rows.filter((r) => r.tool === "ours").reduce((a, r) => a + r.seconds, 0);
  const ansS = rows.filter((r) => r.tool === "ansible").reduce((a, r) => a + r.seconds, 0);
  const oursConn = Math.max(...rows.filter((r) => r.tool === "ours").map((r) => r.connections));
  const noop = rows.find((r) => r.tool === "ours" && r.run === "noop")!.changes;
  console.log(`ovs-bench ours_s=${oursS.toFixed(2)} ansible_s=${ansS.toFixed(2)} ratio=${(oursS / ansS).toFixed(3)} ssh_connections=${oursConn} noop_changes=${noop}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
