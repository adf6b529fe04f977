// `pfsense-ha drill --stack NAME [--threshold S]`: a measured failover and failback using pfSense's persistent CARP
// maintenance mode, refused unless verify passes, always leaving the pair as it found it.
import { closeAllHosts } from "../providers/ssh";
import { judge } from "../providers/verify/drill-core";
import { runDrill } from "../providers/verify/drill";
import { formatTable } from "../providers/verify/report";
import { verifyCluster } from "../providers/verify/run";
import { endpointWithEnvKey, loadStackConfig, parseStackArgs, secondsFlag, secretsFromEnv, SECRET_ENV } from "../providers/verify/stack";
import type { Command } from "./main";

const HELP = `usage: pfsense-ha drill [--stack NAME | --file Pulumi.NAME.yaml] [--threshold S] [--timeout S] [--hold S] [--json]

Runs verify first and refuses unless it passes. Then puts the primary into persistent CARP maintenance mode
(pfSense's own mechanism, as Status > CARP does), measures the time until the secondary is MASTER on every VHID,
leaves maintenance mode and measures the failback. The starting state is restored even when the drill is
interrupted (Ctrl-C, SIGTERM) or a connection drops.
  --threshold S  longest acceptable takeover/failback time (default 5, from the HA guides)
  --timeout S    give up waiting for a switch after S seconds (default 30); the drill then restores
  --hold S       stay in maintenance mode S seconds after the takeover (default 0)
  --json         machine-readable result
Secrets: ${SECRET_ENV.sshPrivateKey} (SSH key content for hosts without a key file).
Exit codes: 0 both times within the threshold, 1 slower/failed (state restored), 2 usage or configuration error,
3 verify failed (nothing changed), 4 the starting state could NOT be restored (act now: see the message), 130 interrupted (state restored).`;

export const drillCommand: Command = {
  summary: "measured failover/failback with CARP maintenance mode; restores the starting state",
  async run(argv) {
    const args = parseStackArgs(argv, { booleans: ["json"], values: ["threshold", "timeout", "hold"] }, process.cwd(), process.env);
    if ("help" in args) {
      console.log(HELP);
      return 0;
    }
    if ("error" in args) {
      console.error(`pfsense-ha drill: ${args.error}\n\n${HELP}`);
      return 2;
    }
    const threshold = secondsFlag(args.flags, "threshold", 5, 600, true);
    const timeout = secondsFlag(args.flags, "timeout", 30, 600, true);
    const hold = secondsFlag(args.flags, "hold", 0, 3600, true);
    for (const v of [threshold, timeout, hold]) {
      if (typeof v !== "number") {
        console.error(`pfsense-ha drill: ${v.error}`);
        return 2;
      }
    }
    const loaded = loadStackConfig(args);
    if ("error" in loaded) {
      console.error(loaded.error);
      return 2;
    }
    const config = loaded.config;
    const endpointOf = endpointWithEnvKey(process.env);
    const progress = (l: string) => console.error(l);
    try {
      progress("running verify first…");
      const { checks } = await verifyCluster(config, { endpointOf, secrets: secretsFromEnv(process.env), progress });
      if (checks.some((c) => c.status === "fail")) {
        console.error(formatTable(checks.filter((c) => c.status === "fail")));
        console.error("\ndrill refused: verify failed; fix the checks above first (nothing was changed)");
        return 3;
      }
      const out = await runDrill(config, { timeoutS: timeout as number, holdS: hold as number, endpointOf, progress, handleSignals: true });
      const names = { primary: config.firewalls.primary.name, secondary: config.firewalls.secondary.name };
      const verdict = out.times ? judge(out.times, threshold as number, names) : undefined;
      if (args.flags.json === true) {
        console.log(JSON.stringify({ ok: !!verdict?.ok && out.restored, ...out, thresholdS: threshold }, null, 2));
      } else if (verdict) {
        console.log(verdict.lines.join("\n"));
      }
      if (!out.restored) {
        console.error(`\nTHE STARTING STATE WAS NOT RESTORED: ${out.error}\n  -> on ${names.primary}: Status > CARP > Leave Persistent CARP Maintenance Mode, then run \`pfsense-ha verify\``);
        return 4;
      }
      if (out.interrupted) {
        console.error("drill interrupted; starting state restored");
        return 130;
      }
      if (out.error) {
        console.error(`drill failed: ${out.error}\n  -> starting state restored; run \`pfsense-ha verify\` and check the CARP settings (advskew, preemption, links)`);
        return 1;
      }
      if (verdict && !verdict.ok) console.error("\nslower than the threshold: check advbase/advskew, the VXLAN/BFD health and the CPU load of the nodes");
      return verdict?.ok ? 0 : 1;
    } finally {
      await closeAllHosts();
    }
  },
};
