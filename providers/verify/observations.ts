// What the I/O shell collected from the boxes (plain data; evaluate() turns it into checks).
import type { FirewallRole } from "../../config/types";
import type { IfconfigReport } from "./parse-ifconfig";
import type { PortCounters, VxlanPort } from "./parse-ovs";
import type { PfInfo } from "./parse-pfctl";

export interface ConfigFacts {
  version?: string;
  maintenanceMode: boolean;
  /** system/disablechecksumoffloading (System > Advanced > Networking). */
  checksumOffloadingDisabled?: boolean;
  /** <revision><time> (unix seconds) of the last write_config. */
  revisionTime?: number;
  /** hasync/synchronizetoip: where XMLRPC sync goes. */
  synchronizeToIp?: string;
  /** Every OpenVPN instance ("openvpn/<vpnid>") and IPsec phase 1 ("ipsec/<ikeid>"): its interface and address. */
  vpnInterfaces?: Record<string, VpnInterfaceFact>;
}

export interface VpnInterfaceFact {
  interface: string;
  /** OpenVPN's ipaddr (its `local`); IPsec: the address of the VIP its interface names, if any. */
  address: string;
}

export interface FirewallObservation {
  role: FirewallRole;
  name: string;
  /** Set when the host could not be reached or the probe failed; nothing else is then trusted. */
  error?: string;
  ifconfig?: IfconfigReport;
  /** `sysctl -n net.inet.carp.allow` output, trimmed. */
  carpAllow?: string;
  config?: ConfigFacts;
  pf?: PfInfo;
  /** `pfctl -sn`: the loaded NAT rules, one per line. Only read when port forwards or 1:1 NAT are declared. */
  natRules?: string[];
  /** `pfctl -ss` as state keys (without the state column). */
  states?: string[];
  /** dhcpd's failover records from its lease file; null when there is no lease file. Only read with DHCP failover. */
  dhcpLeases?: string | null;
  /** Primary only: TCP connect to the XMLRPC target. */
  /** pfsense.host_firmware_version called as the XMLRPC sync calls it: reachable = an answer came (maybe a refusal),
   * authenticated = the secondary accepted the primary's hasync credentials and answered. */
  xmlrpc?: { target: string; reachable: boolean; authenticated: boolean; detail: string };
  /** Primary only: a don't-fragment ping at each stretched network's MTU to the secondary's address there. */
  mtuPings?: MtuPing[];
}

export interface MtuPing {
  network: string;
  /** ICMP payload bytes (the network's MTU - 28). */
  size: number;
  address: string;
  /** ping exited 0: a reply came back. */
  ok: boolean;
  /** ping's summary or error line. */
  detail: string;
}

/** The node's Proxmox firewall, from `pve-firewall status` and /etc/pve/firewall/cluster.fw. */
export interface PveFirewall {
  enabled: boolean;
  /** What said so ("pve-firewall status: enabled/running", "cluster.fw enable: 1", or "off"). */
  detail: string;
}

export interface NodeObservation {
  node: string;
  error?: string;
  ports: VxlanPort[];
  /** Two samples of live counters, bridge -> ofport/name -> counters, `windowMs` apart. */
  counters: [Record<string, Record<string, PortCounters>>, Record<string, Record<string, PortCounters>>];
  windowMs: number;
  /** Undefined when not read (old probe output). */
  pveFirewall?: PveFirewall;
}

export interface Observations {
  firewalls: Record<FirewallRole, FirewallObservation>;
  nodes: NodeObservation[];
  /** Per firewall: the config.xml lines that `pulumi up` would still change (from the render core), or why unknown. */
  drift?: Partial<Record<FirewallRole, { lines: string[] } | { error: string }>>;
}
