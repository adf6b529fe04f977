// ovs-vsctl transaction builders: argv arrays, one atomic transaction per change ("--" chained commands).
import { shCommand } from "../shell/quote";
import { OWNER_KEY, OWNER_VALUE, TUNNEL_ID_KEY } from "./naming";
import type { DatapathType } from "./types";

export type VsctlCommand = string[];

export const VSCTL_TIMEOUT_S = 15;

/** `ovs-vsctl --timeout=N -- cmd1 -- cmd2 ...` as one shell-quoted command line. */
export function vsctlTransaction(commands: VsctlCommand[], timeoutS = VSCTL_TIMEOUT_S): string {
  const argv: string[] = ["ovs-vsctl", `--timeout=${timeoutS}`];
  for (const c of commands) argv.push("--", ...c);
  return shCommand(argv);
}

/** ovs-vsctl exits 142 (SIGALRM) when --timeout expires; the change may be committed anyway. */
export const VSCTL_TIMEOUT_EXIT = 142;

export function ensureBridgeCommands(name: string, datapathType: DatapathType, mtu?: number): VsctlCommand[] {
  const cmds: VsctlCommand[] = [
    ["--may-exist", "add-br", name],
    ["set", "bridge", name, `datapath_type=${datapathType}`],
    ["br-set-external-id", name, OWNER_KEY, OWNER_VALUE],
  ];
  cmds.push(mtu === undefined ? ["clear", "interface", name, "mtu_request"] : ["set", "interface", name, `mtu_request=${mtu}`]);
  return cmds;
}

export function ensureUplinkCommands(bridge: string, uplink: string): VsctlCommand[] {
  return [
    ["--may-exist", "add-port", bridge, uplink],
    ["set", "port", uplink, `external_ids:${OWNER_KEY}=${OWNER_VALUE}`],
  ];
}

export interface TunnelPortSpec {
  bridge: string;
  name: string;
  remoteIp: string;
  key: number;
  dstPort?: number;
  localIp?: string;
  bfd: boolean;
  tunnelId: string;
}

/** Options exactly as we want them, in a stable order (OVS stores a map; the order only matters for the file). */
/**
 * The options map is ovs-vsctl syntax inside one shell argument: a `"` or `,` in a value would add options of its
 * own. check() validates the inputs; this refuses such a value here too (state read back, bypassed checks).
 */
function ovsWord(field: string, v: string): string {
  if (!/^[A-Za-z0-9_.:-]+$/.test(v)) throw new Error(`${field}: ${JSON.stringify(v)} is not a plain address or number; use e.g. "10.0.0.2"`);
  return v;
}

export function tunnelOptions(s: TunnelPortSpec): [string, string][] {
  ovsWord("remote_ip", s.remoteIp);
  if (s.localIp !== undefined) ovsWord("local_ip", s.localIp);
  const o: [string, string][] = [
    ["remote_ip", s.remoteIp],
    ["key", String(s.key)],
  ];
  if (s.dstPort !== undefined) o.push(["dst_port", String(s.dstPort)]);
  if (s.localIp !== undefined) o.push(["local_ip", s.localIp]);
  return o;
}

/**
 * `--may-exist add-port` does not touch an existing port, so the same transaction sets the whole options map (dropping
 * stale keys), the type, BFD, the split horizon and our ownership tags.
 *
 * Split horizon: every tunnel port is `protected`, and OVS never forwards a frame from one protected port to another.
 * In a full mesh of three or more nodes the NORMAL action would otherwise flood a broadcast that arrived from one peer
 * on to the other peers, and back: an L2 loop. Every node reaches every other directly, so nothing needs relaying.
 */
export function ensureTunnelPortCommands(s: TunnelPortSpec): VsctlCommand[] {
  const map = tunnelOptions(s)
    .map(([k, v]) => `${k}="${v}"`)
    .join(",");
  return [
    ["--may-exist", "add-port", s.bridge, s.name],
    ["set", "interface", s.name, "type=vxlan", `options={${map}}`, `bfd:enable=${s.bfd}`],
    ["set", "port", s.name, "protected=true", `external_ids:${OWNER_KEY}=${OWNER_VALUE}`, `external_ids:${TUNNEL_ID_KEY}=${s.tunnelId}`],
  ];
}

/** Without a bridge name: removes the port from whichever bridge holds it. */
export function deletePortCommands(name: string): VsctlCommand[] {
  return [["--if-exists", "del-port", name]];
}

export function deleteBridgeCommands(name: string): VsctlCommand[] {
  return [["--if-exists", "del-br", name]];
}
