// The stack program's reading of its own stack configuration (index.ts): the `pfsense-ha:*` keys as the user wrote
// them, for PfSenseHaCluster, which validates the cluster and applies the defaults. Only what belongs to the stack
// rather than the cluster is checked here, before anything is declared: mistyped `pfsense-ha:*` keys and the lab
// inventory `pfsense-ha:labInventory` names.
import * as pulumi from "../providers/pulumi-sdk";
import { labInventoryOf, programConfigValues } from "./load";
import { ConfigValidationError } from "./problems";
import type { ClusterSettings } from "./settings";
import type { LabHostsRef } from "./types";
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
  labInventory?: LabHostsRef;
}

/** Reads this stack's configuration; throws ConfigValidationError for mistyped keys or an unreadable lab inventory. */
export function stackClusterSettings(projectDir = process.cwd()): StackClusterSettings {
  const values = programConfigValues(pulumi.runtime.allConfig());
  const { lab, problems } = labInventoryOf(values, projectDir);
  const all = [...stackKeyProblems(values), ...problems];
  if (all.length > 0) throw new ConfigValidationError(all);
  const cfg = new pulumi.Config(NAMESPACE);
  const out: StackClusterSettings = { cluster: values[`${NAMESPACE}:cluster`] as ClusterSettings };
  for (const k of ["carpPassword", "xmlrpcPassword", "sshPrivateKey"] as const) {
    const v = cfg.getSecret(k);
    if (v !== undefined) out[k] = v;
  }
  if (lab) out.labInventory = lab;
  return out;
}
