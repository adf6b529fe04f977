// bin/load.js, the loader of the program and the providers (Pulumi's runtime and the provider host run what it
// returns): the compiled module from dist/ when the build is newer than every TypeScript source of the program,
// else the TypeScript source through ts-node with a warning. Run in a child Node (not jest's module system) on a
// small project in a temp directory holding a copy of the loader.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { scratchDir } from "../support/scratch";

const ROOT = path.join(__dirname, "..", "..");

function project(): string {
  const dir = scratchDir("loader");
  fs.mkdirSync(path.join(dir, "bin"));
  fs.copyFileSync(path.join(ROOT, "bin", "load.js"), path.join(dir, "bin", "load.js"));
  fs.mkdirSync(path.join(dir, "providers"));
  fs.writeFileSync(path.join(dir, "providers", "registry.ts"), 'export const from: string = "sources";\n');
  fs.writeFileSync(path.join(dir, "index.ts"), "export {};\n");
  fs.writeFileSync(path.join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { module: "commonjs", target: "ES2022" } }));
  return dir;
}

function build(dir: string, at: Date): void {
  fs.mkdirSync(path.join(dir, "dist", "providers"), { recursive: true });
  fs.writeFileSync(path.join(dir, "dist", "providers", "registry.js"), 'exports.from = "dist";\n');
  fs.writeFileSync(path.join(dir, "dist", ".built"), "");
  fs.utimesSync(path.join(dir, "dist", ".built"), at, at);
}

function setMtime(file: string, at: Date): void {
  fs.utimesSync(file, at, at);
}

/** Loads providers/registry with the copied loader; returns what it exported and the loader's stderr. */
function load(dir: string): { from: string; stderr: string } {
  const script = 'process.stdout.write(require("./bin/load.js").load("providers/registry").from)';
  const out = path.join(dir, "stderr.txt");
  const fd = fs.openSync(out, "w");
  try {
    const from = execFileSync(process.execPath, ["-e", script], {
      cwd: dir,
      env: { ...process.env, NODE_PATH: path.join(ROOT, "node_modules") },
      stdio: ["ignore", "pipe", fd],
    }).toString();
    return { from, stderr: fs.readFileSync(out, "utf8") };
  } finally {
    fs.closeSync(fd);
  }
}

const OLD = new Date("2026-01-01T00:00:00Z");
const NEW = new Date("2026-01-02T00:00:00Z");

test("a build newer than every source: the compiled module, no warning", () => {
  const dir = project();
  for (const f of ["index.ts", "providers/registry.ts"]) setMtime(path.join(dir, f), OLD);
  build(dir, NEW);
  expect(load(dir)).toEqual({ from: "dist", stderr: "" });
});

test("a source edited after the build: the source through ts-node, and a warning naming the file and the fix", () => {
  const dir = project();
  setMtime(path.join(dir, "index.ts"), OLD);
  build(dir, OLD);
  setMtime(path.join(dir, "providers", "registry.ts"), NEW);
  const r = load(dir);
  expect(r.from).toBe("sources");
  expect(r.stderr).toBe(
    "pfsense-ha: providers/registry.ts is newer than dist/; running the TypeScript sources through ts-node (slow). Run `npm run build` to start fast.\n",
  );
});

test("no build at all: the sources through ts-node, and a warning saying dist/ is missing", () => {
  const dir = project();
  const r = load(dir);
  expect(r.from).toBe("sources");
  expect(r.stderr).toBe("pfsense-ha: dist/ is missing; running the TypeScript sources through ts-node (slow). Run `npm run build` to start fast.\n");
});
