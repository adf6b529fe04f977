// Shared by the verify/drill/render commands: `--stack NAME | --file F` plus per-command flags, the validated cluster
// config, and the secrets the CLI may use (environment only: the stack file's `secure:` values are never decrypted).
import * as path from "path";
import { stackFilePath, validateStackFile } from "../../config/load";
import { formatProblem } from "../../config/problems";
import type { ClusterConfig } from "../../config/types";
import type { SecretName } from "../../components/plan";
import { registerSecret, type SshEndpoint } from "../ssh";

export const SECRET_ENV = {
  sshPrivateKey: "PFSENSE_HA_SSH_PRIVATE_KEY",
  carpPassword: "PFSENSE_HA_CARP_PASSWORD",
  xmlrpcPassword: "PFSENSE_HA_XMLRPC_PASSWORD",
} as const;

export interface FlagSpec {
  /** Flags without a value. */
  booleans: string[];
  /** Flags taking a value. */
  values: string[];
}

export interface ParsedArgs {
  file: string;
  stack?: string;
  flags: Record<string, string | true>;
}

/** `--stack NAME | --file F` and the command's own flags (`--x V` or `--x=V`); an error message instead of throwing. */
export function parseStackArgs(argv: string[], spec: FlagSpec, cwd: string, env: NodeJS.ProcessEnv): ParsedArgs | { help: true } | { error: string } {
  let stack: string | undefined;
  let file: string | undefined;
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = /^(--[a-z-]+)=(.*)$/.exec(a);
    const flag = eq ? eq[1] : a;
    if (flag === "--help" || flag === "-h") return { help: true };
    const name = flag.replace(/^--/, "");
    if (spec.booleans.includes(name) && !eq) {
      flags[name] = true;
      continue;
    }
    if (flag !== "--stack" && flag !== "--file" && !spec.values.includes(name)) return { error: `unknown option ${JSON.stringify(a)}` };
    const value = eq ? eq[2] : argv[++i];
    if (!value) return { error: `${flag} needs a value` };
    if (flag === "--stack") stack = value;
    else if (flag === "--file") file = value;
    else flags[name] = value;
  }
  if (stack && file) return { error: "give either --stack or --file, not both" };
  if (file) return { file: path.resolve(cwd, file), flags };
  const name = stack ?? env.PULUMI_STACK ?? "dev";
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) return { error: `invalid stack name ${JSON.stringify(name)}` };
  return { file: stackFilePath(name, cwd), stack: name, flags };
}

/** Whole seconds (or fractions when `fraction`) from a flag, or a usage error naming it. */
export function secondsFlag(flags: ParsedArgs["flags"], name: string, def: number, max: number, fraction = false): number | { error: string } {
  const raw = flags[name];
  if (raw === undefined) return def;
  const n = Number(raw);
  const ok = typeof raw === "string" && Number.isFinite(n) && n >= 0 && n <= max && (fraction || Number.isInteger(n));
  return ok ? n : { error: `--${name} ${JSON.stringify(raw)} is invalid: use ${fraction ? "a number of" : "whole"} seconds from 0 to ${max}` };
}

/** The validated cluster, or the problems formatted one per line. */
export function loadStackConfig(args: ParsedArgs): { config: ClusterConfig } | { error: string } {
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
