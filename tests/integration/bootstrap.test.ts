// bootstrap on the lab (PFHA_LAB_ID): the template check over real SSH with the lab key, the presented host key
// captured on first contact (equal to the host's real key), the refusals (password on argv, wrong pinned key), and
// the enabling half on pfSense's own code.
//
// The enabling half needs what a fresh pfSense offers: sshd with password login for root, root's password being the
// console's (pfSense keeps admin's hash in config.xml and local_user_set() copies it to root with
// `pw usermod -n root -H 0`). The lab's own sshd is key-only with a lab-wide key file, so the test gives fw1 a second
// sshd in fw1's network + mount namespace (chrooted, on port 2222, same host key) configured as pfSense's sshd is on
// a fresh box: password login on, root allowed, keys from the user's ~/.ssh/authorized_keys (the file local_user_set()
// writes). The password is set with pfSense's own code (local_user_set_password(), as the User Manager does), and its
// bcrypt hash is copied to the Linux root account of fw1's root (what `pw`, FreeBSD-only, does there). Then the real
// CLI runs against it with the password on stdin and a key pair made by the test. Everything is put back afterwards.
import { spawnSync } from "child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import * as path from "path";
import { hostPath, labExec, loadInventory, type LabInventory } from "../../lab/inventory";
import { ROOT } from "../support/ha-lab";
import { changesOf, labRecord, RECORD_PATH, reseedFirewall, setAdminPassword, writeConfigCount } from "../support/pfsense-lab";

jest.setTimeout(60000);

let inv: LabInventory;
const cli = (args: string[], input = "") => spawnSync(process.execPath, [path.join(ROOT, "bin", "pfsense-ha.js"), "bootstrap", ...args], { cwd: ROOT, encoding: "utf8", input, env: { ...process.env, PFSENSE_HA_BOOTSTRAP_PASSWORD: "" } });

beforeAll(() => {
  inv = loadInventory();
});

test("--check: key login, release, interface assignment in NIC order; prints the host key to pin", () => {
  const fw = inv.hosts.fw1;
  const r = cli(["--host", fw.address, "--key", inv.clientKeyPath, "--host-key", fw.hostKeySha256, "--check", "--json"]);
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  const json = JSON.parse(r.stdout.slice(0, r.stdout.indexOf("\npin this host"))) as { ok: boolean; checks: { check: string; found: string; status: string }[] };
  expect(json.ok).toBe(true);
  expect(json.checks.filter((c) => c.check.startsWith("ssh key login") || c.check.startsWith("interface") || c.check === "pfSense release").map((c) => [c.check, c.found, c.status])).toEqual([
    ["ssh key login", "works", "pass"],
    ["pfSense release", "2.7.2-RELEASE", "pass"],
    ["interface wan", "vtnet0", "pass"],
    ["interface lan", "vtnet1", "pass"],
  ]);
  expect(r.stdout).toContain(`pin this host: hostKeySha256: ${fw.hostKeySha256}`);
});

test("first contact without --host-key: the presented key is printed (the host's real one); no password -> exit 2, nothing done", () => {
  const fw = inv.hosts.fw2;
  const r = cli(["--host", fw.address, "--key", inv.clientKeyPath]);
  expect(r.status).toBe(2);
  expect(r.stderr).toContain(`presents host key ${fw.hostKeySha256}`);
  expect(r.stderr).toMatch(/the root password is needed once: set PFSENSE_HA_BOOTSTRAP_PASSWORD or pipe it on stdin/);
});

test("a password on the command line is refused; a wrong pinned host key stops before any login", () => {
  const fw = inv.hosts.fw1;
  const argv = cli(["--host", fw.address, "--key", inv.clientKeyPath, "--password", "s3cret-on-argv"]);
  expect(argv.status).toBe(2);
  expect(argv.stderr).toMatch(/unknown option "--password"/);
  expect(argv.stderr).not.toContain("s3cret-on-argv");
  const wrong = cli(["--host", fw.address, "--key", inv.clientKeyPath, "--host-key", inv.hosts.fw2.hostKeySha256, "--check"]);
  expect(wrong.status).toBe(3);
  expect(wrong.stderr).toMatch(/host key/i);
});

describe("enabling key login on a fresh-box sshd (password login, pfSense's local_user_set)", () => {
  const FW = "fw1";
  const PORT = "2222";
  const SSHD_CONFIG = "/etc/ssh/pfha_bootstrap_sshd_config";
  const SSHD_PID = "/run/pfha-bootstrap-sshd.pid";
  const SSHD_LOG = "/var/log/pfha-bootstrap-sshd.log";
  const AUTHORIZED = "/root/.ssh/authorized_keys";
  const PASSWORD = `pfha-${Math.random().toString(36).slice(2)}-Boot!`;
  let dir: string;
  let key: string;
  let pub: string;
  let shadow: string;
  let authorizedBefore: string | undefined;
  const read = (p: string) => readFileSync(hostPath(inv, FW, p), "utf8");

  beforeAll(async () => {
    await reseedFirewall(inv, FW, "fw2");
    shadow = read("/etc/shadow");
    authorizedBefore = existsSync(hostPath(inv, FW, AUTHORIZED)) ? read(AUTHORIZED) : undefined;
    if (authorizedBefore !== undefined) rmSync(hostPath(inv, FW, AUTHORIZED));
    await setAdminPassword(inv, FW, PASSWORD);
    // What local_user_set()'s `pw usermod -n root -H 0` does on FreeBSD: root gets admin's hash (read from config.xml).
    const hash = /<bcrypt-hash>([^<]+)<\/bcrypt-hash>/.exec(read("/cf/conf/config.xml"))?.[1];
    if (!hash) throw new Error("no bcrypt-hash for admin after setAdminPassword");
    const pw = await labExec(inv, FW, 'IFS= read -r h && usermod -p "$h" root', { stdin: `${hash}\n` });
    if (pw.code !== 0) throw new Error(`usermod: ${pw.stderr}`);
    writeFileSync(hostPath(inv, FW, SSHD_CONFIG), [
      `ListenAddress ${inv.hosts[FW].address}`, `Port ${PORT}`, "HostKey /etc/ssh/pfha_host_ed25519_key", `PidFile ${SSHD_PID}`,
      "PermitRootLogin yes", "PasswordAuthentication yes", "KbdInteractiveAuthentication no", "PubkeyAuthentication yes",
      "AuthorizedKeysFile .ssh/authorized_keys", "UsePAM no", "UseDNS no", "LogLevel VERBOSE", "",
    ].join("\n"));
    const up = await labExec(inv, FW, `/usr/sbin/sshd -f ${SSHD_CONFIG} -E ${SSHD_LOG}`);
    if (up.code !== 0) throw new Error(`sshd: ${up.stderr}`);
    dir = mkdtempSync(path.join(tmpdir(), "pfha-bootstrap-"));
    key = path.join(dir, "stack_key");
    const kg = spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "pfsense-ha@bootstrap-test", "-f", key], { encoding: "utf8" });
    if (kg.status !== 0) throw new Error(`ssh-keygen: ${kg.stderr}`);
    pub = readFileSync(`${key}.pub`, "utf8").trim();
  });

  afterAll(async () => {
    // /run is the host's own (mounted in its mount namespace), so the pid file is read there.
    const stop = await labExec(inv, FW, `[ ! -s ${SSHD_PID} ] || kill "$(cat ${SSHD_PID})"`);
    if (stop.code !== 0) throw new Error(`stopping the second sshd: ${stop.stderr}`);
    writeFileSync(hostPath(inv, FW, "/etc/shadow"), shadow);
    rmSync(hostPath(inv, FW, AUTHORIZED), { force: true });
    if (authorizedBefore !== undefined) writeFileSync(hostPath(inv, FW, AUTHORIZED), authorizedBefore);
    rmSync(hostPath(inv, FW, SSHD_CONFIG), { force: true });
    rmSync(hostPath(inv, FW, SSHD_LOG), { force: true });
    rmSync(dir, { recursive: true, force: true });
    await reseedFirewall(inv, FW, "fw2");
  });

  const bootstrap = (password: string) => cli(["--host", inv.hosts[FW].address, "--port", PORT, "--key", key, "--host-key", inv.hosts[FW].hostKeySha256], `${password}\n`);
  const adminKeys = () => {
    const b64 = /<authorizedkeys>([^<]*)<\/authorizedkeys>/.exec(read("/cf/conf/config.xml"))?.[1];
    return b64 === undefined ? undefined : Buffer.from(b64, "base64").toString("utf8");
  };

  test("a wrong password: exit 3 with a clear message, nothing changed on the firewall", () => {
    const before = read("/cf/conf/config.xml");
    const r = bootstrap("not-the-console-password");
    expect(r.status).toBe(3);
    expect(r.stderr).toContain(`pfsense-ha bootstrap: ssh root@${inv.hosts[FW].address}:${PORT}: authentication failed (server refused the configured password); check the username and the password`);
    expect(r.stderr).not.toContain("not-the-console-password");
    expect(read("/cf/conf/config.xml")).toBe(before);
    expect(existsSync(hostPath(inv, FW, AUTHORIZED))).toBe(false);
  });

  test("the right password: the key in admin's <authorizedkeys> (base64), root's authorized_keys written by local_user_set, key login works", () => {
    const writes = writeConfigCount(labRecord(inv, FW));
    const r = bootstrap(PASSWORD);
    expect(r.stderr).toContain("admin/root key added; sshd settings changed (sshd restarted)");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/ssh key login +.*works/);
    expect(adminKeys()).toBe(pub);
    expect(read("/cf/conf/config.xml")).toMatch(/<ssh>\s*<enable>enabled<\/enable>\s*<\/ssh>/);
    expect(read(AUTHORIZED)).toBe(pub);
    expect(writeConfigCount(labRecord(inv, FW))).toBe(writes + 1);
    // restart_SSHD(): `killall sshd`, then the event for pfSense's sshd start script.
    expect(changesOf(labRecord(inv, FW))).toEqual(expect.arrayContaining(["killall sshd", "event service restart sshd"]));
    const known = path.join(dir, "known_hosts");
    writeFileSync(known, `[${inv.hosts[FW].address}]:${PORT} ${readFileSync(hostPath(inv, FW, "/etc/ssh/pfha_host_ed25519_key.pub"), "utf8")}`);
    const login = spawnSync("ssh", ["-p", PORT, "-i", key, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "PasswordAuthentication=no",
      "-o", `UserKnownHostsFile=${known}`, "-o", "StrictHostKeyChecking=yes", `root@${inv.hosts[FW].address}`, "echo key-login-ok"], { encoding: "utf8" });
    expect(login.stdout.trim()).toBe("key-login-ok");
    expect(login.status).toBe(0);
    for (const text of [r.stdout, r.stderr, read("/cf/conf/config.xml"), read(SSHD_LOG), read(RECORD_PATH)]) expect(text).not.toContain(PASSWORD);
  });

  test("a second run is a no-op: key already authorized, sshd unchanged, no config revision", () => {
    const before = read("/cf/conf/config.xml");
    const writes = writeConfigCount(labRecord(inv, FW));
    const r = bootstrap(PASSWORD);
    expect(r.stderr).toContain("admin/root key already authorized; sshd settings unchanged");
    expect(r.status).toBe(0);
    expect(read("/cf/conf/config.xml")).toBe(before);
    expect(writeConfigCount(labRecord(inv, FW))).toBe(writes);
    expect(adminKeys()).toBe(pub);
    expect(read(AUTHORIZED)).toBe(pub);
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
  });
});
