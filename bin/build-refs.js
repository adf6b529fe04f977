// Part of `npm run build`: serializes each provider's reference (dist/providers/provider-ref.js) with the SDK's
// closure serializer, exactly as `pulumi.dynamic.Resource` does it (`serializeFunction(() => provider, { allowSecrets:
// true })`), into dist/providers/provider-refs.json. The program then stores these texts as `__provider` without
// loading the serializer (and the TypeScript compiler it parses functions with) at every start.
"use strict";
const fs = require("fs");
const path = require("path");
const { serializeFunction } = require("@pulumi/pulumi/runtime/closure/serializeClosure");

const dist = path.join(__dirname, "..", "dist", "providers");
const { providerRef } = require(path.join(dist, "provider-ref.js"));
const { PROVIDERS } = require(path.join(dist, "registry.js"));

async function main() {
  const refs = {};
  for (const name of Object.keys(PROVIDERS)) {
    const provider = providerRef(name);
    const sf = await serializeFunction(() => provider, { allowSecrets: true });
    if (sf.containsSecrets) throw new Error(`build: the reference of provider ${name} captures a secret`);
    refs[name] = sf.text;
  }
  // Rewritten only when it changed, and then by a rename: a lab test may be loading it while the unit tests rebuild
  // (scripts/test.sh runs both at once), and it must read either the old file or the new one, whole.
  const file = path.join(dist, "provider-refs.json");
  const text = JSON.stringify(refs, null, 1) + "\n";
  if (fs.existsSync(file) && fs.readFileSync(file, "utf8") === text) return;
  fs.writeFileSync(`${file}.tmp-${process.pid}`, text);
  fs.renameSync(`${file}.tmp-${process.pid}`, file);
}
main().catch((e) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
