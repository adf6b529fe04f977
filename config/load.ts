// I/O shell around validateStack(): reads a Pulumi.<stack>.yaml file or the running program's stack config, and the
// lab inventory that `ssh: {lab: NAME}` refers to. All checking happens in the pure validate.ts.
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";
import { ConfigValidationError, type Problem } from "./problems";
import { isPlainObject } from "./reader";
import type { ClusterConfig, LabHostRef, LabHostsRef } from "./types";
import { NAMESPACE, validateStack, type ValidationResult } from "./validate";

const INVENTORY_KEY = `${NAMESPACE}:labInventory`;

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

/** Reads the lab inventory JSON into the part validation needs (address, port, user, fingerprint, key path). */
export function readLabInventory(file: string): { lab?: LabHostsRef; problem?: Problem } {
  const fix = "bring the lab up (`PFHA_LAB_ID=N npm run lab -- up`) or correct pfsense-ha:labInventory";
  let doc: unknown;
  try {
    doc = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === "ENOENT" ? "the lab inventory does not exist (is the lab up?)" : "the lab inventory cannot be read as JSON";
    return { problem: { key: INVENTORY_KEY, value: file, message: why, fix } };
  }
  if (!isPlainObject(doc) || !isPlainObject(doc.hosts) || typeof doc.clientKeyPath !== "string") {
    return { problem: { key: INVENTORY_KEY, value: file, message: "is not a lab inventory (needs clientKeyPath and hosts)", fix } };
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

/** A lab inventory path may name the lab instance as `${PFHA_LAB_ID}` (the dev stack follows the lab it runs on). */
const LAB_ID_VAR = "${PFHA_LAB_ID}";

/** The lab id a path's `${PFHA_LAB_ID}` stands for (default 0), or undefined when PFHA_LAB_ID is not a lab id. */
function labIdIn(inv: string): string | undefined {
  if (!inv.includes(LAB_ID_VAR)) return "";
  const raw = process.env.PFHA_LAB_ID ?? "0";
  return /^(0|[1-9][0-9]?)$/.test(raw) && Number(raw) <= 63 ? raw : undefined;
}

/** The lab inventory that raw stack values name (`pfsense-ha:labInventory`, relative paths from `baseDir`), if any. */
export function labInventoryOf(values: Record<string, unknown>, baseDir: string): { lab?: LabHostsRef; problems: Problem[] } {
  // Pulumi.yaml declares labInventory with default "", which means "no lab".
  const inv = (values[INVENTORY_KEY] ?? values.labInventory) || undefined;
  let lab: LabHostsRef | undefined;
  const extra: Problem[] = [];
  if (inv !== undefined) {
    if (typeof inv !== "string" || inv === "") {
      extra.push({ key: INVENTORY_KEY, value: inv, message: "must be a file path", fix: "set it to the lab inventory path, e.g. lab/.state/lab0/inventory.json" });
    } else if (labIdIn(inv) === undefined) {
      extra.push({ key: INVENTORY_KEY, value: inv, message: `names \${PFHA_LAB_ID}, but PFHA_LAB_ID='${process.env.PFHA_LAB_ID}' is not a lab id`, fix: "set PFHA_LAB_ID to an integer 0..63 (the lab instance), e.g. PFHA_LAB_ID=0" });
    } else {
      const res = readLabInventory(path.resolve(baseDir, inv.split(LAB_ID_VAR).join(labIdIn(inv))));
      lab = res.lab ?? { clientKeyPath: "", hosts: {}, unavailable: true };
      if (res.problem) extra.push(res.problem);
    }
  }
  return { lab, problems: extra };
}

/** Validates raw stack values, first loading the lab inventory they name (relative paths from `baseDir`). */
export function validateValues(values: Record<string, unknown>, baseDir: string, opts: LoadOptions = {}): ValidationResult {
  const { lab, problems: extra } = labInventoryOf(values, baseDir);
  const result = validateStack(values, { ...opts, lab });
  const problems = [...extra, ...result.problems];
  return problems.length ? { problems } : result;
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
