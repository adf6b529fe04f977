// PfSenseHaCluster under Pulumi mocks, for every seed topology: resource types, parents, stage order (dependsOn),
// VM arguments, the output contract's shape, and that secrets stay secret.
import type { EngineRun, Registration } from "../support/engine";
import { loadTopology, topologyNames, type Topology } from "../support/engine-fixtures";
import { parseClusterOutputs, type ClusterOutputs } from "../../components/outputs";

const VM = "proxmoxve:index/vmLegacy:VmLegacy";
const NODE = "pfsense-ha:cluster:PfSenseNode";
const CLUSTER = "pfsense-ha:cluster:PfSenseHaCluster";

async function build(t: Topology): Promise<EngineRun> {
  let result: EngineRun | undefined;
  await jest.isolateModulesAsync(async () => {
    const { runUnderEngine } = require("../support/engine") as typeof import("../support/engine");
    result = await runUnderEngine({
      program: () => {
        const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
        const { PfSenseHaCluster } = require("../../components/PfSenseHaCluster") as typeof import("../../components/PfSenseHaCluster");
        const cluster = new PfSenseHaCluster("cluster", {
          config: t.config,
          secrets: { carpPassword: pulumi.secret("carp-test-secret"), xmlrpcPassword: pulumi.secret("xmlrpc-test-secret") },
        });
        return { outputs: cluster.outputs };
      },
      project: "pfsense-ha",
      stack: t.name,
      executeDynamic: false,
      mockResource: (r) => ({ id: `${r.name}-id`, state: { ...r.inputs, vmId: r.inputs.vmId ?? 4242 } }),
    });
  });
  if (!result) throw new Error("no run");
  return result;
}

// One engine run per topology, shared by the describes below (each run takes seconds).
const runs: Record<string, Promise<EngineRun>> = {};
const buildOnce = (t: Topology): Promise<EngineRun> => (runs[t.name] ??= build(t));

describe.each(topologyNames())("topology %s", (name) => {
  const t = loadTopology(name);
  let run: EngineRun;
  const of = (type: string) => run.registrations.filter((r) => r.type === type);
  const byUrn = (urn: string | undefined) => run.registrations.find((r) => r.urn === urn);

  beforeAll(async () => {
    run = await buildOnce(t);
  });

  test("one cluster component; both firewalls are PfSenseNode children named by role", () => {
    const [cluster] = of(CLUSTER);
    expect(of(CLUSTER)).toHaveLength(1);
    const nodes = of(NODE);
    expect(nodes.map((n) => n.name).sort()).toEqual(["cluster-fw-primary", "cluster-fw-secondary"]);
    for (const n of nodes) expect(n.parent).toBe(cluster.urn);
  });

  test("a VM per hosted firewall, child of its node, with the NICs in network order", () => {
    const hosted = (["primary", "secondary"] as const).filter((role) => t.config.firewalls[role].vm.mode !== "none");
    const vms = of(VM);
    expect(vms).toHaveLength(hosted.length);
    for (const role of hosted) {
      const fw = t.config.firewalls[role];
      const vm = vms.find((v) => v.name === `cluster-fw-${role}-vm`) as Registration;
      expect(byUrn(vm.parent)?.name).toBe(`cluster-fw-${role}`);
      expect(vm.inputs).toMatchObject({ nodeName: fw.proxmoxNode, name: fw.name, cpu: { type: "host" }, onBoot: true, started: true });
      expect((vm.inputs.networkDevices as { bridge: string; firewall: boolean }[]).map((d) => d.bridge)).toEqual(t.config.networks.map((n) => n.bridge));
      expect((vm.inputs.networkDevices as { firewall: boolean }[]).every((d) => d.firewall === false)).toBe(true);
      if (fw.vm.mode === "adopt") {
        expect(vm.importId).toBe(`${fw.proxmoxNode}/${fw.vm.vmId}`);
        expect(vm.inputs.clone).toBeUndefined();
      } else if (fw.vm.mode === "clone") {
        expect(vm.importId).toBeUndefined();
        expect(vm.inputs.clone).toEqual({ vmId: fw.vm.templateId, full: true });
      }
    }
  });

  test("the output contract: shape, gateway = LAN VIP, nodes by role, nothing secret", async () => {
    const out = run.exports.outputs;
    expect(out.secret).toBe(false);
    const c = parseClusterOutputs(out.value as Record<string, unknown>) as ClusterOutputs;
    const lan = t.config.networks.find((n) => n.role === "lan");
    expect(c.gateway).toBe(lan?.vips[0].address);
    expect(c.nodes.map((n) => [n.name, n.role])).toEqual([
      [t.config.firewalls.primary.name, "primary"],
      [t.config.firewalls.secondary.name, "secondary"],
    ]);
    expect(Object.keys(c.networks)).toEqual(t.config.networks.map((n) => n.role));
    expect(Object.keys(c.vxlan).sort()).toEqual(t.config.networks.filter((n) => n.vxlan).map((n) => n.role).sort());
    for (const n of c.nodes) {
      const fw = t.config.firewalls[n.role];
      expect(n.vmId).toBe(fw.vm.mode === "none" ? null : fw.vm.vmId ?? 4242);
    }
    expect(JSON.stringify(c)).not.toMatch(/test-secret/);
  });
});

describe.each(topologyNames())("topology %s: fabric and stage order", (name) => {
  const t = loadTopology(name);
  let run: EngineRun;
  const of = (type: string) => run.registrations.filter((r) => r.type === type);

  beforeAll(async () => {
    run = await buildOnce(t);
  });

  test("an OvsBridge per network and Proxmox node, a VxlanTunnel per stretched network, children of the cluster", () => {
    const [cluster] = of(CLUSTER);
    const bridges = of("pfsense-ha:ovs:OvsBridge");
    const nodes = t.config.proxmox.nodes.map((n) => n.name);
    expect(bridges.map((b) => b.name).sort()).toEqual(t.config.networks.flatMap((n) => nodes.map((p) => `cluster-br-${n.role}-${p}`)).sort());
    const tunnels = of("pfsense-ha:ovs:VxlanTunnel");
    expect(tunnels.map((x) => x.name).sort()).toEqual(t.config.networks.filter((n) => n.vxlan).map((n) => `cluster-vx-${n.role}`).sort());
    for (const r of [...bridges, ...tunnels]) expect(r.parent).toBe(cluster.urn);
    // The mesh: one dynamic per node per stretched network, with every other node as a peer.
    const meshNodes = run.registrations.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic") && /-vx-/.test(r.name));
    expect(meshNodes).toHaveLength(tunnels.length * nodes.length);
    for (const m of meshNodes) expect((m.inputs.peers as unknown[]).length).toBe(nodes.length - 1);
  });

  test("the firewalls wait for the whole fabric (dependsOn), the fabric waits for nothing of the cluster", () => {
    const fabricDynamic = run.registrations.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic") && /-(br|vx)-/.test(r.name)).map((r) => r.urn);
    expect(fabricDynamic.length).toBeGreaterThan(0);
    for (const n of of(NODE)) expect(n.dependencies).toEqual(expect.arrayContaining(fabricDynamic));
    for (const vm of of(VM)) expect(vm.dependencies).toEqual(expect.arrayContaining(fabricDynamic));
  });
});
// The pfSense stages (VIPs, HA sync, rules, NAT, DHCP) are asserted in cluster-stages.test.ts.
