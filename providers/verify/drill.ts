// The failover drill's I/O shell: a fault on the primary (maintenance mode, CARP disabled, a NIC link-down or a
// power-off through its Proxmox node), the time until the secondary holds every VHID, the fault cleared, the time until
// the primary holds them again; meanwhile a client behind the firewall pings through the VIP and holds a TCP session.
// The restore step (clear the fault, wait for the primary to hold every VHID) is armed before the first change and
// runs in `finally`, so Ctrl-C/SIGTERM (which abort the current wait), errors and lost connections (reconnect with
// retries) still end in the starting state.
import type { ClusterConfig, FirewallRole } from "../../config/types";
import { closeHost, connectHost, redact, type SshEndpoint } from "../ssh";
import { expectationsOf, type ExpectedVip } from "./desired";
import { describeStates, heldBy, maintenanceScript, parseMaintenanceOutput, type DrillTimes } from "./drill-core";
import { CARP_ALLOW, CARP_ALLOW_READ, isLinkDown, nicValueOf, parseQmStatus, qm, takenOver, withLinkDown, type DrillMode } from "./drill-modes";
import { parseProbeOutput, probeScript, stopFileOf, type ProbeReport, type ProbeSpec } from "./drill-probe";
import { parseIfconfig, type IfconfigReport } from "./parse-ifconfig";
import { CARP_POLL_SCRIPT } from "./probe";
import { shCommand } from "../shell/quote";

export interface DrillProbeOptions {
  /** The client host behind the firewall (its gateway is the LAN VIP). */
  client: SshEndpoint;
  spec: Omit<ProbeSpec, "maxS" | "token">;
  /** Probe time before the fault and after the failback, ms (default 1000). */
  settleMs?: number;
}

export interface DrillOptions {
  /** Default maintenance. */
  mode?: DrillMode;
  /** poweroff / interface-down: the primary's Proxmox VM id. */
  vmId?: number;
  /** interface-down: the primary's NIC (net0, net1, …). */
  nic?: string;
  /** Longest wait for each switch (takeover, failback, restore), seconds. */
  timeoutS: number;
  /** poweroff: longest wait for the primary to boot and take the VHIDs back, seconds (default 300). */
  bootTimeoutS?: number;
  /** Interval between two CARP reads of both nodes, ms (default 100). */
  pollMs?: number;
  /** Seconds to keep the fault on after the takeover (to watch the secondary carry traffic). */
  holdS?: number;
  probe?: DrillProbeOptions;
  endpointOf?: (ep: SshEndpoint) => SshEndpoint;
  progress?: (line: string) => void;
  /** Install SIGINT/SIGTERM handlers that abort the drill into its restore step (the CLI does). */
  handleSignals?: boolean;
}

export interface DrillOutcome {
  mode: DrillMode;
  times?: Partial<DrillTimes>;
  /** What the client saw; absent without a probe (or when it failed: probeError). */
  probe?: ProbeReport;
  probeError?: string;
  /** The starting state is back: the fault cleared and the primary MASTER on every VHID. */
  restored: boolean;
  interrupted: boolean;
  error?: string;
}

class Aborted extends Error {}

const PFSSH = "/usr/local/sbin/pfSsh.php";

interface Fault {
  describe: string;
  /** Checks that the fault can be injected and cleared (read-only), before anything changes. */
  precheck(): Promise<void>;
  inject(): Promise<void>;
  /** Idempotent: safe whether or not the fault is on. */
  clear(retryS: number): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runDrill(config: ClusterConfig, opts: DrillOptions): Promise<DrillOutcome> {
  const mode: DrillMode = opts.mode ?? "maintenance";
  const vips: ExpectedVip[] = expectationsOf(config).vips;
  const endpointOf = opts.endpointOf ?? ((e: SshEndpoint) => e);
  const ep = (role: FirewallRole) => endpointOf(config.firewalls[role].ssh);
  const name = (role: FirewallRole) => config.firewalls[role].name;
  const primaryNode = config.proxmox.nodes.find((n) => n.name === config.firewalls.primary.proxmoxNode);
  const say = opts.progress ?? (() => undefined);
  const pollMs = opts.pollMs ?? 100;
  let aborted = false;
  let interrupted = false;
  const onSignal = (sig: string) => {
    if (interrupted) return;
    interrupted = true;
    aborted = true;
    say(`${sig}: stopping the drill and restoring the starting state…`);
  };
  const sigint = () => onSignal("SIGINT");
  const sigterm = () => onSignal("SIGTERM");

  const read = async (role: FirewallRole): Promise<IfconfigReport> => {
    const r = await (await connectHost(ep(role))).exec(CARP_POLL_SCRIPT, { timeoutMs: 5000 });
    if (r.code !== 0) throw new Error(`ifconfig on ${name(role)} exited ${r.code}: ${r.stderr.trim()}`);
    return parseIfconfig(r.stdout);
  };

  /** Polls until `done` holds; returns the time it was first seen. Connection errors are retried. */
  const waitFor = async (what: string, timeoutS: number, abortable: boolean, readPrimary: boolean,
    done: (r: { primary?: IfconfigReport; secondary: IfconfigReport }) => boolean): Promise<number> => {
    const deadline = Date.now() + timeoutS * 1000;
    let last: string;
    for (;;) {
      if (abortable && aborted) throw new Aborted();
      try {
        const [primary, secondary] = await Promise.all([readPrimary ? read("primary") : Promise.resolve(undefined), read("secondary")]);
        const seen = Date.now();
        if (done({ primary, secondary })) return seen;
        last = primary ? describeStates(vips, { primary, secondary }) : describeStates(vips, { primary: { interfaces: [] }, secondary }).replace(/primary absent/g, "primary not read");
      } catch (e) {
        last = `read failed (${redact((e as Error).message)}), retrying`;
      }
      if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutS} s (last: ${last})`);
      await sleep(pollMs);
    }
  };
  const waitHeldByPrimary = (timeoutS: number, abortable: boolean) =>
    waitFor(`${name("primary")} MASTER on every VHID`, timeoutS, abortable, true, (r) => r.primary !== undefined && heldBy("primary", vips, { primary: r.primary, secondary: r.secondary }));

  /** Runs a command until it succeeds or `retryS` passes (0 = once); reconnects after a dropped connection. */
  const retrying = async <T>(what: string, retryS: number, fn: () => Promise<T>): Promise<T> => {
    const deadline = Date.now() + retryS * 1000;
    for (;;) {
      try {
        return await fn();
      } catch (e) {
        if (Date.now() > deadline) throw e;
        say(`${what} failed (${redact((e as Error).message)}); retrying…`);
        await sleep(500);
      }
    }
  };
  const runOn = async (endpoint: SshEndpoint, label: string, command: string, stdin?: string): Promise<string> => {
    const r = await (await connectHost(endpoint)).exec(command, { timeoutMs: 60_000, ...(stdin === undefined ? {} : { stdin }) });
    if (r.code !== 0) throw new Error(`${label}: \`${command}\` exited ${r.code}: ${(r.stderr || r.stdout).trim().slice(0, 300)}`);
    return r.stdout;
  };

  const fault = ((): Fault => {
    if (mode === "maintenance") {
      const set = (on: boolean, retryS: number) => retrying(`maintenance mode ${on ? "on" : "off"} on ${name("primary")}`, retryS, async () => {
        const out = await runOn(ep("primary"), name("primary"), PFSSH, maintenanceScript(on)).catch((e: Error) => e.message);
        if (parseMaintenanceOutput(out) !== (on ? "on" : "off")) {
          throw new Error(`pfSsh.php on ${name("primary")} did not confirm maintenance mode ${on ? "on" : "off"}: ${out.trim().slice(0, 300)}`);
        }
      });
      return { describe: `persistent CARP maintenance mode on ${name("primary")}`, precheck: async () => undefined, inject: () => set(true, 0), clear: (s) => set(false, s) };
    }
    if (mode === "carp-disable") {
      const set = (on: boolean, retryS: number) => retrying(`net.inet.carp.allow=${on ? 1 : 0} on ${name("primary")}`, retryS, async () => {
        await runOn(ep("primary"), name("primary"), CARP_ALLOW(on));
        const now = (await runOn(ep("primary"), name("primary"), CARP_ALLOW_READ)).trim();
        if (now !== (on ? "1" : "0")) throw new Error(`net.inet.carp.allow reads ${JSON.stringify(now)} after setting it`);
      });
      return {
        describe: `net.inet.carp.allow=0 on ${name("primary")}`,
        precheck: async () => {
          const now = (await runOn(ep("primary"), name("primary"), CARP_ALLOW_READ)).trim();
          if (now !== "1") throw new Error(`net.inet.carp.allow is ${JSON.stringify(now)} on ${name("primary")} before the drill; set it to 1 (Status > CARP > Enable CARP)`);
        },
        inject: () => set(false, 0),
        clear: (s) => set(true, s),
      };
    }
    if (!primaryNode) throw new Error(`firewalls.primary.proxmoxNode ${JSON.stringify(config.firewalls.primary.proxmoxNode)} is not a proxmox node`);
    const nodeEp = endpointOf(primaryNode.ssh);
    const vmId = opts.vmId;
    if (vmId === undefined) throw new Error(`${mode} needs the primary's VM id (--vmid)`);
    const onNode = (cmd: string) => runOn(nodeEp, primaryNode.name, cmd);
    const status = async () => parseQmStatus(await onNode(qm.status(vmId)));
    if (mode === "poweroff") {
      return {
        describe: `qm stop ${vmId} on ${primaryNode.name}`,
        precheck: async () => {
          const s = await status();
          if (s !== "running") throw new Error(`VM ${vmId} on ${primaryNode.name} is ${s ?? "unknown to qm status"}, not running: check --vmid / firewalls.primary.proxmoxNode`);
        },
        inject: async () => {
          await onNode(qm.stop(vmId));
          await closeHost(ep("primary")).catch(() => undefined); // its connection died with it
        },
        clear: (retryS) => retrying(`qm start ${vmId} on ${primaryNode.name}`, retryS, async () => {
          if ((await status()) !== "running") await onNode(qm.start(vmId));
          const s = await status();
          if (s !== "running") throw new Error(`VM ${vmId} is ${s ?? "unknown"} after qm start`);
        }),
      };
    }
    const nic = opts.nic;
    if (!nic) throw new Error("interface-down needs the NIC (--network)");
    let original: string | undefined;
    return {
      describe: `link down on ${nic} of VM ${vmId} on ${primaryNode.name}`,
      precheck: async () => {
        const v = nicValueOf(await onNode(qm.config(vmId)), nic);
        if (typeof v !== "string") throw new Error(`VM ${vmId} on ${primaryNode.name}: ${v.error}`);
        if (isLinkDown(v)) throw new Error(`VM ${vmId} on ${primaryNode.name}: ${nic} is already link_down=1; bring it up first (qm set ${vmId} --${nic} ${withLinkDown(v, false)})`);
        original = v;
      },
      inject: async () => {
        if (original === undefined) throw new Error("precheck did not run");
        await onNode(qm.setNic(vmId, nic, withLinkDown(original, true)));
      },
      clear: (retryS) => retrying(`link up on ${nic} of VM ${vmId}`, retryS, async () => {
        if (original === undefined) return;
        await onNode(qm.setNic(vmId, nic, original));
        const v = nicValueOf(await onNode(qm.config(vmId)), nic);
        if (typeof v !== "string" || isLinkDown(v)) throw new Error(`${nic} still reads ${JSON.stringify(v)} after qm set`);
      }),
    };
  })();

  if (opts.handleSignals) {
    process.on("SIGINT", sigint);
    process.on("SIGTERM", sigterm);
  }

  // The probe runs for the whole drill; stopped by its stop file (it also stops by itself after maxS).
  let probeRun: Promise<string> | undefined;
  const probeToken = `d${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const startProbe = async (): Promise<void> => {
    if (!opts.probe) return;
    const maxS = Math.ceil(2 * opts.timeoutS + (mode === "poweroff" ? opts.bootTimeoutS ?? 300 : opts.timeoutS) + (opts.holdS ?? 0) + 60);
    const script = probeScript({ ...opts.probe.spec, maxS, token: probeToken });
    const host = await connectHost(endpointOf(opts.probe.client));
    probeRun = host.exec(shCommand(["bash", "-c", script]), { timeoutMs: (maxS + 60) * 1000 }).then((r) => r.stdout + (r.code !== 0 ? `\n${r.stderr}` : ""));
    await sleep(opts.probe.settleMs ?? 1000);
  };
  const stopProbe = async (): Promise<{ report?: ProbeReport; error?: string }> => {
    if (!opts.probe || !probeRun) return {};
    try {
      await (await connectHost(endpointOf(opts.probe.client))).exec(shCommand(["touch", stopFileOf(probeToken)]), { timeoutMs: 10_000 });
      const out = await probeRun;
      return { report: parseProbeOutput(out, opts.probe.spec.pingTarget, !!opts.probe.spec.tcp) };
    } catch (e) {
      return { error: redact((e as Error).message) };
    }
  };

  let changed = false;
  let restored = false;
  const times: Partial<DrillTimes> = {};
  let error: string | undefined;
  let probeResult: { report?: ProbeReport; error?: string };
  try {
    say(`checking that ${name("primary")} holds all ${vips.length} VHID(s)…`);
    await waitHeldByPrimary(2, true);
    await fault.precheck();
    if (opts.probe) say(`starting the client probe on ${opts.probe.client.host} (ping ${opts.probe.spec.pingTarget} every ${opts.probe.spec.intervalMs} ms${opts.probe.spec.tcp ? `, TCP to ${opts.probe.spec.tcp.host}:${opts.probe.spec.tcp.port}` : ""})…`);
    await startProbe();
    if (aborted) throw new Aborted();
    say(`fault: ${fault.describe}…`);
    changed = true; // armed before the change: whatever happens next, `finally` restores
    const t0 = Date.now();
    await fault.inject();
    say(`fault on (took ${((Date.now() - t0) / 1000).toFixed(2)} s); waiting for ${name("secondary")} to be MASTER on every VHID…`);
    const readPrimary = mode === "maintenance" || mode === "carp-disable";
    const takeoverAt = await waitFor(`${name("secondary")} MASTER on every VHID`, opts.timeoutS, true, readPrimary, (r) => takenOver(mode, vips, r));
    times.takeoverMs = takeoverAt - t0;
    say(`takeover after ${(times.takeoverMs / 1000).toFixed(2)} s`);
    if (opts.holdS) {
      say(`holding ${mode === "maintenance" ? "maintenance mode" : "the fault"} for ${opts.holdS} s…`);
      const until = Date.now() + opts.holdS * 1000;
      while (Date.now() < until) {
        if (aborted) throw new Aborted();
        await sleep(50);
      }
    }
    if (aborted) throw new Aborted();
    say(`clearing the fault on ${name("primary")}…`);
    const t1 = Date.now();
    await fault.clear(opts.timeoutS); // retried: a dropped connection is reconnected
    const failbackAt = await waitHeldByPrimary(mode === "poweroff" ? opts.bootTimeoutS ?? 300 : opts.timeoutS, true);
    restored = true;
    times.failbackMs = failbackAt - t1;
    say(`failback after ${(times.failbackMs / 1000).toFixed(2)} s`);
    if (opts.probe) await sleep(opts.probe.settleMs ?? 1000);
  } catch (e) {
    if (!(e instanceof Aborted)) error = redact((e as Error).message);
  } finally {
    if (changed && !restored) {
      say(`restoring: clearing the fault (${fault.describe}) and waiting for ${name("primary")} to hold every VHID…`);
      try {
        await fault.clear(opts.timeoutS);
        await waitHeldByPrimary(mode === "poweroff" ? opts.bootTimeoutS ?? 300 : opts.timeoutS, false);
        restored = true;
        say("starting state restored");
      } catch (e) {
        const why = redact((e as Error).message);
        error = error ? `${error}; restore failed: ${why}` : `restore failed: ${why}`;
      }
    }
    probeResult = await stopProbe();
    if (opts.handleSignals) {
      process.off("SIGINT", sigint);
      process.off("SIGTERM", sigterm);
    }
  }
  return {
    mode,
    ...(times.takeoverMs !== undefined ? { times } : {}),
    ...(probeResult.report ? { probe: probeResult.report } : {}),
    ...(probeResult.error ? { probeError: probeResult.error } : {}),
    restored: restored || !changed,
    interrupted,
    ...(error ? { error } : {}),
  };
}
