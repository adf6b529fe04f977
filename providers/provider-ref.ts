// What each dynamic resource stores as its `__provider`: a reference, not the implementation. Pulumi's closure
// serializer would otherwise capture the whole module graph of the provider (about 220 KB per resource, written to
// the state after every step). The reference loads providers/registry from the project directory (Pulumi starts
// the provider host there) at call time, through bin/load.js: the compiled JavaScript in dist/ (`npm run build`),
// or the sources through ts-node when dist/ is missing or stale. So read and delete of existing resources run the
// provider code installed now, not the code of the run that created them; state written by older code must stay readable (the `stateVersion` fields).
import type * as pulumi from "@pulumi/pulumi";
import type { ProviderName } from "./registry";

type Method = (...args: unknown[]) => Promise<never>;

// One reference object per provider: the SDK caches a provider's serialized text by object, so the closure
// serializer (it parses the function's source) runs once per provider, not once per resource.
const refs = new Map<ProviderName, pulumi.dynamic.ResourceProvider>();

export function providerRef(name: ProviderName): pulumi.dynamic.ResourceProvider {
  let ref = refs.get(name);
  if (ref === undefined) refs.set(name, (ref = makeRef(name)));
  return ref;
}

function makeRef(name: ProviderName): pulumi.dynamic.ResourceProvider {
  const impl = (): Record<string, Method> => {
    const path = require("path") as typeof import("path");
    const loader = path.join(process.cwd(), "bin", "load.js");
    const mod = require(loader).load("providers/registry") as { PROVIDERS: Record<string, Record<string, Method>> };
    const p = mod.PROVIDERS[name];
    if (p === undefined) throw new Error(`pfsense-ha: no provider ${name} in ${process.cwd()}/providers/registry (state written by another version of pfsense-ha?)`);
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
