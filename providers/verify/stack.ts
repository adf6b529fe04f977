// Shared by the verify/drill/render commands: the validated cluster config of a stack file, and the secrets the CLI
// may use (environment only: the stack file's `secure:` values are never decrypted).
import { validateStackFile } from "../../config/load";
import { formatProblem } from "../../config/problems";
import type { ClusterConfig } from "../../config/types";
import type { SecretName } from "../../components/plan";
import { registerSecret, type SshEndpoint } from "../ssh";

export const SECRET_ENV = {
  sshPrivateKey: "PFSENSE_HA_SSH_PRIVATE_KEY",
  carpPassword: "PFSENSE_HA_CARP_PASSWORD",
  xmlrpcPassword: "PFSENSE_HA_XMLRPC_PASSWORD",
} as const;

/** The stack file a command reads (`--stack NAME` -> Pulumi.NAME.yaml, or `--file F`). */
export interface StackFile {
  file: string;
  stack?: string;
}

/** The validated cluster, or the problems formatted one per line. */
export function loadStackConfig(args: StackFile): { config: ClusterConfig } | { error: string } {
  const result = validateStackFile(args.file, { stackName: args.stack, allowMissingSecrets: true });
  if (result.config) return { config: result.config };
  const n = result.problems.length;
  return { error: `${args.file}: ${n} problem${n === 1 ? "" : "s"}:\n${result.problems.map((p) => `  - ${formatProblem(p)}`).join("\n")}\n(run \`pfsense-ha validate\` for details)` };
}

/** Endpoint with the key content from the environment when the host has no key file, agent or password. */
export function endpointWithEnvKey(env: NodeJS.ProcessEnv): (ep: SshEndpoint) => SshEndpoint {
  const key = env[SECRET_ENV.sshPrivateKey];
  if (key) registerSecret(key);
  return (ep) => (key && !ep.privateKeyPath && !ep.useAgent && ep.password === undefined ? { ...ep, privateKey: key } : ep);
}

/** Secrets given in the environment (registered for redaction); absent ones stay masked in render. */
export function secretsFromEnv(env: NodeJS.ProcessEnv): Partial<Record<SecretName, string>> {
  const out: Partial<Record<SecretName, string>> = {};
  for (const n of ["carpPassword", "xmlrpcPassword"] as const) {
    const v = env[SECRET_ENV[n]];
    if (v) {
      registerSecret(v);
      out[n] = v;
    }
  }
  return out;
}
