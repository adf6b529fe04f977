// The stack program's reading of its own stack configuration (index.ts): the `pfsense-ha:*` keys as the user wrote
// them, for PfSenseHaCluster, which validates the cluster and applies the defaults. Only what belongs to the stack
// rather than the cluster is checked here, before anything is declared: mistyped `pfsense-ha:*` keys and the host
// inventory `pfsense-ha:inventory` names.
import * as pulumi from "../providers/pulumi-sdk";
import type { HostInventory } from "./inventory";
import { inventoryOf, programConfigValues } from "./load";
import { ConfigValidationError, formatProblem } from "./problems";
import type { ClusterSettings } from "./settings";
import { NAMESPACE, stackKeyProblems } from "./validate";

/** The secrets of a validated cluster, as Pulumi secrets. */
export interface ClusterSecrets {
  /** Absent only when the cluster has no CARP VIP. */
  carpPassword?: pulumi.Output<string>;
  xmlrpcPassword: pulumi.Output<string>;
  /** Key content used for every SSH host instead of key files, when configured. */
  sshPrivateKey?: pulumi.Output<string>;
}

/** The stack's `pfsense-ha:*` configuration in the shape of PfSenseHaClusterArgs. */
export interface StackClusterSettings {
  cluster: ClusterSettings;
  carpPassword?: pulumi.Output<string>;
  xmlrpcPassword?: pulumi.Output<string>;
  sshPrivateKey?: pulumi.Output<string>;
  inventory?: HostInventory;
}

/** Reads this stack's configuration; throws ConfigValidationError for mistyped keys or an unreadable host inventory. */
export function stackClusterSettings(projectDir = process.cwd()): StackClusterSettings {
  const values = programConfigValues(pulumi.runtime.allConfig());
  const { inventory, problems, warnings } = inventoryOf(values, projectDir);
  const all = [...stackKeyProblems(values), ...problems];
  if (all.length > 0) throw new ConfigValidationError(all);
  for (const w of warnings) void pulumi.log.warn(formatProblem(w));
  const cfg = new pulumi.Config(NAMESPACE);
  const out: StackClusterSettings = { cluster: values[`${NAMESPACE}:cluster`] as ClusterSettings };
  for (const k of ["carpPassword", "xmlrpcPassword", "sshPrivateKey"] as const) {
    const v = cfg.getSecret(k);
    if (v !== undefined) out[k] = v;
  }
  if (inventory) out.inventory = inventory;
  return out;
}
