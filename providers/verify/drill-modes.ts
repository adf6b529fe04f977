// The drill's fault modes, pure: which command injects each fault and which one clears it, on which host, and what
// "taken over" means while the fault is on. The I/O (running them, retrying, restoring) is in drill.ts.
import type { ClusterConfig } from "../../config/types";
import { FINGERPRINT_PATTERN } from "../ssh/fingerprint";
import type { SshEndpoint } from "../ssh/types";
import { shCommand } from "../shell/quote";
import type { ExpectedVip } from "./desired";
import { vhidStates } from "./drill-core";
import type { IfconfigReport } from "./parse-ifconfig";

export const DRILL_MODES = ["maintenance", "carp-disable", "interface-down", "poweroff"] as const;
export type DrillMode = (typeof DRILL_MODES)[number];

export const MODE_HELP: Record<DrillMode, string> = {
  maintenance: "pfSense's persistent CARP maintenance mode on the primary (Status > CARP), then leave it",
  "carp-disable": "sysctl net.inet.carp.allow=0 on the primary (every VHID to INIT), then =1",
  "interface-down": "link-down of the primary VM's NIC on --network through Proxmox (qm set --netN ...,link_down=1), then link up",
  poweroff: "hard stop of the primary VM through Proxmox (qm stop), then qm start and wait for it to boot and take over again",
};

export function parseDrillMode(raw: string | true | undefined): DrillMode | { error: string } {
  if (raw === undefined) return "maintenance";
  if (typeof raw === "string" && (DRILL_MODES as readonly string[]).includes(raw)) return raw as DrillMode;
  return { error: `--mode ${JSON.stringify(raw)} is not a drill mode: use one of ${DRILL_MODES.join(", ")}` };
}

/** Modes that act on the primary's VM through its Proxmox node (`qm`), and so need its VM id. */
export function needsVm(mode: DrillMode): boolean {
  return mode === "poweroff" || mode === "interface-down";
}

/** The primary's VM id: the `--vmid` flag, else `firewalls.primary.vm` (clone with vmId, or adopt). */
export function primaryVmIdOf(config: ClusterConfig, flag: string | true | undefined): number | { error: string } {
  if (flag !== undefined) {
    const n = Number(flag);
    if (typeof flag === "string" && /^[0-9]+$/.test(flag) && n >= 100 && n <= 999_999_999) return n;
    return { error: `--vmid ${JSON.stringify(flag)} is invalid: use the primary's Proxmox VM id (an integer from 100 to 999999999)` };
  }
  const vm = config.firewalls.primary.vm;
  if (vm.mode === "adopt") return vm.vmId;
  if (vm.mode === "clone" && vm.vmId !== undefined) return vm.vmId;
  return {
    error: `firewalls.primary.vm is ${vm.mode === "none" ? "none" : "a clone without vmId"}, so the drill does not know the primary's VM id: ` +
      "give it with --vmid N (Proxmox's VM id of the primary firewall)",
  };
}

/** The Proxmox NIC (net0, net1, …) of a network: networks are in NIC order (wan, lan, sync, extras). */
export function nicKeyOf(config: ClusterConfig, role: string): string | { error: string } {
  const i = config.networks.findIndex((n) => n.role === role);
  if (i < 0) return { error: `--network ${JSON.stringify(role)} is not a network of this stack: use one of ${config.networks.map((n) => n.role).join(", ")}` };
  return `net${i}`;
}

export const qm = {
  status: (vmid: number) => shCommand(["qm", "status", String(vmid)]),
  stop: (vmid: number) => shCommand(["qm", "stop", String(vmid)]),
  start: (vmid: number) => shCommand(["qm", "start", String(vmid)]),
  config: (vmid: number) => shCommand(["qm", "config", String(vmid)]),
  setNic: (vmid: number, nic: string, value: string) => shCommand(["qm", "set", String(vmid), `--${nic}`, value]),
};

/** `qm status` prints "status: running" (or stopped, paused, …). */
export function parseQmStatus(stdout: string): string | undefined {
  return /^status:\s*(\S+)/m.exec(stdout)?.[1];
}

// What `qm config` prints for a NIC: "virtio=BC:24:11:00:00:01,bridge=vmbr1,firewall=0[,link_down=1]".
const NIC_VALUE = /^[A-Za-z0-9_=:,.-]+$/;

/** The NIC's property string from `qm config` output, or an error naming what is wrong. */
export function nicValueOf(qmConfig: string, nic: string): string | { error: string } {
  const m = new RegExp(`^${nic}:\\s*(\\S+)\\s*$`, "m").exec(qmConfig);
  if (!m) return { error: `the VM has no ${nic} (qm config printed no "${nic}:" line): check --vmid and --network` };
  if (!NIC_VALUE.test(m[1])) return { error: `${nic} is ${JSON.stringify(m[1])}, which is not a Proxmox NIC property string` };
  return m[1];
}

/** The same property string with link_down set (1) or removed (0), other properties kept in their order. */
export function withLinkDown(value: string, down: boolean): string {
  const props = value.split(",").filter((p) => !/^link_down=/.test(p));
  return (down ? [...props, "link_down=1"] : props).join(",");
}

export function isLinkDown(value: string): boolean {
  return value.split(",").includes("link_down=1");
}

/**
 * Taken over while the fault is on: the secondary MASTER on every VHID and the primary MASTER on none. In
 * maintenance mode the primary must be BACKUP (it stays up and advertises with skew 254); in the other modes it is
 * INIT or gone. `primary` undefined = not read (powered off).
 */
export function takenOver(mode: DrillMode, vips: ExpectedVip[], reports: { primary?: IfconfigReport; secondary: IfconfigReport }): boolean {
  if (vips.length === 0) return false;
  const empty: IfconfigReport = { interfaces: [] };
  const states = vhidStates(vips, { primary: reports.primary ?? empty, secondary: reports.secondary });
  return states.every((s) => s.secondary === "MASTER" && (mode === "maintenance" ? s.primary === "BACKUP" : s.primary !== "MASTER"));
}

/** Which host each mode's commands run on. */
export function faultHost(mode: DrillMode): "primary" | "node" {
  return needsVm(mode) ? "node" : "primary";
}

export const CARP_ALLOW = (on: boolean) => shCommand(["/sbin/sysctl", `net.inet.carp.allow=${on ? 1 : 0}`]);
export const CARP_ALLOW_READ = shCommand(["/sbin/sysctl", "-n", "net.inet.carp.allow"]);

/**
 * The probe's client from `--client`: a Proxmox node of the stack (its pinned endpoint), or USER@HOST[:PORT] with
 * `--client-host-key` (pinned) and `--client-key PATH` or the agent. Pure.
 */
export function clientEndpointOf(
  config: ClusterConfig,
  spec: string,
  extra: { hostKey?: string; keyPath?: string; agent: boolean },
): SshEndpoint | { error: string } {
  const node = config.proxmox.nodes.find((n) => n.name === spec);
  if (node) return node.ssh;
  const m = /^([a-z_][a-z0-9_.-]{0,31})@([A-Za-z0-9.-]{1,253})(?::([0-9]{1,5}))?$/.exec(spec);
  if (!m) return { error: `--client ${JSON.stringify(spec)} is neither a Proxmox node of this stack (${config.proxmox.nodes.map((n) => n.name).join(", ")}) nor USER@HOST[:PORT]` };
  const port = m[3] ? Number(m[3]) : 22;
  if (port < 1 || port > 65535) return { error: `--client port ${port} is invalid: use 1-65535` };
  if (!extra.hostKey || !FINGERPRINT_PATTERN.test(extra.hostKey)) {
    return { error: "--client-host-key is required with --client USER@HOST: give the client's host key as `ssh-keygen -lf` prints it (SHA256:…)" };
  }
  if (!extra.keyPath && !extra.agent) return { error: "--client USER@HOST needs --client-key PATH or an ssh-agent (SSH_AUTH_SOCK)" };
  return {
    host: m[2],
    port,
    username: m[1],
    hostKeySha256: extra.hostKey,
    ...(extra.keyPath ? { privateKeyPath: extra.keyPath } : { useAgent: true }),
  };
}

/** `--tcp ADDRESS:PORT` -> {host, port}. */
export function parseTcpTarget(raw: string): { host: string; port: number } | { error: string } {
  const m = /^(\d+\.\d+\.\d+\.\d+):(\d{1,5})$/.exec(raw);
  if (!m) return { error: `--tcp ${JSON.stringify(raw)} is invalid: give ADDRESS:PORT of an HTTP server beyond the firewall, e.g. 192.0.2.80:80` };
  return { host: m[1], port: Number(m[2]) };
}
