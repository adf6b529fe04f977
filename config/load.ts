// I/O shell around validateStack(): reads a Pulumi.<stack>.yaml file or the running program's stack config, and the
// host inventory that `ssh: {inventory: NAME}` refers to. All checking happens in the pure validate.ts.
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { ConfigValidationError, type Problem } from "./problems";
import { isPlainObject } from "./reader";
import { expandPathVariables, inventoryFromLab, parseInventory, type HostInventory } from "./inventory";
import type { ClusterConfig, LabHostRef, LabHostsRef } from "./types";
import { NAMESPACE, validateStack, type ValidationResult } from "./validate";

const INVENTORY_KEY = `${NAMESPACE}:inventory`;
/** The older, lab-only inventory key (deprecated; still read). */
const LAB_INVENTORY_KEY = `${NAMESPACE}:labInventory`;

/** Pulumi.<stack>.yaml next to Pulumi.yaml in `projectDir`. */
export function stackFilePath(stack: string, projectDir = process.cwd()): string {
  return path.join(projectDir, `Pulumi.${stack}.yaml`);
}

/** The `config:` map of a stack file, or a problem saying why it cannot be read. */
export function readStackFile(file: string): { values?: Record<string, unknown>; problem?: Problem } {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? "error";
    return { problem: { key: file, value: code, message: "cannot read the stack file", fix: "pass an existing Pulumi.<stack>.yaml (or --stack NAME from the project directory)" } };
  }
  let doc: unknown;
  try {
    doc = YAML.parse(text);
  } catch (e) {
    return { problem: { key: file, value: (e as Error).message.split("\n")[0], message: "is not valid YAML", fix: "fix the YAML syntax at the position shown" } };
  }
  if (doc === null || doc === undefined) return { values: {} };
  if (!isPlainObject(doc) || (doc.config !== undefined && !isPlainObject(doc.config))) {
    return { problem: { key: file, value: typeof doc, message: "has no `config:` mapping", fix: "write the stack settings under a top-level `config:` key" } };
  }
  return { values: (doc.config as Record<string, unknown>) ?? {} };
}

/** Reads a host inventory file (YAML or JSON). */
export function readInventoryFile(file: string): { inventory?: HostInventory; problem?: Problem } {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === "ENOENT";
    return {
      problem: {
        key: INVENTORY_KEY,
        value: file,
        message: missing ? "the host inventory does not exist" : `the host inventory cannot be read (${(e as NodeJS.ErrnoException).code ?? "error"})`,
        fix: "correct pfsense-ha:inventory (a path relative to the project directory), or create the file (the lab writes lab/.state/labN/hosts.json when it comes up: `PFHA_LAB_ID=N npm run lab -- up`)",
      },
    };
  }
  return parseInventory(text, file, (t) => YAML.parse(t));
}

/** Reads the older lab inventory JSON (`pfsense-ha:labInventory`, deprecated) into what validation needs. */
export function readLabInventory(file: string): { lab?: LabHostsRef; problem?: Problem } {
  const fix = "bring the lab up (`PFHA_LAB_ID=N npm run lab -- up`) or correct pfsense-ha:labInventory";
  let doc: unknown;
  try {
    doc = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === "ENOENT" ? "the lab inventory does not exist (is the lab up?)" : "the lab inventory cannot be read as JSON";
    return { problem: { key: LAB_INVENTORY_KEY, value: file, message: why, fix } };
  }
  if (!isPlainObject(doc) || !isPlainObject(doc.hosts) || typeof doc.clientKeyPath !== "string") {
    return { problem: { key: LAB_INVENTORY_KEY, value: file, message: "is not a lab inventory (needs clientKeyPath and hosts)", fix } };
  }
  const hosts: Record<string, LabHostRef> = {};
  for (const [name, h] of Object.entries(doc.hosts)) {
    if (!isPlainObject(h) || typeof h.address !== "string" || typeof h.hostKeySha256 !== "string") continue;
    const ref: LabHostRef = {
      address: h.address,
      port: typeof h.port === "number" ? h.port : 22,
      username: typeof h.username === "string" ? h.username : "root",
      hostKeySha256: h.hostKeySha256,
    };
    if (typeof h.underlayAddress === "string") ref.underlayAddress = h.underlayAddress;
    hosts[name] = ref;
  }
  return { lab: { clientKeyPath: doc.clientKeyPath, hosts } };
}

export interface LoadOptions {
  stackName?: string;
  allowMissingSecrets?: boolean;
}

/** An inventory that is configured but could not be read (reported once): references to it stay quiet. */
const UNREADABLE: HostInventory = { hosts: {}, unavailable: true };

/**
 * The host inventory that raw stack values name, if any: `pfsense-ha:inventory` (a path relative to `baseDir`, with
 * `${NAME}` / `${NAME:-default}` taken from the environment). The deprecated `pfsense-ha:labInventory` (the lab's
 * inventory.json) is still read, with a warning; when set, it is the inventory every reference resolves against.
 */
export function inventoryOf(values: Record<string, unknown>, baseDir: string): { inventory?: HostInventory; problems: Problem[]; warnings: Problem[] } {
  const problems: Problem[] = [];
  const warnings: Problem[] = [];
  // Pulumi.yaml declares both keys with default "", which means "none".
  const lab = (values[LAB_INVENTORY_KEY] ?? values.labInventory) || undefined;
  const inv = (values[INVENTORY_KEY] ?? values.inventory) || undefined;
  const file = (key: string, v: unknown): string | undefined => {
    if (typeof v !== "string") {
      problems.push({ key, value: v, message: "must be a file path", fix: `set it to the inventory file's path, e.g. hosts.yaml` });
      return undefined;
    }
    const expanded = expandPathVariables(v, process.env);
    if (expanded.problem) problems.push({ ...expanded.problem, key });
    return expanded.path === undefined ? undefined : path.resolve(baseDir, expanded.path);
  };
  if (lab !== undefined) {
    warnings.push({
      key: LAB_INVENTORY_KEY,
      value: lab,
      message: "is deprecated: hosts come from a host inventory now",
      fix: "set pfsense-ha:inventory to the lab's hosts.json (next to its inventory.json) and write the hosts as `ssh: {inventory: NAME}`",
    });
    const f = file(LAB_INVENTORY_KEY, lab);
    if (f === undefined) return { inventory: UNREADABLE, problems, warnings };
    const res = readLabInventory(f);
    if (res.problem) problems.push(res.problem);
    return { inventory: inventoryFromLab(res.lab ?? { clientKeyPath: "", hosts: {}, unavailable: true }, f), problems, warnings };
  }
  if (inv === undefined) return { problems, warnings };
  const f = file(INVENTORY_KEY, inv);
  if (f === undefined) return { inventory: UNREADABLE, problems, warnings };
  const res = readInventoryFile(f);
  if (res.problem) problems.push(res.problem);
  return { inventory: res.inventory ?? { source: f, hosts: {}, unavailable: true }, problems, warnings };
}

/** Validates raw stack values, first loading the host inventory they name (relative paths from `baseDir`). */
export function validateValues(values: Record<string, unknown>, baseDir: string, opts: LoadOptions = {}): ValidationResult {
  const { inventory, problems: extra, warnings } = inventoryOf(values, baseDir);
  const result = validateStack(values, { ...opts, inventory });
  const problems = [...extra, ...result.problems];
  const all = [...warnings, ...(result.warnings ?? [])];
  const out: ValidationResult = problems.length ? { problems } : result;
  return all.length ? { ...out, warnings: all } : out;
}

/** Validates a Pulumi.<stack>.yaml file (a `secure:` secret counts as present; it is never decrypted). */
export function validateStackFile(file: string, optsOrStack: LoadOptions | string = {}): ValidationResult {
  const opts = typeof optsOrStack === "string" ? { stackName: optsOrStack } : optsOrStack;
  const { values, problem } = readStackFile(file);
  if (!values) return { problems: problem ? [problem] : [] };
  const stackName = opts.stackName ?? /^Pulumi\.(.+)\.ya?ml$/.exec(path.basename(file))?.[1];
  return validateValues(values, path.dirname(path.resolve(file)), { ...opts, stackName });
}

/** Stack config values inside a running Pulumi program: "ns:key" -> value (objects parsed from their JSON). */
export function programConfigValues(all: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(all)) {
    if (k === `${NAMESPACE}:cluster`) {
      try {
        out[k] = JSON.parse(v);
      } catch {
        out[k] = v; // a plain string: validation reports that it must be an object
      }
    } else {
      out[k] = v;
    }
  }
  return out;
}

/**
 * For index.ts: validates the running stack's config and returns the typed cluster, or throws ConfigValidationError
 * listing every problem (so `pulumi preview` fails before any resource is declared, with the CLI's messages).
 * Secrets stay with the caller: read them with `new pulumi.Config("pfsense-ha").requireSecret(...)`.
 */
export function clusterFromProgramConfig(all: Record<string, string>, stackName: string, projectDir = process.cwd()): ClusterConfig {
  const result = validateValues(programConfigValues(all), projectDir, { stackName });
  if (!result.config) throw new ConfigValidationError(result.problems);
  return result.config;
}
