// `pfsense-ha validate` as a user runs it: a real process (node bin/pfsense-ha.js), real files, exit codes and output.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as YAML from "yaml";
import { TOPOLOGY_DIR, setIn, topologyValues } from "../fixtures/topologies";

const ROOT = path.join(__dirname, "..", "..");
const BIN = path.join(ROOT, "bin", "pfsense-ha.js");

function run(args: string[], cwd = ROOT): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: "utf8", timeout: 60000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "pfha-cli-"));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function writeStack(name: string, values: Record<string, unknown>): string {
  const file = path.join(dir, `Pulumi.${name}.yaml`);
  fs.writeFileSync(file, YAML.stringify({ config: values }));
  return file;
}

describe("pfsense-ha validate", () => {
  it("exits 0 with a one-line summary for a valid stack file", () => {
    const r = run(["validate", "--file", path.join(TOPOLOGY_DIR, "wan-lan-sync.yaml")]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      "cluster edge: 2 firewalls (fw1 primary on pve1, fw2 secondary on pve2), networks wan/lan/sync, 2 VIPs, " +
        "VXLAN keys 1001,1002 over 2 Proxmox nodes, sync on sync, DHCP failover on lan\n",
    );
  });

  it("exits 1 and prints every problem, one per line, with key, value and fix", () => {
    const v = topologyValues("wan-lan-sync");
    setIn(v, "networks.lan.vip.vhid", 256);
    setIn(v, "nat.sources", ["any"]);
    delete v["pfsense-ha:carpPassword"];
    const r = run(["validate", "--file", writeStack("bad", v)]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    const lines = r.stderr.trim().split("\n");
    expect(lines[0]).toMatch(/Pulumi\.bad\.yaml: 3 problems:$/);
    expect(lines.slice(1)).toEqual([
      expect.stringMatching(/^ {2}- pfsense-ha:cluster\.networks\.lan\.vip\.vhid: .* \(got 256\)\. Fix: /),
      expect.stringMatching(/^ {2}- pfsense-ha:cluster\.nat\.sources\[0\]: .* \(got "any"\)\. Fix: /),
      "  - pfsense-ha:carpPassword: is missing: every CARP VIP needs a password (pfSense refuses a CARP VIP without one) (got (missing)). " +
        "Fix: run `pulumi config set --secret pfsense-ha:carpPassword <value> --stack bad`",
    ]);
  });

  it("--stack NAME reads Pulumi.NAME.yaml from the current directory and never prints secret values", () => {
    const v = topologyValues("two-nic");
    v["pfsense-ha:xmlrpcPassword"] = "TopSecret-xmlrpc-9";
    v["pfsense-ha:carpPasswrd"] = "TopSecret-carp-7";
    writeStack("typo", v);
    const r = run(["validate", "--stack", "typo"], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('pfsense-ha:carpPasswrd: is not a known configuration key (got "carpPasswrd"). Fix: did you mean "carpPassword"?');
    expect(r.stderr + r.stdout).not.toMatch(/TopSecret/);
  });

  it("--allow-missing-secrets accepts a stack whose secrets are not generated yet", () => {
    const v = topologyValues("two-nic");
    delete v["pfsense-ha:carpPassword"];
    delete v["pfsense-ha:xmlrpcPassword"];
    const file = writeStack("nosecrets", v);
    expect(run(["validate", "--file", file]).code).toBe(1);
    const r = run(["validate", "--file", file, "--allow-missing-secrets"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^cluster edge2: /);
  });

  it("reports a missing stack file, bad YAML and usage errors", () => {
    const missing = run(["validate", "--stack", "nosuchstack"], dir);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/Pulumi\.nosuchstack\.yaml: cannot read the stack file/);

    const bad = path.join(dir, "Pulumi.broken.yaml");
    fs.writeFileSync(bad, "config:\n  pfsense-ha:cluster: [\n");
    const broken = run(["validate", "--file", bad]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/is not valid YAML/);

    const usage = run(["validate", "--stack", "a", "--file", "b"]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/give either --stack or --file, not both/);
    expect(run(["frobnicate"]).code).toBe(2);
    expect(run(["--help"]).stdout).toMatch(/^usage: pfsense-ha <command>/);
  });
});
