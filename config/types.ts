// Typed cluster configuration AFTER validation and defaults: every field here is known to be valid.
// Produced only by validateCluster() (config/validate.ts); consumers never re-check what is typed here.
import type { SshEndpoint } from "../providers/ssh/types";

/** Network roles with a fixed meaning; any other key under `networks` is an extra network (dmz, …). */
export const WELL_KNOWN_ROLES = ["wan", "lan", "sync"] as const;

export type FirewallRole = "primary" | "secondary";
export const FIREWALL_ROLES: readonly FirewallRole[] = ["primary", "secondary"];

export type DatapathType = "system" | "netdev";

export interface ProxmoxNodeConfig {
  /** Proxmox node name as Proxmox knows it (e.g. "pve1"). */
  name: string;
  /** This node's address on the underlay network: the VXLAN tunnel endpoint. */
  underlayAddress: string;
  /** MTU of the underlay interface (default 1500); VXLAN needs 50 bytes of it. */
  underlayMtu: number;
  ssh: SshEndpoint;
}

export interface VxlanConfig {
  /** VNI, 1..16777215. */
  key: number;
  /** UDP port, default 4789. */
  dstPort: number;
  /** BFD liveness on the tunnel ports (default false). */
  bfd: boolean;
}

export interface VipConfig {
  address: string;
  /** 1..255, unique per interface. */
  vhid: number;
  /** Seconds between advertisements, 1..254 (default cluster carp.advbase). */
  advbase: number;
  description: string;
}

export interface NetworkConfig {
  /** The key under `networks` (wan, lan, sync, dmz, …). */
  role: string;
  /** OVS bridge carrying this network on every Proxmox node. */
  bridge: string;
  /** Physical port added to the bridge on every node (the WAN pattern). */
  uplink?: string;
  /** Present when the network is stretched between Proxmox nodes by VXLAN. */
  vxlan?: VxlanConfig;
  /** Guest-facing MTU; default = underlay MTU - 50 when VXLAN-stretched, else 1500. */
  mtu: number;
  /** pfSense's friendly interface name: "wan", "lan" or "optN". */
  pfsenseInterface: string;
  description: string;
  /** Normalised network CIDR, e.g. "192.0.2.0/24" (host bits cleared). */
  subnet: string;
  prefix: number;
  /** Upstream gateway (WAN). */
  gateway?: string;
  addresses: Record<FirewallRole, string>;
  /** CARP VIPs on this interface (zero or more). */
  vips: VipConfig[];
  /**
   * IPv6 on this interface: "none" (default: pfSense's IPv6 keys removed), "unmanaged" (left as found), or static
   * addresses on both firewalls plus an IPv6 CARP VIP.
   */
  ipv6: "none" | "unmanaged" | Ipv6StaticConfig;
  /** The DHCP server on this network, on both firewalls (absent: the network's DHCP server is left as found). */
  dhcp?: DhcpConfig;
}

/** Static IPv6 on a network: each firewall's own address, one IPv6 CARP VIP, optionally the upstream IPv6 gateway. */
export interface Ipv6StaticConfig {
  /** Normalised prefix, e.g. "2001:db8:1::/64" (host bits cleared, RFC 5952). */
  subnet: string;
  prefix: number;
  /** Each firewall's address (RFC 5952). */
  addresses: Record<FirewallRole, string>;
  /** The IPv6 CARP VIP: its own VHID (pfSense refuses a VHID used twice on one interface, whatever the family). */
  vip: VipConfig;
  /** Upstream IPv6 router (WAN). */
  gateway?: string;
}

/** The static IPv6 of a network, or undefined for "none"/"unmanaged". */
export function staticIpv6Of(n: NetworkConfig): Ipv6StaticConfig | undefined {
  return typeof n.ipv6 === "object" ? n.ipv6 : undefined;
}

export type FirewallVm =
  | { mode: "clone"; templateId: number; full: boolean; vmId?: number; sizing: VmSizing }
  | { mode: "adopt"; vmId: number; sizing: VmSizing }
  | { mode: "none" };

export interface VmSizing {
  cores: number;
  memoryMb: number;
  diskGb: number;
  datastore: string;
}

export interface FirewallConfig {
  role: FirewallRole;
  /** pfSense host name (also the VM name). */
  name: string;
  /** Proxmox node hosting the VM (for `vm: none`: the node whose bridges the firewall is plugged into). */
  proxmoxNode: string;
  vm: FirewallVm;
  ssh: SshEndpoint;
  /** pfSense device per network role, e.g. {wan: "vtnet0"}; default = NIC order (vtnet0, vtnet1, …). */
  interfaces: Record<string, string>;
}

export interface CarpConfig {
  advskewPrimary: number;
  advskewSecondary: number;
  advbase: number;
}

export interface HasyncConfig {
  /** Network role carrying pfsync and XMLRPC ("sync" when defined, else "lan"). */
  syncNetwork: string;
  /** webGUI user the primary's XMLRPC sync logs in as on the secondary. */
  username: string;
  /** The primary's webGUI port, which its XMLRPC client connects to on the secondary (default 443). */
  webguiPort: number;
  /** hasync synchronize* flags; every known flag is present (default true). */
  options: Record<string, boolean>;
}

export interface NatSource {
  /** As written: a network role ("lan") or a CIDR. */
  source: string;
  /** The network role when `source` names one. */
  network?: string;
  /** Normalised CIDR the rule matches. */
  cidr: string;
}

export interface NatConfig {
  /** Hybrid outbound NAT sources translated to the WAN VIP. */
  sources: NatSource[];
  /** top (default): our rules before every manual rule; bottom: after them. */
  position: "top" | "bottom";
}

export type PortForwardProtocol = "tcp" | "udp" | "tcp/udp";

/** A port forward on a WAN CARP VIP (Firewall > NAT > Port Forward, with its linked filter rule). */
export interface PortForwardConfig {
  /** Identity (resource name and the rule's marker key). */
  name: string;
  protocol: PortForwardProtocol;
  /** External port range [from, to] (from = to for one port). */
  port: [number, number];
  /** Inside host (in a managed network other than the WAN). */
  target: string;
  /** Target port (the start of the range when `port` is a range); default = port[0]. */
  targetPort: number;
  /** The WAN CARP VIP it listens on (default: the WAN's first VIP). */
  vip: string;
  description: string;
}

/** A 1:1 NAT mapping whose external address is a WAN CARP VIP. */
export interface OneToOneConfig {
  name: string;
  external: string;
  internal: string;
  description: string;
}

export type DhcpBackend = "isc" | "kea";

/** A network's DHCP server: switched on with this range, gateway and DNS = the network's first CARP VIP. */
export interface DhcpConfig {
  rangeFrom: string;
  rangeTo: string;
  /** ISC failover between the two firewalls (failover_peerip = the other node). */
  failover: boolean;
  backend: DhcpBackend;
}

/** An existing VPN instance bound to a network's CARP VIP (it follows the MASTER on failover). */
export interface VpnBindingConfig {
  /** OpenVPN: the instance's vpnid (server or client); IPsec: the phase 1 ikeid. */
  id: number;
  /** The network whose VIP the instance listens on (normally wan). */
  network: string;
  /** That network's VIP, by vhid. */
  vhid: number;
}

export interface VpnConfig {
  openvpn: VpnBindingConfig[];
  ipsec: VpnBindingConfig[];
}

export interface ClusterConfig {
  name: string;
  pfsenseVersion?: string;
  allowUnknownPfsenseVersion: boolean;
  proxmox: { nodes: ProxmoxNodeConfig[]; datapathType: DatapathType };
  /** Networks in NIC order: wan, lan, sync (if any), then extras in key order. */
  networks: NetworkConfig[];
  firewalls: Record<FirewallRole, FirewallConfig>;
  carp: CarpConfig;
  hasync: HasyncConfig;
  nat: NatConfig;
  vpn?: VpnConfig;
  /** Port forwards on the WAN VIP (absent = none). */
  portForwards?: PortForwardConfig[];
  /** 1:1 NAT on WAN VIPs (absent = none). */
  oneToOne?: OneToOneConfig[];
}

/** Whether each secret is set. Validation sees only this, so it can never print a secret's value. */
export type SecretState = "missing" | "empty" | "present";

export interface SecretPresence {
  carpPassword: SecretState;
  xmlrpcPassword: SecretState;
  sshPrivateKey: SecretState;
}

/** The minimal view of a lab inventory host that `ssh: {lab: NAME}` resolves against. */
export interface LabHostRef {
  address: string;
  port: number;
  username: string;
  hostKeySha256: string;
  underlayAddress?: string;
}

export interface LabHostsRef {
  clientKeyPath: string;
  hosts: Record<string, LabHostRef>;
  /** Set when the inventory is configured but could not be read (already reported once): lab lookups stay quiet. */
  unavailable?: boolean;
}

/** The networks with a DHCP server, in NIC order. */
export function dhcpNetworksOf(c: ClusterConfig): (NetworkConfig & { dhcp: DhcpConfig })[] {
  return c.networks.filter((n): n is NetworkConfig & { dhcp: DhcpConfig } => n.dhcp !== undefined);
}

/** Looks up a network by role. */
export function networkByRole(c: ClusterConfig, role: string): NetworkConfig | undefined {
  return c.networks.find((n) => n.role === role);
}
