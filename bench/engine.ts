// `npm run bench -- engine`: the dev stack through Pulumi's real language runtime + dynamic-provider host
// (tests/support/pulumi-engine.ts) on the lab: up cold, up no-op, preview, refresh, destroy. Wall time per
// operation (program start included), the state size, the largest serialized provider, and the SSH connections each
// host accepted per operation (sshd's own log). The no-op up runs three times (the line gives the median: one sample
// says more about the shared machine's load than about the run). --quick: exit 1 when a hard target fails (no-op up changes
// something, state > 2 MB, a provider > 50 KB, more than one SSH connection per host in one run, a preview that
// connects).
import { readFileSync } from "fs";
import * as path from "path";
import { parse } from "yaml";
import { hostPath, labExec, loadInventory, type LabInventory } from "../lab/inventory";
import { TestEngine, type RunResult } from "../tests/support/pulumi-engine";
import { checkTargets, runBench } from "./targets";

const HOSTS = ["pve1", "pve2", "fw1", "fw2"];
const ROOT = path.join(__dirname, "..");
const quick = process.argv.includes("--quick");

function accepted(inv: LabInventory): Record<string, number> {
  return Object.fromEntries(HOSTS.map((h) => {
    let text = "";
    try {
      text = readFileSync(hostPath(inv, h, "/var/log/pfha-sshd.log"), "utf8");
    } catch {
      /* none yet */
    }
    return [h, (text.match(/Accepted publickey/g) ?? []).length];
  }));
}

async function main(): Promise<void> {
  const labId = Number(process.env.PFHA_LAB_ID ?? 0);
  const inv = loadInventory(labId);
  for (const h of ["pve1", "pve2"]) await labExec(inv, h, "for b in vmbr0 vmbr1 vmbr2; do ovs-vsctl --if-exists del-br $b; done; rm -f /etc/network/interfaces.d/pfsense-ha");
  const doc = parse(readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
  const secrets = { "pfsense-ha:carpPassword": "bench-carp-1", "pfsense-ha:xmlrpcPassword": "bench-xmlrpc-2" };
  const engine = new TestEngine({ stack: "dev", config: { ...doc.config, ...secrets }, secretKeys: Object.keys(secrets), env: { PFHA_LAB_ID: String(labId) } });
  const rows: { op: string; s: number; programS: number; programCpuS: number; conns: number; changes: number }[] = [];
  let stateKb = 0;
  let providerKb = 0;
  const run = async (op: string, fn: () => Promise<RunResult>) => {
    const before = accepted(inv);
    const t = process.hrtime.bigint();
    const r = await fn();
    const s = Number(process.hrtime.bigint() - t) / 1e9;
    if (!r.ok) throw new Error(`${op} failed: ${r.error}`);
    const after = accepted(inv);
    const changes = r.steps.filter((x) => !["same", "read"].includes(x.op)).length;
    rows.push({ op, s, programS: r.programMs / 1000, programCpuS: r.programCpuMs / 1000, conns: Math.max(...HOSTS.map((h) => after[h] - before[h])), changes });
    if (op === "up (cold)") {
      stateKb = engine.checkpoint().length / 1024;
      providerKb = Math.max(...engine.state.resources.map((x) => String(x.outputs.__provider ?? "").length)) / 1024;
    }
  };
  await run("up (cold)", () => engine.up());
  for (let i = 1; i <= 3; i++) await run(`up (no-op) ${i}`, () => engine.up());
  const noops = rows.filter((r) => r.op.startsWith("up (no-op)"));
  rows.push({ ...[...noops].sort((a, b) => a.s - b.s)[1], op: "up (no-op)" });
  await run("preview", () => engine.preview());
  await run("refresh", () => engine.refresh());
  await run("destroy", () => engine.destroy());

  console.log(`load average ${require("os").loadavg().map((x: number) => x.toFixed(1)).join(" ")} on ${require("os").cpus().length} CPUs`);
  console.log("operation      wall s  program wall s  program CPU s  SSH conn./host  changes");
  for (const r of rows) {
    console.log(`${(r.op === "up (no-op)" ? "no-op med." : r.op).padEnd(13)} ${r.s.toFixed(2).padStart(7)}  ${r.programS.toFixed(2).padStart(14)}  ${r.programCpuS.toFixed(2).padStart(13)}  ${String(r.conns).padStart(14)}  ${String(r.changes).padStart(7)}`);
  }
  const by = (op: string) => rows.find((r) => r.op === op)!;
  const conns = Math.max(...rows.filter((r) => r.op !== "preview").map((r) => r.conns));
  console.log(`state ${stateKb.toFixed(1)} KB, largest __provider ${providerKb.toFixed(2)} KB`);
  console.log(
    `engine-bench up_s=${by("up (cold)").s.toFixed(2)} noop_s=${by("up (no-op)").s.toFixed(2)} preview_s=${by("preview").s.toFixed(2)} ` +
      `refresh_s=${by("refresh").s.toFixed(2)} destroy_s=${by("destroy").s.toFixed(2)} state_kb=${stateKb.toFixed(1)} ` +
      `provider_kb_max=${providerKb.toFixed(2)} ssh_connections_per_host=${conns}`,
  );
  if (quick) {
    checkTargets("engine-bench", [
      rows.some((r) => r.op.startsWith("up (no-op)") && r.changes > 0) && "the no-op up changed something",
      stateKb > 2048 && `state ${stateKb.toFixed(0)} KB > 2 MB`,
      providerKb > 50 && `a __provider of ${providerKb.toFixed(0)} KB > 50 KB`,
      conns > 1 && `${conns} SSH connections to one host in one run (target 1)`,
      by("preview").conns > 0 && "the preview connected to a host",
    ]);
  }
}

runBench(main);
