// The cluster as a user writes it: the value of `pfsense-ha:cluster` in a stack file, or the `cluster` argument of
// PfSenseHaCluster. Types only; config/validate.ts checks a value of this shape (every problem at once, with the key,
// the bad value and the fix) and applies the defaults, giving a ClusterConfig (config/types.ts).
// Defaults are in parentheses; "ip" is a dotted-quad IPv4 address, "ifname" 1-15 characters of [A-Za-z0-9_.-].

/** How to reach a host over SSH. The host key is pinned unless `insecureAcceptAnyHostKey` (throw-away labs only). */
export interface SshSettings {
  host: string;
  /** (22) */
  port?: number;
  /** (root) */
  username?: string;
  /** As `ssh-keygen -lf` prints it: "SHA256:" followed by 43 characters. Required unless insecureAcceptAnyHostKey. */
  hostKeySha256?: string;
  /** A private key file; or `useAgent`, `password` (with allowPasswordAuth), or the cluster's sshPrivateKey. */
  privateKeyPath?: string;
  useAgent?: boolean;
  password?: string;
  allowPasswordAuth?: boolean;
  insecureAcceptAnyHostKey?: boolean;
}

/** A host of the host inventory (the `inventory` argument / `pfsense-ha:inventory`): its SSH settings come from there. */
export interface InventorySshSettings {
  inventory: string;
}

/** @deprecated Write `{inventory: NAME}`: a host of the lab's inventory.json (`labInventory`). */
export interface LabSshSettings {
  lab: string;
}

export interface ProxmoxNodeSettings {
  /** The node's name in Proxmox. */
  name: string;
  /** ip: the VXLAN tunnel endpoint (may come from the host inventory). */
  underlayAddress?: string;
  /** (1500) */
  underlayMtu?: number;
  ssh: SshSettings | InventorySshSettings | LabSshSettings;
}

export interface VipSettings {
  /** ip: a third host address in the subnet. */
  address: string;
  /** 1-255, unique per interface. */
  vhid: number;
  /** (carp.advbase) */
  advbase?: number;
  description?: string;
}

export interface NetworkSettings {
  /** Extra networks only: the VM NIC index (wan 0, lan 1, sync 2, then the extras). */
  nic?: number;
  /** ifname: the OVS bridge on every Proxmox node. */
  bridge: string;
  /** ifname: a physical port added to the bridge on every node (not a bond or VLAN sub-interface). */
  uplink?: string;
  /** Stretches the network between the nodes: `{key: 1-16777215, dstPort (4789), bfd (false)}`. */
  vxlan?: { key: number; dstPort?: number; bfd?: boolean };
  /** (underlay MTU - 50 with vxlan, else 1500) */
  mtu?: number;
  /** (the role in upper case) */
  description?: string;
  /** `wan`, `lan` or `optN` (opt1, opt2, … in NIC order). */
  pfsenseInterface?: string;
  /** A CIDR of /30 or larger. */
  subnet: string;
  /** ip: the upstream gateway (WAN). */
  gateway?: string;
  addresses: { primary: string; secondary: string };
  /** One CARP VIP or a list of them. */
  vip?: VipSettings | VipSettings[];
  /** (`none`): remove the interface's IPv6 settings, or leave them as configured by hand (`unmanaged`). */
  ipv6?: "none" | "unmanaged";
}

export interface VmSizingSettings {
  vmId?: number;
  /** (2) */
  cores?: number;
  /** (2048) */
  memoryMb?: number;
  /** (16) */
  diskGb?: number;
  /** (local-lvm) */
  datastore?: string;
}

export type VmSettings =
  /** A full clone of a prepared pfSense template. */
  | ({ clone: { templateId: number; full?: boolean } } & VmSizingSettings)
  /** Take over an existing VM (kept on destroy). */
  | ({ adopt: number } & Omit<VmSizingSettings, "vmId">)
  /** Not hosted by Pulumi (then `interfaces` is required). */
  | "none";

export interface FirewallSettings {
  /** The VM's and pfSense's host name. */
  name: string;
  /** The Proxmox node that runs the VM (one of proxmox.nodes). */
  proxmoxNode: string;
  vm: VmSettings;
  ssh: SshSettings | InventorySshSettings | LabSshSettings;
  /** `{network: pfSense device}` (vtnet0… in NIC order); required with `vm: none`. */
  interfaces?: Record<string, string>;
}

/** `pfsense-ha:cluster`: the whole topology (README "Configuration"). */
export interface ClusterSettings {
  /** Host-name characters; the pfSense-side identities derive from it. */
  name: string;
  /** The expected pfSense release (2.7.0-2.7.2, 2.8.0-2.8.1 unless allowUnknownPfsenseVersion). */
  pfsenseVersion?: string;
  allowUnknownPfsenseVersion?: boolean;
  /** Allow both managed VMs on one Proxmox node (false). */
  allowSameNode?: boolean;
  proxmox: { nodes: ProxmoxNodeSettings[]; /** (system) */ datapathType?: "system" | "netdev" };
  /** `wan` and `lan` required, `sync` optional, any other key an extra network. */
  networks: Record<string, NetworkSettings>;
  firewalls: { primary: FirewallSettings; secondary: FirewallSettings };
  /** advskewPrimary (0, at most 253; 19 or less for DHCP failover), advbase (1). advskewSecondary is derived. */
  carp?: { advskewPrimary?: number; advskewSecondary?: number; advbase?: number };
  /** syncNetwork (sync, else lan), username (admin), webguiPort (443), options `{synchronize<name>: bool}` (true). */
  hasync?: { syncNetwork?: string; username?: string; webguiPort?: number; options?: Record<string, boolean> };
  /** Hybrid outbound NAT to the WAN VIP: sources ([lan]: roles or CIDRs), position (top). */
  nat?: { sources?: string[]; position?: "top" | "bottom" };
  /** DHCP server on a network, with failover (ISC dhcpd). */
  dhcp?: { network?: string; rangeFrom: string; rangeTo: string; failover?: boolean; backend?: "isc" | "kea" };
}
