// Secrets audit of the whole program on the lab, through the real parts of a deployment: index.ts run by Pulumi's
// Node language runtime and every dynamic resource by Pulumi's dynamic-provider host (tests/support/pulumi-engine.ts),
// with distinctive CARP/XMLRPC passwords and the lab client key's CONTENT as pfsense-ha:sshPrivateKey (the key file
// path in the inventory copy points nowhere, so every SSH login proves the key travelled as the secret). Then none
// of those values may appear in: the checkpoint as the engine writes it (plaintext for everything not marked secret,
// __provider included), the stack outputs, what the runs printed (up, failed update, destroy: the program's and the
// provider host's output and every engine log message), any file under the lab hosts' /var/log, /cf/conf (except
// pfSense's config.xml and its backups, where pfSense stores the passwords by design) and /etc/network afterwards,
// nor the error of a forced failure (an injected apply failure, a refused SSH key).
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { TestEngine, unwrap, type RunResult } from "../support/pulumi-engine";
import { reseedFirewalls } from "../support/pfsense-lab";
import { expectOk } from "../support/engine-topology";
import { loadInventory, labExec, type LabInventory } from "../../lab/inventory";

jest.setTimeout(1200000);
const LAB_ID = Number(process.env.PFHA_LAB_ID ?? 0);
const ROOT = path.join(__dirname, "..", "..");
const CARP = "audit-CARP-7f3q9Zx1";
const XMLRPC = "audit-XMLRPC-k2W8pL0m";
const HOSTS = ["pve1", "pve2", "fw1", "fw2"];
const SCANNED_DIRS = ["/var/log", "/cf/conf", "/etc/network"];
/** Where pfSense itself keeps the CARP/XMLRPC passwords: config.xml and its history copies. */
const BY_DESIGN = /^\/cf\/conf\/(config\.xml|backup\/[^/]+\.xml)$/;
const SECRET_KEYS = ["pfsense-ha:carpPassword", "pfsense-ha:xmlrpcPassword", "pfsense-ha:sshPrivateKey"];

/** Which of `secrets` occur in `text` (as written, and JSON-escaped: a key's newlines are \n in a JSON file). */
function leakedSecrets(text: string, secrets: Record<string, string>): string[] {
  return Object.entries(secrets)
    .filter(([, s]) => text.includes(s) || text.includes(JSON.stringify(s).slice(1, -1)))
    .map(([name]) => name);
}

describe("secrets stay secret: state, outputs, logs, host files, errors", () => {
  let inv: LabInventory;
  let tmp: string;
  let key: string;
  let secrets: Record<string, string>;
  let config: Record<string, unknown>;
  let engine: TestEngine;
  let first: RunResult;
  let destroyed = false;

  function stackConfig(sshKey: string, inventoryPath: string, cluster?: (c: Record<string, unknown>) => void): Record<string, unknown> {
    const doc = parse(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
    const c = doc.config["pfsense-ha:cluster"] as Record<string, unknown>;
    cluster?.(c);
    return {
      ...doc.config,
      "pfsense-ha:labInventory": inventoryPath,
      "pfsense-ha:carpPassword": CARP,
      "pfsense-ha:xmlrpcPassword": XMLRPC,
      "pfsense-ha:sshPrivateKey": sshKey,
    };
  }

  const newEngine = (cfg: Record<string, unknown>) => new TestEngine({ stack: "dev", config: cfg, secretKeys: SECRET_KEYS, env: { PFHA_LAB_ID: String(LAB_ID) } });

  async function sh(host: string, script: string, stdin?: string): Promise<string> {
    const r = await labExec(inv, host, script, { stdin });
    if (r.code !== 0) throw new Error(`${host}: ${script}: exit ${r.code}: ${r.stderr}`);
    return r.stdout;
  }

  /** Files under the scanned directories of every host that contain any secret value (grep -F, one per line). */
  async function filesWithSecrets(): Promise<string[]> {
    const patterns = Object.values(secrets).flatMap((s) => s.split("\n")).filter((l) => l.length > 0).join("\n") + "\n";
    const hits: string[] = [];
    for (const h of HOSTS) {
      // grep exits 1 when nothing matches; 2 = a real error (an unreadable file) fails the test.
      const out = await sh(h, `grep -rlF -f - ${SCANNED_DIRS.filter((d) => h.startsWith("fw") || d !== "/cf/conf").join(" ")}; [ $? -le 1 ]`, patterns);
      hits.push(...out.split("\n").filter(Boolean).map((f) => `${h}:${f}`));
    }
    return hits;
  }

  beforeAll(async () => {
    inv = loadInventory(LAB_ID);
    key = fs.readFileSync(inv.clientKeyPath, "utf8");
    const body = key.split("\n").filter((l) => l !== "" && !l.startsWith("-----"));
    // Line 1 of an OpenSSH key is the same in every unencrypted key (the "openssh-key-v1" header): not secret.
    secrets = { carpPassword: CARP, xmlrpcPassword: XMLRPC, sshPrivateKey: key };
    body.slice(1).forEach((l, i) => (secrets[`sshKeyBodyLine${i + 2}`] = l));
    // An inventory whose key file does not exist: only the secret key content can log in.
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "pfha-secrets-"));
    const doc = JSON.parse(fs.readFileSync(path.join(inv.stateDir, "inventory.json"), "utf8")) as Record<string, unknown>;
    fs.writeFileSync(path.join(tmp, "inventory.json"), JSON.stringify({ ...doc, clientKeyPath: path.join(tmp, "no-such-key") }));
    config = stackConfig(key, path.join(tmp, "inventory.json"));
    await reseedFirewalls(inv);
    engine = newEngine(config);
    first = await engine.up();
  });

  afterAll(async () => {
    if (inv) {
      await sh("fw1", "rm -rf /tmp/pfha-lab-fail").catch(() => undefined);
      // Leave the lab as found: destroy what the first run built.
      if (engine && !destroyed) await engine.destroy();
    }
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test("the run succeeds, and every secret reached the resources (so the checks below can fail)", () => {
    expectOk(first);
    const everythingPlain = JSON.stringify(engine.state.resources.map((r) => unwrap(r.inputs)));
    expect(leakedSecrets(everythingPlain, secrets).sort()).toEqual(Object.keys(secrets).sort());
  });

  test("the checkpoint as the engine writes it (plaintext __provider included) holds no secret", () => {
    const checkpoint = JSON.parse(engine.checkpoint()) as { checkpoint: { latest: { resources: { urn: string; type: string; inputs: Record<string, unknown>; outputs: Record<string, unknown> }[] } } };
    const resources = checkpoint.checkpoint.latest.resources;
    const dynamic = resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic"));
    expect(dynamic).toHaveLength(38);
    expect(dynamic.every((r) => typeof r.inputs.__provider === "string" && typeof r.outputs.__provider === "string")).toBe(true);
    for (const r of resources) expect({ urn: r.urn, leaks: leakedSecrets(JSON.stringify(r), secrets) }).toEqual({ urn: r.urn, leaks: [] });
    // the secrets are there, encrypted
    expect(JSON.stringify(resources)).toContain('"ciphertext"');
  });

  test("no provider closure captured a secret Output (the SDK would have marked __provider secret)", () => {
    expect(engine.state.resources.filter((r) => r.secretKeys.includes("__provider")).map((r) => r.urn)).toEqual([]);
  });

  test("stack outputs hold no secret", () => {
    expect(Object.keys(engine.state.outputs).length).toBeGreaterThan(0);
    expect(leakedSecrets(JSON.stringify(unwrap(engine.state.outputs)), secrets)).toEqual([]);
  });

  test("what the run printed holds no secret", () => {
    expect(first.console.length).toBeGreaterThan(0);
    expect(leakedSecrets(first.console, secrets)).toEqual([]);
  });

  test("a forced apply failure on fw1: the error names it and holds no secret; no secret lands in logs", async () => {
    // the kernel refuses once, in pfSense's VIP apply (interface_vip_bring_down() of the renamed VIP)
    await sh("fw1", "mkdir -p /tmp/pfha-lab-fail && echo once > /tmp/pfha-lab-fail/pfSense_interface_deladdress");
    const renamed = stackConfig(key, path.join(tmp, "inventory.json"), (c) => {
      const lan = (c.networks as Record<string, { vip: { description?: string } }>).lan;
      lan.vip.description = "audit renamed";
    });
    let failed: RunResult;
    try {
      failed = await engine.up({ config: renamed });
    } finally {
      await sh("fw1", "rm -rf /tmp/pfha-lab-fail");
    }
    expect(failed.ok).toBe(false);
    expect(failed.error).toMatch(/injected failure in pfSense_interface_deladdress\(\)/);
    expect(leakedSecrets(failed.error ?? "", secrets)).toEqual([]);
    expect(leakedSecrets(failed.console, secrets)).toEqual([]);
  });

  test("an SSH key the hosts refuse: the error names the login failure and holds neither key", async () => {
    const other = path.join(tmp, "refused");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "", "-f", other]);
    const refusedKey = fs.readFileSync(other, "utf8");
    const refusedBody = refusedKey.split("\n").filter((l) => l !== "" && !l.startsWith("-----")).slice(1);
    // a stack with no state: every resource is created, so every one logs in
    const failed = await newEngine(stackConfig(refusedKey, path.join(tmp, "inventory.json"))).up();
    expect(failed.ok).toBe(false);
    expect(failed.error).toMatch(/authentication failed \(server refused the configured private key/);
    const text = `${failed.error ?? ""}\n${failed.console}`;
    expect(leakedSecrets(text, secrets)).toEqual([]);
    expect(leakedSecrets(text, Object.fromEntries(refusedBody.map((l, i) => [`refusedKeyLine${i + 2}`, l])))).toEqual([]);
  });

  test("destroy (every delete through the stored providers) succeeds without a secret in what it printed", async () => {
    const before = engine.state.resources.length;
    const gone = await engine.destroy();
    destroyed = gone.ok;
    expectOk(gone);
    expect(gone.steps.filter((s) => s.op === "delete")).toHaveLength(before);
    expect(leakedSecrets(gone.console, secrets)).toEqual([]);
  });

  test("after destroy, no file under /var/log, /cf/conf (but config.xml history) or /etc/network of any host holds a secret", async () => {
    const hits = await filesWithSecrets();
    // the scan works: pfSense's config history keeps the passwords by design (the revisions written by the run)
    expect(hits.some((h) => /^fw1:\/cf\/conf\/backup\/config-\d+\.xml$/.test(h))).toBe(true);
    // destroy took every password out of the live config.xml
    expect(hits.filter((h) => h.endsWith(":/cf/conf/config.xml"))).toEqual([]);
    expect(hits.filter((h) => !BY_DESIGN.test(h.slice(h.indexOf(":") + 1)))).toEqual([]);
  });
});
