// The Pulumi program's entry (package.json "main"; Pulumi.yaml runs it as plain JavaScript): the compiled
// index.ts from dist/, or the sources through ts-node when dist/ is missing or stale (bin/load.js).
//
// Pulumi's Node runtime registers source-map-support before it loads a program (for programs run from TypeScript).
// dist/ has no source maps (tsconfig.build.json), so that mapping would only rewrite the SDK's own frames, and the SDK
// formats a stack for every resource and every promise it tracks: on the dev stack that was about 1.2 s of the
// program's 3.2 s of CPU per run (docs/benchmarks.md). V8's own stack format is restored here; the stacks and source
// positions of the program's own code are the same either way. ts-node (the fallback on stale sources) installs its
// own mapping after this line.
Error.prepareStackTrace = undefined;
module.exports = require("./load").load("index");
