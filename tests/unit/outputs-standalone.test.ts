// The output contract (components/outputs.ts) is one file a consumer can copy into its own program: it imports
// nothing at run time, and it compiles and runs alone, next to nothing but @pulumi/pulumi's types.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as ts from "typescript";

const ROOT = path.join(__dirname, "..", "..");
const SOURCE = path.join(ROOT, "components", "outputs.ts");

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "pfha-outputs-"));
  fs.copyFileSync(SOURCE, path.join(dir, "outputs.ts"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test("its only import is a type-only import of @pulumi/pulumi (erased when compiled)", () => {
  const sf = ts.createSourceFile("outputs.ts", fs.readFileSync(SOURCE, "utf8"), ts.ScriptTarget.ES2022, true);
  const imports = sf.statements
    .filter(ts.isImportDeclaration)
    .map((d) => ({ from: (d.moduleSpecifier as ts.StringLiteral).text, typeOnly: d.importClause?.isTypeOnly === true }));
  expect(imports).toEqual([{ from: "@pulumi/pulumi", typeOnly: true }]);
  const js = ts.transpileModule(fs.readFileSync(SOURCE, "utf8"), { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 } }).outputText;
  expect(js).not.toMatch(/require\(/);
});

test("copied alone into an empty folder, it runs: parses a contract and reads one from a stack reference", () => {
  const js = ts.transpileModule(fs.readFileSync(path.join(dir, "outputs.ts"), "utf8"), {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  fs.writeFileSync(path.join(dir, "outputs.js"), js);
  const script = `
    const o = require("./outputs.js");
    const raw = { contractVersion: 1, gateway: "192.168.1.1", vips: { lan: { address: "192.168.1.1", prefix: 24, vhid: 2 } },
      nodes: [{ name: "fw1", role: "primary", addresses: { lan: "192.168.1.2" }, vmId: null, proxmoxNode: null }],
      networks: { lan: { bridge: "vmbr1", subnet: "192.168.1.0/24" } }, vxlan: {}, extra: "ignored" };
    const ref = { outputs: { apply: (f) => f(raw) } };
    let bad;
    try { o.parseClusterOutputs({ ...raw, contractVersion: 2 }); } catch (e) { bad = e.message; }
    console.log(JSON.stringify({ version: o.CONTRACT_VERSION, names: o.CONTRACT_OUTPUT_NAMES, read: o.readClusterOutputs(ref), bad }));`;
  // A clean process in the temporary folder: no NODE_PATH, no node_modules to fall back on.
  const out = execFileSync(process.execPath, ["-e", script], { cwd: dir, env: { PATH: process.env.PATH ?? "" }, encoding: "utf8" });
  expect(JSON.parse(out)).toEqual({
    version: 1,
    names: ["contractVersion", "gateway", "vips", "nodes", "networks", "vxlan"],
    read: {
      contractVersion: 1,
      gateway: "192.168.1.1",
      vips: { lan: { address: "192.168.1.1", prefix: 24, vhid: 2 } },
      nodes: [{ name: "fw1", role: "primary", addresses: { lan: "192.168.1.2" }, vmId: null, proxmoxNode: null }],
      networks: { lan: { bridge: "vmbr1", subnet: "192.168.1.0/24" } },
      vxlan: {},
    },
    bad: expect.stringMatching(/^cluster outputs: contractVersion is 2, expected 1\./),
  });
});

test("copied alone, it type-checks (strict) with nothing but @pulumi/pulumi installed", () => {
  fs.mkdirSync(path.join(dir, "node_modules", "@pulumi"), { recursive: true });
  fs.symlinkSync(path.join(ROOT, "node_modules", "@pulumi", "pulumi"), path.join(dir, "node_modules", "@pulumi", "pulumi"));
  const program = ts.createProgram([path.join(dir, "outputs.ts")], {
    strict: true,
    noEmit: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    types: [],
    skipLibCheck: true,
  });
  const diags = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
  expect(diags).toEqual([]);
  // only the copied file and @pulumi/pulumi's declarations were read (nothing of the project)
  const own = program.getSourceFiles().map((f) => f.fileName).filter((f) => !f.includes("/node_modules/") && !f.includes("/typescript/lib/"));
  expect(own).toEqual([path.join(dir, "outputs.ts")]);
});
