// The cluster's output contract: what other stacks may read from this one through a StackReference.
// Versioned: a consumer checks `contractVersion` and fails loudly instead of misreading a changed shape.
// Additive changes keep the version; renaming/removing/retyping a field bumps it.
// Dependency-free: nothing but a type-only import of @pulumi/pulumi (erased when compiled), so a consumer can copy
// this one file into its own program (tests/unit/outputs-standalone.test.ts loads it alone). It is also the
// package's `pfsense-ha/outputs` entry. The contract of a validated cluster is built in components/cluster-outputs.ts.
import type { Output, StackReference } from "@pulumi/pulumi";

export const CONTRACT_VERSION = 1;

/** The stack output names, one per field of the contract (each exported by index.ts). */
export const CONTRACT_OUTPUT_NAMES = ["contractVersion", "gateway", "vips", "nodes", "networks", "vxlan"] as const;

export interface ContractVip {
  /** The CARP VIP, e.g. "192.168.1.1". */
  address: string;
  prefix: number;
  vhid: number;
}

export interface ContractNode {
  /** Stable node key from the config, e.g. "fw1". */
  name: string;
  role: "primary" | "secondary";
  /** Interface address of this node per network key ("wan", "lan", "sync", "dmz", …). */
  addresses: Record<string, string>;
  /** Proxmox VM id; null when the firewall is not hosted by this stack (`vm: none`). */
  vmId: number | null;
  /** Proxmox node that runs the VM; null for `vm: none`. */
  proxmoxNode: string | null;
}

export interface ContractNetwork {
  /** OVS bridge on the Proxmox nodes that carries this network. */
  bridge: string;
  /** Network address in CIDR form, e.g. "192.168.1.0/24". */
  subnet: string;
}

/** One VXLAN-stretched network. */
export interface ContractVxlan {
  /** VXLAN VNI (OVS `options:key`). */
  key: number;
  /** UDP destination port. */
  dstPort: number;
  /** OVS VXLAN port names per Proxmox node (one per peer node: a full mesh). */
  ports: Record<string, string[]>;
}

/** Version 1 of the contract. Nothing in it is secret. */
export interface ClusterOutputs {
  contractVersion: typeof CONTRACT_VERSION;
  /** The LAN CARP VIP: the default gateway for workloads on the LAN. */
  gateway: string;
  vips: Record<string, ContractVip>;
  nodes: ContractNode[];
  networks: Record<string, ContractNetwork>;
  /** Per VXLAN-stretched network key. */
  vxlan: Record<string, ContractVxlan>;
}

function fail(field: string, value: unknown, expected: string): never {
  throw new Error(
    `cluster outputs: ${field} is ${JSON.stringify(value)}, expected ${expected}. ` +
      `Fix: reference a pfsense-ha stack that exports contract version ${CONTRACT_VERSION} (run \`pulumi up\` on it).`,
  );
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function str(field: string, v: unknown): string {
  return typeof v === "string" && v.length > 0 ? v : fail(field, v, "a non-empty string");
}

function int(field: string, v: unknown): number {
  return typeof v === "number" && Number.isInteger(v) ? v : fail(field, v, "an integer");
}

function recordOf<T>(field: string, v: unknown, each: (f: string, x: unknown) => T): Record<string, T> {
  if (!isRecord(v)) fail(field, v, "an object");
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, each(`${field}.${k}`, x)]));
}

/** Checks a raw outputs object (from a StackReference or a test) against contract version 1. Pure. */
export function parseClusterOutputs(raw: Record<string, unknown>): ClusterOutputs {
  if (raw.contractVersion !== CONTRACT_VERSION) fail("contractVersion", raw.contractVersion, String(CONTRACT_VERSION));
  const vips = recordOf("vips", raw.vips, (f, x) => {
    if (!isRecord(x)) fail(f, x, "an object {address, prefix, vhid}");
    return { address: str(`${f}.address`, x.address), prefix: int(`${f}.prefix`, x.prefix), vhid: int(`${f}.vhid`, x.vhid) };
  });
  if (!Array.isArray(raw.nodes)) fail("nodes", raw.nodes, "an array");
  const nodes = raw.nodes.map((n: unknown, i: number): ContractNode => {
    const f = `nodes[${i}]`;
    if (!isRecord(n)) fail(f, n, "an object");
    if (n.role !== "primary" && n.role !== "secondary") fail(`${f}.role`, n.role, `"primary" or "secondary"`);
    return {
      name: str(`${f}.name`, n.name),
      role: n.role,
      addresses: recordOf(`${f}.addresses`, n.addresses, str),
      vmId: n.vmId === null ? null : int(`${f}.vmId`, n.vmId),
      proxmoxNode: n.proxmoxNode === null ? null : str(`${f}.proxmoxNode`, n.proxmoxNode),
    };
  });
  const networks = recordOf("networks", raw.networks, (f, x) => {
    if (!isRecord(x)) fail(f, x, "an object {bridge, subnet}");
    return { bridge: str(`${f}.bridge`, x.bridge), subnet: str(`${f}.subnet`, x.subnet) };
  });
  const vxlan = recordOf("vxlan", raw.vxlan, (f, x) => {
    if (!isRecord(x)) fail(f, x, "an object {key, dstPort, ports}");
    return {
      key: int(`${f}.key`, x.key),
      dstPort: int(`${f}.dstPort`, x.dstPort),
      ports: recordOf(`${f}.ports`, x.ports, (g, y) =>
        Array.isArray(y) ? y.map((p, i) => str(`${g}[${i}]`, p)) : fail(g, y, "an array of port names"),
      ),
    };
  });
  return { contractVersion: CONTRACT_VERSION, gateway: str("gateway", raw.gateway), vips, nodes, networks, vxlan };
}

/**
 * Reads the contract from another stack, e.g.
 *   const fw = readClusterOutputs(new pulumi.StackReference("organization/pfsense-ha/dev"));
 *   fw.apply((c) => c.gateway);
 * Fails (at deployment time) with a message naming the bad field when the shape or version does not match.
 */
export function readClusterOutputs(ref: Pick<StackReference, "outputs">): Output<ClusterOutputs> {
  return ref.outputs.apply((all) => parseClusterOutputs(Object.fromEntries(CONTRACT_OUTPUT_NAMES.map((n) => [n, all[n]]))));
}
