// The verify/drill/render command lines, offline: argument errors and invalid stacks stop before any host is
// touched (exit 2), and `render` prints the diff of a seed topology with its secrets masked.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { parseStackArgs, secondsFlag } from "../../cli/start";
import { TOPOLOGY_DIR } from "../fixtures/topologies";

const ROOT = path.join(__dirname, "..", "..");
const BIN = path.join(ROOT, "bin", "pfsense-ha.js");
const STACK = path.join(TOPOLOGY_DIR, "wan-lan-sync.yaml");

function run(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: "utf8", timeout: 60000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("argument parsing: stack or file, flags with values, errors naming the flag", () => {
  const spec = { booleans: ["json"], values: ["window"] };
  expect(parseStackArgs(["--stack", "prod", "--json", "--window=3"], spec, "/p", {})).toEqual({ file: "/p/Pulumi.prod.yaml", stack: "prod", flags: { json: true, window: "3" } });
  expect(parseStackArgs(["--file", "x.yaml"], spec, "/p", {})).toEqual({ file: "/p/x.yaml", flags: {} });
  expect(parseStackArgs([], spec, "/p", { PULUMI_STACK: "stage" })).toMatchObject({ stack: "stage" });
  expect(parseStackArgs(["--bogus"], spec, "/p", {})).toEqual({ error: 'unknown option "--bogus"' });
  expect(parseStackArgs(["--window"], spec, "/p", {})).toEqual({ error: "--window needs a value" });
  expect(parseStackArgs(["--stack", "a", "--file", "b"], spec, "/p", {})).toEqual({ error: "give either --stack or --file, not both" });
  expect(parseStackArgs(["--stack="], spec, "/p", {})).toEqual({ error: "--stack needs a value" });
  expect(parseStackArgs(["prod"], spec, "/p", {})).toEqual({ error: 'unknown option "prod"' });
  expect(parseStackArgs(["--json=yes"], spec, "/p", {})).toEqual({ error: 'unknown option "--json=yes"' });
  expect(parseStackArgs(["--bogus=1", "--help"], spec, "/p", {})).toEqual({ error: 'unknown option "--bogus=1"' });
  expect(parseStackArgs(["-h", "--bogus"], spec, "/p", {})).toEqual({ help: true });
  expect(parseStackArgs(["--window", "-1"], spec, "/p", {})).toEqual({ file: "/p/Pulumi.dev.yaml", stack: "dev", flags: { window: "-1" } });
  expect(secondsFlag({ window: "abc" }, "window", 2, 30)).toEqual({ error: '--window "abc" is invalid: use whole seconds from 0 to 30' });
  expect(secondsFlag({ threshold: "2.5" }, "threshold", 5, 600, true)).toBe(2.5);
  expect(secondsFlag({}, "threshold", 5, 600, true)).toBe(5);
});

test("render of a seed topology: one diff per firewall, secrets masked, exit 0", () => {
  const r = run(["render", "--file", STACK]);
  expect(r.code).toBe(0);
  expect(r.stdout.match(/^--- fw[12]\/pfsense-factory-config\.xml$/gm)).toEqual(["--- fw1/pfsense-factory-config.xml", "--- fw2/pfsense-factory-config.xml"]);
  expect(r.stdout).toContain("+\t\t\t<vhid>2</vhid>");
  const secrets = YAML.parse(fs.readFileSync(STACK, "utf8")).config as Record<string, unknown>;
  for (const k of ["pfsense-ha:carpPassword", "pfsense-ha:xmlrpcPassword"]) expect(r.stdout + r.stderr).not.toContain(String(secrets[k]));
  expect(r.stderr).toMatch(/fw1 \(primary\): \d+ element change\(s\) \(passwords not compared/);
});

test("render --role and --against: only that firewall, against the given file", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pfha-render-"));
  const first = run(["render", "--file", STACK, "--role", "secondary"]);
  expect(first.stdout).not.toContain("--- fw1/");
  // the factory config with the planned changes applied: nothing left to render
  const factory = fs.readFileSync(path.join(ROOT, "tests", "fixtures", "pfsense-factory-config.xml"), "utf8");
  fs.writeFileSync(path.join(dir, "factory.xml"), factory);
  const r = run(["render", "--file", STACK, "--role", "secondary", "--against", path.join(dir, "factory.xml")]);
  expect(r.code).toBe(0);
  // each render stamps new rules with its own clock (created/updated, as pfSense's save code does)
  const unstamped = (t: string): string => t.replace(/<time>\d+<\/time>/g, "<time>T</time>");
  expect(unstamped(r.stdout.replace("factory.xml", "pfsense-factory-config.xml"))).toBe(unstamped(first.stdout));
  fs.rmSync(dir, { recursive: true, force: true });
});

test("usage and configuration errors exit 2 before any host is touched", () => {
  expect(run(["verify", "--window", "abc", "--file", STACK])).toMatchObject({ code: 2, stderr: expect.stringContaining('--window "abc" is invalid') });
  expect(run(["drill", "--threshold", "-1", "--file", STACK])).toMatchObject({ code: 2 });
  expect(run(["render", "--role", "tertiary", "--file", STACK])).toMatchObject({ code: 2, stderr: expect.stringContaining("use primary or secondary") });
  expect(run(["render", "--live", "--against", "x", "--file", STACK]).code).toBe(2);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pfha-verify-cli-"));
  const bad = path.join(dir, "Pulumi.bad.yaml");
  fs.writeFileSync(bad, fs.readFileSync(STACK, "utf8").replace("vhid: 2", "vhid: 0"));
  const r = run(["verify", "--file", bad]);
  expect(r.code).toBe(2);
  expect(r.stderr).toMatch(/vhid/);
  fs.rmSync(dir, { recursive: true, force: true });
  expect(run(["verify", "--help"])).toMatchObject({ code: 0, stdout: expect.stringContaining("exactly one MASTER") });
});

test("an unknown flag: every command names it, prints its usage and exits 2", () => {
  for (const command of ["validate", "verify", "drill", "render", "bootstrap"]) {
    const r = run([command, "--frobnicate", "--file", STACK]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.split("\n").slice(0, 3)).toEqual([`pfsense-ha ${command}: unknown option "--frobnicate"`, "", expect.stringMatching(`^usage: pfsense-ha ${command} `)]);
  }
});
