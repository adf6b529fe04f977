// The program on eight Proxmox nodes (the four-node seed topology grown to pve1..pve8, the firewalls on two of them):
// validation accepts it, every node gets every network's bridge and a share of each network's full VXLAN mesh
// (n·(n−1) = 56 ports per network), the output contract names the ports, and the firewalls stay on their two nodes.
import type { EngineRun } from "../support/engine";
import { TOPOLOGY_DIR, topologyValues } from "../fixtures/topologies";
import { validateValues } from "../../config/load";
import type { ClusterConfig } from "../../config/types";
import type { ClusterSettings } from "../../config/settings";
import { vxlanPortsOf } from "../../components/PfSenseHaCluster";
import { parseClusterOutputs } from "../../components/outputs";

const NODES = ["pve1", "pve2", "pve3", "pve4", "pve5", "pve6", "pve7", "pve8"];

function eightNodeValues(): Record<string, unknown> {
  const v = topologyValues("four-node");
  const cluster = v["pfsense-ha:cluster"] as Record<string, Record<string, unknown>>;
  cluster.name = "edge8" as never;
  cluster.proxmox.nodes = NODES.map((name, i) => ({
    name,
    underlayAddress: `10.10.0.${11 + i}`,
    ssh: { host: `192.0.2.${11 + i}`, hostKeySha256: `SHA256:${String.fromCharCode(65 + i).repeat(43)}` },
  }));
  (cluster.firewalls.primary as Record<string, unknown>).proxmoxNode = "pve3";
  (cluster.firewalls.secondary as Record<string, unknown>).proxmoxNode = "pve7";
  return v;
}

// Golden: the port names of each network's mesh (tunnel id `edge8-vx-<network>`) towards each peer.
const PEER = { pve1: "5io1xk", pve2: "vdu65w", pve3: "whthmi", pve4: "vm0hrp", pve5: "eny2zz", pve6: "uusmns", pve7: "g145t6", pve8: "t6mt0e" } as const;
const TUNNEL = { wan: "vxj7h2s9", lan: "vxeuqqhk", sync: "vxzbjihf" } as const;

let config: ClusterConfig;

beforeAll(() => {
  const r = validateValues(eightNodeValues(), TOPOLOGY_DIR);
  expect(r.problems).toEqual([]);
  config = r.config!;
});

test("validation accepts eight Proxmox nodes with the firewalls on two of them", () => {
  expect(config.proxmox.nodes.map((n) => [n.name, n.underlayAddress])).toEqual(NODES.map((n, i) => [n, `10.10.0.${11 + i}`]));
  expect([config.firewalls.primary.proxmoxNode, config.firewalls.secondary.proxmoxNode]).toEqual(["pve3", "pve7"]);
});

test("the mesh: 56 ports per network, each node one port towards each of its 7 peers (golden names)", () => {
  const ports = vxlanPortsOf("edge8", config);
  expect(Object.keys(ports).sort()).toEqual(["lan", "sync", "wan"]);
  for (const net of ["wan", "lan", "sync"] as const) {
    // A port's name says which tunnel and which peer, so the same name recurs on the other nodes: 56 (node, port)
    // pairs, 8 distinct names (one per peer), 7 distinct ports on each node.
    const all = Object.entries(ports[net]).flatMap(([node, names]) => names.map((n) => `${node}/${n}`));
    expect(new Set(all).size).toBe(56);
    expect(new Set(Object.values(ports[net]).flat()).size).toBe(8);
    for (const n of NODES) expect(new Set(ports[net][n]).size).toBe(7);
  }
  expect(ports.wan.pve8).toEqual(["vxj7h2s9-5io1xk", "vxj7h2s9-vdu65w", "vxj7h2s9-whthmi", "vxj7h2s9-vm0hrp", "vxj7h2s9-eny2zz", "vxj7h2s9-uusmns", "vxj7h2s9-g145t6"]);
  expect(ports.sync.pve1).toEqual(["vxzbjihf-vdu65w", "vxzbjihf-whthmi", "vxzbjihf-vm0hrp", "vxzbjihf-eny2zz", "vxzbjihf-uusmns", "vxzbjihf-g145t6", "vxzbjihf-t6mt0e"]);
  // every node's ports: the network's tunnel part, then one peer part per other node, in node order
  for (const net of ["wan", "lan", "sync"] as const) {
    for (const n of NODES) expect(ports[net][n]).toEqual(NODES.filter((p) => p !== n).map((p) => `${TUNNEL[net]}-${PEER[p as keyof typeof PEER]}`));
  }
});

describe("the cluster under Pulumi mocks", () => {
  let run: EngineRun;
  beforeAll(async () => {
    await jest.isolateModulesAsync(async () => {
      const { runUnderEngine } = require("../support/engine") as typeof import("../support/engine");
      run = await runUnderEngine({
        program: () => {
          const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
          const { PfSenseHaCluster } = require("../../components/PfSenseHaCluster") as typeof import("../../components/PfSenseHaCluster");
          const values = eightNodeValues();
          const cluster = new PfSenseHaCluster("edge8", {
            cluster: values["pfsense-ha:cluster"] as ClusterSettings,
            carpPassword: pulumi.secret("carp-test-secret"),
            xmlrpcPassword: pulumi.secret("xmlrpc-test-secret"),
            sshPrivateKey: values["pfsense-ha:sshPrivateKey"] === undefined ? undefined : pulumi.secret(String(values["pfsense-ha:sshPrivateKey"])),
          });
          return { outputs: cluster.outputs };
        },
        project: "pfsense-ha",
        stack: "edge8",
        executeDynamic: false,
        mockResource: (r) => ({ id: `${r.name}-id`, state: { ...r.inputs } }),
      });
    });
  }, 120000);

  test("every network's bridge on every node; one mesh share per node and network, with the 7 other nodes as peers", () => {
    const bridges = run.registrations.filter((r) => r.type === "pfsense-ha:ovs:OvsBridge").map((r) => r.name);
    expect(bridges.sort()).toEqual(["wan", "lan", "sync"].flatMap((net) => NODES.map((n) => `edge8-br-${net}-${n}`)).sort());
    const shares = run.registrations.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic") && /-vx-/.test(r.name));
    expect(shares.map((r) => r.name).sort()).toEqual(["wan", "lan", "sync"].flatMap((net) => NODES.map((n) => `edge8-vx-${net}-${n}`)).sort());
    for (const s of shares) {
      const node = s.inputs.node as string;
      expect(s.inputs.peers).toEqual(NODES.filter((p) => p !== node).map((p) => ({ name: p, address: `10.10.0.${10 + Number(p.slice(3))}` })));
    }
  });

  test("two firewalls, on their two nodes; the output contract lists 7 ports per node and network", () => {
    const fws = run.registrations.filter((r) => r.type === "pfsense-ha:index:PfSenseNode").map((r) => r.name);
    expect(fws.sort()).toEqual(["edge8-fw-primary", "edge8-fw-secondary"]);
    const out = parseClusterOutputs(run.exports.outputs.value as Record<string, unknown>);
    for (const net of ["wan", "lan", "sync"]) {
      expect(Object.keys(out.vxlan[net].ports)).toEqual(NODES);
      for (const n of NODES) expect(out.vxlan[net].ports[n]).toHaveLength(7);
    }
  });
});
