// The uplink checks run on the node's `ip -details -json addr show` (rows below in that format, the fields ip prints
// for a bond, a VLAN link, a bond member and a NIC already in one of our bridges) and on its interfaces file.
import { parseLinks, type HostSnapshot } from "../../providers/ovs/snapshot";
import { uplinkProblems } from "../../providers/ovs/uplink";
import { validateBridgeInputs } from "../../providers/ovs/validate";

const rows = [
  { ifname: "bond0", link_type: "ether", mtu: 1500, linkinfo: { info_kind: "bond" }, addr_info: [] },
  { ifname: "eno1", link_type: "ether", mtu: 1500, master: "bond0", linkinfo: { info_slave_kind: "bond" }, addr_info: [] },
  { ifname: "eno2.100", link_type: "ether", mtu: 1500, linkinfo: { info_kind: "vlan" }, addr_info: [] },
  { ifname: "ens100", link_type: "ether", mtu: 1500, linkinfo: { info_kind: "vlan" }, addr_info: [] },
  { ifname: "eno3", link_type: "ether", mtu: 1500, master: "ovs-system", linkinfo: { info_slave_kind: "openvswitch" }, addr_info: [] },
  { ifname: "eno4", link_type: "ether", mtu: 1500, addr_info: [{ family: "inet6", local: "fe80::1", prefixlen: 64, scope: "link" }] },
];
const snap = (file = ""): HostSnapshot => ({ bridges: [], ports: [], interfaces: [], interfacesFile: file, pendingNew: false, links: parseLinks(JSON.stringify(rows)) });

describe("uplink checks on the node", () => {
  test("a Linux bond is refused with the OVSBond way out", () => {
    expect(uplinkProblems("pve1", "vmbr1", "bond0", snap())).toEqual([
      expect.stringMatching(/^pve1: uplink bond0 is a bond; .*add an OVS Bond \(type OVSBond\) to the bridge in the Proxmox GUI/),
    ]);
  });
  test("a member of a Linux bond is refused, naming the bond", () => {
    expect(uplinkProblems("pve1", "vmbr1", "eno1", snap())).toEqual([expect.stringMatching(/^pve1: uplink eno1 is already a port of the Linux bond bond0/)]);
  });
  test("a VLAN link is refused by name (eno2.100) and by kind (ens100)", () => {
    expect(uplinkProblems("pve1", "vmbr1", "eno2.100", snap())).toEqual([expect.stringMatching(/VLAN sub-interface.*name the parent NIC \(e\.g\. "eno2"\)/)]);
    expect(uplinkProblems("pve1", "vmbr1", "ens100", snap())).toEqual([expect.stringMatching(/^pve1: uplink ens100 is a VLAN sub-interface/)]);
  });
  test("a NIC already in an OVS bridge, or with only a link-local address, is fit", () => {
    expect(uplinkProblems("pve1", "vmbr1", "eno3", snap())).toEqual([]);
    expect(uplinkProblems("pve1", "vmbr1", "eno4", snap())).toEqual([]);
  });
  test("our own stanza for the uplink is no foreign setting; a human's mtu line is", () => {
    const ours = "auto eno4\niface eno4 inet manual\n\tovs_type OVSPort\n\tovs_bridge vmbr1\n\tovs_extra set port eno4 external_ids:managed-by=pfsense-ha\n";
    expect(uplinkProblems("pve1", "vmbr1", "eno4", snap(ours))).toEqual([]);
    expect(uplinkProblems("pve1", "vmbr1", "eno4", snap("iface eno4 inet manual\n\tmtu 9000\n"))).toEqual([
      expect.stringMatching(/own settings in \/etc\/network\/interfaces \(mtu 9000\)/),
    ]);
  });
  test("check() refuses bond and VLAN names before any host is reached", () => {
    const base = { endpoint: { host: "192.0.2.1", username: "root", hostKeySha256: "SHA256:" + "A".repeat(43), privateKeyPath: "/nonexistent/key" }, node: "pve1", name: "vmbr1" };
    for (const uplink of ["bond0", "eno2.100"]) {
      expect(validateBridgeInputs({ ...base, uplink }).map((p) => p.key)).toEqual(["uplink"]);
    }
    expect(validateBridgeInputs({ ...base, uplink: "eno1" })).toEqual([]);
  });
});
