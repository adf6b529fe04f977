// Secrets audit of the whole program on the lab: index.ts with Pulumi.dev.yaml runs under the engine harness with
// distinctive CARP/XMLRPC passwords and the lab client key's CONTENT as pfsense-ha:sshPrivateKey (the key file path
// in the inventory copy points nowhere, so every SSH login proves the key travelled as the secret). Then none of
// those values may appear in: the checkpoint as the real engine would write it (plaintext for everything not marked
// secret, __provider included), the stack outputs, the console output of the runs (up, failed update, destroy), any
// file under the lab hosts' /var/log, /cf/conf (except pfSense's config.xml and its backups, where pfSense stores
// the passwords by design) and /etc/network afterwards, nor the error of a forced failure (an injected apply
// failure, a refused SSH key).
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import type { EngineRun } from "../support/engine";
import { checkpointOf, leakedSecrets, type SecretOutputOptions } from "../support/checkpoint";
import { loadInventory, labExec, type LabInventory } from "../../lab/inventory";
import { reseedFirewall } from "../support/pfsense-lab";

jest.setTimeout(600000);
const LAB_ID = Number(process.env.PFHA_LAB_ID ?? 0);
const ROOT = path.join(__dirname, "..", "..");
const CARP = "audit-CARP-7f3q9Zx1";
const XMLRPC = "audit-XMLRPC-k2W8pL0m";
const HOSTS = ["pve1", "pve2", "fw1", "fw2"];
const SCANNED_DIRS = ["/var/log", "/cf/conf", "/etc/network"];
/** Where pfSense itself keeps the CARP/XMLRPC passwords: config.xml and its history copies. */
const BY_DESIGN = /^\/cf\/conf\/(config\.xml|backup\/[^/]+\.xml)$/;

/** Node's own process object: Module._load bypasses jest's module registry, which hands tests a sandbox copy. */
const REAL_PROCESS = (require("module") as { _load(name: string): NodeJS.Process })._load("process");

interface RunResult {
  run?: EngineRun;
  error?: Error;
  secretOutputs: SecretOutputOptions;
  /** Everything the run wrote to the console, and the text of unhandled rejections. */
  console: string;
}

describe("secrets stay secret: state, outputs, logs, host files, errors", () => {
  let inv: LabInventory;
  let tmp: string;
  let key: string;
  let secrets: Record<string, string>;
  let config: Record<string, string>;
  let first: RunResult;
  let destroyed = false;

  function stackConfig(sshKey: string, inventoryPath: string, cluster?: (c: Record<string, unknown>) => void): Record<string, string> {
    const doc = parse(fs.readFileSync(path.join(ROOT, "Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
    const c = doc.config["pfsense-ha:cluster"] as Record<string, unknown>;
    cluster?.(c);
    return {
      ...Object.fromEntries(Object.entries(doc.config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])),
      "pfsense-ha:labInventory": inventoryPath,
      "pfsense-ha:carpPassword": CARP,
      "pfsense-ha:xmlrpcPassword": XMLRPC,
      "pfsense-ha:sshPrivateKey": sshKey,
    };
  }

  async function up(cfg: Record<string, string>, opts: { prior?: EngineRun["state"]; empty?: boolean } = {}): Promise<RunResult> {
    const out: RunResult = { secretOutputs: {}, console: "" };
    const seen: string[] = [];
    const spies = (["log", "info", "warn", "error", "debug"] as const).map((m) =>
      jest.spyOn(console, m).mockImplementation((...args: unknown[]) => {
        seen.push(args.map((a) => (typeof a === "string" ? a : a instanceof Error ? `${a.message}\n${a.stack ?? ""}` : JSON.stringify(a))).join(" "));
      }),
    );
    // A failed resource also rejects the SDK's output promises of everything that depends on it, unhandled: keep
    // their text (it is checked for secrets too) instead of letting them fail whichever test runs next.
    const onRejection = (reason: unknown) => seen.push(reason instanceof Error ? `${reason.message}\n${reason.stack ?? ""}` : String(reason));
    // Jest's listener sits on the real process (the test's `process` is a sandbox copy) and would fail the current
    // test with them: set aside for the run, restored after, as jest-circus itself does around a test file.
    const real = REAL_PROCESS;
    const jestListeners = real.rawListeners("unhandledRejection") as ((...a: unknown[]) => void)[];
    real.removeAllListeners("unhandledRejection");
    real.on("unhandledRejection", onRejection);
    try {
      await jest.isolateModulesAsync(async () => {
        const { runUnderEngine } = require("../support/engine") as typeof import("../support/engine");
        const { recordSecretOutputOptions } = require("../support/checkpoint") as typeof import("../support/checkpoint");
        try {
          out.run = await runUnderEngine({
            program: () => {
              out.secretOutputs = recordSecretOutputOptions();
              return opts.empty ? {} : require("../../index");
            },
            project: "pfsense-ha",
            stack: "dev",
            config: cfg,
            secretConfigKeys: ["pfsense-ha:carpPassword", "pfsense-ha:xmlrpcPassword", "pfsense-ha:sshPrivateKey"],
            prior: opts.prior,
          });
        } catch (e) {
          out.error = e instanceof Error ? e : new Error(String(e));
        } finally {
          const ssh = require("../../providers/ssh") as typeof import("../../providers/ssh");
          await ssh.closeAllHosts();
        }
      });
      await new Promise((r) => setTimeout(r, 100)); // let the SDK's last rejections surface
    } finally {
      real.off("unhandledRejection", onRejection);
      for (const l of jestListeners) real.on("unhandledRejection", l);
      for (const s of spies) s.mockRestore();
    }
    out.console = seen.join("\n");
    return out;
  }

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
    for (const h of ["fw1", "fw2"]) {
      await reseedFirewall(inv, h, h === "fw1" ? "fw2" : "fw1");
    }
    first = await up(config);
  });

  afterAll(async () => {
    if (inv) {
      await sh("fw1", "rm -rf /tmp/pfha-lab-fail").catch(() => undefined);
      // Leave the lab as found: destroy what the first run built.
      if (first?.run && !destroyed) await up(config, { prior: first.run.state, empty: true });
    }
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  test("the run succeeds, and every secret reached the resources (so the checks below can fail)", () => {
    expect(first.error).toBeUndefined();
    const run = first.run as EngineRun;
    const everythingPlain = JSON.stringify(run.registrations.map((r) => r.inputs));
    expect(leakedSecrets(everythingPlain, secrets).sort()).toEqual(Object.keys(secrets).sort());
  });

  test("the checkpoint as the engine writes it (plaintext __provider included) holds no secret", () => {
    const run = first.run as EngineRun;
    const checkpoint = checkpointOf(run, first.secretOutputs);
    const dynamic = checkpoint.resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic"));
    expect(dynamic.length).toBe(run.state.size);
    expect(dynamic.every((r) => typeof r.inputs.__provider === "string" && typeof r.outputs.__provider === "string")).toBe(true);
    for (const r of checkpoint.resources) {
      expect({ urn: r.urn, leaks: leakedSecrets(JSON.stringify(r), secrets) }).toEqual({ urn: r.urn, leaks: [] });
    }
  });

  test("no provider closure captured a secret Output (the SDK would have marked __provider secret)", () => {
    const run = first.run as EngineRun;
    const marked = run.registrations.filter((r) => r.secretInputs.includes("__provider")).map((r) => r.urn);
    expect(marked).toEqual([]);
  });

  test("stack outputs hold no secret", () => {
    const run = first.run as EngineRun;
    expect(Object.keys(run.exports).length).toBeGreaterThan(0);
    expect(leakedSecrets(JSON.stringify(run.exports), secrets)).toEqual([]);
  });

  test("the run's console output holds no secret", () => {
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
      failed = await up(renamed, { prior: first.run?.state });
    } finally {
      await sh("fw1", "rm -rf /tmp/pfha-lab-fail");
    }
    expect(failed.error?.message).toMatch(/injected failure in pfSense_interface_deladdress\(\)/);
    expect(leakedSecrets(`${failed.error?.message}\n${failed.error?.stack ?? ""}`, secrets)).toEqual([]);
    expect(leakedSecrets(failed.console, secrets)).toEqual([]);
  });

  test("an SSH key the hosts refuse: the error names the login failure and holds neither key", async () => {
    const other = path.join(tmp, "refused");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "", "-f", other]);
    const refusedKey = fs.readFileSync(other, "utf8");
    const refusedBody = refusedKey.split("\n").filter((l) => l !== "" && !l.startsWith("-----")).slice(1);
    // no prior state: every resource is created, so every one logs in
    const failed = await up(stackConfig(refusedKey, path.join(tmp, "inventory.json")));
    expect(failed.error?.message).toMatch(/authentication failed \(server refused the configured private key/);
    const text = `${failed.error?.message}\n${failed.error?.stack ?? ""}\n${failed.console}`;
    expect(leakedSecrets(text, secrets)).toEqual([]);
    expect(leakedSecrets(text, Object.fromEntries(refusedBody.map((l, i) => [`refusedKeyLine${i + 2}`, l])))).toEqual([]);
  });

  test("destroy (every delete through the serialized providers) succeeds without a secret in its output", async () => {
    const gone = await up(config, { prior: first.run?.state, empty: true });
    destroyed = gone.error === undefined;
    expect(gone.error?.message).toBeUndefined();
    expect(gone.run?.operations.filter((o) => o.op === "delete")).toHaveLength(first.run?.state.size ?? -1);
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
