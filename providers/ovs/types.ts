// Inputs and state of the OVS dynamic resources. Plain data: they travel through Pulumi state.
import type { SshEndpoint } from "../ssh/types";

export type DatapathType = "system" | "netdev";

export interface OvsBridgeInputs {
  /** The Proxmox node, as SSH sees it. */
  endpoint: SshEndpoint;
  /** Node name, for messages. */
  node: string;
  name: string;
  /** Physical NIC enslaved as the bridge's uplink (the vmbr0 + eno1 WAN pattern). */
  uplink?: string;
  /** Bridge MTU (ovs_mtu / mtu_request). */
  mtu?: number;
  /** "netdev" = userspace datapath (labs, DPDK); default "system" (kernel). */
  datapathType?: DatapathType;
  /** Take over a bridge that exists but was not made by us. */
  adopt?: boolean;
  /** On delete, remove the bridge even if ports we do not own remain on it. */
  forceDelete?: boolean;
}

export interface OvsBridgeState extends OvsBridgeInputs {
  stateVersion: 1;
  /** Whether the bridge, its uplink and its stanza were found as desired at the last read. */
  present: boolean;
  persisted: boolean;
  ports: string[];
}

export interface TunnelPeer {
  name: string;
  /** The peer's underlay address: remote_ip. */
  address: string;
}

/** One node's share of a VXLAN mesh: one port per peer on `bridge`. */
export interface VxlanNodeInputs {
  endpoint: SshEndpoint;
  node: string;
  /** Stable id of the tunnel (the component name); port names derive from it. */
  tunnelId: string;
  bridge: string;
  vni: number;
  /** This node's underlay address (for the MTU overhead and, when localIp is set, options:local_ip). */
  underlayAddress: string;
  peers: TunnelPeer[];
  dstPort?: number;
  /** Pin options:local_ip to underlayAddress. */
  localIp?: boolean;
  bfd?: boolean;
  underlayMtu?: number;
  overlayMtu?: number;
  adopt?: boolean;
}

export interface TunnelPortState {
  name: string;
  peer: string;
  remoteIp: string;
  key: number;
  dstPort?: number;
  localIp?: string;
  bfd: boolean;
  /** The split horizon (Port:protected); absent in states written before it existed, which then read as drift. */
  protected?: boolean;
  ofport?: number;
  error?: string;
  owned: boolean;
  persisted: boolean;
}

export interface VxlanNodeState extends VxlanNodeInputs {
  stateVersion: 1;
  ports: TunnelPortState[];
}

export const TUNNELS_FILE = "/etc/network/interfaces.d/pfsense-ha";
export const INTERFACES_FILE = "/etc/network/interfaces";
export const INTERFACES_NEW = "/etc/network/interfaces.new";
export const PVE_LOCK = "/etc/network/.pve-interfaces.lock";
export const IFUPDOWN2_LOCK = "/run/network/.lock";
