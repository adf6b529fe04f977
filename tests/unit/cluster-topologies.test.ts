// PfSenseHaCluster under Pulumi mocks, for every seed topology (2 NICs; WAN/LAN/SYNC; WAN/LAN/DMZ with a /30 sync on
// 3 Proxmox nodes; 4 nodes), one engine run each: resource types, parents, VM arguments, the output contract's
// shape; one pfSense component per plan item and node named by the plan's stable key, each with one dynamic
// resource; stage order fabric -> vms -> interfaces -> vips -> hasync -> rules -> dhcp through dependsOn on the
// dynamic resources themselves; what the secondary gets; secrets only as secret inputs.
import type { EngineRun, Registration } from "../support/engine";
import { loadTopology, topologyNames, type Topology } from "../support/engine-fixtures";
import { parseClusterOutputs, type ClusterOutputs } from "../../components/outputs";
import { firewallPlanOf, planKeyOf, substituteSecrets, type PlanItem } from "../../components/plan";
import type { ClusterSettings } from "../../config/settings";
import type { FirewallRole } from "../../config/types";

const VM = "proxmoxve:index/vmLegacy:VmLegacy";
const NODE = "pfsense-ha:index:PfSenseNode";
const CLUSTER = "pfsense-ha:index:PfSenseHaCluster";
const STAGES = ["fabric", "vms", "interfaces", "vips", "hasync", "rules", "dhcp"];
const STAGE_OF_KEY: [RegExp, string][] = [
  [/^(if|gw)-/, "interfaces"],
  [/^offloading$/, "interfaces"],
  [/^vip-/, "vips"],
  [/^hasync$/, "hasync"],
  [/^(alias|rule|nat)-/, "rules"],
  [/^dhcp-/, "dhcp"],
];
const SECRETS = ["carp-test-secret", "xmlrpc-test-secret"];


async function build(t: Topology): Promise<EngineRun> {
  let result: EngineRun | undefined;
  await jest.isolateModulesAsync(async () => {
    const { runUnderEngine } = require("../support/engine") as typeof import("../support/engine");
    result = await runUnderEngine({
      program: () => {
        const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
        const { PfSenseHaCluster } = require("../../components/PfSenseHaCluster") as typeof import("../../components/PfSenseHaCluster");
        const cluster = new PfSenseHaCluster("cluster", {
          cluster: t.values["pfsense-ha:cluster"] as ClusterSettings,
          carpPassword: pulumi.secret(SECRETS[0]),
          xmlrpcPassword: pulumi.secret(SECRETS[1]),
          sshPrivateKey: t.values["pfsense-ha:sshPrivateKey"] === undefined ? undefined : pulumi.secret(String(t.values["pfsense-ha:sshPrivateKey"])),
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

describe.each(topologyNames())("topology %s: pfSense stages", (name) => {
  const t = loadTopology(name);
  const plans: Record<FirewallRole, PlanItem[]> = {
    primary: firewallPlanOf(t.config, t.config.name, "primary"),
    secondary: firewallPlanOf(t.config, t.config.name, "secondary"),
  };
  let run: EngineRun;
  let cluster: Registration;
  const byUrn = (urn: string | undefined) => run.registrations.find((r) => r.urn === urn);
  const childrenOf = (urn: string) => run.registrations.filter((r) => r.parent === urn);
  /** The cluster's direct child a registration belongs to. */
  const topOf = (r: Registration): Registration => {
    let cur = r;
    while (cur.parent !== cluster.urn) cur = byUrn(cur.parent) as Registration;
    return cur;
  };
  const stageOf = (r: Registration): string => {
    const top = topOf(r);
    if (top.type.startsWith("pfsense-ha:ovs:")) return "fabric";
    if (top.type === "pfsense-ha:index:PfSenseNode") return "vms";
    const key = top.name.replace(/^cluster-(primary|secondary)-/, "");
    const hit = STAGE_OF_KEY.find(([re]) => re.test(key));
    if (!hit) throw new Error(`no stage for ${top.name}`);
    return hit[1];
  };
  const elementComponents = () => childrenOf(cluster.urn).filter((r) => /^cluster-(primary|secondary)-/.test(r.name));
  const dynamicOf = (component: Registration): Registration => {
    const kids = run.registrations.filter((r) => r.custom && topOf(r) === component);
    expect(kids).toHaveLength(1);
    return kids[0];
  };

  beforeAll(async () => {
    run = await buildOnce(t);
    cluster = run.registrations.find((r) => r.type === CLUSTER) as Registration;
  });

  test("one component per plan item and firewall, named <cluster>-<role>-<plan key>, each with one dynamic resource", () => {
    const want = (["primary", "secondary"] as const).flatMap((role) => plans[role].map((i) => `cluster-${role}-${planKeyOf(i)}`));
    const components = elementComponents();
    expect(components.map((c) => c.name).sort()).toEqual(want.sort());
    for (const c of components) {
      expect(c.type).toMatch(/^pfsense-ha:pfsense:/);
      const d = dynamicOf(c);
      expect(d.type).toMatch(/^pulumi-nodejs:dynamic/);
      expect(d.parent).toBe(c.urn);
    }
    // one component type per element kind
    const typeOfKind = new Map<string, Set<string>>();
    for (const role of ["primary", "secondary"] as const) {
      for (const i of plans[role]) {
        const c = components.find((x) => x.name === `cluster-${role}-${planKeyOf(i)}`) as Registration;
        typeOfKind.set(i.kind, (typeOfKind.get(i.kind) ?? new Set()).add(c.type));
      }
    }
    for (const types of typeOfKind.values()) expect(types.size).toBe(1);
    expect(new Set([...typeOfKind.values()].map((s) => [...s][0])).size).toBe(typeOfKind.size);
  });

  test("stage order on every custom resource: each waits for all of the earlier stages and for nothing later", () => {
    const custom = run.registrations.filter((r) => r.custom);
    const stageIndex = new Map(custom.map((r) => [r.urn, STAGES.indexOf(stageOf(r))]));
    const present = new Set(stageIndex.values());
    for (const s of ["fabric", "interfaces", "vips", "hasync", "rules"]) expect(present.has(STAGES.indexOf(s))).toBe(true);
    for (const r of custom) {
      const mine = stageIndex.get(r.urn) as number;
      const earlier = custom.filter((q) => (stageIndex.get(q.urn) as number) < mine).map((q) => q.urn);
      // The fabric's own order (bridge before tunnel) is the OVS components' business.
      if (mine > 0) expect(r.dependencies).toEqual(expect.arrayContaining(earlier));
      for (const d of r.dependencies) {
        if (stageIndex.has(d)) expect(stageIndex.get(d) as number).toBeLessThanOrEqual(mine);
      }
    }
  });

  test("rules stage: each sync rule waits for the alias, the XMLRPC rule for the pfsync rule it follows", () => {
    for (const role of ["primary", "secondary"] as const) {
      const dyn = (key: string) => dynamicOf(elementComponents().find((c) => c.name === `cluster-${role}-${key}`) as Registration);
      const alias = dyn("alias-sync");
      const pfsync = dyn("rule-sync-pfsync");
      const xmlrpc = dyn("rule-sync-xmlrpc");
      expect(pfsync.dependencies).toContain(alias.urn);
      expect(xmlrpc.dependencies).toEqual(expect.arrayContaining([alias.urn, pfsync.urn]));
      expect(alias.dependencies).not.toContain(pfsync.urn);
    }
  });

  test("interfaces stage: the WAN gateway waits for its node's interfaces; interfaces do not wait for each other", () => {
    for (const role of ["primary", "secondary"] as const) {
      const dyn = (key: string) => dynamicOf(elementComponents().find((c) => c.name === `cluster-${role}-${key}`) as Registration);
      const ifs = plans[role].filter((i) => i.kind === "interface").map((i) => dyn(planKeyOf(i)));
      expect(dyn("gw-wan").dependencies).toEqual(expect.arrayContaining(ifs.map((r) => r.urn)));
      for (const i of ifs) expect(i.dependencies.filter((d) => ifs.some((o) => o.urn === d))).toEqual([]);
    }
  });

  test("the dynamic resources get the plan's spec for their node (the secondary's skews, peers, no XMLRPC)", () => {
    for (const role of ["primary", "secondary"] as const) {
      for (const item of plans[role]) {
        const d = dynamicOf(elementComponents().find((c) => c.name === `cluster-${role}-${planKeyOf(item)}`) as Registration);
        const spec = d.inputs.spec as Record<string, unknown>;
        expect({ key: item.key, spec }).toEqual({ key: item.key, spec: substituteSecrets(item, { carpPassword: SECRETS[0], xmlrpcPassword: SECRETS[1] }).spec });
        if (item.kind === "carpVip") expect(spec.advskew).toBe({ primary: 0, secondary: 100 }[role]); // every topology keeps the default skews
        if (item.kind === "haSync") expect(spec.xmlrpc === undefined).toBe(role === "secondary");
        if (item.kind === "haSync") expect(d.inputs.role).toBe(role);
      }
    }
  });

  test("secrets: every input that carries a password is a secret input; the contract has none", () => {
    let carriers = 0;
    for (const r of run.registrations) {
      for (const [k, v] of Object.entries(r.inputs)) {
        if (k === "__provider") continue;
        if (SECRETS.some((s) => JSON.stringify(v).includes(s))) {
          carriers++;
          expect({ resource: r.name, input: k, secret: r.secretInputs.includes(k) }).toEqual({ resource: r.name, input: k, secret: true });
        }
      }
    }
    // the VIPs (both nodes) and the primary's HA sync carry one
    const vips = t.config.networks.reduce((n, x) => n + x.vips.length, 0);
    expect(carriers).toBeGreaterThanOrEqual(2 * vips + 1);
    expect(run.exports.outputs.secret).toBe(false);
    expect(JSON.stringify(run.exports.outputs.value)).not.toMatch(/test-secret/);
  });
});

describe("resolveSecrets", () => {
  const c = loadTopology("wan-lan-sync").config;
  const items = firewallPlanOf(c, c.name, "primary");
  const vip = items.find((i) => i.kind === "carpVip") as PlanItem;
  const rule = items.find((i) => i.kind === "filterRule") as PlanItem;
  const valueOf = <T>(o: import("@pulumi/pulumi").Output<T>) => new Promise<T>((resolve) => o.apply((v) => resolve(v)));

  test("a spec with a password becomes a secret Output holding the value; one without stays plain", async () => {
    const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
    const { resolveSecrets } = require("../../components/PfSenseHaCluster") as typeof import("../../components/PfSenseHaCluster");
    const v = resolveSecrets(vip, { carpPassword: pulumi.output("pw-1") });
    expect(await pulumi.isSecret(v)).toBe(true);
    expect(((await valueOf(v)).spec as { password: string }).password).toBe("pw-1");
    const r = resolveSecrets(rule, {});
    expect(await pulumi.isSecret(r)).toBe(false);
    expect(await valueOf(r)).toEqual(rule);
  });

  test("a missing secret fails before any resource, naming the config key and the item", () => {
    const { resolveSecrets } = require("../../components/PfSenseHaCluster") as typeof import("../../components/PfSenseHaCluster");
    expect(() => resolveSecrets(vip, {}, "ha")).toThrow(/ha: pfsense-ha:carpPassword is required for vip-wan-1; set it with `pulumi config set --secret/);
  });
});
