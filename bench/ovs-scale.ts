// `npm run bench -- ovs --nodes 2,3,4,8 [--quick] [--no-ansible] [--ansible-rounds N]`: the OVS fabric of bench/ovs.ts (2 bridges per
// node, a full VXLAN mesh on each: 2·n·(n−1) tunnel ports) on n lab Proxmox nodes, for each n, with the driver of
// bench/ovs-fabric.ts (ours as the engine drives it, Ansible with its default SSH multiplexing, connections counted
// on the servers, round trips by the clients). The lab is grown to the largest n (PFHA_LAB_NODES) and given back its node count at the end.
// Full: median of 3 rounds for ours, 1 round of Ansible (--ansible-rounds: it takes minutes at 8 nodes); --quick: 1 round, and exit 1 when a no-op run changed something or a run opened more than
// one connection to one host. Last line machine-readable.
import { spawnSync } from "child_process";
import { readFileSync } from "fs";
import { loadavg } from "os";
import * as path from "path";
import { hostPath, labProxmoxNodes, loadInventory, type LabInventory } from "../lab/inventory";
import { converge, wipeMesh, type MeshNetwork, type MeshState } from "../tests/support/ovs-mesh";
import { checkTargets, runBench } from "./targets";
import { ANSIBLE_BRIDGES, ansibleRun, oursRun, stopAnsibleMasters, summarize, writeAnsibleInventory, type Run } from "./ovs-fabric";

const LAB_SH = path.join(__dirname, "..", "lab", "lab.sh");
const NETS: MeshNetwork[] = [
  { bridge: "vmbrb1", tunnelId: "bench1", vni: 3001 },
  { bridge: "vmbrb2", tunnelId: "bench2", vni: 3002 },
];
const ANSIBLE_NETS: MeshNetwork[] = ANSIBLE_BRIDGES.map((a) => ({ bridge: a.bridge, tunnelId: "ansible", vni: a.key }));

function labUp(nodes: number): LabInventory {
  const r = spawnSync("bash", [LAB_SH, "up"], { env: { ...process.env, PFHA_LAB_NODES: String(nodes) }, stdio: ["ignore", "ignore", "inherit"] });
  if (r.status !== 0) throw new Error(`PFHA_LAB_NODES=${nodes} lab.sh up failed`);
  return loadInventory();
}

interface Row {
  nodes: number;
  tool: string;
  cold: Run;
  noop: Run;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const quick = argv.includes("--quick");
  const withAnsible = !argv.includes("--no-ansible");
  const rounds = quick ? 1 : 3;
  const ar = argv.includes("--ansible-rounds") ? Number(argv[argv.indexOf("--ansible-rounds") + 1]) : 1;
  if (!Number.isInteger(ar) || ar < 1) throw new Error("--ansible-rounds: give a whole number of rounds, e.g. --ansible-rounds 3");
  const ansibleRounds = Math.min(ar, rounds);
  const raw = argv[argv.indexOf("--nodes") + 1] ?? "";
  const sizes = raw.split(",").map(Number);
  if (!/^[0-9]+(,[0-9]+)*$/.test(raw) || sizes.some((n) => n < 2 || n > 10)) {
    throw new Error(`--nodes '${raw}': give node counts between 2 and 10, e.g. --nodes 2,3,4,8`);
  }
  let previous = 2;
  try {
    previous = labProxmoxNodes(loadInventory()).length;
  } catch {
    /* not up: brought up below, and left with the default 2 nodes */
  }
  const largest = Math.max(...sizes);
  const t0 = process.hrtime.bigint();
  const inv = labUp(Math.max(previous, largest));
  const upS = Number(process.hrtime.bigint() - t0) / 1e9;
  const all = labProxmoxNodes(inv);
  const pristine: Record<string, string> = Object.fromEntries(all.map((h) => [h, readFileSync(hostPath(inv, h, "/etc/network/interfaces"), "utf8")]));
  const dir = path.join(inv.stateDir, "bench-ansible-scale");
  const rows: Row[] = [];
  const wipe = () => wipeMesh(inv, all, [...NETS, ...ANSIBLE_NETS], pristine);
  try {
    await wipe();
    for (const n of sizes) {
      const nodes = all.slice(0, n);
      const ours: { cold: Run[]; noop: Run[] } = { cold: [], noop: [] };
      const ans: { cold: Run[]; noop: Run[] } = { cold: [], noop: [] };
      if (withAnsible) writeAnsibleInventory(inv, nodes, dir);
      for (let round = 0; round < rounds; round++) {
        const state: MeshState = new Map();
        ours.cold.push(await oursRun(inv, nodes, NETS, state, "cold"));
        ours.noop.push(await oursRun(inv, nodes, NETS, state, "noop"));
        await converge(state, []);
        if (withAnsible && round < ansibleRounds) {
          stopAnsibleMasters(dir);
          ans.cold.push(ansibleRun(inv, nodes, dir));
          ans.noop.push(ansibleRun(inv, nodes, dir));
          stopAnsibleMasters(dir);
        }
        await wipe();
      }
      rows.push({ nodes: n, tool: "ours", cold: summarize(ours.cold), noop: summarize(ours.noop) });
      if (withAnsible) rows.push({ nodes: n, tool: "ansible", cold: summarize(ans.cold), noop: summarize(ans.noop) });
    }
  } finally {
    stopAnsibleMasters(dir);
    await wipe();
    if (previous !== all.length) labUp(previous);
  }

  console.log(
    `OVS fabric against node count: ${NETS.length} bridges per node, a full VXLAN mesh on each; ours ${rounds} round(s)` +
      (withAnsible ? `, Ansible ${ansibleRounds}` : "") + `, median wall time; load average ${loadavg().map((x) => x.toFixed(1)).join(" ")}`,
  );
  console.log(`lab: PFHA_LAB_NODES=${Math.max(previous, largest)} lab.sh up took ${upS.toFixed(1)} s`);
  console.log("nodes  tunnel_ports  tool     cold_s  noop_s  ssh_conn_cold(total/per_host)  ssh_conn_noop(total/per_host)  round_trips(cold/noop)  noop_changes");
  for (const r of rows) {
    const ports = NETS.length * r.nodes * (r.nodes - 1);
    console.log(
      `${String(r.nodes).padStart(5)}  ${String(ports).padStart(12)}  ${r.tool.padEnd(7)}  ${r.cold.seconds.toFixed(2).padStart(6)}  ${r.noop.seconds.toFixed(2).padStart(6)}  ` +
        `${`${r.cold.connTotal}/${r.cold.connMax}`.padStart(29)}  ${`${r.noop.connTotal}/${r.noop.connMax}`.padStart(29)}  ${`${r.cold.roundTrips}/${r.noop.roundTrips}`.padStart(22)}  ${String(r.noop.changes).padStart(12)}`,
    );
  }
  const ours = rows.filter((r) => r.tool === "ours");
  const ans = rows.filter((r) => r.tool === "ansible");
  const list = (xs: number[], d = 2) => xs.map((x) => x.toFixed(d)).join(",");
  const perHost = Math.max(...ours.flatMap((r) => [r.cold.connMax, r.noop.connMax]));
  const noopChanges = Math.max(...ours.map((r) => r.noop.changes));
  console.log(
    `ovs-scale nodes=${sizes.join(",")} ports=${sizes.map((n) => n * (n - 1)).join(",")} tunnel_ports=${sizes.map((n) => NETS.length * n * (n - 1)).join(",")} ` +
      `cold_s=${list(ours.map((r) => r.cold.seconds))} noop_s=${list(ours.map((r) => r.noop.seconds))} ` +
      `round_trips=${ours.map((r) => `${r.cold.roundTrips}/${r.noop.roundTrips}`).join(",")} ssh_per_host=${perHost} noop_changes=${noopChanges}` +
      (ans.length ? ` ansible_cold_s=${list(ans.map((r) => r.cold.seconds))} ansible_noop_s=${list(ans.map((r) => r.noop.seconds))}` : ""),
  );
  if (quick) {
    checkTargets("ovs-scale", [
      noopChanges !== 0 && `a no-op run changed ${noopChanges} thing(s)`,
      perHost > 1 && `${perHost} SSH connections to one host in one run (target 1)`,
    ]);
  }
}

runBench(main);
