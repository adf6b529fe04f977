#!/usr/bin/env node
// CLI entry: runs the compiled CLI in dist/ (`npm run build`), or the TypeScript sources through ts-node when dist/
// is missing or older than a source (bin/load.js says so on stderr).
require("./load").load("cli/main").main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(2);
  },
);
