// The output contract (components/outputs.ts) of a validated cluster. Pure: VM ids and VXLAN port names are passed
// in resolved.
import type { ClusterConfig } from "../config/types";
import { CONTRACT_VERSION, type ClusterOutputs, type ContractNode, type ContractVip, type ContractVxlan } from "./outputs";

/**
 * The contract of a validated cluster. Pure: VM ids and VXLAN port names are passed in resolved.
 * `vips` holds the first VIP of each network that has one; `gateway` is the LAN's.
 */
export function clusterOutputsOf(
  c: ClusterConfig,
  vmIds: Record<string, number | null>,
  vxlanPorts: Record<string, Record<string, string[]>>,
): ClusterOutputs {
  const vips: Record<string, ContractVip> = {};
  for (const n of c.networks) {
    if (n.vips.length > 0) vips[n.role] = { address: n.vips[0].address, prefix: n.prefix, vhid: n.vips[0].vhid };
  }
  const lan = vips.lan;
  if (!lan) throw new Error("cluster outputs: the lan network has no VIP; the contract's gateway is the LAN VIP");
  const nodes = (["primary", "secondary"] as const).map((role): ContractNode => {
    const fw = c.firewalls[role];
    return {
      name: fw.name,
      role,
      addresses: Object.fromEntries(c.networks.map((n) => [n.role, n.addresses[role]])),
      vmId: vmIds[fw.name] ?? null,
      proxmoxNode: fw.vm.mode === "none" ? null : fw.proxmoxNode,
    };
  });
  const networks = Object.fromEntries(c.networks.map((n) => [n.role, { bridge: n.bridge, subnet: n.subnet }]));
  const vxlan: Record<string, ContractVxlan> = {};
  for (const n of c.networks) {
    if (n.vxlan) vxlan[n.role] = { key: n.vxlan.key, dstPort: n.vxlan.dstPort, ports: vxlanPorts[n.role] ?? {} };
  }
  return { contractVersion: CONTRACT_VERSION, gateway: lan.address, vips, nodes, networks, vxlan };
}
