// Pulumi serializes a dynamic provider's closure: module-level Map/Set values come back as empty objects with the
// prototype (".get called on incompatible receiver"), Symbols are not captured, and an `export const` read inside its
// own module is undefined. This scan keeps such values out of every module a provider can reach.
import * as fs from "fs";
import * as path from "path";

const ROOT = path.join(__dirname, "..", "..");
const DIRS = ["providers", "config", "lab"];

function tsFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === ".state" || e.name === "pfsense-standin" ? [] : tsFiles(p);
    return e.name.endsWith(".ts") ? [p] : [];
  });
}

const files = DIRS.flatMap((d) => tsFiles(path.join(ROOT, d)));

describe("modules reachable from dynamic providers are closure-serialization safe", () => {
  it("finds the provider modules", () => {
    expect(files.some((f) => f.endsWith(path.join("pfsense", "codec-entities.ts")))).toBe(true);
  });
  it.each(files.map((f) => [path.relative(ROOT, f), f]))("%s has no module-level Map, Set or Symbol", (_rel, file) => {
    const offending = fs
      .readFileSync(file, "utf8")
      .split("\n")
      .map((line, i) => ({ line, n: i + 1 }))
      // top level = no indentation
      .filter(({ line }) => /^(export\s+)?(const|let|var)\s+\w+[^=]*=\s*(new\s+(Map|Set|WeakMap)\b|Symbol(\.for)?\()/.test(line));
    expect(offending.map(({ n, line }) => `${n}: ${line}`)).toEqual([]);
  });
});
