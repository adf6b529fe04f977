// Pulumi.yaml and every Pulumi.<stack>.yaml (examples included) read the way the Pulumi CLI reads them: Go's
// gopkg.in/yaml.v3 (a checker built offline from Debian's golang-go + golang-gopkg-yaml.v3-dev), then Pulumi.yaml
// against Pulumi's own project schema (sdk/go/common/workspace/project.json of the engine sources, JSON Schema 2020-12).
// Also: the dev stack's host inventory follows PFHA_LAB_ID.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import Ajv2020 from "ajv/dist/2020";
import { validateValues } from "../../config/load";
import { scratchDir } from "../support/scratch";

const ROOT = path.join(__dirname, "..", "..");
const SCHEMA = path.join(ROOT, "..", "shared", "upstream", "pulumi-engine", "sdk", "go", "common", "workspace", "project.json");
jest.setTimeout(120000);

function stackFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory() && !["node_modules", ".git", "dist", ".pulumi-local", ".state"].includes(e.name)) walk(path.join(dir, e.name));
      else if (e.isFile() && /^Pulumi(\..+)?\.yaml$/.test(e.name)) out.push(path.relative(ROOT, path.join(dir, e.name)));
    }
  };
  walk(ROOT);
  return out.sort();
}

let checker = "";
beforeAll(() => {
  checker = path.join(scratchDir("yamlcheck"), "yamlcheck");
  execFileSync("go", ["build", "-o", checker, "main.go"], {
    cwd: path.join(__dirname, "..", "support", "yaml-check"),
    env: { ...process.env, GO111MODULE: "off", GOPATH: "/usr/share/gocode", GOFLAGS: "", GOCACHE: path.join(path.dirname(checker), "cache") },
    stdio: "pipe",
  });
});

function goYaml(files: string[]): Record<string, { document?: unknown; error?: string }> {
  return JSON.parse(execFileSync(checker, files, { cwd: ROOT, encoding: "utf8" })) as Record<string, { document?: unknown; error?: string }>;
}

test("the project's stack files are the ones checked here", () => {
  expect(stackFiles()).toEqual(["Pulumi.dev.yaml", "Pulumi.prod.example.yaml", "Pulumi.yaml", "examples/library-stack/Pulumi.yaml", "examples/workload-stack/Pulumi.yaml", "tests/fixtures/engine-program/Pulumi.yaml"]);
});

test("the checker is yaml.v3: it refuses what the CLI refused (an unquoted description with `key: {…}` in it)", () => {
  const bad = path.join(path.dirname(checker), "Pulumi.yaml");
  fs.writeFileSync(bad, "name: x\nconfig:\n  a:\n    description: hosts written as `ssh: {lab: NAME}` take it\n");
  expect(goYaml([bad])[bad].error).toBe("yaml: line 4: mapping values are not allowed in this context");
});

test("every Pulumi*.yaml parses with gopkg.in/yaml.v3", () => {
  const files = stackFiles();
  const r = goYaml(files);
  for (const f of files) expect({ file: f, error: r[f].error }).toEqual({ file: f, error: undefined });
});

test.each(["Pulumi.yaml", "examples/library-stack/Pulumi.yaml", "examples/workload-stack/Pulumi.yaml"])("%s is valid against Pulumi's project schema", (file) => {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const validate = ajv.compile(JSON.parse(fs.readFileSync(SCHEMA, "utf8")) as object);
  const doc = goYaml([file])[file].document;
  validate(doc);
  expect(validate.errors ?? []).toEqual([]);
});

test("the schema check is real: a config type the CLI does not know, and an empty name are refused", () => {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  const validate = ajv.compile(JSON.parse(fs.readFileSync(SCHEMA, "utf8")) as object);
  expect(validate({ name: "x", runtime: "nodejs", config: { cluster: { type: "float" } } })).toBe(false);
  expect(validate({ name: "", runtime: "nodejs" })).toBe(false);
  expect(validate({ name: "x", runtime: "nodejs", config: { cluster: { type: "string" } } })).toBe(true);
});

test("Pulumi.yaml as the CLI sees it: the secret keys, and the inventory keys' defaults", () => {
  const doc = goYaml(["Pulumi.yaml"])["Pulumi.yaml"].document as { name: string; config: Record<string, Record<string, unknown>> };
  expect(doc.name).toBe("pfsense-ha");
  expect(Object.keys(doc.config).sort()).toEqual(["carpPassword", "inventory", "labInventory", "xmlrpcPassword"]);
  expect([doc.config.carpPassword.secret, doc.config.xmlrpcPassword.secret, doc.config.inventory.default, doc.config.labInventory.default]).toEqual([true, true, "", ""]);
});

describe("the dev stack follows PFHA_LAB_ID", () => {
  const saved = process.env.PFHA_LAB_ID;
  afterEach(() => (saved === undefined ? delete process.env.PFHA_LAB_ID : (process.env.PFHA_LAB_ID = saved)));
  const dev = () => (goYaml(["Pulumi.dev.yaml"])["Pulumi.dev.yaml"].document as { config: Record<string, unknown> }).config;

  test("the inventory path names the instance as ${PFHA_LAB_ID:-0}; every host is an inventory host", () => {
    const c = dev();
    expect(c["pfsense-ha:inventory"]).toBe("lab/.state/lab${PFHA_LAB_ID:-0}/hosts.json");
    const cluster = c["pfsense-ha:cluster"] as { proxmox: { nodes: { ssh: unknown }[] }; firewalls: Record<string, { ssh: unknown }> };
    expect([...cluster.proxmox.nodes.map((n) => n.ssh), cluster.firewalls.primary.ssh, cluster.firewalls.secondary.ssh]).toEqual([
      { inventory: "pve1" },
      { inventory: "pve2" },
      { inventory: "fw1" },
      { inventory: "fw2" },
    ]);
  });

  test.each([["14", "lab/.state/lab14/hosts.json"], [undefined, "lab/.state/lab0/hosts.json"]])("PFHA_LAB_ID=%s reads %s", (id, file) => {
    if (id === undefined) delete process.env.PFHA_LAB_ID;
    else process.env.PFHA_LAB_ID = id;
    const dir = scratchDir("devlab");
    const r = validateValues(dev(), dir, { allowMissingSecrets: true });
    expect(r.problems).toEqual([
      {
        key: "pfsense-ha:inventory",
        value: path.join(dir, file),
        message: "the host inventory does not exist",
        fix: "correct pfsense-ha:inventory (a path relative to the project directory), or create the file (the lab writes lab/.state/labN/hosts.json when it comes up: `PFHA_LAB_ID=N npm run lab -- up`)",
      },
    ]);
  });

  test("validates against a hosts.json as the lab writes it", () => {
    process.env.PFHA_LAB_ID = "14";
    const dir = scratchDir("devlab");
    fs.mkdirSync(path.join(dir, "lab", ".state", "lab14"), { recursive: true });
    const fp = (c: string) => `SHA256:${c.repeat(43)}`;
    const key = "/lab/.state/lab14/id_ed25519";
    fs.writeFileSync(
      path.join(dir, "lab", ".state", "lab14", "hosts.json"),
      JSON.stringify({
        hosts: {
          pve1: { host: "10.250.14.11", port: 22, username: "root", hostKeySha256: fp("a"), privateKeyPath: key, underlayAddress: "10.250.15.11" },
          pve2: { host: "10.250.14.12", port: 22, username: "root", hostKeySha256: fp("b"), privateKeyPath: key, underlayAddress: "10.250.15.12" },
          fw1: { host: "10.250.14.21", port: 22, username: "root", hostKeySha256: fp("c"), privateKeyPath: key },
          fw2: { host: "10.250.14.22", port: 22, username: "root", hostKeySha256: fp("d"), privateKeyPath: key },
        },
      }),
    );
    const r = validateValues(dev(), dir, { allowMissingSecrets: true });
    expect(r.problems).toEqual([]);
    expect(r.config?.proxmox.nodes.map((n) => [n.name, n.underlayAddress, n.ssh.host])).toEqual([
      ["pve1", "10.250.15.11", "10.250.14.11"],
      ["pve2", "10.250.15.12", "10.250.14.12"],
    ]);
    expect(r.config?.firewalls.secondary.ssh).toEqual({ host: "10.250.14.22", port: 22, username: "root", hostKeySha256: fp("d"), privateKeyPath: key });
  });
});
