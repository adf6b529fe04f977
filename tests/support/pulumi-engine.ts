// A test engine that drives the REAL parts of a Pulumi deployment, for machines without the Pulumi CLI:
// - the program runs under Pulumi's Node language runtime, started as pulumi-language-nodejs starts it
//   (`node @pulumi/pulumi/cmd/run --monitor … --engine … --project … --stack … --pwd … [--dry-run] .`, PULUMI_CONFIG
//   as Go encodes it: object values as JSON with sorted keys, PULUMI_CONFIG_SECRET_KEYS), against this file's
//   ResourceMonitor + Engine gRPC server;
// - every dynamic resource runs in Pulumi's real dynamic-provider host (`node @pulumi/pulumi/cmd/dynamic-provider
//   ENGINE`, which prints its port), over gRPC, started while the program starts, configured once, stopped as the
//   engine stops plugins.
// The step logic follows the engine's sources (pkg/resource/deploy/step_generator.go, step_executor.go, step.go,
// source_eval.go, pkg/resource/plugin/provider_plugin.go): Check with the old inputs -> Diff -> Create/Update/Same;
// a replacement checks again without old inputs, then delete-before-replace or create-before-delete; deletes of
// resources gone from the program run after the program, scheduled as the engine schedules them (ScheduleDeletes:
// antichains of resources none of the others still to delete depends on, dependents first, each antichain run in
// parallel, the next one once it is done; a failure lets the steps already running finish and starts no more); the
// first failed step cancels the deployment (later registrations fail, no deletes run, the state keeps what was
// done); refresh is every Read at once (ExecuteParallel: empty id = gone) and a Diff with old and new swapped;
// destroy deletes everything in antichains as above. An `import`
// resource option (with no old resource adopted under that id) is an import step (step.go ImportStep.Apply): Read by
// the import id ("resource '<id>' does not exist" when the read finds nothing), the read inputs and outputs become the
// old state, then the usual Check with those olds and Diff: no change = the import only, changes = an update after
// the import, a replacement is refused ("previously-imported resources that still specify an ID may not be
// replaced", step_generator.go); `retainOnDelete` resources leave the state on delete without the provider's Delete. The host does
// not accept secrets (its Configure says so), so secrets are unwrapped before they go to it and the outputs of secret
// inputs (and additionalSecretOutputs) are secret again; unknowns reach Check/Diff in a preview only; a URN
// registered twice fails the deployment. A provider plugin this engine cannot run (Proxmox's) answers through a stand-in
// when the test gives one (`plugins`, e.g. tests/support/proxmox-standin.ts), behind the same calls; without one its
// resources can only be previewed.
import { spawn, type ChildProcess } from "child_process";
import * as crypto from "crypto";
import * as path from "path";
import * as readline from "readline";
import type * as grpcT from "@grpc/grpc-js";
import type { PluginStandIn } from "./proxmox-standin";

const ROOT = path.join(__dirname, "..", "..");
const PULUMI = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
const fromPulumi = (m: string) => require(require.resolve(m, { paths: [PULUMI] }));
/* eslint-disable @typescript-eslint/no-explicit-any -- generated protobuf stubs have no types we can import here */
const grpc = fromPulumi("@grpc/grpc-js") as typeof grpcT;
const structproto = fromPulumi("google-protobuf/google/protobuf/struct_pb");
const emptyproto = fromPulumi("google-protobuf/google/protobuf/empty_pb");
const resproto = require("@pulumi/pulumi/proto/resource_pb");
const resrpc = require("@pulumi/pulumi/proto/resource_grpc_pb");
const engrpc = require("@pulumi/pulumi/proto/engine_grpc_pb");
const engproto = require("@pulumi/pulumi/proto/engine_pb");
const provproto = require("@pulumi/pulumi/proto/provider_pb");
const provrpc = require("@pulumi/pulumi/proto/provider_grpc_pb");

export const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const STACK_TYPE = "pulumi:pulumi:Stack";
const DYNAMIC_PREFIX = "pulumi-nodejs:dynamic";

type Props = Record<string, unknown>;

/** One resource in the state (the checkpoint's `resources[]`), with secrets kept as a list of top-level keys. */
export interface StateResource {
  urn: string;
  type: string;
  custom: boolean;
  id?: string;
  parent?: string;
  dependencies: string[];
  inputs: Props;
  outputs: Props;
  secretKeys: string[];
  /** The import id it was adopted under (the `import` resource option); a later registration with the same id is
   * not imported again. */
  importId?: string;
  /** `retainOnDelete`: a delete (destroy, or gone from the program) drops it from the state without the provider's Delete. */
  retainOnDelete?: boolean;
}

/**
 * The engine's delete schedule (step_generator.go ScheduleDeletes, with graph.DependenciesOf): antichains, the first
 * to run first. A resource is deleted once nothing still to delete depends on it; what it depends on is its
 * `dependencies`, its parent and, for a component among its dependencies, every resource under that component.
 */
export function scheduleDeletes(condemned: StateResource[], all: StateResource[]): StateResource[][] {
  const children = new Map<string, StateResource[]>();
  for (const r of all) if (r.parent) children.set(r.parent, [...(children.get(r.parent) ?? []), r]);
  const under = (urn: string): string[] => (children.get(urn) ?? []).flatMap((c) => [c.urn, ...under(c.urn)]);
  const custom = new Map(all.map((r) => [r.urn, r.custom]));
  const dependenciesOf = (r: StateResource): Set<string> => new Set([
    ...r.dependencies.flatMap((d) => (custom.get(d) === false ? [d, ...under(d)] : [d])),
    ...(r.parent ? [r.parent] : []),
  ]);
  const left = new Set(condemned.map((r) => r.urn));
  const deps = new Map(condemned.map((r) => [r.urn, dependenciesOf(r)]));
  const backwards: StateResource[][] = [];
  while (left.size > 0) {
    const chain = condemned.filter((r) => left.has(r.urn) && ![...deps.get(r.urn)!].some((d) => d !== r.urn && left.has(d)));
    if (chain.length === 0) throw new Error(`a dependency cycle among ${[...left].join(", ")}`);
    for (const r of chain) left.delete(r.urn);
    backwards.push(chain);
  }
  return backwards.reverse();
}

export interface StackState {
  resources: StateResource[];
  /** Old resources of create-before-delete replacements whose delete has not run yet. */
  pendingDeletes: StateResource[];
  outputs: Props;
}

export const emptyState = (): StackState => ({ resources: [], pendingDeletes: [], outputs: {} });

export type StepOp = "create" | "update" | "same" | "replace" | "delete" | "import" | "read" | "refresh-drift" | "refresh-gone";

export interface RunResult {
  ok: boolean;
  /** The first failure (the deployment stopped there), or the program's error. */
  error?: string;
  steps: { urn: string; op: StepOp; detail?: string }[];
  state: StackState;
  logs: { severity: number; message: string; urn?: string }[];
  /** Wall time of the program's run process (start to exit), ms; 0 when no program ran. */
  programMs: number;
  /** CPU time (user + system) of the program's run process, ms. */
  programCpuMs: number;
  /** What the CLI shows of the run by default: the program's and the provider host's stdout and stderr, the engine
   * log messages from INFO up, and the error. */
  console: string;
}

export interface EngineOptions {
  project?: string;
  stack: string;
  /** Stack config as the CLI reads it from Pulumi.<stack>.yaml: "ns:key" -> value (objects as objects). */
  config: Record<string, unknown>;
  secretKeys?: string[];
  /** Extra environment for the program and the host (e.g. PFHA_LAB_ID). */
  env?: Record<string, string>;
  /** The program's directory (default: the project); its Pulumi.yaml gives the runtime options. */
  programDir?: string;
  /** Stand-ins of provider plugins this engine cannot run, by package (e.g. `proxmoxve`: tests/support/proxmox-standin.ts).
   * Without one, a plugin's resource can only be previewed (shown as a create, outputs unknown). */
  plugins?: Record<string, PluginStandIn>;
}

// --- property values: JS <-> wire -------------------------------------------------------------------------------

const isSecret = (v: unknown): v is { value: unknown } => typeof v === "object" && v !== null && (v as Props)[SECRET_SIG_KEY] === SECRET_SIG;

/** Unwraps secrets at any depth (what the engine sends to a provider that does not accept secrets). */
export function unwrap(v: unknown): unknown {
  if (isSecret(v)) return unwrap(v.value);
  if (Array.isArray(v)) return v.map(unwrap);
  if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrap(x)]));
  return v;
}
const containsSecret = (v: unknown): boolean =>
  isSecret(v) || (Array.isArray(v) ? v.some(containsSecret) : typeof v === "object" && v !== null && Object.values(v).some(containsSecret));
const hasUnknown = (v: unknown): boolean =>
  v === UNKNOWN || (Array.isArray(v) ? v.some(hasUnknown) : typeof v === "object" && v !== null && Object.values(v).some(hasUnknown));

function toStruct(v: Props): any {
  return structproto.Struct.fromJavaScript(v);
}
const fromStruct = (s: any): Props => (s ? (s.toJavaScript() as Props) : {});

/** Go's encoding/json for a config value: objects with sorted keys. */
function goJson(v: unknown): string {
  const sort = (x: unknown): unknown =>
    Array.isArray(x) ? x.map(sort) : typeof x === "object" && x !== null ? Object.fromEntries(Object.keys(x).sort().map((k) => [k, sort((x as Props)[k])])) : x;
  return JSON.stringify(sort(v));
}

function deepEqual(a: unknown, b: unknown): boolean {
  return goJson(a) === goJson(b);
}

/** What pulumi-language-nodejs makes of Pulumi.yaml's runtime options (typescript, tsconfig, nodeargs). */
function runtimeEnv(dir: string): Record<string, string> {
  const { parse } = require("yaml") as typeof import("yaml");
  const doc = parse(require("fs").readFileSync(path.join(dir, "Pulumi.yaml"), "utf8")) as { runtime?: { options?: Record<string, unknown> } };
  const o = doc.runtime?.options ?? {};
  const env: Record<string, string> = {};
  if (o.typescript !== undefined) env.PULUMI_NODEJS_TYPESCRIPT = String(o.typescript);
  if (typeof o.tsconfig === "string") env.PULUMI_NODEJS_TSCONFIG_PATH = o.tsconfig;
  if (typeof o.nodeargs === "string") env.NODE_OPTIONS = o.nodeargs;
  return env;
}

// --- the provider host (one per deployment, like the engine's plugin host) -------------------------------------

class ProviderHost {
  /** Everything the host printed (stdout after its port line, and stderr). */
  output = "";
  private constructor(private readonly proc: ChildProcess, readonly client: any) {}

  /** Started in the program's directory, as the CLI starts plugins (the provider references resolve pfsense-ha from there). */
  static async start(engineAddr: string, env: NodeJS.ProcessEnv, cwd: string): Promise<ProviderHost> {
    const proc = spawn(process.execPath, [path.join(PULUMI, "cmd", "dynamic-provider"), engineAddr], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    proc.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    const port = await new Promise<string>((resolve, reject) => {
      const rl = readline.createInterface({ input: proc.stdout! });
      rl.once("line", (l) => resolve(l.trim()));
      proc.once("exit", (code) => reject(new Error(`dynamic-provider host exited (${code}) before printing its port: ${stderr}`)));
    });
    const client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const host = new ProviderHost(proc, client);
    host.output = stderr;
    proc.stdout?.on("data", (d: Buffer) => (host.output += d.toString()));
    proc.stderr?.on("data", (d: Buffer) => (host.output += d.toString()));
    const req = new provproto.ConfigureRequest();
    req.setArgs(toStruct({}));
    req.setAcceptsecrets(true);
    req.setAcceptresources(true);
    const resp = await host.call("configure", req);
    if (resp.getAcceptsecrets()) throw new Error("the dynamic-provider host now accepts secrets: update the test engine");
    return host;
  }

  call(method: string, req: unknown): Promise<any> {
    return new Promise((resolve, reject) =>
      this.client[method](req, (err: Error | null, resp: any) => (err ? reject(new Error(`${method}: ${err.message.replace(/^\d+ [A-Z_]+: /, "")}`)) : resolve(resp))),
    );
  }

  /** As the engine stops a plugin: Cancel, close, SIGINT, SIGKILL after 5 s. */
  async stop(): Promise<void> {
    await this.call("cancel", new emptyproto.Empty()).catch(() => undefined);
    this.client.close();
    if (this.proc.exitCode !== null) return;
    const exited = new Promise<void>((r) => this.proc.once("exit", () => r()));
    this.proc.kill("SIGINT");
    const timer = setTimeout(() => this.proc.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  }
}

/** A provider plugin's stand-in behind the same calls as the host's gRPC client (requests and responses as protobuf). */
class StandInHost {
  constructor(private readonly p: PluginStandIn) {}

  async call(method: string, req: any): Promise<any> {
    const DiffChanges = provproto.DiffResponse.DiffChanges;
    switch (method) {
      case "check": {
        const r = new provproto.CheckResponse();
        r.setInputs(toStruct(this.p.check(fromStruct(req.getNews()))));
        return r;
      }
      case "diff": {
        const d = this.p.diff(fromStruct(req.getOlds()), fromStruct(req.getNews()));
        const r = new provproto.DiffResponse();
        r.setChanges(d.changes ? DiffChanges.DIFF_SOME : DiffChanges.DIFF_NONE);
        r.setReplacesList(d.replaces);
        return r;
      }
      case "create": {
        const c = await this.p.create(req.getType(), fromStruct(req.getProperties()));
        const r = new provproto.CreateResponse();
        r.setId(c.id);
        r.setProperties(toStruct(c.outputs));
        return r;
      }
      case "read": {
        const c = await this.p.read(req.getType(), req.getId(), fromStruct(req.getProperties()));
        const r = new provproto.ReadResponse();
        r.setId(c.id);
        r.setProperties(toStruct(c.outputs));
        if (c.inputs) r.setInputs(toStruct(c.inputs));
        return r;
      }
      case "update": {
        const r = new provproto.UpdateResponse();
        r.setProperties(toStruct(await this.p.update(req.getType(), req.getId(), fromStruct(req.getOlds()), fromStruct(req.getNews()))));
        return r;
      }
      case "delete":
        await this.p.delete(req.getType(), req.getId(), fromStruct(req.getProperties()));
        return new emptyproto.Empty();
    }
    throw new Error(`${method}: not a provider call of the stand-in`);
  }
}

// --- the engine ---------------------------------------------------------------------------------------------------

export class TestEngine {
  readonly project: string;
  state: StackState = emptyState();
  private readonly key = crypto.randomBytes(32);

  constructor(private readonly opts: EngineOptions) {
    this.project = opts.project ?? "pfsense-ha";
  }

  private env(): NodeJS.ProcessEnv {
    return { ...process.env, ...this.opts.env };
  }

  urnOf(type: string, name: string, parent?: string): string {
    let qualified = type;
    if (parent) {
      const parentType = parent.split("::")[2];
      if (parentType !== STACK_TYPE) qualified = `${parentType}$${type}`;
    }
    return `urn:pulumi:${this.opts.stack}::${this.project}::${qualified}::${name}`;
  }

  /** The alias URNs of a registration (the engine's generateAliases); `aliasOf`: new URN -> the old URN it took over. */
  private aliasUrns(name: string, type: string, parent: string | undefined, specs: any[], aliasOf: Map<string, string>): string[] {
    const out = new Set<string>();
    const nameOf = (u: string) => u.slice(u.lastIndexOf("::") + 2);
    const qualifiedTypeOf = (u: string) => u.split("::")[2];
    const collapse = (a: any): string => {
      if (a.getUrn()) return a.getUrn();
      const sp = a.getSpec();
      let p: string | undefined = sp.getParenturn() || parent;
      if (sp.getParenturn() && aliasOf.has(sp.getParenturn())) p = aliasOf.get(sp.getParenturn());
      if (sp.getNoparent() || (p && qualifiedTypeOf(p) === STACK_TYPE)) p = undefined;
      return this.urnOf(sp.getType() || type, sp.getName() || name, p);
    };
    const inherited = (childType: string, childName: string, parentName: string, parentAlias: string): string => {
      const aliasName = childName.startsWith(parentName) ? nameOf(parentAlias) + childName.slice(parentName.length) : childName;
      return `urn:pulumi:${this.opts.stack}::${this.project}::${qualifiedTypeOf(parentAlias)}$${childType}::${aliasName}`;
    };
    for (const a of specs) out.add(collapse(a));
    const parentAlias = parent ? aliasOf.get(parent) : undefined;
    if (parent && parentAlias) {
      out.add(inherited(type, name, nameOf(parent), parentAlias));
      for (const a of specs) {
        const c = collapse(a);
        const t = qualifiedTypeOf(c).split("$").pop() as string;
        out.add(inherited(t, nameOf(c), nameOf(parent), parentAlias));
      }
    }
    return [...out];
  }

  /** pulumi up (or preview with `preview: true`). */
  async up(o: { preview?: boolean; config?: Record<string, unknown> } = {}): Promise<RunResult> {
    return this.deploy(o.preview ?? false, o.config ?? this.opts.config);
  }

  async preview(config?: Record<string, unknown>): Promise<RunResult> {
    return this.up({ preview: true, config });
  }

  private async deploy(preview: boolean, config: Record<string, unknown>): Promise<RunResult> {
    const old = this.state;
    const oldByUrn = new Map(old.resources.map((r) => [r.urn, r]));
    const done: StateResource[] = [];
    const seen = new Set<string>();
    /** Old URNs taken over through an alias, and by which new URN. */
    const aliased = new Set<string>();
    const aliasOf = new Map<string, string>();
    const pendingDeletes = [...old.pendingDeletes];
    const steps: RunResult["steps"] = [];
    const logs: RunResult["logs"] = [];
    let failure: string | undefined;
    let root = "";
    let stackOutputs: Props = old.outputs;
    const fail = (e: unknown) => {
      failure ??= e instanceof Error ? e.message : String(e);
    };

    const { server, addr } = await this.serve({
      registerResource: async (req: any) => {
        const type: string = req.getType();
        const name: string = req.getName();
        const parent: string = req.getParent() || undefined;
        const custom: boolean = req.getCustom();
        const urn = this.urnOf(type, name, parent);
        if (failure) throw new Error(`canceled: the deployment stopped at an earlier failure`);
        if (seen.has(urn)) {
          fail(`Duplicate resource URN '${urn}'; try giving it a unique name`);
          throw new Error(failure);
        }
        seen.add(urn);
        // Aliases, as the engine's step generator resolves them (generateAliases, collapseAliasToUrn,
        // inheritedChildAlias): an old resource under one of them becomes this one instead of a create here and a
        // delete of the old URN; a child also inherits the old URN its parent was found under.
        let prior = oldByUrn.get(urn);
        if (!prior) {
          for (const a of this.aliasUrns(name, type, parent, req.getAliasesList(), aliasOf)) {
            const p = oldByUrn.get(a);
            if (p === undefined || seen.has(a)) continue;
            prior = p;
            seen.add(a);
            aliased.add(a);
            aliasOf.set(urn, a);
            break;
          }
        }
        const news = fromStruct(req.getObject());
        const dependencies: string[] = req.getDependenciesList();
        const additionalSecrets: string[] = req.getAdditionalsecretoutputsList();
        if (type === STACK_TYPE && !parent) root = urn;
        if (!custom) {
          const r: StateResource = { urn, type, custom, parent, dependencies, inputs: news, outputs: prior?.outputs ?? {}, secretKeys: [] };
          done.push(r);
          return this.registerResponse(urn, "", r.outputs, [], req.getAcceptsecrets());
        }
        try {
          if (!type.startsWith(DYNAMIC_PREFIX) && !this.opts.plugins?.[type.split(":")[0]]) {
            // A resource of a provider plugin (Proxmox's, a Go binary this engine cannot run): in a preview it is
            // shown as the engine shows a create, its inputs as they came and every output unknown.
            if (!preview || prior) throw new Error(`${urn}: the test engine runs dynamic resources only (no provider plugin for ${type})`);
            steps.push({ urn, op: "create", detail: "provider plugin not run" });
            const res: StateResource = { urn, type, custom, parent, dependencies, id: "", inputs: news, outputs: {}, secretKeys: [] };
            done.push(res);
            return this.registerResponse(urn, "", {}, [], req.getAcceptsecrets());
          }
          const secretKeys = [...new Set([...Object.keys(news).filter((k) => containsSecret(news[k])), ...additionalSecrets])];
          const importId: string = req.getImportid();
          const retainOnDelete = req.getRetainondelete() === true || undefined;
          // the engine's isImport: an import id, and no old resource already adopted under it
          let imported = false;
          if (importId && (!prior || (prior.importId ?? prior.id) !== importId)) {
            if (prior) throw new Error(`${urn}: the test engine does not import over an existing resource (import id ${importId})`);
            prior = { ...(await this.importOne(urn, type, importId)), parent, dependencies, secretKeys };
            steps.push({ urn, op: "import" });
            imported = true;
          }
          const r = await this.step(urn, type, unwrap(news) as Props, prior, preview, steps, pendingDeletes, imported);
          const res: StateResource = {
            urn, type, custom, parent, dependencies, id: r.id, inputs: r.inputs, outputs: r.outputs, secretKeys,
            ...(importId ? { importId } : {}), ...(retainOnDelete ? { retainOnDelete } : {}),
          };
          done.push(res);
          return this.registerResponse(urn, r.id, r.outputs, secretKeys, req.getAcceptsecrets());
        } catch (e) {
          fail(e);
          // an unchanged prior stays in the state (the engine keeps what it did not replace)
          throw e;
        }
      },
      registerResourceOutputs: (req: any) => {
        if (req.getUrn() === root) stackOutputs = fromStruct(req.getOutputs());
      },
      log: (req: any) => logs.push({ severity: req.getSeverity(), message: req.getMessage(), urn: req.getUrn() || undefined }),
      getRoot: () => root,
      setRoot: (urn: string) => (root = urn),
    });
    let programMs: number;
    let programCpuMs: number;
    let printed: string;
    try {
      // The host starts while the program does (the engine loads a provider plugin when the program registers the
      // provider's first resource, and the program goes on meanwhile); the first step waits for it.
      const t0 = Date.now();
      this.startHost(addr);
      const exit = await this.runProgram(addr, preview, config);
      printed = exit.stdout + exit.stderr;
      programMs = Date.now() - t0;
      programCpuMs = exit.cpuMs;
      if (exit.code !== 0 && !failure) {
        const errs = logs.filter((l) => l.severity >= 3).map((l) => l.message.trim());
        fail(`the program failed (exit ${exit.code}): ${errs.join("\n") || exit.stderr.trim()}`);
      }
      // Deletes only after a successful program run (never after a failure: the engine cancels).
      if (!failure && !preview) {
        const gone = [...pendingDeletes, ...old.resources.filter((r) => !seen.has(r.urn))];
        const deletes = await this.deleteAll(gone, [...old.resources, ...pendingDeletes]);
        for (const d of deletes.deleted) {
          steps.push({ urn: d.urn, op: "delete" });
          if (pendingDeletes.includes(d)) pendingDeletes.splice(pendingDeletes.indexOf(d), 1);
        }
        if (deletes.failure !== undefined) fail(new Error(deletes.failure));
      }
    } finally {
      await this.stopHost(server);
    }
    if (!preview) {
      const deleted = new Set(steps.filter((s) => s.op === "delete").map((s) => s.urn));
      const doneUrns = new Set(done.map((r) => r.urn));
      // after a failure the untouched old resources stay (in their order), after the ones done in this run
      const kept = old.resources.filter((r) => !doneUrns.has(r.urn) && !deleted.has(r.urn) && !aliased.has(r.urn));
      this.state = { resources: [...done, ...kept], pendingDeletes: pendingDeletes.filter((r) => !deleted.has(r.urn) || doneUrns.has(r.urn)), outputs: failure ? old.outputs : stackOutputs };
    }
    // the CLI shows the SDK's DEBUG messages only with --debug (they include every registered value, secrets too)
    const consoleText = [printed, this.hostOutput, ...logs.filter((l) => l.severity >= 1).map((l) => l.message), failure ?? ""].join("\n");
    return { ok: !failure, error: failure, steps, state: this.state, logs, programMs, programCpuMs, console: consoleText };
  }

  /** The provider host of the operation under way (started by startHost, stopped by stopHost). */
  private host?: Promise<ProviderHost>;
  private hostOutput = "";

  /** Who answers a resource type's provider calls: the dynamic-provider host, or a plugin's stand-in. */
  private async hostFor(type: string): Promise<Pick<ProviderHost, "call">> {
    if (type.startsWith(DYNAMIC_PREFIX)) return this.host!;
    const standIn = this.opts.plugins?.[type.split(":")[0]];
    if (!standIn) throw new Error(`the test engine runs dynamic resources only (no provider plugin for ${type})`);
    return new StandInHost(standIn);
  }

  private startHost(addr: string): Promise<ProviderHost> {
    this.host = ProviderHost.start(addr, this.env(), this.opts.programDir ?? ROOT);
    this.host.catch(() => undefined); // awaited by the first step that needs it; a failed start fails that step
    return this.host;
  }

  /** The end of every operation: the host stopped as the engine stops a plugin (its output kept), the server shut. */
  private async stopHost(server: grpcT.Server): Promise<void> {
    const host = await this.host?.catch(() => undefined);
    this.hostOutput = host?.output ?? "";
    await host?.stop();
    this.host = undefined;
    server.forceShutdown();
  }

  /** One custom resource: the engine's step generation and execution. */
  private async step(
    urn: string, type: string, news: Props, prior: StateResource | undefined, preview: boolean,
    steps: RunResult["steps"], pendingDeletes: StateResource[], imported = false,
  ): Promise<{ id: string; inputs: Props; outputs: Props }> {
    const host = await this.hostFor(type);
    const check = async (olds: Props): Promise<Props> => {
      const req = new provproto.CheckRequest();
      req.setUrn(urn); req.setName(urn.split("::").pop()); req.setType(type);
      req.setOlds(toStruct(olds)); req.setNews(toStruct(news)); req.setRandomseed(crypto.randomBytes(32));
      const resp = await host.call("check", req);
      const failures = resp.getFailuresList().map((f: any) => `${f.getProperty()}: ${f.getReason()}`);
      if (failures.length) throw new Error(`${urn}: check failed:\n  ${failures.join("\n  ")}`);
      return fromStruct(resp.getInputs());
    };
    const create = async (inputs: Props): Promise<{ id: string; outputs: Props }> => {
      if (preview) return { id: "", outputs: inputs }; // the host does not support provider previews: inputs as state
      const req = new provproto.CreateRequest();
      req.setUrn(urn); req.setName(urn.split("::").pop()); req.setType(type); req.setProperties(toStruct(inputs));
      const resp = await host.call("create", req);
      if (!resp.getId()) throw new Error(`${urn}: provider returned an empty id from Create`);
      return { id: resp.getId(), outputs: fromStruct(resp.getProperties()) };
    };

    const inputs = await check(prior?.inputs ?? {});
    if (!preview && hasUnknown(inputs)) throw new Error(`${urn}: unknown input value outside a preview`);
    if (!prior) {
      const c = await create(inputs);
      steps.push({ urn, op: "create" });
      return { id: c.id, inputs, outputs: c.outputs };
    }
    const dreq = new provproto.DiffRequest();
    dreq.setId(prior.id); dreq.setUrn(urn); dreq.setName(urn.split("::").pop()); dreq.setType(type);
    dreq.setOlds(toStruct(unwrap(prior.outputs) as Props)); dreq.setNews(toStruct(inputs)); dreq.setOldInputs(toStruct(unwrap(prior.inputs) as Props));
    const diff = await host.call("diff", dreq);
    const replaces: string[] = diff.getReplacesList();
    const DiffChanges = provproto.DiffResponse.DiffChanges;
    const changed = diff.getChanges() === DiffChanges.DIFF_SOME || replaces.length > 0 || (diff.getChanges() === DiffChanges.DIFF_UNKNOWN && !deepEqual(prior.inputs, inputs));
    if (!changed) {
      if (!imported) steps.push({ urn, op: "same" }); // an import without changes is the import step only
      return { id: prior.id!, inputs, outputs: prior.outputs };
    }
    if (replaces.length > 0 && imported) {
      const shown = (k: string) => `${k}: ${JSON.stringify(unwrap(prior.inputs[k]))} => ${JSON.stringify(inputs[k])}`;
      const message = `${urn}: previously-imported resources that still specify an ID may not be replaced; please remove the \`import\` declaration from your program;\n${replaces.map(shown).join("\n")}`;
      if (!preview) throw new Error(message);
      steps.push({ urn, op: "replace", detail: message }); // a warning in a preview
      return { id: prior.id!, inputs, outputs: inputs };
    }
    if (replaces.length > 0) {
      const fresh = await check({}); // a replacement is checked again without the old inputs
      if (diff.getDeletebeforereplace()) {
        if (!preview) await this.deleteOne(prior);
        const c = await create(fresh);
        steps.push({ urn, op: "replace", detail: `delete-before-replace: ${replaces.join(", ")}` });
        return { id: c.id, inputs: fresh, outputs: c.outputs };
      }
      const c = await create(fresh);
      if (!preview) pendingDeletes.push(prior);
      steps.push({ urn, op: "replace", detail: `create-before-delete: ${replaces.join(", ")}` });
      return { id: c.id, inputs: fresh, outputs: c.outputs };
    }
    steps.push({ urn, op: "update" });
    if (preview) return { id: prior.id!, inputs, outputs: inputs };
    const ureq = new provproto.UpdateRequest();
    ureq.setId(prior.id); ureq.setUrn(urn); ureq.setName(urn.split("::").pop()); ureq.setType(type);
    ureq.setOlds(toStruct(unwrap(prior.outputs) as Props)); ureq.setNews(toStruct(inputs)); ureq.setOldInputs(toStruct(unwrap(prior.inputs) as Props));
    const u = await host.call("update", ureq);
    return { id: prior.id!, inputs, outputs: fromStruct(u.getProperties()) };
  }

  /** The import step: Read by the import id, with no properties (step.go ImportStep.Apply). */
  private async importOne(urn: string, type: string, importId: string): Promise<Omit<StateResource, "parent" | "dependencies" | "secretKeys">> {
    const req = new provproto.ReadRequest();
    req.setId(importId); req.setUrn(urn); req.setName(urn.split("::").pop()); req.setType(type);
    const resp = await (await this.hostFor(type)).call("read", req);
    if (!resp.getId() || !resp.getProperties()) throw new Error(`${urn}: resource '${importId}' does not exist`);
    if (!resp.getInputs()) {
      throw new Error(`${urn}: provider does not support importing resources; please try updating the '${type.split(":")[0]}' plugin`);
    }
    return { urn, type, custom: true, id: resp.getId() || importId, inputs: fromStruct(resp.getInputs()), outputs: fromStruct(resp.getProperties()), importId };
  }

  /** `condemned` deleted antichain by antichain (scheduleDeletes), each antichain at once; after a failure the steps
   * already running finish and no more start. The deleted ones in the order they were deleted, and the first failure. */
  private async deleteAll(condemned: StateResource[], all: StateResource[]): Promise<{ deleted: StateResource[]; failure?: string }> {
    const deleted: StateResource[] = [];
    let failure: string | undefined;
    for (const chain of scheduleDeletes(condemned, all)) {
      await Promise.all(chain.map(async (r) => {
        try {
          if (r.custom && !r.retainOnDelete) await this.deleteOne(r);
          deleted.push(r);
        } catch (e) {
          failure ??= e instanceof Error ? e.message : String(e);
        }
      }));
      if (failure !== undefined) break;
    }
    return { deleted, failure };
  }

  private async deleteOne(r: StateResource): Promise<void> {
    const req = new provproto.DeleteRequest();
    req.setId(r.id); req.setUrn(r.urn); req.setName(r.urn.split("::").pop()); req.setType(r.type);
    req.setProperties(toStruct(unwrap(r.outputs) as Props)); req.setOldInputs(toStruct(unwrap(r.inputs) as Props));
    await (await this.hostFor(r.type)).call("delete", req);
  }

  /** pulumi refresh: Read every custom resource; empty id = gone; drift = Diff with old and new swapped. */
  async refresh(): Promise<RunResult> {
    const steps: RunResult["steps"] = [];
    const { server, addr } = await this.serve({});
    const next: StateResource[] = [];
    let failure: string | undefined;
    try {
      await this.startHost(addr);
      // Every Read at once, as the engine's refresh hands all its steps to the step executor in one antichain;
      // the state keeps its order, a resource whose Read failed stays as it was.
      const results = await Promise.all(this.state.resources.map(async (r): Promise<{ keep?: StateResource; step?: RunResult["steps"][number] }> => {
        if (!r.custom) return { keep: r };
        try {
          const req = new provproto.ReadRequest();
          req.setId(r.id); req.setUrn(r.urn); req.setName(r.urn.split("::").pop()); req.setType(r.type);
          req.setProperties(toStruct(unwrap(r.outputs) as Props)); req.setInputs(toStruct(unwrap(r.inputs) as Props));
          const host = await this.hostFor(r.type);
          const resp = await host.call("read", req);
          if (!resp.getId()) return { step: { urn: r.urn, op: "refresh-gone" } };
          const outputs = fromStruct(resp.getProperties());
          const inputs = resp.getInputs() ? fromStruct(resp.getInputs()) : r.inputs;
          const dreq = new provproto.DiffRequest();
          dreq.setId(resp.getId()); dreq.setUrn(r.urn); dreq.setName(r.urn.split("::").pop()); dreq.setType(r.type);
          // new inputs/outputs where the old are expected, the old inputs where the new are expected
          dreq.setOlds(toStruct(outputs)); dreq.setOldInputs(toStruct(unwrap(inputs) as Props)); dreq.setNews(toStruct(unwrap(r.inputs) as Props));
          const d = await host.call("diff", dreq);
          const drift = d.getChanges() === provproto.DiffResponse.DiffChanges.DIFF_SOME || d.getReplacesList().length > 0;
          return { keep: { ...r, id: resp.getId(), outputs, inputs }, step: { urn: r.urn, op: drift ? "refresh-drift" : "read" } };
        } catch (e) {
          failure ??= e instanceof Error ? e.message : String(e);
          return { keep: r };
        }
      }));
      next.push(...results.flatMap((x) => (x.keep ? [x.keep] : [])));
      for (const x of results) if (x.step) steps.push(x.step);
    } finally {
      await this.stopHost(server);
    }
    this.state = { ...this.state, resources: next };
    return { ok: !failure, error: failure, steps, state: this.state, logs: [], programMs: 0, programCpuMs: 0, console: `${this.hostOutput}\n${failure ?? ""}` };
  }

  /** pulumi destroy: every resource deleted, dependents first; stops at the first failure. */
  async destroy(): Promise<RunResult> {
    const steps: RunResult["steps"] = [];
    const { server, addr } = await this.serve({});
    let failure: string | undefined;
    const left = [...this.state.pendingDeletes, ...this.state.resources];
    try {
      await this.startHost(addr);
      const deletes = await this.deleteAll([...left], [...left]);
      for (const d of deletes.deleted) {
        steps.push({ urn: d.urn, op: "delete" });
        left.splice(left.indexOf(d), 1);
      }
      failure = deletes.failure;
    } finally {
      await this.stopHost(server);
    }
    this.state = { resources: left, pendingDeletes: [], outputs: left.length ? this.state.outputs : {} };
    return { ok: !failure, error: failure, steps, state: this.state, logs: [], programMs: 0, programCpuMs: 0, console: `${this.hostOutput}\n${failure ?? ""}` };
  }

  /** The checkpoint as the engine writes it: secret values as {sig, ciphertext}, everything else plain. */
  checkpoint(): string {
    const enc = (v: unknown) => {
      const iv = crypto.randomBytes(12);
      const c = crypto.createCipheriv("aes-256-gcm", this.key, iv);
      const ct = Buffer.concat([c.update(JSON.stringify(v)), c.final(), c.getAuthTag()]);
      return { [SECRET_SIG_KEY]: SECRET_SIG, ciphertext: `v1:${iv.toString("base64")}:${ct.toString("base64")}` };
    };
    const seal = (props: Props, keys: string[]) => Object.fromEntries(Object.entries(props).map(([k, v]) => [k, keys.includes(k) || containsSecret(v) ? enc(unwrap(v)) : v]));
    return JSON.stringify({
      version: 3,
      checkpoint: {
        stack: `organization/${this.project}/${this.opts.stack}`,
        latest: {
          resources: this.state.resources.map((r) => ({
            urn: r.urn, custom: r.custom, id: r.id, type: r.type, inputs: seal(r.inputs, r.secretKeys),
            // the stack's outputs are its root resource's outputs, secret ones encrypted
            outputs: r.type === STACK_TYPE ? seal(this.state.outputs, []) : seal(r.outputs, r.secretKeys),
            parent: r.parent, dependencies: r.dependencies,
          })),
        },
      },
    }, null, 4);
  }

  private registerResponse(urn: string, id: string, outputs: Props, secretKeys: string[], acceptSecrets: boolean): any {
    const resp = new resproto.RegisterResourceResponse();
    resp.setUrn(urn);
    resp.setId(id);
    const shown = Object.fromEntries(
      Object.entries(outputs).map(([k, v]) => [k, secretKeys.includes(k) && acceptSecrets ? { [SECRET_SIG_KEY]: SECRET_SIG, value: unwrap(v) } : v]),
    );
    resp.setObject(toStruct(shown));
    return resp;
  }

  private async runProgram(addr: string, preview: boolean, config: Record<string, unknown>): Promise<{ code: number; stdout: string; stderr: string; cpuMs: number }> {
    const dir = this.opts.programDir ?? ROOT;
    const args = [path.join(PULUMI, "cmd", "run"), "--monitor", addr, "--engine", addr, "--organization", "organization",
      "--project", this.project, "--stack", this.opts.stack, "--pwd", dir, "--root-directory", dir, "--parallel", "48"];
    if (preview) args.push("--dry-run");
    args.push(".");
    const encoded = Object.fromEntries(Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : goJson(v)]));
    const env = {
      ...this.env(),
      PULUMI_CONFIG: goJson(encoded),
      PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(this.opts.secretKeys ?? []),
      ...runtimeEnv(dir),
    };
    // Through bash only to read the program's CPU time (bash's `times`: children's user and system time), which says
    // more than wall time on a loaded machine.
    const script = `"$0" "$@"; rc=$?; times >&2; exit $rc`;
    const proc = spawn("bash", ["-c", script, process.execPath, ...args], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    let stdout = "";
    proc.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
    proc.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number>((r) => proc.once("exit", (c) => r(c ?? 1)));
    const t = stderr.trim().split("\n").pop()?.match(/^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/);
    const cpuMs = t ? Math.round((Number(t[1]) * 60 + Number(t[2]) + Number(t[3]) * 60 + Number(t[4])) * 1000) : 0;
    return { code, stdout, stderr, cpuMs };
  }

  private async serve(h: {
    registerResource?: (req: any) => Promise<any>;
    registerResourceOutputs?: (req: any) => void;
    log?: (req: any) => unknown;
    getRoot?: () => string;
    setRoot?: (urn: string) => void;
  }): Promise<{ server: grpcT.Server; addr: string }> {
    const server = new grpc.Server();
    const unary = (fn: (req: any) => unknown) => (call: any, cb: any) => {
      Promise.resolve()
        .then(() => fn(call.request))
        .then((r) => cb(null, r ?? new emptyproto.Empty()), (e) => cb({ code: grpc.status.UNKNOWN, details: e instanceof Error ? e.message : String(e) }));
    };
    server.addService(resrpc.ResourceMonitorService, {
      supportsFeature: unary((req) => {
        const r = new resproto.SupportsFeatureResponse();
        r.setHassupport(["secrets", "aliasSpecs"].includes(req.getId()));
        return r;
      }),
      registerResource: unary((req) => h.registerResource!(req)),
      // Void handlers answer Empty, as the engine does (any other value is not a message: the SDK's call fails).
      registerResourceOutputs: unary((req) => void h.registerResourceOutputs?.(req)),
      signalAndWaitForShutdown: unary(() => undefined),
      invoke: unary((req) => {
        throw new Error(`the test engine has no function ${req.getTok()}`);
      }),
      readResource: unary(() => {
        throw new Error("the test engine does not read resources");
      }),
    });
    let root = "";
    server.addService(engrpc.EngineService, {
      log: unary((req) => void h.log?.(req)),
      getRootResource: unary(() => {
        const r = new engproto.GetRootResourceResponse();
        r.setUrn(h.getRoot?.() ?? root);
        return r;
      }),
      setRootResource: unary((req) => {
        root = req.getUrn();
        h.setRoot?.(root);
        return new engproto.SetRootResourceResponse();
      }),
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    return { server, addr: `127.0.0.1:${port}` };
  }
}
