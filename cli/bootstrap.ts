// `pfsense-ha bootstrap --host ADDR --key PATH`: from a freshly installed pfSense (sshd enabled at the console) to the
// template the stack clones: SSH key login for root with the stack's key, as pfSense's GUI sets it, then the template
// check. `--check` only checks (key login). The console's root password is read once from the environment or stdin,
// never from argv, and never printed.
import * as fs from "fs";
import { parseConfigXml } from "../providers/pfsense/codec";
import { closeAllHosts, connectHost, presentedHostKey, redact, registerSecret, type SshEndpoint, FINGERPRINT_PATTERN } from "../providers/ssh";
import { checkPublicKey, enableKeyLoginScript, evaluateTemplate, parseBootstrapOutput, TEMPLATE_PROBE, templateExpectationsOf } from "../providers/verify/bootstrap";
import { configSectionOf } from "../providers/verify/probe";
import { formatJson, formatTable } from "../providers/verify/report";
import type { ClusterConfig } from "../config/types";
import type { Command } from "./main";
import { startCommand } from "./start";

export const PASSWORD_ENV = "PFSENSE_HA_BOOTSTRAP_PASSWORD";

const HELP = `usage: pfsense-ha bootstrap --host ADDR --key PATH [--port N] [--host-key SHA256:…] [--key-only]
                           [--stack NAME | --file Pulumi.NAME.yaml] [--check] [--json]

Turns a freshly installed pfSense into the stack's template: adds PATH.pub (the stack's key) to admin's authorized
SSH keys (root logs in with them), enables sshd (--key-only: public key only), the way System > User Manager and
System > Advanced > Admin Access save them, then checks the template. Before: at the console, assign the
interfaces in the stack's NIC order (wan=vtnet0, lan=vtnet1, then sync and the extras) and enable sshd (option 14).
  --host ADDR      the firewall's address; --port N its SSH port (default 22)
  --key PATH       the stack's private key; PATH.pub must exist
  --host-key FP    pin the host key (SHA256:…). Without it the presented key is printed: compare it with the
                   console (option 8: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub) before you pin it
  --key-only       also set sshd to public key only (password login off)
  --stack/--file   check the interface assignment and release against that stack (default: wan=vtnet0, lan=vtnet1)
  --check          only check the template (key login; no password needed)
The root password (the console's, once) comes from ${PASSWORD_ENV} or the first line of stdin; never put it on
the command line. Exit codes: 0 template ready (warnings allowed), 1 a check failed, 2 usage error, 3 could not log in or enable.`;

/** The password from the environment when set and not empty, else the first line of stdin (an exported but empty
 * variable does not hide a password piped on stdin). */
export function bootstrapPassword(env: NodeJS.ProcessEnv, readStdin: () => string): string {
  const fromEnv = env[PASSWORD_ENV];
  return fromEnv !== undefined && fromEnv !== "" ? fromEnv : readStdin();
}

function readPasswordFromStdin(): string {
  try {
    return fs.readFileSync(0, "utf8").split(/\r?\n/)[0] ?? "";
  } catch {
    return "";
  }
}

export const bootstrapCommand: Command = {
  summary: "from a fresh pfSense install to the stack's template: SSH key login, version and assignment check",
  async run(argv) {
    const hasStack = argv.some((a) => /^--(stack|file)(=|$)/.test(a));
    const start = startCommand("bootstrap", argv, { booleans: ["key-only", "check", "json"], values: ["host", "port", "key", "host-key"] }, HELP);
    if (typeof start === "number") return start;
    const { usage } = start;
    const f = start.args.flags;
    const host = typeof f.host === "string" ? f.host : undefined;
    if (!host || !/^[A-Za-z0-9.:-]{1,253}$/.test(host)) return usage("--host ADDR is required (an address or host name)");
    const port = f.port === undefined ? 22 : Number(f.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) return usage(`--port ${JSON.stringify(f.port)} is invalid: use 1-65535`);
    const keyPath = typeof f.key === "string" ? f.key : undefined;
    if (!keyPath) return usage("--key PATH is required: the stack's private SSH key (PATH.pub is what gets authorized)");
    if (!fs.existsSync(keyPath) || !fs.existsSync(`${keyPath}.pub`)) return usage(`--key ${keyPath}: the key and ${keyPath}.pub must both exist (ssh-keygen -t ed25519 -f ${keyPath})`);
    const publicKey = fs.readFileSync(`${keyPath}.pub`, "utf8").trim();
    const badKey = checkPublicKey(publicKey);
    if (badKey) return usage(`--key ${keyPath}.pub: ${badKey}`);
    let hostKey = typeof f["host-key"] === "string" ? f["host-key"] : undefined;
    if (hostKey !== undefined && !FINGERPRINT_PATTERN.test(hostKey)) return usage(`--host-key ${JSON.stringify(hostKey)} is invalid: use SHA256:… as ssh-keygen -lf prints it`);
    if (f.check === true && !hostKey) return usage("--check needs --host-key (the template's pinned host key)");
    let config: ClusterConfig | undefined;
    if (hasStack) {
      const loaded = start.config();
      if (typeof loaded === "number") return loaded;
      config = loaded;
    }
    const say = (l: string) => console.error(l);
    try {
      if (!hostKey) {
        hostKey = await presentedHostKey(host, port);
        say(`${host}:${port} presents host key ${hostKey}\n  -> compare it with the console (option 8, then: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub) before you pin it`);
      }
      const base: SshEndpoint = { host, port, username: "root", hostKeySha256: hostKey, connectRetries: 0 };
      if (f.check !== true) {
        const password = bootstrapPassword(process.env, readPasswordFromStdin);
        if (!password) return usage(`the root password is needed once: set ${PASSWORD_ENV} or pipe it on stdin (or use --check)`);
        registerSecret(password);
        say(`logging in to ${host} with the root password…`);
        const r = await (await connectHost({ ...base, password })).exec("/usr/local/bin/php", { stdin: enableKeyLoginScript(publicKey, f["key-only"] === true), timeoutMs: 60_000 });
        const res = parseBootstrapOutput(r.stdout);
        if (!res?.ok) {
          console.error(`enabling SSH key login failed (exit ${r.code}): ${redact(res?.error ?? (r.stderr || r.stdout).trim().slice(0, 400))}`);
          return 3;
        }
        say(`admin/root key ${res.keyAdded ? "added" : "already authorized"}; sshd settings ${res.sshChanged ? "changed (sshd restarted)" : "unchanged"}`);
        await closeAllHosts();
      }
      const r = await (await connectHost({ ...base, privateKeyPath: keyPath })).exec(TEMPLATE_PROBE, { timeoutMs: 30_000 });
      const xml = configSectionOf(r.stdout);
      if (r.code !== 0 || xml === undefined) {
        console.error(`reading /etc/version and config.xml failed (exit ${r.code}): ${redact(r.stderr.trim().slice(0, 300))}`);
        return 3;
      }
      const release = r.stdout.slice(0, r.stdout.indexOf("@@pfha config"));
      const checks = evaluateTemplate(host, release, parseConfigXml(xml), templateExpectationsOf(config));
      console.log(f.json === true ? formatJson(checks) : formatTable(checks));
      console.log(`\npin this host: hostKeySha256: ${hostKey}`);
      return checks.some((c) => c.status === "fail") ? 1 : 0;
    } catch (e) {
      console.error(`pfsense-ha bootstrap: ${redact((e as Error).message)}`);
      return 3;
    } finally {
      await closeAllHosts();
    }
  },
};
