// `npm run bench -- ovs [--quick]`: the same OVS fabric (2 bridges + full-mesh VXLAN on the two lab Proxmox nodes)
// built by our providers and by Ansible's openvswitch.openvswitch collection, cold and as a no-op re-run, with the
// driver of bench/ovs-fabric.ts (ours as the engine drives it: the bridges concurrently, each node's tunnels after
// its bridge; the no-op run is refresh + diff; Ansible with its default SSH multiplexing; connections counted on the
// servers). Full: median of 3 rounds; --quick: 1 round, and exit code 1 when a hard target fails (the no-op run
// changed something, more than one connection per host per run). Last line machine-readable.
import { spawnSync } from "child_process";
import { readFileSync } from "fs";
import * as path from "path";
import { hostPath, loadInventory, sshEndpointOf, type LabInventory } from "../lab/inventory";
import { closeAllHosts, connectHost } from "../providers/ssh";
import { wipeMesh, type MeshNetwork, type MeshState } from "../tests/support/ovs-mesh";
import { checkTargets, runBench } from "./targets";
import { ANSIBLE_BRIDGES, ansibleRun, median, oursRun, stopAnsibleMasters, summarize, writeAnsibleInventory, type Run } from "./ovs-fabric";

const NODES = ["pve1", "pve2"];
const NETS: MeshNetwork[] = [
  { bridge: "vmbrb1", tunnelId: "bench1", vni: 3001 },
  { bridge: "vmbrb2", tunnelId: "bench2", vni: 3002 },
];
const ANSIBLE_NETS: MeshNetwork[] = ANSIBLE_BRIDGES.map((a) => ({ bridge: a.bridge, tunnelId: "ansible", vni: a.key }));

function ensureLab(): LabInventory {
  try {
    return loadInventory();
  } catch {
    const up = spawnSync("bash", [path.join(__dirname, "..", "lab", "lab.sh"), "up"], { stdio: "inherit" });
    if (up.status !== 0) throw new Error("lab.sh up failed");
    return loadInventory();
  }
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

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  const rounds = quick ? 1 : 3;
  const inv = ensureLab();
  const pristine: Record<string, string> = {};
  for (const h of NODES) pristine[h] = readFileSync(hostPath(inv, h, "/etc/network/interfaces"), "utf8");
  const dir = path.join(inv.stateDir, "bench-ansible");
  writeAnsibleInventory(inv, NODES, dir);
  const wipe = () => wipeMesh(inv, NODES, [...NETS, ...ANSIBLE_NETS], pristine);
  await wipe();
  const runs: Record<string, Run[]> = { "ours cold": [], "ours noop": [], "ansible cold": [], "ansible noop": [] };
  const floor = await sshFloor(inv);
  try {
    for (let round = 0; round < rounds; round++) {
      const state: MeshState = new Map();
      runs["ours cold"].push(await oursRun(inv, NODES, NETS, state, "cold"));
      runs["ours noop"].push(await oursRun(inv, NODES, NETS, state, "noop"));
      stopAnsibleMasters(dir);
      runs["ansible cold"].push(ansibleRun(inv, NODES, dir));
      runs["ansible noop"].push(ansibleRun(inv, NODES, dir));
      await closeAllHosts();
      await wipe();
    }
  } finally {
    stopAnsibleMasters(dir);
    await closeAllHosts();
    await wipe();
  }
  // Median per (tool, run) over the rounds; counts are the worst round's.
  const rows = Object.entries(runs).map(([name, rs]) => {
    const [tool, run] = name.split(" ");
    return { tool, run, ...summarize(rs) };
  });
  console.log(`OVS fabric: 2 bridges + full-mesh VXLAN on ${NODES.join(", ")}; ${rounds} round(s), median wall time`);
  console.log("tool     run   wall_s  ssh_conn/host  remote_cmds  changes");
  for (const r of rows) {
    console.log(`${r.tool.padEnd(8)} ${r.run.padEnd(5)} ${r.seconds.toFixed(2).padStart(6)}  ${String(r.connMax).padStart(13)}  ${String(r.roundTrips).padStart(11)}  ${String(r.changes).padStart(7)}`);
  }
  console.log(`floor: ssh connect ${floor.connectMs.toFixed(0)} ms, one empty remote command ${floor.execMs.toFixed(0)} ms (this lab's sshd, pooled connection)`);
  const oursS = rows.filter((r) => r.tool === "ours").reduce((a, r) => a + r.seconds, 0);
  const ansS = rows.filter((r) => r.tool === "ansible").reduce((a, r) => a + r.seconds, 0);
  const oursConn = Math.max(...rows.filter((r) => r.tool === "ours").map((r) => r.connMax));
  const noop = rows.find((r) => r.tool === "ours" && r.run === "noop")!.changes;
  const ratio = oursS / ansS;
  console.log(`ovs-bench ours_s=${oursS.toFixed(2)} ansible_s=${ansS.toFixed(2)} ratio=${ratio.toFixed(3)} ssh_connections=${oursConn} noop_changes=${noop}`);
  if (quick) {
    checkTargets(
      "ovs-bench",
      [noop !== 0 && `the no-op run changed ${noop} thing(s)`, oursConn > 1 && `${oursConn} SSH connections to one host in one run (target 1)`],
      [ratio > 0.1 && `ratio ${ratio.toFixed(3)} is above the 0.1 target`],
    );
  }
}

runBench(main);
