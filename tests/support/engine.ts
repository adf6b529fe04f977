// A stand-in for the Pulumi engine, for tests that cannot have the Pulumi CLI.
// It runs a Pulumi program under `pulumi.runtime.setMocks` and, for every dynamic resource, does what the engine
// and the Node dynamic-provider host (@pulumi/pulumi/cmd/dynamic-provider/index.js) do: take the serialized
// `__provider` from the (secret-unwrapped) inputs, load it with require-from-string and `.handler()`, call
// `configure` once per provider text, then check -> create, or with prior state check -> diff -> update/replace.
// Resources are processed only after their parent and dependsOn have been created. Other custom resources
// (e.g. the Proxmox VM) get plain mock results. It also records every registration (type, parent, dependencies,
// inputs) so unit tests can assert the resource graph.
//
// Fresh module instances: call it inside `jest.isolateModulesAsync` and require the program there, so each run
// (first, second) executes the program again against a fresh @pulumi/pulumi instance, like separate `pulumi up`s.
import * as pulumi from "@pulumi/pulumi";

const requireFromString = require("require-from-string") as (code: string) => { handler: () => DynamicProvider };
// Internal SDK modules: the engine side of the protocol is not public API.
const settings = require("@pulumi/pulumi/runtime/settings") as { getMonitor: () => MonitorLike };

export const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const PROVIDER_KEY = "__provider";

type Props = Record<string, unknown>;

interface DynamicProvider {
  configure?(req: { config: { get(k: string): string | undefined; require(k: string): string } }): Promise<void>;
  check?(olds: Props, news: Props): Promise<{ inputs?: Props; failures?: { property: string; reason: string }[] }>;
  diff?(id: string, olds: Props, news: Props): Promise<{ changes?: boolean; replaces?: string[]; deleteBeforeReplace?: boolean }>;
  create(inputs: Props): Promise<{ id: string; outs?: Props }>;
  update?(id: string, olds: Props, news: Props): Promise<{ outs?: Props } | undefined>;
  delete?(id: string, props: Props): Promise<void>;
}

interface RegisterRequestLike {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getDependenciesList(): string[];
  getImportid(): string;
  getAdditionalsecretoutputsList(): string[];
  getObject(): { toJavaScript(): Props } | undefined;
}
type Callback = (err: unknown, resp?: unknown) => void;
interface MonitorLike {
  newUrn(parent: string, type: string, name: string): string;
  registerResource(req: RegisterRequestLike, cb: Callback): void;
}

/** One resource registration as the program sent it. */
export interface Registration {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  parent?: string;
  /** Explicit and implicit (input) dependencies, as URNs. */
  dependencies: string[];
  /** Inputs with secrets unwrapped; `secretInputs` names the top-level keys that were secret. */
  inputs: Props;
  secretInputs: string[];
  importId?: string;
}

/** What the engine keeps per dynamic resource between runs. */
export interface DynamicState {
  type: string;
  id: string;
  /** Checked inputs, including __provider. */
  inputs: Props;
  /** Outputs as stored (provider outs + __provider). */
  outs: Props;
  /** URNs it depends on (dependsOn, expanded), as the engine records them: deletes wait for dependents. */
  dependencies?: string[];
}

export type Operation = "create" | "update" | "replace" | "same" | "delete" | "check";

export interface EngineRun {
  registrations: Registration[];
  /** Dynamic resource operations in the order they completed. */
  operations: { urn: string; op: Operation }[];
  state: Map<string, DynamicState>;
  /** The program's exports, resolved; `secret` tells whether the export is a secret output. */
  exports: Record<string, { value: unknown; secret: boolean }>;
}

export interface EngineOptions {
  /** Runs the program and returns its exports (the stack outputs), e.g. `() => require("../../index")`. */
  program: () => unknown;
  project: string;
  stack: string;
  /** Stack config as the CLI passes it: "namespace:key" -> string (objects as JSON). */
  config?: Record<string, string>;
  secretConfigKeys?: string[];
  /** State of a previous run: present resources go through diff/update instead of create. */
  prior?: Map<string, DynamicState>;
  /** Preview: dynamic resources only get `check` (like `pulumi preview`); nothing is created. */
  preview?: boolean;
  /** false = plain mocks for dynamic resources too (no provider code runs), for graph-only unit tests. */
  executeDynamic?: boolean;
  /** Called for every registration as it happens (also when the program fails later). */
  onRegister?: (r: Registration) => void;
  /** Mock result for non-dynamic custom resources; default {id: name + "-id", state: inputs}. */
  mockResource?: (r: { type: string; name: string; inputs: Props }) => { id: string; state: Props };
}

/** Unwraps secret wire values recursively; returns the plain value and whether any secret was found. */
export function unwrapSecrets(v: unknown): { value: unknown; secret: boolean } {
  if (Array.isArray(v)) {
    const parts = v.map(unwrapSecrets);
    return { value: parts.map((p) => p.value), secret: parts.some((p) => p.secret) };
  }
  if (typeof v === "object" && v !== null) {
    const o = v as Props;
    if (o[SECRET_SIG_KEY] === SECRET_SIG) return { value: unwrapSecrets(o.value).value, secret: true };
    let secret = false;
    const out: Props = {};
    for (const [k, x] of Object.entries(o)) {
      const u = unwrapSecrets(x);
      out[k] = u.value;
      secret ||= u.secret;
    }
    return { value: out, secret };
  }
  return { value: v, secret: false };
}

function wrapSecret(value: unknown): Props {
  return { [SECRET_SIG_KEY]: SECRET_SIG, value };
}

function isDynamic(type: string): boolean {
  return type.startsWith("pulumi-nodejs:dynamic");
}

/** The engine's own comparison when a provider has no diff or answers "unknown". */
function sameInputs(a: Props, b: Props): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (typeof v === "object" && v !== null) {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Props)[k])]));
  }
  return v;
}

class ProviderHost {
  private readonly cache = new Map<string, Promise<DynamicProvider>>();
  constructor(private readonly config: Record<string, string>, private readonly project: string) {}

  load(code: string): Promise<DynamicProvider> {
    let p = this.cache.get(code);
    if (!p) {
      p = (async () => {
        const provider = requireFromString(code).handler();
        if (provider.configure) {
          const full = (k: string) => (k.includes(":") ? k : `${this.project}:${k}`);
          const get = (k: string) => this.config[full(k)];
          const req = (k: string) => {
            const v = get(k);
            if (v === undefined) throw new Error(`Missing required configuration key '${full(k)}'`);
            return v;
          };
          await provider.configure({ config: { get, require: req } });
        }
        return provider;
      })();
      this.cache.set(code, p);
    }
    return p;
  }
}

async function checked(provider: DynamicProvider, urn: string, olds: Props, news: Props): Promise<Props> {
  let inputs = news;
  if (provider.check) {
    const r = await provider.check(olds, news);
    if (r.failures && r.failures.length > 0) {
      throw new Error(`${urn}: check failed: ${r.failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
    }
    if (r.inputs) inputs = r.inputs;
  }
  return { ...inputs, [PROVIDER_KEY]: news[PROVIDER_KEY] };
}

/** Runs the program once. Throws (after everything settled) if any resource operation failed. */
export async function runUnderEngine(opts: EngineOptions): Promise<EngineRun> {
  const executeDynamic = opts.executeDynamic ?? true;
  const config = opts.config ?? {};
  const host = new ProviderHost(config, opts.project);
  const registrations: Registration[] = [];
  const operations: EngineRun["operations"] = [];
  const state = new Map<string, DynamicState>();
  const done = new Map<string, Promise<unknown>>();
  const pending = new Set<Promise<unknown>>();
  const errors: unknown[] = [];
  // The request currently being mocked, keyed by type+name (newResource does not receive the URN).
  const byName = new Map<string, Registration & { additionalSecretOutputs: string[] }>();

  pulumi.runtime.setAllConfig(config, opts.secretConfigKeys ?? []);
  await pulumi.runtime.setMocks(
    {
      newResource: async (args) => {
        const reg = byName.get(`${args.type}::${args.name}`);
        if (!args.custom) return { id: undefined, state: args.inputs };
        if (!reg) throw new Error(`engine: no registration recorded for ${args.type} ${args.name}`);
        if (isDynamic(args.type) && executeDynamic) return runDynamic(reg);
        const mock = opts.mockResource ?? ((r) => ({ id: `${r.name}-id`, state: r.inputs }));
        return mock({ type: args.type, name: args.name, inputs: args.inputs });
      },
      call: (args) => args.inputs,
    },
    opts.project,
    opts.stack,
    opts.preview ?? false,
  );

  async function runDynamic(reg: Registration & { additionalSecretOutputs: string[] }): Promise<{ id: string; state: Props }> {
    const news = reg.inputs;
    const code = news[PROVIDER_KEY];
    if (typeof code !== "string") throw new Error(`${reg.urn}: no serialized __provider in the inputs`);
    const provider = await host.load(code);
    const prior = opts.prior?.get(reg.urn);
    const inputs = await checked(provider, reg.urn, prior?.inputs ?? {}, news);
    let id: string;
    let outs: Props;
    let op: Operation;
    if (opts.preview) {
      if (prior && provider.diff) await provider.diff(prior.id, prior.outs, inputs);
      id = prior?.id ?? "";
      outs = prior?.outs ?? inputs;
      op = "check";
    } else if (!prior) {
      const r = await provider.create(inputs);
      ({ id } = r);
      outs = { ...(r.outs ?? {}), [PROVIDER_KEY]: code };
      op = "create";
    } else {
      const d = provider.diff ? await provider.diff(prior.id, prior.outs, inputs) : {};
      const replace = (d.replaces ?? []).length > 0;
      const changed = d.changes ?? !sameInputs(prior.inputs, inputs);
      if (replace) {
        if (d.deleteBeforeReplace && provider.delete) await provider.delete(prior.id, prior.outs);
        const r = await provider.create(inputs);
        if (!d.deleteBeforeReplace && provider.delete) await provider.delete(prior.id, prior.outs);
        ({ id } = r);
        outs = { ...(r.outs ?? {}), [PROVIDER_KEY]: code };
        op = "replace";
      } else if (changed) {
        const r = provider.update ? ((await provider.update(prior.id, prior.outs, inputs)) ?? {}) : {};
        id = prior.id;
        outs = { ...(r.outs ?? {}), [PROVIDER_KEY]: code };
        op = "update";
      } else {
        id = prior.id;
        outs = prior.outs;
        op = "same";
      }
    }
    state.set(reg.urn, { type: reg.type, id, inputs, outs, dependencies: reg.dependencies });
    operations.push({ urn: reg.urn, op });
    // Like the engine: outputs of secret inputs (and additionalSecretOutputs) stay secret; `__provider` is plain,
    // as the engine stores it (tests/support/checkpoint.ts checks that no secret is captured in it).
    const secretKeys = new Set([...reg.secretInputs, ...reg.additionalSecretOutputs]);
    const shown: Props = {};
    for (const [k, v] of Object.entries(outs)) shown[k] = secretKeys.has(k) ? wrapSecret(v) : v;
    return { id, state: shown };
  }

  const monitor = settings.getMonitor();
  const original = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    const work = (async () => {
      const type = req.getType();
      const name = req.getName();
      const parent = req.getParent() || undefined;
      const urn = monitor.newUrn(req.getParent(), type, name);
      const dependencies = req.getDependenciesList();
      // The engine never starts a resource before its parent and dependencies are done.
      await Promise.all([parent, ...dependencies].map((u) => (u ? done.get(u) : undefined)));
      const raw = req.getObject()?.toJavaScript() ?? {};
      const secretInputs = Object.entries(raw).filter(([, v]) => unwrapSecrets(v).secret).map(([k]) => k);
      const reg: Registration = {
        urn, type, name, custom: req.getCustom(), parent, dependencies,
        inputs: unwrapSecrets(raw).value as Props, secretInputs, importId: req.getImportid() || undefined,
      };
      registrations.push(reg);
      opts.onRegister?.(reg);
      byName.set(`${type}::${name}`, { ...reg, additionalSecretOutputs: req.getAdditionalsecretoutputsList() });
      await new Promise<void>((resolve) =>
        original(req, (err, resp) => {
          if (err) errors.push(err);
          cb(err, resp);
          resolve();
        }),
      );
      return urn;
    })();
    const urnKey = monitor.newUrn(req.getParent(), req.getType(), req.getName());
    done.set(urnKey, work.catch(() => undefined));
    pending.add(work);
    work.catch((e) => errors.push(e));
  };

  const moduleExports = (await opts.program()) as Props | undefined;
  const exports: EngineRun["exports"] = {};
  for (const [k, v] of Object.entries(moduleExports ?? {})) {
    if (typeof v === "function") continue;
    const out: pulumi.Output<unknown> = pulumi.output(v as pulumi.Input<string>);
    const secret = await pulumi.isSecret(out);
    // Unknown in a preview: apply callbacks never run for unknown values.
    const value = (await (out as unknown as { isKnown: Promise<boolean> }).isKnown) ? await new Promise((resolve) => out.apply((x) => resolve(x))) : UNKNOWN;
    exports[k] = { value, secret };
  }
  // Wait until no registration is in flight (registrations can trigger more registrations).
  for (let size = -1; size !== pending.size; ) {
    size = pending.size;
    await Promise.allSettled([...pending]);
    await new Promise((r) => setImmediate(r));
  }
  if (!opts.preview && opts.prior && executeDynamic) {
    // Resources gone from the program are deleted like the engine does: in parallel, each only after every gone
    // resource that depends on it (without recorded dependencies: after everything created later).
    const gone = [...opts.prior.entries()].filter(([urn]) => !state.has(urn));
    const deleting: Record<string, Promise<void>> = {};
    const dependentsOf = (urn: string, i: number) =>
      gone.filter(([u, s], j) => u !== urn && (s.dependencies ? s.dependencies.includes(urn) : j > i)).map(([u]) => u);
    const remove = (urn: string): Promise<void> =>
      (deleting[urn] ??= (async () => {
        const i = gone.findIndex(([u]) => u === urn);
        await Promise.all(dependentsOf(urn, i).map(remove));
        const s = gone[i][1];
        const provider = await host.load(String(s.outs[PROVIDER_KEY]));
        if (provider.delete) await provider.delete(s.id, s.outs);
        operations.push({ urn, op: "delete" });
      })());
    const results = await Promise.allSettled(gone.map(([urn]) => remove(urn)));
    for (const r of results) if (r.status === "rejected") errors.push(r.reason);
  }
  if (errors.length > 0) {
    throw new Error(`engine: ${errors.length} resource operation(s) failed:\n${errors.map((e) => (e instanceof Error ? e.stack ?? e.message : String(e))).join("\n")}`);
  }
  return { registrations, operations, state, exports };
}
