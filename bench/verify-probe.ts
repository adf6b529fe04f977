// verify's firewall probe (providers/verify/probe.ts) on the lab's fw1, over the project's SSH, with the MTU pings of
// 1 and 3 stretched networks: all at once beside the other reads (what verify runs) against one after another (the
// same pings, each in its own section in turn, as verify ran them before). Each ping is FreeBSD's two don't-fragment
// probes to fw2's LAN address (the seeded lab's LAN joins fw1 and fw2), at the LAN's 1500-byte MTU. One SSH command
// per probe either way; the mean of RUNS probes after one warm-up. Last line machine-readable.
import { loadInventory, sshEndpointOf } from "../lab/inventory";
import { closeAllHosts, connectHost, type SshHost } from "../providers/ssh";
import { firewallProbeScript, mtuPingCommand, parseMtuPings, splitSections, type MtuPingProbe } from "../providers/verify/probe";
import { checkTargets, runBench } from "./targets";

const QUICK = process.argv.includes("--quick");
const RUNS = QUICK ? 2 : 5;
const PEER = "192.168.1.3"; // fw2's LAN address in the seeded lab
const SIZE = 1500 - 28;

/** The probe with the pings one after another: what firewallProbeScript wrote before they ran at once. */
function oneAfterAnother(pings: MtuPingProbe[]): string {
  const lines = firewallProbeScript({ xmlrpc: false }).split("\n");
  const config = lines.findIndex((l) => l.includes("@@pfha config"));
  const mtu = pings.map((p) => `echo '@@pfha mtu ${p.network} ${p.size} ${p.address}'; ${mtuPingCommand(p)} 2>&1; echo "pfha:rc $?"`);
  return [...lines.slice(0, config), ...mtu, ...lines.slice(config)].join("\n");
}

async function timed(host: SshHost, script: string, networks: number): Promise<number> {
  const run = async (): Promise<number> => {
    const t0 = process.hrtime.bigint();
    const r = await host.exec(script, { timeoutMs: 60000 });
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    const pings = parseMtuPings(splitSections(r.stdout));
    if (r.code !== 0 || pings.length !== networks || pings.some((p) => !p.ok)) {
      throw new Error(`probe on fw1 failed (exit ${r.code}, ${pings.filter((p) => p.ok).length}/${networks} pings answered): ${r.stderr.slice(-300)}`);
    }
    return s;
  };
  await run();
  let sum = 0;
  for (let i = 0; i < RUNS; i++) sum += await run();
  return sum / RUNS;
}

async function main(): Promise<void> {
  const inv = loadInventory();
  const host = await connectHost(sshEndpointOf(inv.hosts.fw1, inv));
  const rows: { networks: number; atOnceS: number; oneAfterAnotherS: number }[] = [];
  try {
    for (const networks of [1, 3]) {
      const pings = Array.from({ length: networks }, (_x, i) => ({ network: `net${i + 1}`, size: SIZE, address: PEER }));
      rows.push({
        networks,
        atOnceS: await timed(host, firewallProbeScript({ xmlrpc: false, mtuPings: pings }), networks),
        oneAfterAnotherS: await timed(host, oneAfterAnother(pings), networks),
      });
    }
  } finally {
    await closeAllHosts();
  }
  console.log(`verify's firewall probe on fw1, MTU pings to fw2 (${SIZE}-byte payload, DF); mean of ${RUNS} runs, one SSH command each`);
  console.log("| stretched networks | pings at once (s) | one after another (s) |");
  console.log("| --- | --- | --- |");
  for (const r of rows) console.log(`| ${r.networks} | ${r.atOnceS.toFixed(2)} | ${r.oneAfterAnotherS.toFixed(2)} |`);
  const three = rows[1];
  console.log(`verify-probe networks=3 at_once_s=${three.atOnceS.toFixed(2)} one_after_another_s=${three.oneAfterAnotherS.toFixed(2)} saved_s=${(three.oneAfterAnotherS - three.atOnceS).toFixed(2)}`);
  // Hard: with three networks the pings at once take less than two networks' worth of one after another.
  checkTargets("verify-probe", [three.atOnceS < (2 / 3) * three.oneAfterAnotherS ? false : `3 networks: ${three.atOnceS.toFixed(2)} s at once is not below 2/3 of ${three.oneAfterAnotherS.toFixed(2)} s one after another`]);
}

runBench(main);
