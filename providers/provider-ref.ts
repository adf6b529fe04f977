// What each dynamic resource stores as its `__provider`: a reference, not the implementation. Pulumi's closure
// serializer would otherwise capture the whole module graph of the provider (about 220 KB per resource, written to
// the state after every step). At call time the reference loads providers/registry of the pfsense-ha package that the
// project directory (where Pulumi starts the provider host) resolves: the package installed in the program's
// node_modules, or this project itself when it runs its own stack (a package resolves its own name through its
// `exports`). It loads it through that package's bin/load.js: the compiled JavaScript in dist/ (`npm run build`), or
// the sources through ts-node when dist/ is missing or stale. So read and delete of existing resources run the
// provider code installed now, not the code of the run that created them; state written by older code must stay
// readable (the `stateVersion` fields).
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "./pulumi-sdk";
import type { ProviderName } from "./registry";

type Method = (...args: unknown[]) => Promise<never>;

// One reference object per provider: the SDK caches a provider's serialized text by object, so the closure
// serializer (it parses the function's source) runs once per provider, not once per resource.
// (Plain objects, not Maps, at module level: see tests/unit/serialization-safety.test.ts.)
const refs: Partial<Record<ProviderName, pulumi.dynamic.ResourceProvider>> = {};

export function providerRef(name: ProviderName): pulumi.dynamic.ResourceProvider {
  return (refs[name] ??= makeRef(name));
}

function makeRef(name: ProviderName): pulumi.dynamic.ResourceProvider {
  const impl = (): Record<string, Method> => {
    const path = require("path") as typeof import("path");
    const { createRequire } = require("module") as typeof import("module");
    let loader: string;
    try {
      loader = createRequire(path.join(process.cwd(), "package.json")).resolve("pfsense-ha/bin/load.js");
    } catch {
      loader = path.join(process.cwd(), "bin", "load.js"); // a project directory without package.json
    }
    const mod = require(loader).load("providers/registry") as { PROVIDERS: Record<string, Record<string, Method>> };
    const p = mod.PROVIDERS[name];
    if (p === undefined) throw new Error(`pfsense-ha: no provider ${name} in ${loader} (state written by another version of pfsense-ha?)`);
    return p;
  };
  return {
    check: (olds, news) => impl().check(olds, news),
    diff: (id, olds, news) => impl().diff(id, olds, news),
    create: (inputs) => impl().create(inputs),
    read: (id, props) => impl().read(id, props),
    update: (id, olds, news) => impl().update(id, olds, news),
    delete: (id, props) => impl().delete(id, props),
  };
}

/** Where `npm run build` (bin/build-refs.js) stores each reference as the SDK's closure serializer writes it. */
const BUILT_REFS = path.join(__dirname, "provider-refs.json");
let built: Record<string, string> | null | undefined;
const serialized: Partial<Record<ProviderName, pulumi.Input<string>>> = {};

/**
 * The `__provider` text of a provider's reference: the one the build serialized when the program runs from dist/,
 * else serialized now, the way `pulumi.dynamic.Resource` does it (`serializeFunction(() => provider, …)`).
 */
export function serializedRef(name: ProviderName): pulumi.Input<string> {
  if (built === undefined) built = fs.existsSync(BUILT_REFS) ? (JSON.parse(fs.readFileSync(BUILT_REFS, "utf8")) as Record<string, string>) : null;
  let text = serialized[name] ?? built?.[name];
  if (text === undefined) {
    const { serializeFunction } = require("@pulumi/pulumi/runtime") as typeof import("@pulumi/pulumi/runtime");
    const provider = providerRef(name);
    text = pulumi.output(serializeFunction(() => provider, { allowSecrets: true }).then((sf) => sf.text));
  }
  return (serialized[name] = text);
}

/**
 * A dynamic resource of one of our providers: what `new pulumi.dynamic.Resource(providerRef(provider), name, props,
 * opts, module)` registers (type `pulumi-nodejs:dynamic/<module>:Resource`, the inputs plus `__provider`), with
 * the reference serialized once per provider (at build time when the program runs from dist/).
 */
export abstract class ProviderRefResource extends pulumi.CustomResource {
  constructor(provider: ProviderName, name: string, props: pulumi.Inputs, opts: pulumi.CustomResourceOptions | undefined, module: string) {
    if ("__provider" in props) throw new Error("A dynamic resource must not define the __provider key");
    super(`pulumi-nodejs:dynamic/${module}:Resource`, name, { ...props, __provider: serializedRef(provider) }, opts);
  }
}
