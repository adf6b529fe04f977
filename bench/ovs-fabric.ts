// The driver the OVS benchmarks share (bench/ovs.ts on the two lab nodes, bench/ovs-scale.ts on n): our run, driven
// as the engine drives the providers (tests/support/ovs-mesh.ts: a fresh process per run; cold = create everything;
// no-op = refresh + diff, and the hosts left byte-identical), the comparison run of Ansible's openvswitch.openvswitch
// collection (bench/ansible/ovs-fabric.yml) with its default SSH multiplexing (ControlMaster=auto,
// ControlPersist=60s) and one fork per node, connections counted on the servers (sshd's "Accepted publickey" lines),
// and the median over rounds.
import { spawnSync } from "child_process";
import { mkdirSync, readFileSync, writeFileSync } from "fs";
import * as path from "path";
import { hostPath, type LabInventory } from "../lab/inventory";
import { shq } from "../providers/shell/quote";
import { acceptedPerHost, converge, fabricFingerprint, meshResources, type MeshNetwork, type MeshState } from "../tests/support/ovs-mesh";

/** The bridges Ansible builds (next to ours, under other names and keys). */
export const ANSIBLE_BRIDGES = [
  { bridge: "vmbra1", key: 4001 },
  { bridge: "vmbra2", key: 4002 },
];

/** One run of one tool. */
export interface Run {
  seconds: number;
  /** Connections accepted, in all and by the busiest host. */
  connTotal: number;
  connMax: number;
  /** Remote commands (SSH round trips). */
  roundTrips: number;
  changes: number;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Median wall time over the rounds; counts are the worst round's. */
export function summarize(runs: Run[]): Run {
  return {
    seconds: median(runs.map((r) => r.seconds)),
    connTotal: Math.max(...runs.map((r) => r.connTotal)),
    connMax: Math.max(...runs.map((r) => r.connMax)),
    roundTrips: Math.max(...runs.map((r) => r.roundTrips)),
    changes: Math.max(...runs.map((r) => r.changes)),
  };
}

/** Connections the hosts accepted since `before` (acceptedPerHost): in all and by the busiest host. */
export function connectionsSince(inv: LabInventory, hosts: string[], before: Record<string, number>): { total: number; max: number } {
  const after = acceptedPerHost(inv, hosts);
  const d = hosts.map((h) => after[h] - before[h]);
  return { total: d.reduce((a, b) => a + b, 0), max: Math.max(...d) };
}

/** One run of our providers on `nodes`: `cold` from nothing (empty `state`), `noop` again on the state it left. */
export async function oursRun(inv: LabInventory, nodes: string[], networks: MeshNetwork[], state: MeshState, mode: "cold" | "noop"): Promise<Run> {
  const fp0 = mode === "noop" ? await fabricFingerprint(inv, nodes) : "";
  const a0 = acceptedPerHost(inv, nodes);
  const r = await converge(state, meshResources(inv, nodes, networks));
  const c = connectionsSince(inv, nodes, a0);
  let changes = r.created + r.updated + r.deleted;
  // Changes on the hosts themselves count too: a no-op run must leave them byte-identical.
  if (mode === "noop" && (await fabricFingerprint(inv, nodes)) !== fp0) changes++;
  return { seconds: r.seconds, connTotal: c.total, connMax: c.max, roundTrips: r.commands, changes };
}

/** Ansible's inventory for `nodes`: each host's ports to every peer; known_hosts from the pinned host keys. */
export function writeAnsibleInventory(inv: LabInventory, nodes: string[], dir: string): void {
  mkdirSync(path.join(dir, "cp"), { recursive: true });
  const known = nodes.map((h) => {
    const pub = readFileSync(hostPath(inv, h, "/etc/ssh/pfha_host_ed25519_key.pub"), "utf8").split(" ").slice(0, 2).join(" ");
    const fp = spawnSync("ssh-keygen", ["-lf", "-"], { input: pub, encoding: "utf8" }).stdout.split(/\s+/)[1];
    if (fp !== inv.hosts[h].hostKeySha256) throw new Error(`${h}: its host key ${fp} is not the pinned ${inv.hosts[h].hostKeySha256}`);
    return `${inv.hosts[h].address} ${pub}`;
  });
  writeFileSync(path.join(dir, "known_hosts"), known.join("\n") + "\n");
  const hosts = Object.fromEntries(
    nodes.map((h) => [
      h,
      {
        ansible_host: inv.hosts[h].address,
        ansible_user: inv.hosts[h].username,
        ansible_ssh_private_key_file: inv.clientKeyPath,
        bench_bridges: ANSIBLE_BRIDGES.map((a) => a.bridge),
        bench_ports: ANSIBLE_BRIDGES.flatMap((a, i) =>
          nodes.filter((p) => p !== h).map((p) => ({ bridge: a.bridge, port: `vxa${i + 1}-${p}`, key: a.key, remote: inv.hosts[p].underlayAddress })),
        ),
      },
    ]),
  );
  writeFileSync(path.join(dir, "hosts.yml"), JSON.stringify({ pve: { hosts } }, null, 2));
}

/** One ansible-playbook run on `nodes` (inventory from writeAnsibleInventory in `dir`). */
export function ansibleRun(inv: LabInventory, nodes: string[], dir: string): Run {
  const a0 = acceptedPerHost(inv, nodes);
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
      ANSIBLE_FORKS: String(nodes.length),
      ANSIBLE_PYTHON_INTERPRETER: "/usr/bin/python3",
      ANSIBLE_NOCOLOR: "1",
    },
    maxBuffer: 256 * 1024 * 1024,
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`ansible-playbook failed (${r.status}):\n${r.stdout.slice(-3000)}\n${r.stderr.slice(-2000)}`);
  const c = connectionsSince(inv, nodes, a0);
  // Every `SSH: EXEC ssh` is one remote command (through the shared master connection when one is up).
  const roundTrips = (r.stdout.match(/SSH: EXEC ssh/g) ?? []).length;
  const changes = [...r.stdout.matchAll(/changed=(\d+)/g)].reduce((a, m) => a + Number(m[1]), 0);
  return { seconds, connTotal: c.total, connMax: c.max, roundTrips, changes };
}

/** Stop Ansible's persistent master connections, so its cold run starts like a new shell session. */
export function stopAnsibleMasters(dir: string): void {
  spawnSync("sh", ["-c", `for s in ${shq(path.join(dir, "cp"))}/*; do [ -S "$s" ] && ssh -o ControlPath="$s" -O exit x 2>/dev/null; done; true`]);
}
