// Entry point for index.ts: the validated cluster plus its secrets as Pulumi secret Outputs.
// Validation runs before any resource is declared; on problems it throws, listing all of them.
import * as pulumi from "../providers/pulumi-sdk";
import { clusterFromProgramConfig } from "./load";
import type { ClusterConfig } from "./types";
import { NAMESPACE } from "./validate";

export interface ClusterSecrets {
  /** Absent only when the cluster has no CARP VIP. */
  carpPassword?: pulumi.Output<string>;
  xmlrpcPassword: pulumi.Output<string>;
  /** Key content used for every SSH host instead of key files, when configured. */
  sshPrivateKey?: pulumi.Output<string>;
}

export interface LoadedCluster {
  config: ClusterConfig;
  secrets: ClusterSecrets;
}

export function loadCluster(): LoadedCluster {
  const config = clusterFromProgramConfig(pulumi.runtime.allConfig(), pulumi.getStack());
  const cfg = new pulumi.Config(NAMESPACE);
  const secrets: ClusterSecrets = { xmlrpcPassword: cfg.requireSecret("xmlrpcPassword") };
  const carp = cfg.getSecret("carpPassword");
  if (carp) secrets.carpPassword = carp;
  const key = cfg.getSecret("sshPrivateKey");
  if (key) secrets.sshPrivateKey = key;
  return { config, secrets };
}
