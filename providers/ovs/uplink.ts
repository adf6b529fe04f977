// What an uplink is, read on the node before any write, and whether Proxmox VE can keep it as the port of an OVS
// bridge. Proxmox's reader (pve-common Network/Interfaces.pm) types an OVSPort stanza only for a physical NIC (an
// ether link without a link kind, or a name like eth0/eno1/enp3s0/ib0/nic0/if0); anything else becomes "unknown" and
// every later GUI/API network edit fails ("interface 'X' is not defined as OVS port/bond"). A NIC that is already a
// port elsewhere makes every edit fail ("port 'X' is already used on interface 'Y'"), and the address or MTU of a NIC
// moved into a bridge is dropped at the next reload. Pure: the links come from the snapshot.
import { checkUplinkName, PROXMOX_NETWORK_FIX as PROXMOX_FIX } from "../../config/rules";
import { parseInterfacesFile } from "./interfaces-file";
import type { HostSnapshot, LinkInfo } from "./snapshot";

/** The NIC names Proxmox types as physical even without the link (eth0, eno1, enp3s0f1, ib0, nic0, if0). */
const PVE_NIC_NAME = /^(eth\d+|en[^:.]+|ib[^:.]+|nic\d+|if\d+)$/;
/** Keys a stanza of ours for the uplink has; anything else on it is a setting Proxmox would drop. */
const UPLINK_OWN_KEYS = ["ovs_type", "ovs_bridge", "ovs_extra"];


/** Everything on the node that makes `uplink` unfit for bridge `bridge`; [] when fit. Messages say what to change. */
export function uplinkProblems(node: string, bridge: string, uplink: string, s: HostSnapshot): string[] {
  const fix = (what: string) => `${node}: uplink ${uplink} ${what}`;
  const out: string[] = checkUplinkName("uplink", uplink).map((p) => `${node}: uplink ${uplink} ${p.message}. Fix: ${p.fix}`);
  if (out.length) return out;
  if (!s.links) return out; // an old snapshot without the links section: nothing more known
  const link: LinkInfo | undefined = s.links.find((l) => l.name === uplink);
  if (!link) return [fix(`does not exist on the node; name an existing NIC (ip link shows them)`)];
  const inOurBridge = link.slaveKind === "openvswitch";
  if (link.kind === "bond") {
    out.push(fix(`is a Linux bond; Proxmox cannot keep it as a port of an OVS bridge. Fix: replace it by an OVS Bond (type OVSBond, bridge ${bridge}) ${PROXMOX_FIX} and leave uplink unset, or name one of its NICs`));
  } else if (link.kind === "vlan") {
    out.push(fix(`is a VLAN sub-interface; Proxmox cannot keep it as a port of an OVS bridge. Fix: name the parent NIC (the bridge carries all VLANs) and set the VLAN tag on the VM's network device`));
  } else if (link.kind === "bridge") {
    out.push(fix(`is a Linux bridge, not a NIC; name a physical NIC`));
  } else if (link.kind !== undefined && link.kind !== "openvswitch" && !PVE_NIC_NAME.test(uplink)) {
    out.push(fix(`is a ${link.kind} link, not a physical NIC; Proxmox types an OVS port only on a physical NIC (eth0, eno1, enp3s0, …), so every later network edit would fail. Fix: name a physical NIC`));
  }
  if (link.slaveKind === "bridge" || link.slaveKind === "bond") {
    const what = link.slaveKind === "bridge" ? "Linux bridge" : "Linux bond";
    out.push(fix(`is already a port of the ${what} ${link.master ?? "?"} (Proxmox would refuse every later edit: port '${uplink}' is already used). Fix: remove it from ${link.master ?? "it"} ${PROXMOX_FIX}, or name a free NIC`));
  }
  if (!inOurBridge && link.addresses.length > 0) {
    out.push(fix(`has the address ${link.addresses.join(", ")}; as a bridge port it would lose it at the next reload or boot. Fix: move the address to the bridge or to an OVS IntPort ${PROXMOX_FIX} first, or name a NIC without an address`));
  }
  const st = s.interfacesFile !== undefined ? parseInterfacesFile(s.interfacesFile).stanzas.find((x) => x.name === uplink) : undefined;
  const own = st?.options.find((o) => o.key === "ovs_bridge")?.value === bridge;
  const extra = st && !own ? st.options.filter((o) => !UPLINK_OWN_KEYS.includes(o.key)) : [];
  if (extra.length > 0) {
    out.push(fix(`has its own settings in /etc/network/interfaces (${extra.map((o) => `${o.key} ${o.value}`.trim()).join("; ")}); Proxmox drops them from a bridge port. Fix: remove them ${PROXMOX_FIX} (set the network's mtu for the bridge instead), or name another NIC`));
  }
  return out;
}
