// bootstrap on the lab (PFHA_LAB_ID): the template check over real SSH with the lab key, the presented host key
// captured on first contact (equal to the host's real key), and the refusals (password on argv, wrong pinned key).
// The enabling half (password login, local_user_set) needs password login on the firewall, which the lab's sshd does
// not offer; its PHP is covered by tests/unit/bootstrap.test.ts.
import { spawnSync } from "child_process";
import * as path from "path";
import { loadInventory, type LabInventory } from "../../lab/inventory";
import { ROOT } from "../support/ha-lab";

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
