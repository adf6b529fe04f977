// validateStack: the seed topologies are valid; each invalid configuration is rejected with a problem naming the key.
import { validateStack } from "../../config/validate";
import { formatProblem } from "../../config/problems";
import { TOPOLOGIES, deleteIn, setIn, topologyValues } from "../fixtures/topologies";

const C = "pfsense-ha:cluster";
type Values = Record<string, unknown>;

describe("seed topologies", () => {
  it.each(TOPOLOGIES)("%s validates with no problems", (name) => {
    const r = validateStack(topologyValues(name), { stackName: "test" });
    expect(r.problems.map(formatProblem)).toEqual([]);
    expect(r.config?.firewalls.primary.name).toBe("fw1");
  });

  it("accepts both firewall VMs on one node with allowSameNode: true (and without it when one is not managed)", () => {
    const v = topologyValues("two-nic");
    setIn(v, "firewalls.secondary.proxmoxNode", "pve1");
    setIn(v, "allowSameNode", true);
    expect(validateStack(v).problems.map(formatProblem)).toEqual([]);
  });

  it("reads static IPv6 in RFC 5952 form, the prefix's host bits cleared, the VIP's advbase and description defaulted", () => {
    const v = topologyValues("wan-lan-sync");
    setIn(v, "networks.lan.ipv6", { subnet: "2001:DB8:10:0::5/64", addresses: { primary: "2001:db8:10:0:0:0:0:2", secondary: "2001:db8:10::3" }, vip: { address: "2001:0db8:0010::1", vhid: 12 } });
    const r = validateStack(v);
    expect(r.problems.map(formatProblem)).toEqual([]);
    expect(r.config?.networks.find((n) => n.role === "lan")?.ipv6).toEqual({
      subnet: "2001:db8:10::/64",
      prefix: 64,
      addresses: { primary: "2001:db8:10::2", secondary: "2001:db8:10::3" },
      vip: { address: "2001:db8:10::1", vhid: 12, advbase: 1, description: "LAN IPv6 CARP VIP" },
    });
  });

  it("orders networks wan, lan, sync, then extras, and numbers optN in that order", () => {
    const c = validateStack(topologyValues("wan-lan-dmz-sync30")).config;
    expect(c?.networks.map((n) => `${n.role}=${n.pfsenseInterface}`)).toEqual(["wan=wan", "lan=lan", "sync=opt1", "dmz=opt2"]);
  });

  it("accepts the secondary skew XMLRPC sync writes (primary + 100, capped at 254) and derives it when left out", () => {
    const v = topologyValues("wan-lan-sync");
    setIn(v, "carp.advskewPrimary", 200);
    setIn(v, "carp.advskewSecondary", 254);
    setIn(v, "dhcp.failover", false);
    expect(validateStack(v).config?.carp).toEqual({ advskewPrimary: 200, advskewSecondary: 254, advbase: 1 });
    deleteIn(v, "carp.advskewSecondary");
    expect(validateStack(v).config?.carp.advskewSecondary).toBe(254);
  });

  it("names the value to use when the secondary skew is not the synced one", () => {
    const v = topologyValues("wan-lan-sync");
    setIn(v, "carp.advskewSecondary", 150);
    expect(validateStack(v).problems[0].fix).toBe("set pfsense-ha:cluster.carp.advskewSecondary to 100, or leave it out (it defaults to that)");
  });

  it("applies defaults: secondary skew = primary + 100, advbase 1, VXLAN port 4789, MTU underlay - 50, sync on lan for 2 NICs", () => {
    const c = validateStack(topologyValues("two-nic")).config;
    expect(c?.carp).toEqual({ advskewPrimary: 0, advskewSecondary: 100, advbase: 1 });
    const lan = c?.networks.find((n) => n.role === "lan");
    expect(lan?.vxlan).toEqual({ key: 1001, dstPort: 4789, bfd: false });
    expect(lan?.mtu).toBe(1450);
    expect(c?.hasync.syncNetwork).toBe("lan");
    expect(c?.firewalls.secondary.interfaces).toEqual({ wan: "vtnet0", lan: "vtnet1" });
  });
});

// [description, edit, expected key, expected message fragment]
type Case = [string, (v: Values) => void, string, RegExp];
const net = (role: string, rest = ""): string => `${C}.networks.${role}${rest}`;
/** A valid static IPv6 for the LAN of wan-lan-sync (its IPv4 VIP has VHID 2). */
const V6 = { subnet: "2001:db8:10::/64", addresses: { primary: "2001:db8:10::2", secondary: "2001:db8:10::3" }, vip: { address: "2001:db8:10::1", vhid: 12 } };

const CASES: Case[] = [
  // IPv4 / CIDR syntax
  ["subnet not a CIDR", (v) => setIn(v, "networks.lan.subnet", "172.16.10.0"), net("lan", ".subnet"), /not an IPv4 CIDR/],
  ["subnet prefix 33", (v) => setIn(v, "networks.lan.subnet", "172.16.10.0/33"), net("lan", ".subnet"), /not an IPv4 CIDR/],
  ["address with octet 256", (v) => setIn(v, "networks.lan.addresses.primary", "172.16.10.256"), net("lan", ".addresses.primary"), /not an IPv4 address/],
  ["address with leading zero", (v) => setIn(v, "networks.wan.addresses.secondary", "198.51.100.03"), net("wan", ".addresses.secondary"), /not an IPv4 address/],
  ["gateway not an address", (v) => setIn(v, "networks.wan.gateway", "router"), net("wan", ".gateway"), /not an IPv4 address/],
  ["underlay address invalid", (v) => setIn(v, "proxmox.nodes.0.underlayAddress", "10.10.0"), `${C}.proxmox.nodes[0].underlayAddress`, /not an IPv4 address/],
  ["/31 subnet", (v) => { setIn(v, "networks.sync.subnet", "172.16.255.0/31"); setIn(v, "networks.sync.addresses", { primary: "172.16.255.0", secondary: "172.16.255.1" }); }, net("sync", ".subnet"), /no room for two firewall addresses/],
  // VIPs
  ["VIP outside its subnet", (v) => setIn(v, "networks.lan.vip.address", "172.16.11.1"), net("lan", ".vip.address"), /outside its interface's subnet 172\.16\.10\.0\/24/],
  ["VIP equal to the primary's address", (v) => setIn(v, "networks.lan.vip.address", "172.16.10.2"), net("lan", ".vip.address"), /equals the primary firewall's own address/],
  ["VIP equal to the secondary's address", (v) => setIn(v, "networks.wan.vip.address", "198.51.100.3"), net("wan", ".vip.address"), /equals the secondary firewall's own address/],
  ["VIP is the network address", (v) => setIn(v, "networks.lan.vip.address", "172.16.10.0"), net("lan", ".vip.address"), /network address of 172\.16\.10\.0\/24/],
  ["VIP is the broadcast address", (v) => setIn(v, "networks.lan.vip.address", "172.16.10.255"), net("lan", ".vip.address"), /broadcast address of 172\.16\.10\.0\/24/],
  ["VIP equal to the gateway", (v) => setIn(v, "networks.wan.vip.address", "198.51.100.1"), net("wan", ".vip.address"), /equals the upstream gateway/],
  ["node address outside the subnet", (v) => setIn(v, "networks.lan.addresses.secondary", "172.16.20.3"), net("lan", ".addresses.secondary"), /outside its interface's subnet/],
  ["duplicate node addresses", (v) => setIn(v, "networks.lan.addresses.secondary", "172.16.10.2"), net("lan", ".addresses.secondary"), /duplicate node address/],
  ["duplicate underlay addresses", (v) => setIn(v, "proxmox.nodes.1.underlayAddress", "10.10.0.11"), `${C}.proxmox.nodes[1].underlayAddress`, /duplicate underlay address/],
  // CARP numbers
  ["VHID 0", (v) => setIn(v, "networks.lan.vip.vhid", 0), net("lan", ".vip.vhid"), /VHID must be an integer from 1 to 255/],
  ["VHID 256", (v) => setIn(v, "networks.lan.vip.vhid", 256), net("lan", ".vip.vhid"), /VHID must be an integer from 1 to 255/],
  ["VHID not an integer", (v) => setIn(v, "networks.lan.vip.vhid", 2.5), net("lan", ".vip.vhid"), /VHID must be an integer/],
  ["VHID used twice on one interface", (v) => setIn(v, "networks.lan.vip", [{ address: "172.16.10.1", vhid: 2 }, { address: "172.16.10.4", vhid: 2 }]), net("lan", ".vip[1].vhid"), /used twice on the lan interface/],
  ["secondary skew not what XMLRPC sync writes", (v) => setIn(v, "carp.advskewSecondary", 150), `${C}.carp.advskewSecondary`, /is not 100 \(the primary's advskew 0 \+ 100, at most 254\): pfSense's XMLRPC sync writes/],
  ["secondary skew not the capped 254", (v) => { setIn(v, "carp.advskewPrimary", 200); setIn(v, "carp.advskewSecondary", 250); setIn(v, "dhcp.failover", false); }, `${C}.carp.advskewSecondary`, /is not 254 \(the primary's advskew 200 \+ 100, at most 254\)/],
  ["advbase 0", (v) => setIn(v, "carp.advbase", 0), `${C}.carp.advbase`, /advbase must be an integer from 1 to 254/],
  ["per-VIP advbase 255", (v) => setIn(v, "networks.lan.vip.advbase", 255), net("lan", ".vip.advbase"), /advbase must be an integer from 1 to 254/],
  ["primary skew 255", (v) => { setIn(v, "carp.advskewPrimary", 255); setIn(v, "carp.advskewSecondary", 254); }, `${C}.carp.advskewPrimary`, /advskew must be an integer from 0 to 254/],
  ["negative secondary skew", (v) => setIn(v, "carp.advskewSecondary", -1), `${C}.carp.advskewSecondary`, /advskew must be an integer from 0 to 254/],
  ["secondary skew not above primary", (v) => { setIn(v, "carp.advskewPrimary", 100); setIn(v, "carp.advskewSecondary", 100); setIn(v, "dhcp.failover", false); }, `${C}.carp.advskewSecondary`, /must be above the primary's advskew \(100\)/],
  // secrets
  ["missing CARP password", (v) => delete v["pfsense-ha:carpPassword"], "pfsense-ha:carpPassword", /is missing: every CARP VIP needs a password/],
  ["missing XMLRPC password", (v) => delete v["pfsense-ha:xmlrpcPassword"], "pfsense-ha:xmlrpcPassword", /is missing: the primary's XMLRPC/],
  ["empty CARP password", (v) => (v["pfsense-ha:carpPassword"] = ""), "pfsense-ha:carpPassword", /is empty/],
  // VXLAN
  ["VXLAN key 0", (v) => setIn(v, "networks.lan.vxlan.key", 0), net("lan", ".vxlan.key"), /VXLAN key \(VNI\) must be an integer from 1 to 16777215/],
  ["VXLAN key 2^24", (v) => setIn(v, "networks.lan.vxlan.key", 16777216), net("lan", ".vxlan.key"), /from 1 to 16777215/],
  ["same VXLAN key on two networks", (v) => setIn(v, "networks.sync.vxlan.key", 1001), net("sync", ".vxlan.key"), /also used by the lan network/],
  ["VXLAN MTU too large for the underlay", (v) => setIn(v, "networks.lan.mtu", 9000), net("lan", ".mtu"), /VXLAN adds 50 bytes and the underlay MTU is 9000/],
  // names
  ["bridge name of 16 characters", (v) => setIn(v, "networks.lan.bridge", "vmbr-lan-1234567"), net("lan", ".bridge"), /16 characters long; Linux limits interface names to 15/],
  ["bridge name with a space", (v) => setIn(v, "networks.lan.bridge", "vmbr 1"), net("lan", ".bridge"), /not a valid interface name/],
  ["uplink with a shell metacharacter", (v) => setIn(v, "networks.wan.uplink", "eno1;reboot"), net("wan", ".uplink"), /not a valid interface name/],
  ["bridge name starting with a dash (read as an option)", (v) => setIn(v, "networks.lan.bridge", "-vmbr1"), net("lan", ".bridge"), /starts with "-", which commands read as an option/],
  ["pfSense device name too long", (v) => setIn(v, "firewalls.primary.interfaces", { wan: "vtnet0", lan: "vtnet1", sync: "a-very-long-device" }), `${C}.firewalls.primary.interfaces.sync`, /Linux limits interface names to 15/],
  ["pfsenseInterface not wan/lan/optN", (v) => setIn(v, "networks.sync.pfsenseInterface", "sync"), net("sync", ".pfsenseInterface"), /not a pfSense interface name/],
  // bridge roles
  ["the same bridge for LAN and SYNC", (v) => setIn(v, "networks.sync.bridge", "vmbr1"), net("sync", ".bridge"), /also used by the lan network: both networks would share one layer-2 segment/],
  ["the same uplink on two bridges", (v) => { setIn(v, "networks.lan.uplink", "eno1"); }, net("lan", ".uplink"), /one physical port cannot be in two bridges/],
  ["uplink is a bridge name", (v) => setIn(v, "networks.wan.uplink", "vmbr1"), net("wan", ".uplink"), /is the name of a bridge/],
  ["two networks on one pfSense interface", (v) => setIn(v, "networks.sync.pfsenseInterface", "lan"), net("sync", ".pfsenseInterface"), /one pfSense interface cannot carry two networks/],
  ["overlapping subnets", (v) => { setIn(v, "networks.sync.subnet", "172.16.10.248/29"); setIn(v, "networks.sync.addresses", { primary: "172.16.10.249", secondary: "172.16.10.250" }); }, net("sync", ".subnet"), /overlaps the lan network's subnet/],
  // sync interface
  ["sync network that does not exist", (v) => setIn(v, "hasync.syncNetwork", "dmz"), `${C}.hasync.syncNetwork`, /not a network defined on both firewalls/],
  ["sync interface missing on the secondary (vm: none)", (v) => { for (const r of ["primary", "secondary"]) { setIn(v, `firewalls.${r}.vm`, "none"); setIn(v, `firewalls.${r}.interfaces`, { wan: "igb0", lan: "igb1", sync: "igb2" }); } deleteIn(v, "firewalls.secondary.interfaces.sync"); }, `${C}.firewalls.secondary.interfaces.sync`, /the sync network has no interface on this firewall/],
  ["sync network not stretched between the firewalls' nodes", (v) => deleteIn(v, "networks.sync.vxlan"), net("sync", ".vxlan"), /does not exist on both firewalls' Proxmox nodes.*CARP and pfsync cannot reach the peer/],
  ["pfsync over the WAN", (v) => setIn(v, "hasync.syncNetwork", "wan"), `${C}.hasync.syncNetwork`, /unencrypted pfsync state over the WAN/],
  // DHCP
  ["DHCP failover with primary skew 50", (v) => { setIn(v, "carp.advskewPrimary", 50); setIn(v, "carp.advskewSecondary", 150); }, `${C}.carp.advskewPrimary`, /^is 20 or more: pfSense makes a node the DHCP failover primary only when its CARP advskew is below 20 \(services\.inc\), so with 50 both firewalls would write "secondary;"/],
  ["DHCP failover with primary skew 20 (services.inc: advskew < 20)", (v) => { setIn(v, "carp.advskewPrimary", 20); setIn(v, "carp.advskewSecondary", 120); }, `${C}.carp.advskewPrimary`, /^is 20 or more: .* so with 20 both firewalls would write "secondary;" and failover would never form$/],
  ["DHCP range starting on the network address", (v) => { setIn(v, "dhcp.rangeFrom", "172.16.10.0"); setIn(v, "dhcp.rangeTo", "172.16.10.0"); }, `${C}.dhcp.rangeFrom`, /^is the network address of 172\.16\.10\.0\/24: pfSense's DHCP server refuses a range that starts on it$/],
  ["DHCP range ending on the broadcast address", (v) => setIn(v, "dhcp.rangeTo", "172.16.10.255"), `${C}.dhcp.rangeTo`, /^is the broadcast address of 172\.16\.10\.0\/24: pfSense's DHCP server refuses a range that ends on it$/],
  ["DHCP range outside the subnet", (v) => setIn(v, "dhcp.rangeTo", "172.16.11.10"), `${C}.dhcp.rangeTo`, /outside the lan subnet/],
  ["DHCP range reversed", (v) => { setIn(v, "dhcp.rangeFrom", "172.16.10.200"); setIn(v, "dhcp.rangeTo", "172.16.10.100"); }, `${C}.dhcp.rangeTo`, /below rangeFrom/],
  ["DHCP range covering the VIP", (v) => { setIn(v, "dhcp.rangeFrom", "172.16.10.1"); setIn(v, "dhcp.rangeTo", "172.16.10.1"); }, `${C}.dhcp.rangeFrom`, /includes 172\.16\.10\.1/],
  ["Kea failover on pfSense 2.7", (v) => { setIn(v, "pfsenseVersion", "2.7.2"); setIn(v, "dhcp.backend", "kea"); }, `${C}.dhcp.backend`, /needs pfSense 2\.8/],
  ["Kea on pfSense 2.8 (not implemented: refused, never ignored)", (v) => { setIn(v, "pfsenseVersion", "2.8.0"); setIn(v, "dhcp.backend", "kea"); }, `${C}.dhcp.backend`, /^is not supported yet: the stack configures ISC dhcpd and its failover only, not Kea/],
  ["Kea without failover", (v) => { setIn(v, "pfsenseVersion", "2.8.0"); setIn(v, "dhcp.backend", "kea"); setIn(v, "dhcp.failover", false); }, `${C}.dhcp.backend`, /^is not supported yet/],
  // DHCP per network (networks.<role>.dhcp; the cluster-level block removed first)
  ["DHCP on the WAN (per network)", (v) => { deleteIn(v, "dhcp"); setIn(v, "networks.wan.dhcp", { rangeFrom: "198.51.100.100", rangeTo: "198.51.100.150" }); }, net("wan", ".dhcp"), /^a DHCP server on the WAN would hand out addresses upstream$/],
  ["DHCP without failover on a network without a VIP", (v) => { deleteIn(v, "dhcp"); setIn(v, "networks.sync.dhcp", { rangeFrom: "172.16.255.4", rangeTo: "172.16.255.6" }); }, net("sync", ".vip"), /^the DHCP server hands out the network's CARP VIP as gateway and DNS/],
  ["DHCP failover on a network without a VIP", (v) => { deleteIn(v, "dhcp"); setIn(v, "networks.sync.dhcp", { rangeFrom: "172.16.255.4", rangeTo: "172.16.255.6", failover: true }); }, net("sync", ".vip"), /^DHCP failover needs a CARP VIP on the DHCP network/],
  ["DHCP range over a node address (per network)", (v) => { deleteIn(v, "dhcp"); setIn(v, "networks.lan.dhcp", { rangeFrom: "172.16.10.2", rangeTo: "172.16.10.20" }); }, net("lan", ".dhcp.rangeFrom"), /^includes 172\.16\.10\.2, an address of the firewalls or a VIP$/],
  ["DHCP range on the broadcast address (per network)", (v) => { deleteIn(v, "dhcp"); setIn(v, "networks.lan.dhcp", { rangeFrom: "172.16.10.100", rangeTo: "172.16.10.255" }); }, net("lan", ".dhcp.rangeTo"), /^is the broadcast address of 172\.16\.10\.0\/24/],
  ["DHCP failover per network with primary skew 50", (v) => { deleteIn(v, "dhcp"); setIn(v, "networks.lan.dhcp", { rangeFrom: "172.16.10.100", rangeTo: "172.16.10.199", failover: true }); setIn(v, "carp.advskewPrimary", 50); setIn(v, "carp.advskewSecondary", 150); }, `${C}.carp.advskewPrimary`, /^is 20 or more: pfSense makes a node the DHCP failover primary only when its CARP advskew is below 20/],
  ["Kea per network", (v) => { deleteIn(v, "dhcp"); setIn(v, "pfsenseVersion", "2.8.0"); setIn(v, "networks.lan.dhcp", { rangeFrom: "172.16.10.100", rangeTo: "172.16.10.199", backend: "kea" }); }, net("lan", ".dhcp.backend"), /^is not supported yet: the stack configures ISC dhcpd and its failover only, not Kea/],
  ["a network key in networks.<role>.dhcp", (v) => { deleteIn(v, "dhcp"); setIn(v, "networks.lan.dhcp", { network: "lan", rangeFrom: "172.16.10.100", rangeTo: "172.16.10.199" }); }, net("lan", ".dhcp.network"), /not a known configuration key/],
  ["DHCP on one network in both forms", (v) => setIn(v, "networks.lan.dhcp", { rangeFrom: "172.16.10.100", rangeTo: "172.16.10.199" }), `${C}.dhcp`, /^sets a DHCP server on lan, which pfsense-ha:cluster\.networks\.lan\.dhcp also sets$/],
  // NAT
  ["outbound NAT source any", (v) => setIn(v, "nat.sources", ["any"]), `${C}.nat.sources[0]`, /breaks the secondary's outbound connectivity/],
  ["outbound NAT source 0.0.0.0/0", (v) => setIn(v, "nat.sources", ["lan", "0.0.0.0/0"]), `${C}.nat.sources[1]`, /from any source/],
  ["outbound NAT source overlapping the WAN", (v) => setIn(v, "nat.sources", ["198.51.0.0/16"]), `${C}.nat.sources[0]`, /overlaps the WAN subnet/],
  ["outbound NAT source listed twice", (v) => setIn(v, "nat.sources", ["lan", "lan"]), `${C}.nat.sources[1]`, /^is listed twice \(also pfsense-ha:cluster\.nat\.sources\[0\]\): each source becomes one NAT rule and one resource/],
  ["outbound NAT role and its own CIDR", (v) => setIn(v, "nat.sources", ["lan", "172.16.10.0/24"]), `${C}.nat.sources[1]`, /^covers the same subnet 172\.16\.10\.0\/24 as "lan": the two NAT rules would be identical$/],
  ["outbound NAT source unknown role", (v) => setIn(v, "nat.sources", ["guest"]), `${C}.nat.sources[0]`, /neither a network role nor an IPv4 CIDR/],
  // unknown keys (typos)
  ["typo in a cluster key", (v) => { const c = v[C] as Values; c.hasnyc = c.hasync; delete c.hasync; }, `${C}.hasnyc`, /not a known configuration key/],
  ["typo in a network key", (v) => { setIn(v, "networks.lan.vxaln", { key: 5 }); }, net("lan", ".vxaln"), /not a known configuration key/],
  ["typo in a stack key", (v) => (v["pfsense-ha:xmlrpcPasword"] = "x"), "pfsense-ha:xmlrpcPasword", /not a known configuration key/],
  // firewalls, versions, ssh
  ["both managed firewall VMs on one Proxmox node", (v) => setIn(v, "firewalls.secondary.proxmoxNode", "pve1"), `${C}.firewalls.secondary.proxmoxNode`, /is the primary's Proxmox node too: one node failure would take both firewalls down/],
  ["a VLAN sub-interface as uplink", (v) => setIn(v, "networks.wan.uplink", "eno2.100"), net("wan", ".uplink"), /is a VLAN sub-interface; Proxmox cannot keep it as a port of an OVS bridge/],
  ["a bond as uplink", (v) => setIn(v, "networks.wan.uplink", "bond0"), net("wan", ".uplink"), /is a bond; pfsense-ha does not create bonds/],
  ["vlanAware (no longer a setting)", (v) => setIn(v, "networks.lan.vlanAware", true), net("lan", ".vlanAware"), /is no longer a setting: OVS bridges always carry every VLAN/],
  ["firewall on an unknown Proxmox node", (v) => setIn(v, "firewalls.secondary.proxmoxNode", "pve9"), `${C}.firewalls.secondary.proxmoxNode`, /not one of the Proxmox nodes/],
  ["both firewalls with one name", (v) => setIn(v, "firewalls.secondary.name", "fw1"), `${C}.firewalls.secondary.name`, /primary's name too/],
  ["unknown pfSense version", (v) => setIn(v, "pfsenseVersion", "2.9.0"), `${C}.pfsenseVersion`, /not a pfSense version this project was checked against/],
  ["malformed host key fingerprint", (v) => setIn(v, "firewalls.primary.ssh.hostKeySha256", "SHA256:abc="), `${C}.firewalls.primary.ssh.hostKeySha256`, /not a SHA256 host key fingerprint/],
  ["host key not pinned", (v) => deleteIn(v, "firewalls.primary.ssh.hostKeySha256"), `${C}.firewalls.primary.ssh.hostKeySha256`, /host keys are pinned/],
  ["password without allowPasswordAuth", (v) => setIn(v, "firewalls.primary.ssh.password", "pw"), `${C}.firewalls.primary.ssh.password`, /password authentication is not enabled/],
  ["SSH port 0", (v) => setIn(v, "proxmox.nodes.0.ssh.port", 0), `${C}.proxmox.nodes[0].ssh.port`, /port must be an integer from 1 to 65535/],
  ["inventory host without a host inventory", (v) => setIn(v, "proxmox.nodes.0.ssh", { inventory: "pve1" }), `${C}.proxmox.nodes[0].ssh.inventory`, /^refers to an inventory host but no host inventory is configured$/],
  ["same VM id for both firewalls (clone vmId, adopt)", (v) => setIn(v, "firewalls.primary.vm.vmId", 202), `${C}.firewalls.secondary.vm.adopt`, /^is the primary's VM id too: VM ids are unique in a Proxmox cluster/],
  ["same VM id for both firewalls on different nodes (two clones)", (v) => setIn(v, "firewalls.secondary.vm", { clone: { templateId: 9000 }, vmId: 201 }), `${C}.firewalls.secondary.vm.vmId`, /^is the primary's VM id too: VM ids are unique in a Proxmox cluster, so both firewalls would be one VM$/],
  ["underlay address 0.0.0.0", (v) => setIn(v, "proxmox.nodes.0.underlayAddress", "0.0.0.0"), `${C}.proxmox.nodes[0].underlayAddress`, /^is the unspecified address 0\.0\.0\.0; a VXLAN underlay address must be the node's own unicast address/],
  ["underlay address 127.0.0.1", (v) => setIn(v, "proxmox.nodes.1.underlayAddress", "127.0.0.1"), `${C}.proxmox.nodes[1].underlayAddress`, /^is a loopback address \(127\.0\.0\.0\/8\)/],
  ["underlay address 255.255.255.255", (v) => setIn(v, "proxmox.nodes.0.underlayAddress", "255.255.255.255"), `${C}.proxmox.nodes[0].underlayAddress`, /^is the limited broadcast address;/],
  ["underlay address multicast", (v) => setIn(v, "proxmox.nodes.0.underlayAddress", "239.1.2.3"), `${C}.proxmox.nodes[0].underlayAddress`, /^is a multicast address \(224\.0\.0\.0\/4\);/],
  ["two Proxmox nodes on one SSH endpoint", (v) => setIn(v, "proxmox.nodes.1.ssh.host", "192.0.2.11"), `${C}.proxmox.nodes[1].ssh.host`, /^is the SSH endpoint of pfsense-ha:cluster\.proxmox\.nodes\[0\] \(pve1\) too: both Proxmox nodes would be configured on one host$/],
  ["proxmox given as a list", (v) => setIn(v, "proxmox", [{ name: "pve1" }]), `${C}.proxmox`, /^must be an object \(got a list\)$/],
  ["networks given as a list", (v) => setIn(v, "networks", []), `${C}.networks`, /^must be an object \(got a list\)$/],
  ["a network on different devices on the two firewalls", (v) => { for (const r of ["primary", "secondary"]) { setIn(v, `firewalls.${r}.vm`, "none"); setIn(v, `firewalls.${r}.interfaces`, { wan: "igb0", lan: "igb1", sync: "igb2" }); } setIn(v, "firewalls.secondary.interfaces.sync", "igb3"); }, `${C}.firewalls.secondary.interfaces.sync`, /^differs from the primary's device for the sync network \(primary: "igb2", secondary: "igb3"\): pfSense HA needs each network on the same interface on both nodes/],
  ["an invalid network field with devices named (no did-you-mean on interfaces)", (v) => { for (const r of ["primary", "secondary"]) { setIn(v, `firewalls.${r}.vm`, "none"); setIn(v, `firewalls.${r}.interfaces`, { wan: "igb0", lan: "igb1", sync: "igb2" }); } setIn(v, "networks.sync.subnet", "172.16.255.0"); }, net("sync", ".subnet"), /^is not an IPv4 CIDR$/],
  ["IPv6 choice not none/unmanaged/static", (v) => setIn(v, "networks.lan.ipv6", "dhcp6"), net("lan", ".ipv6"), /^is not an IPv6 choice: use "none" \(default: no IPv6 on this interface, as the GUI's IPv6 type None\), "unmanaged" \(leave the interface's IPv6 as configured by hand\) or static IPv6 with a CARP VIP$/],
  ["static IPv6: not a prefix", (v) => setIn(v, "networks.lan.ipv6", { ...V6, subnet: "2001:db8:10::" }), net("lan", ".ipv6.subnet"), /^is not an IPv6 prefix$/],
  ["static IPv6: prefix too long for three addresses", (v) => setIn(v, "networks.lan.ipv6", { ...V6, subnet: "2001:db8:10::/127" }), net("lan", ".ipv6.subnet"), /^leaves no room for two firewall addresses and a VIP$/],
  ["static IPv6: an IPv4 address as a node address", (v) => setIn(v, "networks.lan.ipv6", { ...V6, addresses: { primary: "172.16.10.2", secondary: "2001:db8:10::3" } }), net("lan", ".ipv6.addresses.primary"), /^is not an IPv6 address$/],
  ["static IPv6: node address outside the prefix", (v) => setIn(v, "networks.lan.ipv6", { ...V6, addresses: { primary: "2001:db8:10::2", secondary: "2001:db8:11::3" } }), net("lan", ".ipv6.addresses.secondary"), /^address is outside the network's IPv6 prefix 2001:db8:10::\/64$/],
  ["static IPv6: VIP outside the prefix", (v) => setIn(v, "networks.lan.ipv6", { ...V6, vip: { address: "2001:db8:99::1", vhid: 12 } }), net("lan", ".ipv6.vip.address"), /^VIP is outside the network's IPv6 prefix 2001:db8:10::\/64$/],
  ["static IPv6: VIP on the subnet-router anycast address", (v) => setIn(v, "networks.lan.ipv6", { ...V6, vip: { address: "2001:db8:10::", vhid: 12 } }), net("lan", ".ipv6.vip.address"), /^VIP is the network \(subnet-router anycast\) address of 2001:db8:10::\/64$/],
  ["static IPv6: VIP on the last address of the prefix", (v) => setIn(v, "networks.lan.ipv6", { ...V6, vip: { address: "2001:db8:10:0:ffff:ffff:ffff:ffff", vhid: 12 } }), net("lan", ".ipv6.vip.address"), /^VIP is the last address of 2001:db8:10::\/64, which pfSense refuses for a CARP VIP$/],
  ["static IPv6: VIP equals a node's address (other spelling)", (v) => setIn(v, "networks.lan.ipv6", { ...V6, vip: { address: "2001:DB8:10:0::3", vhid: 12 } }), net("lan", ".ipv6.vip.address"), /^equals the secondary firewall's own IPv6 address: a CARP VIP must be a third address$/],
  ["static IPv6: both nodes on one address", (v) => setIn(v, "networks.lan.ipv6", { ...V6, addresses: { primary: "2001:db8:10::2", secondary: "2001:db8:10:0:0:0:0:2" } }), net("lan", ".ipv6.addresses.secondary"), /^is the same address as the primary's: duplicate node address$/],
  ["static IPv6: VIP VHID of the IPv4 VIP on the same interface", (v) => setIn(v, "networks.lan.ipv6", { ...V6, vip: { address: "2001:db8:10::1", vhid: 2 } }), net("lan", ".ipv6.vip.vhid"), /^is also the VHID of the lan network's IPv4 VIP 172\.16\.10\.1: pfSense refuses a VHID used twice on one interface, whatever the address family$/],
  ["static IPv6: no VIP", (v) => setIn(v, "networks.lan.ipv6", { subnet: V6.subnet, addresses: V6.addresses }), net("lan", ".ipv6.vip"), /is required/],
  ["static IPv6: unknown key", (v) => setIn(v, "networks.lan.ipv6", { ...V6, gatway: "2001:db8:10::ff" }), net("lan", ".ipv6.gatway"), /is not a known configuration key/],
  ["hasync.webguiPort 0", (v) => setIn(v, "hasync.webguiPort", 0), `${C}.hasync.webguiPort`, /^webGUI port must be an integer from 1 to 65535$/],
  ["nat.position not top/bottom", (v) => setIn(v, "nat.position", "first"), `${C}.nat.position`, /^must be one of "top", "bottom"$/],
  ["linked clone", (v) => setIn(v, "firewalls.primary.vm.clone.full", false), `${C}.firewalls.primary.vm.clone.full`, /linked clones/],
  ["WAN role missing", (v) => deleteIn(v, "networks.wan"), net("wan"), /the WAN network is required/],
];

describe("invalid configurations (one problem each)", () => {
  it("has at least 40 cases", () => expect(CASES.length).toBeGreaterThanOrEqual(40));

  it.each(CASES)("%s", (_name, edit, key, message) => {
    const v = topologyValues("wan-lan-sync");
    edit(v);
    const r = validateStack(v, { stackName: "test" });
    expect(r.config).toBeUndefined();
    expect(r.problems.map((p) => `${p.key}: ${p.message}`)).toEqual([expect.stringMatching(/.*/)]);
    expect(r.problems[0].key).toBe(key);
    expect(r.problems[0].message).toMatch(message);
    expect(r.problems[0].fix.length).toBeGreaterThan(10);
  });
});

describe("DHCP per network", () => {
  it("the cluster-level block (failover on by default, as before) gives the same server as networks.<role>.dhcp with failover: true", () => {
    const old = validateStack(topologyValues("four-node")).config; // dhcp: {network: lan, rangeFrom, rangeTo}, no failover key
    expect(old?.networks.find((n) => n.role === "lan")?.dhcp).toEqual({ rangeFrom: "172.16.10.100", rangeTo: "172.16.10.199", failover: true, backend: "isc" });
    const v = topologyValues("wan-lan-sync");
    const before = validateStack(v).config;
    deleteIn(v, "dhcp");
    setIn(v, "networks.lan.dhcp", { rangeFrom: "172.16.10.100", rangeTo: "172.16.10.199", failover: true });
    const after = validateStack(v).config;
    expect(after).toEqual(before);
    expect(after?.networks.map((n) => [n.role, n.dhcp])).toEqual([
      ["wan", undefined], ["lan", { rangeFrom: "172.16.10.100", rangeTo: "172.16.10.199", failover: true, backend: "isc" }], ["sync", undefined],
    ]);
  });

  it("networks.<role>.dhcp on LAN and DMZ: failover off unless asked; failover: false with a skew of 50 is fine", () => {
    const v = topologyValues("wan-lan-dmz-sync30");
    setIn(v, "networks.lan.dhcp", { rangeFrom: "10.20.0.100", rangeTo: "10.20.0.200" });
    setIn(v, "networks.dmz.dhcp", { rangeFrom: "10.30.0.100", rangeTo: "10.30.0.200", failover: true });
    const c = validateStack(v).config;
    expect(c?.networks.map((n) => [n.role, n.pfsenseInterface, n.dhcp])).toEqual([
      ["wan", "wan", undefined], ["lan", "lan", { rangeFrom: "10.20.0.100", rangeTo: "10.20.0.200", failover: false, backend: "isc" }], ["sync", "opt1", undefined],
      ["dmz", "opt2", { rangeFrom: "10.30.0.100", rangeTo: "10.30.0.200", failover: true, backend: "isc" }],
    ]);
    setIn(v, "networks.dmz.dhcp.failover", false);
    setIn(v, "carp", { advskewPrimary: 50, advskewSecondary: 150 });
    expect(validateStack(v).problems.map(formatProblem)).toEqual([]);
  });
});

describe("reporting", () => {
  it("reports every problem at once: 5 independent mistakes give 5 problems", () => {
    const v = topologyValues("wan-lan-sync");
    setIn(v, "networks.lan.vip.vhid", 300);
    setIn(v, "networks.sync.bridge", "this-name-is-too-long");
    setIn(v, "nat.sources", ["any"]);
    setIn(v, "carp.advbase", 0);
    delete v["pfsense-ha:xmlrpcPassword"];
    const keys = validateStack(v).problems.map((p) => p.key);
    expect(keys.sort()).toEqual(
      [net("lan", ".vip.vhid"), net("sync", ".bridge"), `${C}.nat.sources[0]`, `${C}.carp.advbase`, "pfsense-ha:xmlrpcPassword"].sort(),
    );
  });

  it("suggests the intended key for a typo", () => {
    const v = topologyValues("wan-lan-sync");
    setIn(v, "carp", { advskewPrimray: 0 });
    const [p] = validateStack(v).problems;
    expect(p.key).toBe(`${C}.carp.advskewPrimray`);
    expect(p.fix).toMatch(/^did you mean "advskewPrimary"\?/);
  });

  it("gives the exact pulumi command for a missing secret, with the stack name", () => {
    const v = topologyValues("wan-lan-sync");
    delete v["pfsense-ha:carpPassword"];
    const [p] = validateStack(v, { stackName: "prod" }).problems;
    expect(p.fix).toBe("run `pulumi config set --secret pfsense-ha:carpPassword <value> --stack prod`");
  });

  it("counts a `secure:` value as a present secret", () => {
    const v = topologyValues("wan-lan-sync");
    v["pfsense-ha:carpPassword"] = { secure: "v1:abc:def" };
    expect(validateStack(v).problems).toEqual([]);
  });

  it("--allow-missing-secrets skips missing secrets but still reports empty ones", () => {
    const v = topologyValues("wan-lan-sync");
    delete v["pfsense-ha:carpPassword"];
    v["pfsense-ha:xmlrpcPassword"] = "";
    const keys = validateStack(v, { allowMissingSecrets: true }).problems.map((p) => p.key);
    expect(keys).toEqual(["pfsense-ha:xmlrpcPassword"]);
  });

  it("never prints a secret value, even under a mistyped key or a rejected password", () => {
    const secret = "S3cr3t-Value-42";
    const v = topologyValues("wan-lan-sync");
    v["pfsense-ha:carpPasswrd"] = secret;
    v["pfsense-ha:xmlrpcPassword"] = secret;
    setIn(v, "firewalls.primary.ssh.password", secret);
    setIn(v, "firewalls.secondary.ssh.pasword", secret);
    const r = validateStack(v);
    expect(r.problems.length).toBeGreaterThanOrEqual(3);
    const text = r.problems.map(formatProblem).join("\n");
    expect(text).not.toContain(secret);
  });

  it("ignores other namespaces (proxmoxve:*) and rejects a cluster that is not an object", () => {
    const v = topologyValues("two-nic");
    v["proxmoxve:endpoint"] = "https://pve:8006";
    expect(validateStack(v).problems).toEqual([]);
    v[C] = "edge";
    expect(validateStack(v).problems.map((p) => [p.key, p.message])).toEqual([[C, "must be an object (got a string)"]]);
  });

  it("resolves `ssh: {inventory: NAME}` and the underlay address from a host inventory", () => {
    const v = topologyValues("two-nic");
    setIn(v, "proxmox.nodes.0", { name: "pve1", ssh: { inventory: "pve1" } });
    const inventory = {
      source: "hosts.yaml",
      hosts: { pve1: { host: "10.250.0.11", port: 22, username: "root", hostKeySha256: `SHA256:${"x".repeat(43)}`, privateKeyPath: "/keys/ops", underlayAddress: "10.250.1.11" } },
    };
    const r = validateStack(v, { inventory });
    expect(r.problems).toEqual([]);
    expect(r.config?.proxmox.nodes[0]).toEqual({
      name: "pve1",
      underlayAddress: "10.250.1.11",
      underlayMtu: 1500,
      ssh: { host: "10.250.0.11", port: 22, username: "root", hostKeySha256: `SHA256:${"x".repeat(43)}`, privateKeyPath: "/keys/ops" },
    });
    setIn(v, "proxmox.nodes.0.ssh.inventory", "pve7");
    const missing = validateStack(v, { inventory }).problems;
    expect(missing.map((p) => [p.key, p.message, p.fix])).toEqual([[`${C}.proxmox.nodes[0].ssh.inventory`, "is not a host in hosts.yaml", "use one of: pve1, or add pve7 to hosts.yaml"]]);
  });
});
