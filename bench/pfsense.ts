// pfSense benchmark: (a) 1, 10, 100 CARP VIP / filter rule creates on one lab firewall through the providers,
// with and without batching (without = one install per edit): wall time, installs, applies, SSH round trips;
// (b) the codec's parse + edit + build on the 5 MB config (bench/pfsense-codec.ts). Last line machine-readable.
import { spawnSync } from "child_process";
import { labExec, loadInventory, sshEndpointOf, type LabInventory } from "../lab/inventory";
import { closeAllHosts, sshStats } from "../providers/ssh";
import { providerOf } from "../providers/pfsense/resources/dynamic";
import { protocolStats, resetProtocolStats, setBatching } from "../providers/pfsense/remote";
import { runCodecBench } from "./pfsense-codec";
import { checkTargets, runBench } from "./targets";

function labUp(): LabInventory {
  try {
    return loadInventory();
  } catch {
    const up = spawnSync("bash", ["lab/lab.sh", "up"], { stdio: "inherit" });
    if (up.status !== 0) throw new Error("lab.sh up failed");
    return loadInventory();
  }
}

interface Row {
  edits: number;
  batching: boolean;
  wallS: number;
  installs: number;
  applies: number;
  roundTrips: number;
  sshCommands: number;
}

async function reset(inv: LabInventory): Promise<void> {
  const r = await labExec(inv, "fw1", "php /usr/local/share/pfha-lab/seed.php fw1 fw2 >/dev/null && rm -rf /cf/conf/backup /tmp/config.cache /var/log/pfha-lab/apply.log && mkdir -p /cf/conf/backup");
  if (r.code !== 0) throw new Error(`reset fw1: ${r.stderr}`);
}

async function run(inv: LabInventory, edits: number, batching: boolean): Promise<Row> {
  await reset(inv);
  const endpoint = sshEndpointOf(inv.hosts.fw1, inv);
  setBatching(batching);
  resetProtocolStats();
  const cmds0 = sshStats().commands;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: edits }, async (_, i) => {
      // Half CARP VIPs, half filter rules, as the engine would create them: check, then create, all at once.
      const [provider, spec] =
        i % 2 === 0
          ? [providerOf("carpVip"), {
              interface: "lan", subnet: `192.168.1.${10 + (i >> 1)}`, subnetBits: 24, vhid: 1 + (i >> 1),
              advbase: 1, advskew: 0, password: "bench-secret-123", descr: `bench VIP ${i}`,
            }]
          : [providerOf("filterRule"), {
              type: "pass", interface: "lan", ipprotocol: "inet", protocol: "tcp", source: { network: "lan" },
              destination: { network: "(self)", port: String(1000 + i) }, descr: `bench rule ${i}`,
              // A chain (each after the previous one), so every rule's read-back position is the one it asked for.
              tracker: String(1700000000 + i), position: i === 1 ? { top: true } : { afterTracker: String(1700000000 + i - 2) },
            }];
      const c = await provider.check({}, { endpoint, spec });
      if (c.failures.length) throw new Error(`bench input refused: ${c.failures.map((f) => f.reason).join("; ")}`);
      await provider.create(c.inputs);
    }),
  );
  const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
  const s = protocolStats();
  return { edits, batching, wallS, installs: s.installs, applies: s.applies, roundTrips: s.roundTrips, sshCommands: sshStats().commands - cmds0 };
}

async function main(): Promise<void> {
  const quick = process.argv.includes("--quick");
  const inv = labUp();
  const rows: Row[] = [];
  try {
    for (const n of [1, 10, 100]) {
      rows.push(await run(inv, n, true));
      // Without batching every edit is its own install + apply (~1 s each here): --quick keeps the small ones.
      if (!quick || n === 1) rows.push(await run(inv, n, false));
    }
  } finally {
    setBatching(true);
    await reset(inv);
    await closeAllHosts();
  }
  console.log("(a) CARP VIP + filter rule creates on fw1 (half each), all submitted at once");
  console.log("edits  batching  wall_s   installs  applies  round_trips  ssh_commands");
  for (const r of rows) {
    console.log(
      `${String(r.edits).padEnd(6)} ${String(r.batching).padEnd(9)} ${r.wallS.toFixed(2).padEnd(8)} ${String(r.installs).padEnd(9)} ` +
        `${String(r.applies).padEnd(8)} ${String(r.roundTrips).padEnd(12)} ${r.sshCommands}`,
    );
  }
  const codec = runCodecBench(100);
  console.log(
    `(b) codec: parse ${codec.parseSeconds.toFixed(3)} s + 100 edits ${codec.editSeconds.toFixed(3)} s + build ${codec.buildSeconds.toFixed(3)} s ` +
      `= ${codec.parseEditBuildSeconds.toFixed(3)} s on ${(codec.bytes / 1e6).toFixed(1)} MB; peak RSS ${codec.peakMb} MB (${codec.baseMb} MB before parsing)`,
  );
  const hundred = rows.find((r) => r.edits === 100 && r.batching)!;
  console.log(
    `pfsense-bench edits=100 installs=${hundred.installs} applies=${hundred.applies} wall_s=${hundred.wallS.toFixed(2)} ` +
      `parse_edit_build_5mb_s=${codec.parseEditBuildSeconds.toFixed(3)} peak_mb=${codec.peakMb}`,
  );
  if (quick) {
    checkTargets(
      "pfsense-bench",
      [
        (hundred.installs !== 1 || hundred.applies !== 1) && `a batch of 100 edits cost ${hundred.installs} install(s) and ${hundred.applies} apply(s), target 1 and 1`,
        codec.peakMb >= 300 && `codec peak RSS ${codec.peakMb} MB, target under 300 MB`,
      ],
      [codec.parseEditBuildSeconds >= 1 && `parse+edit+build took ${codec.parseEditBuildSeconds.toFixed(3)} s, above the 1 s target`],
    );
  }
}

runBench(main);
