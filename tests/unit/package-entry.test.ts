// The packed package, installed in another program's folder and loaded in a clean Node process: importing the
// package root declares nothing and reads no stack configuration, the public names are there, the entries named
// in package.json resolve, and the serialized provider references load the provider code of the installed package.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { buildAndPack, installPacked } from "../support/packed-package";

jest.setTimeout(300000);

let dir: string;
let tarball: string;
let files: string[];
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "pfha-consumer-"));
  tarball = buildAndPack(dir);
  files = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).trim().split("\n");
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "consumer", private: true, dependencies: { "pfsense-ha": `file:${path.basename(tarball)}` } }));
  installPacked(tarball, dir);
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs `script` with Node in the program's folder, without this project's environment; returns its stdout as JSON. */
function inConsumer(script: string): Record<string, unknown> {
  const env = { PATH: process.env.PATH ?? "", HOME: dir, PULUMI_CONFIG: JSON.stringify({ "pfsense-ha:cluster": "{}" }) };
  return JSON.parse(execFileSync(process.execPath, ["-e", script], { cwd: dir, env, encoding: "utf8" }));
}

test("the tarball holds the compiled library with declarations, the program entry and the provider references, no TypeScript sources but the contract", () => {
  expect(files).toEqual(
    expect.arrayContaining([
      "package/package.json",
      "package/dist/lib/index.js",
      "package/dist/lib/index.d.ts",
      "package/dist/components/PfSenseHaCluster.d.ts",
      "package/dist/components/outputs.js",
      "package/dist/providers/registry.js",
      "package/dist/providers/provider-refs.json",
      "package/dist/.built",
      "package/bin/load.js",
      "package/bin/program.js",
      "package/components/outputs.ts",
    ]),
  );
  expect(files.filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))).toEqual(["package/components/outputs.ts"]);
  // of the tests, only pfSense's factory config.xml (`pfsense-ha render` diffs against it by default) and the
  // README beside it saying where it comes from (npm always packs a folder's README)
  expect(files.filter((f) => /tsbuildinfo|^package\/tests\/|^package\/lab\//.test(f))).toEqual(["package/tests/fixtures/README.md", "package/tests/fixtures/pfsense-factory-config.xml"]);
});

test("require('pfsense-ha') in a clean process: the public names, no stack config read, nothing declared", () => {
  const out = inConsumer(`
    const cfg = require("@pulumi/pulumi/runtime/config");
    const reads = [];
    for (const f of ["getConfig", "allConfig"]) { const orig = cfg[f]; cfg[f] = (...a) => { reads.push(f); return orig(...a); }; }
    const rt = require("@pulumi/pulumi/runtime/resource"); const declared = [];
    const register = rt.registerResource; rt.registerResource = (res, parent, t, name, ...a) => { declared.push(t + "::" + name); return register(res, parent, t, name, ...a); };
    const fs = require("fs"); const readFileSync = fs.readFileSync; const files = [];
    // stack files and inventories (not the package's own modules, which Node reads with readFileSync too)
    fs.readFileSync = (p, ...a) => { if (/Pulumi\\.|inventory|hosts\\./.test(String(p)) && !/\\.js$/.test(String(p))) files.push(String(p)); return readFileSync(p, ...a); };
    const lib = require("pfsense-ha");
    const outputs = require("pfsense-ha/outputs");
    console.log(JSON.stringify({
      reads, files, declared,
      resolved: require.resolve("pfsense-ha"),
      names: Object.keys(lib).filter((k) => typeof lib[k] === "function").sort(),
      contract: [lib.CONTRACT_VERSION, outputs.CONTRACT_VERSION, outputs.readClusterOutputs === lib.readClusterOutputs],
    }));`);
  expect(out.reads).toEqual([]);
  expect(out.declared).toEqual([]);
  expect(out.files).toEqual([]);
  expect(out.resolved).toBe(path.join(fs.realpathSync(dir), "node_modules", "pfsense-ha", "dist", "lib", "index.js"));
  expect(out.names).toEqual(
    expect.arrayContaining(["PfSenseHaCluster", "CarpVip", "OvsBridge", "VxlanTunnel", "PfSenseNode", "HaSyncConfig", "OutboundNatRule", "readClusterOutputs", "parseClusterOutputs", "ConfigValidationError"]),
  );
  expect(out.contract).toEqual([1, 1, true]);
});

test("a serialized provider reference, loaded as the provider host loads it in the program's folder, runs the installed package's providers", () => {
  const out = inConsumer(`
    const requireFromString = require("require-from-string");
    const refs = require("pfsense-ha/package.json") && JSON.parse(require("fs").readFileSync(require.resolve("pfsense-ha/bin/load.js").replace(/bin.load\\.js$/, "dist/providers/provider-refs.json"), "utf8"));
    const provider = requireFromString(refs.carpVip).handler();
    provider.check({}, {}).then(
      (r) => done(r),
      (e) => done({ error: e.message }),
    );
    function done(r) {
      const loaded = Object.keys(require.cache).filter((f) => f.endsWith("registry.js")).map((f) => require("path").relative(process.cwd(), f));
      console.log(JSON.stringify({ loaded, checked: r !== undefined }));
    }`);
  expect(out.loaded).toEqual(["node_modules/pfsense-ha/dist/providers/registry.js"]);
  expect(out.checked).toBe(true);
});
