// `pfsense-ha drill --stack NAME [--mode M] [--client C --ping IP --tcp IP:PORT]`: a measured failover and failback
// (maintenance mode, CARP disabled, NIC link-down or power-off of the primary) with a client probe through the VIP,
// refused unless verify passes, always leaving the pair as it found it.
import { closeAllHosts } from "../providers/ssh";
import { runDrill, type DrillProbeOptions } from "../providers/verify/drill";
import { clientEndpointOf, DRILL_MODES, MODE_HELP, needsVm, nicKeyOf, parseDrillMode, parseTcpTarget, primaryVmIdOf } from "../providers/verify/drill-modes";
import { validateProbeSpec } from "../providers/verify/drill-probe";
import { drillVerdict, formatDrillTable } from "../providers/verify/drill-report";
import { formatTable } from "../providers/verify/report";
import { verifyCluster } from "../providers/verify/run";
import { endpointWithEnvKey, secretsFromEnv, SECRET_ENV } from "../providers/verify/stack";
import { secondsFlag, startCommand } from "./start";
import type { Command } from "./main";

const HELP = `usage: pfsense-ha drill [--stack NAME | --file Pulumi.NAME.yaml] [--mode MODE] [--client C [--ping IP] [--tcp IP:PORT]]
                       [--threshold S] [--timeout S] [--hold S] [--json]

Runs verify first and refuses unless it passes. Then puts a fault on the primary, measures the time until the
secondary is MASTER on every VHID, clears the fault and measures the failback. With --client, a host behind the
firewall pings through the LAN VIP and holds one TCP session through the firewall meanwhile: the report gives the
pings lost, the longest gap and whether the session survived. The starting state is restored on every exit path
(Ctrl-C, SIGTERM, errors, dropped connections).
  --mode MODE        ${DRILL_MODES.join(" | ")} (default maintenance):
${DRILL_MODES.map((m) => `                       ${m}: ${MODE_HELP[m]}`).join("\n")}
  --vmid N           poweroff/interface-down: the primary's Proxmox VM id (default: firewalls.primary.vm)
  --network ROLE     interface-down: whose NIC goes link-down (default lan)
  --boot-timeout S   poweroff: longest wait for the primary to boot and take over again (default 300)
  --client C         the probe's client: a Proxmox node of the stack, or USER@HOST[:PORT] with --client-host-key
                     SHA256:… and --client-key PATH (or an ssh-agent). Needs bash, iputils ping and root.
  --ping IP          pinged through the firewall (default: the WAN gateway)
  --interval MS      between two pings, 50-1000 (default 50)
  --tcp IP:PORT      an HTTP/1.1 server beyond the firewall: one keep-alive connection is held for the whole drill
  --threshold S      longest acceptable takeover/failback/gap (default 5, from the HA guides)
  --timeout S        give up waiting for a switch after S seconds (default 30); the drill then restores
  --hold S           keep the fault on S seconds after the takeover (default 0)
  --json             machine-readable result
Secrets: ${SECRET_ENV.sshPrivateKey} (SSH key content for hosts without a key file).
Exit codes: 0 every figure within the threshold, 1 slower/failed (state restored), 2 usage or configuration error,
3 verify failed (nothing changed), 4 the starting state could NOT be restored (act now: see the message), 130 interrupted (state restored).`;

const RESTORE_BY_HAND: Record<string, string> = {
  maintenance: "Status > CARP > Leave Persistent CARP Maintenance Mode",
  "carp-disable": "Status > CARP > Enable CARP (or `sysctl net.inet.carp.allow=1`)",
  "interface-down": "on the Proxmox node: `qm set VMID --netN <the NIC's properties without link_down=1>`",
  poweroff: "on the Proxmox node: `qm start VMID`",
};

export const drillCommand: Command = {
  summary: "measured failover/failback (maintenance, carp-disable, interface-down, poweroff) with a client probe; restores the starting state",
  async run(argv) {
    const start = startCommand("drill", argv, {
      booleans: ["json"],
      values: ["threshold", "timeout", "hold", "mode", "vmid", "network", "boot-timeout", "client", "client-host-key", "client-key", "ping", "interval", "tcp"],
    }, HELP);
    if (typeof start === "number") return start;
    const { args, usage } = start;
    const threshold = secondsFlag(args.flags, "threshold", 5, 600, true);
    const timeout = secondsFlag(args.flags, "timeout", 30, 600, true);
    const hold = secondsFlag(args.flags, "hold", 0, 3600, true);
    const boot = secondsFlag(args.flags, "boot-timeout", 300, 3600, true);
    for (const v of [threshold, timeout, hold, boot]) if (typeof v !== "number") return usage(v.error);
    const mode = parseDrillMode(args.flags.mode);
    if (typeof mode !== "string") return usage(mode.error);
    const config = start.config();
    if (typeof config === "number") return config;
    let vmId: number | undefined;
    let nic: string | undefined;
    if (needsVm(mode)) {
      const v = primaryVmIdOf(config, args.flags.vmid);
      if (typeof v !== "number") return usage(v.error);
      vmId = v;
    } else if (args.flags.vmid !== undefined) return usage(`--vmid is only used by --mode poweroff or interface-down`);
    if (mode === "interface-down") {
      const k = nicKeyOf(config, typeof args.flags.network === "string" ? args.flags.network : "lan");
      if (typeof k !== "string") return usage(k.error);
      nic = k;
    } else if (args.flags.network !== undefined) return usage("--network is only used by --mode interface-down");
    let probe: DrillProbeOptions | undefined;
    if (typeof args.flags.client === "string") {
      const client = clientEndpointOf(config, args.flags.client, {
        hostKey: typeof args.flags["client-host-key"] === "string" ? args.flags["client-host-key"] : undefined,
        keyPath: typeof args.flags["client-key"] === "string" ? args.flags["client-key"] : undefined,
        agent: !!process.env.SSH_AUTH_SOCK,
      });
      if ("error" in client) return usage(client.error);
      const pingTarget = typeof args.flags.ping === "string" ? args.flags.ping : config.networks.find((n) => n.role === "wan")?.gateway;
      if (!pingTarget) return usage("--ping is required: networks.wan has no gateway to ping by default; give an address beyond the firewall");
      const interval = args.flags.interval === undefined ? 50 : Number(args.flags.interval);
      let tcp: { host: string; port: number } | undefined;
      if (typeof args.flags.tcp === "string") {
        const t = parseTcpTarget(args.flags.tcp);
        if ("error" in t) return usage(t.error);
        tcp = t;
      }
      const spec = { pingTarget, intervalMs: interval, tcpIntervalMs: 500, ...(tcp ? { tcp } : {}) };
      const bad = validateProbeSpec({ ...spec, maxS: 60, token: "check" });
      if (bad) return usage(bad);
      probe = { client, spec };
    } else {
      for (const f of ["ping", "tcp", "interval", "client-host-key", "client-key"]) if (args.flags[f] !== undefined) return usage(`--${f} needs --client`);
    }
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
      if (!probe) progress("no --client: measuring CARP takeover/failback only (no client-side loss, gap or TCP session)");
      const out = await runDrill(config, {
        mode, vmId, nic, probe,
        timeoutS: timeout as number, holdS: hold as number, bootTimeoutS: boot as number,
        endpointOf, progress, handleSignals: true,
      });
      const names = { primary: config.firewalls.primary.name, secondary: config.firewalls.secondary.name };
      const verdict = drillVerdict({ mode, thresholdS: threshold as number, names, times: out.times, probe: out.probe });
      const ok = verdict.ok && out.restored && !out.error && !out.probeError && !out.interrupted;
      if (args.flags.json === true) {
        console.log(JSON.stringify({ ok, ...out, thresholdS: threshold, rows: verdict.rows }, null, 2));
      } else {
        console.log(formatDrillTable(verdict));
      }
      if (out.probeError) console.error(`client probe failed: ${out.probeError}`);
      if (!out.restored) {
        console.error(`\nTHE STARTING STATE WAS NOT RESTORED: ${out.error}\n  -> ${RESTORE_BY_HAND[mode]} for ${names.primary}, then run \`pfsense-ha verify\``);
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
      return ok ? 0 : 1;
    } finally {
      await closeAllHosts();
    }
  },
};
