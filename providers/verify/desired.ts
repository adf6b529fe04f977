// What `verify` expects to find, derived from the validated cluster config only (pure).
import type { ClusterConfig, FirewallRole } from "../../config/types";
import { isVirtioDevice } from "../pfsense/elements/offloading";
import { vipReference, type VpnKind } from "../pfsense/elements/vpn-binding";
import { vipUniqidOf } from "../../components/plan";
import { haStateExpectationsOf, type HaStateExpectations } from "./ha-state";
import { inboundNatExpectationsOf, type ExpectedInboundNat } from "./inbound-nat";

export interface ExpectedVip {
  network: string;
  /** pfSense friendly name (wan, lan, optN). */
  pfInterface: string;
  /** The device carrying it on each firewall (vtnet0, …). */
  device: Record<FirewallRole, string>;
  vhid: number;
  address: string;
}

export interface ExpectedTunnel {
  network: string;
  bridge: string;
  key: number;
  dstPort: number;
  bfd: boolean;
  /** CARP advertisements cross a network with a VIP every advbase seconds, so its counters must move. */
  carriesCarp: boolean;
  /** Per Proxmox node: the peers it must have a port towards. */
  nodes: { node: string; peers: { name: string; address: string }[] }[];
}

/** A stretched (VXLAN) network: frames of `mtu` bytes must cross it from the primary to the secondary's address. */
export interface ExpectedMtuPath {
  network: string;
  bridge: string;
  mtu: number;
  /** The secondary's address on the network (IPv4). */
  address: string;
}

/** ICMP payload of a don't-fragment IPv4 ping that fills an MTU: the IPv4 header (20) and ICMP header (8) are the rest. */
export const PING_OVERHEAD = 28;

export function mtuPathsOf(c: ClusterConfig): ExpectedMtuPath[] {
  return c.networks.filter((n) => n.vxlan).map((n) => ({ network: n.role, bridge: n.bridge, mtu: n.mtu, address: n.addresses.secondary }));
}

export interface ExpectedVpnBinding {
  vpn: VpnKind;
  id: number;
  network: string;
  /** `_vip<uniqid>`, as pfSense's GUI writes it. */
  reference: string;
  address: string;
}

export interface VerifyExpectations {
  cluster: string;
  /** virtio: its NICs are VirtIO (vtnetN), so hardware checksum offloading must be disabled. */
  firewalls: Record<FirewallRole, { name: string; syncDevice: string; syncPeer: string; virtio: boolean }>;
  vips: ExpectedVip[];
  /** XMLRPC sync target the primary must reach: the secondary's sync address. */
  xmlrpcTarget: string;
  /** The port the sync rule allows (hasync.webguiPort): pfSense's XMLRPC client must use this one. */
  xmlrpcPort: number;
  tunnels: ExpectedTunnel[];
  /** Stretched networks whose MTU the primary probes end to end. */
  mtuPaths: ExpectedMtuPath[];
  /** VPN instances that must listen on a CARP VIP (interface = the VIP's reference), on both firewalls. */
  vpnBindings: ExpectedVpnBinding[];
  /** DHCP failover peer, names and VM sizes for the checks the guides do by hand (ha-state.ts). */
  haState?: HaStateExpectations;
  /** Port forwards and 1:1 NAT that pf must hold on both firewalls (absent when none is declared). */
  inboundNat?: ExpectedInboundNat[];
}

const OTHER: Record<FirewallRole, FirewallRole> = { primary: "secondary", secondary: "primary" };

export function expectationsOf(c: ClusterConfig): VerifyExpectations {
  const sync = c.networks.find((n) => n.role === c.hasync.syncNetwork);
  if (!sync) throw new Error(`hasync.syncNetwork: ${JSON.stringify(c.hasync.syncNetwork)} is not a network of the cluster; name one of ${c.networks.map((n) => n.role).join(", ")}`);
  const fw = (role: FirewallRole) => ({
    name: c.firewalls[role].name,
    syncDevice: c.firewalls[role].interfaces[sync.role],
    syncPeer: sync.addresses[OTHER[role]],
    virtio: Object.values(c.firewalls[role].interfaces).some(isVirtioDevice),
  });
  // the IPv6 CARP VIP of a static-IPv6 network is checked like the IPv4 ones
  const vips: ExpectedVip[] = c.networks.flatMap((n) =>
    [...n.vips, ...(typeof n.ipv6 === "object" ? [n.ipv6.vip] : [])].map((v) => ({
      network: n.role,
      pfInterface: n.pfsenseInterface,
      device: { primary: c.firewalls.primary.interfaces[n.role], secondary: c.firewalls.secondary.interfaces[n.role] },
      vhid: v.vhid,
      address: v.address,
    })),
  );
  const tunnels: ExpectedTunnel[] = c.networks.flatMap((n) =>
    n.vxlan
      ? [{
          network: n.role,
          bridge: n.bridge,
          key: n.vxlan.key,
          dstPort: n.vxlan.dstPort,
          bfd: n.vxlan.bfd,
          carriesCarp: n.vips.length > 0 || typeof n.ipv6 === "object",
          nodes: c.proxmox.nodes.map((node) => ({
            node: node.name,
            peers: c.proxmox.nodes.filter((p) => p !== node).map((p) => ({ name: p.name, address: p.underlayAddress })),
          })),
        }]
      : [],
  );
  const vpnBindings: ExpectedVpnBinding[] = (["openvpn", "ipsec"] as const).flatMap((vpn) =>
    (c.vpn?.[vpn] ?? []).map((b) => ({
      vpn, id: b.id, network: b.network, reference: vipReference(vipUniqidOf(c.name, b.network, b.vhid)),
      address: c.networks.find((n) => n.role === b.network)?.vips.find((v) => v.vhid === b.vhid)?.address ?? "",
    })),
  );
  const inboundNat = inboundNatExpectationsOf(c);
  return {
    cluster: c.name, firewalls: { primary: fw("primary"), secondary: fw("secondary") }, vips, xmlrpcTarget: sync.addresses.secondary, xmlrpcPort: c.hasync.webguiPort, tunnels, mtuPaths: mtuPathsOf(c), vpnBindings, haState: haStateExpectationsOf(c),
    ...(inboundNat.length ? { inboundNat } : {}),
  };
}
