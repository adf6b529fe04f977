// What pfSense's own XMLRPC sync writes on the secondary, so writing both nodes never fights the sync:
// - rc.filter_synchronize: VIP section = CARP VIPs with advskew += 100, capped at 254; uniqid unchanged.
// - xmlrpc.php restore_config_section: filter/aliases/nat are full-replaced as sent (same tracker, same descr); a
//   port forward and its linked filter rule keep their associated-rule-id, 1:1 mappings their external VIP.
// - xmlrpc.php auth(): a receiver whose hasync/synchronizetoip equals the caller refuses ("Disallowing CARP sync
//   loop") → the secondary gets pfsync keys only, never synchronizetoip/username/password.
// - rc.filter_synchronize (with synchronizedhcpd): the whole dhcpd section is sent as is (enable, range, gateway,
//   DNS, static maps), except that a server with a failover_peerip gets the primary's own interface address as
//   failover_peerip; a server without failover has none on either node. pfsync likewise names the other node (syncpeer).
// - rc.filter_synchronize: with synchronizestaticroutes the whole <gateways> section (gateway_item, defaultgw4) and
//   <staticroutes> are sent (xmlrpc.php restore_config_section merges them), so the secondary gets the primary's gateway verbatim.
// - rc.filter_synchronize: with synchronizeopenvpn/synchronizeipsec the <openvpn> and <ipsec> sections are sent as is
//   (the VPN binding, its memo too, and the VIP uniqid it names are the same on the secondary).
//   <interfaces> is never synced: each node's interface <gateway> link is its own (written by both items).
import type { AliasSpec } from "./alias";
import type { CarpVipSpec } from "./carp-vip";
import type { DhcpFailoverSpec } from "./dhcp";
import type { FilterRuleSpec } from "./filter-rule";
import type { GatewaySpec } from "./gateway";
import type { HaSyncSpec } from "./hasync";
import type { OutboundNatSpec } from "./outbound-nat";
import type { OffloadingSpec } from "./offloading";
import type { VpnBindingSpec } from "./vpn-binding";
import type { OneToOneSpec } from "./one-to-one";
import type { PortForwardSpec } from "./port-forward";

export type NodeRole = "primary" | "secondary";

export type NodeSpec =
  | { kind: "carpVip"; spec: CarpVipSpec }
  /** primarySyncIp: the primary's own sync address, which the secondary names as its pfsync peer. */
  | { kind: "haSync"; spec: HaSyncSpec; primarySyncIp: string }
  | { kind: "filterRule"; spec: FilterRuleSpec }
  | { kind: "alias"; spec: AliasSpec }
  | { kind: "outboundNat"; spec: OutboundNatSpec }
  | { kind: "gateway"; spec: GatewaySpec }
  /** <nat><rule> + its linked <filter><rule>: both synced verbatim (synchronizenat, synchronizerules). */
  | { kind: "portForward"; spec: PortForwardSpec }
  /** <nat><onetoone>: synced verbatim with the nat section. */
  | { kind: "oneToOne"; spec: OneToOneSpec }
  /** Not synced by XMLRPC (System > Advanced is per node): written on each node whose NICs are VirtIO. */
  | { kind: "offloading"; spec: OffloadingSpec }
  /** The openvpn and ipsec sections are sent as is (synchronizeopenvpn/synchronizeipsec), the VIP keeps its uniqid. */
  | { kind: "vpnBinding"; spec: VpnBindingSpec }
  /** primaryIp: the primary's address on that interface, the secondary's failover peer (with failover). */
  | { kind: "dhcpFailover"; spec: DhcpFailoverSpec; primaryIp: string };

export function secondarySkew(primarySkew: number): number {
  return Math.min(primarySkew + 100, 254);
}

/** The spec to write on `role`, given the primary's spec. */
export function forNode<T extends NodeSpec>(role: NodeRole, item: T): T {
  if (role === "primary") return item;
  switch (item.kind) {
    case "carpVip":
      return { ...item, spec: { ...item.spec, advskew: secondarySkew(item.spec.advskew) } };
    case "haSync": {
      return { ...item, spec: { pfsyncInterface: item.spec.pfsyncInterface, pfsyncPeerIp: item.primarySyncIp } };
    }
    case "dhcpFailover":
      return {
        ...item,
        spec: { ...item.spec, ...(item.spec.failoverPeerIp !== undefined ? { failoverPeerIp: item.primaryIp } : {}), role: "secondary", advskew: secondarySkew(item.spec.advskew) },
      };
    default:
      return item; // rules, aliases, NAT, gateways, VPN bindings: copied verbatim by restore_config_section
  }
}
