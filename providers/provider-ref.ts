// What each dynamic resource stores as its `__provider`: a reference, not the implementation. Pulumi's closure
// serializer would otherwise capture the whole module graph of the provider (about 220 KB per resource, written to
// the state after every step). The reference loads providers/registry from the project directory (Pulumi starts
// the provider host there) at call time: from compiled JavaScript when present, else through ts-node
// (transpile-only). So read and delete of existing resources run the provider code installed now, not the code of
// the run that created them; state written by older code must stay readable (the `stateVersion` fields).
import type * as pulumi from "@pulumi/pulumi";
import type { ProviderName } from "./registry";

type Method = (...args: unknown[]) => Promise<never>;

export function providerRef(name: ProviderName): pulumi.dynamic.ResourceProvider {
  const impl = (): Record<string, Method> => {
    const path = require("path") as typeof import("path");
    const base = path.join(process.cwd(), "providers", "registry");
    let mod: { PROVIDERS: Record<string, Record<string, Method>> };
    try {
      mod = require(base);
    } catch (e) {
      if ((e as { code?: string }).code !== "MODULE_NOT_FOUND" || !String((e as Error).message).includes(base)) throw e;
      require("ts-node").register({ transpileOnly: true, project: path.join(process.cwd(), "tsconfig.json") });
      mod = require(base);
    }
    const p = mod.PROVIDERS[name];
    if (p === undefined) throw new Error(`pfsense-ha: no provider ${name} in ${base} (state written by another version of pfsense-ha?)`);
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
