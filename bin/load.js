// Loads a module of the program (`index`, `providers/registry`) from its compiled JavaScript in dist/ (`npm run
// build`; scripts/main.sh, scripts/test.sh and the engine bench run it), so that neither the Pulumi language runtime
// nor the provider host compiles TypeScript at start. When dist/ is missing or older than a TypeScript source, the
// sources run through ts-node (transpile-only) instead, with a warning: slower, never stale code.
"use strict";
const fs = require("fs");
const path = require("path");

const ROOT = path.join(__dirname, "..");
const DIST = path.join(ROOT, "dist");
/** Written by `npm run build` after tsc has emitted everything (tsc leaves unchanged outputs untouched). */
const STAMP = path.join(DIST, ".built");
/** The program's sources (what tsconfig.build.json compiles). */
const SOURCES = ["index.ts", "lib", "config", "providers", "components", "cli"];

/** The first TypeScript source newer than the last build, or "" when dist/ is up to date. */
function newerSource(builtMs) {
  const walk = (p) => {
    const st = fs.statSync(p, { throwIfNoEntry: false });
    if (st === undefined) return "";
    if (st.isDirectory()) {
      for (const e of fs.readdirSync(p)) {
        const hit = walk(path.join(p, e));
        if (hit) return hit;
      }
      return "";
    }
    return p.endsWith(".ts") && st.mtimeMs > builtMs ? p : "";
  };
  for (const s of SOURCES) {
    const hit = walk(path.join(ROOT, s));
    if (hit) return hit;
  }
  return "";
}

let mode; // "dist" | "ts"
function chooseMode() {
  if (mode !== undefined) return mode;
  const stamp = fs.statSync(STAMP, { throwIfNoEntry: false });
  const stale = stamp === undefined ? "dist/ is missing" : newerSource(stamp.mtimeMs);
  if (!stale) return (mode = "dist");
  const why = stamp === undefined ? stale : `${path.relative(ROOT, stale)} is newer than dist/`;
  process.stderr.write(`pfsense-ha: ${why}; running the TypeScript sources through ts-node (slow). Run \`npm run build\` to start fast.\n`);
  require("ts-node").register({ transpileOnly: true, project: path.join(ROOT, "tsconfig.json") });
  return (mode = "ts");
}

/** `name`: a module path relative to the project root without extension, e.g. "providers/registry". */
exports.load = function load(name) {
  return require(path.join(chooseMode() === "dist" ? DIST : ROOT, name));
};
