// The pfsense-ha library: what another Pulumi program imports (`import { PfSenseHaCluster } from "pfsense-ha"`).
// Importing it declares nothing and reads no stack configuration; the stack program of this project (index.ts)
// uses it like any other program.

// The whole HA pair
export { PfSenseHaCluster, validateClusterArgs, type PfSenseHaClusterArgs } from "../components/PfSenseHaCluster";

// The Open vSwitch fabric on the Proxmox nodes and the firewall VMs
export { OvsBridge, type OvsBridgeArgs } from "../components/OvsBridge";
export { VxlanTunnel, type VxlanTunnelArgs, type VxlanMeshNode } from "../components/VxlanTunnel";
export { PfSenseNode, type PfSenseNodeArgs, type PfSenseVm, type NodeNic } from "../components/PfSenseNode";

// pfSense elements, one on one firewall each
export * from "../components/pfsense";

// The output contract other stacks read (also `pfsense-ha/outputs`, a dependency-free file)
export * from "../components/outputs";

// Configuration: the user's shape (PfSenseHaClusterArgs.cluster), the validated shape, problems
export type * from "../config/settings";
export { ConfigValidationError, formatProblem, type Problem } from "../config/problems";
export type { ClusterConfig, LabHostsRef } from "../config/types";
export type { HostInventory, InventoryHostSettings } from "../config/inventory";
export type { SshEndpoint } from "../providers/ssh/types";
