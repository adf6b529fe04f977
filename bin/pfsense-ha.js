#!/usr/bin/env node
// CLI entry: runs the TypeScript sources directly (transpile-only; `npm run typecheck` type-checks).
require("ts-node").register({ transpileOnly: true, project: require("path").join(__dirname, "..", "tsconfig.json") });
require("../cli/main.ts").main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(2);
  },
);
