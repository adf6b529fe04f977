// Every seed topology (tests/fixtures/topologies) previewed through the REAL parts of a deployment
// (tests/support/pulumi-engine.ts): index.ts run by Pulumi's Node language runtime with the topology's stack values as
// the CLI encodes them, every dynamic resource checked by Pulumi's dynamic-provider host. A preview contacts no host
// (the topologies' addresses are documentation addresses nobody answers on). The Proxmox VMs belong to
// @muhlba91/pulumi-proxmoxve's provider plugin, a Go binary this engine cannot run: they are shown as the engine
// shows a create, outputs unknown (engine-vm-topology.test.ts deploys two-nic with the engine's stand-in of that
// plugin). The counts below are written out by hand from each topology's shape.
import { TestEngine, type RunResult } from "../support/pulumi-engine";
import { expectOk } from "../support/engine-topology";
import { TOPOLOGIES, topologyValues } from "../fixtures/topologies";

jest.setTimeout(600000);

const SECRET_KEYS = ["pfsense-ha:carpPassword", "pfsense-ha:xmlrpcPassword", "pfsense-ha:sshPrivateKey"];

/** The custom resources a preview creates, by kind (the last segment of the dynamic type, or the plugin's type). */
function kinds(r: RunResult): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of r.steps) {
    const type = s.urn.split("::")[2].split("$").pop() as string;
    const kind = type.startsWith("pulumi-nodejs:dynamic/") ? type.split(":").slice(-2, -1)[0] : type;
    out[kind] = (out[kind] ?? 0) + 1;
  }
  return out;
}

// Per topology: bridges = networks x Proxmox nodes, VXLAN node resources = stretched networks x nodes; per
// firewall: interfaces, VIPs, gateway, HA sync, alias, sync rules, NAT rules, DHCP and the offloading setting.
const VM = "proxmoxve:index/vmLegacy:VmLegacy";
const EXPECTED: Record<(typeof TOPOLOGIES)[number], Record<string, number>> = {
  // wan (uplink) + lan (VXLAN) on 2 nodes; 2 VIPs per firewall; no DHCP; two cloned VMs (VirtIO: offloading off)
  "two-nic": {
    Bridge: 4, VxlanNode: 2, [VM]: 2, PfSenseInterface: 4, Gateway: 2, Offloading: 2, CarpVip: 4, HaSyncConfig: 2, Alias: 2,
    FirewallRule: 4, OutboundNatRule: 2,
  },
  // + sync (VXLAN): 3 bridges and 2 stretched networks on 2 nodes; DHCP failover on lan; a clone and an adopted VM
  "wan-lan-sync": {
    Bridge: 6, VxlanNode: 4, [VM]: 2, PfSenseInterface: 6, Gateway: 2, Offloading: 2, CarpVip: 4, HaSyncConfig: 2, Alias: 2,
    FirewallRule: 4, OutboundNatRule: 2, DhcpFailover: 2,
  },
  // 4 networks on 3 nodes (3 stretched); 4 VIPs per firewall (dmz has two); NAT for lan and dmz
  "wan-lan-dmz-sync30": {
    Bridge: 12, VxlanNode: 9, [VM]: 2, PfSenseInterface: 8, Gateway: 2, Offloading: 2, CarpVip: 8, HaSyncConfig: 2, Alias: 2,
    FirewallRule: 4, OutboundNatRule: 4,
  },
  // 3 stretched networks on 4 nodes; firewalls not hosted by Pulumi (no VM, devices given: no offloading setting)
  "four-node": {
    Bridge: 12, VxlanNode: 12, PfSenseInterface: 6, Gateway: 2, CarpVip: 4, HaSyncConfig: 2, Alias: 2, FirewallRule: 4,
    OutboundNatRule: 2, DhcpFailover: 2,
  },
};

describe.each(TOPOLOGIES)("seed topology %s: a preview through Pulumi's runtime and provider host", (name) => {
  let r: RunResult;
  beforeAll(async () => {
    const values = topologyValues(name);
    const engine = new TestEngine({ stack: name, config: values, secretKeys: SECRET_KEYS.filter((k) => k in values) });
    r = await engine.preview();
  });

  test("succeeds, every step a create", () => {
    expectOk(r);
    expect([...new Set(r.steps.map((s) => s.op))]).toEqual(["create"]);
  });

  test("creates the resources the topology's shape calls for", () => {
    expect(kinds(r)).toEqual(EXPECTED[name]);
  });
});
