// The failover drill's I/O shell: persistent maintenance mode on the primary, time until the secondary holds every
// VHID, leave it, time until the primary holds them again. The restore step (leave maintenance mode, wait for the
// primary to hold every VHID) is armed before the first change and runs in `finally`, so Ctrl-C/SIGTERM (which
// abort the current wait) and lost connections (reconnect with retries) still end in the starting state.
import type { ClusterConfig, FirewallRole } from "../../config/types";
import { connectHost, redact, type SshEndpoint } from "../ssh";
import { expectationsOf, type ExpectedVip } from "./desired";
import { describeStates, heldBy, maintenanceScript, parseMaintenanceOutput, type DrillTimes } from "./drill-core";
import { parseIfconfig, type IfconfigReport } from "./parse-ifconfig";
import { CARP_POLL_SCRIPT } from "./probe";

export interface DrillOptions {
  /** Longest wait for each switch (takeover, failback, restore), seconds. */
  timeoutS: number;
  /** Interval between two CARP reads of both nodes, ms (default 100). */
  pollMs?: number;
  /** Seconds to stay in maintenance mode after the takeover (to watch the secondary carry traffic). */
  holdS?: number;
  endpointOf?: (ep: SshEndpoint) => SshEndpoint;
  progress?: (line: string) => void;
  /** Install SIGINT/SIGTERM handlers that abort the drill into its restore step (the CLI does). */
  handleSignals?: boolean;
}

export interface DrillOutcome {
  times?: DrillTimes;
  /** The starting state is back: maintenance mode off and the primary MASTER on every VHID. */
  restored: boolean;
  interrupted: boolean;
  error?: string;
}

class Aborted extends Error {}

const PFSSH = "/usr/local/sbin/pfSsh.php";

export async function runDrill(config: ClusterConfig, opts: DrillOptions): Promise<DrillOutcome> {
  const vips: ExpectedVip[] = expectationsOf(config).vips;
  const ep = (role: FirewallRole) => (opts.endpointOf ?? ((e: SshEndpoint) => e))(config.firewalls[role].ssh);
  const name = (role: FirewallRole) => config.firewalls[role].name;
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
  if (opts.handleSignals) {
    process.on("SIGINT", sigint);
    process.on("SIGTERM", sigterm);
  }

  const readBoth = async (): Promise<Record<FirewallRole, IfconfigReport>> => {
    const read = async (role: FirewallRole) => {
      const r = await (await connectHost(ep(role))).exec(CARP_POLL_SCRIPT, { timeoutMs: 5000 });
      if (r.code !== 0) throw new Error(`ifconfig on ${name(role)} exited ${r.code}: ${r.stderr.trim()}`);
      return parseIfconfig(r.stdout);
    };
    const [primary, secondary] = await Promise.all([read("primary"), read("secondary")]);
    return { primary, secondary };
  };

  /** Polls until `holder` holds every VHID; returns the time it was first seen. Connection errors are retried. */
  const waitHeld = async (holder: FirewallRole, timeoutS: number, abortable: boolean): Promise<number> => {
    const deadline = Date.now() + timeoutS * 1000;
    let last: string;
    for (;;) {
      if (abortable && aborted) throw new Aborted();
      try {
        const reports = await readBoth();
        const seen = Date.now();
        if (heldBy(holder, vips, reports)) return seen;
        last = describeStates(vips, reports);
      } catch (e) {
        last = `read failed (${redact((e as Error).message)}), retrying`;
      }
      if (Date.now() > deadline) {
        throw new Error(`${name(holder)} did not become MASTER on every VHID within ${timeoutS} s (last: ${last})`);
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  };

  const setMaintenance = async (on: boolean, retryS: number): Promise<void> => {
    const deadline = Date.now() + retryS * 1000;
    for (;;) {
      try {
        const r = await (await connectHost(ep("primary"))).exec(PFSSH, { stdin: maintenanceScript(on), timeoutMs: 30_000 });
        const state = parseMaintenanceOutput(r.stdout);
        if (state === (on ? "on" : "off")) return;
        throw new Error(`pfSsh.php on ${name("primary")} did not confirm maintenance mode ${on ? "on" : "off"} (exit ${r.code}): ${(r.stderr || r.stdout).trim().slice(0, 300)}`);
      } catch (e) {
        if (Date.now() > deadline) throw e;
        say(`maintenance mode ${on ? "on" : "off"} on ${name("primary")} failed (${redact((e as Error).message)}); reconnecting…`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  };

  let changed = false;
  let restored = false;
  let times: DrillTimes | undefined;
  let error: string | undefined;
  try {
    say(`checking that ${name("primary")} holds all ${vips.length} VHID(s)…`);
    await waitHeld("primary", 2, true);
    say(`entering persistent CARP maintenance mode on ${name("primary")}…`);
    changed = true; // armed before the change: whatever happens next, `finally` restores
    const t0 = Date.now();
    await setMaintenance(true, 0);
    say(`maintenance mode on (pfSsh.php took ${((Date.now() - t0) / 1000).toFixed(2)} s); waiting for ${name("secondary")} to be MASTER on every VHID…`);
    const takeoverAt = await waitHeld("secondary", opts.timeoutS, true);
    const takeoverMs = takeoverAt - t0;
    say(`takeover after ${(takeoverMs / 1000).toFixed(2)} s`);
    if (opts.holdS) {
      say(`holding maintenance mode for ${opts.holdS} s…`);
      const until = Date.now() + opts.holdS * 1000;
      while (Date.now() < until) {
        if (aborted) throw new Aborted();
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    if (aborted) throw new Aborted();
    say(`leaving maintenance mode on ${name("primary")}…`);
    const t1 = Date.now();
    await setMaintenance(false, opts.timeoutS); // retried: a dropped connection is reconnected
    const failbackAt = await waitHeld("primary", opts.timeoutS, true);
    restored = true;
    times = { takeoverMs, failbackMs: failbackAt - t1 };
    say(`failback after ${(times.failbackMs / 1000).toFixed(2)} s`);
  } catch (e) {
    if (!(e instanceof Aborted)) error = redact((e as Error).message);
  } finally {
    if (changed && !restored) {
      say(`restoring: leaving maintenance mode on ${name("primary")} and waiting for it to hold every VHID…`);
      try {
        await setMaintenance(false, opts.timeoutS);
        await waitHeld("primary", opts.timeoutS, false);
        restored = true;
        say("starting state restored");
      } catch (e) {
        const why = redact((e as Error).message);
        error = error ? `${error}; restore failed: ${why}` : `restore failed: ${why}`;
      }
    }
    if (opts.handleSignals) {
      process.off("SIGINT", sigint);
      process.off("SIGTERM", sigterm);
    }
  }
  return { times, restored: restored || !changed, interrupted, error };
}
