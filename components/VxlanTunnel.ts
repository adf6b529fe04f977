// VxlanTunnel: a full VXLAN mesh between two or more nodes on one bridge and VNI. One dynamic resource per node:
// each node's ports (one per peer) are applied in one transaction and one file write over one connection, and a
// node is the unit that can fail or drift independently.
import * as pulumi from "../providers/pulumi-sdk";
import { formatProblem, type Problem } from "../config/problems";
import { problem } from "../config/rules";
import { VxlanNodeResource } from "../providers/ovs/resources";
import type { TunnelPortState } from "../providers/ovs/types";
import type { SshEndpoint } from "../providers/ssh/types";
import { COMPONENT_TOKENS, componentOptions } from "./tokens";

export interface VxlanMeshNode {
  /** Node name; port names derive from it, so keep it stable. */
  name: string;
  endpoint: pulumi.Input<SshEndpoint>;
  /** The node's underlay address (remote_ip of the peers' ports towards it). */
  underlayAddress: string;
  /** Bridge-dependency: pass the OvsBridge so ports are made after (and deleted before) the bridge. */
  dependsOn?: pulumi.Resource[];
}

export interface VxlanTunnelArgs {
  bridge: pulumi.Input<string>;
  vni: pulumi.Input<number>;
  nodes: VxlanMeshNode[];
  dstPort?: pulumi.Input<number>;
  localIp?: pulumi.Input<boolean>;
  /** Enable BFD on every tunnel: link_state says nothing about the peer. */
  bfd?: pulumi.Input<boolean>;
  underlayMtu?: pulumi.Input<number>;
  overlayMtu?: pulumi.Input<number>;
  adopt?: pulumi.Input<boolean>;
}

/** Mesh-level rules that no single node can check: at least two nodes, distinct names and addresses. */
export function meshProblems(nodes: VxlanMeshNode[]): Problem[] {
  const p: Problem[] = [];
  if (nodes.length < 2) p.push(problem("nodes", nodes.length, "a VXLAN mesh needs at least 2 nodes", "list every node that shares the network"));
  const names = new Set<string>();
  const addrs = new Set<string>();
  nodes.forEach((n, i) => {
    if (names.has(n.name)) p.push(problem(`nodes[${i}].name`, n.name, "appears twice", "list each node once"));
    if (addrs.has(n.underlayAddress)) p.push(problem(`nodes[${i}].underlayAddress`, n.underlayAddress, "is used by two nodes", "give each node its own underlay address"));
    names.add(n.name);
    addrs.add(n.underlayAddress);
  });
  return p;
}

export class VxlanTunnel extends pulumi.ComponentResource {
  readonly nodePorts: Record<string, pulumi.Output<TunnelPortState[]>> = {};

  constructor(name: string, args: VxlanTunnelArgs, opts?: pulumi.ComponentResourceOptions) {
    super(COMPONENT_TOKENS.VxlanTunnel.type, name, {}, componentOptions("VxlanTunnel", opts));
    const problems = meshProblems(args.nodes);
    if (problems.length) throw new Error(`VxlanTunnel ${name}:\n` + problems.map((x) => `  - ${formatProblem(x)}`).join("\n"));
    for (const node of args.nodes) {
      const res = new VxlanNodeResource(
        `${name}-${node.name}`,
        {
          endpoint: node.endpoint,
          node: node.name,
          tunnelId: name,
          bridge: args.bridge,
          vni: args.vni,
          underlayAddress: node.underlayAddress,
          peers: args.nodes.filter((n) => n !== node).map((n) => ({ name: n.name, address: n.underlayAddress })),
          dstPort: args.dstPort,
          localIp: args.localIp,
          bfd: args.bfd,
          underlayMtu: args.underlayMtu,
          overlayMtu: args.overlayMtu,
          adopt: args.adopt,
        },
        { parent: this, dependsOn: node.dependsOn },
      );
      this.nodePorts[node.name] = res.ports;
    }
    this.registerOutputs({ nodePorts: this.nodePorts });
  }
}
